"""Renderers never change the maths: a negative factor is never printed as subtraction,
every closed form reads back to the same expression, and odd names survive.

Issue 10 (part C). The examples of the issue are regression tests with their right values;
the properties at the end read every renderer's output back (text and JSON by parsing,
LaTeX with sympy's LaTeX parser, MathML by a small reader of presentation MathML that reads
as the eye does: an invisible times before a minus sign reads as subtraction).
"""

import io
import json
import os
import re
import sys
import tokenize
import xml.etree.ElementTree as ET

import pytest
import sympy
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from pathgrad import sympy_names
from pathgrad.cli import main
from pathgrad.explanation import explain, explain_program
from pathgrad.functions import relu, sigmoid
from pathgrad.render import json as json_renderer
from pathgrad.render import latex, report, report_parts
from pathgrad.render import text as text_renderer
from pathgrad.render.labels import label_latex, label_mathml
from pathgrad.render.maths import (
    factors_latex,
    factors_mathml,
    symbol_latex,
    symbol_mathml,
)
from pathgrad.trace.loader import load_source

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


# -- the property: every renderer reads back to the same expression ------------------------------
# Leaf names chosen to be awkward: sympy's constants and functions, a Python keyword, Greek,
# subscripts and a word.
PROPERTY_NAMES = [
    "x",
    "w1",
    "w_2",
    "I",
    "E",
    "S",
    "N",
    "Q",
    "beta",
    "gamma",
    "lambda",
    "θ",
    "total",
    # named like what a closed form calls or a constant it writes (review of issue 10)
    "sqrt",
    "Heaviside",
    "sign",
    "pi",
]
PROPERTY_VALUES = [0.5, 1.5, 2.0, -1.25, 3.0]
# Numbers as written in a file: negative ones right after an operator (w * -2), and ones whose
# double has more digits than sympy prints.
PROPERTY_CONSTANTS = ["2", "-2", "0.5", "-0.1", "3", "1e-08", "0.3333", "2.718281828459045"]
UNARY_SOURCES = [
    "-{}",
    "exp({})",
    "sin({})",
    "cos({})",
    "tanh({})",
    "sigmoid({})",
    "relu({})",
    "abs({})",
    "sqrt(abs({}) + 1)",
    "log({} * {} + 1)",
    "({})**2",
    "({})**0.5",
]
BINARY_SOURCES = [
    "{} + {}",
    "{} - {}",
    "{} * {}",
    "{} / ({} * {} + 1)",
    "max({}, {})",
    "min({}, {})",
    "{} * {}**2",
    "{} ** 3 - {}",
]


@st.composite
def sources(draw):
    """A small expression file: leaves with awkward names, then two or three lines."""
    names = draw(st.lists(st.sampled_from(PROPERTY_NAMES), min_size=1, max_size=3, unique=True))
    lines = [
        f"v{i} = leaf({n!r}, {draw(st.sampled_from(PROPERTY_VALUES))})" for i, n in enumerate(names)
    ]
    variables = [f"v{i}" for i in range(len(names))]

    def operand(depth):
        if depth == 0 or draw(st.integers(0, 2)) == 0:
            if draw(st.integers(0, 3)) == 0:
                return draw(st.sampled_from(PROPERTY_CONSTANTS))
            return draw(st.sampled_from(variables))
        if draw(st.booleans()):
            form = draw(st.sampled_from(UNARY_SOURCES))
            inner = operand(depth - 1)
            if form == "({})**0.5" and inner in PROPERTY_CONSTANTS:
                inner = variables[0]  # (-0.1)**0.5 is a complex number in plain Python
            return "(" + form.format(*[inner] * form.count("{}")) + ")"
        form = draw(st.sampled_from(BINARY_SOURCES))
        parts = [operand(depth - 1) for _ in range(form.count("{}"))]
        return "(" + form.format(*parts) + ")"

    for k in range(draw(st.integers(1, 2))):
        lines.append(f"t{k} = {operand(2)}")
        variables.append(f"t{k}")
    # the loss uses every line, and a product with a negative number (w * -2)
    lines.append(f"L = {' + '.join(variables[len(names) :])} + {variables[0]} * -2")
    return "\n".join(lines) + "\n"


FUNCTIONS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "sigmoid": sigmoid,
    "relu": relu,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "max": sympy.Max,
    "Max": sympy.Max,
    "min": sympy.Min,
    "Min": sympy.Min,
    "Heaviside": sympy.Heaviside,
    "sign": sympy.sign,
}


def placeholders(names):
    """Each name as a symbol ``v_k`` a parser can read whatever the name is (``lambda``)."""
    return {name: f"v_{_letters(k)}" for k, name in enumerate(sorted(names))}


def _letters(k):
    """0 -> a, 25 -> z, 26 -> ba: a subscript lark reads (it reads u_{9} but not u_{10})."""
    return ("" if k < 26 else _letters(k // 26)) + chr(ord("a") + k % 26)


def read_python(text, names):
    """Text written as Python (a label, the text renderer's ``·`` and ``^``) as sympy."""
    text = text.replace("·", "*").replace("^", "**")
    marks = placeholders(names)
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    # a leaf named like a function (sqrt) is the leaf where it is not called
    called = {i for i, t in enumerate(tokens[:-1]) if tokens[i + 1].string == "("}
    text = tokenize.untokenize(
        (
            t.type,
            marks.get(t.string, t.string)
            if t.type == tokenize.NAME and i not in called
            else t.string,
        )
        for i, t in enumerate(tokens)
    )
    local = {mark: sympy.Symbol(name, real=True) for name, mark in marks.items()}
    return sympy.sympify(text, locals={**FUNCTIONS, **local})


# lark's LaTeX grammar knows no \operatorname and reads \tanh ambiguously: the test takes every
# function call out (its arguments read the same way), reads the arithmetic left with lark, and
# puts the calls back (the test's reading rule, not pathgrad's).
LATEX_FUNCTIONS = {
    "sigmoid": sigmoid,
    "relu": relu,
    "Heaviside": sympy.Heaviside,
    "sign": sympy.sign,
    "tanh": sympy.tanh,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "log": sympy.log,
    "max": sympy.Max,
    "min": sympy.Min,
    "exp": sympy.exp,
}
LATEX_ABS = re.compile(r"\\left\|\{")
LATEX_CALL = re.compile(
    r"\\(?:operatorname\{(\w+)\}|(tanh|sin|cos|log|max|min|exp))"
    r"(\^\{(?:[^{}]|\{[^{}]*\})*\})?\s*\{?\s*\\left\("  # tanh^{\frac{3}{2}}{\left(x\right)}
)


def _closing(text, i):
    """The index just past the ``\right)`` that closes the ``\\left(`` ending before ``i``."""
    depth = 1
    while depth:
        if text.startswith(r"\left", i):
            depth, i = depth + 1, i + 5
        elif text.startswith(r"\right", i):
            depth, i = depth - 1, i + 6
        else:
            i += 1
    return i + 1


def _arguments(text):
    """Top-level comma-separated arguments."""
    parts, depth, start = [], 0, 0
    for k, char in enumerate(text):
        depth += char in "({" and 1 or 0
        depth -= char in ")}" and 1 or 0
        if char == "," and depth == 0:
            parts.append(text[start:k])
            start = k + 1
    return [*parts, text[start:]]


def _unambiguous(result):
    """lark's reading where it found two (``x \\left(a\\right)``: a call or a product): the one
    without a call of an unknown function, as pathgrad's LaTeX never calls one."""
    from sympy.core.function import AppliedUndef

    if isinstance(result, sympy.Basic):
        return result
    readings = [_unambiguous(child) for child in result.children]
    plain = [r for r in readings if isinstance(r, sympy.Expr) and not r.atoms(AppliedUndef)]
    # readings that differ only in arrangement (2*(a - b) and 2*a - 2*b) are one reading
    different = [r for r in plain if sympy.expand(r - plain[0]) != 0]
    assert not different, f"lark reads it in different ways: {readings}"
    return plain[0]


def read_latex(text, names, calls=None):
    """LaTeX as sympy, by sympy's LaTeX parser (lark)."""
    from sympy.parsing.latex import parse_latex

    calls = {} if calls is None else calls
    while match := LATEX_ABS.search(text):  # |x| as a call of Abs: lark reads "|a| b" badly
        depth, i = 1, match.end()
        while depth:
            if text.startswith(r"\left|{", i):
                depth, i = depth + 1, i + 7
            elif text.startswith(r"}\right|", i):
                depth, i = depth - 1, i + 8
            else:
                i += 1
        mark = f"u_{{{_letters(len(calls))}}}"
        calls[sympy.Symbol(mark)] = sympy.Abs(read_latex(text[match.end() : i - 8], names, calls))
        text = f"{text[: match.start()]} {mark} {text[i:]}"
    while match := LATEX_CALL.search(text):
        end = _closing(text, match.end())
        inner = text[match.end() : end - 7]
        if text[end : end + 1] == "}" and text[match.end() - 7 :].lstrip().startswith("{"):
            end += 1
        function = LATEX_FUNCTIONS[match.group(1) or match.group(2)]
        args = [read_latex(a, names, calls) for a in _arguments(inner)]
        mark = f"u_{{{_letters(len(calls))}}}"
        calls[sympy.Symbol(mark)] = function(*args)
        text = f"{text[: match.start()]} {mark}{match.group(3) or ''} {text[end:]}"
    marks = placeholders(names)
    for name in sorted(names, key=lambda n: -len(symbol_latex(n))):
        pattern = r"(?<![\\A-Za-z])" + re.escape(symbol_latex(name)) + r"(?![A-Za-z_{])"
        text = re.sub(pattern, lambda m, n=name: " " + marks[n].replace("_", "_{") + "} ", text)
    # lark reads \left as \le + "ft" in some of its readings: the brackets without it
    text = text.replace(r"\left", "").replace(r"\right", "")
    # lark's grammar reads "a b" but not "(a) b c", "1 \cdot 2 b", "3 (a + b)^{2}" or
    # "2 \sqrt{x}": a product is written with \cdot, as it means the same (after a command
    # such as \cdot, nothing)
    text = re.sub(
        r"(\\[A-Za-z]+|[\w)}])\s+(?=[uv]_\{|e\^|\(|\\sqrt|\\frac|i\b)",
        lambda m: m.group(0) if m.group(1)[0] == "\\" else m.group(1) + r" \cdot ",
        text,
    )
    expr = _unambiguous(parse_latex(text, backend="lark"))
    back = {
        sympy.Symbol(mark.replace("_", "_{") + "}"): sympy.Symbol(name, real=True)
        for name, mark in marks.items()
    }
    back[sympy.Symbol("e")] = sympy.E
    back[sympy.Symbol("i")] = sympy.I  # sqrt of a negative number, as sympy writes it
    return expr.xreplace(back).xreplace(calls)


INVISIBLE_TIMES = "\u2062"
MATHML_OPERATORS = {
    "\u2212": "-",
    "+": "+",
    "·": "*",
    "×": "*",
    "(": "(",
    ")": ")",
    ",": ",",
    "max": "Max",
    "min": "Min",
    INVISIBLE_TIMES: "@",
}


def read_mathml(text, names):
    """Presentation MathML as sympy, read the way the eye reads it.

    Brackets are only the ``<mo>`` brackets that are drawn; a fraction, a root and a
    superscript are groups; an invisible times before a minus sign is not seen, so
    ``w⁢−2`` reads as w − 2.
    """
    marks = placeholders(names)
    known = {ET.tostring(ET.fromstring(symbol_mathml(n))): m for n, m in marks.items()}

    def read(element):
        tag = element.tag
        if tag in ("mi", "msub") and ET.tostring(element) in known:
            return " " + known[ET.tostring(element)] + " "
        if tag == "mi":
            name = element.text
            return {"e": " E "}.get(name, f" {name} ")
        if tag == "mn":
            return f" {element.text} "
        if tag == "mo":
            return f" {MATHML_OPERATORS[element.text.strip()]} "
        if tag in ("mrow", "math", "all"):
            children = list(element)
            bars = [c.tag == "mo" and c.text == "|" for c in children]
            if len(children) >= 2 and bars[0] and bars[-1]:
                return " Abs(" + "".join(read(c) for c in children[1:-1]) + ") "
            return "".join(read(c) for c in children)
        first, *rest = [read(c) for c in element]
        if tag == "msup":
            return f"({first})**({rest[0]})"
        if tag == "mfrac":
            return f"(({first})/({rest[0]}))"
        if tag == "msqrt":
            return f"sqrt({first}{''.join(rest)})"
        if tag == "mroot":  # <mroot> base index </mroot>: the index-th root
            return f"(({first})**(1/({rest[0]})))"
        raise AssertionError(f"unexpected MathML element {tag}")

    text = text.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "")
    body = read(ET.fromstring(f"<all>{text}</all>"))
    body = re.sub(r"@\s*(?=[-+])", " ", body).replace("@", "*")
    for name, mark in marks.items():  # a leaf named like a function is the leaf, unless called
        if name in FUNCTIONS:
            body = re.sub(rf"\b{mark}\b(?=\s*\()", name, body)
    # a number in a product written without a sign between (2 x) is a product
    local = {m: sympy.Symbol(n, real=True) for n, m in marks.items()}
    return sympy.sympify(body, locals={**FUNCTIONS, **local})


def rounded(expr):
    """Every float to 12 significant digits: what a display keeps of a double."""
    return expr.xreplace(
        {f: sympy.Float(float(f"{float(f):.12g}")) for f in expr.atoms(sympy.Float)}
    )


def same(read_back, expected, names, what):
    if rounded(read_back) == rounded(expected):
        return
    # an equal expression in another arrangement: equal at the leaves' values and elsewhere
    symbols = [sympy.Symbol(n, real=True) for n in sorted(names)]
    for point in ([0.7, 1.3, 2.1], [1.9, 0.4, 1.1], [-0.6, 0.9, 1.7]):
        at = {s: point[k % 3] + 0.1 * (k // 3) for k, s in enumerate(symbols)}
        a = complex(read_back.subs(at).evalf())
        b = complex(expected.subs(at).evalf())
        assert abs(a - b) <= 1e-9 * max(1.0, abs(b)), f"{what}: {read_back} != {expected}"


def names_in(text):
    """The names a formula uses as symbols (not the functions it calls)."""
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(text).readline) if t.string.strip()]
    return {
        t.string
        for t, after in zip(tokens, [*tokens[1:], None])
        if t.type == tokenize.NAME and (after is None or after.string != "(")
    }


# no shrinking: every example explains a program, and a failing one is printed as it is
@settings(
    # each example runs every renderer: a dozen here, two hundred when exploring
    max_examples=200 if os.environ.get("HYPOTHESIS_PROFILE") == "explore" else 12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(sources())
def test_every_renderer_reads_back_to_the_same_expression(source):
    e = explain_program(load_source(source, "property.py"), max_paths=4)
    # a square root of a negative number: a complex closed form (its value is PyTorch's
    # nan); the readers here compare real expressions
    assume(
        not any(
            g.closed_form is not None and g.closed_form.has(sympy.I) for g in e.gradients.values()
        )
    )
    doc = json.loads(json_renderer.render(e))
    json_names = sympy_names(doc)
    text = text_renderer.TextRenderer("unicode")
    for leaf, g in e.gradients.items():
        written = doc["gradients"][leaf]
        # every closed form, path product and factor ...
        expressions = [(g.closed_form, written["closed_form"])]
        for path, path_doc in zip(g.paths, written["paths"]):
            expressions.append((path.product, path_doc["product"]))
            expressions += zip(path.factors, path_doc["factors"])
        for expr, json_text in expressions:
            # a factor may name an intermediate (t0) of the graph: a symbol too
            names = set(e.leaves) | {str(s) for s in expr.free_symbols}
            # the same expression; sympy distributes a number over a sum as it reads
            # (2*(x + 1) comes back as 2*x + 2), which expanding both sides undoes
            parsed = sympy.sympify(json_text, locals=json_names)
            assert parsed == expr or sympy.expand(parsed - expr) == 0, json_text
            same(read_python(text.expr(expr), names), expr, names, "text")
            closed = " ".join(piece for piece, _ in latex.pieces(expr))
            same(read_latex(closed, names), expr, names, "latex")
            same(read_mathml(report_parts.expr_html(expr), names), expr, names, "mathml")
        for path in g.paths:
            # ... the factors of a path as each renderer multiplies them ...
            product = sympy.Mul(*path.factors)
            names = set(e.leaves) | {str(s) for s in product.free_symbols}
            factors = " · ".join(text.factor(f) for f in path.factors)
            same(read_python(factors, names), product, names, "text factors")
            same(read_latex(factors_latex(path.factors), names), product, names, "latex factors")
            mathml = factors_mathml(path.factors)
            same(read_mathml(mathml, names), product, names, "mathml factors")
            # ... and every node named after its expression (w*(-2))
            for node in path.nodes:
                if node.isidentifier():
                    continue
                label_names = names_in(node)
                expected = read_python(node, label_names)
                same(read_latex(label_latex(node), label_names), expected, label_names, node)
                same(read_mathml(label_mathml(node), label_names), expected, label_names, node)
