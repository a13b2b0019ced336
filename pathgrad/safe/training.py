"""Training loops in safe mode: ``with no_grad():``, ``.grad``, ``.data`` and autograd's methods.

:class:`Training` is the part of the :class:`~pathgrad.safe.interpreter.Interpreter`
that gives PyTorch's training-loop idioms their meaning, by calling the trace's own
objects (:class:`~pathgrad.trace.autograd.no_grad`, the :class:`~pathgrad.trace.traced.Tensor`'s
methods and properties): nothing of autograd is written again here. What each kind of
value lets a file read, assign or call is :data:`~pathgrad.safe.subset.RECEIVERS`,
looked up by the value's exact type, so nothing else of a Python object is reachable.

An in-place update (``w -= lr * w.grad`` under ``no_grad()``, ``w.data = ...``) keeps the
leaf and gives it a new version; the values it touched take the file's line, as the
caller's line in normal mode, and count as traced values.
"""

from pathgrad.safe.calls import PRINT, FileFunction
from pathgrad.safe.subset import ATTRIBUTES, RECEIVERS, refused_error
from pathgrad.trace.autograd import collect, no_grad
from pathgrad.trace.traced import Tensor


def _is_function(value):
    """A function of pathgrad's, the file's own ``def``, or ``print``."""
    return isinstance(value, FileFunction) or value is PRINT or callable(value)


def _no_attribute(receiver, name):
    kind = "function" if _is_function(receiver) else type(receiver).__name__
    return AttributeError(f"'{kind}' object has no attribute '{name}'")


def _versions(t):
    """``t`` and every value sharing its storage (``detach()``), with their versions now."""
    found, stack = {}, [t]
    while stack:
        x = stack.pop()
        if type(x) is Tensor and id(x) not in found:
            found[id(x)] = (x, x.version)
            stack.extend(a for a in (ref() for ref in x.aliases or ()) if a is not None)
    return found


class Training:
    """Mixed into the interpreter: ``with no_grad():`` and what a traced value has.

    Uses the interpreter's counters (``_tick``, ``_count``) and ``run`` of its statements.
    """

    def _With(self, statement):
        """``with no_grad():`` (validated: the only ``with``), run with the trace's no_grad."""
        with no_grad():
            return self.run(statement.body)

    def _attribute(self, receiver, name):
        """``receiver.name`` read: ``w.grad``, ``w.data``, ``w.grad.data``."""
        if name not in RECEIVERS.get(type(receiver), ((), ()))[1]:
            raise _no_attribute(receiver, name)
        return getattr(receiver, name)

    def _set_attribute(self, receiver, name, value, line):
        """``w.grad = None``, ``w.grad = 0.0``, ``w.data = ...``: a traced value's, only."""
        if type(receiver) is not Tensor or name not in ATTRIBUTES:
            if name in RECEIVERS.get(type(receiver), ((), ()))[1]:  # w.grad.data = ...
                raise AttributeError(f"cannot assign to .{name} of a gradient")
            raise _no_attribute(receiver, name)
        if _is_function(value):  # anything else is refused by the property, as in normal mode
            raise refused_error(f"assigning a function to .{name}", None, self.file)
        self._in_place(receiver, line, lambda: setattr(receiver, name, value))

    def _method(self, receiver, name):
        """The name of a method ``receiver``'s exact type has; looked up before its arguments
        are computed, as Python does (a missing method fails first)."""
        if name not in RECEIVERS.get(type(receiver), ((), ()))[0]:
            raise _no_attribute(receiver, name)
        return name

    def _method_call(self, receiver, name, positional, keywords):
        """``receiver.name(...)``, for a method :meth:`_method` found (validated arguments)."""
        method = getattr(type(receiver), self._method(receiver, name))
        if name != "backward":
            return method(receiver, *positional, **keywords)
        # backward() walks the graph: its work counts as the file's steps, and the clock is
        # read before and after it, so a loop of backward() calls stops at the time bound
        self._tick()
        result = method(receiver, *positional, **keywords)
        self.steps += len(collect([receiver]))
        self._tick()
        return result

    def _in_place(self, t, line, update):
        """Run ``update`` (which may update ``t`` in place) and give what it changed the line.

        As ``update_in_place`` in normal mode gives the caller's line: to ``t``, and to the
        values sharing its storage unless they are cut values (``detach()``), which keep theirs.
        """
        before = _versions(t) if type(t) is Tensor else {}
        result = update()
        changed = [x for x, version in before.values() if x.version != version]
        for x in changed:
            if x is t or not x.cut:
                x.line = line
        if changed:
            self.newest = max(self.newest, *(x.id for x in changed))
            self._count(len(changed))
        return result
