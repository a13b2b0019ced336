"""Checking hand-derived gradients: right, partially right, differently written, wrong.

``check_answer`` is compared with what a teacher would say about each answer
to the seed example (two paths, -w2*x1 and -w3*x2), the reuse example (two
equal paths a, a and a third, 1) and the sigmoid neuron. Folders are checked
in worker processes: a bad, escaping, slow or memory-hungry file gives its
own row and never stops the batch.
"""

import contextlib
import csv
import io
import json
import os
import time
from pathlib import Path

import pytest

from pathgrad.errors import LoadError, PathgradError
from pathgrad.explanation import explain
from pathgrad.grade import (
    MAX_PATHS_CHECKED,
    ROW_FIELDS,
    AnswerError,
    check_answer,
    check_answers_table,
    check_file,
    exit_status,
    grade_folder,
    parse_answer,
    read_answers,
    rows_to_csv,
    rows_to_json,
    rows_to_text,
    summary,
    totals,
)
from pathgrad.grade.file_checks import check_rows
from pathgrad.grade.rows import report_row, with_columns

CORPUS = Path(__file__).resolve().parent / "corpus"
#: Seconds that catch a hang, not slowness: these machines are shared, and a loaded one is
#: several times slower. What a bound does is asserted by what it says (the refusal).
HANG = 60
SEED = explain("seed", wrt=["w1", "w2"], max_paths=MAX_PATHS_CHECKED)
REUSE = explain("reuse", wrt=["a"], max_paths=MAX_PATHS_CHECKED)
NEURON = explain("neuron", wrt=["w", "b"], max_paths=MAX_PATHS_CHECKED)
SEED_TEXT = (
    Path(__file__).resolve().parent.parent / "pathgrad" / "examples" / "seed.py"
).read_text()


def check(explanation, leaf, answer):
    start = time.monotonic()
    result = check_answer(explanation, leaf, answer)
    assert time.monotonic() - start < HANG
    return result


# -- right, including written differently ----------------------------------------------
@pytest.mark.parametrize(
    "answer",
    [
        "-w2*x1 - w3*x2",
        "-(w2*x1 + w3*x2)",
        "-x1*w2 - x2*w3",
        "(-1)*w2*x1 + (-1)*1*w3*x2",
        "-w2·x1 − w3·x2",
        "-w2*x1 - w3*x2 + 0*w1",
        "-(w2*x1*2 + 2*w3*x2)/2",
        "-w2*x1 - w3*x2^1",
    ],
)
def test_right(answer):
    result = check(SEED, "w1", answer)
    assert result.verdict == "right"
    assert result.symbolic == "equal"
    assert (result.matched, result.missing, result.extra) == ([1, 2], [], [])
    assert (result.value, result.expected_value) == (-8.0, -8.0)
    assert result.message.endswith("dL/dw1 = -w2*x1 - w3*x2, the sum of 2 paths")


def test_right_written_differently_is_said():
    """The verdict is the row's, never repeated in its message ("right: right")."""
    for answer in ("-w2*x1 - w3*x2", "-x2*w3 - x1*w2", "-(x1*w2 + x2*w3)"):
        assert check(SEED, "w1", answer).message.startswith("your answer is dL/dw1 = ")
    assert check(SEED, "w1", "-x1*(w2 + w3*x2/x1)").message.startswith(
        "your answer, written differently, is dL/dw1 = "
    )


def test_right_with_another_form_of_sigmoid():
    textbook = "2*x*(sigmoid(w*x + b) - y)*sigmoid(w*x + b)*(1 - sigmoid(w*x + b))"
    exponential = "2*x*(1/(1 + exp(-(w*x + b))) - y)*exp(-(w*x + b))/(1 + exp(-(w*x + b)))^2"
    assert check(NEURON, "w", textbook).symbolic == "equal"
    result = check(NEURON, "w", exponential)
    assert result.verdict == "right"
    assert result.symbolic == "equal at 6 random points"


# -- partially right: each missing path, each extra term ---------------------------------
@pytest.mark.parametrize(
    "answer, matched, missing, message",
    [
        ("-w2*x1", [1], [2], "your answer is path 1 only; it misses path 2: -w3*x2"),
        ("-w3*x2", [2], [1], "your answer is path 2 only; it misses path 1: -w2*x1"),
        ("-x1*w2", [1], [2], "your answer is path 1 only; it misses path 2: -w3*x2"),
        (
            "-w2*x1 - w3*x2 + x1",
            [1, 2],
            [],
            "your answer has all 2 paths; its term x1 is on no path",
        ),
        (
            "-w2*x1 - w3*x2 + x1 + w1*w3",
            [1, 2],
            [],
            "your answer has all 2 paths; its terms x1, w1*w3 are on no path",
        ),
        (
            "-w2*x1 + w3*x2",
            [1],
            [2],
            "your answer is path 1; your term w3*x2 is path 2 (-w3*x2) with the wrong sign",
        ),
        (
            "-w2*x1 - 2*w3*x2",
            [1],
            [2],
            "your answer is path 1; your term -2*w3*x2 is path 2 (-w3*x2) times 2",
        ),
        (
            "-w2*x1 - w3",
            [1],
            [2],
            "your answer is path 1; your term -w3 is path 2 (-w3*x2) without the factor x2",
        ),
        (
            "-w2*x1 - w1*w3*x2",
            [1],
            [2],
            "your answer is path 1; your term -w1*w3*x2 is path 2 (-w3*x2) with an extra factor w1; "
            "it has the right value (-8) at the file's values only",
        ),
        (
            "-w2*x1 + x1",
            [1],
            [2],
            "your answer is path 1; it misses path 2: -w3*x2; its term x1 is on no path",
        ),
    ],
)
def test_partially_right(answer, matched, missing, message):
    result = check(SEED, "w1", answer)
    assert result.verdict == "partial"
    assert (result.matched, result.missing) == (matched, missing)
    assert result.symbolic == "differ"
    assert result.message == message


def test_partially_right_with_equal_paths():
    """y = a * a: two paths with the same product a; the answer counts them."""
    assert [str(p.product) for p in REUSE.gradients["a"].paths] == ["a", "a", "1"]
    cases = {
        "2*a + 1": ("right", [1, 2, 3], []),
        "a + 1": ("partial", [1, 3], [2]),
        "2*a": ("partial", [1, 2], [3]),
        "a": ("partial", [1], [2, 3]),
        "1": ("partial", [3], [1, 2]),
        "a + a + 1": ("right", [1, 2, 3], []),
    }
    for answer, (verdict, matched, missing) in cases.items():
        result = check(REUSE, "a", answer)
        assert (result.verdict, result.matched, result.missing) == (verdict, matched, missing)
    assert check(REUSE, "a", "a + 1").message == (
        "your answer is paths 1 and 3 only; it misses path 2: a"
    )


@pytest.mark.parametrize(
    "answer, verdict, message",
    [
        (
            "-(w2+1)*(x1-2) + (w3+1)*(x2-2)",
            "partial",
            "your answer is path 1; it misses path 2: -w3*x2; your term -(w2+1)*(x1-2) has "
            "path 1 in it; the rest of it (2*w2 - x1 + 2) is on no path; its term "
            "(w3+1)*(x2-2) is on no path",
        ),
        (
            "-(w2 + 1)*(x1 - 2)*(w3 + 1)",
            "partial",
            "your answer is path 1; it misses path 2: -w3*x2; your term "
            "-(w2 + 1)*(x1 - 2)*(w3 + 1) has path 1 in it; the rest of it (7 terms) is on no path",
        ),
        (
            "-(w2*x1 - w3*x2)",
            "partial",
            "your answer is path 1; your term -(w2*x1 - w3*x2) has path 1 in it; the rest of "
            "it (w3*x2) is path 2 (-w3*x2) with the wrong sign",
        ),
        (
            "(w2 + 1)*(x1 - 2)*(w3+1)",
            "wrong",
            "your answer matches no path; it misses path 1: -w2*x1 and path 2: -w3*x2; "
            "its term (w2 + 1)*(x1 - 2)*(w3+1) is on no path",
        ),
        (
            "−w2·x1 + w3^1·x2",
            "partial",
            "your answer is path 1; your term w3^1·x2 is path 2 (-w3*x2) with the wrong sign",
        ),
    ],
)
def test_messages_name_the_terms_as_written(answer, verdict, message):
    """A term is named as the student wrote it, never as its expansion (issue 15)."""
    result = check(SEED, "w1", answer)
    assert (result.verdict, result.message) == (verdict, message)


def test_right_value_but_wrong_expression_is_said():
    result = check(SEED, "w1", "-w2 - w3*x2")  # x1 = 1 hides the missing factor
    assert result.verdict == "partial"
    assert result.value == result.expected_value == -8.0
    assert result.message.endswith("; it has the right value (-8) at the file's values only")


def test_missing_local_derivative_of_sigmoid():
    result = check(NEURON, "w", "2*x*(sigmoid(w*x + b) - y)")
    assert result.verdict == "wrong"
    assert result.message == (
        "your answer matches no path; your term 2*x*(sigmoid(w*x + b) - y) is path 1 "
        "(x*(1 - sigmoid(b + w*x))*(-2*y + 2*sigmoid(b + w*x))*sigmoid(b + w*x)) without the "
        "factor (1 - sigmoid(b + w*x))*sigmoid(b + w*x)"
    )


# -- wrong -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "answer, message",
    [
        (
            "w1",
            "your answer matches no path; it misses path 1: -w2*x1 and path 2: -w3*x2; "
            "its term w1 is on no path",
        ),
        ("0", "your answer matches no path; it misses path 1: -w2*x1 and path 2: -w3*x2"),
        (
            "w2*x1 + w3*x2",
            "your answer matches no path; your term w2*x1 is path 1 (-w2*x1) with "
            "the wrong sign; your term w3*x2 is path 2 (-w3*x2) with the wrong sign",
        ),
        (
            "exp(w1)",
            "your answer matches no path; it misses path 1: -w2*x1 and path 2: -w3*x2; "
            "its term exp(w1) is on no path",
        ),
    ],
)
def test_wrong(answer, message):
    result = check(SEED, "w1", answer)
    assert (result.verdict, result.matched, result.missing) == ("wrong", [], [1, 2])
    assert result.message == message


def test_names_outside_the_graph_are_said():
    result = check(SEED, "w1", "-w2*x1 - w4*x2")
    assert result.verdict == "partial"
    assert result.message.endswith("; w4 is not in the graph of L")


def test_other_leaf_and_unknown_leaf():
    assert check(SEED, "w2", "-w1*x1").verdict == "right"
    with pytest.raises(PathgradError, match="no gradient for w9"):
        check_answer(SEED, "w9", "1")


# -- answers that cannot be read, safely ------------------------------------------------
@pytest.mark.parametrize(
    "answer, message",
    [
        ("", "the answer is empty"),
        ("w1 +", "cannot read the answer: invalid syntax; write products with *, e.g. 2*w1"),
        (
            "2w1",
            "cannot read the answer: invalid decimal literal; write products with *, e.g. 2*w1",
        ),
        (
            "__import__('os').system('touch x')",
            "the answer may not contain '__'; write a formula such as -w2*x1 - w3*x2",
        ),
        ("x1.real", "the answer may not contain '.' except in numbers"),
        ("w1.__class__", "the answer may not contain '__'; write a formula such as -w2*x1 - w3*x2"),
        (
            "lambda: 1",
            "the answer may not contain 'lambda'; write a formula such as -w2*x1 - w3*x2",
        ),
        (
            "open('f', 'w')",
            'the answer may not contain "\'"; write a formula such as -w2*x1 - w3*x2',
        ),
        (
            "getattr(w1, w2)",
            "unknown function getattr() in the answer (functions: Abs, Heaviside, "
            "Max, Min, abs, cos, cosh, exp, ln, log, max, min, relu, sech, sigmoid, "
            "sign, sin, sinh, sqrt, tanh)",
        ),
        ("[w1]", "the answer may not contain '['; write a formula such as -w2*x1 - w3*x2"),
        (
            "w1 if w2 else x1",
            "the answer may only use numbers, names, + - * / ** and functions, not IfExp",
        ),
        ("2**10**10", "the exponent 10000000000 is larger than 1000"),
        ("w1**100", "the exponent 100 is larger than 64"),
        ("(10**300)**(10**300)", "the exponent is larger than 1000"),
        ("999**999 * 999**999 * 999**999 * 999**999", "a number in the answer is too large"),
        ("exp", "exp is a function; write exp(...)"),
        ("1e999*w1", "the answer contains inf"),
        ("x" * 3000, "the answer is longer than 2000 characters"),
        ("exp(" * 100 + "w1" + ")" * 100, "the answer is nested more than 60 levels deep"),
    ],
)
def test_unreadable_answers(answer, message):
    start = time.monotonic()
    with pytest.raises(AnswerError) as info:
        parse_answer(answer, SEED.graph)
    assert time.monotonic() - start < HANG
    assert info.value.message == message


def test_answers_are_never_evaluated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for answer in [
        "__import__('os').system('touch pwned')",
        "open('pwned', 'w')",
        "exec('open(1)')",
        "eval('1')",
        "().__class__",
    ]:
        with pytest.raises(AnswerError):
            parse_answer(answer, SEED.graph)
    assert list(tmp_path.iterdir()) == []


def test_slow_to_evaluate_answers_stay_fast():
    for answer in ["exp(exp(exp(exp(100))))", "(w1 + w2)**64", "sin(1e300*w1)"]:
        start = time.monotonic()
        result = check(SEED, "w1", answer)
        assert time.monotonic() - start < HANG
        assert result.verdict == "wrong"


# -- tables of answers ---------------------------------------------------------------------
def test_read_answers_columns():
    assert read_answers(io.StringIO("leaf,answer\nw1,-w2*x1\n")) == [
        {"file": None, "leaf": "w1", "answer": "-w2*x1", "columns": {}}
    ]
    assert read_answers(io.StringIO('File, Leaf, Answer\na.py,w1,"-w2*x1 - w3*x2"\n')) == [
        {"file": "a.py", "leaf": "w1", "answer": "-w2*x1 - w3*x2", "columns": {}}
    ]
    assert read_answers(io.StringIO("answer\n-w2*x1\n"), wrt="w1") == [
        {"file": None, "leaf": "w1", "answer": "-w2*x1", "columns": {}}
    ]


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "w1,-w2*x1\n",
            "the answers table needs a header with an answer column (leaf,answer or "
            "file,leaf,answer)",
        ),
        (
            "leaf,formula\nw1,1\n",
            "the answers table needs a header with an answer column "
            "(leaf,answer or file,leaf,answer)",
        ),
        (
            "leaf,answer\nw1,1\n,2\n",
            "each row needs a leaf and an answer (columns leaf,answer or file,leaf,answer)",
        ),
        (
            "",
            "the answers table needs a header with an answer column (leaf,answer or "
            "file,leaf,answer)",
        ),
    ],
)
def test_read_answers_refuses_bad_tables(text, message):
    with pytest.raises(LoadError) as info:
        read_answers(io.StringIO(text))
    assert info.value.message == message


def test_check_answers_table(tmp_path):
    (tmp_path / "seed.py").write_text(SEED_TEXT)
    (tmp_path / "broken.py").write_text("x = 1\nL = x +* 2\n")
    table = tmp_path / "answers.csv"
    table.write_text(
        "file,leaf,answer\n"
        "seed.py,w1,-w2*x1 - w3*x2\n"
        "seed.py,w1,-w2*x1\n"
        "broken.py,x,1\n"
        "seed.py,w2,w1 +\n"
        "seed.py,w9,1\n"
    )
    rows = check_answers_table(table)
    assert [(Path(r["file"]).name, r["leaf"], r["verdict"]) for r in rows] == [
        ("seed.py", "w1", "right"),
        ("seed.py", "w1", "partial"),
        ("broken.py", "x", "error"),
        ("seed.py", "w2", "invalid"),
        ("seed.py", "w9", "invalid"),
    ]
    assert rows[2]["message"].endswith("broken.py:2: syntax error: invalid syntax")
    assert [list(r) for r in rows] == [list(ROW_FIELDS)] * len(rows)


def test_check_answers_table_for_one_file(tmp_path):
    table = tmp_path / "answers.csv"
    table.write_text("leaf,answer\nw1,-w2*x1 - w3*x2\nw2,-w1*x1\nw3,-w1\n")
    rows = check_answers_table(table, file="seed")
    assert [r["verdict"] for r in rows] == ["right", "right", "wrong"]
    assert rows[2]["message"] == (
        "your answer matches no path; your term -w1 is path 1 (-w1*x2) without the factor x2"
    )
    assert exit_status(rows) == 3
    assert exit_status(rows[:2]) == 0


def test_check_file_raises_for_the_file_itself(tmp_path):
    path = tmp_path / "escape.py"
    path.write_text("x = 1.0\nf = open('pwned', 'w')\nL = x * 2\n")
    with pytest.raises(LoadError, match="not allowed in --safe mode: call to open()"):
        check_file(path, [("x", "2")])
    assert not (tmp_path / "pwned").exists()


# -- folders: a process per file, isolated failures, stable order ----------------------------
#: Quick to run, within every count bound, but minutes to explain: 5,000 diamonds.
#: Slow to interpret, however fast pathgrad explains: two million plain-number statements
#: (about a minute here), within every bound but the wall time.
SLOW = (
    "x = 0.5\nfor i in range(100000):\n    k = i\n"
    + "    k = (k * 3 + i) % 1000\n" * 20
    + ("L = x * k\n")
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("students")
    (folder / "alice.py").write_text(SEED_TEXT)
    (folder / "bob.py").write_text("x1 = 1\nx2 = 2\nw1 = 1\nw2 = 2\nw3 = 3\nL = 1 - w2 * w1 * x1\n")
    (folder / "carol.py").write_text((CORPUS / "open_write.py").read_text())
    (folder / "dave.py").write_text("x = 1\nL = x +* 2\n")
    (folder / "eve.py").write_text((CORPUS / "import_os.py").read_text())
    (folder / "notes.txt").write_text("not a student file")
    return folder


def test_grade_folder_isolates_failures_in_a_stable_order(folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    rows = grade_folder(folder, "w1", "-w2*x1 - w3*x2", jobs=2, timeout=30)
    assert time.monotonic() - start < HANG
    assert [(r["file"], r["verdict"]) for r in rows] == [
        ("alice.py", "right"),
        ("bob.py", "partial"),
        ("carol.py", "error"),
        ("dave.py", "error"),
        ("eve.py", "error"),
    ]
    assert rows[1]["message"] == (
        "your answer has the path; its term -w3*x2 is on no path; w3, x2 are not in the graph of L"
    )
    assert rows[2]["message"] == "carol.py:2: not allowed in --safe mode: call to open()"
    assert rows[3]["message"] == "dave.py:2: syntax error: invalid syntax"
    assert rows[4]["message"] == "eve.py:1: not allowed in --safe mode: import"
    for place in (tmp_path, folder):
        assert not (place / "pathgrad_pwned.txt").exists()
    assert rows == grade_folder(folder, "w1", "-w2*x1 - w3*x2", jobs=1, timeout=30)


def test_grade_folder_answers_per_file_and_from_a_table(folder, tmp_path):
    rows = grade_folder(folder, "w1", {"alice": "-w2*x1", "bob.py": "-w2*x1"}, jobs=2)
    assert [(r["file"], r["verdict"]) for r in rows if r["file"] in ("alice.py", "bob.py")] == [
        ("alice.py", "partial"),
        ("bob.py", "right"),
    ]
    assert [r["verdict"] for r in rows if r["file"] == "dave.py"] == ["error"]
    table = tmp_path / "answers.csv"
    table.write_text(
        "file,leaf,answer\nalice.py,w1,-w2*x1 - w3*x2\nalice.py,w2,-w1*x1\n"
        "bob.py,w2,-w1*x1\nmissing.py,w1,1\n"
    )
    rows = grade_folder(folder, answers=table, jobs=2)
    assert [(r["file"], r["leaf"], r["verdict"]) for r in rows] == [
        ("alice.py", "w1", "right"),
        ("alice.py", "w2", "right"),
        ("bob.py", "w2", "right"),
        ("carol.py", None, "error"),
        ("dave.py", None, "error"),
        ("eve.py", None, "error"),
        ("missing.py", "w1", "error"),
    ]
    assert rows[-1]["message"] == "missing.py: no such file in the folder"


def test_grade_folder_without_answers_reports_gradients(folder):
    rows = grade_folder(folder, ["w1"], jobs=2)
    assert rows[0]["verdict"] == "explained"
    assert rows[0]["message"] == "dL/dw1 = -w2*x1 - w3*x2 = -8, the sum of 2 paths"
    assert exit_status(rows[:2]) == 0


def test_grade_folder_stops_a_slow_file_alone(tmp_path):
    (tmp_path / "a_slow.py").write_text(SLOW)
    (tmp_path / "b_fine.py").write_text(SEED_TEXT)
    start = time.monotonic()
    rows = grade_folder(tmp_path, "w1", "-w2*x1 - w3*x2", jobs=2, timeout=8)
    assert time.monotonic() - start < HANG
    assert [(r["file"], r["verdict"], r["message"]) for r in rows] == [
        (
            "a_slow.py",
            "timeout",
            "stopped in --safe mode: still running after 8 s (limit: wall_time_seconds = 8)",
        ),
        ("b_fine.py", "right", "your answer is dL/dw1 = -w2*x1 - w3*x2, the sum of 2 paths"),
    ]


def test_grade_folder_memory_bound(folder):
    """30 MiB is too little even to import sympy: every file is stopped, each in its own row."""
    rows = grade_folder(folder, "w1", "1", jobs=2, memory_mib=30)
    assert [(r["verdict"], r["message"]) for r in rows] == [
        ("memory", "stopped in --safe mode: out of memory (limit: memory_mib = 30)")
    ] * 5


def test_grade_folder_refuses_a_missing_folder(tmp_path):
    with pytest.raises(LoadError, match="no such folder"):
        grade_folder(tmp_path / "nowhere")


def test_safe_mode_stops_the_slow_file_in_process(tmp_path):
    from pathgrad.safe.limits import Limits, using

    (tmp_path / "slow.py").write_text(SLOW)
    start = time.monotonic()
    with (
        using(Limits(wall_time_seconds=0.5)),
        pytest.raises(LoadError, match="still running after 0.5 s"),
    ):
        check_file(tmp_path / "slow.py", [("x", "2")])
    assert time.monotonic() - start < HANG


# -- reports ---------------------------------------------------------------------------------
def test_reports():
    rows = check_file("seed", [("w1", "-w2*x1"), ("w2", "-w1*x1")])
    table = list(csv.reader(io.StringIO(rows_to_csv(rows))))
    assert table[0] == list(ROW_FIELDS)
    # formulas starting with - get a ' in CSV (a spreadsheet would run them); numbers do not
    assert table[1] == [
        "seed",
        "w1",
        "'-w2*x1",
        "partial",
        "0.5",
        "'-w2*x1 - w3*x2",
        "-2.0",
        "-8.0",
        "1",
        "2",
        "",
        "'-w2*x1 ; -w3*x2",
        "your answer is path 1 only; it misses path 2: -w3*x2",
    ]
    assert table[3][:5] == ["seed", "", "", "total", "1.5"]
    assert table[3][-1] == "seed: total 1.5 of 2 (1 right, 1 partial)"
    assert table[4][3:5] == ["summary", "1.5"]
    assert table[4][-1] == "1 right, 1 partial, 0 wrong, 0 errors; score 1.5 of 2"
    data = json.loads(rows_to_json(rows))
    assert data["schema"] == 2 and data["columns"] == list(ROW_FIELDS)
    assert data["rows"][0]["answer"] == "-w2*x1"  # JSON carries the text unchanged
    assert data["rows"][0]["matched"] == [1] and data["rows"][0]["missing"] == [2]
    assert data["rows"][0]["paths"][1] == {
        "nodes": "L → x5 → w3*x4 → x4 → w1",
        "product": "-w3*x2",
        "value": -6.0,
    }
    assert data["totals"] == [
        {
            "file": "seed",
            "right": 1,
            "partial": 1,
            "wrong": 0,
            "invalid": 0,
            "errors": 0,
            "explained": 0,
            "score": 1.5,
            "answers": 2,
        }
    ]
    assert data["summary"]["text"] == "1 right, 1 partial, 0 wrong, 0 errors; score 1.5 of 2"
    assert rows_to_text(rows).splitlines() == [
        "seed: w1: partial (0.5): your answer is path 1 only; it misses path 2: -w3*x2",
        "seed: w2: right (1): your answer is dL/dw2 = -w1*x1, the sum of 1 path",
        "seed: total 1.5 of 2 (1 right, 1 partial)",
        "1 right, 1 partial, 0 wrong, 0 errors; score 1.5 of 2",
    ]


# -- scores, totals, the summary, the table's own columns (issue 15) ------------------------
@pytest.mark.parametrize(
    "explanation, leaf, answer, score",
    [
        (SEED, "w1", "-w2*x1 - w3*x2", 1.0),
        (SEED, "w1", "-w2*x1", 0.5),  # 1 of 2 paths
        (SEED, "w1", "-w2*x1 + w3*x2", 0.5),  # a wrong sign is a path missing
        (SEED, "w1", "-w2*x1 - w3*x2 + x1", 0.67),  # 2 paths of 2, and a term too many
        (SEED, "w1", "-(w2 + 1)*(x1 - 2)", 0.33),  # path 1 inside a term, and the rest of it
        (SEED, "w1", "w2*x1 + w3*x2", 0.0),
        (SEED, "w1", "w1 +", 0.0),  # unreadable
        (REUSE, "a", "a + 1", 0.67),  # 2 of 3 paths
    ],
)
def test_score_is_the_share_of_paths(explanation, leaf, answer, score):
    (row,) = check_rows(explanation, [(leaf, answer)])
    assert row["score"] == score


def test_totals_per_student_else_per_file_and_the_summary():
    rows = check_rows(SEED, [("w1", "-w2*x1"), ("w2", "-w1*x1"), ("w1", "x1")], file="a.py")
    assert [t["file"] for t in totals(rows)] == ["a.py"]
    assert (totals(rows)[0]["score"], totals(rows)[0]["answers"]) == (1.5, 3)
    owned = [with_columns(r, {"Student": s}) for r, s in zip(rows, ("Ada", "Ada", "Bob"))]
    assert [(t["student"], t["score"], t["partial"]) for t in totals(owned)] == [
        ("Ada", 1.5, 1),
        ("Bob", 0.0, 0),
    ]
    done = summary(owned + [report_row("b.py", "w1", "1", "timeout", "stopped")])
    assert done["text"] == "1 right, 1 partial, 1 wrong, 1 error; score 1.5 of 4"
    assert rows_to_text(owned).splitlines()[-3:] == [
        "student Ada: total 1.5 of 2 (1 right, 1 partial)",
        "student Bob: total 0 of 1 (1 wrong)",
        "1 right, 1 partial, 1 wrong, 0 errors; score 1.5 of 3",
    ]
    explained = check_rows(SEED, [("w1", None)])
    assert explained[0]["score"] is None and totals(explained) == []
    assert summary(explained)["text"] == "0 right, 0 partial, 0 wrong, 0 errors, 1 explained"


def test_read_answers_keeps_the_tables_own_columns_in_order():
    text = "Student,,Leaf,Answer,email\nAda,x,w1,-w2*x1,ada@example.org\n\n"
    assert read_answers(io.StringIO(text)) == [
        {
            "file": None,
            "leaf": "w1",
            "answer": "-w2*x1",
            "columns": {"Student": "Ada", "column 2": "x", "email": "ada@example.org"},
        }
    ]


# -- the command line, once the lead has wired `pathgrad check` ------------------------------
def cli_has_check():
    from pathgrad import cli

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            cli.parser().parse_args(["check", "seed", "--wrt", "w1", "--answer", "1"])
    except SystemExit:
        return False
    return True


needs_check = pytest.mark.skipif(not cli_has_check(), reason="`pathgrad check` is not wired yet")


@needs_check
@pytest.mark.parametrize(
    "answer, status, line",
    [
        ("-w2*x1 - w3*x2", 0, "right (1): your answer is dL/dw1 = -w2*x1 - w3*x2, the sum of"),
        ("-w2*x1", 3, "partial (0.5): your answer is path 1 only; it misses path 2: -w3*x2"),
        (
            "w1 +",
            3,
            "invalid (0): cannot read the answer: invalid syntax; write products with *, e.g. 2*w1",
        ),
    ],
)
def test_cli_check_one_answer(answer, status, line, capsys):
    from pathgrad.cli import main

    assert main(["check", "seed", "--wrt", "w1", "--answer", answer]) == status
    out, err = capsys.readouterr()
    assert line in out
    assert "Traceback" not in out + err


@needs_check
def test_cli_check_folder_csv(folder, capsys):
    from pathgrad.cli import main

    status = main(
        [
            "check",
            str(folder),
            "--wrt",
            "w1",
            "--answer",
            "-w2*x1 - w3*x2",
            "--format",
            "csv",
            "--jobs",
            "2",
        ]
    )
    out, _ = capsys.readouterr()
    assert status == 3
    assert out == rows_to_csv(grade_folder(folder, "w1", "-w2*x1 - w3*x2", jobs=2))


@pytest.mark.parametrize(
    ("jobs", "memory_mib", "total", "expected"),
    [
        (8, 1024, 4096, 4),
        (2, 1024, 4096, 2),
        (8, 5000, 4096, 1),
        (None, 256, 512, 2),
        (3, 1, 4096, 3),
    ],
)
def test_workers_at_once_keep_their_memory_bounds_within_the_total(
    jobs, memory_mib, total, expected
):
    from pathgrad.grade import workers_at_once

    assert workers_at_once(jobs, memory_mib, total) == min(expected, jobs or os.cpu_count())
    assert workers_at_once(jobs, memory_mib, total) * memory_mib <= max(total, memory_mib)


# -- an answers table's file column (review of issue 11) ------------------------------------
def test_a_table_row_about_another_file_is_not_graded_against_this_one(tmp_path):
    (tmp_path / "a.py").write_text(SEED_TEXT)
    table = tmp_path / "answers.csv"
    table.write_text(
        "file,leaf,answer\na.py,w1,-w2*x1 - w3*x2\n../victim.py,w1,1\n/etc/passwd,w1,2\n"
    )
    rows = check_answers_table(table, file=tmp_path / "a.py")
    assert [r["verdict"] for r in rows] == ["right", "error", "error"]
    assert "this row is about ../victim.py" in rows[1]["message"]
    assert "this row is about /etc/passwd" in rows[2]["message"]


def test_a_table_without_a_file_column_answers_for_every_file_of_a_folder(tmp_path):
    for name in ("a.py", "b.py"):
        (tmp_path / name).write_text(SEED_TEXT)
    table = tmp_path.parent / f"{tmp_path.name}-answers.csv"
    table.write_text("leaf,answer\nw1,-w2*x1 - w3*x2\nw2,-w1*x1\n")
    rows = grade_folder(tmp_path, None, table, jobs=2)
    assert [(r["file"], r["leaf"], r["verdict"]) for r in rows] == [
        ("a.py", "w1", "right"),
        ("a.py", "w2", "right"),
        ("b.py", "w1", "right"),
        ("b.py", "w2", "right"),
    ]
