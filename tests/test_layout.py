"""The layered layout: columns, order, coordinates and routes, for any DAG of the right shape."""

import itertools

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.explanation import explain
from pathgrad.pictures.layering import Layered, assign_layers, crossings, order_columns
from pathgrad.pictures.layout import LABEL_GAP, LABEL_HEIGHT, layered_layout, layered_layouts


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


# -- top to bottom ---------------------------------------------------------------------------


def _label_box(route, width):
    """Where a top-to-bottom label is written: beside its edge, just above the consumer."""
    x, y = route.label
    left = x - LABEL_GAP - width if route.side == "left" else x + LABEL_GAP
    return left, y - LABEL_HEIGHT, left + width, y


def _check_down(graph, lay, label_widths):
    assert lay.direction == "TB"
    for u, v, _ in graph.edges(keys=True):
        assert lay.boxes[v].bottom < lay.boxes[u].top  # operands above consumers
    for row in lay.layers:
        boxes = sorted((lay.boxes[n] for n in row), key=lambda b: b.x)
        for before, after in itertools.pairwise(boxes):
            assert before.right < after.left  # no overlap
    tips = {}
    for edge, route in lay.routes.items():
        assert route.points[0][1] == lay.boxes[edge[0]].top
        assert route.tip[1] == lay.boxes[edge[1]].bottom
        ys = [y for _, y in route.points]
        assert ys == sorted(ys, reverse=True)  # always upwards
        tips.setdefault(edge[:2], []).append(route.tip)
        if label_widths.get(edge):  # a label is clear of every box, and inside the picture
            left, top, right, bottom = _label_box(route, label_widths[edge])
            assert 0 <= left and right <= lay.width and 0 <= top
            for box in lay.boxes.values():
                apart = right <= box.left or box.right <= left
                assert apart or bottom <= box.top or box.bottom <= top, (edge, box)
    for parallel in tips.values():
        assert len(set(parallel)) == len(parallel)  # parallel edges end apart


@settings(max_examples=40, deadline=None)
@given(dags())
def test_top_to_bottom_layout_of_random_graphs(graph):
    labels = {e: 10 + 13 * (sum(e) % 5) for e in graph.edges(keys=True)}
    both = layered_layouts(graph, _sizes(graph), labels)
    _check_down(graph, both["TB"], labels)
    _check(graph, both["LR"])
    assert both["TB"] == layered_layout(graph, _sizes(graph), labels, direction="TB")
    assert both["LR"] == layered_layout(graph, _sizes(graph), labels)


@pytest.mark.parametrize("name", ["seed", "reuse", "micrograd", "mlp"])
def test_top_to_bottom_layout_of_examples(name):
    graph = explain(name).graph
    labels = {e: 30 + 5 * (e[2] % 3) for e in graph.edges(keys=True)}
    lay = layered_layout(graph, _sizes(graph), labels, direction="TB")
    _check_down(graph, lay, labels)
    assert lay.layers[-1] == (graph.graph["loss"],)
    assert lay.boxes[graph.graph["loss"]].y == max(b.y for b in lay.boxes.values())


def test_top_to_bottom_rows_make_room_for_one_line_of_labels_not_their_width():
    graph = explain("mlp").graph
    wide = {e: 200 for e in graph.edges(keys=True)}
    narrow = {e: 20 for e in graph.edges(keys=True)}
    down = [layered_layout(graph, _sizes(graph), w, direction="TB") for w in (wide, narrow)]
    across = [layered_layout(graph, _sizes(graph), w) for w in (wide, narrow)]
    # wider labels make rows wider (and bends a little taller), not taller by their width
    assert down[0].width > down[1].width and down[0].height < 1.1 * down[1].height
    assert across[0].width > across[1].width + 180 * len(across[0].layers) / 2


def test_unknown_direction_is_refused():
    graph = explain("seed").graph
    with pytest.raises(ValueError, match="LR, TB"):
        layered_layout(graph, _sizes(graph), direction="RL")
