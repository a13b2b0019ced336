"""A folder of student files graded: each ``*.py`` file in its own bounded worker, in
parallel, in a stable order (``pathgrad check FOLDER``); one bad file gets its own rows.

Entries are looked at with ``lstat`` only, so nothing outside the folder is read and
nothing blocks; the answers come as one formula, a dict, or a table
(:mod:`pathgrad.grade.tables`); each file's rows are :mod:`pathgrad.grade.file_checks`.
"""

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pathgrad.errors import LoadError, NameNotFound, PathgradError, Stopped
from pathgrad.grade.file_checks import STOPPED_VERDICTS, check_rows, explain_for_checks
from pathgrad.grade.matching import gradient_for
from pathgrad.grade.rows import failed_rows, with_columns
from pathgrad.grade.tables import read_answers, why_outside
from pathgrad.safe.limits import LIMITS, Limits
from pathgrad.safe.worker import run_bounded
from pathgrad.trace.reading import entry_problem

#: Default per-file bounds of :func:`grade_folder`.
TIMEOUT_SECONDS = 30.0


#: What the workers of one :func:`grade_folder` may use at once, in all (MiB): each may use
#: ``memory_mib``, so at most ``TOTAL_MEMORY_MIB // memory_mib`` run together (at least one).
TOTAL_MEMORY_MIB = 4096


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
    """The ``(leaf, answer, the table's own columns)`` to check in one file of a folder."""
    leaves = [wrt] if isinstance(wrt, str) else list(wrt or [None])
    if answers is None:
        return [(leaf, None, {}) for leaf in leaves]
    if isinstance(answers, str):
        return [(leaf, answers, {}) for leaf in leaves]
    if isinstance(answers, list):  # rows of read_answers; a file without any is explained
        # rows without a file column (leaf,answer) are the answers for every file
        mine = [
            (r["leaf"], r["answer"], r["columns"])
            for r in answers
            if r["file"] in (name, stem, None)
        ]
        return mine or [(leaf, None, {}) for leaf in leaves]
    mine = answers.get(name, answers.get(stem))
    if mine is None:
        return [(leaf, None, {}) for leaf in leaves]
    if isinstance(mine, str):
        return [(leaf, mine, {}) for leaf in leaves]
    return [(leaf, answer, {}) for leaf, answer in mine.items()]


def grade_folder(
    folder,
    wrt=None,
    answers=None,
    jobs=None,
    timeout=TIMEOUT_SECONDS,
    memory_mib=LIMITS.memory_mib,
    loss=None,
    total_memory_mib=TOTAL_MEMORY_MIB,
    constants=(),
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
    constants : iterable of str
        Numbers of every file that are constants, not trained (``--const``).

    Returns
    -------
    list of dict
        Rows (see :data:`ROW_FIELDS`) sorted by file, then in answer order;
        a file that fails, hangs or runs out of memory gives rows with
        verdict "error", "timeout" or "memory" and never stops the rest. A row
        from a table carries the table's own columns (``student`` ...).

    Raises
    ------
    NameNotFound
        ``wrt`` (one name) is in no file of the folder that could be explained:
        a problem with the command, not with a student's file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise LoadError("no such folder", file=str(folder))
    if isinstance(answers, Path):
        answers = read_answers(answers, wrt if isinstance(wrt, str) else None)
    work, rows = _work(folder, wrt, answers)
    limits = Limits(**{**LIMITS.as_dict(), "wall_time_seconds": timeout, "memory_mib": memory_mib})
    required = wrt if isinstance(wrt, str) else None
    with ThreadPoolExecutor(
        max_workers=workers_at_once(jobs, memory_mib, total_memory_mib)
    ) as pool:
        results = list(
            pool.map(
                lambda item: _run_worker(item[0], item[1], (loss, required, constants), limits),
                work,
            )
        )
    _refuse_a_wrt_no_file_has(results, required)
    for (_, checks), (found, _) in zip(work, results):
        rows += _with_own_columns(found, checks)
    return sorted(rows, key=lambda r: r["file"])  # stable: answer order within a file


def _with_own_columns(rows, checks):
    """A file's rows with the answers table's own columns of each answer: checks with
    columns come from a table, so each has a leaf and gives exactly one row."""
    if not any(columns for _, _, columns in checks):
        return rows
    return [with_columns(row, columns) for row, (_, _, columns) in zip(rows, checks)]


def _refuse_a_wrt_no_file_has(results, wrt):
    """Raise :class:`NameNotFound` (a problem with the command) when no file of the folder
    that could be explained has ``wrt``, the command's ``--wrt``."""
    found = [explained for _, explained in results]
    if wrt is not None and False in found and True not in found:
        first = next(rows for rows, explained in results if explained is False)[0]
        raise NameNotFound(f"{first['message']}; nor has any other file of the folder")


def _work(folder, wrt, answers):
    """The files to check, ``[(path, checks), ...]``, and the rows of those that are not:
    entries that are no regular file, and names in a table that are no entry of the folder."""
    entries = _entries(folder)
    work, rows = [], []
    for name, problem in entries:
        checks = _checks_for(name, name[: -len(".py")], wrt, answers)
        if problem:  # a row, and nothing opened
            failed = failed_rows(name, [c[:2] for c in checks], "error", f"{name}: {problem}")
            rows += _with_own_columns(failed, checks)
        else:
            work.append((folder / name, checks))
    if isinstance(answers, list):
        rows += _not_in_folder(answers, entries)
    return work, rows


def _not_in_folder(answers, entries):
    """Rows for the files a table names that are no entry of the folder."""
    known = {n for n, _ in entries} | {n[: -len(".py")] for n, _ in entries}
    unknown = {r["file"] for r in answers if r["file"] is not None and r["file"] not in known}
    rows = []
    for name in sorted(unknown, key=str):
        why = why_outside(str(name))
        message = (
            f"{name}: refused: an answers table may only name files in the folder, not {why}"
            if why
            else f"{name}: no such file in the folder"
        )
        mine = [r for r in answers if r["file"] == name]
        failed = failed_rows(str(name), [(r["leaf"], r["answer"]) for r in mine], "error", message)
        rows += [with_columns(row, r["columns"]) for row, r in zip(failed, mine)]
    return rows


def workers_at_once(jobs, memory_mib, total_memory_mib=TOTAL_MEMORY_MIB):
    """How many worker processes :func:`grade_folder` runs together.

    ``jobs`` (default: the machine's cores), but never so many that their
    memory bounds add up to more than ``total_memory_mib``; always at least one.

    >>> workers_at_once(8, 1024), workers_at_once(None, 4096, 4096), workers_at_once(2, 256)
    (4, 1, 2)
    """
    wanted = jobs or os.cpu_count() or 1
    return max(1, min(wanted, total_memory_mib // max(1, memory_mib)))


def _run_worker(path, checks, options, limits):
    """Check one file in a worker process with its own time and memory bound:
    ``(rows, explained)``, ``explained`` False when the file has no ``--wrt`` (or
    ``--loss``) of ``options`` = ``(loss, wrt, constants)``, None when it could not be checked."""
    name, checks = path.name, [c[:2] for c in checks]
    try:  # looked at again just before: an entry swapped since the listing is not followed
        problem = entry_problem(os.lstat(path).st_mode)
    except OSError:
        problem = "no such file in the folder"
    if problem:
        return failed_rows(name, checks, "error", f"{name}: {problem}"), None
    # by absolute path: the worker runs in a temporary folder of its own
    loss, wrt, constants = options
    request = {
        "constants": list(constants),
        "file": os.path.abspath(path),
        "name": name,
        "checks": checks,
        "loss": loss,
        "wrt": wrt,
    }
    try:
        found = run_bounded("pathgrad.grade.folders:check_request", request, limits, file=name)
        return found["rows"], found["explained"]
    except Stopped as stop:
        return failed_rows(name, checks, STOPPED_VERDICTS[stop.kind], stop.message), None
    except RuntimeError as err:  # the worker died for another reason: still one row
        return failed_rows(name, checks, "error", str(err)), None


def check_request(request):
    """In the worker process (safe mode, bounded): explain the file, check the answers."""
    name, checks = request["name"], [tuple(c) for c in request["checks"]]
    leaves = [leaf for leaf, _ in checks]
    try:
        explanation = explain_for_checks(
            request["file"],
            leaves,
            request["loss"],
            True,
            request["wrt"],
            request.get("constants") or (),
        )
    except PathgradError as err:
        message = str(err).replace(request["file"], name, 1)
        missing = isinstance(err, NameNotFound)  # the command's --wrt or --loss
        verdict = "invalid" if missing and err.message.startswith("--wrt") else "error"
        return {
            "rows": failed_rows(name, checks, verdict, message),
            "explained": False if missing else None,
        }
    return {"rows": check_rows(explanation, checks, name), "explained": True}


def explained_request(request):
    """The closed form of one gradient, as text (a small target for :func:`run_bounded`)."""
    explanation = explain_for_checks(request["file"], [request["leaf"]], None, True)
    return str(gradient_for(explanation, request["leaf"]).closed_form)
