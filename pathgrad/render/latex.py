r"""The explanation as a LaTeX fragment, for reports, notes and slides.

For each gradient an ``align*`` reads the way the sum is found on paper:
∂L/∂w1 as the sum over its paths of each path's chain of partials, then the
same with every partial replaced by its local derivative, then the closed
form, then its value; a table lists every path with its factors, product and
value. The fragment needs only ``amsmath``: ``\input`` it into a document
whose preamble has ``\usepackage{amsmath}``. :func:`gradient_math` is the
``align*`` alone, which a notebook shows as typeset math.

>>> from pathgrad.explanation import explain
>>> rows = gradient_rows(explain("seed", wrt=["w1"]).gradients["w1"])
>>> print(rows[0], *rows[1].split(r" \, "), sep="\n")
\frac{\partial L}{\partial w_{1}}
&= \frac{\partial L}{\partial x_{5}}
\frac{\partial x_{5}}{\partial \left(w_{2} x_{3}\right)}
\frac{\partial \left(w_{2} x_{3}\right)}{\partial x_{3}}
\frac{\partial x_{3}}{\partial w_{1}} && \text{path 1}
>>> print(*rows[3:], sep="\n")
&= \left(-1\right) \cdot 1 \cdot w_{2} \cdot x_{1}
&\quad + \left(-1\right) \cdot 1 \cdot w_{3} \cdot x_{2}
&= - w_{2} x_{1} - w_{3} x_{2}
&= -8
"""

from pathgrad.collector import collector_paused
from pathgrad.escaping import visible
from pathgrad.kernels import special_name
from pathgrad.pictures.picture import expr_text
from pathgrad.render.labels import label_latex, partial_latex
from pathgrad.render.listing import unit_runs
from pathgrad.render.maths import (
    expr_latex,
    expr_pieces,
    factors_latex,
    needs_brackets,
    number_latex,
    text_latex,
)
from pathgrad.render.text import LEDGER_LINES, value_text
from pathgrad.trace.parts import is_name

#: Paths written out in the ``align*`` (the table lists every listed path).
ALIGN_PATHS = 8
#: A path with more edges than this is shortened in the ``align*`` to its first and last three.
ALIGN_EDGES = 8
#: Characters (as the text renderer writes them) on one row of an ``align*``.
ROW_WIDTH = 64
#: Leaves named in the header; the rest are counted.
HEADER_LEAVES = 20
PREAMBLE = "% A fragment: \\input{} it in a document whose preamble has \\usepackage{amsmath}."


def _width(expr):
    """About how wide an expression is set: its length as the text renderer writes it."""
    return len(expr_text(expr))


def _bracketed(expr):
    text = expr_latex(expr)
    return rf"\left({text}\right)" if needs_brackets(expr) else text


def pieces(expr):
    """``(latex, width)`` pieces of an expression that a row may end after.

    A sum gives its terms (``- w_{3} x_{2}``), a long product its factors
    (``\\cdot \\left(a + b\\right)``): see :func:`~pathgrad.render.maths.expr_pieces`.
    """
    out = []
    for operator, part in expr_pieces(expr, ROW_WIDTH):
        if operator == "·":
            out.append((rf"\cdot {_bracketed(part)}", _width(part) + 4))
            continue
        text = rf"\left({expr_latex(part)}\right)" if part.is_Add else expr_latex(part)
        out.append((f"{operator} {text}".strip(), _width(part) + 2))
    return out


def pack(items, joiner=" ", continued="", width=ROW_WIDTH):
    """Pieces ``(latex, width)`` packed into rows at most ``width`` wide.

    ``joiner`` goes between two pieces on a row, ``continued`` before the
    first piece of every row after the first.
    """
    rows, row, used = [], [], 0
    for text, w in items:
        if row and used + w > width:
            rows.append(row)
            row, used = [], 0
        row.append(text)
        used += w + 1
    rows += [row] if row else []
    return [("" if i == 0 else continued) + joiner.join(r) for i, r in enumerate(rows)]


def _shortened(items):
    """The first and last three of a long list, with ``\\cdots`` between."""
    if len(items) <= ALIGN_EDGES:
        return items
    return [*items[:3], (r"\cdots", 2), *items[-3:]]


def _chain(path):
    """The partials, a run of unit factors as one (they telescope)."""
    items = []
    for i, j, _ in unit_runs(path.factors):
        a, b = path.nodes[i], path.nodes[j]
        items.append((partial_latex(a, b), max(len(a), len(b)) + 3))
    return pack(_shortened(items) or [("1", 1)], r" \, ", r"\cdot ")


def unit_run_latex(count):
    r"""A run of ``count`` unit factors, written once: ``1 \, (\times 4)``."""
    return rf"1 \, (\times {count})"


def _factors(path):
    items = [
        (unit_run_latex(j - i), 7)
        if unit
        else (_bracketed(path.factors[i]), _width(path.factors[i]) + 3)
        for i, j, unit in unit_runs(path.factors)
    ]
    return pack(_shortened(items) or [("1", 1)], r" \cdot ", r"\cdot ")


def _listed(g, render_path, label):
    """Rows of the align* for the listed paths (and a row for those not written)."""
    rows = []
    shown = g.paths[:ALIGN_PATHS]
    for number, path in enumerate(shown, 1):
        first, *more = render_path(path)
        tag = rf" && \text{{path {number}}}" if label and len(g.paths) > 1 else ""
        rows.append(("&= " if number == 1 else r"&\quad + ") + first + tag)
        rows += [r"&\qquad " + row for row in more]
    rest = g.path_count - len(shown)
    if rest:
        paths = "path" if rest == 1 else "paths"
        rows.append(rf"&\quad + \cdots && \text{{{rest:,} more {paths}}}")
    return rows


def gradient_rows(g):
    """The rows of the ``align*`` of one gradient (without the environment)."""
    rows = [partial_latex(g.loss, g.leaf)]
    if g.paths:
        rows += _listed(g, _chain, label=True)
        rows += _listed(g, _factors, label=False)
    closed = pack(pieces(g.closed_form))
    how = "" if g.method == "paths" else rf" && \text{{all paths, {g.method} mode}}"
    rows.append("&= " + closed[0] + how)
    rows += [r"&\quad " + row for row in closed[1:]]
    value = value_text(g.value, g.undefined)
    if value != "?" and number_latex(value) != closed[-1]:
        rows.append("&= " + number_latex(value))
    return rows


def gradient_math(g):
    """One gradient as an ``align*``: paths, factors, closed form, value."""
    rows = gradient_rows(g)
    body = " \\\\\n".join("  " + row for row in rows[1:])
    return "\n".join([r"\begin{align*}", rows[0], body, r"\end{align*}"])


def breakable(latex):
    """Math that TeX may break inside a narrow table cell: plain brackets, not ``\\left(``."""
    return latex.replace(r"\left(", "(").replace(r"\right)", ")")


def cell_expr(expr):
    """An expression for a table cell: a product may break between its factors."""
    if not expr.is_Mul or len(expr_latex(expr)) <= 30:
        return breakable(expr_latex(expr))
    sign, expr = ("-", -expr) if expr.could_extract_minus_sign() else ("", expr)
    factors = expr.as_ordered_factors()
    parts = [
        f"({breakable(expr_latex(f))})" if f.is_Add else breakable(expr_latex(f)) for f in factors
    ]
    return sign + r" \allowbreak ".join(parts)


def _cell_factor(f):
    text = cell_expr(f)
    return f"({text})" if f.could_extract_minus_sign() or f.is_Add else text


def _cell_factors(path):
    """A path's factors for a table cell, a run of unit factors written once."""
    parts = [
        unit_run_latex(j - i) if unit else _cell_factor(path.factors[i])
        for i, j, unit in unit_runs(path.factors)
    ]
    return r" \cdot ".join(parts) or "1"


def _route(path):
    route = r" \to ".join(
        label_latex(n) if is_name(n) else f"({label_latex(n)})" for n in path.nodes
    )
    via = "".join(rf" \newline {{\footnotesize through {text_latex(v)}}}" for v in path.via)
    return f"${breakable(route)}${via}"


def path_table(g):
    """The listed paths as a ``tabular``: route, factors, product, value."""
    out = [
        r"{\small\setlength{\tabcolsep}{4pt}",
        r"\begin{tabular}{r p{0.26\linewidth} p{0.26\linewidth} p{0.24\linewidth} r}",
        r"\hline",
        r" & path & factors & product & value \tabularnewline",
        r"\hline",
    ]
    for number, path in enumerate(g.paths, 1):
        value = number_latex(value_text(path.value, path.undefined))
        cells = [
            str(number),
            r"\raggedright " + _route(path),
            rf"\raggedright ${_cell_factors(path)}$",
            rf"\raggedright ${cell_expr(path.product)}$",
            f"${value}$",
        ]
        out.append(" & ".join(cells) + r" \tabularnewline")
    out += [r"\hline", r"\end{tabular}}"]
    return "\n".join(out)


def ledger_math(g):
    """Reverse or forward mode's steps as an ``align*``."""
    if g.method == "reverse":
        partial = lambda node: partial_latex(g.loss, node)
    else:
        partial = lambda node: partial_latex(node, g.leaf)
    rows = []
    for step in g.ledger[:LEDGER_LINES]:
        terms = " + ".join(
            rf"{partial(other)} \cdot {factors_latex([f])}" for other, f in step.terms
        )
        parts = [terms, expr_latex(step.total), number_latex(value_text(step.value))]
        kept = [p for i, p in enumerate(parts) if p and not (i == 2 and p == parts[1])]
        rows.append(f"  {partial(step.node)} &= " + " = ".join(kept))
    if len(g.ledger) > LEDGER_LINES:
        rows.append(rf"  & \text{{and {len(g.ledger) - LEDGER_LINES} more steps}}")
    return "\n".join([r"\begin{align*}", " \\\\\n".join(rows), r"\end{align*}"])


def _check(c):
    fd = "" if c.finite_difference is None else f" ${number_latex(f'{c.finite_difference:#.6g}')}$"
    return (
        rf"\noindent Check: \texttt{{sympy.diff}} of the loss: {text_latex(c.symbolic)}; "
        rf"finite difference{fd}: {text_latex(c.numeric)}.\par"
    )


def _costs(g):
    c = g.costs
    return (
        rf"\noindent Cost: {c['paths']:,} multiplications summing path by path; reverse "
        rf"mode {c['reverse']:,} (all leaves), forward mode {c['forward']:,}.\par"
    )


def gradient_section(g):
    plural = "path" if g.path_count == 1 else "paths"
    d = breakable(rf"\partial {label_latex(g.loss)}/\partial {label_latex(g.leaf)}")
    out = [
        (
            rf"\medskip\noindent\textbf{{${d}$: {g.path_count:,} {plural} from "
            rf"${label_latex(g.loss)}$ to ${label_latex(g.leaf)}$}}\par"
        ),
        # a long align* may break across pages (amsmath's \allowdisplaybreaks, kept local)
        "\\begingroup\\allowdisplaybreaks\n" + gradient_math(g) + "\n\\endgroup",
    ]
    if g.paths:
        out += [r"\begin{center}", path_table(g), r"\end{center}"]
    if g.ledger:
        way = "from the loss down" if g.method == "reverse" else "from the leaf up"
        out += [rf"\noindent The sum regrouped in {g.method} mode, {way}:\par", ledger_math(g)]
    if g.simplified:
        out.append(rf"\noindent The closed form is {text_latex(g.simplified)} (an equal form).\par")
    if g.in_terms_of == "locals":
        reason = g.locals_reason
        out.append(rf"\noindent {text_latex(reason[0].upper() + reason[1:])}.\par")
    if g.undefined:
        value = special_name(g.value) or "undefined"
        out.append(rf"\noindent Value {value}: {text_latex(g.undefined)}.\par")
    if g.check:
        out.append(_check(g.check))
    out.append(_costs(g))
    return "\n".join(out)


def header(e):
    value = value_text(e.loss_value, e.loss_undefined)
    line = f"{label_latex(e.loss)} = {label_latex(e.loss_expr)}"
    if value != "?":
        line += f" = {number_latex(value)}"
    leaves = [
        f"${label_latex(name)} = {number_latex(value_text(v))}$"
        for name, v in list(e.leaves.items())[:HEADER_LEAVES]
    ]
    more = len(e.leaves) - HEADER_LEAVES
    if more > 0:
        leaves.append(f"and {more:,} more leaves")
    at = r" \quad at " + ", ".join(leaves) if e.leaves else ""
    return rf"\noindent ${line}${at}\par"


def _torch(e):
    rows = [
        r"\noindent PyTorch (CPU, float64) replaying the same graph:\par",
        r"\begin{center}",
        r"\begin{tabular}{lrrl}",
        r"\hline",
        r" & pathgrad & PyTorch & \\",
        r"\hline",
    ]
    for number, row in enumerate(e.torch):
        name = label_latex(row.name) if number == 0 else partial_latex(e.loss, row.name)
        verdict = "agree" if row.agree else "differ"
        rows.append(
            rf"${name}$ & ${number_latex(value_text(row.pathgrad))}$ & "
            rf"${number_latex(value_text(row.torch))}$ & {verdict} \\"
        )
    rows += [r"\hline", r"\end{tabular}", r"\end{center}"]
    return "\n".join(rows)


@collector_paused()
def render(explanation):
    """The explanation as a LaTeX fragment (a string); needs ``amsmath``."""
    e = explanation
    title = f"{e.loss} = {e.loss_expr}" + (f" ({e.file})" if e.file else "")
    out = [f"% pathgrad: {visible(title)}\n{PREAMBLE}", header(e)]  # no line break ends it
    for g in e.gradients.values():
        out.append(gradient_section(g))
    if e.torch:
        out.append(_torch(e))
    if e.notes:
        out += [r"\noindent Notes:", r"\begin{itemize}"]
        out += [
            rf"\item {'line ' + str(n.line) + ': ' if n.line else ''}{text_latex(n.text)}"
            for n in e.notes
        ]
        out.append(r"\end{itemize}")
    return "\n\n".join(out) + "\n"
