"""Tables of answers: a CSV (``leaf,answer`` or ``file,leaf,answer``) read and checked.

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

from pathgrad.errors import LoadError, PathgradError, Stopped
from pathgrad.grade.file_checks import STOPPED_VERDICTS, check_file, failed_rows, report_row
from pathgrad.trace.reading import entry_problem, read_regular

#: Rows a table of answers may have.
MAX_TABLE_ROWS = 100_000
#: ... and bytes: 16 MiB.
MAX_TABLE_BYTES = 16 << 20


def _table_name(table):
    return getattr(table, "name", "<answers>") if hasattr(table, "read") else str(table)


def read_answers(table, wrt=None):
    """Read a CSV of answers: columns ``leaf,answer`` or ``file,leaf,answer``.

    ``leaf`` may be left out when ``wrt`` names the one leaf every answer is
    for. Returns dicts with keys ``file`` (or ``None``), ``leaf``, ``answer``.

    >>> import io
    >>> read_answers(io.StringIO("leaf,answer\\nw1,-w2*x1\\n"))
    [{'file': None, 'leaf': 'w1', 'answer': '-w2*x1'}]
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


def _answer_rows(handle, name, wrt):
    try:
        reader = csv.DictReader(handle)
        if "answer" not in [c.strip().lower() for c in reader.fieldnames or []]:
            raise LoadError(
                "the answers table needs a header with an answer column "
                "(leaf,answer or file,leaf,answer)",
                file=name,
                line=1,
            )
        rows = []
        for number, record in enumerate(reader, start=2):
            if number > MAX_TABLE_ROWS + 1:
                raise LoadError(f"more than {MAX_TABLE_ROWS} answers", file=name)
            record = {
                k.strip().lower(): (v or "").strip()
                for k, v in record.items()
                if isinstance(k, str)
            }
            leaf = record.get("leaf") or wrt
            if not leaf or "answer" not in record:
                raise LoadError(
                    "each row needs a leaf and an answer (columns leaf,answer or file,leaf,answer)",
                    file=name,
                    line=number,
                )
            rows.append(
                {"file": record.get("file") or None, "leaf": leaf, "answer": record["answer"]}
            )
    except (csv.Error, UnicodeDecodeError) as err:
        raise LoadError(f"cannot read the answers table: {err}", file=name) from None
    return rows


def check_answers_table(table, file=None, wrt=None, loss=None, safe=True, limits=None):
    """Check a CSV of answers (see :func:`read_answers`): report rows in the table's order.

    With ``file``, every answer is about that file; otherwise each row names
    its file (relative to the table's folder). Each file is explained once
    (in safe mode, in its own bounded worker process, with ``limits``); a
    file that cannot be explained gives "error" rows, one stopped at a bound
    "timeout" or "memory" rows.
    """
    entries = read_answers(table, wrt)
    by_file, rows = _files_to_check(table, entries, file)
    for path, mine in by_file.items():
        checks = [(entry["leaf"], entry["answer"]) for _, entry in mine]
        try:
            found = check_file(path, checks, loss, safe, limits)
        except Stopped as stop:
            found = failed_rows(path, checks, STOPPED_VERDICTS[stop.kind], str(stop))
        except PathgradError as err:
            found = failed_rows(path, checks, "error", str(err))
        for (number, _), row in zip(mine, found):  # one row per answer with its leaf
            rows[number] = row
    return rows


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
