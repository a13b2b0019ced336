"""One file's answers checked: a report row for each ``(leaf, answer)``, here or in a worker.

A row is a dict with the columns of :data:`~pathgrad.grade.reports.ROW_FIELDS`.
An answer that cannot be read or a leaf without a gradient gives an "invalid"
row, a file that fails rows of their own (:func:`failed_rows`): one bad answer
or file never hides the rest.

>>> row = report_row("a.py", "w1", "-w2*x1", "wrong", "-2")
>>> row["verdict"], row["expected"], row["matched"]
('wrong', None, [])
"""

from pathgrad.errors import NameNotFound, PathgradError
from pathgrad.explanation import explain_program
from pathgrad.grade.matching import check_answer, gradient_for, plural
from pathgrad.grade.reports import ROW_FIELDS
from pathgrad.safe.worker import run_bounded
from pathgrad.trace.loader import load, load_source
from pathgrad.trace.reading import read_source

#: Paths listed per gradient when checking, so that answers can be compared path by path.
MAX_PATHS_CHECKED = 64


#: The verdict of a file stopped at a bound, by the kind of bound.
STOPPED_VERDICTS = {"time": "timeout", "memory": "memory", "limit": "error"}


def report_row(file, leaf, answer, verdict, message, **more):
    """One row of a report: the columns of :data:`~pathgrad.grade.reports.ROW_FIELDS`,
    ``None`` (or an empty list) where ``more`` does not give them."""
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


def failed_rows(name, checks, verdict, message):
    """One row per ``(leaf, answer)`` of a file that could not be checked."""
    return [report_row(name, leaf, answer, verdict, message) for leaf, answer in checks]


def _explained_row(file, explanation, leaf):
    gradient = gradient_for(explanation, leaf)
    shown = "?" if gradient.value is None else f"{gradient.value:g}"
    return report_row(
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
                rows.append(report_row(file, name, answer, "invalid", err.message))
    return rows


def _explained_for(program, leaves):
    """The explanation of ``program`` for the leaves answers are about (every leaf when
    one is ``None``), with enough paths listed to compare answers path by path."""
    wrt = sorted(set(leaves)) if leaves and None not in leaves else None
    try:
        return explain_program(program, wrt=wrt, max_paths=MAX_PATHS_CHECKED)
    except NameNotFound:  # a leaf that is not there: every other answer is still checked
        return explain_program(program, max_paths=MAX_PATHS_CHECKED)


def explain_for_checks(path, leaves, loss, safe):
    """Load the file at ``path`` and explain it for answers about ``leaves``."""
    return _explained_for(load(str(path), loss, safe=safe), leaves)


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
        explanation = explain_for_checks(path, [leaf for leaf, _ in checks], loss, safe)
        return check_rows(explanation, checks, str(path))
    text, name = read_source(str(path), safe=True)
    request = {"text": text, "file": name, "checks": checks, "loss": loss}
    return run_bounded("pathgrad.grade.file_checks:_check_source", request, limits, file=name)


def _check_source(request):
    """In the worker: explain the text of one file and check its answers (rows)."""
    checks = [tuple(c) for c in request["checks"]]
    program = load_source(request["text"], request["file"], request["loss"], safe=True)
    explanation = _explained_for(program, [leaf for leaf, _ in checks])
    return check_rows(explanation, checks, request["file"])
