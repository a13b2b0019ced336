"""Reports and notebook display: LaTeX, Markdown and HTML of an explanation, checked for content
and validity.

The seed example's paths and closed form are written out here by hand (the renderers are not
their own oracle). LaTeX is compiled with pdflatex when it is installed; without it the test
says so and checks the structure instead (balanced braces, environments and ``\\left``/
``\\right``). HTML and the MathML and SVG inside it are parsed back; the report must load
nothing from the network.
"""

import io
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pathgrad.cli import main
from pathgrad.explanation import explain, explain_program
from pathgrad.pictures.drawing import draw
from pathgrad.pictures.picture import expr_text
from pathgrad.render import latex, markdown, report
from pathgrad.render.maths import symbol_latex, text_latex
from pathgrad.trace.loader import load_source

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
TEX = shutil.which("pdflatex")
NO_TEX = "pdflatex is not installed (apt-get install texlive-latex-base); the structure is checked"

# The seed example's ∂L/∂w1, by hand.
SEED_CHAINS = [
    r" \, ".join(
        [
            r"\frac{\partial L}{\partial x_{5}}",
            r"\frac{\partial x_{5}}{\partial \left(w_{2} x_{3}\right)}",
            r"\frac{\partial \left(w_{2} x_{3}\right)}{\partial x_{3}}",
            r"\frac{\partial x_{3}}{\partial w_{1}}",
        ]
    ),
    r" \, ".join(
        [
            r"\frac{\partial L}{\partial x_{5}}",
            r"\frac{\partial x_{5}}{\partial \left(w_{3} x_{4}\right)}",
            r"\frac{\partial \left(w_{3} x_{4}\right)}{\partial x_{4}}",
            r"\frac{\partial x_{4}}{\partial w_{1}}",
        ]
    ),
]
SEED_FACTORS = [
    r"\left(-1\right) \cdot 1 \cdot w_{2} \cdot x_{1}",
    r"\left(-1\right) \cdot 1 \cdot w_{3} \cdot x_{2}",
]
SEED_CLOSED_FORM = r"- w_{2} x_{1} - w_{3} x_{2}"
SEED_ROUTES = ["L → x5 → w2·x3 → x3 → w1", "L → x5 → w3·x4 → x4 → w1"]
SEED_NODES = [
    "x1",
    "x2",
    "w1",
    "w2",
    "w3",
    "x3 = w1·x1",
    "x4 = w1·x2",
    "w2·x3",
    "w3·x4",
    "x5 = w2·x3 + w3·x4",
    "L = 1 - x5",
]


@pytest.fixture(scope="module")
def seed():
    return explain("seed", wrt=["w1"], check=True)


@pytest.fixture(scope="module")
def seed_all():
    return explain("seed", check=True)


EXAMPLES = {  # name -> options: every kind of gradient a report meets
    "seed": dict(check=True),
    "seed-reverse": dict(method="reverse", check=True),
    "neuron": dict(check=True),
    "reuse": {},
    "branch": {},
    "symbolic": {},
    "mlp": {},
    "micrograd": dict(method="forward"),
    "diamonds": dict(max_paths=3),
}


def example(name):
    return explain(name.split("-")[0], **EXAMPLES[name])


# -- LaTeX ------------------------------------------------------------------------------------
def latex_problems(text):
    """What would stop LaTeX: unbalanced braces, environments, ``\\left``/``\\right`` or ``$``."""
    problems, stack = [], []
    body = re.sub(r"\\[{}$%&#_]", "", text)  # escaped characters are not structure
    body = re.sub(r"(?m)(?<!\\)%.*$", "", body)  # comments
    depth = 0
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth < 0:
            problems.append("a } closes nothing")
            depth = 0
    if depth:
        problems.append(f"{depth} {{ left open")
    for kind, name in re.findall(r"\\(begin|end)\{([^}]*)\}", body):
        if kind == "begin":
            stack.append(name)
        elif not stack or stack.pop() != name:
            problems.append(f"\\end{{{name}}} does not match")
    problems += [f"\\begin{{{name}}} left open" for name in stack]
    lefts = len(re.findall(r"\\left[(\[|.]", body))
    rights = len(re.findall(r"\\right[)\]|.]", body))
    if lefts != rights:
        problems.append(f"{lefts} \\left against {rights} \\right")
    for number, line in enumerate(body.splitlines(), 1):
        if line.count("$") % 2:
            problems.append(f"line {number}: an odd number of $")
    return problems


def compile_latex(fragment, folder):
    document = (
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\begin{document}\n"
        + fragment
        + "\\end{document}\n"
    )
    (folder / "report.tex").write_text(document, encoding="utf-8")
    result = subprocess.run(
        [TEX, "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    log = (folder / "report.log").read_text(encoding="utf-8", errors="replace")
    errors = [line for line in log.splitlines() if line.startswith("!")]
    return result.returncode, errors


def test_latex_seed_align_reads_paths_factors_closed_form_value(seed):
    text = latex.render(seed)
    align = text[text.index(r"\begin{align*}") : text.index(r"\end{align*}")]
    rows = [row.strip() for row in align.split("\\\\")]
    assert rows[0].endswith(
        r"\frac{\partial L}{\partial w_{1}}" + "\n  &= " + SEED_CHAINS[0] + r" && \text{path 1}"
    )
    assert rows[1] == r"&\quad + " + SEED_CHAINS[1] + r" && \text{path 2}"
    assert rows[2:] == [
        "&= " + SEED_FACTORS[0],
        r"&\quad + " + SEED_FACTORS[1],
        "&= " + SEED_CLOSED_FORM,
        "&= -8",
    ]


def test_latex_seed_path_table(seed):
    text = latex.render(seed)
    table = text[text.index(r"\begin{tabular}") : text.index(r"\end{tabular}")]
    rows = [r.strip() for r in table.split(r"\tabularnewline")][1:-1]
    assert len(rows) == 2
    assert "L \\to x_{5} \\to (w_{2} x_{3}) \\to x_{3} \\to w_{1}" in rows[0]
    assert rows[0].endswith("$-w_{2} x_{1}$ & $-2$".replace("$-w", "$- w"))
    assert rows[1].endswith("$- w_{3} x_{2}$ & $-6$")
    assert r"\noindent Check: \texttt{sympy.diff} of the loss: equal" in text


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_latex_structure_is_balanced(name):
    assert latex_problems(latex.render(example(name))) == []


@pytest.mark.skipif(TEX is None, reason=NO_TEX)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_latex_compiles_with_pdflatex(name, tmp_path):
    code, errors = compile_latex(latex.render(example(name)), tmp_path)
    assert (code, errors) == (0, [])
    assert (tmp_path / "report.pdf").stat().st_size > 1000


def test_latex_escapes_text_and_names(tmp_path):
    program = load_source("w1_00 = 2\nh_2 = 3\nL = w1_00 * h_2 + w1_00\n", "odd_%&#_file.py")
    text = latex.render(explain_program(program, check=True))
    assert "odd_%&#_file.py" in text.splitlines()[0]  # only in the comment line
    assert symbol_latex("w1_00") in text and "h_{2}" in text
    assert text_latex("50% of x_1 & {y} ~ ∂L") == (r"50\% of x\_1 \& \{y\} \~{} $\partial$L")
    assert latex_problems(text) == []
    if TEX:
        assert compile_latex(text, tmp_path) == (0, [])


def test_latex_symbol_names():
    assert [symbol_latex(n) for n in ("x", "x3", "w1_00", "x_29", "total_3", "alpha", "β")] == [
        "x",
        "x_{3}",
        "w_{1,00}",
        "x_{29}",
        r"\mathit{total}_{3}",
        r"\alpha",
        r"\beta",
    ]


# -- Markdown ---------------------------------------------------------------------------------
def mermaid_block(text):
    match = re.search(r"^```mermaid\n(.*?)^```$", text, re.S | re.M)
    assert match, "no Mermaid block"
    return match.group(1)


def table_rows(text, header_start):
    lines = text[text.index(header_start) :].split("\n\n")[0].splitlines()
    cells = [re.split(r"(?<!\\)\|", line)[1:-1] for line in lines]
    assert len({len(row) for row in cells}) == 1, "rows with different numbers of cells"
    assert all(re.fullmatch(r" -{3}:? ", c) for c in cells[1]), "no alignment row"
    return [[c.strip() for c in row] for row in cells[2:]]


def test_markdown_mermaid_block_names_every_node(seed):
    block = mermaid_block(markdown.render(seed))
    assert block.startswith("flowchart RL\n")
    for name in SEED_NODES:
        assert f"<b>{name}</b>" in block
    assert len(re.findall(r"^  n\d+\(", block, re.M)) == seed.graph.number_of_nodes()


@pytest.mark.parametrize("name", ["neuron", "mlp", "reuse", "branch"])
def test_markdown_mermaid_names_every_node_of_other_examples(name):
    e = example(name)
    block = mermaid_block(markdown.render(e))
    declared = re.findall(r"^  n(\d+)\(\"<b>(.*?)</b>", block, re.M)
    assert sorted(int(n) for n, _ in declared) == sorted(e.graph.nodes)
    for node, title in declared:
        name_ = expr_text(e.graph.nodes[int(node)]["name"])
        assert title.startswith(name_[:20]) or name_.startswith(title.rstrip("…")[:20])


def test_markdown_seed_tables_and_sum(seed):
    text = markdown.render(seed)
    rows = table_rows(text, "| path |")
    assert [row[1] for row in rows] == [f"`{route}`" for route in SEED_ROUTES]
    assert [row[3] for row in rows] == ["`(-1) · 1 · w2 · x1`", "`(-1) · 1 · w3 · x2`"]
    assert [row[4:6] for row in rows] == [["`-w2·x1`", "-2"], ["`-w3·x2`", "-6"]]
    assert "**sum** `∂L/∂w1 = -w2·x1 - w3·x2` = **-8**" in text
    assert "- sympy.diff of the loss: equal ✓" in text


def test_markdown_summary_lists_every_gradient(seed_all):
    rows = table_rows(markdown.render(seed_all), "| gradient |")
    assert [row[0] for row in rows] == [f"`∂L/∂{n}`" for n in ("x1", "x2", "w1", "w2", "w3")]
    assert rows[2][1:4] == ["2", "`-w2·x1 - w3·x2`", "-8"]


def test_markdown_escapes_table_cells():
    assert markdown.code("a|b") == r"`a\|b`"
    assert markdown.plain("x_1 * [2] <b>") == r"x\_1 \* \[2\] &lt;b&gt;"


# -- HTML -------------------------------------------------------------------------------------
VOID = {"meta", "br", "img", "hr", "input", "link", "col", "wbr", "source", "area", "base"}


class Checker(HTMLParser):
    """Tag balance, external references, and the text of the page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.references, self.text = [], [], [], []

    def handle_starttag(self, tag, attrs):
        for key, value in attrs:
            if key in ("src", "href", "xlink:href", "action", "data") and value:
                self.references.append(value)
            if key == "style" and value and "url(" in value:
                self.references.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
            return
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def check_html(html):
    checker = Checker()
    checker.feed(html)
    checker.close()
    problems = checker.problems + [f"<{tag}> left open" for tag in checker.stack]
    text = "".join(checker.text).replace("\u2062", "")  # MathML's invisible times
    return problems, checker.references, re.sub(r"\s+", " ", text)


def math_elements(html):
    """Every <math> element, parsed as XML (MathML must be well formed to be drawn)."""
    found = re.findall(r"<math\b.*?</math>", html, re.S)
    return [ET.fromstring(m) for m in found]


def test_html_report_is_self_contained(seed):
    page = report.render(seed)
    problems, references, _ = check_html(page)
    assert problems == []
    assert all(ref.startswith("#") for ref in references), references
    assert not re.search(r"<(link|script|iframe|img|object|embed)\b", page)
    assert "@import" not in page and "url(" not in page
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= {
        "http://www.w3.org/2000/svg",
        "http://www.w3.org/1998/Math/MathML",
    }


def test_html_report_has_graph_ledger_closed_form_checks(seed):
    page = report.render(seed)
    _, _, text = check_html(page)
    svg = re.search(r"<svg\b.*?</svg>", page, re.S).group(0)
    drawn = ET.fromstring(svg)
    assert drawn.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg == draw(seed, wrt="w1").svg.strip() or svg in draw(seed, wrt="w1").svg
    for route in SEED_ROUTES:
        assert route in text
    assert "∂L/∂w1: 2 paths from L to w1" in text
    assert "sum ∂L∂w1 = −w2x1 − w3x2 = −8" in text  # MathML as plain text
    assert "sympy.diff of the loss: equal ✓" in text
    assert "finite difference: −8.00000 ✓" in text
    assert len(math_elements(page)) > 20


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_html_report_is_well_formed(name):
    page = report.render(example(name))
    problems, references, _ = check_html(page)
    assert problems == []
    assert all(ref.startswith("#") for ref in references)
    math_elements(page)  # raises if any MathML is not well formed


# -- display hooks ----------------------------------------------------------------------------
def test_gradient_display_html_is_the_path_ledger(seed):
    g = seed.gradients["w1"]
    html = g._repr_html_()
    problems, references, text = check_html(html)
    assert problems == [] and references == []
    rows = re.findall(r"<tr>(.*?)</tr>", html, re.S)
    assert len(rows) == 1 + 2  # the header and two paths
    assert "∂-chain" in rows[0] and "factors" in rows[0] and "product" in rows[0]
    for route in SEED_ROUTES:
        assert route in text
    assert "∂L∂x5 · ∂x5∂(w2x3) · ∂(w2x3)∂x3 · ∂x3∂w1" in text
    assert "(−1) · 1 · w2 · x1" in text and "−w2x1" in text
    assert "sum ∂L∂w1 = −w2x1 − w3x2 = −8" in text
    math_elements(html)


def test_gradient_display_latex(seed):
    text = seed.gradients["w1"]._repr_latex_()
    assert text.startswith("$\\displaystyle \\begin{aligned}") and text.endswith("\\end{aligned}$")
    for part in [*SEED_CHAINS, *SEED_FACTORS, SEED_CLOSED_FORM, "&= -8"]:
        assert part in text
    assert latex_problems(text.strip("$")) == []


@pytest.mark.skipif(TEX is None, reason=NO_TEX)
def test_gradient_display_latex_compiles(seed, tmp_path):
    fragment = seed.gradients["w1"]._repr_latex_().replace("$", "$$") + "\n"
    assert compile_latex(fragment, tmp_path) == (0, [])


def test_explanation_display_html_has_graph_and_every_gradient(seed_all):
    html = seed_all._repr_html_()
    problems, references, text = check_html(html)
    assert problems == [] and all(ref.startswith("#") for ref in references)
    assert html.count("<svg") == 1 and html.count('class="pg-gradient"') == 5
    assert "Closed forms" in text and "−w2x1 − w3x2" in text
    math_elements(html)


def test_display_plain_text_is_the_text_explanation(seed):
    from pathgrad.render.text import render

    class Printer:
        def __init__(self):
            self.parts = []

        def text(self, part):
            self.parts.append(part)

    printer = Printer()
    seed._repr_pretty_(printer, False)
    assert "".join(printer.parts) == render(seed)
    printer = Printer()
    seed.gradients["w1"]._repr_pretty_(printer, False)
    text = "".join(printer.parts)
    assert text.startswith("∂L/∂w1 — 2 paths from L to w1\n  path 1  L → x5")


def test_drawing_display_svg_names_every_node(seed):
    svg = draw(seed, wrt="w1")._repr_svg_()
    text = "".join(ET.fromstring(svg).itertext())
    for name in SEED_NODES:
        assert name in text


def test_core_does_not_import_ipython_or_the_hooks():
    code = (
        "import sys, pathgrad; e = pathgrad.explain('seed'); pathgrad.draw(e).svg; "
        "print('IPython' in sys.modules, 'pathgrad.notebook' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    ).stdout
    assert out.split() == ["False", "False"]


# -- the command line and the README ----------------------------------------------------------
@pytest.mark.parametrize(
    "fmt, start",
    [
        ("latex", "% pathgrad: L = 1 - x5"),
        ("markdown", "# pathgrad: "),
        ("html", "<!DOCTYPE html>"),
    ],
)
def test_cli_formats(capsys, fmt, start):
    code = main(
        ["explain", str(ROOT / "examples" / "seed.py"), "--wrt", "w1", "--check", "--format", fmt]
    )
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert out.startswith(start)


@pytest.mark.parametrize(
    "marker, fmt",
    [("latex-excerpt", "latex"), ("markdown-excerpt", "markdown"), ("html-excerpt", "html")],
)
def test_readme_excerpts_are_real_output(capsys, marker, fmt):
    match = re.search(rf"<!-- {marker} -->\n( *)```[a-z]*\n(.*?)```", README, re.S)
    assert match, f"README.md has no block marked {marker}"
    main(["explain", str(ROOT / "examples" / "seed.py"), "--wrt", "w1", "--check", "--format", fmt])
    out = capsys.readouterr().out
    indent = len(match.group(1))
    for line in (line[indent:] for line in match.group(2).splitlines()):
        if line.strip() and line.strip() != "...":
            assert line in out, line


def test_readme_links_every_notebook():
    for notebook in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"(notebooks/{notebook.name})" in README
    assert 'pip install ".[notebook]"' in README and "jupyter lab notebooks/" in README


def test_reports_read_only_the_explanation(seed):
    """Pure functions: the same explanation gives the same text, twice."""
    for render in (latex.render, markdown.render, report.render):
        assert render(seed) == render(seed)
    assert io.StringIO(latex.render(seed)).read().count(r"\begin{align*}") == 1
