"""How a long listing is kept readable: runs of unit factors written once, the largest
paths of a gradient, and where each numbered name comes from. Every renderer uses them.

>>> import sympy
>>> unit_runs([sympy.Integer(2), *[sympy.S.One] * 3, sympy.Symbol("w")])
[(0, 1, False), (1, 4, True), (4, 5, False)]
"""

import re

from pathgrad.graph import name_origins

#: ``--paths auto`` lists every path in full while the whole text stays under this many
#: characters (a few screens per gradient); past it each gradient shows a summary.
TEXT_BUDGET = 40_000
#: Paths a summary shows, the largest by magnitude.
SUMMARY_PATHS = 3
#: A path's product is shown in a summary when it is at most this many characters.
SUMMARY_PRODUCT = 60
SUMMARY_NOTE = (
    "paths: a line each, the largest by magnitude, a run of unit factors as one step "
    "(--paths all lists every path with its factors)"
)


#: A run of at least this many local derivatives equal to 1 is written once: the partials
#: telescope (∂total_31/∂total_28) and the factors read ``1 (×3)``.
UNIT_RUN = 3


def unit_runs(factors):
    """A path's steps as ``(start, end, unit)`` node positions: each factor on its own, except
    a run of ``UNIT_RUN`` or more factors equal to 1 (an accumulator ``total = total + w*x``
    adds 1 per step), which is one step from its first node to its last.

    >>> import sympy
    >>> unit_runs([sympy.Integer(2), *[sympy.S.One] * 4, sympy.Symbol("w")])
    [(0, 1, False), (1, 5, True), (5, 6, False)]
    """
    steps, i = [], 0
    while i < len(factors):
        j = i
        while j < len(factors) and factors[j] == 1:
            j += 1
        if j - i >= UNIT_RUN:
            steps.append((i, j, True))
            i = j
        else:
            steps.append((i, i + 1, False))
            i += 1
    return steps


def step_lines(lines, times):
    """The source lines of one step: a line, or a run's (``17 (×4)``, ``17…24``).

    >>> step_lines([17], "×"), step_lines([17, 17, 17], "×"), step_lines([17, 24], "x")
    ('17', '17 (×3)', '17…24')
    """
    if len(lines) == 1:
        return str(lines[0])
    if len(set(lines)) == 1:
        return f"{lines[0]} ({times}{len(lines)})"
    return f"{lines[0]}…{lines[-1]}"


def largest(paths, k):
    """The positions (from 1) of the ``k`` paths largest by magnitude, largest first; an
    undefined value comes last, ties in listing order.

    >>> from types import SimpleNamespace as P
    >>> largest([P(value=0.5), P(value=-2.0), P(value=None), P(value=1.0)], 3)
    [2, 4, 1]
    """
    size = lambda i: -abs(paths[i].value) if paths[i].value is not None else 0.0  # noqa: E731
    order = sorted(range(len(paths)), key=lambda i: (paths[i].value is None, size(i), i))
    return [i + 1 for i in order[:k]]


#: What the list of numbered names says.
NAMES_NOTE = "the variable each numbered name is, its line, and the loops' iteration"


def printed_origins(e, text):
    """``(name, where)`` for each numbered name ``text`` prints (``total_16``: total,
    line 11, k=2, j=0), in the order the values were made; see
    :func:`pathgrad.graph.name_origins`."""
    origins = name_origins(e.graph) if e.graph is not None else {}
    if not origins:
        return []
    printed = set(re.findall(r"[^\W\d]\w*", text))
    return [(name, where) for name, where in origins.items() if name in printed]
