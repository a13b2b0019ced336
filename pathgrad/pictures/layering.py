"""Columns and order for the layered layout (steps 1 to 3 of :mod:`pathgrad.pictures.layout`).

Edges point from a consumer to its operands; a column (a layer) holds nodes
that can be drawn one above the other, every operand in a column left of
its consumers. Long edges get a dummy point in every column they cross, so
that ordering and drawing only ever deal with edges between neighbouring
columns.

>>> import networkx as nx
>>> g = nx.MultiDiGraph([(2, 1, 0), (2, 0, 1), (1, 0, 0)])  # 2 = 1 + 0, 1 = f(0)
>>> layered = Layered(g, assign_layers(g), {n: (40, 30) for n in g})
>>> [item for item in layered.left[2]][1][0]  # the edge 2 -> 0 passes column 1
('dummy', 2, 0, 1, 1)
"""

from itertools import pairwise

import networkx as nx

from pathgrad.errors import PathgradError

PORT_GAP = 14  # between the ports of one consumer, in pixels
ORDER_SWEEPS = 12
#: Dummy points a layout may need (one per column a long edge crosses). A leaf used at every
#: step of a long chain needs a number growing with the square of the chain's length: past
#: this, the picture is refused by name instead of taking minutes and gigabytes.
MAX_DUMMIES = 200_000


def assign_layers(graph):
    """The column of every node: operands left of their consumers.

    >>> g = nx.MultiDiGraph([(3, 2), (3, 1), (2, 0), (2, 1)])  # 3 = 2 + 1, 2 = 0 * 1
    >>> assign_layers(g)
    {0: 0, 1: 0, 2: 1, 3: 2}
    >>> g.add_edge(3, 4)  # a leaf used only by 3 sits next to it
    0
    >>> assign_layers(g)[4]
    1
    """
    order = list(nx.topological_sort(graph))  # consumers before operands
    layer = {}
    for node in reversed(order):
        layer[node] = 1 + max((layer[o] for o in graph.successors(node)), default=-1)
    for _ in range(len(order)):
        moved = False
        for node in order:
            consumers = [c for c, _ in graph.in_edges(node)]
            if not consumers:
                continue
            # A leaf used by this node alone follows it wherever it goes: it does not pull.
            operands = [
                o
                for _, o in graph.out_edges(node)
                if graph.out_degree(o) or set(graph.predecessors(o)) != {node}
            ]
            high = min(layer[c] for c in consumers) - 1
            low = 1 + max((layer[o] for _, o in graph.out_edges(node)), default=-1)
            if len(consumers) >= len(operands) and layer[node] < high:
                layer[node], moved = high, True  # a tie goes right: computed where it is used
            elif len(consumers) < len(operands) and layer[node] > low:
                layer[node], moved = low, True
        if not moved:
            break
    lowest = min(layer.values(), default=0)
    return {n: layer[n] - lowest for n in sorted(layer)}


def ports(graph, node):
    """The out-edges of a consumer in operand order, as its ports from top to bottom."""
    return sorted(graph.out_edges(node, keys=True), key=lambda e: (e[2], e[1]))


def _port_offset(rank, count, height):
    if count < 2:
        return 0.0
    gap = min(PORT_GAP, (height - 8) / (count - 1))
    return (rank - (count - 1) / 2) * gap


class Layered:
    """The layered graph with dummy points: every segment joins adjacent columns.

    ``left[item]`` and ``right[item]`` list ``(neighbour, port offset, rank, count, first)``
    for the segments to the column on that side; ``first`` marks a segment that
    leaves a real consumer (it starts at a port). ``size[item]`` is ``(across the
    columns, along a column)``; ``extent[item]`` how far an item reaches up and down a
    column from its centre (half its size, unless labels beside it reach further).
    """

    def __init__(self, graph, layer, sizes):
        self.layer = dict(layer)
        self.size = {n: sizes[n] for n in graph}
        self.extent = {n: (h / 2, h / 2) for n, (_, h) in self.size.items()}
        self.chains = {}  # edge -> [consumer, dummies..., operand]
        self.left = {n: [] for n in graph}
        self.right = {n: [] for n in graph}
        self.port = {}  # edge -> (rank, count)
        needed = sum(max(0, self.layer[c] - self.layer[o] - 1) for c, o in graph.edges())
        if needed > MAX_DUMMIES:
            raise PathgradError(
                f"the graph is too large to draw: its long edges cross {needed:,} columns in "
                f"all (at most {MAX_DUMMIES:,}); a value used at every step of a long chain "
                "makes this grow with the square of the chain's length",
                file=graph.graph.get("file"),
            )
        for node in graph:
            out = ports(graph, node)
            for rank, edge in enumerate(out):
                self.port[edge] = (rank, len(out))
                self._chain(edge)

    def _chain(self, edge):
        consumer, operand, _ = edge
        chain = [consumer]
        for column in range(self.layer[consumer] - 1, self.layer[operand], -1):
            dummy = ("dummy", *edge, column)
            self.layer[dummy], self.size[dummy], self.extent[dummy] = column, (0, 0), (0, 0)
            self.left[dummy], self.right[dummy] = [], []
            chain.append(dummy)
        chain.append(operand)
        self.chains[edge] = chain
        rank, count = self.port[edge]
        for i, (r, item) in enumerate(pairwise(chain)):
            offset = self.offset(edge) if i == 0 else 0.0
            self.left[r].append((item, offset, rank, count, i == 0))
            self.right[item].append((r, offset, rank, count, i == 0))

    def offset(self, edge):
        rank, count = self.port[edge]
        return _port_offset(rank, count, self.size[edge[0]][1])

    def is_dummy(self, item):
        return isinstance(item, tuple)


def _initial_order(graph, proper, columns):
    """Depth first from the loss, operands in order: a tree-like first order."""
    order = [[] for _ in range(columns)]
    roots = sorted(
        (n for n in graph if graph.in_degree(n) == 0), key=lambda n: (-proper.layer[n], n)
    )
    seen, stack = set(), list(reversed(roots))
    while stack:
        item = stack.pop()
        if item in seen:
            continue
        seen.add(item)
        order[proper.layer[item]].append(item)
        stack.extend(reversed([left for left, *_ in proper.left[item]]))
    for n in graph:  # unreachable from a root: cannot happen in a DAG, kept for safety
        if n not in seen:
            order[proper.layer[n]].append(n)
    return order


def _fraction(rank, count):
    """A port's place within its node's slot, for ordering: within (-0.5, 0.5)."""
    return 0.0 if count < 2 else (rank - (count - 1) / 2) / count * 0.5


def _sort_column(column, neighbours, position, sign):
    def barycentre(item):
        near = neighbours[item]
        if not near:
            return position[item]
        return sum(
            position[n] + sign * _fraction(rank, count) if first else position[n]
            for n, _, rank, count, first in near
        ) / len(near)

    column.sort(key=barycentre)
    for i, item in enumerate(column):
        position[item] = i


def crossings(order, proper, position):
    """Edge crossings between adjacent columns, counted with ports (O(E log E))."""
    total = 0
    for column in order[1:]:
        segments = sorted(
            (position[r] + (_fraction(rank, count) if first else 0.0), position[left])
            for r in column
            for left, _, rank, count, first in proper.left[r]
        )
        lefts = sorted({left for _, left in segments})
        rank_of = {v: i + 1 for i, v in enumerate(lefts)}
        tree = [0] * (len(lefts) + 1)
        seen = 0
        for _, left in segments:
            i, below = rank_of[left], 0
            while i > 0:
                below += tree[i]
                i -= i & -i
            total += seen - below  # earlier segments that end strictly lower
            i = rank_of[left]
            while i <= len(lefts):
                tree[i] += 1
                i += i & -i
            seen += 1
    return total


def order_columns(graph, proper, columns):
    """The items of each column, top to bottom: the order with the fewest crossings found."""
    order = _initial_order(graph, proper, columns)
    position = {item: i for column in order for i, item in enumerate(column)}
    best, best_crossings = [list(c) for c in order], crossings(order, proper, position)
    for sweep in range(ORDER_SWEEPS):
        if best_crossings == 0:
            break
        if sweep % 2 == 0:  # right to left: order each column by its consumers
            for i in range(columns - 2, -1, -1):
                _sort_column(order[i], proper.right, position, +1)
        else:  # left to right: order each column by its operands
            for i in range(1, columns):
                _sort_column(order[i], proper.left, position, -1)
        count = crossings(order, proper, position)
        if count < best_crossings:
            best, best_crossings = [list(c) for c in order], count
    return best
