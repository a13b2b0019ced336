"""Jupyter display hooks: what a notebook shows for an explanation and a gradient.

IPython asks an object for its representations (``_repr_html_``,
``_repr_latex_``, ``_repr_pretty_``); :class:`~pathgrad.explanation.model.Explanation`
and :class:`~pathgrad.explanation.model.Gradient` answer by calling the functions
here, imported only then, so the core never needs IPython or this module.
A graph shows itself as SVG (:class:`pathgrad.pictures.drawing.Drawing`), the step
player as HTML (:class:`pathgrad.pictures.drawing.Steps`).

* an explanation: the graph (SVG, the first gradient's paths lit up), the
  closed forms, and each gradient's path ledger (HTML);
* a gradient: its path ledger as a table with the ∂-chain, factors, product
  and value of each path, then the sum and the closed form as typeset math
  (HTML with MathML, which the browser typesets without a script), and the
  same as a LaTeX ``align*`` for front ends that prefer LaTeX (``nbconvert
  --to pdf``);
* both: the text renderer's output as plain text.

The HTML carries a small style sheet of its own, scoped to ``.pg-report``.

>>> from pathgrad.explanation import explain
>>> g = explain("seed", wrt=["w1"]).gradients["w1"]
>>> html = g._repr_html_()
>>> "<table" in html and "<math" in html and "∂-chain" in html
True
>>> print(g._repr_latex_().splitlines()[0])
$\\displaystyle \\begin{aligned}
"""

from pathgrad.render import latex, report
from pathgrad.render.text import TextRenderer, render


def _styled(html):
    return f'<div class="pg-report">\n<style>{report.STYLE}</style>\n{html}\n</div>'


def explanation_html(explanation):
    """The whole explanation: graph, closed forms, path ledgers, checks, notes."""
    return _styled(report.body(explanation))


def gradient_html(gradient):
    """One gradient: its paths as a table, then the sum and the closed form."""
    return _styled(report.gradient_html(gradient, heading="h3"))


def gradient_latex(gradient):
    """One gradient as display math: the paths, their factors, the closed form, the value.

    An ``aligned`` block inside ``$ ... $``, which both MathJax (in the
    notebook) and LaTeX (``nbconvert --to pdf``) read.
    """
    rows = latex.gradient_rows(gradient)
    body = " \\\\\n".join(rows[1:])
    return f"$\\displaystyle \\begin{{aligned}}\n{rows[0]}\n{body}\n\\end{{aligned}}$"


def explanation_text(explanation):
    """What ``print`` would show: the text renderer's explanation."""
    return render(explanation)


def gradient_text(gradient):
    return "\n".join(TextRenderer("unicode").gradient(gradient))


def pretty(text, printer, cycle):
    """IPython's ``_repr_pretty_``: the text as it is."""
    printer.text("..." if cycle else text)
