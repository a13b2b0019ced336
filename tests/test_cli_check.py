"""`pathgrad check` and `pathgrad explain --safe` from the command line."""

import json
from pathlib import Path

import pytest

from pathgrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = str(ROOT / "examples" / "seed.py")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "answer, code, phrase",
    [
        ("-w2*x1 - w3*x2", 0, "right"),
        ("-x2*w3 - w2*x1", 0, "right"),  # equal, written differently
        ("-w2*x1", 3, "your answer is path 1 only; it misses path 2: -w3*x2"),
        ("-w2*x1 - w3*x2 + x1", 3, "x1"),  # an extra term
        ("w2*x1 + w3*x2", 3, "wrong sign"),
    ],
)
def test_check_one_answer(capsys, answer, code, phrase):
    status, out, err = run(capsys, "check", SEED, "--wrt", "w1", "--answer", answer)
    assert status == code and phrase in out and err == ""


def test_check_needs_wrt_with_answer(capsys):
    status, _, err = run(capsys, "check", SEED, "--answer", "-w2*x1")
    assert status == 2 and "needs --wrt" in err


def test_check_a_folder_isolates_a_bad_file(tmp_path, capsys):
    (tmp_path / "alice.py").write_text(Path(SEED).read_text())
    (tmp_path / "bob.py").write_text("import os\nos.system('touch pwned')\n")
    status, out, _ = run(
        capsys,
        "check",
        str(tmp_path),
        "--wrt",
        "w1",
        "--answer",
        "-w2*x1 - w3*x2",
        "--format",
        "json",
        "--jobs",
        "2",
    )
    rows = json.loads(out)["rows"]
    assert [(r["file"], r["verdict"]) for r in rows] == [("alice.py", "right"), ("bob.py", "error")]
    assert "not allowed in --safe mode: import" in rows[1]["message"]
    assert status == 3 and not (tmp_path / "pwned").exists()


def test_explain_safe_gives_the_same_explanation(capsys):
    normal = run(capsys, "explain", SEED, "--format", "json")
    safe = run(capsys, "explain", SEED, "--format", "json", "--safe")
    assert normal == safe and normal[0] == 0


def test_explain_safe_refuses_before_anything_runs(tmp_path, capsys):
    path = tmp_path / "evil.py"
    path.write_text(f"x = 1\nopen({str(tmp_path / 'made.txt')!r}, 'w')\nL = x * 2\n")
    status, out, err = run(capsys, "explain", str(path), "--safe")
    assert status == 2 and out == ""
    assert err.strip() == f"pathgrad: {path}:2: not allowed in --safe mode: call to open()"
    assert not (tmp_path / "made.txt").exists()


def test_explain_safe_bounds_the_whole_run(tmp_path, capsys, monkeypatch):
    from pathgrad.safe import limits

    monkeypatch.setattr(limits, "LIMITS", limits.Limits(wall_time_seconds=1.0))
    path = tmp_path / "deep.py"
    path.write_text("x = 0.5\nfor i in range(3000):\n    x = sin(x) + cos(x)\n")
    with limits.using(limits.Limits(wall_time_seconds=1.0)):
        status, _, err = run(capsys, "explain", str(path), "--safe")
    assert status == 2 and "stopped in --safe mode" in err
