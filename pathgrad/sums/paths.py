"""Paths from the loss to a leaf: counted, streamed, and summed regrouped.

Edges point from a consumer to its operands and nodes are numbered in the
order they were created, so every operand has a smaller number than its
consumers and *descending node order is a topological order* from the loss
down. Everything here is one pass over the edges in that order, except
:func:`iter_paths`, which streams one path at a time.

>>> from pathgrad.trace.traced import leaf
>>> from pathgrad.graph import build_graph
>>> a = leaf("a", 3.0)
>>> g = build_graph((a * a).sin() + (a * a).cos())
>>> path_counts(g)[0]
4
>>> [len(p) for p in iter_paths(g, 0)]
[3, 3, 3, 3]
"""

import math

import networkx as nx
import sympy

from pathgrad.errors import NameNotFound
from pathgrad.kernels import is_special, special_name
from pathgrad.ops import OPS
from pathgrad.passes import Operation, reverse
from pathgrad.sums.listing import depth_first


def topological_from(graph):
    """Nodes from the loss down to the leaves (descending creation order)."""
    return sorted(graph, reverse=True)


def path_counts(graph, source=None):
    """The exact number of paths from ``source`` (default: the loss) to every node.

    Counted without enumerating, as Python integers: parallel edges (a
    reused operand) count as distinct paths, so ``a * a`` has two paths to ``a``.
    """
    source = graph.graph["loss"] if source is None else source
    counts = dict.fromkeys(graph, 0)
    counts[source] = 1
    for node in topological_from(graph):
        if counts[node]:
            for _, operand in graph.out_edges(node):
                counts[operand] += counts[node]
    return counts


def iter_paths(graph, target, source=None):
    """Stream every path from ``source`` (default: the loss) to ``target``.

    Yields
    ------
    list of (consumer, operand, key)
        The edges of one path, in order from the loss to the target. Paths
        come in a stable order (operands in position order); only one path
        is held in memory at a time.
    """
    source = graph.graph["loss"] if source is None else source
    if target not in graph:
        raise NameNotFound(f"node {target} is not in the graph")
    # 1. Only nodes that can reach the target are worth descending into.
    useful = nx.ancestors(graph, target) | {target}
    if source not in useful:
        return
    if source == target:  # the empty path: ∂x/∂x = 1
        yield []
        return
    # 2. Each useful node's edges to useful operands, in out_edges order, listed once.
    succ, down = graph.succ, {}

    def edges_from(node):
        if node not in down:
            down[node] = [
                (node, v, key) for v, keys in succ[node].items() if v in useful for key in keys
            ]
        return iter(down[node])

    # 3. Depth-first, with an explicit stack of edge iterators.
    yield from depth_first(source, target, edges_from)


def operand_lists(graph):
    """Each node's operands (one entry per edge), as plain lists: fast to walk again and again."""
    return {node: [v for _, v in graph.out_edges(node)] for node in graph}


def paths_to(graph, target, operands=None):
    """The exact number of paths from every node down to ``target`` (one pass).

    ``operands`` (from :func:`operand_lists`) saves rebuilding the adjacency
    when this is called for many targets.
    """
    operands = operand_lists(graph) if operands is None else operands
    counts = dict.fromkeys(operands, 0)
    counts[target] = 1
    for node in sorted(operands):  # operands before their consumers
        if node > target:
            counts[node] = sum(counts[v] for v in operands[node])
    return counts


def multiplication_counts(graph, leaf, counts=None, operands=None):
    """How many multiplications each way of summing ∂loss/∂leaf needs.

    ``"paths"``: every path's product on its own (a path of k edges costs
    k - 1), counted without enumerating as the sum over edges of the paths
    through them. ``"reverse"``: one per edge, for every leaf at once.
    ``"forward"``: one per edge that leads down to ``leaf``, for this leaf only.

    >>> from pathgrad.trace.traced import leaf
    >>> from pathgrad.graph import build_graph
    >>> a = leaf("a", 3.0)
    >>> multiplication_counts(build_graph((a * a).sin()), 0)
    {'paths': 2, 'reverse': 3, 'forward': 3}
    """
    counts = path_counts(graph) if counts is None else counts
    operands = operand_lists(graph) if operands is None else operands
    below = paths_to(graph, leaf, operands)
    occurrences = forward = edges = 0
    for u, vs in operands.items():
        edges += len(vs)
        for v in vs:
            if below[v]:
                occurrences += counts[u] * below[v]
                forward += 1
    return {"paths": max(0, occurrences - counts[leaf]), "reverse": edges, "forward": forward}


def multiplication_counts_by_leaf(graph, counts=None):
    """:func:`multiplication_counts` for every leaf at once, in a few passes over the edges.

    The paths' cost is their total length less their number. Forward mode's is the edges
    into the leaf and the nodes above it: each node's edges in are added to every leaf
    below it (a set of leaves kept as the bits of an integer), all leaves at once, in
    bit-sliced counters (``totals[j]`` holds bit ``j`` of every leaf's count).

    >>> from pathgrad.trace.traced import leaf
    >>> from pathgrad.graph import build_graph
    >>> a, b = leaf("a", 3.0), leaf("b", 2.0)
    >>> multiplication_counts_by_leaf(build_graph((a * a).sin() * b))
    {0: {'paths': 4, 'reverse': 5, 'forward': 4}, 1: {'paths': 0, 'reverse': 5, 'forward': 1}}
    """
    counts = path_counts(graph) if counts is None else counts
    leaves = [n for n, kind in graph.nodes(data="kind") if kind == "leaf"]
    # 1. From the loss down: the summed lengths of the paths to each node (an edge adds
    #    one to every path through it).
    lengths = dict.fromkeys(graph, 0)
    for node in topological_from(graph):
        for _, operand in graph.out_edges(node):
            lengths[operand] += lengths[node] + counts[node]
    # 2. From the leaves up: the leaves below each node, one bit per leaf.
    bit = {node: 1 << i for i, node in enumerate(leaves)}
    below = {}
    for node in sorted(graph):  # operands before their consumers
        mask = bit.get(node, 0)
        for _, operand in graph.out_edges(node):
            mask |= below[operand]
        below[node] = mask
    # 3. Each node's edges in, added to every leaf below it: binary addition, carried
    #    from one bit-slice to the next.
    totals = []
    for node, edges_in in graph.in_degree():
        for level in range(edges_in.bit_length()):
            if edges_in >> level & 1:
                _add_at(totals, level, below[node])
    edges = graph.number_of_edges()
    return {
        leaf: {
            "paths": max(0, lengths[leaf] - counts[leaf]),
            "reverse": edges,
            "forward": sum(1 << j for j, digits in enumerate(totals) if digits >> i & 1),
        }
        for i, leaf in enumerate(leaves)
    }


def _add_at(totals, level, mask):
    """Add ``2**level`` to the count of every leaf whose bit is set in ``mask``.

    >>> totals = []
    >>> for mask in (0b011, 0b110, 0b010):
    ...     _add_at(totals, 0, mask)
    >>> [sum(1 << j for j, t in enumerate(totals) if t >> i & 1) for i in range(3)]
    [1, 3, 1]
    """
    while mask:
        if level >= len(totals):
            totals.extend([0] * (level + 1 - len(totals)))
        totals[level], mask = totals[level] ^ mask, totals[level] & mask  # carry up
        level += 1


def operand_values(graph, node):
    """The values of an operation node's operands, in order (a plain number as itself)."""
    return [
        o if isinstance(o, float) else graph.nodes[o]["value"]
        for o in graph.nodes[node]["operands"]
    ]


def operations(graph):
    """The graph as a computation for :mod:`pathgrad.passes`, in creation order.

    >>> from pathgrad.explanation import explain
    >>> from pathgrad.graph import node_named
    >>> from pathgrad.passes import adjoints
    >>> g = explain("seed").graph
    >>> adjoints(operations(g), g.graph["loss"])[node_named(g, "w1")]
    -8.0
    """
    for node in sorted(graph):
        data = graph.nodes[node]
        if data["kind"] == "leaf":
            yield Operation(node, value=data["value"])
            continue
        operands = tuple(data["operands"])
        traced = tuple(not isinstance(o, float) for o in operands)
        yield Operation(node, OPS[data["op"]], operands, data["value"], traced)


def adjoint_values(graph):
    """∂loss/∂node at the given values for every node (reverse mode, one pass).

    Returns ``(values, reasons)``: ``values[node]`` is a float, or ``None``
    when it is unknown (a symbolic leaf) or undefined; ``reasons[node]``
    says why it is undefined. The numbers are :func:`pathgrad.passes.reverse`'s,
    PyTorch's backward formulas in its engine's order.
    """
    values, reasons = dict.fromkeys(graph, 0.0), {}
    values[graph.graph["loss"]] = 1.0
    for send in reverse(operations(graph), graph.graph["loss"]):
        values[send.operand] = after = send.after
        before = 0.0 if send.first else send.before
        if send.contribution is None or before is None:
            continue
        if is_special(after) and special_name(after) != special_name(before):
            edge = graph.edges[send.consumer, send.operand, send.position]
            reasons[send.operand] = _special_reason(
                before, send.contribution, edge, reasons.get(send.consumer)
            )
    return values, reasons


def _special_reason(before, step, edge, above):
    """Why a gradient became inf or nan: a local derivative, the gradient above, or a sum."""
    if is_special(before):
        return (
            f"paths contribute {special_name(before)} and {step:g}, whose sum is "
            f"{special_name(before + step)}"
        )
    if not is_special(step):
        return "overflow: the sum of the paths' contributions is beyond the largest float64"
    if edge["undefined"]:
        return edge["undefined"]
    if above and math.isnan(step) and edge["value"] == 0:
        return f"{above}; times a local derivative of 0, that gives nan"
    if above:
        return above
    return "overflow: the product of the local derivatives is beyond the largest float64"


def symbolic_tangents(graph, leaf):
    """∂node/∂leaf for every node above ``leaf``, accumulated upwards (forward mode).

    The mirror image of :func:`pathgrad.sums.sweeps.symbolic_adjoints`: each node's tangent is the
    sum, over its edges down to operands that depend on the leaf, of the
    operand's tangent times the edge's local derivative, with contributions
    of the same tangent grouped first. Nodes that do not depend on the leaf
    are left out.
    """
    below = paths_to(graph, leaf)
    tangents = {leaf: sympy.S.One}
    for node in sorted(graph):
        if node == leaf or not below[node]:
            continue
        groups = {}
        for _, operand, data in graph.out_edges(node, data=True):
            if below[operand]:
                t = tangents[operand]
                groups[t] = groups.get(t, sympy.S.Zero) + data["local_derivative"]
        tangents[node] = sympy.Add(*[t * c for t, c in groups.items()])
    return tangents


def tangent_values(graph, leaf):
    """∂node/∂leaf at the given values for every node above ``leaf`` (``None`` if unknown)."""
    below = paths_to(graph, leaf)
    values = {leaf: 1.0}
    for node in sorted(graph):
        if node == leaf or not below[node]:
            continue
        total = 0.0
        for _, operand, data in graph.out_edges(node, data=True):
            if not below[operand]:
                continue
            if total is None or values[operand] is None or data["value"] is None:
                total = None
            else:
                total += values[operand] * data["value"]
        values[node] = total
    return values


def atoms_in(expr, kind=sympy.Symbol):
    """The atoms of ``expr`` of type ``kind``, each shared subexpression visited once.

    ``free_symbols`` and ``atoms`` walk the tree, which takes exponential time
    on an expression built with shared parts (``h = sin(h) * h`` in a loop).

    >>> x, y = sympy.symbols("x y")
    >>> e = x * y
    >>> for _ in range(200):
    ...     e = sympy.sin(e) * e
    >>> sorted(atoms_in(e), key=str)
    [x, y]
    """
    seen, found, stack = set(), set(), [expr]
    while stack:
        e = stack.pop()
        if e in seen:
            continue
        seen.add(e)
        if isinstance(e, kind):
            found.add(e)
        stack.extend(e.args)
    return found


def replaced(expr, rule):
    """``expr.xreplace(rule)``, each shared subexpression rebuilt once (linear on a DAG).

    >>> x, y = sympy.symbols("x y")
    >>> replaced(sympy.sin(x) * x, {x: y})
    y*sin(y)
    """
    memo, stack = {}, [expr]
    while stack:
        e = stack[-1]
        if e in memo:
            stack.pop()
        elif e in rule:
            memo[e] = rule[e]
            stack.pop()
        elif missing := [a for a in e.args if a not in memo]:
            stack.extend(missing)
        else:
            stack.pop()
            args = tuple(memo[a] for a in e.args)
            memo[e] = e.func(*args) if args != e.args else e
    return memo[expr]
