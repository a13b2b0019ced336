"""Issue 10 B: exactly PyTorch at the edges (powers at zero, infinities, NaN).

Regression tests for each case of the issue (value, closed form, exit status),
and a property test: programs over the whole op table with values drawn from
the edges, whose values and gradients must equal PyTorch's float64 ones,
IEEE specials included (skipped, with the reason, without PyTorch).
"""

import json
import math
import re

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pathgrad
from pathgrad.cli import main
from pathgrad.explanation import explain
from pathgrad.graph import build_graph, leaves
from pathgrad.ops import OPS
from pathgrad.sums.paths import adjoint_values
from pathgrad.torch_bridge import TorchRow

INF, NAN = math.inf, math.nan


def run(tmp_path, capsys, text, *options):
    path = tmp_path / "edge.py"
    path.write_text(text)
    status = main(["explain", str(path), "--ascii", *options])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err, path


def same(a, b):
    """Equal floats, IEEE specials included (nan equals nan here)."""
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-300)


# -- powers at zero: PyTorch's masks ----------------------------------------------------
def test_x_to_the_zero_at_zero(tmp_path, capsys):
    status, out, err, _ = run(tmp_path, capsys, "x = 0.0\nL = x ** 0\n")
    e = explain(str(tmp_path / "edge.py"))
    assert e.loss_value == 1.0
    assert e.gradients["x"].value == 0.0  # PyTorch: pow_backward, exponent 0 gives zeros
    assert str(e.gradients["x"].closed_form) == "0"
    assert "pow_backward" in out and "undefined" not in out
    assert status == 0 and err == ""


def test_traced_exponent_zero_at_zero(tmp_path, capsys):
    status, out, err, path = run(tmp_path, capsys, "x = 0.0\np = 0.0\nL = x ** p\n")
    e = explain(str(path))
    assert (e.gradients["x"].value, e.gradients["p"].value) == (0.0, 0.0)
    assert str(e.gradients["x"].closed_form) == "p*x**(p - 1)"
    assert str(e.gradients["p"].closed_form) == "x**p*log(x)"
    assert "pow_backward_exponent" in out and "undefined" not in out
    assert status == 0 and err == ""


def test_zero_base_derivative_in_the_exponent(tmp_path, capsys):
    status, out, err, path = run(tmp_path, capsys, "a = 0.0\nb = 1.0\nL = a ** b\n")
    e = explain(str(path))
    assert e.gradients["b"].value == 0.0  # 0**b is 0 for b > 0
    assert e.gradients["a"].value == 1.0
    assert str(e.gradients["b"].closed_form) == "a**b*log(a)"
    assert "log of a non-positive number" not in out + err
    assert status == 0 and err == ""


def test_number_zero_base_has_no_zoo(tmp_path, capsys):
    status, _out, _err, path = run(tmp_path, capsys, "b = 1.0\nL = 0.0 ** b\n")
    e = explain(str(path))
    assert e.gradients["b"].value == 0.0 and str(e.gradients["b"].closed_form) == "0"
    assert status == 0


def test_square_root_power_at_zero_is_inf(tmp_path, capsys):
    text = "x = 0.0\ny = 0.0\nL = x ** 1.5 + y ** 0.5\n"
    status, out, err, path = run(tmp_path, capsys, text)
    e = explain(str(path))
    assert e.gradients["x"].value == 0.0
    assert e.gradients["y"].value == INF
    assert str(e.gradients["y"].closed_form) == "1/(2*sqrt(y))"
    assert "0**-0.5" not in out and "inf" in out
    assert "slope of y**0.5 in y is inf at y = 0" in out
    assert status == 0 and err == ""  # a gradient that is inf is PyTorch's answer, not an error


# -- infinities and NaN are values ---------------------------------------------------------
def test_sqrt_at_zero(tmp_path, capsys):
    status, _out, _err, path = run(tmp_path, capsys, "x = 0.0\nL = sqrt(x)\n")
    e = explain(str(path))
    assert e.loss_value == 0.0 and e.gradients["x"].value == INF
    assert status == 0


def test_exp_overflow_names_the_cause(tmp_path, capsys):
    status, out, err, path = run(tmp_path, capsys, "x = 710.0\nL = exp(x)\n")
    e = explain(str(path))
    assert e.loss_value == INF and e.gradients["x"].value == INF
    assert "L = exp(x) = inf" in out
    assert "overflow" in err and "exp(710)" in err
    assert status == 2  # the loss has no finite value


def test_log_of_underflowed_sigmoid_is_an_underflow(tmp_path, capsys):
    status, _out, err, path = run(tmp_path, capsys, "z = -800.0\nL = log(sigmoid(z))\n")
    e = explain(str(path))
    assert e.loss_value == -INF
    assert math.isnan(e.gradients["z"].value)  # PyTorch: (1/0) * (1 - 0) * 0
    assert "underflow" in err and "sigmoid(z)" in err
    assert "non-positive" not in err
    assert status == 2


def test_json_special_field(tmp_path, capsys):
    status, out, err, _ = run(
        tmp_path, capsys, "z = -800.0\nL = log(sigmoid(z))\n", "--format", "json"
    )
    data = json.loads(out)  # standard JSON: no Infinity, no NaN
    assert status == 2 and len(err.splitlines()) == 1  # the loss is -inf: one problem line
    assert "Infinity" not in out and "NaN" not in out
    assert data["schema"] == 2
    assert (data["value"], data["special"]) == (None, "-inf")
    gradient = data["gradients"]["z"]
    assert (gradient["value"], gradient["special"]) == (None, "nan")
    assert "underflow" in data["undefined"]
    _status, out, _err, _ = run(tmp_path, capsys, "x = 2.0\nL = x * 3\n", "--format", "json")
    data = json.loads(out)
    assert (data["value"], data["special"]) == (6.0, None)
    assert data["gradients"]["x"]["special"] is None


def test_division_by_zero_is_inf(tmp_path, capsys):
    status, _out, err, path = run(tmp_path, capsys, "x = 0.0\nL = 1 / x\n")
    e = explain(str(path))
    assert e.loss_value == INF and e.gradients["x"].value == -INF
    assert "division by zero" in err and status == 2


# -- closed forms never show zoo, nan or oo ------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "x = 1.0\nL = log(x*0)\n",
        "x = 1.0\nL = x / 0\n",
        "x = 2.0\nL = (x - x) ** 0.5\n",
        "x = 2.0\nL = x * log(x**0 - 1)\n",
        "x = 2.0\ny = x - x\nL = 1 / y\n",
    ],
)
def test_closed_forms_never_show_zoo(tmp_path, capsys, text):
    _status, out, _err, path = run(tmp_path, capsys, text)
    assert "zoo" not in out and not re.search(r"\boo\b", out), out
    e = explain(str(path))
    for g in e.gradients.values():
        forms = [g.closed_form, *(p.product for p in g.paths)]
        assert not any(f.has(*_INFINITIES) for f in forms), forms


_INFINITIES = (sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)


# -- --check: finite differences, PyTorch ---------------------------------------------------
def test_finite_difference_prints_significant_digits(tmp_path, capsys):
    status, out, _err, _ = run(tmp_path, capsys, "x = 1.0\nL = 1e-08 * x\n", "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert "1.00000e-08" in line and " ok" in line
    assert status == 0


def test_finite_difference_skipped_shows_no_number(tmp_path, capsys):
    _status, out, _err, _ = run(tmp_path, capsys, "x = 0.0\nL = sqrt(x)\n", "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert line.strip().startswith("finite difference: skipped")
    assert not any(ch.isdigit() for ch in line), line


@pytest.mark.parametrize(
    "text, value",
    [
        ("x = 2.0\nL = x * 1e-320\n", 1e-320),  # subnormal: below what a difference resolves
        ("x = 2.0\nL = x * 3e-322\n", 3e-322),
    ],
)
def test_finite_difference_too_small_to_resolve_says_so(tmp_path, capsys, text, value):
    status, out, _err, _ = run(tmp_path, capsys, text, "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert "skipped" in line and "rounding noise" in line and "0.00000" not in line, line
    assert f"{value:.6g}" in line and status == 0


@pytest.mark.parametrize(
    "text",
    [
        "x = 1e-8\nL = sqrt(x) + relu(x)\n",  # a step of 1e-6 would cross zero
        "x = 1e-10\nL = log(x) * x\n",
        "x = -3e-9\nL = sqrt(-x)\n",
    ],
)
def test_finite_difference_never_steps_across_zero(tmp_path, capsys, text):
    _status, out, _err, _ = run(tmp_path, capsys, text, "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert line.rstrip().endswith(" ok") and "kink" not in line, line


@pytest.mark.parametrize("number", [1e300, -1e300, 1e-320, 2.0**60 + 2**8, 1e-300, 1e15 + 1])
def test_numbers_far_from_one_print_as_doubles_not_hundreds_of_digits(tmp_path, capsys, number):
    status, out, _err, _ = run(tmp_path, capsys, f"x = 2.0\nL = x * {number!r}\n")
    assert status == 0
    assert max(len(word) for word in out.split()) < 40, out
    assert repr(float(number)) not in ("inf", "-inf")


def test_finite_difference_compares_relatively():
    from pathgrad.sums.check import fd_agrees

    assert not fd_agrees(0.0, 1e-8, 1e-8, 1e-6)  # 0 is not 1e-8
    assert fd_agrees(1e-8 * (1 + 1e-7), 1e-8, 1e-8, 1e-6)
    assert not fd_agrees(1.001e12, 1e12, 1.0, 1e-6)


@pytest.mark.parametrize(
    "mine, theirs, agree",
    [
        (INF, INF, True),
        (-INF, -INF, True),
        (NAN, NAN, True),
        (INF, -INF, False),
        (INF, NAN, False),
        (NAN, 1.0, False),
        (INF, 1e308, False),
        (None, None, True),
        (None, INF, False),
        (1.0, 1.0 + 1e-12, True),
    ],
)
def test_torch_row_compares_ieee_specials(mine, theirs, agree):
    assert TorchRow("x", mine, theirs, ()).agree is agree


def test_check_torch_prints_specials(tmp_path, capsys):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install 'pathgrad[torch]'")
    status, out, err, _ = run(
        tmp_path, capsys, "x = 0.0\ny = 2.0\nL = sqrt(x) + y\n", "--check", "torch"
    )
    table = out[out.index("PyTorch (CPU, float64)") :]
    row = next(s for s in table.splitlines() if s.strip().startswith("dL/dx"))
    assert row.split()[1:4] == ["inf", "inf", "ok"], row
    assert "?" not in out
    assert status == 0, err


# -- the class: programs over the whole op table at edge values, against PyTorch ----------
EDGE_VALUES = [
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    2.0,
    -2.5,
    3.0,
    1e308,
    -1e308,
    1e-308,
    5e-324,
    -5e-324,
    710.0,
    -800.0,
    1e154,
    1e-200,
]
EDGE_NUMBERS = [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.0, 3.0, 1.5, 1e308]
UNARY = [name for name, op in OPS.items() if op.arity == 1]
BINARY = [name for name, op in OPS.items() if op.arity == 2]


@st.composite
def edge_programs(draw):
    """(leaf values, steps): each step (op, operands), an operand ("n", node) or ("c", x)."""
    values = draw(st.lists(st.sampled_from(EDGE_VALUES), min_size=1, max_size=3))
    steps, count = [], len(values)
    for _ in range(draw(st.integers(2, 6))):
        node = ("n", draw(st.integers(0, count - 1)))
        if draw(st.booleans()):
            steps.append((draw(st.sampled_from(UNARY)), [node]))
        else:
            other = draw(
                st.one_of(
                    st.tuples(st.just("n"), st.integers(0, count - 1)),  # ties: the same node too
                    st.tuples(st.just("c"), st.sampled_from(EDGE_NUMBERS)),
                )
            )
            operands = [node, other] if draw(st.booleans()) else [other, node]
            steps.append((draw(st.sampled_from(BINARY)), operands))
        count += 1
    return values, steps


def _apply(side, name, args):
    a = args[0]
    binary = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "pow": lambda x, y: x**y,
    }
    if name in binary:
        return binary[name](*args)
    if name == "neg":
        return -a
    if name in ("max", "min"):
        return side[name](*args)
    return getattr(a, name)()


def _run_program(values, steps, leaf, side):
    nodes = [leaf(v, f"v{i}") for i, v in enumerate(values)]
    for name, operands in steps:
        args = [nodes[i] if kind == "n" else side["number"](i) for kind, i in operands]
        nodes.append(_apply(side, name, args))
    return nodes


def run_on_both(values, steps):
    """The program on pathgrad's traced values and on PyTorch's float64 tensors:
    ``(ours, theirs)``, one list of values each, leaves first."""
    torch = pytest.importorskip(
        "torch", reason="PyTorch is not installed: pip install 'pathgrad[torch]' to run parity"
    )

    def tensor(x):
        return x if isinstance(x, torch.Tensor) else torch.tensor(x, dtype=torch.float64)

    ours = _run_program(
        values,
        steps,
        lambda v, n: pathgrad.tensor(v, True, n),
        {"max": pathgrad.max, "min": pathgrad.min, "number": float},
    )
    theirs = _run_program(
        values,
        steps,
        lambda v, n: tensor(v).requires_grad_(),
        {
            "max": lambda x, y: torch.maximum(tensor(x), tensor(y)),
            "min": lambda x, y: torch.minimum(tensor(x), tensor(y)),
            "number": float,
        },
    )
    return ours, theirs


def assert_like_pytorch(values, steps, explain_it=False):
    """Run a program on pathgrad and on PyTorch; every value and gradient must be equal."""
    ours, theirs = run_on_both(values, steps)
    for k, (mine, reference) in enumerate(zip(ours, theirs)):
        assert same(mine.value, float(reference.detach())), (k, mine, reference)
    loss, reference = ours[-1], theirs[-1]
    reference.backward()
    if explain_it:  # what every output shows
        e = pathgrad.explain_tensor(loss, method="reverse", max_paths=0, in_terms_of="locals")
        assert same(e.loss_value, float(reference.detach()))
        mine = {name: g.value for name, g in e.gradients.items()}
    else:  # the same numbers, without the closed forms
        graph = build_graph(loss)
        adjoints, _ = adjoint_values(graph)
        mine = {graph.nodes[n]["name"]: adjoints[n] for n in leaves(graph)}
    for i in range(len(values)):
        name, grad = f"v{i}", theirs[i].grad
        if name not in mine:
            assert grad is None or float(grad) == 0.0
            continue
        assert grad is not None and same(mine[name], float(grad)), (name, mine[name], grad)


@pytest.mark.parametrize("name", UNARY)
def test_every_unary_op_at_every_edge_value(name):
    for x in EDGE_VALUES:
        assert_like_pytorch([x], [(name, [("n", 0)])])


@pytest.mark.parametrize("name", BINARY)
def test_every_binary_op_at_every_pair_of_edge_values(name):
    for a in EDGE_VALUES:
        assert_like_pytorch([a], [(name, [("n", 0), ("n", 0)])])  # a tie: the same operand
        for b in EDGE_VALUES:
            assert_like_pytorch([a, b], [(name, [("n", 0), ("n", 1)])])
        for c in EDGE_NUMBERS:
            assert_like_pytorch([a], [(name, [("n", 0), ("c", c)])])
            assert_like_pytorch([a], [(name, [("c", c), ("n", 0)])])


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(program=edge_programs())
def test_values_and_gradients_equal_pytorch_at_the_edges(program):
    assert_like_pytorch(*program, explain_it=True)


def test_readme_prints_the_conventions_table():
    from pathlib import Path

    from pathgrad.kernels import CONVENTIONS

    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for row in CONVENTIONS:
        assert "| " + " | ".join(row) + " |" in readme, row


def test_exit_status_one_when_a_number_is_not_pytorchs(tmp_path, capsys, monkeypatch):
    pytest.importorskip("torch", reason="PyTorch is not installed: pip install 'pathgrad[torch]'")
    import pathgrad.torch_bridge as bridge

    real = bridge.check_torch

    def off_by_nan(explanation):  # PyTorch says nan where pathgrad says inf: a pathgrad bug
        rows = real(explanation)
        rows[-1].torch = NAN
        return rows

    monkeypatch.setattr(bridge, "check_torch", off_by_nan)
    status, out, err, _ = run(tmp_path, capsys, "x = 0.0\nL = sqrt(x)\n", "--check", "torch")
    assert "MISMATCH" in out
    assert status == 1 and "bug in pathgrad" in err and "dL/dx" not in err.split(":")[0]
    monkeypatch.setattr(bridge, "check_torch", real)
    status, out, err, _ = run(tmp_path, capsys, "x = 0.0\nL = sqrt(x)\n", "--check", "torch")
    assert status == 0 and err == ""


# -- review of issue 10: more members of the classes ----------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "x = 5e-324\nL = x / 2.0\n",
        "x = 1e-320\nL = x * x\n",
        "x = 1e-320\nL = x * 2.0\n",
    ],
)
def test_a_subnormal_leaf_is_checked_without_a_crash(tmp_path, capsys, text):
    status, out, _err, _ = run(tmp_path, capsys, text, "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert "skipped: the leaf" in line and "too close to 0" in line
    assert status == 0


@pytest.mark.parametrize(
    "text",
    [
        "x = 1000000.0\nL = sin(x)\n",  # h = 1: two steps disagree
        "x = 100000000.0\nL = sin(x)\n",
        "x = 1.0000001\nL = relu(x - 1.0)\n",  # a kink within the step
        "x = 1.0000001\nL = abs(x - 1.0)\n",
        "x = 1.0000001\nL = max(x, 1.0)\n",
    ],
)
def test_a_finite_difference_that_cannot_judge_says_so(tmp_path, capsys, text):
    """Never a ✓ beside a wrong number, nor a ✗ on PyTorch's gradient."""
    _status, out, _err, _ = run(tmp_path, capsys, text, "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert "cannot judge" in line, line


def test_a_step_into_a_pole_is_named(tmp_path, capsys):
    _status, out, _err, _ = run(tmp_path, capsys, "x = 1.0\nL = sqrt(x - 0.9999999)\n", "--check")
    line = next(s for s in out.splitlines() if "finite difference" in s)
    assert "no finite value a step away" in line


@pytest.mark.parametrize(
    "text",
    [
        "x = 2.0\nL = x ** min(1.0 / (x * 0.0), 0.0)\n",
        "x = 2.0\nL = max(x / 0.0, 1.0) + x\n",
        "x = 2.0\nL = min(x / 0.0, -x / 0.0) * x\n",
    ],
)
def test_an_infinity_inside_max_or_min_neither_crashes_nor_shows_zoo(tmp_path, capsys, text):
    status, out, err, _ = run(tmp_path, capsys, text, "--check", "all", "--format", "json")
    assert "internal error" not in err
    data = json.loads(out)
    for g in data["gradients"].values():
        forms = [g["closed_form"], *(p["product"] for p in g["paths"])]
        assert not any("zoo" in f or "nan" in f for f in forms), forms
    assert status in (0, 2)


@pytest.mark.parametrize(
    "text",
    [
        "sqrt = 4.0\nx = 2.0\nL = x ** 0.5 * sqrt + (-2.0) ** x\n",  # a leaf named sqrt, and I
        "x = 2.0\npi = x * 1.0\nL = (-2.0) ** pi\n",  # a node named pi, and the constant
        "x = 2.0\nL = max(x / 0.0, 1.0) + x\n",  # 1/0 kept unevaluated
        "Heaviside = 0.5\nsign = 2.0\nL = relu(sign * Heaviside)\n",
    ],
)
def test_json_reads_back_whatever_the_names(tmp_path, capsys, text):
    from pathgrad.render.json import sympy_names

    _status, out, _err, _ = run(tmp_path, capsys, text, "--format", "json")
    data = json.loads(out)
    names = sympy_names(data)
    for g in data["gradients"].values():
        for p in g["paths"]:
            for form in [p["product"], *p["factors"]]:
                sympy.sympify(form, locals=names)
        back = sympy.sympify(g["closed_form"], locals=names)
        assert not back.has(sympy.zoo)
        assert {s.name for s in back.free_symbols} <= set(data["leaves"]) | {
            n for p in g["paths"] for n in p["nodes"]
        }


def test_the_loss_backward_was_called_on_is_said(tmp_path, capsys):
    text = "w = 2.0\nloss = w * w\nloss.backward()\nL = w * w.grad + w\n"
    status, out, _err, _ = run(tmp_path, capsys, text, "--format", "json")
    data = json.loads(out)
    assert status == 0 and data["loss"] == "loss"
    assert any("called backward() on), not L" in n["text"] for n in data["notes"])


def test_a_generated_name_says_what_it_stands_for(tmp_path, capsys):
    _status, out, _err, _ = run(tmp_path, capsys, "x = 2.0\nL = max(x / 0.0, 1.0) + x\n")
    assert "t1 stands for x/0" in out


@pytest.mark.parametrize("b", ["2.0", "0.0", "-1.0"])
def test_sympy_diff_of_zero_to_a_power_is_no_verdict(tmp_path, capsys, b):
    """d(0**b)/db is 0**b*log(0) to sympy: PyTorch's mask decides, so no ✗ on its number."""
    _status, out, _err, _ = run(tmp_path, capsys, f"b = {b}\nL = 0.0 ** b\n", "--check")
    line = next(s for s in out.splitlines() if "sympy.diff" in s)
    assert "skipped: sympy.diff gives an infinity" in line and "differ" not in line


# -- second review of issue 10 ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text, wrt, theirs",
    [
        ("x = -1.0\nL = max(log(min(x, 0.0)), 2.0)\n", "x", -1.0),  # sympy cannot order log(...)
        ("x = 2.0\nL = relu(sqrt(-x))\n", "x", NAN),  # complex forms in the sympy check
        ("x = 2.0\nL = abs(sqrt(-x)) + relu(sqrt(-x))\n", "x", NAN),
    ],
)
def test_forms_sympy_cannot_order_or_compare_neither_crash_nor_differ(
    tmp_path, capsys, text, wrt, theirs
):
    status, out, err, _ = run(tmp_path, capsys, text, "--check", "all", "--format", "json")
    assert "internal error" not in err
    data = json.loads(out)
    g = data["gradients"][wrt]
    ours = NAN if g["special"] == "nan" else g["value"]
    assert same(ours, theirs)
    assert status in (0, 2)


def test_a_kink_a_rounding_away_is_a_kink_for_the_finite_difference(tmp_path, capsys):
    text = "x = 0.1\ny = 0.2\nL = relu(x + y - 0.3) + abs(x * 3.0 - 0.3)\n"
    _status, out, _err, _ = run(tmp_path, capsys, text, "--check")
    lines = [s for s in out.splitlines() if "finite difference" in s]
    assert lines and all("kink" in s for s in lines), lines
