"""sympy's rewritings, remembered per subexpression across the closed forms of one graph.

The closed forms of a graph's leaves share most of their subexpressions (every gradient
of a network contains its output), so :func:`factor_terms` keeps sympy's algorithm and
remembers its result for each distinct subexpression, and :func:`expanded_size` tells how
large ``sympy.expand`` would make an expression without expanding the shared insides of
its functions more than once. Both memories are bounded and shared by the process.

>>> x, y = sympy.symbols("x y")
>>> factor_terms(x + x*(2 + 4*y)**3)
x*(8*(2*y + 1)**3 + 1)
>>> e = (sympy.tanh(x + y) + 1) * (sympy.tanh(x + y) - x)
>>> expanded_size(e) == tree_size(sympy.expand(e))
True
"""

import sympy
from sympy.core.exprtools import gcd_terms
from sympy.core.mul import _keep_coeff

from pathgrad.expressions import tree_size

#: Subexpressions remembered by each memory before it starts afresh.
MEMORY = 50_000
#: ``expand``'s default hints: a function that implements one of them is expanded as sympy does.
_EXPAND_HINTS = ("mul", "multinomial", "power_exp", "power_base", "log", "basic")

_factored = {}
_expanded = {}
_sizes = {}


def _remembered(memory, key, compute):
    found = memory.get(key)
    if found is None:
        if len(memory) >= MEMORY:
            memory.clear()
        found = memory[key] = compute()
    return found


def size(expr):
    """:func:`~pathgrad.expressions.tree_size`, each subexpression's remembered (an
    expression's size is its structure's: equal expressions have equal sizes)."""
    if len(_sizes) >= MEMORY:
        _sizes.clear()
    return tree_size(expr, _memo=_sizes)


def factor_terms(expr, radical=False):
    """``sympy.factor_terms(expr, radical)``, the same result, each subexpression done once.

    sympy's own algorithm (sympy/core/exprtools.py, ``clear=False, fraction=False,
    sign=True``), whose inner ``do`` depends on nothing but its argument, with a memory.
    Keys carry the type: an Integer and an equal Float are different expressions here.
    """

    # as deep as sympy's own (two frames a level): loops, not comprehensions
    def do(e):
        if not isinstance(e, sympy.Basic) or e.is_Atom:
            return e
        key = (radical, type(e), e)
        found = _factored.get(key)
        if found is None:
            if len(_factored) >= MEMORY:
                _factored.clear()
            found = _factored[key] = fresh(e)
        return found

    def each(args):
        new = []
        for a in args:
            new.append(do(a))
        return new

    def fresh(e):
        if e.is_Pow or e.is_Function or not hasattr(e, "args_cnc"):
            args = e.args
            new = tuple(each(args))
            return e if new == args else e.func(*new)
        if isinstance(e, (sympy.Sum, sympy.Integral)):
            return sympy.factor_terms(e, radical=radical)
        content, p = e.as_content_primitive(radical=radical, clear=False)
        if p.is_Add:
            terms = each(sympy.Add.make_args(p))
            # a common negative, which gcd_terms does not remove
            if not any(a.as_coeff_Mul()[0].extract_multiplicatively(-1) is None for a in terms):
                content, terms = -content, [-a for a in terms]
            # exp(-(x + 2)), which gcd_terms would change to exp(-x - 2)
            special = {}
            for i, a in enumerate(terms):
                _, exponent = a.as_base_exp()
                if exponent.is_Mul and exponent != sympy.Mul(*exponent.args):
                    terms[i] = sympy.Dummy()
                    special[terms[i]] = a
            p = sympy.Add._from_args(terms)
            p = gcd_terms(p, isprimitive=True, clear=False, fraction=False).xreplace(special)
        elif p.args:
            p = p.func(*each(p.args))
        return _keep_coeff(content, p, clear=False, sign=True)

    return do(sympy.sympify(expr))


def _opaque(e):
    """A function application ``expand`` treats as a symbol once its arguments are expanded."""
    return e.is_Function and not any(hasattr(e, "_eval_expand_" + h) for h in _EXPAND_HINTS)


def _masked(expr):
    """``(expr with each outermost opaque application a symbol, {symbol: its size})``.

    An application's arguments are expanded first (remembered); equal results share one
    symbol, so terms that ``expand`` would combine are combined here too.
    """
    symbols, sizes = {}, {}

    def inside(application):
        def compute():
            new = application.func(*[_expanded_form(a) for a in application.args])
            return new if _opaque(new) else sympy.expand(new)

        return _remembered(_expanded, ("inside", type(application), application), compute)

    def visit(e):
        if e.is_Atom:
            return e
        if _opaque(e):
            inner = inside(e)
            if not _opaque(inner):
                return inner
            if inner not in symbols:
                symbols[inner] = sympy.Dummy()
                sizes[symbols[inner]] = size(inner)
            return symbols[inner]
        return e.func(*[visit(a) for a in e.args])

    return visit(expr), sizes, {s: inner for inner, s in symbols.items()}


def _expanded_form(expr):
    """``expand(expr)`` done inside out: each application's arguments once."""
    if expr.is_Atom:
        return expr

    def compute():
        masked, _, back = _masked(expr)
        return sympy.expand(masked).xreplace(back)

    return _remembered(_expanded, ("form", type(expr), expr), compute)


def expanded_size(expr):
    """The size (:func:`~pathgrad.expressions.tree_size`) of ``sympy.expand(expr)``.

    Expanded inside out, arguments of functions first and each distinct one once; sympy
    expands hint by hint over the whole tree, so in rare cases (floating-point sums
    added in another order) the two sizes differ by a few operations: callers leave a
    margin.
    """
    if expr.is_Atom:
        return 1
    masked, sizes, _ = _masked(expr)
    return tree_size(sympy.expand(masked), sizes)
