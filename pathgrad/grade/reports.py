"""Reports of checked answers: text, CSV (safe in a spreadsheet) and JSON.

Each carries the same: one row per answer with its score and the answers
table's own columns (:mod:`pathgrad.grade.rows`), a total per student or
file, and a summary (:mod:`pathgrad.grade.scores`).
"""

import csv
import io
import json

from pathgrad.escaping import csv_cell, json_visible, visible
from pathgrad.grade.rows import ROW_FIELDS, SEPARATOR, VERDICTS, columns_of, table_columns
from pathgrad.grade.scores import group_of, summary, total_text, totals

__all__ = ["ROW_FIELDS", "VERDICTS", "exit_status", "rows_to_csv", "rows_to_json", "rows_to_text"]


def _item(value):
    return value["product"] if isinstance(value, dict) else str(value)


def _cell(value):
    """A value as the text of one CSV cell: a list's items joined by :data:`SEPARATOR`."""
    if value is None:
        return ""
    if isinstance(value, list):
        return SEPARATOR.join(_item(v) for v in value)
    return str(value)


def _total_row(total, columns):
    """A total (or, with ``group`` None, the summary) as a CSV row."""
    row = dict.fromkeys(columns, "")
    kind = "student" if "student" in total else "file"
    if kind == "file":
        row["file"] = total["file"]
    else:  # the table's own student column, however it is spelled
        row[next(c for c in columns if c.lower() == "student")] = total["student"]
    row.update(verdict="total", score=total["score"], message=total_text(total))
    return row


def rows_to_csv(rows):
    """Rows as CSV: one line per answer, then one per student (or file) with verdict
    ``total``, then one with verdict ``summary``.

    The columns are ``file``, the answers table's own columns, then those of
    :data:`ROW_FIELDS`; a list (path numbers, terms on no path, path products)
    is one cell, its items joined by ``" ; "``. Every cell is
    :func:`~pathgrad.escaping.csv_cell`: control, bidi and line-break
    characters escaped, and a cell that a spreadsheet would read as a formula
    (``= + - @``) prefixed with ``'``, closed forms such as ``-w2*x1`` included;
    numbers stay numbers. The JSON report carries every text unchanged.

    >>> from pathgrad.grade.rows import report_row
    >>> print(rows_to_csv([report_row("=cmd.py", "w1", "-w2*x1", "invalid", "-2")]), end="")
    file,leaf,answer,verdict,score,expected,value,expected_value,matched,missing,extra,paths,message
    '=cmd.py,w1,'-w2*x1,invalid,0.0,,,,,,,,-2
    '=cmd.py,,,total,0.0,,,,,,,,'=cmd.py: total 0 of 1 (1 invalid)
    ,,,summary,0.0,,,,,,,,"0 right, 0 partial, 0 wrong, 1 invalid, 0 errors; score 0 of 1"
    """
    columns = columns_of(rows)
    done = summary(rows)
    table = [
        *rows,
        *(_total_row(total, columns) for total in totals(rows)),
        {"verdict": "summary", "score": done["score"], "message": done["text"]},
    ]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(c) for c in columns])
    for row in table:
        writer.writerow([csv_cell(_cell(row.get(c))) for c in columns])
    return out.getvalue()


def rows_to_json(rows):
    """Rows as one JSON object (a stable contract, ``"schema": 2``): ``columns`` (as in the
    CSV), ``rows`` (each with those keys; ``paths`` lists each path's ``nodes``,
    ``product`` and ``value``), ``totals`` and ``summary`` (see
    :func:`pathgrad.grade.scores.totals` and :func:`~pathgrad.grade.scores.summary`).

    Strings are carried unchanged; control, bidi and line-break characters
    (and bytes of a file name that is not UTF-8) are written as ``\\uXXXX``.
    """
    columns = columns_of(rows)
    report = {
        "schema": 2,
        "columns": columns,
        "rows": [{c: row.get(c) for c in columns} for row in rows],
        "totals": totals(rows),
        "summary": summary(rows),
    }
    return json_visible(json.dumps(report, indent=2, ensure_ascii=False))


def _score(row):
    return "" if row["score"] is None else f" ({row['score']:g})"


def rows_to_text(rows):
    """One line per row, ``FILE: [COLUMN VALUE: ...] LEAF: VERDICT (SCORE): message``; a total
    per student (or file) when one has several answers; then, for more than one row, the
    summary line.

    Each line is :func:`~pathgrad.escaping.visible`, so a row is always one
    line and nothing in it reaches the terminal as a control sequence.
    """
    own = table_columns(rows)
    lines = []
    for row in rows:
        where = f"{row['file']}: " if row.get("file") else ""
        where += "".join(f"{name} {row[name]}: " for name in own if row.get(name))
        leaf = f"{row['leaf']}: " if row.get("leaf") else ""
        lines.append(visible(f"{where}{leaf}{row['verdict']}{_score(row)}: {row['message']}"))
    groups = [group_of(row) for row in rows if row["score"] is not None]
    if len(groups) > len(set(groups)):  # someone has several answers: their totals
        lines += [visible(total_text(total)) for total in totals(rows)]
    if len(rows) > 1:
        lines.append(visible(summary(rows)["text"]))
    return "\n".join(lines)


def exit_status(rows):
    """0 when every row is right (or only explained), else 3 (see the CLI wiring)."""
    return 0 if all(r["verdict"] in ("right", "explained") for r in rows) else 3
