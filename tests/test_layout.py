"""The layered layout: columns, order, coordinates and routes, for any DAG of the right shape."""

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.explanation import explain
from pathgrad.pictures.layering import Layered, assign_layers, crossings, order_columns
from pathgrad.pictures.layout import layered_layout


def _sizes(graph):
    return {n: (40 + 7 * (n % 4), 30 + 6 * (n % 3)) for n in graph}


@st.composite
def dags(draw):
    """Random graphs shaped like pathgrad's: each node's operands are older nodes."""
    n = draw(st.integers(2, 25))
    graph = nx.MultiDiGraph()
    graph.add_nodes_from(range(n))
    for node in range(1, n):
        if draw(st.booleans()) or node == n - 1:
            count = draw(st.integers(1, 2))
            for key in range(count):
                graph.add_edge(node, draw(st.integers(0, node - 1)), key=key)
    loss = n - 1
    keep = nx.descendants(graph, loss) | {loss}
    return graph.subgraph(sorted(keep)).copy()


def _check(graph, lay):
    for u, v, _ in graph.edges(keys=True):
        assert lay.boxes[v].right < lay.boxes[u].left  # operands left of consumers
    for column in lay.layers:
        boxes = sorted((lay.boxes[n] for n in column), key=lambda b: b.y)
        for above, below in itertools.pairwise(boxes):
            assert above.bottom < below.top  # no overlap
    tips = {}
    for edge, route in lay.routes.items():
        assert route.points[0][0] == lay.boxes[edge[0]].left
        assert route.tip[0] == lay.boxes[edge[1]].right
        xs = [x for x, _ in route.points]
        assert xs == sorted(xs, reverse=True)  # always leftwards
        tips.setdefault(edge[:2], []).append(route.tip)
    for parallel in tips.values():
        assert len(set(parallel)) == len(parallel)  # parallel edges end apart


@settings(max_examples=60, deadline=None)
@given(dags())
def test_layout_of_random_graphs(graph):
    lay = layered_layout(graph, _sizes(graph))
    _check(graph, lay)
    assert lay == layered_layout(graph, _sizes(graph))


@pytest.mark.parametrize("name", ["seed", "neuron", "reuse", "micrograd", "mlp", "diamonds"])
def test_layout_of_examples(name):
    graph = explain(name).graph
    lay = layered_layout(graph, _sizes(graph), {e: 30 for e in graph.edges(keys=True)})
    _check(graph, lay)
    loss = graph.graph["loss"]
    assert lay.layers[-1] == (loss,)


def test_leaves_sit_next_to_their_consumer():
    graph = explain("seed").graph
    layer = assign_layers(graph)
    assert [layer[n] for n in range(5)] == [0, 0, 0, 1, 1]  # x1 x2 w1; then w2 w3
    assert layer[10] == max(layer.values())


def test_a_tree_has_no_crossings():
    graph = nx.MultiDiGraph([(6, 4, 0), (6, 5, 1), (4, 0, 0), (4, 1, 1), (5, 2, 0), (5, 3, 1)])
    lay = layered_layout(graph, _sizes(graph))
    ys = [lay.boxes[n].y for n in (0, 1, 2, 3)]
    assert ys == sorted(ys)
    layered = Layered(graph, assign_layers(graph), _sizes(graph))
    order = order_columns(graph, layered, 3)
    position = {item: i for column in order for i, item in enumerate(column)}
    assert crossings(order, layered, position) == 0
