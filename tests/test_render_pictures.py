"""Pictures: every node, edge and derivative of the seed is drawn, in SVG, DOT and Mermaid.

The SVG, DOT and Mermaid texts are parsed back (xml.etree and a few regular
expressions) and compared with what the seed example must show, written out
here by hand: the graph is not its own oracle.
"""

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pathgrad.errors import NameNotFound, PathgradError
from pathgrad.explanation import explain, explain_program, explain_tensor
from pathgrad.graph import build_graph
from pathgrad.pictures.drawing import Drawing, draw
from pathgrad.pictures.output import write_atomic
from pathgrad.trace.functions import tanh
from pathgrad.trace.loader import load_source
from pathgrad.trace.traced import leaf

ROOT = Path(__file__).resolve().parent.parent
NS = {"s": "http://www.w3.org/2000/svg"}
HAVE_DOT = shutil.which("dot") is not None

SEED_NODES = {  # name -> (kind, grad_fn)
    "x1": ("leaf", None),
    "x2": ("leaf", None),
    "w1": ("leaf", None),
    "w2": ("leaf", None),
    "w3": ("leaf", None),
    "x3": ("operation", "MulBackward0"),
    "x4": ("operation", "MulBackward0"),
    "w2*x3": ("operation", "MulBackward0"),
    "w3*x4": ("operation", "MulBackward0"),
    "x5": ("operation", "AddBackward0"),
    "L": ("operation", "RsubBackward1"),
}
SEED_EDGES = {  # (consumer, operand, operand position) -> local derivative, as drawn
    ("x3", "w1", 0): "x1",
    ("x3", "x1", 1): "w1",
    ("x4", "w1", 0): "x2",
    ("x4", "x2", 1): "w1",
    ("w2*x3", "w2", 0): "x3",
    ("w2*x3", "x3", 1): "w2",
    ("w3*x4", "w3", 0): "x4",
    ("w3*x4", "x4", 1): "w3",
    ("x5", "w2*x3", 0): "1",
    ("x5", "w3*x4", 1): "1",
    ("L", "x5", 1): "-1",
}
SEED_PATHS = {  # the two paths of ∂L/∂w1, as edges
    1: {("L", "x5", 1), ("x5", "w2*x3", 0), ("w2*x3", "x3", 1), ("x3", "w1", 0)},
    2: {("L", "x5", 1), ("x5", "w3*x4", 1), ("w3*x4", "x4", 1), ("x4", "w1", 0)},
}


@pytest.fixture(scope="module")
def seed():
    return explain("seed", wrt=["w1"])


@pytest.fixture(scope="module")
def reuse():
    return explain_program(load_source("a = 3\ny = a * a\n", "reuse.py"))


def mlp(sizes=(3, 16, 16, 1)):
    """A tanh network built with leaf() in loops: 3-16-16-1 is about a thousand nodes."""
    acts = [leaf(f"x{i}", 0.1 * (i + 1), requires_grad=False) for i in range(sizes[0])]
    for layer, n_out in enumerate(sizes[1:]):
        outs = []
        for j in range(n_out):
            total = leaf(f"b{layer}_{j}", 0.01 * j)
            for i, a in enumerate(acts):
                total = total + leaf(f"w{layer}_{j}_{i}", 0.1 * ((i + j) % 5 - 2)) * a
            outs.append(tanh(total) if layer < len(sizes) - 2 else total)
        acts = outs
    return (acts[0] - 0.5) ** 2


# -- parsing the outputs back ------------------------------------------------------


def svg_nodes(svg):
    root = ET.fromstring(svg)
    return {g.get("data-node"): g for g in root.iterfind(".//s:g[@data-node]", NS)}


def svg_edges(svg):
    """``(consumer name, operand name, key) -> <g class="edge">``."""
    root = ET.fromstring(svg)
    names = {
        g.get("data-node"): g.get("data-name") for g in root.iterfind(".//s:g[@data-node]", NS)
    }
    edges = {}
    for g in root.iterfind(".//s:g[@class='edge']", NS):
        u, v, k = g.get("data-edge").split("-")
        assert (g.get("data-consumer"), g.get("data-operand"), g.get("data-key")) == (u, v, k)
        edges[names[u], names[v], int(k)] = g
    return edges


def label_of(g):
    return g.find("s:text[@class='derivative']", NS).text


def paths_of(g):
    return {int(p) for p in (g.get("data-path") or "").split()}


DOT_NODE = re.compile(r"^  n(\d+) \[(.*)\];$", re.M)
DOT_EDGE = re.compile(r"^  n(\d+) -> n(\d+) \[(.*)\];$", re.M)
DOT_ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|<.*?>(?=, \w+=|$))')


def dot_attrs(text):
    return {
        k: v[1:-1].replace('\\"', '"') if v.startswith('"') else v
        for k, v in DOT_ATTR.findall(text)
    }


def dot_edges(dot, graph):
    edges = {}
    for u, v, attrs in DOT_EDGE.findall(dot):
        a = dot_attrs(attrs)
        key = int(a["id"].split("-")[-1])
        assert a["id"] == f"edge-{u}-{v}-{key}"
        edges[graph.nodes[int(u)]["name"], graph.nodes[int(v)]["name"], key] = a
    return edges


MMD_EDGE = re.compile(
    r"^  %% edge (\d+)-(\d+)-(\d+)(?: paths ([\d ]+))?\n"
    r'  n(\d+) -->\|"(.*)"\| n(\d+)$',
    re.M,
)


def mermaid_edges(text, graph):
    edges = {}
    for u, v, k, paths, u2, label, v2 in MMD_EDGE.findall(text):
        assert (u, v) == (u2, v2)
        name = graph.nodes[int(u)]["name"], graph.nodes[int(v)]["name"], int(k)
        edges[name] = (label, {int(p) for p in paths.split()})
    return edges


# -- SVG -------------------------------------------------------------------------------


def test_svg_has_every_node_of_the_seed(seed):
    nodes = svg_nodes(draw(seed).svg)
    assert {g.get("data-name") for g in nodes.values()} == set(SEED_NODES)
    for g in nodes.values():
        kind, grad_fn = SEED_NODES[g.get("data-name")]
        assert (g.get("data-kind"), g.get("data-grad-fn")) == (kind, grad_fn)
        assert g.find("s:title", NS).text  # a tooltip
        assert g.find("s:rect[@class='box']", NS) is not None


def test_svg_shows_grad_fn_and_leaf_values(seed):
    nodes = {g.get("data-name"): g for g in svg_nodes(draw(seed).svg).values()}
    texts = {name: [t.text for t in g.iterfind("s:text", NS)] for name, g in nodes.items()}
    assert texts["x3"] == ["x3 = w1·x1", "MulBackward0"]
    assert texts["w3"] == ["w3", "= 3"]
    assert texts["L"] == ["loss", "L = 1 - x5", "RsubBackward1"]


def test_svg_marks_the_loss_only(seed):
    nodes = svg_nodes(draw(seed).svg)
    assert [g.get("data-name") for g in nodes.values() if g.get("data-loss")] == ["L"]
    loss = next(g for g in nodes.values() if g.get("data-loss"))
    assert "loss" in loss.get("class").split()


def test_svg_has_every_edge_and_derivative_of_the_seed(seed):
    edges = svg_edges(draw(seed).svg)
    assert {e: label_of(g) for e, g in edges.items()} == SEED_EDGES
    assert {e: g.get("data-derivative") for e, g in edges.items()} == SEED_EDGES
    for g in edges.values():
        assert g.find("s:path[@class='line']", NS).get("d").startswith("M")
        assert g.find("s:path[@class='arrow']", NS) is not None
        assert g.find("s:title", NS).text.startswith("∂")


def test_svg_draws_both_edges_of_a_reused_operand(reuse):
    edges = svg_edges(draw(reuse).svg)
    assert set(edges) == {("y", "a", 0), ("y", "a", 1)}
    first, second = (edges["y", "a", k].find("s:path[@class='line']", NS).get("d") for k in (0, 1))
    assert first != second  # two separate curves
    assert label_of(edges["y", "a", 0]) == label_of(edges["y", "a", 1]) == "a"


def test_svg_wrt_w1_marks_exactly_the_two_paths(seed):
    edges = svg_edges(draw(seed, wrt="w1").svg)
    for number, path in SEED_PATHS.items():
        assert {e for e, g in edges.items() if number in paths_of(g)} == path
    assert {e for e, g in edges.items() if paths_of(g)} == SEED_PATHS[1] | SEED_PATHS[2]
    assert paths_of(edges["L", "x5", 1]) == {1, 2}
    shared = edges["L", "x5", 1]
    colours = {
        p.get("stroke")
        for p in shared.iterfind("s:path[@class]", NS)
        if p.get("class").startswith("line")
    }
    assert len(colours) == 2  # one colour per path, side by side


def test_svg_wrt_w1_legend_gives_each_product_and_the_sum(seed):
    root = ET.fromstring(draw(seed, wrt="w1").svg)
    legend = root.find(".//s:g[@class='legend']", NS)
    rows = legend.findall("s:g[@class='legend-path']", NS)
    assert [r.get("data-path") for r in rows] == ["1", "2"]
    text = [" ".join(t.text for t in r.iterfind("s:text", NS)) for r in rows]
    assert text[0].endswith("= -w2·x1 = -2") and text[1].endswith("= -w3·x2 = -6")
    total = legend.find("s:text[@class='legend-sum']", NS).text
    assert total == "∂L/∂w1 = -w2·x1 - w3·x2 = -8"
    wrt = [g.get("data-name") for g in root.iterfind(".//s:g[@data-wrt]", NS)]
    assert wrt == ["w1"]


def test_svg_values_adds_numbers_beside_the_symbols(seed):
    svg = draw(seed, values=True).svg
    edges = svg_edges(svg)
    assert label_of(edges["x3", "w1", 0]) == "x1 = 1"
    assert label_of(edges["w3*x4", "x4", 1]) == "w3 = 3"
    assert label_of(edges["L", "x5", 1]) == "-1"  # a number is not repeated
    x5 = next(g for g in svg_nodes(svg).values() if g.get("data-name") == "x5")
    assert "= 8" in [t.text for t in x5.iterfind("s:text", NS)]


def test_svg_tells_leaves_that_do_not_require_grad():
    x = leaf("x", 2.0, requires_grad=False)
    w = leaf("w", 3.0)
    nodes = svg_nodes(draw(explain_tensor(w * x)).svg)
    classes = {g.get("data-name"): g.get("class").split() for g in nodes.values()}
    assert "no-grad" in classes["x"] and "no-grad" not in classes["w"]
    box = nodes["0"].find("s:rect[@class='box']", NS)
    assert box.get("stroke-dasharray")


def test_svg_shortens_long_labels_and_keeps_them_in_the_tooltip():
    a = leaf("a_leaf_with_a_name_much_too_long_for_a_box", 1.0)
    b = leaf("b", 2.0)
    svg = draw(explain_tensor(a * b + b)).svg
    nodes = {g.get("data-name"): g for g in svg_nodes(svg).values()}
    long = nodes["a_leaf_with_a_name_much_too_long_for_a_box"]
    title = long.find("s:text[@class='title']", NS).text
    assert len(title) == 26 and title.endswith("…")
    assert long.find("s:title", NS).text.startswith("a_leaf_with_a_name_much_too_long_for_a_box")
    edge = svg_edges(svg)["t1", "b", 1]  # the product, named t1: its label is too long
    assert label_of(edge).endswith("…") and len(label_of(edge)) == 30
    assert "a_leaf_with_a_name_much_too_long_for_a_box" in edge.find("s:title", NS).text


def test_svg_edges_point_from_consumer_to_operand_leaves_left(seed):
    d = draw(seed)
    boxes = d.layout.boxes
    for u, v, _ in seed.graph.edges(keys=True):
        assert boxes[v].x < boxes[u].x
    loss = seed.graph.graph["loss"]
    assert boxes[loss].x == max(b.x for b in boxes.values())


# -- DOT -----------------------------------------------------------------------------


def test_dot_has_every_node_edge_and_derivative(seed):
    dot = draw(seed).dot
    nodes = {int(n): dot_attrs(a) for n, a in DOT_NODE.findall(dot)}
    assert {seed.graph.nodes[n]["name"] for n in nodes} == set(SEED_NODES)
    for n, attrs in nodes.items():
        assert attrs["id"] == f"node-{n}"
        name = seed.graph.nodes[n]["name"].replace("*", "·")
        assert f"<b>{name}" in attrs["label"]
    edges = dot_edges(dot, seed.graph)
    assert {e: a["label"] for e, a in edges.items()} == SEED_EDGES
    assert 'rankdir="RL"' in dot and "strict" not in dot


def test_dot_marks_loss_and_grad_fn(seed):
    nodes = {int(n): dot_attrs(a) for n, a in DOT_NODE.findall(draw(seed).dot)}
    loss = nodes[seed.graph.graph["loss"]]
    assert loss["peripheries"] == "2" and "RsubBackward1" in loss["label"]


def test_dot_draws_both_edges_of_a_reused_operand(reuse):
    edges = dot_edges(draw(reuse).dot, reuse.graph)
    assert set(edges) == {("y", "a", 0), ("y", "a", 1)}


def test_dot_wrt_w1_marks_exactly_the_two_paths(seed):
    edges = dot_edges(draw(seed, wrt="w1").dot, seed.graph)
    for number, path in SEED_PATHS.items():
        assert {e for e, a in edges.items() if f"path-{number}" in a["class"].split()} == path
    assert edges["L", "x5", 1]["color"] == "#1f77b4:#2ca02c"  # parallel lines, one per path


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")
def test_dot_text_is_accepted_by_graphviz(seed, reuse):
    for e, wrt in ((seed, "w1"), (reuse, "a")):
        result = subprocess.run(
            ["dot", "-Tsvg"],
            input=draw(e, wrt=wrt, values=True).dot,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.count('class="edge') == e.graph.number_of_edges()


# -- Mermaid ---------------------------------------------------------------------------


def test_mermaid_has_every_node_edge_and_derivative(seed):
    text = draw(seed).mermaid
    assert text.splitlines()[0] == "flowchart RL"
    nodes = re.findall(r'^  n(\d+)\("(.*)"\)$', text, re.M)
    assert {seed.graph.nodes[int(n)]["name"] for n, _ in nodes} == set(SEED_NODES)
    edges = mermaid_edges(text, seed.graph)
    assert {e: label for e, (label, _) in edges.items()} == SEED_EDGES
    assert re.search(r"^  class n10 loss$", text, re.M)
    assert re.search(r"^  class n5 operation$", text, re.M)
    assert re.search(r"^  class n0 leaf$", text, re.M)


def test_mermaid_draws_both_edges_of_a_reused_operand(reuse):
    edges = re.findall(r"^  n1 -->\|\"a\"\| n0$", draw(reuse).mermaid, re.M)
    assert len(edges) == 2


def test_mermaid_wrt_w1_marks_exactly_the_two_paths(seed):
    edges = mermaid_edges(draw(seed, wrt="w1").mermaid, seed.graph)
    for number, path in SEED_PATHS.items():
        assert {e for e, (_, paths) in edges.items() if number in paths} == path
    assert "path 1 (blue)" in draw(seed, wrt="w1").mermaid


# -- HTML ------------------------------------------------------------------------------


def test_html_is_self_contained(seed):
    page = draw(seed, wrt="w1").html
    assert page.startswith("<!DOCTYPE html>")
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]
    for needle in ("src=", "href=", "<link", "@import", "url("):
        assert needle not in page
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    assert set(svg_edges(svg)) == set(SEED_EDGES)


# -- the Drawing object, formats and files ---------------------------------------------


def test_draw_accepts_an_explanation_a_graph_or_a_traced_value(seed):
    a = leaf("a", 3.0)
    for source in (seed, seed.graph, a * a):
        d = draw(source)
        assert isinstance(d, Drawing) and d._repr_svg_() == d.svg
    assert draw(seed.graph, wrt="w1").svg == draw(seed, wrt="w1").svg
    assert draw(seed, format="mermaid").text == draw(seed).mermaid
    with pytest.raises(PathgradError, match="cannot draw a str"):
        draw("seed")
    with pytest.raises(PathgradError, match="unknown picture format"):
        draw(seed, format="png")


def test_draw_wrt_must_be_one_leaf(seed):
    with pytest.raises(NameNotFound, match="nope"):
        draw(seed, wrt="nope")
    with pytest.raises(PathgradError, match="one leaf at a time"):
        draw(seed, wrt=["w1", "w2"])
    assert draw(seed, wrt=["w1"]).svg == draw(seed, wrt="w1").svg


@pytest.mark.parametrize(
    "suffix, start",
    [
        (".svg", "<svg"),
        (".html", "<!DOCTYPE html>"),
        (".dot", "// pathgrad"),
        (".mmd", "flowchart RL"),
    ],
)
def test_save_picks_the_format_from_the_suffix(seed, tmp_path, suffix, start):
    path = draw(seed, wrt="w1").save(tmp_path / f"seed{suffix}")
    assert path.read_text(encoding="utf-8").startswith(start)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"seed{suffix}"]  # no temp files


def test_save_refuses_an_unknown_suffix(seed, tmp_path):
    with pytest.raises(PathgradError, match=r"\.svg"):
        draw(seed).save(tmp_path / "seed.jpg")


def test_output_is_deterministic(seed, reuse, tmp_path):
    for e, wrt in ((seed, "w1"), (reuse, "a")):
        one, two = draw(e, wrt=wrt, values=True), draw(e, wrt=wrt, values=True)
        for kind in ("svg", "dot", "mermaid", "html"):
            assert getattr(one, kind) == getattr(two, kind)
    a = draw(seed, wrt="w1").save(tmp_path / "a.svg").read_bytes()
    b = draw(explain("seed", wrt=["w1"]), wrt="w1").save(tmp_path / "b.svg").read_bytes()
    assert a == b


def test_output_is_the_same_in_every_process():
    """Same bytes whatever Python's hash seed (no set or dict-order accidents)."""
    code = (
        "import hashlib, pathgrad; from pathgrad.pictures.drawing import draw, steps\n"
        "h = hashlib.sha256()\n"
        "for name, wrt in (('seed', 'w1'), ('micrograd', 'a'), ('mlp', None)):\n"
        "    e = pathgrad.explain(name)\n"
        "    d = draw(e, wrt=wrt, values=True)\n"
        "    for text in (d.svg, d.dot, d.mermaid, steps(e, wrt=wrt).html):\n"
        "        h.update(text.encode())\n"
        "print(h.hexdigest())\n"
    )
    digests = set()
    for seed_value in ("1", "2"):
        env = dict(
            os.environ,
            PYTHONHASHSEED=seed_value,
            PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_write_atomic_replaces_through_a_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "out.svg"
    target.write_text("old")
    calls = []
    real = os.replace

    def spy(src, dst):
        calls.append((Path(src).parent, Path(src).name, Path(dst)))
        assert target.read_text() == "old"  # nothing written in place
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    write_atomic(target, "new")
    assert target.read_text() == "new"
    ((folder, name, destination),) = calls
    assert folder == tmp_path and name.startswith(".out.svg.") and destination == target
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.svg"]


def test_write_atomic_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    target = tmp_path / "out.svg"
    target.write_text("old")

    def broken(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(PathgradError, match="No space left"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.svg"]


def test_write_atomic_into_a_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(PathgradError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "out.svg", "x")


@pytest.mark.parametrize("suffix", [".png", ".pdf"])
def test_png_and_pdf_without_graphviz_say_how_to_install_it(seed, tmp_path, monkeypatch, suffix):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.raises(PathgradError) as caught:
        draw(seed).save(tmp_path / f"seed{suffix}")
    message = str(caught.value)
    assert "\n" not in message
    assert "apt-get install graphviz" in message and "brew install graphviz" in message
    assert ".svg" in message and not list(tmp_path.iterdir())


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_png_and_pdf_with_graphviz(seed, tmp_path, suffix, magic):
    path = draw(seed, wrt="w1").save(tmp_path / f"seed{suffix}")
    assert path.read_bytes().startswith(magic)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"seed{suffix}"]
    again = draw(seed, wrt="w1").save(tmp_path / f"again{suffix}")
    assert again.read_bytes() == path.read_bytes()  # no creation date in the PDF


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot is not installed")
def test_svg_through_graphviz(seed, tmp_path):
    path = draw(seed, wrt="w1").save(tmp_path / "seed.svg", engine="graphviz")
    root = ET.fromstring(path.read_bytes())
    ids = {g.get("id") for g in root.iter(f"{{{NS['s']}}}g")}
    assert {f"node-{n}" for n in seed.graph} <= ids
    assert {f"edge-{u}-{v}-{k}" for u, v, k in seed.graph.edges(keys=True)} <= ids


# -- large graphs ----------------------------------------------------------------------


def test_a_3_16_16_1_mlp_renders():
    graph = build_graph(mlp())
    assert graph.number_of_nodes() > 750
    d = draw(graph)
    nodes, edges = svg_nodes(d.svg), ET.fromstring(d.svg).findall(".//s:g[@class='edge']", NS)
    assert len(nodes) == graph.number_of_nodes()
    assert len(edges) == graph.number_of_edges()
    assert d.layout.width < 40_000 and d.layout.height < 10_000
    assert len(DOT_EDGE.findall(d.dot)) == graph.number_of_edges()


def test_bundled_examples_draw_with_their_paths():
    for name in ("neuron", "micrograd", "branch", "symbolic", "diamonds"):
        e = explain(name)
        wrt = next(iter(e.gradients))
        svg = draw(e, wrt=wrt).svg
        edges = ET.fromstring(svg).findall(".//s:g[@class='edge']", NS)
        assert len(edges) == e.graph.number_of_edges()
        drawn = {number for g in edges for number in paths_of(g)}
        assert drawn == set(range(1, e.gradients[wrt].paths_listed + 1))


def _many_paths(count):
    """A loss with ``count`` paths to x: x feeds ``count`` terms that are added."""
    x = leaf("x", 0.5)
    total = x * 1.0
    for k in range(count - 1):
        total = total + x * float(k + 2)
    return explain_tensor(total, wrt=["x"], max_paths=count)


@pytest.mark.parametrize("count", [9, 17, 45])
def test_every_drawn_path_has_a_style_of_its_own(count):
    drawing = draw(_many_paths(count), wrt="x")
    root = ET.fromstring(drawing.svg)
    strokes = {}
    for element in root.iter("{http://www.w3.org/2000/svg}path"):
        classes = element.get("class", "").split()
        if "line" in classes:
            number = next(c for c in classes if c.startswith("path-"))
            strokes[number] = (element.get("stroke"), element.get("stroke-dasharray"))
    assert len(strokes) == count
    assert len(set(strokes.values())) == count  # path 1 and path 9 no longer look alike
    legend = [line for line in drawing.mermaid.splitlines() if "path 9 (" in line]
    assert legend and "blue, dashed" in legend[0]


def test_dot_dashes_a_path_drawn_in_a_colour_that_came_round_again():
    text = draw(_many_paths(9), wrt="x").dot
    ninth = [line for line in text.splitlines() if "path-9" in line and "->" in line]
    first = [line for line in text.splitlines() if "path-1" in line and "->" in line]
    assert ninth and all('style="dashed"' in line for line in ninth)
    assert first and not any("style=" in line for line in first)


# -- direction: left to right, top to bottom, or the one that fits a 16:9 screen --------


def test_seed_draws_left_to_right_by_itself(seed):
    """auto keeps the seed as it always was: left to right fits 16:9 best."""
    auto, across = draw(seed, wrt="w1"), draw(seed, wrt="w1", direction="LR")
    assert auto.direction == "LR" and auto.svg == across.svg and auto.dot == across.dot
    assert (round(auto.layout.width), round(auto.layout.height)) == (913, 281)


def test_top_to_bottom_puts_the_leaves_above_the_loss(seed):
    d = draw(seed, wrt="w1", direction="TB")
    boxes, graph = d.layout.boxes, seed.graph
    loss = graph.graph["loss"]
    assert all(boxes[v].bottom < boxes[u].top for u, v in graph.edges())
    assert boxes[loss].y == max(b.y for b in boxes.values())
    root = ET.fromstring(d.svg)
    assert root.get("data-direction") == "TB"
    assert {g.get("data-name") for g in svg_nodes(d.svg).values()} == set(SEED_NODES)
    assert {k: label_of(g) for k, g in svg_edges(d.svg).items()} == SEED_EDGES
    arrows = root.findall(".//s:g[@class='edge']/s:path[@class='arrow']", NS)
    for arrow in arrows:  # pointing up: the base below the tip
        x, y, x1, y1, x2, y2 = map(float, re.findall(r"-?[\d.]+", arrow.get("d")))
        assert y1 == y2 > y and x1 < x < x2
    anchors = {t.get("text-anchor") for t in root.iterfind(".//s:text[@class='derivative']", NS)}
    assert anchors == {"start", "end"}  # beside the edges: first operand left, second right


def test_direction_reaches_dot_and_mermaid(seed):
    across, down = draw(seed, direction="LR"), draw(seed, direction="TB")
    assert 'rankdir="RL"' in across.dot and 'rankdir="BT"' in down.dot
    assert across.mermaid.startswith("flowchart RL") and down.mermaid.startswith("flowchart BT")
    assert DOT_EDGE.findall(across.dot) == DOT_EDGE.findall(down.dot)


@pytest.mark.parametrize("name, expected", [("seed", "LR"), ("neuron", "LR"), ("mlp", "TB")])
def test_auto_picks_the_picture_drawn_largest_on_a_16_9_screen(name, expected):
    from pathgrad.pictures.svg import picture_size, screen_scale

    e = explain(name)
    chosen = draw(e)
    sizes = {
        d: picture_size(draw(e, direction=d).picture, draw(e, direction=d).layout)
        for d in ("LR", "TB")
    }
    scales = {d: screen_scale(*size) for d, size in sizes.items()}
    assert chosen.direction == expected == max(scales, key=scales.get)


def test_every_picture_scales_to_its_container(seed):
    root = ET.fromstring(draw(seed).svg)
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert "max-width: 100%" in root.get("style") and "height: auto" in root.get("style")


@pytest.mark.parametrize("direction", ["RL", "up", ""])
def test_unknown_direction_is_a_clear_error(seed, direction):
    with pytest.raises(PathgradError, match="unknown direction.*LR, TB, auto"):
        draw(seed, direction=direction)


def test_explanation_draw_takes_a_direction(seed):
    assert seed.draw(wrt="w1", direction="tb").direction == "TB"
    assert seed.steps(direction="TB").layout.direction == "TB"


def test_a_narrow_picture_keeps_a_narrow_legend():
    """Top to bottom, micrograd's 24 paths put each product under its route and wrap the sum,
    instead of a legend three times as wide as the graph."""
    e = explain("micrograd")
    down, across = draw(e, wrt="a", direction="TB"), draw(e, wrt="a", direction="LR")
    assert down.size[0] < 1.1 * max(down.layout.width, 640) < across.size[0] / 3
    root = ET.fromstring(down.svg)
    total = root.find(".//s:text[@class='legend-sum']", NS)
    lines = [t.text for t in total.findall("s:tspan", NS)]
    assert len(lines) > 1 and " ".join(lines) == down.picture.legend.total_short
    summaries = [g.findall("s:text", NS) for g in root.iterfind(".//s:g[@class='legend-path']", NS)]
    assert all(float(texts[2].get("y")) > float(texts[1].get("y")) for texts in summaries)
