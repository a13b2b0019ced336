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
from pathgrad.grade.answers import answer_terms
from pathgrad.grade.compare import close, compare, value_at
from pathgrad.grade.term_matching import PathMatcher, unsigned
from pathgrad.graph import constant_values
from pathgrad.sums.check import CHECK_BOUND

#: A piece of an answer's term left once its paths are taken out is shown up to this length.
SHOWN_REST = 40


@dataclass
class AnswerCheck:
    """How a hand-derived gradient compares with the explanation.

    ``verdict`` is "right", "partial" or "wrong"; ``symbolic`` is "equal",
    "equal at N random points", "differ" or "undetermined". ``terms`` are the
    answer's terms as written. Paths are numbered from 1 as in the
    explanation; ``missing`` lists the paths the answer does not have,
    ``extra`` the :class:`~pathgrad.grade.term_matching.Piece` of its terms on no
    path, and ``near`` the pieces that are a path with the wrong sign, a wrong
    number or a missing or extra factor: ``(path, pieces, ratio)`` with the
    pieces' sum = ratio × path.
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
    terms: list = field(default_factory=list)
    matched: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    extra: list = field(default_factory=list)
    near: list = field(default_factory=list)
    message: str = ""

    @property
    def score(self):
        """1 when right; else the share of paths the answer has, counting each of its terms
        on no path as one path too many (a near miss counts as its path missing); 0 wrong.

        >>> from pathgrad import explain
        >>> e = explain("seed", wrt=["w1"])
        >>> [check_answer(e, "w1", a).score for a in ("-w2*x1", "-w2*x1 - w3*x2 + x1", "x1")]
        [0.5, 0.67, 0.0]
        """
        if self.verdict == "right":
            return 1.0
        return round(len(self.matched) / max(1, self.path_count + len(self.extra)), 2)

    def as_row(self, file=None):
        """The check as a report row (see :data:`ROW_FIELDS`)."""
        pieces = {p.term for p in self.extra} | {p.term for _, ps, _ in self.near for p in ps}
        return {
            "file": file,
            "leaf": self.leaf,
            "answer": self.answer,
            "verdict": self.verdict,
            "score": self.score,
            "expected": str(self.expected),
            "value": self.value,
            "expected_value": self.expected_value,
            "matched": list(self.matched),
            "missing": list(self.missing),
            "extra": [self.terms[n] for n in sorted(pieces)],
            "paths": [],  # the gradient's path ledger, filled in with the explanation's
            "message": self.message,
        }


def plural(count, noun):
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _paths_text(numbers):
    numbers = [str(n) for n in numbers]
    if len(numbers) == 1:
        return f"path {numbers[0]}"
    return "paths " + ", ".join(numbers[:-1]) + " and " + numbers[-1]


def _rest(piece):
    """What is left of a term once paths are taken out, shown if short."""
    text = str(piece.expr)
    return text if len(text) <= SHOWN_REST else plural(len(sympy.Add.make_args(piece.expr)), "term")


def _subject(check, pieces):
    """Who a sentence is about: the student's term(s) as written, or what is left of one."""
    if len(pieces) > 1:
        return "your terms " + ", ".join(check.terms[p.term] for p in pieces) + " together"
    (piece,) = pieces
    if piece.inside:
        inside = _paths_text(n + 1 for n in piece.inside)
        return f"your term {check.terms[piece.term]} has {inside} in it; the rest of it ({_rest(piece)})"
    return f"your term {check.terms[piece.term]}"


def _describe_near(check, number, pieces, product, ratio):
    what = f"{_subject(check, pieces)} is path {number} ({product})"
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
    parts += [
        _describe_near(check, n, pieces, products[n - 1], ratio) for n, pieces, ratio in check.near
    ]
    near = {n for n, _, _ in check.near}
    unexplained = [n for n in check.missing if n not in near]
    if unexplained:
        parts.append(
            "it misses " + " and ".join(f"path {n}: {products[n - 1]}" for n in unexplained)
        )
    parts += [f"{_subject(check, [p])} is on no path" for p in check.extra if p.inside]
    whole = [check.terms[p.term] for p in check.extra if not p.inside]
    if len(whole) == 1:
        parts.append(f"its term {whole[0]} is on no path")
    elif whole:
        parts.append("its terms " + ", ".join(whole) + " are on no path")
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
    terms = answer_terms(answer, explanation.graph)
    parsed = sympy.Add(*(expr for _, expr in terms))
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
        terms=[written for written, _ in terms],
    )
    if check.symbolic.startswith("equal"):
        return _right(check, gradient, explanation.loss)
    constants = constant_values(explanation.graph)
    if expected is not None and constants:  # 2*x for p*x**(p - 1), with p a constant 2
        substituted = compare(
            parsed.xreplace(constants), expected.xreplace(constants), values, seed
        )
        if substituted.startswith("equal"):
            check.symbolic = substituted
            _right(check, gradient, explanation.loss)
            given = ", ".join(f"{symbol} = {value}" for symbol, value in constants.items())
            check.message += f" (equal once the constants take their values: {given})"
            return check
    products = [in_leaves(p.product, CHECK_BOUND) for p in gradient.paths]
    exprs = [expr for _, expr in terms]
    return _path_by_path(check, explanation, gradient, products, (exprs, values, seed))


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
    written = "" if str(check.parsed) == str(gradient.closed_form) else ", written differently,"
    check.message = (
        f"your answer{written} is d{loss}/d{check.leaf} = {gradient.closed_form}, the sum of "
        f"{plural(count, 'path')}"
    )
    return check


def _path_by_path(check, explanation, gradient, products, answer):
    """An answer that is not right, compared with the paths (``products``) one by one;
    ``answer`` is ``(its terms, the leaves' values, a seed for random points)``."""
    terms, values, seed = answer
    loss, count = explanation.loss, gradient.path_count
    differs = f"your answer differs from d{loss}/d{check.leaf} = {gradient.closed_form}"
    if count != len(products) or None in products:
        check.message = (
            f"{differs}; its one path is too large to compare with it"
            if count == 1
            else f"{differs}; its {plural(count, 'path')} are too many or too large "
            "to compare one by one"
        )
        return check
    result = PathMatcher(products, check.parsed, values, seed).run(terms)
    if result is None:
        check.message = f"{differs}; it has no value at enough points to compare it path by path"
        return check
    matched, check.extra, near = result
    check.matched = [i + 1 for i in matched]
    check.near = [(i + 1, pieces, ratio) for i, pieces, ratio in near]
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
