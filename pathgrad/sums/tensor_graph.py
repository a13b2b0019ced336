"""The tensor-level graph: one node per tensor, one edge per operand, labelled with its VJP.

What torchviz draws for PyTorch — ``W``, ``x`` → ``MvBackward0`` → ``AddBackward0`` →
``TanhBackward0`` ... — with what pathgrad adds: each edge says how the gradient flows
back along it, as PyTorch's vector–Jacobian product for that operand (``δ·xᵀ`` to
``W``, ``Wᵀ·δ`` to ``x``, ``δ ⊙ (𝟙 − h^2)`` through ``tanh``), where ``δ`` is the
gradient arriving at the operation. The graph has the node and edge data of
:func:`pathgrad.graph.build_graph`'s (so every picture format draws it), with
``shape`` on each node and the rule's text as each edge's ``local_derivative``.

>>> from pathgrad.trace.loader import load_source
>>> from pathgrad.graph import build_graph
>>> g = tensor_graph(build_graph(load_source(
...     "W = [[1.0, 2.0], [0.5, -1.0]]\\nx = [1.0, 3.0]\\nh = tanh(W @ x)\\nL = h.sum()\\n").loss))
>>> sorted((g.nodes[u]["name"], g.nodes[v]["name"], d["local_derivative"])
...        for u, v, d in g.edges(data=True))
[('L', 'h', 'δ·𝟙'), ('h', 'mv_1', 'δ ⊙ (𝟙 − h^2)'), ('mv_1', 'W', 'δ·xᵀ'), ('mv_1', 'x', 'Wᵀ·δ')]
"""

import networkx as nx

from pathgrad.sums import matrix_algebra as m
from pathgrad.sums.tensor_exprs import NoRule, forward_formula, shape2
from pathgrad.sums.tensor_groups import tensor_groups
from pathgrad.sums.vjp_rules import RULES


def has_tensors(graph):
    """Whether any node of ``graph`` is an element of a tensor."""
    return any(part is not None for _, part in graph.nodes(data="part"))


def tensor_graph(graph):
    """``graph`` with each tensor's elements (and the values made inside) as one node.

    Returns
    -------
    networkx.MultiDiGraph
        Node data as :func:`pathgrad.graph.build_graph` gives, for tensors: ``name``,
        ``kind``, ``grad_fn``, ``formula`` (``W @ x``), ``shape`` (PyTorch's), ``value``
        (the one number of a 0-d tensor, else ``None``), ``line``, ``source``.
        Edge data (consumer → operand, key = operand position): ``local_derivative``,
        the vector–Jacobian product's rule as text (``δ·xᵀ``).
    """
    groups = tensor_groups(graph)
    numbers = {name: number for number, name in enumerate(groups)}
    tensors = nx.MultiDiGraph(file=graph.graph.get("file"), level="tensor")
    for name, group in groups.items():
        tensors.add_node(numbers[name], **_node_data(graph, groups, group))
    positions = {}
    for name, operand, rule in vector_jacobian_products(graph, groups):
        position = positions[name] = positions.get(name, -1) + 1  # the operand's place
        text = f"vjp of {groups[name].grad_fn}" if rule is None else m.text(rule)
        tensors.add_edge(
            numbers[name],
            numbers[operand],
            key=position,
            local_derivative=text,
            value=None,
            undefined=None,
        )
    loss = graph.nodes[graph.graph["loss"]]
    tensors.graph["loss"] = numbers[loss["name"] if loss["part"] is None else loss["part"].tensor]
    return tensors


def _node_data(graph, groups, group):
    first = graph.nodes[next(iter(group.elements.values()))]
    leaf = group.grad_fn is None
    return dict(
        name=group.name,
        label=group.name,
        kind="leaf" if leaf else "operation",
        grad_fn=group.grad_fn,
        formula=group.name if leaf else forward_formula(groups, group),
        shape=group.shape,
        value=first["value"] if not group.shape else None,
        undefined=first["undefined"] if not group.shape else None,
        requires_grad=first["requires_grad"],
        cut=first.get("cut"),
        line=first.get("line"),
        source=first.get("source"),
        part=None,
    )


def vector_jacobian_products(graph, groups=None):
    """``(consumer, operand, rule)`` for every tensor edge, ``δ`` the consumer's gradient.

    ``rule`` is a :mod:`~pathgrad.sums.matrix_algebra` expression in ``δ`` and the
    tensors' names (``None`` for an operation with no rule here): what the operand
    receives from this consumer, so that an operand's gradient is the sum of its rules.
    """
    groups = tensor_groups(graph) if groups is None else groups
    found = []
    for name, group in groups.items():
        if group.grad_fn is None:
            continue
        delta = m.Sym("δ", shape2(group.shape))
        try:
            sent = RULES[group.grad_fn](graph, groups, group, delta)
        except (KeyError, NoRule, ValueError, IndexError):
            sent = [(operand, None) for _, operand in group.operands]
        found += [(name, operand, rule) for operand, rule in sent]
    return found
