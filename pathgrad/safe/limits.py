"""Safe mode's resource bounds: what a file may use, and what a command may write.

:class:`Limits` names every bound with its default (:data:`LIMITS`); :func:`using`
puts other limits in force for a block, and :func:`active` says which are in force.
A bound reached is reported by :func:`stopped_error`, naming the bound and its value.
:class:`OutputBudget` counts what a safe-mode command writes.
"""

import contextlib
import contextvars
from dataclasses import dataclass, fields

from pathgrad.errors import LoadError


@dataclass(frozen=True)
class Limits:
    """Resource bounds for safe mode; every field is a documented default.

    max_graph_nodes
        Traced values a file may create (leaves and operations): 20 000.
    max_exponent
        Largest ``|exponent|`` of ``**`` with a plain-number exponent: 1 000.
    max_loop_iterations
        Loop and comprehension iterations in total (nested loops multiply),
        checked before running for literal ranges and while running: 100 000.
    wall_time_seconds
        Time the interpreter may run: 10 s.
    memory_mib
        Address space of a worker process in :mod:`pathgrad.grade`: 1024 MiB.
    max_list_items
        List and tuple items created in total (``[0] * 10**9`` stops): 1 000 000.
    max_int_bits
        Size of a whole number computed from literals (``10**10**10`` stops): 4096 bits.
    max_frames
        Frames ``steps --safe -o DIR/`` may write: 1 000.
    max_output_mib
        What one safe-mode command may write or print, in all: 64 MiB.
    max_call_depth
        Calls of the file's own functions in progress at once (recursion): 100.
    max_print_bytes
        What ``print`` may write in all (UTF-8); the rest is cut, with a line saying so: 65 536.
    """

    max_graph_nodes: int = 20_000
    max_exponent: float = 1_000
    max_loop_iterations: int = 100_000
    wall_time_seconds: float = 10.0
    memory_mib: int = 1024
    max_list_items: int = 1_000_000
    max_int_bits: int = 4_096
    max_frames: int = 1_000
    max_output_mib: int = 64
    max_call_depth: int = 100
    max_print_bytes: int = 65_536

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}


#: The defaults.
LIMITS = Limits()

_active = contextvars.ContextVar("pathgrad_safe_limits", default=LIMITS)


@contextlib.contextmanager
def using(limits):
    """Use ``limits`` wherever a safe-mode function is not given limits explicitly.

    >>> with using(Limits(max_loop_iterations=10)):
    ...     active().max_loop_iterations
    10
    """
    token = _active.set(limits)
    try:
        yield limits
    finally:
        _active.reset(token)


def active():
    """The limits in force: :data:`LIMITS` unless inside :func:`using`."""
    return _active.get()


def stopped_error(what, field, limits, file):
    """A bound was reached; the caller that knows the line fills it in."""
    return LoadError(
        f"stopped in --safe mode: {what} (limit: {field} = {getattr(limits, field)})", file=file
    )


class OutputBudget:
    """What a safe-mode command writes, counted: it stops past ``max_frames`` or ``max_output_mib``.

    >>> budget = OutputBudget(Limits(max_output_mib=1))
    >>> budget.add("<svg/>")
    '<svg/>'
    >>> try:
    ...     budget.add(b"x" * 2**20)
    ... except LoadError as err:
    ...     print(err)
    stopped in --safe mode: more than 1 MiB of output (limit: max_output_mib = 1)
    """

    def __init__(self, limits=None, file=None):
        self.limits = limits or active()
        self.file = file
        self.written = 0

    def frames(self, count):
        """Refuse ``count`` frames past ``max_frames``, before any is drawn."""
        if count > self.limits.max_frames:
            raise stopped_error(f"{count} frames to write", "max_frames", self.limits, self.file)

    def add(self, data):
        """Count ``data`` (text or bytes) and return it; stop once the total is too large."""
        self.written += len(data.encode("utf-8") if isinstance(data, str) else data)
        if self.written > self.limits.max_output_mib * 2**20:
            raise stopped_error(
                f"more than {self.limits.max_output_mib} MiB of output",
                "max_output_mib",
                self.limits,
                self.file,
            )
        return data
