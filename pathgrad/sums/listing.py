"""Listing paths to every leaf from one walk, within a budget shared by all gradients.

:func:`pathgrad.sums.paths.iter_paths` finds the nodes that can reach its target before it
streams (one pass over the graph per target: quadratic for a graph with as many leaves
as edges). :class:`Walk` finds them for every target at once, in one pass from the leaves
up: each node keeps the set of targets below it as the bits of an integer. Streaming a
target's paths then descends only into nodes that reach it, so listing k paths costs
their length, never a dead end.

>>> from pathgrad.trace.traced import leaf
>>> from pathgrad.graph import build_graph
>>> a, b = leaf("a", 3.0), leaf("b", 2.0)
>>> g = build_graph((a * a).sin() * b)
>>> walk = Walk(g, [0, 1])
>>> [len(p) for p in walk.paths(0)], [len(p) for p in walk.paths(1)]
([3, 3], [1])
"""

from pathgrad.errors import NameNotFound


class Walk:
    """The nodes above each target, found for every target in one pass over the edges.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A graph from :func:`pathgrad.graph.build_graph`.
    targets : list of int
        The nodes whose paths will be listed (leaves, or computed values).
    source : int, optional
        Where the paths start (default: the loss).
    """

    def __init__(self, graph, targets, source=None):
        self.graph = graph
        self.source = graph.graph["loss"] if source is None else source
        missing = [t for t in targets if t not in graph]
        if missing:
            raise NameNotFound(f"node {missing[0]} is not in the graph")
        self.bit = {t: 1 << i for i, t in enumerate(dict.fromkeys(targets))}
        # from the leaves up: the targets each node reaches (itself included)
        succ, self.reaches, self.edges = graph.succ, {}, {}
        for node in sorted(graph):  # operands before their consumers
            mask = self.bit.get(node, 0)
            edges = [(node, v, key) for v, keys in succ[node].items() for key in keys]
            for _, operand, _ in edges:
                mask |= self.reaches[operand]
            self.reaches[node], self.edges[node] = mask, edges
        self.kinks = [n for n in sorted(graph) if graph.nodes[n]["kink"]]

    def paths(self, target):
        """Stream every path from the source to ``target``, in
        :func:`~pathgrad.sums.paths.iter_paths`'s order (operands in position order).

        Yields
        ------
        list of (consumer, operand, key)
            The edges of one path, from the source down to the target.
        """
        bit, reaches = self.bit[target], self.reaches
        if not reaches[self.source] & bit:
            return
        if self.source == target:  # the empty path: ∂x/∂x = 1
            yield []
            return
        yield from depth_first(self.source, target, lambda node: self._useful(node, bit))

    def _useful(self, node, bit):
        reaches = self.reaches
        return (e for e in self.edges[node] if reaches[e[1]] & bit)

    def kinks_above(self, target):
        """The names of the nodes with a kink (relu, abs, ...) on some path down to
        ``target``, in creation order."""
        bit, nodes = self.bit[target], self.graph.nodes
        return [nodes[k]["name"] for k in self.kinks if k != target and self.reaches[k] & bit]


class Budget:
    """How many factors the listed paths of every gradient may take together.

    >>> budget = Budget(10)
    >>> [len(p) for p in budget.take([[1, 2, 3], [4, 5, 6]] * 3, limit=4)]
    [3, 3, 3]
    >>> budget.left, budget.cut, budget.take([[1]], limit=4)
    (1, True, [])
    """

    def __init__(self, total):
        self.total, self.left, self.cut = total, total, False

    def take(self, paths, limit):
        """The first ``limit`` of ``paths`` (an iterable of lists) that fit in what is left.

        Listing stops for good at the first path that does not fit: trying every later
        gradient's first path would walk the graph once per gradient again.
        """
        taken = []
        if self.cut:
            return taken
        for path in paths:
            if len(taken) == limit:
                break
            if len(path) > self.left:
                self.cut = True
                break
            self.left -= len(path)
            taken.append(path)
        return taken


def depth_first(source, target, edges_from):
    """Every path from ``source`` to ``target``, depth first, one list of edges at a time.

    ``edges_from(node)`` gives the edges ``(node, next, key)`` worth following; an
    explicit stack of their iterators keeps deep graphs off Python's recursion limit.
    """
    path, stack = [], [edges_from(source)]
    while stack:
        edge = next(stack[-1], None)
        if edge is None:
            stack.pop()
            if path:
                path.pop()
            continue
        path.append(edge)
        if edge[1] == target:
            yield list(path)
            path.pop()
        else:
            stack.append(edges_from(edge[1]))
