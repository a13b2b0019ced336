"""Matrix-calculus forms: ∂L/∂W in tensor names, equal to the element path sums.

Oracles: PyTorch's ``.grad`` (float64) for the values of every form, element by element,
and sympy.diff of the loss in leaf symbols for a symbolic equality on small shapes.
"""

import json
import math

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.explanation import explain_program
from pathgrad.graph import build_graph
from pathgrad.leaf_forms import leaf_form
from pathgrad.render.json import render as to_json
from pathgrad.render.text import render as to_text
from pathgrad.sums import matrix_algebra as m
from pathgrad.sums.matrix_forms import matrix_forms, tensor_values
from pathgrad.sums.paths import adjoint_values
from pathgrad.trace.loader import load_source

SLIDE = """\
W = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5], [0.3, 0.2, 0.1]]
x = [1.0, 2.0, -1.0]
b = [0.1, 0.2, 0.3]
y = [1.0, 0.0, 0.5]
h = tanh(W @ x + b)
L = ((h - y) ** 2).mean()
"""


def forms(source):
    graph = build_graph(load_source(source).loss)
    return graph, matrix_forms(graph, adjoint_values(graph)[0])


def texts(source):
    return {name: found and found[1] for name, found in forms(source)[1].items()}


def test_the_slide_network_gives_delta_times_x_transposed():
    assert texts(SLIDE) == {
        "W": "(2/3·(h − y) ⊙ (𝟙 − h^2))·xᵀ",
        "x": "Wᵀ·(2/3·(h − y) ⊙ (𝟙 − h^2))",
        "b": "2/3·(h − y) ⊙ (𝟙 − h^2)",
        "y": "−2/3·(h − y)",
    }


def test_the_explanation_carries_the_form_to_text_and_json():
    explanation = explain_program(load_source(SLIDE))
    assert explanation.matrix_forms["W"] == "(2/3·(h − y) ⊙ (𝟙 − h^2))·xᵀ"
    tensors = json.loads(to_json(explanation))["tensors"]
    assert tensors["W"]["matrix_form"] == "(2/3·(h − y) ⊙ (𝟙 − h^2))·xᵀ"
    assert tensors["W"]["shape"] == [3, 3]


def test_a_transposed_view_is_undone_in_the_form():
    source = "W = [[1.0, 2.0], [3.0, -1.0]]\nx = [0.5, -2.0]\nL = (x @ W.T).sum()\n"
    got = texts(source)
    assert got["W"] is not None and got["x"] is not None


def test_like_terms_are_gathered_and_relu_reads_its_result():
    source = (
        "X = [[1.0, 2.0], [0.5, -1.0], [2.0, 0.0]]\n"
        "W1 = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]\nb1 = [0.1, 0.2, 0.3]\n"
        "W2 = [[1.0], [-2.0], [0.5]]\nt = [[1.0], [0.0], [2.0]]\n"
        "H = relu(X @ W1 + b1)\nP = sigmoid(H @ W2)\n"
        "L = ((P - t) ** 2).sum() + (W1 * W1).sum() * 0.1\n"
    )
    got = texts(source)
    assert got["W2"] == "Hᵀ·(2·(P − t) ⊙ (P ⊙ (𝟙 − P)))"
    assert got["W1"].startswith("1/5·W1 + Xᵀ·(")  # 0.1·W1 + 0.1·W1 from W1 * W1
    assert "step(H)" in got["W1"] and got["b1"] is not None


def test_an_operation_without_a_rule_gives_no_form_and_says_so():
    source = "z = [1.0, 2.0, 0.5]\nL = z.max() * 2\n"  # MaxBackward1: no rule here
    assert texts(source) == {"z": None}
    explanation = explain_program(load_source(source))
    assert "matrix form: none found; element by element" in to_text(explanation)


# -- against PyTorch, over a class of small networks -------------------------------------
ACTIVATIONS = ["tanh", "sigmoid", "relu", "exp", "sin"]
LOSSES = {
    "mean": "L = ((P - t) ** 2).mean()",
    "sum": "L = ((P - t) ** 2).sum()",
    "mse": "L = mse(P, t)",
    "weighted": "L = (P * t).sum() + 0.5 * (W * W).sum()",
}


@st.composite
def networks(draw):
    rows = draw(st.integers(1, 3))
    inputs, outputs = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    batch = draw(st.booleans())
    numbers = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2))

    def grid(r, c):
        return [[draw(numbers) for _ in range(c)] for _ in range(r)]

    x = grid(rows, inputs) if batch else [draw(numbers) for _ in range(inputs)]
    shape_out = (rows, outputs) if batch else (outputs,)
    t = grid(*shape_out) if batch else [draw(numbers) for _ in range(outputs)]
    act = draw(st.sampled_from(ACTIVATIONS))
    loss = draw(st.sampled_from(sorted(LOSSES)))
    product = "x @ W" if batch else "W @ x"
    w = grid(inputs, outputs) if batch else grid(outputs, inputs)
    source = (
        f"x = {x}\nW = {w}\nb = {[draw(numbers) for _ in range(outputs)]}\nt = {t}\n"
        f"P = {act}({product} + b)\n{LOSSES[loss]}\n"
    )
    return source


def torch_grads(source, functions):
    """The file in PyTorch: its first four lines (x, W, b, t) as float64 leaves, the rest
    run with ``functions``; each leaf's ``.grad`` after ``L.backward()``."""
    torch = pytest.importorskip("torch")
    namespace = {}
    for line in source.splitlines()[:4]:
        name, value = line.split(" = ")
        namespace[name] = torch.tensor(eval(value), dtype=torch.float64, requires_grad=True)
    exec("\n".join(source.splitlines()[4:]), dict(functions), namespace)
    namespace["L"].backward()
    return {name: namespace[name].grad for name in ("x", "W", "b", "t")}


def assert_form_is(form, values, grad, label):
    """The form, evaluated at the graph's values, equals PyTorch's ``grad`` element by element."""
    got = m.evaluate(form, values, m.FLOAT_FUNCTIONS)
    want = grad.reshape(len(got), -1).tolist()
    for got_row, want_row in zip(got, want, strict=True):
        for g, w in zip(got_row, want_row, strict=True):
            assert math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12), label


def torch_gradients(source):
    torch = pytest.importorskip("torch")
    return torch_grads(
        source,
        {
            "tanh": torch.tanh,
            "sigmoid": torch.sigmoid,
            "relu": torch.relu,
            "exp": torch.exp,
            "sin": torch.sin,
            "mse": torch.nn.functional.mse_loss,
        },
    )


@settings(max_examples=12, deadline=None)
@given(networks())
def test_every_form_equals_pytorchs_grad_element_by_element(source):
    graph, found = forms(source)
    values = tensor_values(graph)
    expected = torch_gradients(source)
    for name, grad in expected.items():
        assert found[name] is not None, (name, source)
        assert_form_is(found[name][0], values, grad, (name, source))


# -- symbolically, on a small shape ------------------------------------------------------
def test_the_form_equals_sympy_diff_symbolically():
    graph, found = forms(SLIDE)
    symbols, exprs = {}, {}
    for node, data in graph.nodes(data=True):
        part = data["part"]
        if part is None or part.inside:
            continue
        rows = part.shape[0] if part.shape else 1
        grid = exprs.setdefault(part.tensor, [[None] for _ in range(rows)])
        grid[part.index[0] if part.index else 0][0] = leaf_form(graph, node)[0]
        if part.grad_fn is None:
            symbols[data["name"]] = data["symbol"]
    exprs["W"] = [[symbols[f"W[{i},{j}]"] for j in range(3)] for i in range(3)]
    loss = leaf_form(graph, graph.graph["loss"])[0]
    functions = {"tanh": sympy.tanh}
    form = m.evaluate(found["W"][0], exprs, functions)
    for i in range(3):
        for j in range(3):
            want = sympy.diff(loss, symbols[f"W[{i},{j}]"])
            exact = sympy.nsimplify(form[i][j], rational=True)  # 2/3, not 0.666...
            assert sympy.simplify(exact - want) == 0


@st.composite
def classifiers(draw):
    """Logits ``x @ W + b`` (a batch) or ``W @ x + b`` (one example), then a
    cross-entropy, or a softmax and a squared error."""
    batch = draw(st.one_of(st.none(), st.integers(1, 3)))
    inputs, classes = draw(st.integers(1, 3)), draw(st.integers(2, 4))
    numbers = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 2))

    def grid(r, c):
        return [[draw(numbers) for _ in range(c)] for _ in range(r)]

    if batch is None:
        x, w, product = [draw(numbers) for _ in range(inputs)], grid(classes, inputs), "W @ x"
        target = draw(st.integers(0, classes - 1))
        t = [draw(numbers) for _ in range(classes)]
    else:
        x, w, product = grid(batch, inputs), grid(inputs, classes), "x @ W"
        target = [draw(st.integers(0, classes - 1)) for _ in range(batch)]
        t = grid(batch, classes)
    b = [draw(numbers) for _ in range(classes)]
    loss = draw(
        st.sampled_from([f"L = cross_entropy(z, {target!r})", "L = ((softmax(z) - t) ** 2).sum()"])
    )
    return f"x = {x}\nW = {w}\nb = {b}\nt = {t}\nz = {product} + b\n{loss}\n"


def torch_classifier_gradients(source):
    torch = pytest.importorskip("torch")
    return torch_grads(
        source,
        {
            "cross_entropy": lambda z, target: torch.nn.functional.cross_entropy(
                z, torch.tensor(target)
            ),  # a class index (logits (C,)) or a list of them (logits (N, C))
            "softmax": lambda z: torch.softmax(z, -1),
        },
    )


@settings(max_examples=12, deadline=None)
@given(classifiers())
def test_cross_entropy_and_softmax_forms_equal_pytorchs_grad(source):
    graph, found = forms(source)
    values = tensor_values(graph)
    for name, grad in torch_classifier_gradients(source).items():
        if grad is None or not found.get(name):
            assert grad is None or (name == "t" and "cross_entropy" in source), (name, source)
            continue
        assert_form_is(found[name][0], values, grad, (name, source))


def test_cross_entropy_gives_softmax_minus_onehot():
    source = (
        "X = [[1.0, 2.0], [0.5, -1.0]]\nW = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]\n"
        "b = [0.1, 0.2, 0.3]\nz = X @ W + b\nL = cross_entropy(z, [2, 0])\n"
    )
    assert texts(source)["W"] == "1/2·Xᵀ·(softmax(z) − onehot)"


def linear_tanh_linear(torch, seed):
    """A 3-4-1 nn.Sequential with tanh, in float64, its weights drawn from ``seed``."""
    torch.manual_seed(seed)
    layers = torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    return torch.nn.Sequential(*layers).double()


def test_from_torch_linear_layers_have_forms_equal_to_their_grad():
    """nn.Linear records addmm(bias, input, weightᵀ): ∂L/∂weight = δᵀ·input."""
    torch = pytest.importorskip("torch")
    from pathgrad.torch_bridge import from_torch

    model = linear_tanh_linear(torch, seed=1)
    loss = model(torch.randn(5, 3, dtype=torch.float64)).mean()
    explanation = from_torch(loss, names=dict(model.named_parameters()))
    loss.backward()
    assert explanation.matrix_forms["0.weight"] == (
        "(1/5·𝟙·2.weight ⊙ (𝟙 − tanh(addmm_1)^2))ᵀ·input, "
        "where addmm_1 = 0.bias + input @ 0.weightᵀ"
    )
    assert_forms_are_the_grads(explanation.graph, model)


def test_the_seed_written_with_vectors():
    """x3, x4 = w1·x; x5 = v·(x3, x4): the seed's gradients as vectors, w1 a scalar."""
    source = "x = [1.0, 2.0]\nw1 = 1.0\nv = [2.0, 3.0]\nh = w1 * x\nL = 1 - v @ h\n"
    assert texts(source) == {"x": "−w1·v", "v": "−h"}
    explanation = explain_program(load_source(source))
    assert explanation.gradients["w1"].value == -8  # the seed's ∂L/∂w1


def test_a_number_over_a_tensor_and_a_scalar_leaf_broadcast():
    source = "x = [1.0, 2.0]\nw = [3.0, -1.0]\ns = 2.0\nL = ((w * x) / s).sum() + (s / w).sum()\n"
    assert texts(source) == {"x": "s^−1·w", "w": "−s·w^−2 + s^−1·x"}


def test_a_constant_tensor_has_no_form():
    source = "x = const([1.0, -2.0])\nW = [[0.5, -1.0]]\ny = const([0.5])\nL = ((W @ x - y) ** 2).sum()\n"
    assert texts(source) == {"W": "2·(W·x − y)·xᵀ"}  # x and y: no gradient, no form


def test_made_names_are_written_out_or_defined():
    """A form reads in the file's names: pathgrad's own (tanh_1, mm_1) are written out
    (tanh(X·W + 𝟙·bᵀ), the bias row repeated down the batch) or defined after "where"."""
    source = (
        "X = [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]]\nW = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]\n"
        "b = [0.1, 0.2, 0.3]\nL = tanh(X @ W + b).mean()\n"
    )
    assert texts(source)["W"] == "1/9·Xᵀ·(𝟙 − tanh(X·W + 𝟙·bᵀ)^2)"
    transposed = (
        "X = [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]]\nW = [[0.5, -1.0], [1.5, 0.5]]\n"
        "L = ((X @ W.T) ** 2).sum()\n"
    )
    assert texts(transposed)["W"] == "2·W·Xᵀ·X"  # (2·X·Wᵀ)ᵀ·X: x @ W.T read as used


def test_from_torch_mse_on_a_batch_reads_its_target_as_a_constant():
    torch = pytest.importorskip("torch")
    from pathgrad.torch_bridge import from_torch

    model = linear_tanh_linear(torch, seed=0)
    x, y = torch.randn(2, 3, dtype=torch.float64), torch.randn(2, 1, dtype=torch.float64)
    loss = torch.nn.MSELoss()(model(x), y)
    explanation = from_torch(loss, names=dict(model.named_parameters()))
    loss.backward()
    assert explanation.matrix_forms["2.weight"].startswith("(addmm_2 − target)ᵀ·tanh(addmm_1)")
    assert_forms_are_the_grads(explanation.graph, model)


def assert_forms_are_the_grads(graph, model):
    """Each parameter's matrix form, evaluated at the graph's values, is its ``.grad``."""
    found = matrix_forms(graph, adjoint_values(graph)[0])
    values = tensor_values(graph)
    for name, parameter in model.named_parameters():
        assert_form_is(found[name][0], values, parameter.grad, name)
