"""Closed forms with bounded effort.

sympy's ``simplify`` can take minutes even on a small expression with
``tanh`` in it, and different strategies win on different expressions. pathgrad tries a short ladder of
cheap rewritings, each only below a size bound, and keeps the shortest
result (ties keep the earlier rung), so the closed form is the same, byte
for byte, on every run and never hangs. A ladder climbed to the top is
remembered for the expression (several leaves, or several explanations, may
ask for the same form); an atom is as short as it gets and climbs nothing.

A rung that cannot beat the best so far is not climbed: the expanding rungs
(cancel and expand of a polynomial in symbols and function applications give
its expanded form) are skipped when the expanded form, sized inside out with
each shared argument expanded once, is no shorter than the best so far, and
``factor_terms`` remembers its work per subexpression across the graph's closed
forms.

>>> import sympy
>>> a, b, c = sympy.symbols("a b c", real=True)
>>> closed_form(a*b + a*c - a*b)
(a*c, '')
>>> closed_form(sympy.expand((a + 1)**2) - 2*a)
(a**2 + 1, '')
"""

import contextlib
import functools
import signal
import threading

import sympy

from pathgrad.expressions import has_infinity, is_huge, tree_size
from pathgrad.sums.paths import atoms_in, replaced
from pathgrad.sums.rewrites import expanded_size, factor_terms, size

#: Rungs of the ladder, each tried only when the expression is at most this size.
LADDER_BOUND = 400
#: cancel and expand are tried only when expanding gives at most this many terms.
EXPAND_BOUND = 64


#: A safety net: a rung still running after this many seconds of CPU time is abandoned. CPU
#: time, not wall time, so that a loaded machine gives the same closed forms as an idle one.
RUNG_SECONDS = 5.0
#: Closed forms remembered (each at most ``LADDER_BOUND`` operations).
LADDER_CACHE = 2048


class _OutOfTime(Exception):
    pass


class _PartlySimplified(Exception):
    """A ladder with a rung that ran out of time: its result is not remembered."""

    def __init__(self, best, skipped):
        super().__init__(best, skipped)
        self.best, self.skipped = best, skipped


@contextlib.contextmanager
def time_limit(seconds):
    """Abandon the block after ``seconds`` of this process's CPU time.

    Main thread on Unix (``ITIMER_VIRTUAL``); elsewhere no limit.
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def stop(signum, frame):
        raise _OutOfTime

    previous = signal.signal(signal.SIGVTALRM, stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


def _size(expr):
    return size(expr)


def tame_numbers(expr):
    """Exact numbers too long to read (``(10001/10000)**1500``) as 15-digit floats.

    >>> tame_numbers(sympy.Rational(10001, 10000)**1500 * sympy.Symbol("y"))
    1.16182552958501*y
    """
    huge = {a: sympy.Float(a, 15) for a in atoms_in(expr, sympy.Rational) if is_huge(a)}
    return replaced(expr, huge) if huge else expr


def expanded_terms(expr):
    """An upper estimate of how many terms ``expand(expr)`` would produce.

    ``expand`` multiplies out every integer power (a denominator too) and expands inside
    a function's arguments, so all of these count.

    >>> x, y = sympy.symbols("x y")
    >>> expanded_terms((x + y) * (x - y) * (x + 1)), expanded_terms((x + y)**5)
    (8, 32)
    >>> expanded_terms((x + y)**64) > 10**18, expanded_terms(sympy.exp((x + y)**3))
    (True, 1)
    >>> expanded_terms(sympy.exp((x + y)**64)) > 10**18
    True
    """
    if expr.is_Add:
        return sum(expanded_terms(a) for a in expr.args)
    if expr.is_Mul:
        total = 1
        for a in expr.args:
            total *= expanded_terms(a)
        return total
    if expr.is_Pow and expr.exp.is_Integer and expr.exp > 0:
        return expanded_terms(expr.base) ** min(int(expr.exp), 4096)
    # a denominator or a function's arguments are expanded on their own: one term here,
    # unless expanding them is itself too much
    if expr.is_Pow and expr.exp.is_Integer and expr.exp < 0:
        inner = expanded_terms(expr.base) ** min(-int(expr.exp), 4096)
    else:
        inner = max((expanded_terms(a) for a in expr.args), default=1)
    return 1 if inner <= EXPAND_BOUND else inner


def factor_denominator(expr, cancelled=None):
    """Over a common denominator, with the denominator factored (the numerator left as is).

    ``cancelled`` is ``sympy.cancel(expr)`` when the caller has it already.

    >>> x, y = sympy.symbols("x y")
    >>> factor_denominator(-y / (x**2 - 2*x*y + y**2))
    -y/(x - y)**2
    """
    if cancelled is None:
        cancelled = sympy.cancel(expr)
    numerator, denominator = sympy.fraction(cancelled)
    if denominator == 1:
        return expr
    return numerator / sympy.factor(denominator)


def is_polynomial(expr):
    """Whether ``expr`` is a polynomial in its symbols and function applications.

    Integer and floating-point coefficients, positive integer powers: no denominator,
    so ``cancel`` gives the expanded form and the factored denominator is 1.

    >>> x = sympy.Symbol("x")
    >>> is_polynomial(0.5 * sympy.tanh(x / 3) ** 2 - x), is_polynomial(x / 2), is_polynomial(1 / x)
    (True, False, False)
    """
    if expr.is_Function or expr.is_Symbol or expr.is_Integer or expr.is_Float:
        return True
    if expr.is_Pow:
        return expr.exp.is_Integer and expr.exp > 0 and is_polynomial(expr.base)
    return (expr.is_Add or expr.is_Mul) and all(is_polynomial(a) for a in expr.args)


def _rungs(expr):
    """``(name, rewrite, futile)`` triples: ``rewrite(expr, done)`` may reuse the earlier
    rungs' results; ``futile(expr, best_size, done)`` says, before the rung is climbed, that
    it cannot give a form shorter than ``best_size``."""
    yield "factor_terms", lambda e, done: factor_terms(e), _never
    if expanded_terms(expr) <= EXPAND_BOUND:
        polynomial = is_polynomial(expr)
        # a polynomial cancels to its expanded form, over a denominator of 1: factoring
        # that denominator gives the polynomial back
        yield "cancel", lambda e, done: sympy.cancel(e), _longer if polynomial else _never
        yield (
            "factor_denominator",
            lambda e, done: factor_denominator(e, done.get("cancel")),
            _always if polynomial else _never,
        )
        yield "expand", lambda e, done: sympy.expand(e), _longer


def _never(expr, best_size, done):
    return False


def _always(expr, best_size, done):
    return True


def _longer(expr, best_size, done):
    """Whether ``expr``'s expanded form is at least ``best_size`` long (a tie keeps the best)."""
    if "expanded size" not in done:
        try:
            done["expanded size"] = expanded_size(expr)
        except RecursionError:  # functions nested too deep to size inside out: climb
            done["expanded size"] = 0
    return done["expanded size"] >= best_size


def closed_form(expr):
    """The shortest of a few equal rewritings of ``expr``, and how far the ladder went.

    Returns ``(expr, status)``: status is "" when every rung was tried, or
    says honestly why the result may be less simplified (but equal).
    """
    expr = tame_numbers(expr)
    if expr.is_Atom:  # no rewriting is shorter than one symbol or number
        return expr, ""
    if tree_size(expr) > LADDER_BOUND:
        return expr, f"not simplified: larger than {LADDER_BOUND} operations"
    try:
        return _climbed(expr), ""
    except _PartlySimplified as partly:
        return partly.best, f"partly simplified: {', '.join(partly.skipped)} ran out of time"


# typed: sympy 1.12 has Float(2.0) == Integer(2), with one hash (an expression that
# contains them tells them apart); equal expressions otherwise have the same closed form
@functools.lru_cache(maxsize=LADDER_CACHE, typed=True)
def _climbed(expr):
    """The shortest rung's result; raises :class:`_PartlySimplified`, which is not cached."""
    best, best_size, skipped, done = expr, _size(expr), [], {}
    for name, rewrite, futile in _rungs(expr):
        try:
            with time_limit(RUNG_SECONDS):
                if futile(expr, best_size, done):
                    continue
                candidate = done[name] = rewrite(expr, done)
        except _OutOfTime:
            skipped.append(name)
            continue
        size = _size(candidate)
        if size < best_size and not has_infinity(candidate):
            best, best_size = candidate, size
    if skipped:
        raise _PartlySimplified(best, skipped)
    return best
