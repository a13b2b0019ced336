"""Parity with real PyTorch: the same programs, the same gradients, names and errors.

Skipped, with the reason shown, where PyTorch is not installed (CI installs
the CPU build, pinned).
"""

import pytest
import sympy

import pathgrad
from pathgrad.errors import PathgradError
from pathgrad.explanation import explain
from pathgrad.torch_bridge import from_torch, replay

torch = pytest.importorskip(
    "torch",
    reason="PyTorch is not installed: pip install 'pathgrad[torch]' to run the parity suite",
)


class PG:
    """The pathgrad side of a program."""

    @staticmethod
    def leaf(value, name):
        return pathgrad.tensor(value, requires_grad=True, name=name)

    maximum, minimum = staticmethod(pathgrad.max), staticmethod(pathgrad.min)


class TH:
    """The PyTorch side."""

    @staticmethod
    def leaf(value, name):
        return torch.tensor(value, dtype=torch.float64, requires_grad=True)

    maximum, minimum = staticmethod(torch.maximum), staticmethod(torch.minimum)


def _programs():
    return {
        "seed": lambda M, x1, x2, w1, w2, w3: 1 - (w2 * (w1 * x1) + w3 * (w1 * x2)),
        "reuse": lambda M, a, *_: a * a + a,
        "scalars both sides": lambda M, a, b, *_: (2 * a - 1) / (b + 3) + 10.0 / a - 2**b,
        "powers": lambda M, a, b, *_: a**2 + a**b + (a * b) ** 0.5,
        "functions": lambda M, a, b, *_: a.exp() + b.log() + a.sqrt() + a.sin() * b.cos(),
        "activations": lambda M, a, b, *_: a.tanh() * b.sigmoid() + (a - b).relu() + (b - a).abs(),
        "max min": lambda M, a, b, c, *_: M.maximum(a, b) * M.minimum(b, c) + M.maximum(a, a),
        "reciprocal neg": lambda M, a, b, *_: -(a.reciprocal() * b) + (-a) * (-b),
        "neuron": lambda M, x, w, b, y, *_: ((w * x + b).sigmoid() - y) ** 2,
    }


PROGRAMS = _programs()
VALUES = [1.0, 2.0, 1.0, 2.0, 3.0]


def run(side, program):
    leaves = [side.leaf(v, f"v{i}") for i, v in enumerate(VALUES)]
    return leaves, program(side, *leaves)


def names_below(function, depth=4):
    """The grad_fn tree as nested names, to compare structure."""
    if function is None:
        return None
    name = (
        type(function).__name__
        if not isinstance(function, pathgrad.trace.autograd.Node)
        else function.name()
    )
    if depth == 0 or name == "AccumulateGrad":
        return name
    return (name, tuple(names_below(n, depth - 1) for n, _ in function.next_functions))


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_same_gradients_values_and_grad_fn_tree(name):
    pg_leaves, pg_out = run(PG, PROGRAMS[name])
    th_leaves, th_out = run(TH, PROGRAMS[name])
    assert pg_out.value == pytest.approx(th_out.item(), rel=1e-12)
    assert names_below(pg_out.grad_fn) == names_below(th_out.grad_fn)
    pg_out.backward()
    th_out.backward()
    for p, t in zip(pg_leaves, th_leaves):
        assert (p.grad is None) == (t.grad is None)
        if t.grad is not None:
            assert p.grad == pytest.approx(t.grad.item(), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_accumulation_and_second_backward_behave_alike(name):
    outcomes = []
    for side in (PG, TH):
        leaves, out = run(side, PROGRAMS[name])
        out.backward(retain_graph=True)
        out.backward()
        grads = [None if x.grad is None else float(x.grad) for x in leaves]
        try:
            out.backward()
            error = None
        except RuntimeError as err:
            error = str(err)
        outcomes.append((grads, error))
    (pg_grads, pg_error), (th_grads, th_error) = outcomes
    assert [g is None for g in pg_grads] == [g is None for g in th_grads]
    for p, t in zip(pg_grads, th_grads):
        if t is not None:
            assert p == pytest.approx(t, rel=1e-12)
    assert pg_error == th_error


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x + 1,
        lambda x: 1 - x,
        lambda x: -x,
        lambda x: x - 2,
        lambda x: x + x,
        lambda x: x * 2,
        lambda x: x.exp(),
        lambda x: x / 3,
    ],
)
def test_which_graphs_can_backward_twice(make):
    results = []
    for side in (PG, TH):
        x = side.leaf(2.0, "x")
        y = make(x)
        y.backward()
        try:
            y.backward()
            results.append("ok")
        except RuntimeError as err:
            results.append(str(err))
    assert results[0] == results[1]


def test_no_grad_detach_and_retain_grad_match():
    results = []
    for side, no_grad in ((PG, pathgrad.no_grad), (TH, torch.no_grad)):
        x = side.leaf(2.0, "x")
        with no_grad():
            frozen = x * 3
        h = x * x
        h.retain_grad()
        out = h * frozen + x * x.detach()
        out.backward()
        results.append((float(x.grad), float(h.grad), frozen.requires_grad, frozen.is_leaf))
    assert results[0] == pytest.approx(results[1])


@pytest.mark.parametrize("example", ["seed", "neuron", "reuse", "branch", "mlp", "micrograd"])
def test_check_torch_agrees_on_every_example(example):
    e = explain(example, check="torch")
    assert e.torch and all(row.agree for row in e.torch)
    assert e.torch[0].grad_fn[0] == e.torch[0].grad_fn[1]


@pytest.mark.parametrize("example", ["seed", "neuron", "reuse", "branch", "mlp", "diamonds"])
def test_from_torch_round_trips_every_example(example):
    original = explain(example, max_paths=0)
    graph = original.graph
    tensors = replay(graph)
    names = {tensors[n]: d["name"] for n, d in graph.nodes(data=True) if d["kind"] == "leaf"}
    again = from_torch(tensors[graph.graph["loss"]], names=names, max_paths=0)
    assert again.loss_value == pytest.approx(original.loss_value, rel=1e-12)
    for leaf_name, g in original.gradients.items():
        h = again.gradients[leaf_name]
        assert h.value == pytest.approx(g.value, rel=1e-12)
        assert h.path_count == g.path_count
        if g.in_terms_of == h.in_terms_of == "leaves":
            assert sympy.expand(h.closed_form - g.closed_form) == 0


def test_from_torch_explains_real_pytorch_code():
    d = torch.float64
    x1, x2, w1, w2, w3 = (torch.tensor(v, dtype=d, requires_grad=True) for v in VALUES)
    L = 1 - (w2 * (w1 * x1) + w3 * (w1 * x2))
    e = from_torch(L, names={x1: "x1", x2: "x2", w1: "w1", w2: "w2", w3: "w3"}, wrt=["w1"])
    g = e.gradients["w1"]
    assert (str(g.closed_form), g.value, g.path_count) == ("-w2*x1 - w3*x2", -8.0, 2)
    L.backward()
    assert w1.grad.item() == g.value


def test_from_torch_recovers_numbers_from_saved_results():
    x = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    y = (x * 2 + 1).exp() - 3
    e = from_torch(y, names={x: "x"})
    assert e.loss_value == pytest.approx(y.item())
    y.backward()
    assert e.gradients["x"].value == pytest.approx(x.grad.item())


def test_from_torch_says_what_it_cannot_recover():
    a = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    c = a + 1
    y = (c + 1) + c  # two numbers added, never saved: only their sum can be known
    with pytest.raises(PathgradError, match="did not keep the plain number"):
        from_torch(y * 1.0 + y)


def test_from_torch_names_unsupported_nodes():
    x = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    y = x.cumsum(0).sum()  # SumBackward0 is rebuilt now (tests/test_torch_modules.py)
    with pytest.raises(PathgradError, match="CumsumBackward0"):
        from_torch(y)


def test_replay_refuses_symbolic_leaves():
    with pytest.raises(PathgradError, match="no value"):
        explain("symbolic", check="torch")
