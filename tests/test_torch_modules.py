"""from_torch on small nn models: every element's gradient from the path sums is PyTorch's.

Each test computes a loss in real PyTorch (float64), explains it with from_torch and
compares the value of every element gradient (the sum of its paths) with the leaf's
``.grad`` after ``loss.backward()``. Skipped where PyTorch is not installed.
"""

import itertools
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.errors import PathgradError
from pathgrad.torch_bridge import from_torch
from pathgrad.torch_rebuild import MAX_NODES
from pathgrad.trace.parts import Part

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed: pip install 'pathgrad[torch]' to run the parity suite",
)
nn = torch.nn
F = torch.nn.functional
D = torch.float64
README = Path(__file__).resolve().parent.parent / "README.md"


def element(name, index):
    return f"{name}[{','.join(map(str, index))}]" if index else name


def assert_same_gradients(loss, named, **options):
    """Explain ``loss`` with ``named`` as names, back-propagate, compare every element."""
    e = from_torch(loss, names=named, max_paths=0, **options)
    assert e.loss_value == pytest.approx(loss.item(), rel=1e-12, abs=1e-12)
    loss.backward()
    compared = 0
    for name, t in named.items():
        for index in itertools.product(*(range(n) for n in t.shape)):
            g = e.gradients[element(name, index)]
            expected = 0.0 if t.grad is None else t.grad[index].item()
            assert g.value == pytest.approx(expected, rel=1e-9, abs=1e-12), element(name, index)
            compared += 1
    assert compared == len(e.gradients)
    return e


def leaf(*values_or_shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(*values_or_shape, dtype=D, generator=generator).requires_grad_()


def test_sequential_linear_tanh_linear_with_mean_over_a_batch():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    x = torch.randn(5, 3, dtype=D)
    e = assert_same_gradients(model(x).mean(), dict(model.named_parameters()))
    assert "0.weight[1,2]" in e.gradients and "2.bias[0]" in e.gradients
    kinds = {d["part"].grad_fn for _, d in e.graph.nodes(data=True) if d["part"]}
    assert {"AddmmBackward0", "TanhBackward0", "MeanBackward0"} <= kinds


def test_the_first_example_of_every_graph_drawing_tool():
    torch.manual_seed(1)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    assert_same_gradients(model(torch.randn(1, 3, dtype=D)).mean(), dict(model.named_parameters()))


def test_relu_classifier_with_cross_entropy_on_a_batch_of_two():
    torch.manual_seed(2)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 3)).double()
    loss = nn.CrossEntropyLoss()(model(torch.randn(2, 3, dtype=D)), torch.tensor([0, 2]))
    e = assert_same_gradients(loss, dict(model.named_parameters()))
    assert e.graph.nodes[e.graph.graph["loss"]]["part"].grad_fn == "NllLossBackward0"


def test_vector_sum_and_a_number_pytorch_did_not_keep():
    x = torch.tensor([1.0, -2.0, 0.5], dtype=D, requires_grad=True)
    e = assert_same_gradients((2 * x**2 + 2).sum(), {"x": x})
    assert e.loss_value == 16.5
    assert any("solved it from the loss as 2" in n.text for n in e.notes)
    assert str(e.gradients["x[1]"].closed_form) == "4*x[1]"


@pytest.mark.parametrize(
    "make",
    [
        lambda W: torch.softmax(W, dim=1)[0, 1] * 3 + torch.softmax(W, dim=0)[1].sum(),
        lambda W: F.log_softmax(W, dim=1)[:, 0].sum() - F.log_softmax(W[0], dim=0)[2],
        lambda W: nn.MSELoss()(W, torch.ones(2, 3, dtype=D) * 0.5),
        lambda W: F.mse_loss(W[1], W[0]) + F.mse_loss(W, W * 0, reduction="sum"),
        lambda W: F.cross_entropy(W, torch.tensor([2, 1]), reduction="sum"),
        lambda W: F.nll_loss(F.log_softmax(W, 1), torch.tensor([0, -100])),
    ],
    ids=["softmax", "log_softmax", "mse", "mse self target", "ce sum", "nll ignore"],
)
def test_softmax_log_softmax_and_losses(make):
    W = leaf(2, 3)
    assert_same_gradients(make(W), {"W": W})


@pytest.mark.parametrize(
    "make",
    [
        lambda W, v: (W.view(3, 2)[1] * v[:2]).sum() + W.reshape(6)[4] * 2,
        lambda W, v: (v.unsqueeze(0) * W).sum() + W[:, 1].unsqueeze(1).squeeze().exp().sum(),
        lambda W, v: W.sum(1, keepdim=True).squeeze(1).mean() + W.mean(dim=0).tanh().sum(),
        lambda W, v: (
            (W[[1, 0]] * W).sum() + W.view(-1)[W.view(-1) > 0].sum() + W[[0, 1], [2, 0]].sum()
        ),
        lambda W, v: torch.stack([W @ v, W.sum(1), v[1:]]).sigmoid().sum(),
        lambda W, v: torch.cat([W.T[1], v, (v @ v).unsqueeze(0), W.flatten()]).relu().sum(),
        lambda W, v: (
            (W.T @ W).sum() + (W.transpose(0, 1) - W.permute(1, 0)).sum() + (W @ W.T)[1, 0]
        ),
        lambda W, v: (v @ W.T).tanh().sum() + (W[0] @ W.T).sum() + F.linear(v, W).sum(),
        lambda W, v: (
            ((W - v) / (v + 3) - 1 / (W * W + 1) + 2 ** v.sum()).mean() - (1 - W).log().sum()
        ),
        lambda W, v: (v.expand(2, 3) * W).sum() + (v - 2).neg().sum(),
    ],
    ids=[
        "view",
        "unsqueeze",
        "dims",
        "index",
        "stack",
        "cat",
        "transpose",
        "vector @",
        "arith",
        "expand",
    ],
)
def test_shape_operations_and_broadcasting(make):
    W = (leaf(2, 3, seed=3).detach() * 0.3).requires_grad_()
    v = leaf(3, seed=4)
    assert_same_gradients(make(W, v), {"W": W, "v": v})


def test_names_either_way_round_and_unnamed_leaves():
    torch.manual_seed(5)
    model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1)).double()
    x = torch.randn(1, 2, dtype=D)
    by_name = from_torch(model(x).sum(), names=dict(model.named_parameters()), max_paths=0)
    by_tensor = from_torch(
        model(x).sum(), names={t: n for n, t in model.named_parameters()}, max_paths=0
    )
    assert sorted(by_name.gradients) == sorted(by_tensor.gradients)
    assert "0.weight[1,0]" in by_name.gradients
    unnamed = from_torch(model(x).sum(), max_paths=0)
    assert {re.sub(r"\[.*", "", n) for n in unnamed.gradients} == {"x0", "x1", "x2", "x3"}
    w = model[0].weight
    partly = from_torch(model(x).sum(), names={"x0": w}, max_paths=0)
    assert "x0[1,1]" in partly.gradients and len({n[:2] for n in partly.gradients}) == 4


def test_every_scalar_says_which_element_of_which_tensor_it_is():
    torch.manual_seed(8)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1)).double()
    h = model[0](torch.randn(2, 3, dtype=D))
    loss = model[2](model[1](h)).mean()
    e = from_torch(loss, names={"h": h, **dict(model.named_parameters())}, max_paths=0)
    parts = {d["name"]: d["part"] for _, d in e.graph.nodes(data=True)}
    assert parts["0.weight[1,2]"] == Part("0.weight", None, (4, 3), (1, 2))
    assert parts["0.weight[1,2]"].element == "0.weight[1,2]"
    assert parts[e.loss] == Part("mean_1", "MeanBackward0", (), ())
    made = {p for p in parts.values() if p and p.grad_fn}
    assert Part("h", "AddmmBackward0", (2, 4), (1, 3)) in made
    assert Part("tanh_1", "TanhBackward0", (2, 4), (0, 0)) in made
    assert all(p is not None for p in parts.values())


@pytest.mark.parametrize("names", [[("w", 1)], {"w": 1.0}, {1: "w"}, "w"])
def test_names_anything_else_is_refused_in_one_line(names):
    x = leaf(2)
    with pytest.raises(PathgradError, match=r"\{name: tensor\}") as caught:
        from_torch((x * x).sum(), names=names)
    assert "\n" not in str(caught.value)


def test_named_parameters_without_dict_says_to_wrap_it():
    model = nn.Linear(2, 1).double()
    with pytest.raises(PathgradError, match=r"dict\(\.\.\.\)"):
        from_torch(model(torch.ones(1, 2, dtype=D)).sum(), names=model.named_parameters())


def test_refusals_name_the_problem():
    x = leaf(2, 3)
    with pytest.raises(PathgradError, match="CumsumBackward0"):
        from_torch(x.cumsum(0).sum())
    with pytest.raises(PathgradError, match=r"at most 2 dimensions"):
        from_torch(x.unsqueeze(0).sum())
    with pytest.raises(PathgradError, match=r"\(3,\): reduce it"):
        from_torch(x.sum(0))
    v = leaf(3)
    with pytest.raises(PathgradError, match="did not keep the tensor in AddBackward0"):
        from_torch((v + torch.ones(2, 3, dtype=D)).sum())
    with pytest.raises(PathgradError, match="alpha"):
        from_torch(torch.add(v, v, alpha=2).sum())
    used = nn.Linear(3, 1).double()
    loss = used(torch.ones(2, 3, dtype=D)).mean()
    loss.backward()
    with pytest.raises(PathgradError, match="call from_torch before backward"):
        from_torch(loss)
    big = nn.Sequential(nn.Linear(100, 100), nn.Tanh(), nn.Linear(100, 1)).double()
    with pytest.raises(PathgradError, match=f"about .* past the limit of {MAX_NODES:,}"):
        from_torch(big(torch.ones(4, 100, dtype=D)).mean())


def test_check_torch_replays_the_rebuilt_graph():
    torch.manual_seed(6)
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Linear(2, 2)).double()
    loss = nn.MSELoss()(model(torch.randn(2, 3, dtype=D)), torch.zeros(2, 2, dtype=D))
    e = from_torch(loss, names=dict(model.named_parameters()), max_paths=1, check="torch")
    assert e.torch and all(row.agree for row in e.torch)
    assert e.problems == []


def test_a_float32_model_is_explained_in_float64():
    torch.manual_seed(7)
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    loss = model(torch.randn(2, 3)).mean()
    e = from_torch(loss, names=dict(model.named_parameters()), max_paths=0)
    loss.backward()
    got = e.gradients["0.weight[1,2]"].value
    assert got == pytest.approx(model[0].weight.grad[1, 2].item(), rel=1e-4, abs=1e-6)


ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def _loss(kind, out, seed):
    generator = torch.Generator().manual_seed(seed)
    if kind == "mse":
        return nn.MSELoss()(out, torch.randn(*out.shape, dtype=D, generator=generator))
    if kind == "cross_entropy":
        target = torch.randint(0, out.shape[1], (out.shape[0],), generator=generator)
        return nn.CrossEntropyLoss()(out, target)
    return out.sum() if kind == "sum" else out.mean()


@settings(max_examples=6)
@given(
    batch=st.integers(1, 2),
    sizes=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 3)),
    activation=st.sampled_from(sorted(ACTIVATIONS)),
    loss=st.sampled_from(["mse", "cross_entropy", "sum", "mean"]),
    seed=st.integers(0, 2**16),
)
def test_linear_activation_linear_loss_matches_pytorch(batch, sizes, activation, loss, seed):
    torch.manual_seed(seed)
    n_in, hidden, n_out = sizes
    model = nn.Sequential(
        nn.Linear(n_in, hidden), ACTIVATIONS[activation](), nn.Linear(hidden, n_out)
    ).double()
    x = torch.randn(batch, n_in, dtype=D)
    assert_same_gradients(_loss(loss, model(x), seed), dict(model.named_parameters()))


def test_the_readme_example_prints_what_the_readme_shows():
    text = README.read_text(encoding="utf-8")
    code, shown = re.search(
        r"```python\n(import torch\n.*?)```\n\n[^`]*```text\n(.*?)```", text, re.S
    ).groups()
    printed = []
    exec(
        compile(code, "README.md", "exec"),
        {"print": lambda *a: printed.append(" ".join(map(str, a)))},
    )  # noqa: S102
    assert "\n".join(printed).strip() == shown.strip()


def test_each_element_has_its_own_index_and_the_values_on_the_way_are_inside():
    """A rebuilt operation marks its elements as the tensor-core does: one element per
    index, and what was made on the way to an element (products, partial sums) inside."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)
    ).double()
    loss = model(torch.randn(5, 3, dtype=torch.float64)).mean()
    graph = from_torch(loss, names=dict(model.named_parameters())).graph
    elements = {}
    for _, data in graph.nodes(data=True):
        part = data["part"]
        if part is not None and not part.inside:
            elements.setdefault(part.tensor, []).append(part.index)
    for name, indices in elements.items():
        shape = next(
            d["part"].shape
            for _, d in graph.nodes(data=True)
            if d["part"] and d["part"].tensor == name
        )
        assert sorted(indices) == sorted(itertools.product(*map(range, shape))), name
