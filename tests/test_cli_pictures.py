"""`pathgrad graph` and `pathgrad steps` from the command line."""

import xml.etree.ElementTree as ET

import pytest

from pathgrad.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "suffix, start",
    [(".svg", "<svg"), (".html", "<!DOCTYPE html>"), (".dot", "// "), (".mmd", "flowchart")],
)
def test_graph_writes_the_format_its_suffix_names(tmp_path, capsys, suffix, start):
    out_file = tmp_path / f"seed{suffix}"
    code, out, err = run(capsys, "graph", "seed", "-o", str(out_file))
    assert (code, err) == (0, "") and str(out_file) in out
    assert out_file.read_text(encoding="utf-8").lstrip().startswith(start)


def test_graph_wrt_marks_the_two_paths(tmp_path, capsys):
    out_file = tmp_path / "seed.svg"
    assert run(capsys, "graph", "seed", "--wrt", "w1", "-o", str(out_file))[0] == 0
    root = ET.parse(out_file).getroot()
    marked = {
        g.get("data-edge"): g.get("data-path")
        for g in root.iter()
        if g.get("class") == "edge" and g.get("data-path")
    }
    assert sorted(set(" ".join(marked.values()).split())) == ["1", "2"]


def test_steps_write_an_offline_player(tmp_path, capsys):
    out_file = tmp_path / "steps.html"
    assert run(capsys, "steps", "seed", "--wrt", "w1", "-o", str(out_file))[0] == 0
    page = out_file.read_text(encoding="utf-8")
    assert (
        "<svg" in page
        and 'type="range"' in page
        and "http://" not in page.replace("http://www.w3.org", "")
    )


def test_steps_to_a_folder_write_one_svg_per_frame(tmp_path, capsys):
    folder = tmp_path / "frames"
    code, out, _ = run(capsys, "steps", "seed", "-o", f"{folder}/")
    frames = sorted(folder.glob("*.svg"))
    assert code == 0 and len(frames) > 5 and f"wrote {len(frames)} frames" in out


@pytest.mark.parametrize(
    "argv, phrase",
    [
        (["graph", "seed", "-o", "x.xyz"], "cannot tell the picture format"),
        (["graph", "seed", "--wrt", "q", "-o", "x.svg"], "no leaf or value named q"),
    ],
)
def test_picture_errors_are_one_line(tmp_path, capsys, monkeypatch, argv, phrase):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv)
    assert code == 2 and phrase in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("asked, drawn", [("TB", "TB"), ("lr", "LR"), ("auto", "LR")])
def test_graph_direction(tmp_path, capsys, asked, drawn):
    out_file = tmp_path / "seed.svg"
    code, _, err = run(capsys, "graph", "seed", "--direction", asked, "-o", str(out_file))
    assert (code, err) == (0, "")
    assert ET.parse(out_file).getroot().get("data-direction") == drawn


def test_graph_direction_reaches_dot(tmp_path, capsys):
    out_file = tmp_path / "seed.dot"
    assert run(capsys, "graph", "seed", "--direction", "TB", "-o", str(out_file))[0] == 0
    assert 'rankdir="BT"' in out_file.read_text(encoding="utf-8")


@pytest.mark.parametrize("safe", [[], ["--safe"]])
def test_steps_present_and_direction(tmp_path, capsys, safe):
    out_file = tmp_path / "steps.html"
    argv = ["steps", "seed", "--present", "--direction", "TB", "-o", str(out_file), *safe]
    assert run(capsys, *argv)[0] == 0
    page = out_file.read_text(encoding="utf-8")
    assert 'data-present="true"' in page and 'data-direction="TB"' in page


def test_unknown_direction_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["graph", "seed", "--direction", "RL", "-o", "x.svg"])
    assert "invalid choice: 'RL'" in capsys.readouterr().err
