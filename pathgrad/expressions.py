"""Measures of a sympy expression that every stage needs: its size, and whether it holds
a number too long to read or an infinity sympy made.

They sit below the graph (which bounds the leaf forms it builds) and the sums (which
bound simplification and the checks), so both can ask.
"""

import sympy


def tree_size(expr, weights=None, _memo=None):
    """Size of ``expr`` printed as a tree, counted on its shared DAG (fast).

    >>> x = sympy.Symbol("x")
    >>> e = sympy.sin(x) + sympy.cos(x)
    >>> tree_size(e), tree_size(sympy.sin(e) * sympy.cos(e))
    (5, 13)
    """
    memo = {} if _memo is None else _memo
    stack = [expr]
    while stack:
        e = stack[-1]
        if e in memo:
            stack.pop()
            continue
        missing = [a for a in e.args if a not in memo]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        own = (weights or {}).get(e, 1)
        memo[e] = own + sum(memo[a] for a in e.args)
    return memo[expr]


#: Exact numbers with more bits than this are shown as 15-digit floats.
HUGE_BITS = 200


def is_huge(number):
    """Whether an exact number has more bits than :data:`HUGE_BITS`."""
    return number.is_Rational and max(abs(number.p).bit_length(), number.q.bit_length()) > HUGE_BITS


def has_huge_number(expr):
    """Whether ``expr`` or one of its arguments is an exact number too long to read.

    >>> x = sympy.Symbol("x")
    >>> has_huge_number(x * sympy.Rational(10001, 10000)**100), has_huge_number(x / 2)
    (True, False)
    """
    return any(is_huge(a) for a in (expr, *expr.args))


_INFINITIES = frozenset({sympy.zoo, sympy.nan, sympy.oo, -sympy.oo})


def has_infinity(expr, clean=None):
    """Whether sympy evaluated something to ``zoo``, ``nan``, ``oo`` or ``-oo`` in ``expr``.

    A closed form never shows these: they come from sympy evaluating a factor
    at a number (``log(0)``), not from the maths the user wrote. ``expr.has``
    asks the same but walks every copy of a shared subexpression; this visits
    each once. ``clean``, a set shared between calls, holds subexpressions
    known to have none: they are not entered, and those found clean are added.

    >>> x = sympy.Symbol("x")
    >>> has_infinity(1 / (x - x)), has_infinity(1 / x)
    (True, False)
    """
    clean = set() if clean is None else clean
    seen, stack = set(), [expr]
    while stack:
        e = stack.pop()
        if e in seen or e in clean:
            continue
        if e in _INFINITIES:
            return True
        seen.add(e)
        stack.extend(e.args)
    clean |= seen  # everything below a clean subexpression is clean
    return False
