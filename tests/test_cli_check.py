"""`pathgrad check` and `pathgrad explain --safe` from the command line."""

import csv
import io
import json
import re
import shlex
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


# -- grading a class (issue 15) --------------------------------------------------------------
SEED_TEXT = Path(SEED).read_text()
#: A class of six: right, partial, wrong sign, wrong, broken, and one that prints.
CLASS = {
    "ada.py": (SEED_TEXT, "Ada Lovelace", "-w2*x1 - w3*x2", "right", 1.0),
    "bob.py": (SEED_TEXT, "Bob", "-w2*x1", "partial", 0.5),
    "cy.py": (SEED_TEXT, "Cy", "w2*x1 + w3*x2", "wrong", 0.0),
    "dee.py": (SEED_TEXT, "Dee", "(w2 + 1)*(x1 - 2)", "wrong", 0.0),
    "eve.py": ("x1 = 1\nw1 = 1\nL = 1 - w1 *\n", "Eve", "-w2*x1 - w3*x2", "error", 0.0),
    "fay.py": (SEED_TEXT + 'print(f"L = {L}")\n', "Fay", "-x2*w3 - x1*w2", "right", 1.0),
}
SUMMARY = "2 right, 1 partial, 2 wrong, 1 error; score 2.5 of 6"


@pytest.fixture
def klass(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    lines = ["file,student,leaf,answer"]
    for name, (text, student, answer, _, _) in CLASS.items():
        (folder / name).write_text(text)
        lines.append(f'{name},{student},w1,"{answer}"')
    (folder / "answers.csv").write_text("\n".join(lines) + "\n")
    return folder


def test_a_class_folder_is_graded_row_by_row_with_scores_and_a_summary(klass, capsys):
    table = str(klass / "answers.csv")
    status, out, err = run(capsys, "check", str(klass), "--answers", table, "--format", "json")
    report = json.loads(out)
    assert status == 3 and err == ""
    assert report["columns"][:5] == ["file", "student", "leaf", "answer", "verdict"]
    assert [(r["file"], r["student"], r["verdict"], r["score"]) for r in report["rows"]] == [
        (name, student, verdict, score) for name, (_, student, _, verdict, score) in CLASS.items()
    ]
    assert report["rows"][4]["message"] == "eve.py:3: syntax error: invalid syntax"
    assert [(t["student"], t["score"], t["answers"]) for t in report["totals"]] == [
        (student, score, 1) for _, student, _, _, score in CLASS.values()
    ]
    assert report["summary"]["text"] == SUMMARY
    assert (report["summary"]["right"], report["summary"]["errors"]) == (2, 1)
    # the same class as text: see test_feedback_pages_one_per_student (one run serves both)
    status, out, _ = run(capsys, "check", str(klass), "--answers", table, "--format", "csv")
    records = list(csv.DictReader(io.StringIO(out)))
    assert [r["verdict"] for r in records] == [v for *_, v, _ in CLASS.values()] + ["total"] * 6 + [
        "summary"
    ]
    assert records[-1]["message"] == SUMMARY and records[-1]["score"] == "2.5"


def test_the_seed_checked_alone_has_a_row_a_score_and_a_summary(capsys):
    status, out, _ = run(capsys, "check", SEED, "--wrt", "w1", "--answer", "-w2*x1")
    assert status == 3  # one row: its own summary
    assert out == (
        f"{SEED}: w1: partial (0.5): your answer is path 1 only; it misses path 2: -w3*x2\n"
    )
    status, out, _ = run(
        capsys, "check", SEED, "--wrt", "w1", "--answer", "-w2*x1", "--format", "json"
    )
    assert (
        json.loads(out)["summary"]["text"]
        == "0 right, 1 partial, 0 wrong, 0 errors; score 0.5 of 1"
    )


def test_a_broken_file_alone_gets_the_row_it_gets_in_a_folder(klass, capsys):
    broken = str(klass / "eve.py")
    args = ["--wrt", "w1", "--answer", "-w2*x1", "--format", "json"]
    status, out, err = run(capsys, "check", broken, *args)
    alone = json.loads(out)["rows"]
    assert status == 3 and err == ""
    assert [(r["verdict"], r["score"]) for r in alone] == [("error", 0.0)]
    assert alone[0]["message"] == f"{broken}:3: syntax error: invalid syntax"
    status, out, _ = run(capsys, "check", str(klass), *args)
    in_folder = {r["file"]: r for r in json.loads(out)["rows"]}["eve.py"]
    assert status == 3 and in_folder["verdict"] == "error"
    assert in_folder["message"] == "eve.py:3: syntax error: invalid syntax"


@pytest.mark.parametrize("wrt", ["w9"])  # x3 is a computed value: it has a gradient
def test_a_wrt_that_names_nothing_is_a_problem_with_the_command(klass, tmp_path, capsys, wrt):
    _, _, expected = run(capsys, "explain", SEED, "--wrt", wrt)
    for target in (SEED, str(klass / "ada.py")):
        status, out, err = run(capsys, "check", target, "--wrt", wrt, "--answer", "1")
        assert (status, out) == (2, "") and len(err.splitlines()) == 1
    assert err.split(": ", 2)[2] == expected.split(": ", 2)[2]  # explain's own words
    table = tmp_path / "answers.csv"
    table.write_text("answer\n1\n")
    assert run(capsys, "check", SEED, "--wrt", wrt, "--answers", str(table))[0] == 2
    (klass / "eve.py").unlink()  # every file explained, none with it: the command's problem
    status, out, err = run(capsys, "check", str(klass), "--wrt", wrt, "--answer", "1")
    assert (status, out) == (2, "") and "nor has any other file of the folder" in err


def test_a_table_row_naming_a_leaf_the_file_lacks_is_that_rows_problem(tmp_path, capsys):
    table = tmp_path / "answers.csv"
    table.write_text("leaf,answer\nw1,-w2*x1 - w3*x2\nw9,1\n")
    status, out, _ = run(capsys, "check", SEED, "--answers", str(table))
    assert status == 3 and ": w9: invalid (0): " in out


def test_messages_never_repeat_the_verdict(klass, capsys):
    status, out, _ = run(capsys, "check", str(klass), "--answers", str(klass / "answers.csv"))
    for verdict in ("right", "partial", "wrong", "error"):
        assert f"{verdict}: {verdict}" not in out and f"): {verdict}" not in out
    assert "ada.py: student Ada Lovelace: w1: right (1): your answer is dL/dw1" in out


def test_the_tables_own_columns_are_carried_in_order(tmp_path, capsys):
    table = tmp_path / "class.csv"
    table.write_text(
        'student,leaf,answer,email\nAda,w1,"-w2*x1 - w3*x2",ada@example.org\nBob,w1,"-w2*x1",\n'
    )
    status, out, _ = run(capsys, "check", SEED, "--answers", str(table), "--format", "json")
    report = json.loads(out)
    assert report["columns"][:4] == ["file", "student", "email", "leaf"]
    assert [list(r)[:4] for r in report["rows"]] == [["file", "student", "email", "leaf"]] * 2
    assert [(r["student"], r["email"]) for r in report["rows"]] == [
        ("Ada", "ada@example.org"),
        ("Bob", ""),
    ]
    _, out, _ = run(capsys, "check", SEED, "--answers", str(table), "--format", "csv")
    assert out.splitlines()[0].startswith("file,student,email,leaf,answer,verdict,score,")
    _, out, _ = run(capsys, "check", SEED, "--answers", str(table))
    assert out.splitlines()[0].startswith(f"{SEED}: student Ada: email ada@example.org: w1: ")


def test_every_csv_list_cell_parses_back_to_its_items(tmp_path, capsys):
    """Terms hold spaces: a list is one cell, its items joined by ' ; ' (and the JSON lists)."""
    table = tmp_path / "answers.csv"
    table.write_text('leaf,answer\nw1,"-(w2*x1 - w3*x2) + (w3 + 1)*(x1 - 2) - 2*w3"\n')
    _, out, _ = run(capsys, "check", SEED, "--answers", str(table), "--format", "json")
    row = json.loads(out)["rows"][0]
    assert row["extra"] == ["-(w2*x1 - w3*x2)", "(w3 + 1)*(x1 - 2)", "-2*w3"]
    _, out, _ = run(capsys, "check", SEED, "--answers", str(table), "--format", "csv")
    record = next(csv.DictReader(io.StringIO(out)))
    unquoted = {k: v.removeprefix("'") for k, v in record.items()}
    assert unquoted["extra"].split(" ; ") == [term.removeprefix("'") for term in row["extra"]]
    assert unquoted["matched"].split(" ; ") == [str(n) for n in row["matched"]]
    assert unquoted["paths"].split(" ; ") == [p["product"] for p in row["paths"]]


def test_student_names_cannot_start_a_formula(tmp_path, capsys):
    evil = "=cmd|' /C calc'!A0"
    table = tmp_path / "answers.csv"
    table.write_text(f'student,leaf,answer,note\n"{evil}",w1,-w2*x1,"@SUM(A1)"\n')
    _, out, _ = run(capsys, "check", SEED, "--answers", str(table), "--format", "csv")
    records = list(csv.reader(io.StringIO(out)))
    assert records[1][1:3] == [f"'{evil}", "'@SUM(A1)"]
    assert records[2][1] == f"'{evil}"  # the total's row too
    for record in records:
        assert not any(cell.lstrip(" ").startswith(("=", "+", "@")) for cell in record)
    _, out, _ = run(capsys, "check", SEED, "--answers", str(table), "--format", "json")
    assert json.loads(out)["rows"][0]["student"] == evil  # JSON: unchanged


@pytest.mark.parametrize(
    "header, message",
    [
        ("student,leaf,answer,score", "has a column 'score', which the report writes itself"),
        ("student,Student,leaf,answer", "has two columns 'student'"),
    ],
)
def test_a_table_whose_columns_would_be_ambiguous_is_refused(tmp_path, capsys, header, message):
    table = tmp_path / "answers.csv"
    table.write_text(f"{header}\nAda,1,w1,2\n")
    status, out, err = run(capsys, "check", SEED, "--answers", str(table))
    assert (status, out) == (2, "") and message in err


# -- feedback pages ----------------------------------------------------------------------------
def test_feedback_pages_one_per_student(klass, tmp_path, capsys):
    pages = tmp_path / "feedback"
    table = str(klass / "answers.csv")
    status, out, err = run(
        capsys, "check", str(klass), "--answers", table, "--feedback", str(pages)
    )
    lines = out.splitlines()
    assert status == 3 and len(lines) == 7 and lines[-1] == SUMMARY
    assert lines[1] == (
        "bob.py: student Bob: w1: partial (0.5): your answer is path 1 only; "
        "it misses path 2: -w3*x2"
    )
    assert err == f"wrote 6 feedback pages to {pages}\n"
    assert sorted(p.name for p in pages.iterdir()) == [
        "Ada_Lovelace.md",
        "Bob.md",
        "Cy.md",
        "Dee.md",
        "Eve.md",
        "Fay.md",
    ]
    bob = (pages / "Bob.md").read_text()
    assert bob.startswith(
        "# Feedback: Bob\n\n- file: `bob.py`\n- score: **0.5** of 1 (1 partial)\n"
    )
    assert "Your answer: `-w2*x1`" in bob
    assert (
        "**partial**, score **0.5** of 1: your answer is path 1 only; it misses path 2: -w3\\*x2"
        in bob
    )
    assert "| 1 | `L → x5 → w2*x3 → x3 → w1` | `-w2*x1` | -2 | has it |" in bob
    assert "| 2 | `L → x5 → w3*x4 → x4 → w1` | `-w3*x2` | -6 | misses it |" in bob
    assert "eve.py:3: syntax error: invalid syntax" in (pages / "Eve.md").read_text()
    # again: nothing is replaced without --force; with it, every page is
    status, _, err = run(capsys, "check", str(klass), "--answers", table, "--feedback", str(pages))
    assert status == 2 and "already exists; pass --force" in err
    args = ["check", str(klass), "--answers", table, "--feedback", str(pages), "--force"]
    assert run(capsys, *args)[0] == 3


def test_feedback_page_names_are_safe_and_pages_escaped(tmp_path, capsys):
    pages = tmp_path / "out"
    table = tmp_path / "answers.csv"
    table.write_text(
        "student,leaf,answer\n"
        '"../../evil",w1,-w2*x1\n'
        '"<script>alert(1)</script> *x* [a](http://x)",w1,-w2*x1\n'
        '"/etc/passwd",w1,-w2*x1\n'
        "CON,w1,-w2*x1\n"
    )
    status, _, _ = run(capsys, "check", SEED, "--answers", str(table), "--feedback", str(pages))
    assert status == 3
    assert sorted(p.name for p in pages.iterdir()) == [
        "_CON.md",
        "etc_passwd.md",
        "evil.md",
        "script_alert_1_script_x_a_http_x.md",
    ]
    assert list(tmp_path.glob("*.md")) == [] and not (tmp_path.parent / "evil.md").exists()
    page = (pages / "script_alert_1_script_x_a_http_x.md").read_text()
    assert page.startswith(
        "# Feedback: &lt;script&gt;alert(1)&lt;/script&gt; \\*x\\* \\[a\\](http://x)\n"
    )


def test_feedback_needs_a_folder_and_is_refused_before_any_work(tmp_path, capsys):
    target = tmp_path / "report.md"
    target.write_text("mine")
    args = ["check", SEED, "--wrt", "w1", "--answer", "1", "--feedback", str(target)]
    status, out, err = run(capsys, *args)
    assert (status, out) == (2, "") and "is not a folder" in err and target.read_text() == "mine"


# -- the README's grading examples are real output --------------------------------------------
README = ROOT / "README.md"


def _readme_sessions():
    """The shell sessions of the README's `pathgrad check` sections: ``[(command, lines)]``."""
    text = README.read_text()
    section = text[
        text.index("`pathgrad check` checks a hand-derived") : text.index("### The threat")
    ]
    for block in re.findall(r"```\n(\$ .*?)```", section, re.S):
        session = []
        for line in block.rstrip("\n").split("\n"):
            if line.startswith("$ "):
                session.append((line[2:], []))
            else:
                session[-1][1].append(line)
        yield session


def _matches(lines, expected):
    """Whether ``lines`` are ``expected``, where a line ``...`` stands for any lines."""
    if not expected:
        return not lines
    if expected[0] == "...":
        return any(_matches(lines[i:], expected[1:]) for i in range(len(lines) + 1))
    return bool(lines) and lines[0] == expected[0] and _matches(lines[1:], expected[1:])


@pytest.mark.parametrize("session", list(_readme_sessions()))
def test_readme_grading_examples_are_real(session, tmp_path, monkeypatch, capsys):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "seed.py").write_text(SEED_TEXT)
    (tmp_path / "class").mkdir()
    lines = ["file,student,leaf,answer"]
    for name, (text, student, answer, _, _) in CLASS.items():
        (tmp_path / "class" / name).write_text(text)
        lines.append(f'{name},{student},w1,"{answer}"')
    (tmp_path / "class" / "answers.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    for other in _readme_sessions():  # the tables the README shows, as it shows them
        for command, expected in other:
            if command.startswith("cat ") and not command.startswith("cat feedback/"):
                Path(command[4:]).write_text("\n".join(expected) + "\n")
    for command, expected in session:
        words = shlex.split(command)
        if words[0] == "cat":
            shown = Path(words[1]).read_text().splitlines()
        else:
            assert words[0] == "pathgrad"
            _, out, err = run(capsys, *words[1:])
            shown = (out + err).splitlines()
        assert _matches(shown, expected), "\n".join([command, *shown])
