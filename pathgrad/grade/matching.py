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

Answers are read without ``eval`` (:mod:`pathgrad.grade.answers`) and compared
exactly or at random points (:mod:`pathgrad.grade.compare`), term by term with
the paths (:mod:`pathgrad.grade.term_matching`); one file's rows are
:mod:`pathgrad.grade.file_checks`, tables of answers :mod:`pathgrad.grade.tables`
and folders of files :mod:`pathgrad.grade.folders`.
"""

from dataclasses import dataclass, field

import sympy

from pathgrad.errors import NameNotFound
from pathgrad.explanation.gradient import InLeaves
from pathgrad.grade.answers import parse_answer
from pathgrad.grade.compare import close, compare, value_at
from pathgrad.grade.term_matching import PathMatcher, unsigned
from pathgrad.sums.check import CHECK_BOUND


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


def _describe_near(number, term, product, ratio):
    what = f"your term {term} is path {number} ({product})"
    if ratio == -1:
        return f"{what} with the wrong sign"
    if ratio.is_number:
        return f"{what} times {ratio}"
    numerator, denominator = sympy.fraction(ratio)
    (top_negative, top), (bottom_negative, bottom) = unsigned(numerator), unsigned(denominator)
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
    gradient = gradient_for(explanation, leaf)
    parsed = parse_answer(answer, explanation.graph)
    values = _leaf_values(explanation.graph)
    in_leaves = InLeaves(explanation.graph)  # intermediate names replaced; None if too large
    expected = in_leaves(gradient.closed_form, CHECK_BOUND)
    seed = f"{leaf}:{answer}"
    check = AnswerCheck(
        leaf=leaf,
        answer=answer,
        parsed=parsed,
        expected=gradient.closed_form,
        verdict="wrong",
        symbolic="undetermined" if expected is None else compare(parsed, expected, values, seed),
        value=value_at(parsed, values) if parsed.free_symbols <= set(values) else None,
        expected_value=gradient.value,
        path_count=gradient.path_count,
    )
    if check.symbolic.startswith("equal"):
        return _right(check, gradient, explanation.loss)
    products = [in_leaves(p.product, CHECK_BOUND) for p in gradient.paths]
    return _path_by_path(check, explanation, gradient, products, values, seed)


def _leaf_values(graph):
    """The leaves' values by symbol (leaves without a value left out)."""
    return {
        d["symbol"]: d["value"]
        for _, d in graph.nodes(data=True)
        if d["kind"] == "leaf" and d["value"] is not None
    }


def _right(check, gradient, loss):
    """A right answer: every path matched (when all are listed), and the sentence saying so."""
    count = gradient.path_count
    check.verdict = "right"
    check.matched = list(range(1, count + 1)) if count == gradient.paths_listed else []
    written = "" if str(check.parsed) == str(gradient.closed_form) else " (written differently)"
    check.message = (
        f"right{written}: d{loss}/d{check.leaf} = {gradient.closed_form}, the sum of "
        f"{plural(count, 'path')}"
    )
    return check


def _path_by_path(check, explanation, gradient, products, values, seed):
    """An answer that is not right, compared with the paths (``products``) one by one."""
    loss, count = explanation.loss, gradient.path_count
    differs = f"your answer differs from d{loss}/d{check.leaf} = {gradient.closed_form}"
    if count != len(products) or None in products:
        check.message = (
            f"{differs}; its {plural(count, 'path')} are too many or too large "
            "to compare one by one"
        )
        return check
    result = PathMatcher(products, check.parsed, values, seed).run(check.parsed)
    if result is None:
        check.message = f"{differs}; it has no value at enough points to compare it path by path"
        return check
    matched, check.extra, near = result
    check.matched = [i + 1 for i in matched]
    check.near = [(i + 1, term, ratio) for i, term, ratio in near]
    check.missing = [i + 1 for i in range(count) if i not in matched]
    check.verdict = "partial" if check.matched else "wrong"
    check.message = _message(check, products) + _afterthoughts(check, explanation, gradient)
    return check


def _afterthoughts(check, explanation, gradient):
    """What else a wrong answer's message says: names not in the loss's graph, a right value."""
    graph, loss, more = explanation.graph, explanation.loss, ""
    # a leaf of the file that the loss does not use is an edgeless node: not in L's graph
    used = {d["symbol"] for n, d in graph.nodes(data=True) if graph.degree(n) or d["name"] == loss}
    strangers = sorted(str(s) for s in check.parsed.free_symbols if s not in used)
    if strangers:
        more += (
            f"; {', '.join(strangers)} {'is' if len(strangers) == 1 else 'are'} "
            f"not in the graph of {loss}"
        )
    value = check.value
    if value is not None and gradient.value is not None and close(value, gradient.value):
        more += f"; it has the right value ({gradient.value:g}) at the file's values only"
    return more
