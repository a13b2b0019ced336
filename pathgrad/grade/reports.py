"""Reports of checked answers: text, CSV (safe in a spreadsheet) and JSON, one row each."""

import csv
import io
import json

from pathgrad.escaping import csv_cell, json_visible, visible

#: Verdicts in a report, and what each means.
VERDICTS = {
    "right": "the answer equals the gradient",
    "partial": "some paths are right, some are missing or wrong",
    "wrong": "no path of the answer is right",
    "invalid": "the answer cannot be read",
    "error": "the file cannot be explained (see message)",
    "timeout": "the file was stopped at its time limit",
    "memory": "the file was stopped at its memory limit",
    "explained": "no answer given; the gradient is reported",
}


#: Columns of a report, in order.
ROW_FIELDS = (
    "file",
    "leaf",
    "answer",
    "verdict",
    "expected",
    "value",
    "expected_value",
    "matched",
    "missing",
    "extra",
    "message",
)


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(map(str, value))
    return str(value)


def rows_to_csv(rows):
    """Rows as CSV text with the columns of :data:`ROW_FIELDS`; lists space-separated.

    Every cell is :func:`~pathgrad.escaping.csv_cell`: control, bidi and
    line-break characters escaped, and a cell that a spreadsheet would read
    as a formula (``= + - @``) prefixed with ``'``, closed forms such as
    ``-w2*x1`` included; numbers stay numbers. The JSON report carries every
    text unchanged.

    >>> from pathgrad.grade.file_checks import report_row
    >>> print(rows_to_csv([report_row("=cmd.py", "w1", "-w2*x1", "wrong", "-2")]), end="")
    file,leaf,answer,verdict,expected,value,expected_value,matched,missing,extra,message
    '=cmd.py,w1,'-w2*x1,wrong,,,,,,,-2
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROW_FIELDS)
    for row in rows:
        writer.writerow([csv_cell(_cell(row.get(f))) for f in ROW_FIELDS])
    return out.getvalue()


def rows_to_json(rows):
    """Rows as a JSON object ``{"schema": 1, "rows": [...]}`` (a stable contract).

    Strings are carried unchanged; control, bidi and line-break characters
    (and bytes of a file name that is not UTF-8) are written as ``\\uXXXX``.
    """
    return json_visible(
        json.dumps(
            {"schema": 1, "rows": [{f: row.get(f) for f in ROW_FIELDS} for row in rows]},
            indent=2,
            ensure_ascii=False,
        )
    )


def rows_to_text(rows):
    """One line per row: ``FILE: dL/dLEAF: VERDICT: message`` (no file part for ``None``).

    Each line is :func:`~pathgrad.escaping.visible`, so a row is always one
    line and nothing in it reaches the terminal as a control sequence.
    """
    lines = []
    for row in rows:
        where = f"{row['file']}: " if row.get("file") else ""
        leaf = f"{row['leaf']}: " if row.get("leaf") else ""
        message = row["message"]
        verdict = "" if message.startswith(f"{row['verdict']}:") else f"{row['verdict']}: "
        lines.append(visible(f"{where}{leaf}{verdict}{message}"))
    return "\n".join(lines)


def exit_status(rows):
    """0 when every row is right (or only explained), else 3 (see the CLI wiring)."""
    return 0 if all(r["verdict"] in ("right", "explained") for r in rows) else 3
