"""The safe-mode interpreter: it walks a validated tree itself, never ``exec``.

:func:`pathgrad.safe.sandbox.validate` decides what a file may contain;
:class:`Interpreter` gives it meaning, binding names exactly as normal mode
does and counting every traced value, loop iteration, list item and second
against :class:`pathgrad.safe.limits.Limits`. Use it through
:func:`pathgrad.safe.sandbox.interpret`.

The interpreter is one object in four parts: :mod:`~pathgrad.safe.statements`
runs statements, :mod:`~pathgrad.safe.expressions` computes values,
:mod:`~pathgrad.safe.calls` calls functions and :mod:`~pathgrad.safe.training`
gives a training loop's ``with no_grad():``, ``.grad`` and ``backward()`` their
meaning; the counters they share live here.
"""

import time

from pathgrad.safe.calls import Calls
from pathgrad.safe.expressions import Expressions
from pathgrad.safe.limits import stopped_error
from pathgrad.safe.statements import Statements
from pathgrad.safe.subset import FUNCTIONS
from pathgrad.safe.training import Training
from pathgrad.trace.elements import Elements
from pathgrad.trace.running import BIND, EXPORTS, LOOP
from pathgrad.trace.traced import Tensor


def _plain_loop(iterable, names):
    """Without the loader's loop wrapper: the loop runs over what it was given."""
    return iterable


class Interpreter(Statements, Expressions, Calls, Training):
    """Runs a validated tree; variables live in ``namespace``; nothing is executed as Python."""

    def __init__(self, namespace, file, limits):
        self.namespace, self.file, self.limits = namespace, file, limits
        self.bind, self.loop = namespace[BIND], namespace.get(LOOP, _plain_loop)
        self.functions = {id(EXPORTS[name]) for name in FUNCTIONS}
        self.deadline = time.monotonic() + limits.wall_time_seconds
        self.newest = Tensor(None, line=0).id  # values made from here on are the file's
        self.operations = self.iterations = self.items = self.steps = 0
        self.scopes = []  # comprehension variables, innermost last
        self.locals, self.local_names = None, frozenset()  # a running function's variables
        self.depth = self.printed = 0
        self.returned = None

    # -- bounds ----------------------------------------------------------------------
    def _stop(self, what, field):
        raise stopped_error(what, field, self.limits, self.file)

    def _tick(self):
        if time.monotonic() > self.deadline:
            self._stop(
                f"still running after {self.limits.wall_time_seconds:g} s", "wall_time_seconds"
            )

    def _iterate(self):
        self.iterations += 1
        if self.iterations > self.limits.max_loop_iterations:
            self._stop(
                f"more than {self.limits.max_loop_iterations} loop iterations",
                "max_loop_iterations",
            )
        self._tick()

    def _visit(self, *values):
        """Count the items a comparison or a print walks (shared sublists each time, as
        Python does), against the same total as the items made: ``[b] == [f]`` of lists
        of lists is one step of the file but billions of Python's."""
        stack = list(values)
        while stack:
            value = stack.pop()
            if isinstance(value, (list, tuple)):
                self._allocate(len(value))
                stack.extend(value)

    def _allocate(self, count):
        self.items += max(count, 0)
        if self.items > self.limits.max_list_items:
            self._stop(
                f"lists of more than {self.limits.max_list_items} items in all", "max_list_items"
            )

    def _adopt(self, value, line):
        """Count the traced values the last step created, and give them the file's line.

        A step may create more than its result (``10.0 / f`` is ``10.0 * (1/f)``);
        the new values are those numbered after every value seen so far.
        """
        roots = value.elements if isinstance(value, Elements) else [value]
        stack = [t for t in roots if isinstance(t, Tensor) and t.id > self.newest]
        if not stack:
            return value
        new = {}
        while stack:
            t = stack.pop()
            new[t.id] = t
            stack.extend(
                x
                for x in t.operands
                if isinstance(x, Tensor) and x.id > self.newest and x.id not in new
            )
        for t in new.values():
            t.line = line
        self.newest = max(new)
        self._count(len(new))
        return value

    def _count(self, values):
        """Count traced values made (operations, or versions of a leaf updated in place)."""
        self.operations += values
        if self.operations > self.limits.max_graph_nodes:
            self._stop(f"more than {self.limits.max_graph_nodes} traced values", "max_graph_nodes")
