"""Answers tables and folders of files: each file in its own bounded worker, in parallel,
in a stable order (``pathgrad check FOLDER``); one bad file gets its own row.
"""

import csv
import io
import os
import re
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath, PureWindowsPath

from pathgrad.errors import LoadError, NameNotFound, PathgradError, Stopped
from pathgrad.grade.matching import check_answer, gradient_for, plural
from pathgrad.grade.reports import ROW_FIELDS
from pathgrad.safe.limits import LIMITS, Limits
from pathgrad.safe.worker import run_bounded
from pathgrad.trace.reading import entry_problem, read_regular

#: Paths listed per gradient when checking, so that answers can be compared path by path.
MAX_PATHS_CHECKED = 64


#: Default per-file bounds of :func:`grade_folder`.
TIMEOUT_SECONDS = 30.0


#: What the workers of one :func:`grade_folder` may use at once, in all (MiB): each may use
#: ``memory_mib``, so at most ``TOTAL_MEMORY_MIB // memory_mib`` run together (at least one).
TOTAL_MEMORY_MIB = 4096


#: Rows a table of answers may have.
MAX_TABLE_ROWS = 100_000
#: ... and bytes: 16 MiB.
MAX_TABLE_BYTES = 16 << 20


def _row(file, leaf, answer, verdict, message, **more):
    row = dict.fromkeys(ROW_FIELDS)
    row.update(
        file=file,
        leaf=leaf,
        answer=answer,
        verdict=verdict,
        message=message,
        matched=[],
        missing=[],
        extra=[],
        **more,
    )
    return row


def _explained_row(file, explanation, leaf):
    gradient = gradient_for(explanation, leaf)
    shown = "?" if gradient.value is None else f"{gradient.value:g}"
    return _row(
        file,
        leaf,
        None,
        "explained",
        f"d{explanation.loss}/d{leaf} = {gradient.closed_form} = {shown}, the sum of "
        f"{plural(gradient.path_count, 'path')}",
        expected=str(gradient.closed_form),
        expected_value=gradient.value,
    )


def check_rows(explanation, checks, file=None):
    """Report rows for ``checks``, a list of ``(leaf, answer)``; answer ``None`` explains.

    An answer that cannot be read, or a leaf without a gradient, gives an
    "invalid" row; nothing is raised.
    """
    rows = []
    for leaf, answer in checks:
        leaves = list(explanation.gradients) if leaf is None else [leaf]
        for name in leaves:
            try:
                if answer is None:
                    rows.append(_explained_row(file, explanation, name))
                else:
                    rows.append(check_answer(explanation, name, answer).as_row(file))
            except PathgradError as err:
                rows.append(_row(file, name, answer, "invalid", err.message))
    return rows


def _explain(path, leaves, loss, safe):
    from pathgrad.explanation import explain_program
    from pathgrad.trace.loader import load

    program = load(str(path), loss, safe=safe)
    wrt = sorted(set(leaves)) if leaves and None not in leaves else None
    try:
        return explain_program(program, wrt=wrt, max_paths=MAX_PATHS_CHECKED)
    except NameNotFound:  # a leaf that is not there: every other answer is still checked
        return explain_program(program, max_paths=MAX_PATHS_CHECKED)


def check_file(path, checks, loss=None, safe=True, limits=None):
    """Explain one file and check ``(leaf, answer)`` pairs against it: report rows.

    In safe mode (the default) the file is read here and loaded, explained
    and checked in a bounded worker process (:func:`pathgrad.safe.sandbox.run_bounded`
    with ``limits``, default :func:`pathgrad.safe.sandbox.active`).

    Raises :class:`~pathgrad.errors.PathgradError` when the file itself
    cannot be explained, or :class:`~pathgrad.safe.sandbox.Stopped` at a bound
    (exit status 2); answers that cannot be read give "invalid" rows.

    >>> rows = check_file("seed", [("w1", "-w2*x1"), ("w2", "-w1*x1")])
    >>> [(r["leaf"], r["verdict"]) for r in rows]
    [('w1', 'partial'), ('w2', 'right')]
    """
    if not safe:
        explanation = _explain(path, [leaf for leaf, _ in checks], loss, safe)
        return check_rows(explanation, checks, str(path))
    from pathgrad.trace.reading import read_source

    text, name = read_source(str(path), safe=True)
    request = {"text": text, "file": name, "checks": checks, "loss": loss}
    return run_bounded("pathgrad.grade.folders:_check_source", request, limits, file=name)


def _check_source(request):
    """In the worker: explain the text of one file and check its answers (rows)."""
    from pathgrad.explanation import explain_program
    from pathgrad.trace.loader import load_source

    checks = [tuple(c) for c in request["checks"]]
    program = load_source(request["text"], request["file"], request["loss"], safe=True)
    leaves = [leaf for leaf, _ in checks]
    wrt = sorted(set(leaves)) if leaves and None not in leaves else None
    try:
        explanation = explain_program(program, wrt=wrt, max_paths=MAX_PATHS_CHECKED)
    except NameNotFound:  # a leaf that is not there: every other answer is still checked
        explanation = explain_program(program, max_paths=MAX_PATHS_CHECKED)
    return check_rows(explanation, checks, request["file"])


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
    base = Path() if hasattr(table, "read") else Path(table).parent
    by_file, refusals = {}, {}
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
            refusals[number] = _row(
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
                refusals[number] = _row(
                    path, entry["leaf"], entry["answer"], "error", f"{entry['file']}: {refused}"
                )
                continue
        by_file.setdefault(str(path), []).append((number, entry))
    rows = [None] * len(entries)
    for number, row in refusals.items():
        rows[number] = row
    for path, mine in by_file.items():
        checks = [(entry["leaf"], entry["answer"]) for _, entry in mine]
        try:
            found = check_file(path, checks, loss, safe, limits)
        except Stopped as stop:
            found = _failed(path, checks, _STOPPED[stop.kind], str(stop))
        except PathgradError as err:
            found = _failed(path, checks, "error", str(err))
        for (number, _), row in zip(mine, found):  # one row per answer with its leaf
            rows[number] = row
    return rows


def _same_file(entry, file, base):
    """Whether a table's ``file`` cell names ``file`` (by its name, or as a path from the
    table's folder: nothing is opened)."""
    given = Path(file)
    return entry in (given.name, given.stem) or (base / entry).resolve() == given.resolve()


def _outside(name):
    """Why a table may not name this file: an absolute path or ``..`` (``None`` if neither)."""
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
    outside = _outside(name)
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


def _entries(folder):
    """Every ``*.py`` entry of ``folder``, by name: ``(name, why it is not graded or None)``.

    Entries are looked at with ``lstat`` only: a symbolic link is never
    followed, and a FIFO, a folder or a device is never opened, so nothing
    blocks the teacher's process and nothing outside the folder is read.
    """
    entries = []
    with os.scandir(folder) as listing:
        for entry in listing:
            if entry.name.endswith(".py"):
                try:
                    problem = entry_problem(entry.stat(follow_symlinks=False).st_mode)
                except OSError as err:
                    problem = f"cannot be read: {err.strerror}"
                entries.append((entry.name, problem))
    return sorted(entries)


def _checks_for(name, stem, wrt, answers):
    """The ``(leaf, answer)`` pairs for one file of a folder."""
    leaves = [wrt] if isinstance(wrt, str) else list(wrt or [None])
    if answers is None:
        return [(leaf, None) for leaf in leaves]
    if isinstance(answers, str):
        return [(leaf, answers) for leaf in leaves]
    if isinstance(answers, list):  # rows of read_answers; a file without any is explained
        # rows without a file column (leaf,answer) are the answers for every file
        mine = [(r["leaf"], r["answer"]) for r in answers if r["file"] in (name, stem, None)]
        return mine or [(leaf, None) for leaf in leaves]
    mine = answers.get(name, answers.get(stem))
    if mine is None:
        return [(leaf, None) for leaf in leaves]
    if isinstance(mine, str):
        return [(leaf, mine) for leaf in leaves]
    return list(mine.items())


def grade_folder(
    folder,
    wrt=None,
    answers=None,
    jobs=None,
    timeout=TIMEOUT_SECONDS,
    memory_mib=LIMITS.memory_mib,
    loss=None,
    total_memory_mib=TOTAL_MEMORY_MIB,
):
    """Check every ``*.py`` file of a folder, each in its own process, in safe mode.

    Parameters
    ----------
    folder : str or Path
        The student files (``*.py``, not recursive).
    wrt : str or list of str, optional
        The leaf (or leaves) to check; default every leaf.
    answers : None, str, dict, or Path
        ``None``: report each gradient. A formula: the answer for every
        file. A dict: file name (or stem) → formula, or → {leaf: formula}.
        A :class:`pathlib.Path`: a CSV with columns ``file,leaf,answer``
        (``leaf`` optional with ``wrt``); files not in it are reported.
    jobs : int, optional
        Files checked at once (default: the machine's cores), and never more
        than ``total_memory_mib // memory_mib`` (see :func:`workers_at_once`).
    timeout : float
        Wall-time bound per file, in seconds (the process is killed).
    memory_mib : int
        Address-space bound per file (``RLIMIT_AS``; not on Windows).
    total_memory_mib : int
        What all the workers running at once may use together (default 4096 MiB).

    Returns
    -------
    list of dict
        Rows (see :data:`ROW_FIELDS`) sorted by file, then in answer order;
        a file that fails, hangs or runs out of memory gives rows with
        verdict "error", "timeout" or "memory" and never stops the rest.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError("no such folder", file=str(folder))
    if isinstance(answers, Path):
        answers = read_answers(answers, wrt if isinstance(wrt, str) else None)
    entries = _entries(folder)
    work, rows = [], []
    for name, problem in entries:
        checks = _checks_for(name, name[: -len(".py")], wrt, answers)
        if problem:  # a row, and nothing opened
            rows += _failed(name, checks, "error", f"{name}: {problem}")
        else:
            work.append((folder / name, checks))
    if isinstance(answers, list):  # names in the table that are no entry of the folder
        known = {n for n, _ in entries} | {n[: -len(".py")] for n, _ in entries}
        unknown = {r["file"] for r in answers if r["file"] is not None and r["file"] not in known}
        for name in sorted(unknown, key=str):
            why = _outside(str(name))
            message = (
                f"{name}: refused: an answers table may only name files in the folder, not {why}"
                if why
                else f"{name}: no such file in the folder"
            )
            rows += _failed(
                str(name),
                [(r["leaf"], r["answer"]) for r in answers if r["file"] == name],
                "error",
                message,
            )
    limits = Limits(**{**LIMITS.as_dict(), "wall_time_seconds": timeout, "memory_mib": memory_mib})
    with ThreadPoolExecutor(
        max_workers=workers_at_once(jobs, memory_mib, total_memory_mib)
    ) as pool:
        results = pool.map(lambda item: _run_worker(item[0], item[1], loss, limits), work)
        rows += [row for result in results for row in result]
    return sorted(rows, key=lambda r: r["file"])  # stable: answer order within a file


#: The verdict of a file stopped at a bound, by the kind of bound.
_STOPPED = {"time": "timeout", "memory": "memory", "limit": "error"}


def workers_at_once(jobs, memory_mib, total_memory_mib=TOTAL_MEMORY_MIB):
    """How many worker processes :func:`grade_folder` runs together.

    ``jobs`` (default: the machine's cores), but never so many that their
    memory bounds add up to more than ``total_memory_mib``; always at least one.

    >>> workers_at_once(8, 1024), workers_at_once(None, 4096, 4096), workers_at_once(2, 256)
    (4, 1, 2)
    """
    wanted = jobs or os.cpu_count() or 1
    return max(1, min(wanted, total_memory_mib // max(1, memory_mib)))


def _run_worker(path, checks, loss, limits):
    """Check one file in a fresh Python process with its own time and memory bound."""
    name = path.name
    try:  # looked at again just before: an entry swapped since the listing is not followed
        problem = entry_problem(os.lstat(path).st_mode)
    except OSError:
        problem = "no such file in the folder"
    if problem:
        return _failed(name, checks, "error", f"{name}: {problem}")
    # by absolute path: the worker runs in a temporary folder of its own
    request = {"file": os.path.abspath(path), "name": name, "checks": checks, "loss": loss}
    try:
        return run_bounded("pathgrad.grade.folders:_worker", request, limits, file=name)
    except Stopped as stop:
        return _failed(name, checks, _STOPPED[stop.kind], stop.message)
    except RuntimeError as err:  # the worker died for another reason: still one row
        return _failed(name, checks, "error", str(err))


def _failed(name, checks, verdict, message):
    return [_row(name, leaf, answer, verdict, message) for leaf, answer in checks]


def _worker(request):
    """In the worker process (safe mode, bounded): explain the file, check the answers."""
    name, checks = request["name"], [tuple(c) for c in request["checks"]]
    try:
        explanation = _explain(request["file"], [leaf for leaf, _ in checks], request["loss"], True)
    except PathgradError as err:
        return _failed(name, checks, "error", str(err).replace(request["file"], name, 1))
    return check_rows(explanation, checks, name)


def _explained(request):
    """The closed form of one gradient, as text (a small target for :func:`run_bounded`)."""
    explanation = _explain(request["file"], [request["leaf"]], None, True)
    return str(gradient_for(explanation, request["leaf"]).closed_form)
