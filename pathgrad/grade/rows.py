"""A report row: one answer checked, with the answers table's own columns and a score.

A row is a dict: ``file``, then the table's own columns (``student``, ``email``
... in the table's order, see :func:`with_columns`), then the rest of
:data:`ROW_FIELDS`. Every row has a verdict (:data:`VERDICTS`) and a score:
1 right, the share of paths matched when partial, 0 wrong, unreadable or not
checkable, ``None`` when no answer was given (see
:attr:`pathgrad.grade.matching.AnswerCheck.score`).

>>> row = report_row("a.py", "w1", "-w2*x1", "wrong", "-2")
>>> row["verdict"], row["score"], row["expected"], row["matched"]
('wrong', None, None, [])
>>> list(with_columns(row, {"student": "Ada"}))[:4]
['file', 'student', 'leaf', 'answer']
"""

#: Verdicts in a report, and what each means.
VERDICTS = {
    "right": "the answer equals the gradient",
    "partial": "some paths are right, some are missing or wrong",
    "wrong": "no path of the answer is right",
    "invalid": "the answer cannot be read, or names no leaf of the file",
    "error": "the file cannot be explained (see message)",
    "timeout": "the file was stopped at its time limit",
    "memory": "the file was stopped at its memory limit",
    "explained": "no answer given; the gradient is reported",
}


#: Columns of a report, in order (the answers table's own columns come after ``file``).
ROW_FIELDS = (
    "file",
    "leaf",
    "answer",
    "verdict",
    "score",
    "expected",
    "value",
    "expected_value",
    "matched",
    "missing",
    "extra",
    "paths",
    "message",
)


#: Between the items of a list in one CSV cell (path numbers, terms, path products): no
#: answer, term or product can hold it (answers may not contain ``;``).
SEPARATOR = " ; "


#: The score of a row whose answer could not be compared: nothing.
UNCHECKED_SCORES = {"invalid": 0.0, "error": 0.0, "timeout": 0.0, "memory": 0.0}


def report_row(file, leaf, answer, verdict, message, **more):
    """One row of a report: the columns of :data:`ROW_FIELDS`, ``None`` (or an empty
    list) where ``more`` does not give them; the score of an answer not compared."""
    row = dict.fromkeys(ROW_FIELDS)
    row.update(file=file, leaf=leaf, answer=answer, verdict=verdict, message=message)
    row.update(score=UNCHECKED_SCORES.get(verdict), matched=[], missing=[], extra=[], paths=[])
    row.update(more)
    return row


def failed_rows(name, checks, verdict, message):
    """One row per ``(leaf, answer)`` of a file that could not be checked."""
    return [report_row(name, leaf, answer, verdict, message) for leaf, answer in checks]


def with_columns(row, columns):
    """``row`` with the answers table's own ``columns`` (a dict, in the table's order)
    right after ``file``."""
    if not columns:
        return row
    first, rest = {"file": row["file"]}, {k: v for k, v in row.items() if k != "file"}
    return {**first, **columns, **rest}


def table_columns(rows):
    """The answers table's own columns the rows carry, in order of first appearance."""
    names = {}
    for row in rows:
        names.update((k, None) for k in row if k not in ROW_FIELDS)
    return list(names)


def columns_of(rows):
    """Every column of a report of ``rows``: ``file``, the table's own, then the rest."""
    return [ROW_FIELDS[0], *table_columns(rows), *ROW_FIELDS[1:]]
