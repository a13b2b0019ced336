"""Comparing two expressions: exactly where sympy can, else as floats at random points.

An answer and a gradient (or a term and a path) are compared by value at a
few random points when expanding their difference would be too large, or
sympy cannot decide. Evaluation is plain floating point (fast and bounded,
unlike ``evalf``); a point where either side has no real value is skipped.

>>> import sympy
>>> a, b = sympy.symbols("a b")
>>> compare((a + b) ** 2, a**2 + 2 * a * b + b**2, {})
'equal'
>>> compare(a * b, a + b, {})
'differ'
>>> value_at(sympy.log(a), {a: -1.0}) is None
True
"""

import math
import random

import sympy

from pathgrad.functions import SYMPY_NAMES
from pathgrad.sums.simplify import expanded_terms

#: Terms an expansion may have before it is not tried (it would take too long).
MAX_TERMS = 64


#: Random points at which expressions are compared when sympy cannot decide.
SAMPLES = 6


def _heaviside(x, at_zero=0.5):
    return 1.0 if x > 0 else 0.0 if x < 0 else at_zero


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


#: Float versions of the functions an answer or a path can contain.
_FLOAT_FUNCTIONS = {
    sympy.exp: math.exp,
    sympy.log: math.log,
    sympy.sin: math.sin,
    sympy.cos: math.cos,
    sympy.tanh: math.tanh,
    sympy.sinh: math.sinh,
    sympy.cosh: math.cosh,
    sympy.sech: lambda x: 1.0 / math.cosh(x),
    sympy.Abs: abs,
    sympy.sign: lambda x: float((x > 0) - (x < 0)),
    sympy.Max: max,
    sympy.Min: min,
    sympy.Heaviside: _heaviside,
    SYMPY_NAMES["sigmoid"]: _sigmoid,
    SYMPY_NAMES["relu"]: lambda x: max(x, 0.0),
}


def _float(expr, point):
    """``expr`` at ``point`` in floating point (fast and bounded, unlike ``evalf``)."""
    if expr.is_Symbol:
        return point[expr]
    if expr.is_Number or expr.is_NumberSymbol:
        return float(expr)
    args = [_float(a, point) for a in expr.args]
    if expr.is_Add:
        return math.fsum(args)
    if expr.is_Mul:
        return math.prod(args)
    if expr.is_Pow:
        result = args[0] ** args[1]
        if isinstance(result, complex):
            raise ValueError("not real")
        return result
    function = _FLOAT_FUNCTIONS.get(expr.func)
    if function is None:
        raise ValueError(f"no float version of {expr.func}")
    return float(function(*args))


def value_at(expr, point):
    """The value of ``expr`` at ``point`` as a float, or ``None`` if undefined or not real."""
    try:
        value = _float(expr, point)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError):
        return None
    return value if math.isfinite(value) else None


def close(a, b):
    """Whether two floats agree to a relative (or, near 0, absolute) 1e-8."""
    return abs(a - b) <= 1e-8 * max(1.0, abs(a), abs(b))


def _points(symbols, values, seed):
    """Random points with mixed signs, then near the file's values, for numeric comparison."""
    rng = random.Random(seed)
    for _ in range(4 * SAMPLES):
        yield {s: rng.choice((-1, 1)) * rng.uniform(0.3, 2.0) for s in symbols}
    for _ in range(2 * SAMPLES):
        yield {s: (values.get(s) or 1.0) * rng.uniform(0.6, 1.4) for s in symbols}


def valid_points(expressions, values, seed):
    """Up to SAMPLES points where every expression has a real value, and those values."""
    symbols = sorted(set().union(*(e.free_symbols for e in expressions)), key=str)
    points, table = [], []
    for point in _points(symbols, values, seed):
        row = [value_at(e, point) for e in expressions]
        if None not in row:
            points.append(point)
            table.append(row)
            if len(points) == SAMPLES:
                break
    return points, [list(column) for column in zip(*table)] if table else [[] for _ in expressions]


def compare(a, b, values, seed=0):
    """Compare two expressions: "equal", "equal at N random points", "differ", "undetermined"."""
    difference = a - b
    if difference == 0:
        return "equal"
    if expanded_terms(difference) <= 4 * MAX_TERMS and sympy.expand(difference) == 0:
        return "equal"
    points, (left, right) = valid_points([a, b], values, seed)
    if len(points) < 3:
        return "undetermined"
    if all(close(x, y) for x, y in zip(left, right)):
        return f"equal at {len(points)} random points"
    return "differ"
