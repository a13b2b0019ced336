"""The tensor-level graph: one node per tensor, each edge its vector–Jacobian product.

The oracle is the chain rule at the tensor level: a tensor's gradient (the path sums of
its elements) is the sum, over the edges into it, of each edge's rule evaluated with
``δ`` = the consumer's gradient.
"""

import math

from hypothesis import given, settings
from test_matrix_forms import SLIDE, networks

from pathgrad.cli import main
from pathgrad.graph import build_graph
from pathgrad.pictures.drawing import draw
from pathgrad.sums import matrix_algebra as m
from pathgrad.sums.matrix_forms import tensor_values
from pathgrad.sums.paths import adjoint_values
from pathgrad.sums.tensor_graph import tensor_graph, vector_jacobian_products
from pathgrad.sums.tensor_groups import tensor_groups
from pathgrad.trace.loader import load_source


def _gradients(graph, groups):
    """Each tensor's gradient as rows, from the scalar graph's adjoints (the path sums)."""
    adjoints, _ = adjoint_values(graph)
    found = {}
    for name, group in groups.items():
        rows, columns = (tuple(group.shape) + (1, 1))[:2] if group.shape else (1, 1)
        grid = [[0.0] * columns for _ in range(rows)]
        for index, node in group.elements.items():
            row, column = (tuple(index) + (0, 0))[:2]
            grid[row][column] = adjoints[node]
        found[name] = grid
    return found


@settings(max_examples=12, deadline=None)
@given(networks())
def test_each_tensors_gradient_is_the_sum_of_its_edges_rules(source):
    graph = build_graph(load_source(source).loss)
    groups = tensor_groups(graph)
    values, gradients = tensor_values(graph, groups), _gradients(graph, groups)
    received = {}
    for consumer, operand, rule in vector_jacobian_products(graph, groups):
        assert rule is not None, (consumer, operand, source)
        got = m.evaluate(rule, {**values, "δ": gradients[consumer]}, m.FLOAT_FUNCTIONS)
        before = received.get(operand)
        received[operand] = (
            got
            if before is None
            else [[a + b for a, b in zip(ra, rb)] for ra, rb in zip(before, got)]
        )
    for operand, got in received.items():
        for got_row, want_row in zip(got, gradients[operand]):
            for g, w in zip(got_row, want_row):
                assert math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12), (operand, source)


def test_the_slide_network_at_the_tensor_level():
    graph = tensor_graph(build_graph(load_source(SLIDE).loss))
    names = {n: d["name"] for n, d in graph.nodes(data=True)}
    edges = sorted(
        (names[u], names[v], d["local_derivative"]) for u, v, d in graph.edges(data=True)
    )
    assert edges == [
        ("L", "pow_1", "1/3·δ·𝟙"),
        ("add_1", "b", "δ"),
        ("add_1", "mv_1", "δ"),
        ("h", "add_1", "δ ⊙ (𝟙 − h^2)"),
        ("mv_1", "W", "δ·xᵀ"),
        ("mv_1", "x", "Wᵀ·δ"),
        ("pow_1", "sub_1", "δ ⊙ 2·(h − y)"),
        ("sub_1", "h", "δ"),
        ("sub_1", "y", "−δ"),
    ]
    formulas = {d["name"]: (d["formula"], d["shape"]) for _, d in graph.nodes(data=True)}
    assert formulas["mv_1"] == ("W @ x", (3,)) and formulas["h"] == ("tanh(add_1)", (3,))
    assert formulas["W"] == ("W", (3, 3))


def test_a_picture_is_tensor_level_for_tensors_unless_a_path_is_asked_for():
    source = load_source(SLIDE).loss
    tensor = draw(source, format="mermaid")
    assert "MvBackward0" in tensor.mermaid and "W[0,1]" not in tensor.mermaid
    assert "δ·xᵀ" in tensor.mermaid
    scalar = draw(build_graph(source), format="mermaid", level="scalar")
    assert "W[0,1]" in scalar.mermaid


def test_graph_level_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "net.py"
    path.write_text(SLIDE)
    out = tmp_path / "net.mmd"
    assert main(["graph", str(path), "-o", str(out)]) == 0
    assert "δ·xᵀ" in out.read_text() and "W[0,1]" not in out.read_text()
    assert main(["graph", str(path), "-o", str(out), "--force", "--wrt", "W[0,1]"]) == 0
    assert "W[0,1]" in out.read_text()
    status = main(
        ["graph", str(path), "-o", str(out), "--force", "--level", "tensor", "--wrt", "x[0]"]
    )
    assert status == 2
    assert f"{path}: --wrt lights up the paths of one element: draw them with --level scalar" in (
        capsys.readouterr().err
    )
    assert main(["graph", str(path), "-o", str(out), "--force", "--safe"]) == 0
    assert "δ·xᵀ" in out.read_text()


def test_a_transposed_view_is_written_as_used_and_edges_carry_no_number(tmp_path):
    source = (
        "X = [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]]\nW = [[0.5, -1.0], [1.5, 0.5]]\n"
        "b = [0.1, 0.2]\nL = ((X @ W.T + b) ** 2).sum()\n"
    )
    graph = tensor_graph(build_graph(load_source(source).loss))
    formulas = {d["name"]: d["formula"] for _, d in graph.nodes(data=True)}
    assert formulas["mm_1"] == "X @ Wᵀ"
    dot = draw(graph, format="dot").dot
    assert "= ?" not in dot
