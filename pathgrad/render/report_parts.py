"""The parts an HTML report is made of: expressions and numbers as inline MathML, marks,
and its tables (the paths of a gradient, a reverse or forward ledger, every gradient at
once, PyTorch's replay). Each is a pure function returning an HTML fragment.

>>> html_table(["leaf", "value"], [["w1", "2"]], numeric=(1,)).count("pg-num")
2
>>> check_mark(True)
'<span class="pg-ok">✓</span>'
"""

from html import escape

from pathgrad.pictures.picture import expr_text, path_style
from pathgrad.render.labels import label_mathml, partial_mathml
from pathgrad.render.listing import step_lines, unit_runs
from pathgrad.render.maths import (
    bracket_mathml,
    expr_mathml,
    expr_pieces,
    factors_mathml,
    math,
    needs_brackets,
    number_mathml,
)
from pathgrad.render.text import LEDGER_LINES, value_text

OPERATORS = {"": "", "+": "<mo>+</mo>", "-": "<mo>&#x2212;</mo>", "·": "<mo>·</mo>"}
#: A bracketed sum longer than this (characters, as text) may break between its own terms.
LONG_FACTOR = 40


# -- small parts -----------------------------------------------------------------------------


def expr_html(expr):
    """An expression as inline MathML, in pieces a line may break between.

    A line breaks after an operator between terms or factors, and inside a long bracketed
    sum too, so that a table column of products wraps instead of running off the page.

    >>> import sympy
    >>> w, b, x, y, t = sympy.symbols("weight bias input_one input_two target")
    >>> expr_html(w * b).count("<math")
    1
    >>> html = expr_html(x * y * w * (b + w * x + w * y - t))  # … · (bias + … - target)
    >>> html.count("<math"), html.count("(</mo>"), html.count(")</mo>")
    (13, 1, 1)
    """
    out = []
    for number, (operator, part) in enumerate(expr_pieces(expr)):
        mo = OPERATORS[operator]
        if part.is_Add and len(str(part)) > LONG_FACTOR:
            inner = _pieces(part)
            inner[0] = ("<mo>(</mo>" + inner[0][0], inner[0][1])
            inner[-1] = (inner[-1][0], inner[-1][1] + "<mo>)</mo>")
        else:
            text = expr_mathml(part)
            if part.is_Add or (operator == "·" and needs_brackets(part)):
                text = bracket_mathml(text)
            inner = [("", text)]
        # a leading minus stays with its term; an operator between terms stands apart, so
        # that a long line can wrap after it
        if number:
            out.append(math(mo))
            mo = ""
        (first_mo, first), *rest = inner
        out.append(math(mo + first_mo + first))
        out += [f"{math(m)} {math(t)}" if m else math(t) for m, t in rest]
    return " ".join(out)


def _pieces(expr):
    """``[(operator MathML, part MathML)]`` of a sum, each part bracketed where it must be."""
    pieces = []
    for operator, part in expr_pieces(expr):
        text = expr_mathml(part)
        if part.is_Add or (operator == "·" and needs_brackets(part)):
            text = bracket_mathml(text)
        pieces.append((OPERATORS[operator], text))
    return pieces


def number_html(text):
    return math(number_mathml(text))


def node_text(name):
    text = expr_text(name)
    return f"({text})" if " " in name else text


def check_mark(ok):
    return '<span class="pg-ok">✓</span>' if ok else '<span class="pg-bad">✗</span>'


def swatch(number):
    """Path ``number``'s stroke as the picture draws it: its colour, solid, dashed or dotted."""
    style = path_style(number)
    return (
        f'<span class="pg-swatch" title="{style.name}" '
        f'style="border-top:3px {style.line} {style.colour}"></span>'
    )


def _cell(tag, text, cls):
    return f'<{tag} class="{cls}">{text}</{tag}>' if cls else f"<{tag}>{text}</{tag}>"


def html_table(head, rows, numeric=(), cls="", classes=None):
    """An HTML table; the columns numbered in ``numeric`` are set right-aligned, and
    ``classes`` gives other columns a class of their own."""
    kinds = dict(classes or {}) | {i: "pg-num" for i in numeric}
    out = [f'<div class="pg-scroll"><table class="{f"pg-table {cls}".strip()}">', "<thead><tr>"]
    out += [_cell("th", h, kinds.get(i)) for i, h in enumerate(head)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append(
            "<tr>"
            + "".join(_cell("td", text, kinds.get(i)) for i, text in enumerate(row))
            + "</tr>"
        )
    out.append("</tbody></table></div>")
    return "\n".join(out)


# -- tables ----------------------------------------------------------------------------------
def shortened(items, keep=4):
    """A long path's items: the first and last ``keep``, and how many are left out."""
    if len(items) <= 3 * keep:
        return items
    return [*items[:keep], f"⋯ {len(items) - 2 * keep:,} more ⋯", *items[-keep:]]


def _chain(path):
    """The partials, a run of unit factors as one (they telescope: ∂total_4/∂(w·x))."""
    partials = [
        math(partial_mathml(path.nodes[i], path.nodes[j])) for i, j, _ in unit_runs(path.factors)
    ]
    return " · ".join(shortened(partials)) or math("<mn>1</mn>")


def _factors(path):
    """The local derivatives, a run of unit factors written once: 1 (×4)."""
    factors = [
        math("<mn>1</mn>") + f" (×{j - i})" if unit else math(factors_mathml([path.factors[i]]))
        for i, j, unit in unit_runs(path.factors)
    ]
    return " · ".join(shortened(factors)) or math("<mn>1</mn>")


def _lines(path):
    steps = unit_runs(path.factors)
    return ", ".join(shortened([step_lines(path.lines[i:j], "×") for i, j, _ in steps], keep=3))


def path_table(g):
    """The listed paths: route, chain of partials, factors, product, value, source lines."""
    rows = []
    for number, path in enumerate(g.paths, 1):
        route = " → ".join(escape(node_text(n)) for n in path.nodes)
        if path.via:
            route += "".join(
                f'<br><span class="pg-note">through {escape(expr_text(v))}</span>' for v in path.via
            )
        rows.append(
            [
                f"{swatch(number)}{number}",
                route,
                _chain(path),
                _factors(path),
                expr_html(path.product),
                number_html(value_text(path.value, path.undefined)),
                _lines(path),
            ]
        )
    head = ["path", "nodes", "∂-chain", "factors", "product", "value", "lines"]
    return html_table(
        head,
        rows,
        numeric=(0, 5),
        cls="pg-paths",
        classes={1: "pg-route", 2: "pg-chain", 6: "pg-lines"},
    )


def ledger_table(g):
    """Reverse or forward mode's steps: each node's partial once, from its neighbours'."""
    if g.method == "reverse":
        name = lambda node: math(partial_mathml(g.loss, node))
        title = f"Reverse mode, from {escape(g.loss)} down: each ∂{escape(g.loss)}/∂node once"
    else:
        name = lambda node: math(partial_mathml(node, g.leaf))
        title = f"Forward mode, from {escape(g.leaf)} up: each ∂node/∂{escape(g.leaf)} once"
    rows = []
    for step in g.ledger[:LEDGER_LINES]:
        terms = (
            " + ".join(
                f"{name(other)} {math('<mo>·</mo>' + factors_mathml([f]))}"
                for other, f in step.terms
            )
            or "1 (the loss itself)"
        )
        rows.append(
            [name(step.node), terms, expr_html(step.total), number_html(value_text(step.value))]
        )
    more = len(g.ledger) - LEDGER_LINES
    note = f'<p class="pg-note">… and {more} more steps</p>' if more > 0 else ""
    return (
        f"<h4>{title}</h4>\n"
        + html_table(
            ["node", "= Σ neighbour · local derivative", "closed form", "value"],
            rows,
            numeric=(3,),
            cls="pg-ledger",
        )
        + note
    )


def summary(e):
    """Every gradient in one table: paths, closed form, value, checks."""
    rows = []
    for g in e.gradients.values():
        d = math(partial_mathml(g.loss, g.leaf))
        link = f'<a href="#pg-{escape(g.leaf)}">{d}</a>'
        check = ""
        if g.check:
            check = (
                f"sympy.diff {check_mark(g.check.symbolic.startswith('equal'))} "
                f"finite difference {check_mark(g.check.numeric == 'agree')}"
            )
        rows.append(
            [
                link,
                f"{g.path_count:,}",
                expr_html(g.closed_form),
                number_html(value_text(g.value, g.undefined)),
                check,
            ]
        )
    head = ["gradient", "paths", "closed form", "value", "checked"]
    return html_table(head, rows, numeric=(1, 3), cls="pg-summary", classes={4: "pg-nowrap"})


def torch_table(e):
    rows = []
    for number, row in enumerate(e.torch):
        name = math(label_mathml(row.name) if number == 0 else partial_mathml(e.loss, row.name))
        rows.append(
            [
                name,
                number_html(value_text(row.pathgrad)),
                number_html(value_text(row.torch)),
                check_mark(row.agree),
            ]
        )
    return "<h2>PyTorch (CPU, float64) replaying the same graph</h2>\n" + html_table(
        ["", "pathgrad", "PyTorch", ""], rows, numeric=(1, 2)
    )
