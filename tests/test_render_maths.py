"""Renderers never change the maths: a negative factor is never printed as subtraction,
every closed form reads back to the same expression, and odd names survive.

Issue 10 (part C). The examples of the issue are regression tests with their right values;
the properties at the end read every renderer's output back (text and JSON by parsing,
LaTeX with sympy's LaTeX parser, MathML by a small reader of presentation MathML that reads
as the eye does: an invisible times before a minus sign reads as subtraction).
"""

import io
import sys

import pytest

from pathgrad.cli import main
from pathgrad.explanation import explain
from pathgrad.render import latex, report
from pathgrad.render.labels import label_latex, label_mathml

NEGATIVE_FACTOR = "w = 3.0\nL = w * -2 + 1\n"


def run_cli(argv, monkeypatch, encoding="utf-8"):
    """``main(argv)`` with standard output an ``encoding`` stream: ``(status, stdout)``."""
    buffer = io.BytesIO()
    stream = io.TextIOWrapper(buffer, encoding=encoding, newline="\n")
    monkeypatch.setattr(sys, "stdout", stream)
    status = main(argv)
    stream.flush()
    return status, buffer.getvalue().decode(encoding)


@pytest.fixture
def negative_factor(tmp_path):
    path = tmp_path / "negative_factor.py"
    path.write_text(NEGATIVE_FACTOR)
    return path


# -- w * -2: a negative factor in LaTeX and MathML ----------------------------------------------
def test_latex_negative_factor_is_bracketed(negative_factor, monkeypatch):
    status, text = run_cli(["explain", str(negative_factor), "--format", "latex"], monkeypatch)
    assert status == 0
    assert r"$L = w \cdot \left(-2\right) + 1 = -5$" in text
    assert r"\frac{\partial L}{\partial \left(w \cdot \left(-2\right)\right)}" in text
    assert r"&= 1 \cdot \left(-2\right) \\" in text and "&= -2\n" in text
    assert r"$L \to (w \cdot (-2)) \to w$" in text
    assert "w -2" not in text


def test_mathml_negative_factor_is_bracketed(negative_factor):
    e = explain(str(negative_factor))
    g = e.gradients["w"]
    assert str(g.closed_form) == "-2" and g.value == -2.0 and e.loss_value == -5.0
    page = report.render(e)
    bracketed = (
        '<mi>w</mi><mo>·</mo><mrow><mo stretchy="false">(</mo><mrow><mo>&#x2212;</mo>'
        '<mn>2</mn></mrow><mo stretchy="false">)</mo></mrow>'
    )
    assert bracketed in page
    # an invisible times before a minus sign reads as w − 2
    assert "<mo>&#x2062;</mo><mrow><mo>&#x2212;</mo>" not in page


def test_mlp_report_has_no_negative_factor_read_as_subtraction():
    e = explain("mlp")
    text = latex.render(e)
    assert r"w_{1,01} \cdot \left(-2\right)" in text and r"w_{1,01} -2" not in text
    assert "<mo>&#x2062;</mo><mrow><mo>&#x2212;</mo>" not in report.render(e)
    assert e.gradients["w1_01"].value == pytest.approx(0.386643, abs=1e-6)


@pytest.mark.parametrize(
    "label, expected",
    [
        ("w*(-2) + 1", r"w \cdot \left(-2\right) + 1"),
        ("a + -b", r"a + \left(-b\right)"),
        ("a - -b", r"a - \left(-b\right)"),
        ("-(-a)", r"-\left(-a\right)"),
        ("w + -a*b", r"w + \left(-a b\right)"),
        ("-2*w", "-2 w"),
        ("2*3**x", r"2 \cdot 3^{x}"),
        ("(-a)**2", r"\left(-a\right)^{2}"),
        ("-a**2", "-a^{2}"),
    ],
)
def test_label_latex_signed_operands(label, expected):
    assert label_latex(label) == expected


def test_label_mathml_signed_operand_after_a_sum_sign():
    assert label_mathml("a - -b") == (
        "<mrow><mi>a</mi><mo>&#x2212;</mo><mrow><mo>(</mo><mrow>"
        "<mo>&#x2212;</mo><mi>b</mi></mrow><mo>)</mo></mrow></mrow>"
    )


# -- non-ASCII names on an ASCII-only console ---------------------------------------------------
THETA = "θ = 2.0\nL = θ * θ + 1\n"


@pytest.fixture
def theta(tmp_path):
    path = tmp_path / "theta.py"
    path.write_text(THETA, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "fmt, expected",
    [
        ("text", r"dL/d\u03b8 = 2*\u03b8 = 4"),
        ("json", r'"closed_form": "2*\u03b8"'),
        ("latex", r"\frac{\partial L}{\partial \theta}"),
        ("markdown", r"\u03b8"),
        ("html", "<mi>&#952;</mi>"),
    ],
)
def test_non_ascii_name_on_ascii_console(theta, monkeypatch, fmt, expected):
    status, text = run_cli(["explain", str(theta), "--format", fmt], monkeypatch, "ascii")
    assert status == 0
    assert expected in text


def test_non_ascii_name_check_on_ascii_console(theta, monkeypatch):
    argv = ["check", str(theta), "--wrt", "θ", "--answer", "2*θ"]
    status, text = run_cli(argv, monkeypatch, "ascii")
    assert status == 0
    assert r"\u03b8: right" in text


def test_non_ascii_name_in_a_c_locale_subprocess(theta):
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONIOENCODING="ascii", LANG="C", LC_ALL="C", PYTHONPATH=str(root))
    result = subprocess.run(
        [sys.executable, "-m", "pathgrad", "explain", str(theta), "--check"],
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode("ascii")
    assert r"L = \u03b8*\u03b8 + 1 = 5" in out
    assert r"dL/d\u03b8 = 2*\u03b8 = 4" in out


# -- the JSON contract: pathgrad.sympy_names(doc) -----------------------------------------------
SYMPY_LOOKALIKES = """\
lam = leaf("lambda", 0.5)
I = 2.0
E = 3.0
S = 1.0
N = 2.0
O = 1.0
Q = 0.5
beta = 1.5
gamma = 0.25
zeta = 0.1
L = lam * I * E + beta * -2 + S * N * O * Q / gamma + zeta**2 + exp(1) * E + gamma / 3
"""


def test_sympy_names_reads_leaves_named_like_sympy_constants(tmp_path, monkeypatch):
    import json

    import sympy

    import pathgrad

    path = tmp_path / "lookalikes.py"
    path.write_text(SYMPY_LOOKALIKES)
    status, text = run_cli(["explain", str(path), "--format", "json"], monkeypatch)
    assert status == 0
    doc = json.loads(text)
    names = pathgrad.sympy_names(doc)
    e = explain(str(path))
    symbol = {n: sympy.Symbol(n, real=True) for n in doc["leaves"]}
    expected = {
        "lambda": symbol["E"] * symbol["I"],
        "I": symbol["E"] * symbol["lambda"],
        "E": symbol["I"] * symbol["lambda"] + sympy.E.evalf(),
        "beta": sympy.Integer(-2),
        "zeta": 2 * symbol["zeta"],
    }
    for leaf, closed_form in expected.items():
        back = sympy.sympify(doc["gradients"][leaf]["closed_form"], locals=names)
        assert back == e.gradients[leaf].closed_form
        assert sympy.simplify(back - closed_form) == 0
    assert doc["gradients"]["E"]["value"] == pytest.approx(0.5 * 2.0 + 2.718281828459045)
    assert doc["gradients"]["I"]["closed_form"] == "E*Symbol('lambda', real=True)"
    for leaf, g in doc["gradients"].items():
        assert sympy.sympify(g["closed_form"], locals=names) == e.gradients[leaf].closed_form
        for path_doc, path in zip(g["paths"], e.gradients[leaf].paths):
            assert sympy.sympify(path_doc["product"], locals=names) == path.product
            factors = [sympy.sympify(f, locals=names) for f in path_doc["factors"]]
            assert factors == list(path.factors)
        value = sympy.sympify(g["closed_form"], locals=names).subs(
            {symbol[n]: v for n, v in doc["leaves"].items()}
        )
        assert float(value) == pytest.approx(g["value"], rel=1e-12)


def test_json_numbers_are_written_with_the_digits_of_their_double(tmp_path, monkeypatch):
    import json

    import sympy

    import pathgrad

    path = tmp_path / "third.py"
    path.write_text("x = 2.0\nL = x * exp(1.0) + x**0.5\n")
    status, text = run_cli(["explain", str(path), "--format", "json"], monkeypatch)
    doc = json.loads(text)
    closed_form = doc["gradients"]["x"]["closed_form"]
    assert status == 0 and "2.718281828459045" in closed_form
    back = sympy.sympify(closed_form, locals=pathgrad.sympy_names(doc))
    assert back == explain(str(path)).gradients["x"].closed_form


def test_step_function_is_not_typeset_as_a_leaf_named_theta(tmp_path):
    # sympy typesets Heaviside(x) as \theta(x) (Θ in MathML): beside a leaf θ that is two
    # different things with one name
    path = tmp_path / "step.py"
    path.write_text("θ = 0.5\nL = relu(θ * 2)\n", encoding="utf-8")
    e = explain(str(path))
    g = e.gradients["θ"]
    assert str(g.closed_form) == "2*Heaviside(2*θ, 0)" and g.value == 2.0
    text = latex.render(e)
    assert r"2 \operatorname{Heaviside}\left(2 \theta, 0\right)" in text
    assert r"\theta\left(" not in text
    page = report.render(e)
    assert "<mi>Heaviside</mi>" in page and "&#x398;" not in page
