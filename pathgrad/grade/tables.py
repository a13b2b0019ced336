"""Tables of answers: a CSV (``leaf,answer`` or ``file,leaf,answer``, and any columns of
the teacher's own, such as ``student``) read and checked.

Someone else's table is read only if it is a regular file, bounded in size and
rows. The files it names are relative to its folder: an absolute path, ``..``,
a symbolic link or anything but a regular file is refused with a row of its own,
before anything is opened. Each file named is explained once.
"""

import csv
import io
import os
import re
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from pathgrad.errors import LoadError, PathgradError
from pathgrad.grade.file_checks import grade_file
from pathgrad.grade.rows import ROW_FIELDS, failed_rows, report_row, with_columns
from pathgrad.trace.reading import entry_problem, read_regular

#: Rows a table of answers may have.
MAX_TABLE_ROWS = 100_000
#: ... and bytes: 16 MiB.
MAX_TABLE_BYTES = 16 << 20
#: The columns of an answers table that say what to check; any other is carried to the report.
ANSWER_COLUMNS = ("file", "leaf", "answer")
#: Columns the report writes itself: an answers table may not have them.
REPORT_COLUMNS = frozenset(ROW_FIELDS)


def _table_name(table):
    return getattr(table, "name", "<answers>") if hasattr(table, "read") else str(table)


def read_answers(table, wrt=None):
    """Read a CSV of answers: columns ``leaf,answer`` or ``file,leaf,answer``, and any
    others (``student``, ``email`` ...), which are carried to the report.

    ``leaf`` may be left out when ``wrt`` names the one leaf every answer is
    for. Returns dicts with keys ``file`` (or ``None``), ``leaf``, ``answer``
    and ``columns``: the table's other columns, in its order, by their names as
    written (a column without a name is ``column N``).

    >>> import io
    >>> read_answers(io.StringIO("student,leaf,answer\\nAda,w1,-w2*x1\\n"))
    [{'file': None, 'leaf': 'w1', 'answer': '-w2*x1', 'columns': {'student': 'Ada'}}]
    """
    name = _table_name(table)
    if hasattr(table, "read"):
        return _answer_rows(table, name, wrt)
    # someone else's table: a regular file only (no FIFO, device or link), bounded in size
    data = read_regular(Path(table), name, safe=True, limit=MAX_TABLE_BYTES)
    if len(data) > MAX_TABLE_BYTES:
        raise LoadError(f"the answers table is larger than {MAX_TABLE_BYTES >> 20} MiB", file=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LoadError("the answers table is not UTF-8 text", file=name) from None
    return _answer_rows(io.StringIO(text, newline=""), name, wrt)


def _header(names, name):
    """The table's column names, stripped; its own columns keep their spelling. Refused:
    no answer column, a name twice, or a name the report writes itself."""
    names = [n.strip() for n in names]
    known = [n.lower() if n.lower() in ANSWER_COLUMNS else n for n in names]
    if "answer" not in known:
        raise LoadError(
            "the answers table needs a header with an answer column "
            "(leaf,answer or file,leaf,answer)",
            file=name,
            line=1,
        )
    known = [n or f"column {i}" for i, n in enumerate(known, start=1)]
    for column in known:
        if column.lower() in REPORT_COLUMNS and column not in ANSWER_COLUMNS:
            raise LoadError(
                f"the answers table has a column {column!r}, which the report writes "
                "itself; rename that column",
                file=name,
                line=1,
            )
        if [c.lower() for c in known].count(column.lower()) > 1:
            raise LoadError(f"the answers table has two columns {column!r}", file=name, line=1)
    return known


def _answer_rows(handle, name, wrt):
    try:
        reader = csv.reader(handle)
        columns = _header(next(reader, []), name)
        rows = []
        for number, cells in enumerate(reader, start=2):
            if number > MAX_TABLE_ROWS + 1:
                raise LoadError(f"more than {MAX_TABLE_ROWS} answers", file=name)
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            record = dict(zip(columns, (c.strip() for c in cells + [""] * len(columns))))
            leaf = record.get("leaf") or wrt
            if not leaf:
                raise LoadError(
                    "each row needs a leaf and an answer (columns leaf,answer or file,leaf,answer)",
                    file=name,
                    line=number,
                )
            own = {k: v for k, v in record.items() if k not in ANSWER_COLUMNS}
            rows.append(
                {
                    "file": record.get("file") or None,
                    "leaf": leaf,
                    "answer": record["answer"],
                    "columns": own,
                }
            )
    except (csv.Error, UnicodeDecodeError) as err:
        raise LoadError(f"cannot read the answers table: {err}", file=name) from None
    return rows


def check_answers_table(
    table, file=None, wrt=None, loss=None, safe=True, limits=None, constants=()
):
    """Check a CSV of answers (see :func:`read_answers`): report rows in the table's order,
    each with the table's own columns of its row.

    With ``file``, every answer is about that file; otherwise each row names
    its file (relative to the table's folder). Each file is explained once
    (in safe mode, in its own bounded worker process, with ``limits``); a
    file that cannot be explained gives "error" rows, one stopped at a bound
    "timeout" or "memory" rows. With ``file``, a ``wrt`` or ``loss`` that
    names nothing in it raises :class:`~pathgrad.errors.NameNotFound` (a problem
    with the command), as does a ``file`` that does not exist.
    """
    entries = read_answers(table, wrt)
    by_file, rows = _files_to_check(table, entries, file)
    for path, mine in by_file.items():
        checks = [(entry["leaf"], entry["answer"]) for _, entry in mine]
        try:
            given = wrt if file is not None else None
            found = grade_file(path, checks, loss, limits, given, safe, constants)
        except PathgradError as err:
            if file is not None:
                raise
            found = failed_rows(path, checks, "error", str(err))
        for (number, _), row in zip(mine, found):  # one row per answer with its leaf
            rows[number] = row
    return [with_columns(row, entry["columns"]) for row, entry in zip(rows, entries)]


def _files_to_check(table, entries, file):
    """The table's entries by the file they are about, ``{path: [(number, entry), ...]}``,
    and its rows so far: a row for each entry refused, ``None`` for the others."""
    base = Path() if hasattr(table, "read") else Path(table).parent
    by_file, rows = {}, [None] * len(entries)
    for number, entry in enumerate(entries):
        path = file if file is not None else entry["file"]
        if path is None:
            raise LoadError(
                "the answers table has no file column; give the file", file=_table_name(table)
            )
        if (
            file is not None
            and entry["file"] is not None
            and not _same_file(entry["file"], file, base)
        ):
            rows[number] = report_row(
                str(file),
                entry["leaf"],
                entry["answer"],
                "error",
                f"this row is about {entry['file']}, not {file}; give the folder to check a "
                "table of several files",
            )
            continue
        if file is None:
            refused = _refusal(path, base)
            path = str(path) if PurePosixPath(path).is_absolute() else str(base / path)
            if refused:
                rows[number] = report_row(
                    path, entry["leaf"], entry["answer"], "error", f"{entry['file']}: {refused}"
                )
                continue
        by_file.setdefault(str(path), []).append((number, entry))
    return by_file, rows


def _same_file(entry, file, base):
    """Whether a table's ``file`` cell names ``file`` (by its name, or as a path from the
    table's folder: nothing is opened)."""
    given = Path(file)
    return entry in (given.name, given.stem) or (base / entry).resolve() == given.resolve()


def why_outside(name):
    """Why a table may not name this file: an absolute path or ``..`` (``None`` if neither).

    >>> why_outside("../alice.py"), why_outside("/tmp/alice.py"), why_outside("alice.py")
    ("a path with '..'", 'an absolute path', None)
    """
    if PurePosixPath(name).is_absolute() or PureWindowsPath(name).anchor:
        return "an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "a path with '..'"
    return None


def _refusal(name, base):
    """Why an answers table may not name ``name`` (relative to ``base``), or ``None``.

    Absolute paths and ``..`` are refused before anything is looked at; then
    every part of the path is looked at with ``lstat`` (nothing is opened or
    followed): a symbolic link or anything but a regular file is refused.
    """
    outside = why_outside(name)
    if outside:
        return f"refused: an answers table may only name files in its own folder, not {outside}"
    path, parts = base, PurePosixPath(name).parts
    for number, part in enumerate(parts, start=1):
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return None  # not there: explaining it says so
        kind = entry_problem(mode)
        if kind and (stat.S_ISLNK(mode) or number == len(parts)):
            return f"refused: {kind}"
    return None
