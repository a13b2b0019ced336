"""Checking hand-derived gradients against the paths (``pathgrad check``).

A student writes ∂L/∂w1 by hand. :func:`check_answer` compares it with the
explanation: symbolically, at the file's values, and path by path, saying
which paths the answer has, which it misses and which of its terms lie on no
path:

>>> from pathgrad import explain
>>> e = explain("seed", wrt=["w1"])
>>> check_answer(e, "w1", "-w2*x1 - w3*x2").verdict
'right'
>>> print(check_answer(e, "w1", "-w2*x1").message)
your answer is path 1 only; it misses path 2: -w3*x2
>>> print(check_answer(e, "w1", "-w2*x1 + w3*x2").message)
your answer is path 1; your term w3*x2 is path 2 (-w3*x2) with the wrong sign

Answers are read without ``eval`` (:mod:`pathgrad.grade.answers`); tables and
folders of files are :mod:`pathgrad.grade.folders`.
"""

import itertools
import math
import random
from dataclasses import dataclass, field

import sympy

from pathgrad.errors import NameNotFound
from pathgrad.functions import SYMPY_NAMES
from pathgrad.grade.answers import parse_answer
from pathgrad.sums.simplify import expanded_terms

MAX_TERMS = 64


#: Random points at which expressions are compared when sympy cannot decide.
SAMPLES = 6


@dataclass
class AnswerCheck:
    """How a hand-derived gradient compares with the explanation.

    ``verdict`` is "right", "partial" or "wrong"; ``symbolic`` is "equal",
    "equal at N random points", "differ" or "undetermined". Paths are
    numbered from 1 as in the explanation; ``missing`` lists the paths the
    answer does not have, ``extra`` its terms that are on no path, and
    ``near`` the terms that are a path with the wrong sign, a wrong number or
    a missing or extra factor: ``(path, term, ratio)`` with term = ratio × path.
    """

    leaf: str
    answer: str
    parsed: sympy.Expr
    expected: sympy.Expr
    verdict: str
    symbolic: str
    value: float | None
    expected_value: float | None
    path_count: int
    matched: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    near: list = field(default_factory=list)
    message: str = ""

    def as_row(self, file=None):
        """The check as a report row (see :data:`ROW_FIELDS`)."""
        return {
            "file": file,
            "leaf": self.leaf,
            "answer": self.answer,
            "verdict": self.verdict,
            "expected": str(self.expected),
            "value": self.value,
            "expected_value": self.expected_value,
            "matched": list(self.matched),
            "missing": list(self.missing),
            "extra": [str(t) for t in self.extra] + [str(t) for _, t, _ in self.near],
            "message": self.message,
        }


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


def _number(expr, point):
    """The value of ``expr`` at ``point`` as a float, or ``None`` if undefined or not real."""
    try:
        value = _float(expr, point)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, KeyError):
        return None
    return value if math.isfinite(value) else None


def _close(a, b):
    return abs(a - b) <= 1e-8 * max(1.0, abs(a), abs(b))


def _points(symbols, values, seed):
    """Random points with mixed signs, then near the file's values, for numeric comparison."""
    rng = random.Random(seed)
    for _ in range(4 * SAMPLES):
        yield {s: rng.choice((-1, 1)) * rng.uniform(0.3, 2.0) for s in symbols}
    for _ in range(2 * SAMPLES):
        yield {s: (values.get(s) or 1.0) * rng.uniform(0.6, 1.4) for s in symbols}


def _valid_points(expressions, values, seed):
    """Up to SAMPLES points where every expression has a real value, and those values."""
    symbols = sorted(set().union(*(e.free_symbols for e in expressions)), key=str)
    points, table = [], []
    for point in _points(symbols, values, seed):
        row = [_number(e, point) for e in expressions]
        if None not in row:
            points.append(point)
            table.append(row)
            if len(points) == SAMPLES:
                break
    return points, [list(column) for column in zip(*table)] if table else [[] for _ in expressions]


def _same(a, b, values, seed=0):
    """Compare two expressions: "equal", "equal at N random points", "differ", "undetermined"."""
    difference = a - b
    if difference == 0:
        return "equal"
    if expanded_terms(difference) <= 4 * MAX_TERMS and sympy.expand(difference) == 0:
        return "equal"
    points, (left, right) = _valid_points([a, b], values, seed)
    if len(points) < 3:
        return "undetermined"
    if all(_close(x, y) for x, y in zip(left, right)):
        return f"equal at {len(points)} random points"
    return "differ"


def _expanded(terms):
    """Each term expanded into monomials, where that stays small."""
    result = []
    for term in terms:
        small = expanded_terms(term) <= MAX_TERMS
        result += sympy.Add.make_args(sympy.expand(term)) if small else [term]
    return [t for t in result if t != 0]


#: Sets of terms tried, in all, when matching an answer's terms with paths.
MATCH_BUDGET = 50_000


#: Term-path pairs compared symbolically when looking for near misses.
NEAR_MISS_BUDGET = 200


def _subset_summing(columns, target, budget):
    """Indices of the fewest (at most 4) columns whose sum is ``target`` at every point.

    ``budget`` is a one-item list: the combinations still allowed, shared by every call.
    """
    for size in range(1, min(4, len(columns)) + 1):
        for chosen in itertools.combinations(range(len(columns)), size):
            budget[0] -= 1
            if budget[0] < 0:
                return None
            sums = [sum(columns[i][k] for i in chosen) for k in range(len(target))]
            if all(_close(s, t) for s, t in zip(sums, target)):
                return chosen
    return None


class _Matcher:
    """Which paths an answer's terms sum to, compared at a few random points.

    Paths with equal products form one group; a group of k paths is matched
    c times (c = k, k-1, ..., 1) by the fewest terms summing to c × product,
    first with the answer's terms as written, then with what is left
    expanded into monomials. What is still left is compared with each
    unmatched path: a term that is a path times a number or a simple factor
    is a near miss (a wrong sign, a missing factor), anything else is extra.
    """

    def __init__(self, products, answer, values, seed):
        self.products = products
        self.points, _ = _valid_points([*products, answer], values, seed)
        self.budget = [MATCH_BUDGET]

    def column(self, expr):
        values = [_number(expr, point) for point in self.points]
        return None if None in values else values

    def run(self, answer):
        if len(self.points) < 2:
            return None
        groups = []  # [product column, path indices]
        for i, product in enumerate(self.products):
            column = self.column(product)
            for group in groups:
                if all(_close(a, b) for a, b in zip(group[0], column)):
                    group[1].append(i)
                    break
            else:
                groups.append([column, [i]])
        matched = [
            i for column, members in groups if all(_close(v, 0) for v in column) for i in members
        ]  # a path whose product is 0 is in every answer
        groups = [g for g in groups if not all(_close(v, 0) for v in g[0])]
        terms, found = self._assign(
            groups, [t for t in sympy.Add.make_args(answer) if t != 0], matched
        )
        matched += found
        groups = [g for g in groups if not set(g[1]) <= set(matched)]
        if groups and terms:  # what is left, expanded: kept only if that matches more
            expanded, found = self._assign(groups, _expanded(terms), matched)
            if found:
                terms, matched = expanded, matched + found
        missing = [i for i in range(len(self.products)) if i not in matched]
        return (sorted(matched), *self._near(terms, missing))

    def _assign(self, groups, terms, matched):
        columns = [self.column(t) for t in terms]
        usable = [i for i, c in enumerate(columns) if c is not None]
        found = []
        for column, members in groups:
            members = [m for m in members if m not in matched]
            for count in range(len(members), 0, -1):
                chosen = _subset_summing(
                    [columns[i] for i in usable], [count * v for v in column], self.budget
                )
                if chosen is not None:
                    found += members[:count]
                    usable = [u for j, u in enumerate(usable) if j not in chosen]
                    break
        left = set(usable) | {i for i, c in enumerate(columns) if c is None}
        return [t for i, t in enumerate(terms) if i in left], found

    def _near(self, terms, missing):
        """Near misses and extra terms: first all that is left at once, then term by term."""
        if not terms or not missing or len(terms) * len(missing) > NEAR_MISS_BUDGET:
            return terms, []
        whole = _near_miss(sympy.Add(*terms), [(i, self.products[i]) for i in missing])
        if whole is not None and len(terms) > 1:
            return [], [whole]
        near, extra = [], []
        for term in terms:
            taken = {n[0] for n in near}
            miss = _near_miss(term, [(i, self.products[i]) for i in missing if i not in taken])
            (near if miss else extra).append(miss or term)
        return extra, near


def _ratio(term, product):
    """``term / product`` with common factors cancelled, if it is simple, else ``None``.

    Simple: a number, or (up to sign) a few factors too many or too few.
    """
    ratio = sympy.factor_terms(term) / sympy.factor_terms(product)
    if not ratio.is_number and expanded_terms(ratio) <= MAX_TERMS:
        cancelled = sympy.cancel(ratio)
        ratio = cancelled if sympy.count_ops(cancelled) < sympy.count_ops(ratio) else ratio
    if ratio == 0 or ratio.has(sympy.zoo, sympy.nan):
        return None
    if ratio.is_number:
        return ratio
    numerator, denominator = sympy.fraction(ratio)
    if _unsigned(numerator)[1] == 1 and sympy.count_ops(denominator) <= 8:
        return ratio
    if _unsigned(denominator)[1] == 1 and sympy.count_ops(numerator) <= 8:
        return ratio
    return None


def _near_miss(term, candidates):
    """``(path, term, ratio)`` for the candidate path that ``term`` is closest to, or ``None``."""
    best = None
    for i, product in candidates:
        if product == 0 or term == 0:
            continue
        ratio = _ratio(term, product)
        if ratio is not None and (
            best is None or sympy.count_ops(ratio) < sympy.count_ops(best[2])
        ):
            best = (i, term, ratio)
    return best


def _unsigned(expr):
    """``(negative, |expr|)`` for a product with a numeric coefficient: -w1 -> (True, w1)."""
    coefficient, rest = expr.as_coeff_Mul()
    return coefficient < 0, abs(coefficient) * rest


def _describe_near(number, term, product, ratio):
    what = f"your term {term} is path {number} ({product})"
    if ratio == -1:
        return f"{what} with the wrong sign"
    if ratio.is_number:
        return f"{what} times {ratio}"
    numerator, denominator = sympy.fraction(ratio)
    (top_negative, top), (bottom_negative, bottom) = _unsigned(numerator), _unsigned(denominator)
    sign = ", with the wrong sign" if top_negative != bottom_negative else ""
    if top == 1:
        return f"{what} without the factor {bottom}{sign}"
    if bottom == 1:
        return f"{what} with an extra factor {top}{sign}"
    return f"{what} times {ratio}"


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _paths_text(numbers):
    numbers = [str(n) for n in numbers]
    if len(numbers) == 1:
        return f"path {numbers[0]}"
    return "paths " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _message(check, products):
    """The sentence for an answer that is not right (paths numbered from 1)."""
    parts = []
    if len(check.matched) == len(products):
        parts.append(
            "your answer has the path"
            if len(products) == 1
            else f"your answer has all {len(products)} paths"
        )
    elif check.matched:
        only = " only" if not check.extra and not check.near else ""
        parts.append(f"your answer is {_paths_text(check.matched)}{only}")
    else:
        parts.append("your answer matches no path")
    parts += [_describe_near(n, term, products[n - 1], ratio) for n, term, ratio in check.near]
    near = {n for n, _, _ in check.near}
    unexplained = [n for n in check.missing if n not in near]
    if unexplained:
        parts.append(
            "it misses " + " and ".join(f"path {n}: {products[n - 1]}" for n in unexplained)
        )
    if len(check.extra) == 1:
        parts.append(f"its term {check.extra[0]} is on no path")
    elif check.extra:
        parts.append("its terms " + ", ".join(map(str, check.extra)) + " are on no path")
    return "; ".join(parts)


def gradient_for(explanation, leaf):
    if leaf not in explanation.gradients:
        names = ", ".join(explanation.gradients) or "none"
        raise NameNotFound(
            f"--wrt {leaf}: no gradient for {leaf} (explained: {names})", file=explanation.file
        )
    return explanation.gradients[leaf]


def check_answer(explanation, leaf, answer):
    """Compare a hand-derived ∂loss/∂leaf with the explanation, path by path.

    Parameters
    ----------
    explanation : Explanation
        From :func:`pathgrad.explain` (with ``max_paths`` at least the number
        of paths, e.g. :data:`MAX_PATHS_CHECKED`, for a path-by-path verdict).
    leaf : str
        The leaf the answer differentiates by.
    answer : str
        The student's formula, e.g. ``"-w2*x1 - w3*x2"``.

    Returns
    -------
    AnswerCheck

    Raises
    ------
    AnswerError
        The answer cannot be read.
    NameNotFound
        The explanation has no gradient for ``leaf``.

    Examples
    --------
    >>> from pathgrad import explain
    >>> e = explain("reuse", wrt=["a"])
    >>> c = check_answer(e, "a", "a + 1")
    >>> c.verdict, c.matched, c.missing
    ('partial', [1, 3], [2])
    >>> print(c.message)
    your answer is paths 1 and 3 only; it misses path 2: a
    """
    from pathgrad.gradient import InLeaves
    from pathgrad.sums.check import CHECK_BOUND

    gradient, graph = gradient_for(explanation, leaf), explanation.graph
    parsed = parse_answer(answer, graph)
    values = {
        d["symbol"]: d["value"]
        for _, d in graph.nodes(data=True)
        if d["kind"] == "leaf" and d["value"] is not None
    }
    in_leaves = InLeaves(graph)  # intermediate names replaced; None if too large

    def leaf_form(expr):
        return in_leaves(expr, CHECK_BOUND)

    expected = leaf_form(gradient.closed_form)
    seed = f"{leaf}:{answer}"
    symbolic = "undetermined" if expected is None else _same(parsed, expected, values, seed)
    value = _number(parsed, values) if parsed.free_symbols <= set(values) else None
    check = AnswerCheck(
        leaf=leaf,
        answer=answer,
        parsed=parsed,
        expected=gradient.closed_form,
        verdict="wrong",
        symbolic=symbolic,
        value=value,
        expected_value=gradient.value,
        path_count=gradient.path_count,
    )
    loss, count = explanation.loss, gradient.path_count
    if symbolic.startswith("equal"):
        check.verdict = "right"
        check.matched = list(range(1, count + 1)) if count == gradient.paths_listed else []
        written = "" if str(parsed) == str(gradient.closed_form) else " (written differently)"
        check.message = (
            f"right{written}: d{loss}/d{leaf} = {gradient.closed_form}, the sum of "
            f"{plural(count, 'path')}"
        )
        return check
    products = [leaf_form(p.product) for p in gradient.paths]
    differs = f"your answer differs from d{loss}/d{leaf} = {gradient.closed_form}"
    if count != len(products) or None in products:
        check.message = (
            f"{differs}; its {plural(count, 'path')} are too many or too large "
            "to compare one by one"
        )
        return check
    result = _Matcher(products, parsed, values, seed).run(parsed)
    if result is None:
        check.message = f"{differs}; it has no value at enough points to compare it path by path"
        return check
    matched, check.extra, near = result
    check.matched = [i + 1 for i in matched]
    check.near = [(i + 1, term, ratio) for i, term, ratio in near]
    check.missing = [i + 1 for i in range(count) if i not in matched]
    check.verdict = "partial" if check.matched else "wrong"
    check.message = _message(check, products)
    # a leaf of the file that the loss does not use is an edgeless node: not in L's graph
    used = {d["symbol"] for n, d in graph.nodes(data=True) if graph.degree(n) or d["name"] == loss}
    strangers = sorted(str(s) for s in parsed.free_symbols if s not in used)
    if strangers:
        check.message += (
            f"; {', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} "
            f"not in the graph of {loss}"
        )
    if value is not None and gradient.value is not None and _close(value, gradient.value):
        check.message += f"; it has the right value ({gradient.value:g}) at the file's values only"
    return check
