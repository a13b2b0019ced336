"""Three ways to sum the same paths: listed one by one, reverse mode, forward mode.

Every method returns the same sum, as a sympy expression in the graph's own
names (each edge's ``local_derivative``); they differ in how the sum is
grouped and so in how much work it takes. Reverse and forward mode also
return their *ledger*: each node's partial sum written as the sum of its
neighbours' partial sums times the local derivatives, the way a student
works backpropagation on paper.

>>> from pathgrad.trace.traced import leaf
>>> from pathgrad.graph import build_graph
>>> a = leaf("a", 0.5)
>>> g = build_graph((a * a).sin())
>>> [summed_by(g, 0, method)[0] for method in ("paths", "reverse", "forward")]
[2*a*cos(a**2), 2*a*cos(a**2), 2*a*cos(a**2)]
"""

from dataclasses import dataclass
from itertools import islice

import sympy

from pathgrad.errors import PathgradError
from pathgrad.sums.paths import (
    adjoint_values,
    iter_paths,
    operand_lists,
    paths_to,
    symbolic_tangents,
    tangent_values,
)
from pathgrad.sums.sweeps import symbolic_adjoints

METHODS = ("auto", "paths", "reverse", "forward")
#: --method paths enumerates every path; beyond this many it refuses politely.
PATHS_CAP = 100_000


@dataclass
class Step:
    """One line of a ledger: ``total = Σ neighbour's partial × local derivative``.

    In reverse mode ``node``'s total is ∂loss/∂node and each term names a
    consumer of ``node``; in forward mode it is ∂node/∂leaf and each term
    names an operand of ``node``.
    """

    node: str
    terms: list
    total: sympy.Expr
    value: float | None


#: Reverse mode writes an adjoint out in full up to this many tree nodes; past it, the
#: adjoints of the consumers stay named (``∂L/∂x_3``), each defined by its own step.
WRITTEN_BOUND = 600


def summed_by(graph, leaf, method, cache=None, ledger=True, bound=WRITTEN_BOUND):
    """The sum over all paths from the loss to ``leaf``, grouped as ``method`` groups it.

    Returns ``(total, ledger)``; the ledger is empty for ``"paths"`` or when
    ``ledger`` is false. ``cache`` (a dict) keeps reverse mode's one pass,
    shared by every leaf (``cache["adjoints"]``, an
    :class:`~pathgrad.sums.sweeps.Adjoints`). Reverse mode's sums are written out in
    full while they take at most ``bound`` tree nodes, else in adjoint names.
    """
    cache = {} if cache is None else cache
    if method == "paths":
        return _by_paths(graph, leaf), []
    if method == "reverse":
        if "adjoints" not in cache:
            cache["adjoints"] = symbolic_adjoints(graph)
        adjoints = cache["adjoints"]
        total = adjoints.written(leaf, bound)
        if not ledger:
            return total, []
        if "adjoint_values" not in cache:
            cache["adjoint_values"] = adjoint_values(graph)[0]
            cache["operands"] = operand_lists(graph)
        return total, _reverse_ledger(
            graph, leaf, adjoints, cache["adjoint_values"], cache["operands"], bound
        )
    if method == "forward":
        tangents = symbolic_tangents(graph, leaf)
        loss = graph.graph["loss"]
        # A leaf the loss does not use has no tangent at the loss: zero paths, a sum of 0.
        total = tangents.get(loss, sympy.S.Zero)
        return total, _forward_ledger(graph, leaf, tangents) if ledger else []
    raise ValueError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def check_path_cap(graph, leaf, count):
    if count > PATHS_CAP:
        loss, name = (graph.nodes[n]["name"] for n in (graph.graph["loss"], leaf))
        raise PathgradError(
            f"--method paths: ∂{loss}/∂{name} has {count} paths, more than the {PATHS_CAP} it "
            "will enumerate; use --method reverse, which sums the same paths regrouped"
        )


def _by_paths(graph, leaf):
    # one Add of every product: adding them one at a time rebuilds the growing sum each
    # time (quadratic in the paths), for the same sum
    return sympy.Add(
        *[
            sympy.Mul(*[graph.edges[e]["local_derivative"] for e in edges])
            for edges in islice(iter_paths(graph, leaf), PATHS_CAP)
        ]
    )


def _on_paths(graph, leaf, operands):
    """Nodes on some path from the loss to ``leaf``, from the loss down."""
    below = paths_to(graph, leaf, operands)
    return [n for n in sorted(graph, reverse=True) if below[n]]


def _reverse_ledger(graph, leaf, adjoints, values, operands, bound):
    steps = []
    useful = set(_on_paths(graph, leaf, operands))
    for node in sorted(useful, reverse=True):
        terms = [
            (graph.nodes[consumer]["name"], data["local_derivative"])
            for consumer, _, data in graph.in_edges(node, data=True)
            if consumer in useful
        ]
        total = adjoints.written(node, bound)
        steps.append(Step(graph.nodes[node]["name"], terms, total, values[node]))
    return steps


def _forward_ledger(graph, leaf, tangents):
    values = tangent_values(graph, leaf)
    steps = []
    for node in sorted(tangents):
        terms = [
            (graph.nodes[operand]["name"], data["local_derivative"])
            for _, operand, data in graph.out_edges(node, data=True)
            if operand in tangents
        ]
        steps.append(Step(graph.nodes[node]["name"], terms, tangents[node], values[node]))
    return steps
