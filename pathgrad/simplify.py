"""Closed forms with bounded effort.

sympy's ``simplify`` can take minutes on a large expression, and different
strategies win on different expressions. pathgrad tries a short ladder of
cheap rewritings, each only below a size bound, and keeps the shortest
result (ties keep the earlier rung), so the closed form is the same, byte
for byte, on every run and never hangs.

>>> import sympy
>>> a, b, c = sympy.symbols("a b c", real=True)
>>> closed_form(a*b + a*c - a*b)
a*c
>>> closed_form(sympy.expand((a + 1)**2) - 2*a)
a**2 + 1
"""

import sympy

from .paths import tree_size

#: Rungs of the ladder, each tried only when the expression is at most this size.
LADDER_BOUND = 400
#: sympy.simplify itself is tried only on expressions at most this size.
SIMPLIFY_BOUND = 40


def _size(expr):
    return (tree_size(expr), len(str(expr)))


def _rungs(expr):
    yield sympy.factor_terms
    yield sympy.cancel
    yield sympy.expand
    if tree_size(expr) <= SIMPLIFY_BOUND and not expr.has(sympy.Heaviside, sympy.sign):
        yield sympy.simplify


def closed_form(expr):
    """The shortest of a few equal rewritings of ``expr`` (``expr`` itself when large)."""
    if tree_size(expr) > LADDER_BOUND:
        return expr
    best, best_size = expr, _size(expr)
    for rung in _rungs(expr):
        candidate = rung(expr)
        size = _size(candidate)
        if size < best_size:
            best, best_size = candidate, size
    return best
