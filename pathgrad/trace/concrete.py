"""Where a traced value leaves the graph: comparisons, ``bool``, integers, ``float()``.

A comparison or a branch on a traced value is allowed (its outcome is noted, so the
explanation can say the gradient holds on this side of it); an integer use is allowed
for a leaf with a whole-number value; ``float()``, ``round()`` and friends would drop
the value from the graph and are refused with what to do instead. :class:`Concrete` is
the traced value's base class that holds these rules.
"""

import contextvars
import math
import numbers

from pathgrad.errors import TraceError
from pathgrad.trace.provenance import caller_line

#: Where comparisons and integer uses of traced values are noted while a file runs.
recorder = contextvars.ContextVar("pathgrad_recorder", default=None)


def is_number(x):
    if type(x) in (float, int):  # most numbers, without the slow check of an abstract class
        return True
    return isinstance(x, numbers.Real) and not isinstance(x, Concrete)


def check_number(value, what):
    """Accept a real number (an int, a float, a bool), or explain what is wrong."""
    if not is_number(value):
        raise TraceError(f"{what} must be a number, not {type(value).__name__} {value!r:.40}")
    value = float(value)
    if not math.isfinite(value):
        raise TraceError(f"{what} is {value}; give it a finite value")
    return value


class Concrete:
    """The uses of a traced value that need a plain number (a mixin of ``Tensor``)."""

    __slots__ = ()

    def _compare(self, other, symbol, outcome):
        values = [concrete_value(x, symbol) for x in (self, other)]
        result = outcome(*values)
        notes = recorder.get()
        if notes is not None:
            notes.append(
                ("comparison", caller_line(), f"{show(self)} {symbol} {show(other)}", result)
            )
        return result

    def __lt__(self, other):
        return self._compare(other, "<", lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, "<=", lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, ">", lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, ">=", lambda a, b: a >= b)

    def __eq__(self, other):
        if not (isinstance(other, (Concrete, numbers.Real))):
            return NotImplemented
        return self._compare(other, "==", lambda a, b: a == b)

    def __ne__(self, other):
        if not (isinstance(other, (Concrete, numbers.Real))):
            return NotImplemented
        return self._compare(other, "!=", lambda a, b: a != b)

    __hash__ = object.__hash__

    def __bool__(self):
        return self._compare(0, "!=", lambda a, b: a != b)

    def __index__(self):
        if self.op is None and self.value is not None and float(self.value).is_integer():
            notes = recorder.get()
            if notes is not None:
                notes.append(("integer", caller_line(), show(self), int(self.value)))
            return int(self.value)
        raise TraceError(
            f"{show(self)} is used as an integer (an index or a count); "
            "only a leaf with a whole-number value can be"
        )

    def _drop(self, how):
        raise TraceError(
            f"{how} of a traced value ({show(self)}) would drop it from the graph; remove "
            f"{how} and keep it traced (pathgrad's exp, log, sqrt, sin, cos, tanh, sigmoid, "
            "relu and abs work on it)"
        )

    def __float__(self):
        self._drop("float()")

    def __int__(self):
        self._drop("int()")

    def __complex__(self):
        self._drop("complex()")

    def __round__(self, ndigits=None):
        self._drop("round()")

    def __floor__(self):
        self._drop("math.floor()")

    def __ceil__(self):
        self._drop("math.ceil()")

    def __trunc__(self):
        self._drop("math.trunc()")

    def item(self):
        self._drop(".item()")


def show(x, depth=3):
    """A traced value as the user wrote it: its name, or a short formula (``x*x``)."""
    if isinstance(x, Concrete):
        if x.name or x.op is None:
            return x.name or "value"
        if depth:
            text = x.op.label([show(o, depth - 1) for o in x.operands])
            if len(text) <= 40:
                return text
        return f"<{x.grad_fn_name}>"
    return f"{x:g}" if isinstance(x, float) else repr(x)


def concrete_value(x, symbol):
    if not isinstance(x, Concrete):
        return x
    if x.undefined:
        raise TraceError(
            f"cannot compare {show(x)} ({symbol}): its value is undefined ({x.undefined})"
        )
    if x.value is None and x.is_leaf:
        raise TraceError(
            f"cannot compare {x.name} ({symbol}): {x.name} is a symbolic leaf with "
            f"no value; give the leaf a value, e.g. `{x.name} = 1.0`"
        )
    if x.value is None:
        raise TraceError(
            f"cannot compare {show(x)} ({symbol}): its value depends on a symbolic "
            "leaf with no value; give the leaf a value"
        )
    return x.value
