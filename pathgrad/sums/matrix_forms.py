"""Matrix-calculus forms: ∂L/∂W as one matrix expression in the program's tensor names.

The element path sums of a tensor leaf add up, element by element, to a matrix
expression — the backward pass written as PyTorch's vector–Jacobian products over whole
tensors (``∂L/∂W = δ·xᵀ`` for ``z = W @ x``, hence the transpose). :func:`matrix_forms`
composes those products over the tensor level of the graph
(:func:`~pathgrad.sums.tensor_groups.tensor_groups`), from the loss down, one rule per
``grad_fn`` (:data:`pathgrad.sums.vjp_rules.RULES`, the rules of PyTorch's ``derivatives.yaml`` written for
matrices), then checks each form element by element against the path sums' values. A
form that does not check, or an operation with no rule here (softmax, indexing, ...),
gives ``None``: the explanation says so and shows the element forms instead.
"""

import math

import networkx as nx

from pathgrad.sums import matrix_algebra as m
from pathgrad.sums.tensor_exprs import NoRule, cell, definitions, shape2
from pathgrad.sums.tensor_groups import tensor_groups
from pathgrad.sums.vjp_rules import RULES

#: Relative tolerance of the element-by-element check (float64 sums in another order).
TOLERANCE = 1e-9


def matrix_forms(graph, adjoints):
    """``{tensor leaf name: (form, text) or None}`` for every tensor leaf of ``graph``.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        From :func:`pathgrad.graph.build_graph`, with ``part`` on tensor nodes.
    adjoints : dict
        ``node -> float``: ∂L/∂node from the path sums (``sums.paths.adjoint_values``).

    Returns
    -------
    dict
        For each tensor leaf, ``(expression, text)`` in
        :mod:`~pathgrad.sums.matrix_algebra` terms, or ``None`` when no form was found
        or it did not equal the path sums element by element.
    """
    groups = tensor_groups(graph)
    loss = graph.nodes[graph.graph["loss"]]
    loss = loss["name"] if loss["part"] is None else loss["part"].tensor
    leaves = [
        name for name, g in groups.items() if g.grad_fn is None and g.shape and _wanted(graph, g)
    ]
    if groups[loss].shape != () or not leaves:
        return dict.fromkeys(leaves)
    try:
        deltas = _backward(graph, groups, loss)
    except (NoRule, ValueError, IndexError, KeyError):  # no rule, or shapes no rule reads
        return dict.fromkeys(leaves)
    values = tensor_values(graph, groups)
    return {
        name: _checked(deltas.get(name), groups[name], values, adjoints, groups) for name in leaves
    }


def _wanted(graph, group):
    """Whether a leaf tensor has a gradient: not a constant (``const([...])``)."""
    return any(graph.nodes[n]["requires_grad"] for n in group.elements.values())


def _checked(form, group, values, adjoints, groups):
    if form is None or form.shape != shape2(group.shape):  # a broadcast no rule undid
        return None
    try:
        got = m.evaluate(form, values, m.FLOAT_FUNCTIONS)
    except (ValueError, ZeroDivisionError, OverflowError, KeyError, IndexError):
        return None
    for index, node in group.elements.items():
        row, column = cell(index)
        want = adjoints.get(node)
        if want is None or not math.isclose(
            got[row][column], want, rel_tol=TOLERANCE, abs_tol=1e-12
        ):
            return None
    where = definitions(groups, form)
    text = m.text(form)
    if where:  # what the made names stand for: tanh_1 = tanh(add_1), add_1 = ...
        text += ", where " + "; ".join(f"{name} = {formula}" for name, formula in where)
    return form, text


def tensor_values(graph, groups=None):
    """``{tensor name: its values as a list of rows}`` (a vector is a column)."""
    groups = tensor_groups(graph) if groups is None else groups
    return {name: _values(graph, group) for name, group in groups.items()}


def _values(graph, group):
    rows, columns = shape2(group.shape)
    grid = [[math.nan] * columns for _ in range(rows)]
    for index, node in group.elements.items():
        row, column = cell(index)
        value = graph.nodes[node]["value"]
        grid[row][column] = math.nan if value is None else value
    return grid


# -- the backward pass over tensors ---------------------------------------------------------
def _backward(graph, groups, loss):
    order = nx.DiGraph()
    order.add_nodes_from(groups)
    for name, group in groups.items():
        order.add_edges_from((name, operand) for _, operand in group.operands)
    deltas = {loss: m.Num(1.0)}
    for name in nx.topological_sort(order):
        group = groups[name]
        if name not in deltas or group.grad_fn is None:
            continue
        rule = RULES.get(group.grad_fn)
        if rule is None:
            raise NoRule(group.grad_fn)
        for operand, contribution in rule(graph, groups, group, deltas[name]):
            before = deltas.get(operand)
            deltas[operand] = contribution if before is None else m.add(before, contribution)
    return deltas
