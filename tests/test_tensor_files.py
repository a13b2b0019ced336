"""Tensors in expression files: the format, both modes, --wrt, --element, the outputs, errors.

A list of numbers assigned at a file's top level is a tensor leaf; its elements are
scalar leaves named ``W[0,1]``. The same files run in normal mode and in ``--safe``
mode (interpreted, never executed) and must explain the same; the gradients are
PyTorch's (float64); bad shapes and bad lists are one-line errors with exit status 2.
"""

import json
import re

import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from test_tensors import TH, program_of, programs, weights

import pathgrad
from pathgrad.cli import main
from pathgrad.explanation import explain_program
from pathgrad.render import json as render_json
from pathgrad.render import latex
from pathgrad.trace.loader import load_source
from pathgrad.trace.parts import Part
from pathgrad.trace.shapes import indices

torch = pytest.importorskip("torch", reason="PyTorch is the oracle: pip install 'pathgrad[torch]'")

LAYER = (
    "x = [1.0, 2.0, -1.0]\n"
    "W = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]\n"
    "b = [0.1, -0.2]\n"
    "y = const([0.5, -0.5])\n"
    "h = tanh(W @ x + b)\n"
    "L = ((h - y) ** 2).mean()\n"
)


#: LAYER's matrix forms (mean over 2 elements: the 2/n of the square's derivative is 1).
FORMS = {
    "W": "((h − y) ⊙ (𝟙 − h^2))·xᵀ",
    "x": "Wᵀ·((h − y) ⊙ (𝟙 − h^2))",
    "b": "(h − y) ⊙ (𝟙 − h^2)",
}


def layer_in_torch():
    def t(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    x, W, b = t([1.0, 2.0, -1.0]), t([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]), t([0.1, -0.2])
    y = torch.tensor([0.5, -0.5], dtype=torch.float64)
    loss = ((torch.tanh(W @ x + b) - y) ** 2).mean()
    loss.backward()
    return loss.item(), {"x": x.grad.tolist(), "W": W.grad.tolist(), "b": b.grad.tolist()}


def flat(nested):
    return [v for item in nested for v in flat(item)] if isinstance(nested, list) else [nested]


def run(capsys, tmp_path, text, *options, name="f.py"):
    path = tmp_path / name
    path.write_text(text)
    status = main(["explain", str(path), *options])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out, err


@pytest.mark.parametrize("safe", [False, True], ids=["normal", "safe"])
def test_a_layer_written_with_tensors_is_pytorch(safe):
    e = explain_program(load_source(LAYER, "f.py", safe=safe))
    loss, grads = layer_in_torch()
    assert e.loss_value == pytest.approx(loss, rel=1e-12)
    data = json.loads(render_json.render(e))
    assert sorted(data["tensors"]) == ["W", "b", "x"]  # y is a constant
    for name, grad in grads.items():
        tensor = data["tensors"][name]
        assert tensor["shape"] == [len(grad), len(grad[0])] if name == "W" else [len(grad)]
        assert tensor["matrix_form"] == FORMS[name]
        assert flat(tensor["grad"]) == pytest.approx(flat(grad), rel=1e-12)
    assert data["gradients"]["W[0,1]"]["value"] == pytest.approx(grads["W"][0][1], rel=1e-12)
    assert "y[0]" not in data["gradients"]


def test_normal_and_safe_mode_explain_a_tensor_file_the_same(capsys, tmp_path):
    outputs = [run(capsys, tmp_path, LAYER, "--format", "json", *m)[1] for m in ([], ["--safe"])]
    assert outputs[0] == outputs[1]


def test_json_closed_forms_read_back_with_element_names():
    data = json.loads(render_json.render(explain_program(load_source(LAYER, "f.py"))))
    names = pathgrad.sympy_names(data)
    form = sympy.sympify(data["gradients"]["W[0,1]"]["closed_form"], locals=names)
    assert sympy.Symbol("x[1]", real=True) in form.free_symbols


@pytest.mark.parametrize("wrt", ["W", "W[0,1]", "W[0][1]", "W[0, 1]"])
def test_wrt_a_tensor_is_every_element_and_an_element_is_one(capsys, tmp_path, wrt):
    status, out, _ = run(capsys, tmp_path, LAYER, "--wrt", wrt, "--format", "json")
    data = json.loads(out)
    expected = [f"W[{i},{j}]" for i in range(2) for j in range(3)] if wrt == "W" else ["W[0,1]"]
    assert status == 0 and list(data["gradients"]) == expected
    assert list(data["tensors"]) == ["W"]
    if wrt != "W":
        assert data["tensors"]["W"]["grad"][0][0] is None


def test_text_shows_the_matrix_and_one_elements_paths(capsys, tmp_path):
    status, out, _ = run(capsys, tmp_path, LAYER, "--wrt", "W,b", "--element", "W[1][2]")
    assert status == 0
    _, grads = layer_in_torch()
    assert "∂L/∂W — tensor W (2 x 3)" in out
    assert "matrix form: ∂L/∂W = ((h − y) ⊙ (𝟙 − h^2))·xᵀ" in out
    rows = re.findall(r"^   ?\[\[?(.*?)\]", out, re.M)
    shown = [float(v) for v in " ".join(rows[:2]).split()]
    assert shown == pytest.approx(flat(grads["W"]), rel=1e-5)
    assert "5 other elements of W explained, not listed" in out
    assert "∂L/∂W[1,2] — 1 path" in out and "∂L/∂W[0,0] —" not in out
    assert "∂L/∂b[0] — 1 path" in out and "1 other element of b explained" in out


def test_an_element_not_explained_is_refused(capsys, tmp_path):
    status, _, err = run(capsys, tmp_path, LAYER, "--wrt", "W", "--element", "W[5,5]")
    assert status == 2 and "--element W[5,5]: no element of that name is explained" in err


@pytest.mark.parametrize("safe", [[], ["--safe"]], ids=["normal", "safe"])
@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("W = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]\nv = [[1.0], [2.0]]\n\nL = (W @ v).sum()\n",
         4, "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x1)"),
        ("x = [1.0, 2.0, 3.0]\ny = [1.0, 2.0]\nL = (x + y).sum()\n",
         3, "The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0"),
        ("x = [[1.0, 2.0], [3.0]]\nL = x.sum()\n", 1, "a tensor's rows must have equal lengths"),
        ("x = [1.0, 'a']\nL = x.sum()\n", 1, "a tensor's elements must be numbers, not str"),
        ("x = [[[1.0]]]\nL = x.sum()\n", 1, "tensors of up to 2 dimensions are supported, not 3"),
        ("x = [1.0, 2.0]\nL = x[2] * 2\n", 2, "index 2 is out of bounds for dimension 0 with size 2"),
        ("x = [1.0, 2.0]\nL = x * 2\n", 2, "L is a tensor of shape [2], not one number"),
        ("z = [2.0, 1.0]\nL = cross_entropy(z, 3)\n", 2, "Target 3 is out of bounds."),
    ],
)  # fmt: skip
def test_bad_tensors_are_one_line_errors(capsys, tmp_path, text, line, message, safe):
    status, _, err = run(capsys, tmp_path, text, *safe)
    assert status == 2 and len(err.splitlines()) == 1, err
    assert err.startswith(f"pathgrad: {tmp_path / 'f.py'}:{line}: ") and message in err


@pytest.mark.parametrize("safe", [False, True], ids=["normal", "safe"])
def test_every_tensor_spelling_of_a_file(safe):
    text = (
        "z = [2.0, 1.0, 0.1]\n"
        "W = [[0.5, -1.0], [1.5, 0.5], [0.25, 2.0]]\n"
        "p = softmax(z, dim=0)\n"
        "q = log_softmax(stack([z, z * 2]), 1)\n"
        "m = max(z[0], z[1]) + max(z, 0.5, z * z)[2] + z.max() + W.T[1][2] + W[:, 0].sum()\n"
        "m = m + W[1:].mean(dim=1).sum()\n"
        "c = cat([z, W[0]]).sum() + sum(z) + mean(W) + W.sum(0).sum() + (z @ W).sum()\n"
        "L = cross_entropy(q, [0, 2]) + mse(W @ W.T[:, :1].T[0], z) + p[0] + m + c\n"
    )
    e = explain_program(load_source(text, "f.py", safe=safe))

    def t(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    z, W = t([2.0, 1.0, 0.1]), t([[0.5, -1.0], [1.5, 0.5], [0.25, 2.0]])
    F = torch.nn.functional
    p = torch.softmax(z, 0)
    q = torch.log_softmax(torch.stack([z, z * 2]), 1)
    m = torch.maximum(z[0], z[1]) + torch.maximum(torch.maximum(z, torch.tensor(0.5)), z * z)[2]
    m = m + z.max() + W.T[1][2] + W[:, 0].sum()
    m = m + W[1:].mean(dim=1).sum()
    c = torch.cat([z, W[0]]).sum() + sum(z) + W.mean() + W.sum(0).sum() + (z @ W).sum()
    L = F.cross_entropy(q, torch.tensor([0, 2])) + F.mse_loss(W @ W.T[:, :1].T[0], z) + p[0]
    L = L + m + c
    L.backward()
    assert e.loss_value == pytest.approx(L.item(), rel=1e-12)
    mine = {name: g.value for name, g in e.gradients.items()}
    theirs = {f"z[{i}]": g for i, g in enumerate(z.grad.tolist())}
    theirs.update(
        {f"W[{i},{j}]": g for i, row in enumerate(W.grad.tolist()) for j, g in enumerate(row)}
    )
    assert mine == pytest.approx(theirs, rel=1e-12)


def test_const_tensors_and_const_option(capsys, tmp_path):
    text = "x = [1.0, 2.0]\nw = [0.5, -1.0]\nL = (w * x).sum()\n"
    status, out, _ = run(capsys, tmp_path, text, "--const", "x", "--format", "json")
    assert status == 0 and list(json.loads(out)["gradients"]) == ["w[0]", "w[1]"]


def test_lists_that_stay_python_lists():
    text = (
        "sizes = [3, 1]\nempty = []\nmade = [0.5] * 2\ndata = (1.0, 2.0)\nw = 0.5\n"
        "ws = [w, w * 2]\nL = w * sizes[0] * made[1] * data[0] + ws[1] + len(empty)\n"
    )
    program = load_source(text, "f.py")
    assert [type(program.namespace[n]).__name__ for n in ("sizes", "empty", "made", "data")] == [
        "list", "list", "list", "tuple",
    ]  # fmt: skip
    assert [t.name for t in program.leaves] == ["w"]


def test_safe_mode_still_refuses_what_it_refused():
    from pathgrad.errors import PathgradError

    for text, construct in [
        ("x = 1.0\nL = x @ x\n", "operator @"),
        ("x = 1.0\nws = [x, x]\nL = ws[0:1][0]\n", "slice"),
        ("x = [1.0, 2.0]\nL = x[::2].sum()\n", "slice with a step"),
        ("x = 1.0\nL = x.T\n", None),
        ("x = 1.0\nxs = [[x]] * 3\nys = sum(xs, [])\nL = x * 2\n", None),
    ]:
        with pytest.raises(PathgradError) as err:
            load_source(text, "f.py", safe=True)
        if construct:
            assert str(err.value).endswith(f"not allowed in --safe mode: {construct}")
        else:
            assert "has no attribute 'T'" in str(err.value) or "not join lists" in str(err.value)


def test_reports_print_element_names_as_names():
    e = explain_program(load_source(LAYER, "f.py"), wrt=["W[0,1]"])
    text = latex.render(e)
    maths = "\n".join(line for line in text.split("\n") if not line.startswith(r"\item"))
    assert "W_{0,1}" in maths and "x_{1}" in maths and "W[0,1]" not in maths  # notes are text
    for kind in ("markdown", "report"):
        renderer = __import__(f"pathgrad.render.{kind}", fromlist=["render"])
        assert renderer.render(e)


def test_grading_reads_element_names(capsys, tmp_path):
    path = tmp_path / "f.py"
    path.write_text("x = [1.0, 2.0]\nw = [0.5, -1.0]\nL = (w * x).sum()\n")
    assert main(["check", str(path), "--wrt", "w[1]", "--answer", "x[1]"]) == 0
    assert main(["check", str(path), "--wrt", "w[1]", "--answer", "x[0]"]) != 0
    capsys.readouterr()


def test_the_bundled_tensors_example():
    e = pathgrad.explain("tensors", wrt=["W"])
    loss, grads = layer_in_torch()
    assert e.loss_value == pytest.approx(loss, rel=1e-12)
    values = [g.value for g in e.gradients.values()]
    assert values == pytest.approx(flat(grads["W"]), rel=1e-12)


#: How each step of test_tensors' random programs is written in a file.
WRITTEN = {
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "matmul": "{0} @ {1}",
    "tanh": "tanh({0})",
    "sigmoid": "{0}.sigmoid()",
    "relu": "relu({0})",
    "square": "{0} ** 2",
    "T": "{0}.T",
    "sum0": "{0}.sum(0)",
    "mean-1": "{0}.mean(dim=-1)",
    "softmax": "softmax({0}, -1)",
    "scale": "0.5 * {0} - 1",
}


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(programs())
def test_random_tensor_files_in_both_modes_are_pytorch(case):
    """A random program of tensor ops written as a file: normal and --safe mode give
    PyTorch's loss and every element's gradient."""
    leaves, steps = case
    names = ["x", "W", "b", "V"]
    lines = [f"{name} = {values!r}" for name, values in zip(names, leaves)]
    for k, (step, operands) in enumerate(steps):
        lines.append(f"v{k} = " + WRITTEN[step].format(*(names[i] for i in operands)))
        names.append(f"v{k}")
    result = names[-1] if steps else "W"
    reference = [TH.leaf(v, None) for v in leaves]
    shape = tuple(program_of(steps)(TH, *reference).shape)
    lines.append(f"L = ({result} * const({weights(shape)!r})).sum()")
    text = "\n".join(lines) + "\n"
    loss = (program_of(steps)(TH, *reference) * TH.const(weights(shape))).sum()
    loss.backward()
    theirs = {}
    for name, t in zip(["x", "W", "b", "V"], reference):
        grads = t.grad.tolist() if t.grad is not None else [0.0] * t.numel()
        for index, g in zip(indices(tuple(t.shape)), flat(grads)):
            theirs[Part(name, None, (), index).element] = g
    for safe in (False, True):
        e = explain_program(load_source(text, "f.py", safe=safe), method="reverse")
        assert e.loss_value == pytest.approx(loss.item(), rel=1e-9, abs=1e-12)
        mine = {name: g.value for name, g in e.gradients.items()}
        assert mine == pytest.approx(theirs, rel=1e-9, abs=1e-12)
