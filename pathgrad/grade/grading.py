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

Answers are read without ``eval``: the text is parsed by Python's own parser
into a syntax tree, every node is checked against a small whitelist
(numbers, the graph's names, ``+ - * / **`` and ``^``, and a few functions),
and the sympy expression is built from the tree directly. Numbers and
exponents are bounded, so an answer cannot make sympy work for long.

:func:`check_answers_table` checks a CSV of answers; :func:`grade_folder`
checks a folder of student files, each in its own process in safe mode, with
its own time and memory bound, in parallel, in a stable order.
"""

import ast
import csv
import io
import itertools
import json
import math
import os
import random
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath

import sympy

from pathgrad.errors import AnswerError, NameNotFound, PathgradError, Stopped
from pathgrad.functions import SYMPY_NAMES
from pathgrad.render.escaping import csv_cell, json_visible, visible
from pathgrad.safe.sandbox import LIMITS, Limits, run_bounded
from pathgrad.sums.simplify import expanded_terms
from pathgrad.trace.loader import entry_problem

#: Paths listed per gradient when checking, so that answers can be compared path by path.
MAX_PATHS_CHECKED = 64
#: Bounds on an answer's text, nesting, exact numbers and terms.
MAX_ANSWER_LENGTH = 2_000
MAX_ANSWER_DEPTH = 60
MAX_NUMBER_BITS = 10_000
MAX_TERMS = 64
MAX_SYMBOLIC_EXPONENT = 64
#: Random points at which expressions are compared when sympy cannot decide.
SAMPLES = 6
#: Functions an answer may use, by the names students write.
FUNCTIONS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "sech": sympy.sech,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "sign": sympy.sign,
    "max": sympy.Max,
    "Max": sympy.Max,
    "min": sympy.Min,
    "Min": sympy.Min,
    "Heaviside": sympy.Heaviside,
    **SYMPY_NAMES,
}
#: Verdicts in a report, and what each means.
VERDICTS = {
    "right": "the answer equals the gradient",
    "partial": "some paths are right, some are missing or wrong",
    "wrong": "no path of the answer is right",
    "invalid": "the answer cannot be read",
    "error": "the file cannot be explained (see message)",
    "timeout": "the file was stopped at its time limit",
    "memory": "the file was stopped at its memory limit",
    "explained": "no answer given; the gradient is reported",
}
#: Columns of a report, in order.
ROW_FIELDS = (
    "file",
    "leaf",
    "answer",
    "verdict",
    "expected",
    "value",
    "expected_value",
    "matched",
    "missing",
    "extra",
    "message",
)


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


# -- reading an answer --------------------------------------------------------------
_NORMALISE = str.maketrans({"^": "**", "·": "*", "×": "*", "−": "-", "∗": "*"})
_ATTRIBUTE = re.compile(r"[A-Za-z_)\]]\s*\.|\.\s*[A-Za-z_(]")
_BINARY = {
    ast.Add: sympy.Add,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: sympy.Mul,
    ast.Div: lambda a, b: a / b,
    ast.Pow: sympy.Pow,
}


def _names(graph):
    """What an answer may call each node of the graph: leaves by symbol, others by leaf form."""
    names = {}
    for _, data in graph.nodes(data=True):
        symbol = data["symbol"]
        if data["kind"] == "leaf":
            names[data["name"]] = symbol
        elif symbol.is_Symbol and data["expr"] is not None:
            names[data["name"]] = data["expr"]
    return names


def parse_answer(text, graph):
    """A sympy expression from an answer's text, in the graph's leaf symbols.

    Names are the graph's leaves (and named intermediates, replaced by what
    they are in leaf symbols) and the functions in :data:`FUNCTIONS`; any
    other name is a symbol on no path. ``^``, ``·`` and ``−`` are read as
    ``**``, ``*`` and ``-``.

    Raises
    ------
    AnswerError
        Anything else: attribute access, strings, unknown names, a number
        or an exponent too large, an answer too long or too deeply nested.

    Examples
    --------
    >>> from pathgrad import explain
    >>> graph = explain("seed", wrt=["w1"]).graph
    >>> parse_answer("2w1", graph)
    Traceback (most recent call last):
    ...
    pathgrad.errors.AnswerError: cannot read the answer: invalid decimal literal; write \
products with *, e.g. 2*w1
    >>> parse_answer("-(w2*x1 + w3*x2)", graph)
    -w2*x1 - w3*x2
    """
    if not isinstance(text, str) or not text.strip():
        raise AnswerError("the answer is empty")
    if len(text) > MAX_ANSWER_LENGTH:
        raise AnswerError(f"the answer is longer than {MAX_ANSWER_LENGTH} characters")
    text = text.strip().translate(_NORMALISE)
    for bad in ("__", "lambda", ";", "=", ":", "'", '"', "[", "{", "\\", "@", "!"):
        if bad in text:
            raise AnswerError(
                f"the answer may not contain {bad!r}; write a formula such as -w2*x1 - w3*x2"
            )
    if _ATTRIBUTE.search(text):
        raise AnswerError("the answer may not contain '.' except in numbers")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as err:
        raise AnswerError(
            f"cannot read the answer: {err.msg}; write products with *, e.g. 2*w1"
        ) from None
    except (ValueError, MemoryError, RecursionError):
        raise AnswerError("cannot read the answer: it is too long or too deeply nested") from None
    return _Reader(_names(graph)).read(tree.body, 0)


class _Reader:
    """Builds a sympy expression from a whitelisted syntax tree, bounding numbers."""

    def __init__(self, names):
        self.names = names

    def read(self, node, depth):
        if depth > MAX_ANSWER_DEPTH:
            raise AnswerError(f"the answer is nested more than {MAX_ANSWER_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self._number(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in FUNCTIONS:
                raise AnswerError(f"{node.id} is a function; write {node.id}(...)")
            return sympy.Symbol(node.id, real=True)  # not in the graph: on no path
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.read(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._sum(node, depth)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.read(node.left, depth + 1), self.read(node.right, depth + 1)
            self._bound(node.op, left, right)
            return _BINARY[type(node.op)](left, right)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and node.args
            and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args)
        ):
            arguments = [self.read(a, depth + 1) for a in node.args]
            try:
                return FUNCTIONS[node.func.id](*arguments)
            except (TypeError, ValueError) as err:
                raise AnswerError(f"{node.func.id}() cannot take these arguments: {err}") from None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            raise AnswerError(
                f"unknown function {node.func.id}() in the answer (functions: "
                + ", ".join(sorted(FUNCTIONS))
                + ")"
            )
        raise AnswerError(
            f"the answer may only use numbers, names, + - * / ** and "
            f"functions, not {type(node).__name__}"
        )

    def _sum(self, node, depth):
        """``a + b - c + ...``: a long sum is long, not deep (its left spine is walked)."""
        terms = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            term = self.read(node.right, depth + 1)
            terms.append(-term if isinstance(node.op, ast.Sub) else term)
            node = node.left
        terms.append(self.read(node, depth + 1))
        return sympy.Add(*reversed(terms))

    @staticmethod
    def _number(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AnswerError(f"the answer may only contain numbers, not {value!r:.20}")
        if isinstance(value, int):
            if value.bit_length() > MAX_NUMBER_BITS:
                raise AnswerError("a number in the answer is too large")
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise AnswerError(f"the answer contains {value}")
        from pathgrad.graph import constant

        return constant(value)

    @staticmethod
    def _bound(op, left, right):
        """Refuse powers and products of exact numbers that would be too large to compute."""
        if not isinstance(op, (ast.Pow, ast.Mult)):
            return
        if isinstance(op, ast.Pow) and right.is_number:
            bound = LIMITS.max_exponent if left.is_number else MAX_SYMBOLIC_EXPONENT
            if not right.is_finite or abs(float(right)) > bound:
                shown = f" {right}" if len(str(right)) <= 20 else ""
                raise AnswerError(f"the exponent{shown} is larger than {bound:g}")
        if left.is_Rational and right.is_Rational:
            bits = max(abs(left.p).bit_length(), left.q.bit_length())
            size = (
                bits * abs(float(right))
                if isinstance(op, ast.Pow)
                else bits + max(abs(right.p).bit_length(), right.q.bit_length())
            )
            if size > MAX_NUMBER_BITS:
                raise AnswerError("a number in the answer is too large")


# -- comparing -------------------------------------------------------------------------
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


def _plural(count, noun):
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


def _gradient(explanation, leaf):
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
    from pathgrad.explanation import InLeaves
    from pathgrad.sums.check import CHECK_BOUND

    gradient, graph = _gradient(explanation, leaf), explanation.graph
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
            f"{_plural(count, 'path')}"
        )
        return check
    products = [leaf_form(p.product) for p in gradient.paths]
    differs = f"your answer differs from d{loss}/d{leaf} = {gradient.closed_form}"
    if count != len(products) or None in products:
        check.message = (
            f"{differs}; its {_plural(count, 'path')} are too many or too large "
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


# -- tables of answers and folders of files ------------------------------------------
#: Default per-file bounds of :func:`grade_folder`.
TIMEOUT_SECONDS = 30.0
#: What the workers of one :func:`grade_folder` may use at once, in all (MiB): each may use
#: ``memory_mib``, so at most ``TOTAL_MEMORY_MIB // memory_mib`` run together (at least one).
TOTAL_MEMORY_MIB = 4096
#: Rows a table of answers may have.
MAX_TABLE_ROWS = 100_000


def _row(file, leaf, answer, verdict, message, **more):
    row = dict.fromkeys(ROW_FIELDS)
    row.update(
        file=file,
        leaf=leaf,
        answer=answer,
        verdict=verdict,
        message=message,
        matched=[],
        missing=[],
        extra=[],
        **more,
    )
    return row


def _explained_row(file, explanation, leaf):
    gradient = _gradient(explanation, leaf)
    shown = "?" if gradient.value is None else f"{gradient.value:g}"
    return _row(
        file,
        leaf,
        None,
        "explained",
        f"d{explanation.loss}/d{leaf} = {gradient.closed_form} = {shown}, the sum of "
        f"{_plural(gradient.path_count, 'path')}",
        expected=str(gradient.closed_form),
        expected_value=gradient.value,
    )


def check_rows(explanation, checks, file=None):
    """Report rows for ``checks``, a list of ``(leaf, answer)``; answer ``None`` explains.

    An answer that cannot be read, or a leaf without a gradient, gives an
    "invalid" row; nothing is raised.
    """
    rows = []
    for leaf, answer in checks:
        leaves = list(explanation.gradients) if leaf is None else [leaf]
        for name in leaves:
            try:
                if answer is None:
                    rows.append(_explained_row(file, explanation, name))
                else:
                    rows.append(check_answer(explanation, name, answer).as_row(file))
            except PathgradError as err:
                rows.append(_row(file, name, answer, "invalid", err.message))
    return rows


def _explain(path, leaves, loss, safe):
    from pathgrad.explanation import explain_program
    from pathgrad.trace.loader import load

    program = load(str(path), loss, safe=safe)
    wrt = sorted(set(leaves)) if leaves and None not in leaves else None
    try:
        return explain_program(program, wrt=wrt, max_paths=MAX_PATHS_CHECKED)
    except NameNotFound:  # a leaf that is not there: every other answer is still checked
        return explain_program(program, max_paths=MAX_PATHS_CHECKED)


def check_file(path, checks, loss=None, safe=True, limits=None):
    """Explain one file and check ``(leaf, answer)`` pairs against it: report rows.

    In safe mode (the default) the file is read here and loaded, explained
    and checked in a bounded worker process (:func:`pathgrad.safe.sandbox.run_bounded`
    with ``limits``, default :func:`pathgrad.safe.sandbox.active`).

    Raises :class:`~pathgrad.errors.PathgradError` when the file itself
    cannot be explained, or :class:`~pathgrad.safe.sandbox.Stopped` at a bound
    (exit status 2); answers that cannot be read give "invalid" rows.

    >>> rows = check_file("seed", [("w1", "-w2*x1"), ("w2", "-w1*x1")])
    >>> [(r["leaf"], r["verdict"]) for r in rows]
    [('w1', 'partial'), ('w2', 'right')]
    """
    if not safe:
        explanation = _explain(path, [leaf for leaf, _ in checks], loss, safe)
        return check_rows(explanation, checks, str(path))
    from pathgrad.trace.loader import read_source

    text, name = read_source(str(path), safe=True)
    request = {"text": text, "file": name, "checks": checks, "loss": loss}
    return run_bounded("pathgrad.grade.grading:_check_source", request, limits, file=name)


def _check_source(request):
    """In the worker: explain the text of one file and check its answers (rows)."""
    from pathgrad.explanation import explain_program
    from pathgrad.trace.loader import load_source

    checks = [tuple(c) for c in request["checks"]]
    program = load_source(request["text"], request["file"], request["loss"], safe=True)
    leaves = [leaf for leaf, _ in checks]
    wrt = sorted(set(leaves)) if leaves and None not in leaves else None
    try:
        explanation = explain_program(program, wrt=wrt, max_paths=MAX_PATHS_CHECKED)
    except NameNotFound:  # a leaf that is not there: every other answer is still checked
        explanation = explain_program(program, max_paths=MAX_PATHS_CHECKED)
    return check_rows(explanation, checks, request["file"])


def _table_name(table):
    return getattr(table, "name", "<answers>") if hasattr(table, "read") else str(table)


def read_answers(table, wrt=None):
    """Read a CSV of answers: columns ``leaf,answer`` or ``file,leaf,answer``.

    ``leaf`` may be left out when ``wrt`` names the one leaf every answer is
    for. Returns dicts with keys ``file`` (or ``None``), ``leaf``, ``answer``.

    >>> read_answers(io.StringIO("leaf,answer\\nw1,-w2*x1\\n"))
    [{'file': None, 'leaf': 'w1', 'answer': '-w2*x1'}]
    """
    from pathgrad.errors import LoadError

    name = _table_name(table)
    if hasattr(table, "read"):
        return _answer_rows(table, name, wrt)
    try:
        with open(table, newline="", encoding="utf-8-sig") as handle:
            return _answer_rows(handle, name, wrt)
    except OSError as err:
        raise LoadError(f"cannot read the answers table: {err.strerror}", file=name) from None


def _answer_rows(handle, name, wrt):
    from pathgrad.errors import LoadError

    try:
        reader = csv.DictReader(handle)
        if "answer" not in [c.strip().lower() for c in reader.fieldnames or []]:
            raise LoadError(
                "the answers table needs a header with an answer column "
                "(leaf,answer or file,leaf,answer)",
                file=name,
                line=1,
            )
        rows = []
        for number, record in enumerate(reader, start=2):
            if number > MAX_TABLE_ROWS + 1:
                raise LoadError(f"more than {MAX_TABLE_ROWS} answers", file=name)
            record = {
                k.strip().lower(): (v or "").strip()
                for k, v in record.items()
                if isinstance(k, str)
            }
            leaf = record.get("leaf") or wrt
            if not leaf or "answer" not in record:
                raise LoadError(
                    "each row needs a leaf and an answer (columns leaf,answer or file,leaf,answer)",
                    file=name,
                    line=number,
                )
            rows.append(
                {"file": record.get("file") or None, "leaf": leaf, "answer": record["answer"]}
            )
    except (csv.Error, UnicodeDecodeError) as err:
        raise LoadError(f"cannot read the answers table: {err}", file=name) from None
    return rows


def check_answers_table(table, file=None, wrt=None, loss=None, safe=True, limits=None):
    """Check a CSV of answers (see :func:`read_answers`): report rows in the table's order.

    With ``file``, every answer is about that file; otherwise each row names
    its file (relative to the table's folder). Each file is explained once
    (in safe mode, in its own bounded worker process, with ``limits``); a
    file that cannot be explained gives "error" rows, one stopped at a bound
    "timeout" or "memory" rows.
    """
    entries = read_answers(table, wrt)
    base = Path() if hasattr(table, "read") else Path(table).parent
    by_file, refusals = {}, {}
    for number, entry in enumerate(entries):
        path = file if file is not None else entry["file"]
        if path is None:
            from pathgrad.errors import LoadError

            raise LoadError(
                "the answers table has no file column; give the file", file=_table_name(table)
            )
        if (
            file is not None
            and entry["file"] is not None
            and not _same_file(entry["file"], file, base)
        ):
            refusals[number] = _row(
                str(file),
                entry["leaf"],
                entry["answer"],
                "error",
                f"this row is about {entry['file']}, not {file}; give the folder to check a "
                "table of several files",
            )
            continue
        if file is None:
            refused = _refusal(path, base)
            path = str(path) if PurePosixPath(path).is_absolute() else str(base / path)
            if refused:
                refusals[number] = _row(
                    path, entry["leaf"], entry["answer"], "error", f"{entry['file']}: {refused}"
                )
                continue
        by_file.setdefault(str(path), []).append((number, entry))
    rows = [None] * len(entries)
    for number, row in refusals.items():
        rows[number] = row
    for path, mine in by_file.items():
        checks = [(entry["leaf"], entry["answer"]) for _, entry in mine]
        try:
            found = check_file(path, checks, loss, safe, limits)
        except Stopped as stop:
            found = _failed(path, checks, _STOPPED[stop.kind], str(stop))
        except PathgradError as err:
            found = _failed(path, checks, "error", str(err))
        for (number, _), row in zip(mine, found):  # one row per answer with its leaf
            rows[number] = row
    return rows


def _same_file(entry, file, base):
    """Whether a table's ``file`` cell names ``file`` (by its name, or as a path from the
    table's folder: nothing is opened)."""
    given = Path(file)
    return entry in (given.name, given.stem) or (base / entry).resolve() == given.resolve()


def _outside(name):
    """Why a table may not name this file: an absolute path or ``..`` (``None`` if neither)."""
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).anchor:
        return "an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "a path with '..'"
    return None


def _refusal(name, base):
    """Why an answers table may not name ``name`` (relative to ``base``), or ``None``.

    Absolute paths and ``..`` are refused before anything is looked at; then
    every part of the path is looked at with ``lstat`` (nothing is opened or
    followed): a symbolic link or anything but a regular file is refused.
    """
    outside = _outside(name)
    if outside:
        return f"refused: an answers table may only name files in its own folder, not {outside}"
    path, parts = base, PurePosixPath(name).parts
    for number, part in enumerate(parts, start=1):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None  # not there: explaining it says so
        kind = entry_problem(mode)
        if kind and (stat.S_ISLNK(mode) or number == len(parts)):
            return f"refused: {kind}"
    return None


def _entries(folder):
    """Every ``*.py`` entry of ``folder``, by name: ``(name, why it is not graded or None)``.

    Entries are looked at with ``lstat`` only: a symbolic link is never
    followed, and a FIFO, a folder or a device is never opened, so nothing
    blocks the teacher's process and nothing outside the folder is read.
    """
    entries = []
    with os.scandir(folder) as listing:
        for entry in listing:
            if entry.name.endswith(".py"):
                try:
                    problem = entry_problem(entry.stat(follow_symlinks=False).st_mode)
                except OSError as err:
                    problem = f"cannot be read: {err.strerror}"
                entries.append((entry.name, problem))
    return sorted(entries)


def _checks_for(name, stem, wrt, answers):
    """The ``(leaf, answer)`` pairs for one file of a folder."""
    leaves = [wrt] if isinstance(wrt, str) else list(wrt or [None])
    if answers is None:
        return [(leaf, None) for leaf in leaves]
    if isinstance(answers, str):
        return [(leaf, answers) for leaf in leaves]
    if isinstance(answers, list):  # rows of read_answers; a file without any is explained
        # rows without a file column (leaf,answer) are the answers for every file
        mine = [(r["leaf"], r["answer"]) for r in answers if r["file"] in (name, stem, None)]
        return mine or [(leaf, None) for leaf in leaves]
    mine = answers.get(name, answers.get(stem))
    if mine is None:
        return [(leaf, None) for leaf in leaves]
    if isinstance(mine, str):
        return [(leaf, mine) for leaf in leaves]
    return list(mine.items())


def grade_folder(
    folder,
    wrt=None,
    answers=None,
    jobs=None,
    timeout=TIMEOUT_SECONDS,
    memory_mib=LIMITS.memory_mib,
    loss=None,
    total_memory_mib=TOTAL_MEMORY_MIB,
):
    """Check every ``*.py`` file of a folder, each in its own process, in safe mode.

    Parameters
    ----------
    folder : str or Path
        The student files (``*.py``, not recursive).
    wrt : str or list of str, optional
        The leaf (or leaves) to check; default every leaf.
    answers : None, str, dict, or Path
        ``None``: report each gradient. A formula: the answer for every
        file. A dict: file name (or stem) → formula, or → {leaf: formula}.
        A :class:`pathlib.Path`: a CSV with columns ``file,leaf,answer``
        (``leaf`` optional with ``wrt``); files not in it are reported.
    jobs : int, optional
        Files checked at once (default: the machine's cores), and never more
        than ``total_memory_mib // memory_mib`` (see :func:`workers_at_once`).
    timeout : float
        Wall-time bound per file, in seconds (the process is killed).
    memory_mib : int
        Address-space bound per file (``RLIMIT_AS``; not on Windows).
    total_memory_mib : int
        What all the workers running at once may use together (default 4096 MiB).

    Returns
    -------
    list of dict
        Rows (see :data:`ROW_FIELDS`) sorted by file, then in answer order;
        a file that fails, hangs or runs out of memory gives rows with
        verdict "error", "timeout" or "memory" and never stops the rest.
    """
    from pathgrad.errors import LoadError

    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError("no such folder", file=str(folder))
    if isinstance(answers, Path):
        answers = read_answers(answers, wrt if isinstance(wrt, str) else None)
    entries = _entries(folder)
    work, rows = [], []
    for name, problem in entries:
        checks = _checks_for(name, name[: -len(".py")], wrt, answers)
        if problem:  # a row, and nothing opened
            rows += _failed(name, checks, "error", f"{name}: {problem}")
        else:
            work.append((folder / name, checks))
    if isinstance(answers, list):  # names in the table that are no entry of the folder
        known = {n for n, _ in entries} | {n[: -len(".py")] for n, _ in entries}
        unknown = {r["file"] for r in answers if r["file"] is not None and r["file"] not in known}
        for name in sorted(unknown, key=str):
            why = _outside(str(name))
            message = (
                f"{name}: refused: an answers table may only name files in the folder, not {why}"
                if why
                else f"{name}: no such file in the folder"
            )
            rows += _failed(
                str(name),
                [(r["leaf"], r["answer"]) for r in answers if r["file"] == name],
                "error",
                message,
            )
    limits = Limits(**{**LIMITS.as_dict(), "wall_time_seconds": timeout, "memory_mib": memory_mib})
    with ThreadPoolExecutor(
        max_workers=workers_at_once(jobs, memory_mib, total_memory_mib)
    ) as pool:
        results = pool.map(lambda item: _run_worker(item[0], item[1], loss, limits), work)
        rows += [row for result in results for row in result]
    return sorted(rows, key=lambda r: r["file"])  # stable: answer order within a file


#: The verdict of a file stopped at a bound, by the kind of bound.
_STOPPED = {"time": "timeout", "memory": "memory", "limit": "error"}


def workers_at_once(jobs, memory_mib, total_memory_mib=TOTAL_MEMORY_MIB):
    """How many worker processes :func:`grade_folder` runs together.

    ``jobs`` (default: the machine's cores), but never so many that their
    memory bounds add up to more than ``total_memory_mib``; always at least one.

    >>> workers_at_once(8, 1024), workers_at_once(None, 4096, 4096), workers_at_once(2, 256)
    (4, 1, 2)
    """
    wanted = jobs or os.cpu_count() or 1
    return max(1, min(wanted, total_memory_mib // max(1, memory_mib)))


def _run_worker(path, checks, loss, limits):
    """Check one file in a fresh Python process with its own time and memory bound."""
    name = path.name
    try:  # looked at again just before: an entry swapped since the listing is not followed
        problem = entry_problem(os.lstat(path).st_mode)
    except OSError:
        problem = "no such file in the folder"
    if problem:
        return _failed(name, checks, "error", f"{name}: {problem}")
    # by absolute path: the worker runs in a temporary folder of its own
    request = {"file": os.path.abspath(path), "name": name, "checks": checks, "loss": loss}
    try:
        return run_bounded("pathgrad.grade.grading:_worker", request, limits, file=name)
    except Stopped as stop:
        return _failed(name, checks, _STOPPED[stop.kind], stop.message)
    except RuntimeError as err:  # the worker died for another reason: still one row
        return _failed(name, checks, "error", str(err))


def _failed(name, checks, verdict, message):
    return [_row(name, leaf, answer, verdict, message) for leaf, answer in checks]


def _worker(request):
    """In the worker process (safe mode, bounded): explain the file, check the answers."""
    name, checks = request["name"], [tuple(c) for c in request["checks"]]
    try:
        explanation = _explain(request["file"], [leaf for leaf, _ in checks], request["loss"], True)
    except PathgradError as err:
        return _failed(name, checks, "error", str(err).replace(request["file"], name, 1))
    return check_rows(explanation, checks, name)


def _explained(request):
    """The closed form of one gradient, as text (a small target for :func:`run_bounded`)."""
    explanation = _explain(request["file"], [request["leaf"]], None, True)
    return str(_gradient(explanation, request["leaf"]).closed_form)


# -- reports ---------------------------------------------------------------------------
def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def rows_to_csv(rows):
    """Rows as CSV text with the columns of :data:`ROW_FIELDS`; lists space-separated.

    Every cell is :func:`~pathgrad.render.escaping.csv_cell`: control, bidi and
    line-break characters escaped, and a cell that a spreadsheet would read
    as a formula (``= + - @``) prefixed with ``'``, closed forms such as
    ``-w2*x1`` included; numbers stay numbers. The JSON report carries every
    text unchanged.

    >>> print(rows_to_csv([_row("=cmd.py", "w1", "-w2*x1", "wrong", "-2")]), end="")
    file,leaf,answer,verdict,expected,value,expected_value,matched,missing,extra,message
    '=cmd.py,w1,'-w2*x1,wrong,,,,,,,-2
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROW_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(_cell(row.get(f))) for f in ROW_FIELDS])
    return out.getvalue()


def rows_to_json(rows):
    """Rows as a JSON object ``{"schema": 1, "rows": [...]}`` (a stable contract).

    Strings are carried unchanged; control, bidi and line-break characters
    (and bytes of a file name that is not UTF-8) are written as ``\\uXXXX``.
    """
    return json_visible(
        json.dumps(
            {"schema": 1, "rows": [{f: row.get(f) for f in ROW_FIELDS} for row in rows]},
            indent=2,
            ensure_ascii=False,
        )
    )


def rows_to_text(rows):
    """One line per row: ``FILE: dL/dLEAF: VERDICT: message`` (no file part for ``None``).

    Each line is :func:`~pathgrad.render.escaping.visible`, so a row is always one
    line and nothing in it reaches the terminal as a control sequence.
    """
    lines = []
    for row in rows:
        where = f"{row['file']}: " if row.get("file") else ""
        leaf = f"{row['leaf']}: " if row.get("leaf") else ""
        message = row["message"]
        verdict = "" if message.startswith(f"{row['verdict']}:") else f"{row['verdict']}: "
        lines.append(visible(f"{where}{leaf}{verdict}{message}"))
    return "\n".join(lines)


def exit_status(rows):
    """0 when every row is right (or only explained), else 3 (see the CLI wiring)."""
    return 0 if all(r["verdict"] in ("right", "explained") for r in rows) else 3
