"""Explanations of the bundled examples and of the cases the file format promises."""

import math

import pytest
import sympy

from pathgrad import SYMPY_NAMES
from pathgrad.explanation import explain, explain_program
from pathgrad.trace.loader import load_source


def S(text):
    """Parse a closed form the way a JSON consumer would."""
    return sympy.sympify(text, locals=SYMPY_NAMES)


def explain_text(text, **kwargs):
    return explain_program(load_source(text, "t.py", kwargs.pop("loss", None)), **kwargs)


def same(a, b):
    return sympy.expand(S(a) - S(str(b))) == 0


# -- the seed example ---------------------------------------------------------
SEED = {
    "x1": ("-w1*w2", -2.0, 1),
    "x2": ("-w1*w3", -3.0, 1),
    "w1": ("-w2*x1 - w3*x2", -8.0, 2),
    "w2": ("-w1*x1", -1.0, 1),
    "w3": ("-w1*x2", -2.0, 1),
}


def test_seed_loss_and_leaves():
    e = explain("seed")
    assert (e.loss, e.loss_expr, e.loss_value) == ("L", "1 - x5", -7.0)
    assert e.leaves == {"x1": 1.0, "x2": 2.0, "w1": 1.0, "w2": 2.0, "w3": 3.0}


@pytest.mark.parametrize("leaf", sorted(SEED))
def test_seed_every_gradient_exact(leaf):
    closed, value, count = SEED[leaf]
    g = explain("seed", check=True).gradients[leaf]
    assert str(g.closed_form) == closed
    assert g.value == value
    assert g.path_count == count == len(g.paths)
    assert g.method == "paths" and g.in_terms_of == "leaves"
    assert g.check.symbolic == "equal" and g.check.numeric == "agree"
    assert g.check.finite_difference == pytest.approx(value, rel=1e-6)


def test_seed_paths_of_w1():
    g = explain("seed", wrt=["w1"]).gradients["w1"]
    assert [p.nodes for p in g.paths] == [
        ["L", "x5", "w2*x3", "x3", "w1"],
        ["L", "x5", "w3*x4", "x4", "w1"],
    ]
    assert [[str(f) for f in p.factors] for p in g.paths] == [
        ["-1", "1", "w2", "x1"],
        ["-1", "1", "w3", "x2"],
    ]
    assert [str(p.product) for p in g.paths] == ["-w2*x1", "-w3*x2"]
    assert [p.value for p in g.paths] == [-2.0, -6.0]
    assert [p.lines for p in g.paths] == [[10, 9, 9, 7], [10, 9, 9, 8]]


def test_closed_form_is_sum_of_listed_paths():
    g = explain("seed", wrt=["w1"]).gradients["w1"]
    assert sympy.expand(sum(p.product for p in g.paths) - g.closed_form) == 0


# -- reused operands, rebinding, branches ----------------------------------------
def test_reused_operand_gives_two_paths():
    g = explain_text("a = 3\ny = a * a\n").gradients["a"]
    assert g.path_count == 2
    assert [str(p.product) for p in g.paths] == ["a", "a"]
    assert str(g.closed_form) == "2*a" and g.value == 6.0
    assert [p.via for p in g.paths] == [["the 1st a of y = a*a"], ["the 2nd a of y = a*a"]]


@pytest.mark.parametrize(
    "text, count, closed",
    [
        ("x = 2\ny = x + x\n", 2, "2"),
        ("z = 0.5\nL = sin(z * z) + z\n", 3, "2*z*cos(z**2) + 1"),
        ("a = 2\nL = a * a * a\n", 3, "3*a**2"),
    ],
)
def test_reused_operands_inside_larger_graphs(text, count, closed):
    g = next(iter(explain_text(text).gradients.values()))
    assert g.path_count == count
    assert same(closed, g.closed_form)


def test_rebinding_names_every_version():
    e = explain_text("c = 2\nc += c + 1\nc = c * 3\n")
    names = [d["name"] for _, d in e.graph.nodes(data=True)]
    assert names[0] == "c"  # the leaf keeps the plain name
    assert "c_1" in names and "c_2" in names
    assert e.loss == "c_2"
    g = e.gradients["c"]
    assert same("6", g.closed_form) and g.value == 6.0


def test_version_names_never_take_a_users_name():
    e = explain_text("x_1 = 5\nx = 2\nx = x * x_1\n")
    names = sorted(d["name"] for _, d in e.graph.nodes(data=True))
    assert names == ["x", "x_1", "x_2"]
    assert e.loss == "x_2"


def test_branch_follows_values_and_is_noted():
    text = "x = 2\nif x > 1:\n    y = x * x\nelse:\n    y = -x\n"
    e = explain_text(text)
    assert str(e.gradients["x"].closed_form) == "2*x"
    assert any(n.line == 2 and "x > 1 is True" in n.text for n in e.notes)
    e = explain_text(text.replace("x = 2", "x = 0.5"))
    assert str(e.gradients["x"].closed_form) == "-1"


def test_max_sends_gradient_to_the_chosen_argument():
    e = explain_text("a = 3\nb = 1\nL = max(a, b) * 2\n")
    assert (e.gradients["a"].value, e.gradients["b"].value) == (2.0, 0.0)


def test_tie_and_relu_kink_follow_pytorch_and_are_noted():
    e = explain_text("a = 1\nb = 1\nL = max(a, b) + relu(a - b)\n")
    assert (e.gradients["a"].value, e.gradients["b"].value) == (0.5, 0.5)
    kinks = [n.text for n in e.notes if "kink" in n.text]
    assert len(kinks) == 2


# -- symbolic leaves, functions, methods ---------------------------------------------
def test_symbolic_leaves_have_closed_forms_but_unknown_values():
    e = explain("symbolic")
    assert e.leaves["x"] is None and e.leaves["w"] == 2.0
    g = e.gradients["y"]
    assert g.value is None and g.undefined is None
    assert same("-w*x/(exp(w*x*y) + 1)", g.closed_form)


def test_functions_and_methods_are_the_same_operations():
    a = explain_text("x = 0.3\nL = tanh(x) + x.tanh()\n").gradients["x"]
    assert same("2 - 2*tanh(x)**2", a.closed_form)


def test_traced_math_module():
    e = explain_text("import math\nx = 0.5\nL = math.exp(x) * math.sin(x)\n")
    assert same("exp(x)*sin(x) + exp(x)*cos(x)", e.gradients["x"].closed_form)


def test_pathgrad_imports_work_in_a_file():
    text = "from pathgrad import leaf, sigmoid\nw = leaf('w', 0.5)\nL = sigmoid(w) * 2\n"
    g = explain_text(text).gradients["w"]
    assert same("2*sigmoid(w)*(1 - sigmoid(w))", g.closed_form)


def test_sigmoid_closed_form_is_textbook():
    g = explain("neuron", wrt=["b"]).gradients["b"]
    assert "sigmoid(b + w*x)" in str(g.closed_form)
    assert "exp" not in str(g.closed_form)


def test_leaf_in_loop_and_requires_grad_false():
    text = (
        "ws = [leaf(f'w{i}', i + 1.0) for i in range(3)]\nc = leaf('c', 2, requires_grad=False)\n"
        "L = (ws[0] + ws[1] * ws[2]) * c\n"
    )
    e = explain_text(text)
    assert list(e.gradients) == ["w0", "w1", "w2"]
    assert [g.value for g in e.gradients.values()] == [2.0, 6.0, 4.0]


def test_loss_option_picks_an_earlier_variable():
    e = explain_text("x = 2\ny = x * 3\nz = y * y\n", loss="y")
    assert e.loss == "y" and str(e.gradients["x"].closed_form) == "3"


def test_integer_leaf_as_loop_count_is_noted():
    e = explain_text("n = 3\nx = 2\ny = x\nfor i in range(n):\n    y = y * x\n")
    assert e.gradients["x"].path_count == 4
    assert any("whole number 3" in note.text for note in e.notes)


# -- domain problems -------------------------------------------------------------------
def test_log_of_non_positive_keeps_closed_form():
    e = explain_text("x = -1\nL = log(x) * 2\n")
    g = e.gradients["x"]
    assert str(g.closed_form) == "2/x"
    # issue 10: PyTorch's values: log(-1) is nan, and its gradient 2 * (1/x) = -2 is finite
    assert math.isnan(e.loss_value) and g.value == -2.0
    assert "log of a non-positive number" in e.loss_undefined
    assert [(p.line, "log of a non-positive number" in p.message) for p in e.problems] == [
        (2, True)
    ]


# -- many paths --------------------------------------------------------------------------
def test_diamond_chain_counts_without_enumerating():
    g = explain("diamonds", max_paths=3).gradients["x"]
    assert g.path_count == 2**30 and len(g.paths) == 3
    assert g.method == "reverse" and g.in_terms_of == "locals"
    # the closed form is a product of 30 factors cos(x_k) - sin(x_k)
    assert len(sympy.Mul.make_args(g.closed_form)) == 30
    # the value is the chain rule's product, computed here directly
    import math

    x, expected = 0.5, 1.0
    for _ in range(30):
        expected *= math.cos(x) - math.sin(x)
        x = math.sin(x) + math.cos(x)
    assert g.value == pytest.approx(expected, rel=1e-12)


def test_regrouped_and_listed_sums_agree():
    listed = explain("micrograd", max_paths=1000).gradients
    regrouped = explain("micrograd", max_paths=1).gradients
    for leaf in ("a", "b"):
        assert listed[leaf].method == "paths" and regrouped[leaf].method == "reverse"
        assert listed[leaf].value == pytest.approx(regrouped[leaf].value, rel=1e-12)
        diff = (listed[leaf].closed_form - regrouped[leaf].closed_form).subs(
            {sympy.Symbol("a", real=True): -4, sympy.Symbol("b", real=True): 2}
        )
        assert abs(float(diff)) < 1e-9


def test_micrograd_matches_its_readme():
    e = explain("micrograd", check=True)
    assert round(e.loss_value, 4) == 24.7041
    assert round(e.gradients["a"].value, 4) == 138.8338
    assert round(e.gradients["b"].value, 4) == 645.5773
    for g in e.gradients.values():
        assert g.check.symbolic.startswith("equal") and g.check.numeric == "agree"


@pytest.mark.parametrize("name", ["seed", "neuron", "reuse", "micrograd", "branch", "mlp"])
def test_every_example_agrees_with_sympy_and_finite_differences(name):
    e = explain(name, check=True)
    assert e.gradients
    for g in e.gradients.values():
        assert g.check.symbolic.startswith("equal"), (g.leaf, g.check)
        assert g.check.numeric == "agree", (g.leaf, g.check)


def test_the_loss_keeps_the_name_the_file_gives_it():
    e = explain_text("w = 0.5\nh = 1.0\nfor i in range(3):\n    h = tanh(w * h)\nL = h\n")
    assert e.loss == "L" and e.gradients["w"].loss == "L"


def test_denominators_are_factored():
    g = explain_text("x = 1\ny = 1.5\nL = x / (x - y)\n").gradients
    assert str(g["x"].closed_form) == "-y/(x - y)**2"


def test_dropping_a_value_names_its_formula():
    import pytest as _pytest

    from pathgrad.errors import PathgradError

    with _pytest.raises(PathgradError, match=r"float\(\) of a traced value \(x\*x\)"):
        explain_text("x = 2.0\ny = float(x * x)\n")


def test_a_zero_start_value_that_is_rebound_is_noted():
    e = explain_text("w = 0.5\nL = 0\nfor x in [1.0, 2.0]:\n    L = L + w * x\n")
    assert any(n.line == 2 and "starts as a number" in n.text for n in e.notes)
    e = explain_text("x = 0.5\nfor i in range(2):\n    x = sin(x)\n")
    assert not any("starts as a number" in n.text for n in e.notes)


def test_a_symbolic_leaf_close_to_an_assigned_name_gets_a_hint():
    e = explain_text("y = 1.0\nw = 2.0\nL = w * yy\n")
    assert any("did you mean y?" in n.text for n in e.notes)
