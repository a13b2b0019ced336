"""One file's answers checked: a report row for each ``(leaf, answer)``, here or in a worker.

A row is a dict with the columns of :data:`~pathgrad.grade.rows.ROW_FIELDS`.
An answer that cannot be read or a leaf without a gradient gives an "invalid"
row, a file that fails rows of their own (:func:`failed_rows`): one bad answer
or file never hides the rest.

>>> from pathgrad import explain
>>> rows = check_rows(explain("seed", wrt=["w1"], max_paths=MAX_PATHS_CHECKED), [("w1", None)])
>>> rows[0]["verdict"], rows[0]["paths"][0]
('explained', {'nodes': 'L → x5 → w2*x3 → x3 → w1', 'product': '-w2*x1', 'value': -2.0})
"""

import os

from pathgrad.errors import NameNotFound, PathgradError, Stopped
from pathgrad.explanation import explain_program
from pathgrad.grade.matching import check_answer, gradient_for, plural
from pathgrad.grade.rows import failed_rows, report_row
from pathgrad.safe.worker import run_bounded
from pathgrad.trace.loader import load, load_source
from pathgrad.trace.reading import example_names, read_source

#: Paths listed per gradient when checking, so that answers can be compared path by path.
MAX_PATHS_CHECKED = 64


#: The verdict of a file stopped at a bound, by the kind of bound.
STOPPED_VERDICTS = {"time": "timeout", "memory": "memory", "limit": "error"}


def path_ledger(gradient):
    """Each listed path of a gradient: its ``nodes`` (from the loss), ``product`` and ``value``."""
    return [
        {
            "nodes": " → ".join(f"({n})" if " " in n else n for n in path.nodes),
            "product": str(path.product),
            "value": path.value,
        }
        for path in gradient.paths
    ]


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


def _row(explanation, leaf, answer, file):
    """One answer's row, with the path ledger of the gradient it is about."""
    try:
        if answer is None:
            row = _explained_row(file, explanation, leaf)
        else:
            row = check_answer(explanation, leaf, answer).as_row(file)
    except PathgradError as err:
        row = report_row(file, leaf, answer, "invalid", err.message)
    gradient = explanation.gradients.get(leaf)
    if gradient is not None:  # an unreadable answer too: what the right one is
        row["paths"] = path_ledger(gradient)
        row["expected"] = row["expected"] or str(gradient.closed_form)
        row["expected_value"] = gradient.value
    return row


def check_rows(explanation, checks, file=None):
    """Report rows for ``checks``, a list of ``(leaf, answer)``; answer ``None`` explains.

    An answer that cannot be read, or a leaf without a gradient, gives an
    "invalid" row; nothing is raised.
    """
    return [
        _row(explanation, name, answer, file)
        for leaf, answer in checks
        for name in (list(explanation.gradients) if leaf is None else [leaf])
    ]


def _explained_for(program, leaves, wrt=None):
    """The explanation of ``program`` for the leaves answers are about (every leaf when
    one is ``None``), with enough paths listed to compare answers path by path.

    A leaf that is not there gives its answers "invalid" rows, unless it is ``wrt``,
    the command's ``--wrt``: then its :class:`NameNotFound` is raised.
    """
    wanted = sorted(set(leaves)) if leaves and None not in leaves else None
    try:
        return explain_program(program, wrt=wanted, max_paths=MAX_PATHS_CHECKED)
    except NameNotFound:
        if wrt is not None:
            explain_program(program, wrt=[wrt], max_paths=1)  # raises if it is --wrt's
        return explain_program(program, max_paths=MAX_PATHS_CHECKED)


def explain_for_checks(path, leaves, loss, safe, wrt=None, constants=()):
    """Load the file at ``path`` and explain it for answers about ``leaves``; ``constants``
    names numbers of the file that get no gradient (``--const``)."""
    return _explained_for(load(str(path), loss, safe, constants), leaves, wrt)


def check_file(path, checks, loss=None, safe=True, limits=None, wrt=None, constants=()):
    """Explain one file and check ``(leaf, answer)`` pairs against it: report rows.

    In safe mode (the default) the file is read here and loaded, explained
    and checked in a bounded worker process (:func:`pathgrad.safe.sandbox.run_bounded`
    with ``limits``, default :func:`pathgrad.safe.sandbox.active`).

    Raises :class:`~pathgrad.errors.PathgradError` when the file itself
    cannot be explained, or :class:`~pathgrad.safe.sandbox.Stopped` at a bound
    (see :func:`grade_file` for rows instead); :class:`NameNotFound` when
    ``wrt`` (the command's ``--wrt``) names nothing in it. An answer that
    cannot be read, or about another leaf the file does not have, gives an
    "invalid" row.

    >>> rows = check_file("seed", [("w1", "-w2*x1"), ("w2", "-w1*x1")])
    >>> [(r["leaf"], r["verdict"], r["score"]) for r in rows]
    [('w1', 'partial', 0.5), ('w2', 'right', 1.0)]
    """
    if not safe:
        leaves = [leaf for leaf, _ in checks]
        explanation = explain_for_checks(path, leaves, loss, safe, wrt, constants)
        return check_rows(explanation, checks, str(path))
    text, name = read_source(str(path), safe=True)
    request = {"text": text, "file": name, "checks": checks, "loss": loss, "wrt": wrt}
    request["constants"] = list(constants)
    return run_bounded(
        "pathgrad.grade.file_checks:check_source_request", request, limits, file=name
    )


def grade_file(path, checks, loss=None, limits=None, wrt=None, safe=True, constants=()):
    """:func:`check_file`, with rows of their own for a file that cannot be
    checked, as in a folder: "error", or "timeout" or "memory" at a bound.

    Raises only for a problem with the command: no such file, or a ``wrt``
    or ``loss`` that names nothing in the file (:class:`NameNotFound`).

    >>> [r["verdict"] for r in grade_file("seed", [("w1", "-w2*x1 - w3*x2")])]
    ['right']
    """
    try:
        return check_file(path, checks, loss, safe, limits, wrt, constants)
    except NameNotFound:
        raise
    except Stopped as stop:
        return failed_rows(str(path), checks, STOPPED_VERDICTS[stop.kind], str(stop))
    except PathgradError as err:
        if str(path) != "-" and not os.path.lexists(path) and str(path) not in example_names():
            raise
        return failed_rows(str(path), checks, "error", str(err))


def check_source_request(request):
    """In the worker: explain the text of one file and check its answers (rows)."""
    checks = [tuple(c) for c in request["checks"]]
    constants = request.get("constants") or ()
    program = load_source(request["text"], request["file"], request["loss"], True, constants)
    explanation = _explained_for(program, [leaf for leaf, _ in checks], request.get("wrt"))
    return check_rows(explanation, checks, request["file"])
