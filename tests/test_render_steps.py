"""The step-by-step picture: forward growth, the backward sweep, the offline player."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from pathgrad.errors import NameNotFound, PathgradError
from pathgrad.explanation import explain
from pathgrad.pictures.drawing import Steps, save_steps, steps
from pathgrad.pictures.frames import frames, replay
from pathgrad.sums.paths import adjoint_values

NS = {"s": "http://www.w3.org/2000/svg"}


@pytest.fixture(scope="module")
def seed():
    return explain("seed")


def test_forward_frames_add_one_traced_operation_at_a_time(seed):
    story = steps(seed)
    forward = [f for f in story if f.phase == "forward"]
    assert forward[0].kind == "leaves"
    assert [f.node for f in forward[1:]] == [5, 6, 7, 8, 9, 10]  # creation order
    assert [story.caption(i)[0] for i in (1, 6)] == [
        "Forward · line 7: x3 = w1 * x1",
        "Forward · line 10: L = 1 - x5",
    ]
    visible, _, _ = replay(story, 2)
    assert visible == {0, 1, 2, 3, 4, 5, 6}


@pytest.mark.parametrize("name", ["seed", "neuron", "reuse", "micrograd", "mlp", "branch"])
def test_backward_sweep_ends_with_reverse_mode_values(name):
    graph = explain(name).graph
    story = frames(graph)
    _, adjoints, complete = replay(story, len(story) - 1)
    values, _ = adjoint_values(graph)
    assert adjoints == values
    assert complete == set(graph)


def test_backward_sweep_stops_where_two_paths_meet(seed):
    story = steps(seed, wrt="w1")
    meets = [i for i, f in enumerate(story) if f.meets]
    assert len(meets) == 1
    heading, detail = story.caption(meets[0])
    assert heading == "Backward · line 7: x3 = w1 * x1"
    assert detail.endswith("Paths meet at w1: ∂L/∂w1 = (-6) + (-2) = -8")
    # with wrt, only the nodes on the paths to w1 take part
    swept = {f.node for f in story if f.kind == "send"}
    assert swept == {10, 9, 8, 7, 6, 5}
    assert story.caption(len(story) - 1) == ("Backward · done", "∂L/∂w1 = -8")


def test_reused_operand_meets_itself():
    story = steps(explain("reuse"), wrt="a")
    (meet,) = [f for f in story if f.meets]
    node, arrived = meet.meets[0]
    assert [edge for edge, _ in arrived] == [(2, 0, 1), (1, 0, 0), (1, 0, 1)]
    assert meet.adjoints[node] == 7.0  # 1 + 3 + 3


def test_each_step_is_a_standalone_svg_with_its_caption(seed, tmp_path):
    story = steps(seed, wrt="w1")
    written = story.save(tmp_path / "frames/")
    assert [p.name for p in written] == [f"step-{i:03d}.svg" for i in range(1, len(story) + 1)]
    first = ET.parse(written[1]).getroot()
    heading = first.find(".//s:g[@class='caption']/s:text[@class='heading']", NS).text
    assert heading == "Forward · line 7: x3 = w1 * x1"
    shown = {g.get("data-name") for g in first.iterfind(".//s:g[@data-node]", NS)}
    assert shown == {"x1", "x2", "w1", "w2", "w3", "x3"}
    last = ET.parse(written[-2]).getroot()
    notes = {t.get("data-node"): t.text for t in last.iterfind(".//s:text[@class='adjoint']", NS)}
    assert notes["2"] == "∂L/∂w1 = -8" and notes["10"] == "∂L/∂L = 1"


def test_player_is_one_offline_page(seed, tmp_path):
    path = save_steps(seed, tmp_path / "seed.html", wrt="w1")
    page = path.read_text(encoding="utf-8")
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"]
    for needle in ("src=", "href=", "<link", "@import", "url("):
        assert needle not in page
    for control in ('class="prev"', 'class="next"', 'class="play"', 'type="range"'):
        assert control in page
    data = re.search(
        r'<script type="application/json" class="frames">(.*?)</script>', page, re.S
    ).group(1)
    frames_json = json.loads(data)
    assert len(frames_json) == len(steps(seed, wrt="w1"))
    assert [f["m"] for f in frames_json].count(1) == 1
    svg = page[page.index("<svg") : page.index("</svg>") + 6]
    root = ET.fromstring(svg)
    assert len(root.findall(".//s:text[@class='adjoint']", NS)) == 7  # the nodes swept
    assert steps(seed, wrt="w1").html == page  # deterministic


def test_steps_in_a_notebook_and_as_a_list(seed):
    story = steps(seed)
    assert isinstance(story, Steps) and isinstance(story, list)
    fragment = story._repr_html_()
    assert fragment.startswith("<style>") and "<!DOCTYPE" not in fragment


def test_steps_refuse_what_they_cannot_write(seed, tmp_path):
    with pytest.raises(PathgradError, match="DIR/"):
        steps(seed).save(tmp_path / "seed.svg")
    with pytest.raises(NameNotFound, match="no leaf or value named q"):
        steps(seed, wrt="q")


def test_steps_towards_a_computed_value_sweep_only_its_paths(seed):
    story = steps(seed, wrt="x3")  # ∂L/∂x3: the sweep stops at x3, backprop's δ there
    swept = {n for f in story if f.phase == "backward" for n in f.adjoints}
    names = {seed.graph.nodes[n]["name"] for n in swept}
    assert "x3" in names and not names & {"x1", "w1", "x4"}


def test_player_marks_what_is_active_and_knows_presenter_mode(seed):
    plain, present = steps(seed, wrt="w1"), steps(seed, wrt="w1", present=True)
    assert 'data-present="false"' in plain.html and 'data-present="true"' in present.html
    assert "pg-active" in plain.html and "requestFullscreen" in plain.html
    fragment = present._repr_html_()
    assert '"present": true' in fragment and '"page": false' in fragment  # a notebook's keys
    assert '"page": true' in present.html  # the page takes the keyboard on load


def test_player_direction(seed):
    assert 'data-direction="TB"' in steps(seed, direction="TB").html
    assert steps(seed).layout.direction == "LR"
