"""The one forward replay and the one reverse pass (pathgrad/passes.py), against PyTorch.

Every number pathgrad shows from a computation comes from these two passes: backward()
on traced values, the explanation's gradient values, the step player's backward frames,
the finite-difference replay and the PyTorch replay. So they are tested here once,
against PyTorch bit for bit (the sign of a zero included), and each user is tested for
reading them, not for agreeing with another copy.
"""

import math

import pytest
from hypothesis import given, settings
from test_edges import edge_programs, run_on_both

import pathgrad
from pathgrad.explanation import explain
from pathgrad.graph import build_graph, leaves
from pathgrad.ops import OPS
from pathgrad.passes import Operation, Send, adjoints, forward, reverse
from pathgrad.pictures.frames import frames, replay
from pathgrad.sums.check import replay as check_replay
from pathgrad.sums.paths import adjoint_values, operations
from pathgrad.trace.autograd import gradient_values
from pathgrad.trace.autograd import operations as traced_operations

torch = pytest.importorskip("torch", reason="PyTorch is the referee: pip install torch")


def identical(a, b):
    """The same float64, bit for bit up to nan's payload: -0.0 is not 0.0, nan is nan."""
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def close(a, b):
    """Equal, IEEE specials and the sign of a zero included; last-ulp kernel noise allowed."""
    if identical(a, b):
        return True
    if None in (a, b) or not (math.isfinite(a) and math.isfinite(b)):
        return False
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0)


@settings(max_examples=150, deadline=None)
@given(edge_programs())
def test_reverse_pass_is_pytorchs_backward(program):
    values, steps = program
    ours, theirs = run_on_both(values, steps)
    theirs[-1].backward()
    grads = adjoints(traced_operations(ours[-1]), ours[-1].id)
    for mine, reference in zip(ours[: len(values)], theirs):
        if reference.grad is None:  # not reached: absent from the pass, None in PyTorch
            assert mine.id not in grads or grads[mine.id] is None
        else:
            assert close(grads[mine.id], float(reference.grad)), (mine.name, grads, reference)


@settings(max_examples=100, deadline=None)
@given(edge_programs())
def test_forward_replay_is_pytorchs_forward(program):
    values, steps = program
    ours, theirs = run_on_both(values, steps)
    replayed = forward(traced_operations(ours[-1]))
    for mine in ours:
        if mine.id in replayed:
            assert identical(replayed[mine.id], mine.value)
    assert close(replayed[ours[-1].id], float(theirs[-1].detach()))


@settings(max_examples=60, deadline=None)
@given(edge_programs())
def test_every_reader_of_the_reverse_pass_gives_its_numbers(program):
    values, steps = program
    ours, _ = run_on_both(values, steps)
    loss = ours[-1]
    graph = build_graph(loss)
    passed = adjoints(operations(graph), graph.graph["loss"])
    explained, _ = adjoint_values(graph)
    story = frames(graph)
    _, framed, _ = replay(story, len(story) - 1)
    backward = gradient_values(loss)
    for node in graph:
        expected = passed.get(node, 0.0)
        assert identical(explained[node], expected)
        assert identical(framed.get(node, 0.0), expected)
    by_name = {t.name: t for t in ours[: len(values)]}
    for node in leaves(graph):
        t = by_name.get(graph.nodes[node]["name"])
        if t is not None and t.id in backward:
            assert identical(backward[t.id], passed[node])


def test_first_contribution_keeps_the_sign_of_zero_as_pytorch():
    x = pathgrad.tensor(1.0, True, "x")
    (x * -0.0).backward()
    reference = torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    (reference * -0.0).backward()
    assert identical(x.grad, float(reference.grad)) and math.copysign(1, x.grad) == -1


def test_later_contributions_add():
    x = pathgrad.tensor(1.0, True, "x")
    (x * -0.0 + x * 0.0).backward()  # -0.0 + 0.0 is 0.0 in IEEE, as PyTorch
    assert identical(x.grad, 0.0)


def test_a_finite_difference_replays_with_a_leaf_moved():
    graph = explain("seed").graph
    w1 = next(n for n in leaves(graph) if graph.nodes[n]["name"] == "w1")
    up = check_replay(graph, {w1: 1.5})[graph.graph["loss"]]
    assert up == 1 - (2 * 1.5 * 1 + 3 * 1.5 * 2)


def test_unknown_values_make_the_pass_undefined_not_wrong():
    x, y = Operation("x", value=None), Operation("y", value=2.0)
    out = Operation("out", OPS["mul"], ("x", "y"), None)
    assert forward([x, y, out])["out"] is None
    sends = list(reverse([x, y, out], "out"))
    assert [(s.operand, s.contribution, s.after) for s in sends] == [
        ("x", None, None),
        ("y", None, None),
    ]
    assert isinstance(sends[0], Send) and sends[0].first


def test_nodes_the_output_does_not_depend_on_send_nothing():
    a, b = Operation("a", value=1.0), Operation("b", value=2.0)
    unused = Operation("unused", OPS["exp"], ("b",), math.exp(2.0))
    out = Operation("out", OPS["neg"], ("a",), -1.0)
    assert adjoints([a, b, unused, out], "out") == {"out": 1.0, "a": -1.0}
