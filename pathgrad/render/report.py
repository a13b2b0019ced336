"""The explanation as one self-contained HTML page: graph, path ledgers, closed forms, checks.

Everything is inline: the style, the graph's SVG (laid out by
:mod:`pathgrad.pictures.drawing`, with the paths of the first gradient lit up in the
colours the tables use), and the mathematics as MathML, which browsers
typeset without a script or a font download. The page loads nothing from
anywhere, so it reads offline and can be mailed as one file.
:func:`gradient_html` and :func:`body` are the parts a notebook shows; the smaller
parts and the tables are :mod:`pathgrad.render.report_parts`.

>>> from pathgrad.explanation import explain
>>> page = render(explain("seed", wrt=["w1"], check=True))
>>> page.startswith("<!DOCTYPE html>") and "<svg" in page and "<math" in page
True
>>> "src=" in page or "@import" in page or "url(" in page
False
"""

from html import escape

import sympy

from pathgrad.escaping import visible
from pathgrad.pictures.drawing import draw
from pathgrad.pictures.html import page
from pathgrad.pictures.picture import expr_text, partial
from pathgrad.render.labels import label_mathml, partial_mathml
from pathgrad.render.maths import expr_mathml, math
from pathgrad.render.report_parts import (
    check_mark,
    expr_html,
    ledger_table,
    number_html,
    path_table,
    summary,
    torch_table,
)
from pathgrad.render.text import remarks, value_text

#: Path products written out in a gradient's sum before ``+ ⋯``, when each is shorter than
#: ``EQUATION_PRODUCT`` characters (else the sum goes straight to the closed form).
EQUATION_PATHS, EQUATION_PRODUCT = 6, 40
#: A picture wider than this (pixels) is shown at full size in a scrolled box.
WIDE_FIGURE = 1600
#: Leaves named in the header before the rest are folded away.
HEADER_LEAVES = 24

STYLE = """
.pg-report { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans",
  sans-serif; color: #1f2328; line-height: 1.45; font-size: 15px; }
.pg-report h1 { font-size: 1.6em; margin: 0 0 .2em; }
.pg-report h2 { font-size: 1.25em; margin: 1.6em 0 .5em; padding-bottom: .2em;
  border-bottom: 1px solid #d0d7de; }
.pg-report h3 { font-size: 1.1em; margin: 1.2em 0 .4em; }
.pg-report p { margin: .4em 0; }
.pg-report table.pg-table { border-collapse: collapse; margin: .6em 0 .8em; border: 0;
  table-layout: auto; }
.pg-report table.pg-table th, .pg-report table.pg-table td { border: 1px solid #d0d7de;
  padding: 5px 9px; text-align: left; vertical-align: middle; line-height: 1.45; }
.pg-report table.pg-table th { background: #f6f8fa; font-weight: 600; }
.pg-report table.pg-table tbody tr:nth-child(odd) { background: #ffffff; }
.pg-report table.pg-table tbody tr:nth-child(even) { background: #fafbfc; }
.pg-report table.pg-table td.pg-num, .pg-report table.pg-table th.pg-num {
  text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.pg-report table.pg-table td.pg-chain { min-width: 14em; }
.pg-report .pg-scroll { overflow-x: auto; max-width: 100%; }
.pg-report table.pg-table td.pg-route { min-width: 10em; }
.pg-report table.pg-table td.pg-nowrap { white-space: nowrap; }
.pg-report table.pg-table td.pg-lines { color: #59636e; font-size: .9em; min-width: 4em; }
.pg-report .pg-swatch { display: inline-block; width: 1.75em; height: 0;
  margin-right: .35em; vertical-align: .3em; }
.pg-report .pg-equation { font-size: 1.3em; margin: .5em 0 .7em; line-height: 2.2; }
.pg-report .pg-at { color: #59636e; }
.pg-report .pg-note { color: #59636e; font-size: .93em; }
.pg-report .pg-ok { color: #1a7f37; font-weight: 600; }
.pg-report .pg-bad { color: #cf222e; font-weight: 600; }
.pg-report ul { margin: .3em 0; padding-left: 1.4em; }
.pg-report figure { margin: .5em 0 1em; overflow-x: auto; }
.pg-report figure svg { max-width: 100%; height: auto; }
.pg-report figure.pg-wide { max-height: 80vh; overflow: auto; border: 1px solid #d0d7de; }
.pg-report figure.pg-wide svg { max-width: none !important; }
.pg-report figcaption { color: #59636e; font-size: .9em; margin-top: .3em; }
.pg-report math { font-size: 1.08em; math-style: normal;
  font-family: "Latin Modern Math", "STIX Two Math", "Cambria Math", math; }
.pg-report details summary { cursor: pointer; color: #59636e; }
"""
PAGE_STYLE = (
    """
body { margin: 0; background: #ffffff; }
main.pg-report { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
"""
    + STYLE
)


# -- one gradient ----------------------------------------------------------------------------
def equation(g):
    """∂L/∂w1 = (path products) = closed form = value, as inline MathML that wraps."""
    parts = [math(partial_mathml(g.loss, g.leaf))]
    shown = g.paths[:EQUATION_PATHS]
    short = all(len(expr_text(p.product)) <= EQUATION_PRODUCT for p in shown)
    # with one path, or products that add up to the closed form as written, go straight to it
    same = g.path_count == len(shown) and sympy.Add(*(p.product for p in shown)) == g.closed_form
    if shown and short and g.path_count > 1 and not same:
        terms = []
        for number, path in enumerate(shown):
            minus = number > 0 and path.product.could_extract_minus_sign()
            if number:
                terms.append(math("<mo>&#x2212;</mo>" if minus else "<mo>+</mo>"))
            terms.append(math(expr_mathml(-path.product if minus else path.product)))
        if g.path_count > len(shown):
            terms += [math("<mo>+</mo>"), math("<mo>⋯</mo>")]
        parts += [math("<mo>=</mo>"), " ".join(terms)]
    parts += [math("<mo>=</mo>"), expr_html(g.closed_form)]
    value = value_text(g.value, g.undefined)
    if value != "?" and expr_text(g.closed_form) != value:
        parts += [math("<mo>=</mo>"), number_html(value)]
    return f'<p class="pg-equation"><b>sum</b>&ensp;{" ".join(parts)}</p>'


def checks(g):
    c = g.check
    if c is None:
        return ""
    symbolic = c.symbolic
    mark = "" if symbolic.startswith("skip") else check_mark(symbolic.startswith("equal"))
    fd = "" if c.finite_difference is None else f" {number_html(f'{c.finite_difference:#.6g}')}"
    verdict = {
        "agree": check_mark(True),
        "differ": check_mark(False),
        "kink": "(differs at a kink, where the derivative is a convention)",
    }
    return (
        '<ul class="pg-checks">'
        f"<li>sympy.diff of the loss: {escape(symbolic)} {mark}</li>"
        f"<li>finite difference:{fd} {verdict.get(c.numeric, escape(c.numeric))}</li></ul>"
    )


def costs(g):
    c = g.costs
    return (
        f'<p class="pg-note">Cost: {c["paths"]:,} multiplications summing path by path; '
        f"reverse mode {c['reverse']:,} (all leaves), forward mode {c['forward']:,}.</p>"
    )


def gradient_html(g, heading="h2"):
    """One gradient: its equation, its paths, its ledger, its checks (an HTML fragment)."""
    plural = "path" if g.path_count == 1 else "paths"
    title = (
        f"{escape(partial(g.loss, g.leaf))}: {g.path_count:,} {plural} from "
        f"{escape(expr_text(g.loss))} to {escape(expr_text(g.leaf))}"
    )
    out = [
        f'<section class="pg-gradient" id="pg-{escape(g.leaf)}">',
        f"<{heading}>{title}</{heading}>",
    ]
    if g.paths:
        out.append(path_table(g))
    hidden = g.path_count - g.paths_listed
    if hidden:
        out.append(
            f'<p class="pg-note">… and {hidden:,} more {plural} not listed; the sum '
            f"counts all {g.path_count:,}.</p>"
        )
    if g.ledger:
        out.append(ledger_table(g))
    sums = [equation(g)]
    sums += [
        f'<p class="pg-note">{escape(remark[0].upper() + remark[1:])}.</p>' for remark in remarks(g)
    ]
    out += [*sums, checks(g), costs(g), "</section>"]
    return "\n".join(part for part in out if part)


# -- the whole explanation -------------------------------------------------------------------
def header(e):
    value = value_text(e.loss_value, e.loss_undefined)
    loss = [math(label_mathml(e.loss)), math("<mo>=</mo>"), math(label_mathml(e.loss_expr))]
    if value != "?":
        loss += [math("<mo>=</mo>"), number_html(value)]
    leaves = [f"{math(label_mathml(n))} = {escape(value_text(v))}" for n, v in e.leaves.items()]
    shown = ", ".join(leaves[:HEADER_LEAVES])
    if len(leaves) > HEADER_LEAVES:
        shown += (
            f" <details><summary>and {len(leaves) - HEADER_LEAVES:,} more leaves"
            f"</summary>{', '.join(leaves[HEADER_LEAVES:])}</details>"
        )
    at = f'\n<p class="pg-at">at {shown}</p>' if leaves else ""
    return f'<p class="pg-equation">{" ".join(loss)}</p>{at}'


def figure(e):
    """The graph's SVG, the paths of the first gradient lit up; a wide one scrolls."""
    first = next(iter(e.gradients), None)
    drawing = draw(e, wrt=first)
    wide = drawing.layout.width > WIDE_FIGURE  # shown at full size, not shrunk to a strip
    lit = f", the paths of {partial(e.loss, first)} lit up, one colour each" if first else ""
    scroll = "; scroll to see all of it" if wide else ""
    return (
        f"<figure{' class=' + repr('pg-wide') if wide else ''}>{drawing.svg}</figure>\n"
        f'<p class="pg-note">Leaves grey, operations orange with their grad_fn, the loss '
        f"with a double border; every edge carries its local derivative{escape(lit)}"
        f"{scroll}.</p>"
    )


def body(e, graph=True):
    """The explanation as an HTML fragment (the page's content, or a notebook's output)."""
    out = [header(e)]
    if graph:
        out += ["<h2>The graph</h2>", figure(e)]
    if len(e.gradients) > 1:
        out += ["<h2>Closed forms</h2>", summary(e)]
    out += [gradient_html(g) for g in e.gradients.values()]
    if e.torch:
        out.append(torch_table(e))
    if e.notes:
        out.append(
            "<h2>Notes</h2><ul>"
            + "".join(
                f"<li>{'line ' + str(n.line) + ': ' if n.line else ''}{escape(n.text)}</li>"
                for n in e.notes
            )
            + "</ul>"
        )
    return "\n".join(out)


def render(explanation):
    """The explanation as a complete, self-contained HTML page (a string)."""
    e = explanation
    title = f"{e.loss} = {expr_text(e.loss_expr)}"
    heading = escape(f"{visible(e.file)}: {title}" if e.file else title)
    content = (
        f'<main class="pg-report">\n<h1>pathgrad: {heading}</h1>\n{body(e)}\n'
        f'<p class="pg-note">Made by pathgrad.</p>\n</main>'
    )
    return page(f"pathgrad: {title}", content, PAGE_STYLE)
