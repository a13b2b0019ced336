"""The functions a file calls on traced values: exp, log, sqrt, sin, cos, tanh, sigmoid,
relu, the two-argument max and min, and const() for a number that is not trained.

Each records one row of the op table when given a traced value and computes a plain
number otherwise, as Python's math module does (a pole is then an error, not inf).

>>> from pathgrad.trace.traced import leaf
>>> x = leaf("x", 0.5)
>>> tanh(x).grad_fn, max(x, 2.0).value, exp(0.0)
(<TanhBackward0>, 2.0, 1.0)
"""

import math

from pathgrad.errors import TraceError
from pathgrad.kernels import is_special, special_cause
from pathgrad.ops import OPS
from pathgrad.trace.concrete import check_number, is_number, show
from pathgrad.trace.provenance import caller_line
from pathgrad.trace.traced import Tensor, apply


def _function(name):
    def traced(x):
        if isinstance(x, Tensor):
            return apply(name, x)
        if is_number(x):  # plain numbers, as Python's math module: a pole is an error
            value = OPS[name].forward([float(x)])
            if is_special(value) and math.isfinite(x):
                raise ValueError(special_cause(OPS[name], [float(x)], value, [show(float(x))]))
            return value
        raise TraceError(f"{name}() takes a number or a traced value, not {type(x).__name__}")

    traced.__name__ = traced.__qualname__ = name
    traced.__doc__ = f"{name}(x): traced when x is a traced value, a plain number otherwise."
    return traced


#: The one-argument functions a file calls (each an op of the op table).
UNARY = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu")
exp, log, sqrt, sin, cos, tanh, sigmoid, relu = map(_function, UNARY)


def _two_sided(name, builtin):
    def traced(*args, **kwargs):
        if len(args) == 2 and not kwargs and any(isinstance(a, Tensor) for a in args):
            return apply(name, *args)
        if any(isinstance(a, Tensor) for a in args):
            raise TraceError(f"{name}() of traced values takes exactly two arguments")
        return builtin(*args, **kwargs)

    traced.__name__ = traced.__qualname__ = name
    traced.__doc__ = f"{name}(a, b): traced (the gradient goes to the chosen argument)."
    return traced


max = _two_sided("max", max)  # noqa: A001 - the file's max() is the traced one
min = _two_sided("min", min)  # noqa: A001


def const(value):
    """A constant: a number that takes part in the computation but gets no gradient.

    As a tensor without ``requires_grad`` in PyTorch (an input, a target, a learning
    rate, an exponent). In a file, ``p = const(2)`` makes ``p`` a named constant: it is
    drawn as one, its symbol stays in closed forms, and no gradient is computed for it.

    >>> c = const(2)
    >>> c.value, c.requires_grad, c.is_leaf
    (2.0, False, True)
    """
    value = check_number(value, "the value of a constant")
    return Tensor(value, requires_grad=False, line=caller_line())
