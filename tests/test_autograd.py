"""PyTorch's autograd semantics on traced values (no PyTorch needed here)."""

import pytest
import sympy

import pathgrad
from pathgrad import explain_tensor, leaf, no_grad, tensor
from pathgrad.trace.autograd import NO_GRAD_FN, SECOND_BACKWARD


def test_backward_fills_grad_and_grad_expr():
    x = tensor(2.0, requires_grad=True, name="x")
    w = tensor(3.0, requires_grad=True, name="w")
    (x * w + x).backward()
    assert (x.grad, w.grad) == (4.0, 2.0)
    assert str(x.grad_expr) == "w + 1" and str(w.grad_expr) == "x"


def test_gradients_accumulate_until_reset():
    x = tensor(2.0, requires_grad=True, name="x")
    for expected in (4.0, 8.0, 12.0):
        (x * x).backward()
        assert x.grad == expected
    assert sympy.expand(x.grad_expr - 6 * sympy.Symbol("x", real=True)) == 0
    x.grad = None
    (x * x).backward()
    assert x.grad == 4.0


def test_second_backward_fails_without_retain_graph():
    x = tensor(2.0, requires_grad=True)
    y = x * x
    y.backward()
    with pytest.raises(RuntimeError) as err:
        y.backward()
    assert str(err.value) == SECOND_BACKWARD
    assert "Specify retain_graph=True" in SECOND_BACKWARD


def test_retain_graph_allows_a_second_backward():
    x = tensor(2.0, requires_grad=True)
    y = x.exp()
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad == pytest.approx(2 * 7.38905609893065)
    with pytest.raises(RuntimeError, match="a second time"):
        y.backward()


@pytest.mark.parametrize(
    "make", [lambda x: x + 1, lambda x: 1 - x, lambda x: -x, lambda x: x - x, lambda x: x + x]
)
def test_graphs_that_saved_nothing_can_backward_twice(make):
    x = tensor(2.0, requires_grad=True)
    y = make(x)
    y.backward()
    y.backward()  # PyTorch's quirk: nothing was saved, so nothing was freed


def test_backward_of_something_that_needs_no_grad():
    x = tensor(2.0)
    with pytest.raises(RuntimeError, match=NO_GRAD_FN):
        (x * 3).backward()


def test_grad_fn_objects_and_next_functions():
    x = tensor(2.0, requires_grad=True, name="x")
    y = (x * 2 + 1).tanh()
    assert type(y.grad_fn).__name__ == "TanhBackward0"
    assert y.grad_fn is y.grad_fn
    ((add, _),) = y.grad_fn.next_functions
    assert add.name() == "AddBackward0"
    (mul, _), (none, _) = add.next_functions
    assert none is None and mul.name() == "MulBackward0"
    (acc, _), (scalar, _) = mul.next_functions
    assert acc.name() == "AccumulateGrad" and acc.variable is x and scalar is None


@pytest.mark.parametrize(
    "make, names",
    [
        (lambda x: 1 - x, ["AccumulateGrad"]),
        (lambda x: 2 * x, ["AccumulateGrad", None]),
        (lambda x: 1 + x, ["AccumulateGrad", None]),
        (lambda x: x**2, ["AccumulateGrad"]),
        (lambda x: 2**x, ["AccumulateGrad"]),
        (lambda x: 2 / x, ["ReciprocalBackward0", None]),
    ],
)
def test_next_functions_order_matches_pytorch(make, names):
    x = tensor(2.0, requires_grad=True)
    entries = make(x).grad_fn.next_functions
    assert [None if n is None else n.name() for n, _ in entries] == names


def test_is_leaf_and_requires_grad_as_in_pytorch():
    x = tensor(2.0, requires_grad=True)
    c = tensor(3.0)
    assert x.is_leaf and c.is_leaf and not c.requires_grad
    y = x * c
    assert not y.is_leaf and y.requires_grad
    z = c * 2
    assert z.is_leaf and not z.requires_grad and z.grad_fn is None


def test_no_grad_cuts_the_graph():
    x = leaf("x", 2.0)
    with no_grad():
        h = x * 3
    assert not h.requires_grad and h.is_leaf and h.grad_fn is None
    y = h * x
    e = explain_tensor(y)
    assert list(e.gradients) == ["x"]
    assert str(e.gradients["x"].closed_form) == "x*3" or e.gradients["x"].value == 6.0
    cut = [d for _, d in e.graph.nodes(data=True) if d["cut"] == "no_grad"]
    assert len(cut) == 1 and cut[0]["kind"] == "leaf" and cut[0]["formula"] == "x*3"


def test_no_grad_as_a_decorator():
    @no_grad()
    def scale(v):
        return v * 2

    assert not scale(leaf("x", 1.0)).requires_grad


def test_detach_cuts_one_path():
    x = leaf("x", 2.0)
    y = x * x.detach()
    g = explain_tensor(y).gradients["x"]
    assert g.path_count == 1 and g.value == 2.0
    cut = [d for _, d in explain_tensor(y).graph.nodes(data=True) if d["cut"] == "detach"]
    assert cut[0]["formula"] == "x.detach()"


def test_retain_grad_on_a_non_leaf():
    x = tensor(2.0, requires_grad=True, name="x")
    h = x * 3
    h.retain_grad()
    plain = x * 5
    (h * h + plain).backward()
    assert h.grad == 12.0 and plain.grad is None
    assert x.grad == 41.0


def test_rdiv_is_reciprocal_times_the_number_as_in_pytorch():
    x = leaf("x", 4.0)
    y = 2 / x
    assert y.grad_fn.name() == "MulBackward0"
    assert explain_tensor(y).gradients["x"].value == pytest.approx(-2 / 16)


def test_public_names():
    assert pathgrad.tensor is tensor and pathgrad.no_grad is no_grad
