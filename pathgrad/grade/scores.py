"""Scores: a total per student (per file when the table has no ``student`` column) and a
summary of a whole report, from the rows' verdicts and scores.

>>> from pathgrad.grade.rows import report_row
>>> rows = [report_row("a.py", "w1", "1", "right", "", score=1.0),
...         report_row("a.py", "w2", "x", "partial", "", score=0.5),
...         report_row("b.py", "w1", "1", "error", "b.py:2: syntax error")]
>>> [total_text(t) for t in totals(rows)]
['a.py: total 1.5 of 2 (1 right, 1 partial)', 'b.py: total 0 of 1 (1 error)']
>>> summary_text(summary(rows))
'1 right, 1 partial, 0 wrong, 1 error; score 1.5 of 3'
"""

#: Verdicts counted together as errors: the file could not be checked.
ERRORS = ("error", "timeout", "memory")
#: What a total or a summary counts, in order.
COUNTS = ("right", "partial", "wrong", "invalid", "errors", "explained")


def _count_of(verdict):
    return "errors" if verdict in ERRORS else verdict


def group_of(row):
    """Whose row it is: ``("student", name)`` when the row has a student, else
    ``("file", name)``."""
    student = next((v for k, v in row.items() if k.lower() == "student" and v), None)
    return ("student", student) if student else ("file", row["file"])


def tally(rows):
    """Counts of each kind of verdict (:data:`COUNTS`), the sum of the scores (``score``)
    and the answers scored (``answers``)."""
    tally = dict.fromkeys(COUNTS, 0)
    for row in rows:
        tally[_count_of(row["verdict"])] = tally.get(_count_of(row["verdict"]), 0) + 1
    scored = [row["score"] for row in rows if row["score"] is not None]
    tally["score"] = round(sum(scored), 2)
    tally["answers"] = len(scored)
    return tally


def totals(rows):
    """A total per student (or file), in order of first appearance: ``student`` (or
    ``file``), ``score`` (the sum of the row scores), ``answers`` (how many) and the count
    of each verdict; only for those with an answer."""
    groups = {}
    for row in rows:
        groups.setdefault(group_of(row), []).append(row)
    found = []
    for (kind, name), mine in groups.items():
        counted = tally(mine)
        if counted["answers"]:
            found.append({kind: name, **counted})
    return found


def summary(rows):
    """The whole report: the count of each verdict (``errors`` for files that could not be
    checked), the sum of the scores and the answers scored, and :func:`summary_text`."""
    counted = tally(rows)
    return {**counted, "text": summary_text(counted)}


def _number(score):
    return f"{score:g}"


def counts_text(counted, always=()):
    """``1 right, 1 partial``: the counts that are not 0, and those ``always`` shown."""
    parts = []
    for key in COUNTS:
        count = counted[key]
        if count or key in always:
            noun = "error" if key == "errors" and count == 1 else key
            parts.append(f"{count} {noun}")
    return ", ".join(parts)


def summary_text(counted):
    """``28 right, 3 partial, 1 wrong, 2 errors; score 29.5 of 34`` (invalid and explained
    rows counted too when there are any)."""
    text = counts_text(counted, always=("right", "partial", "wrong", "errors"))
    if counted["answers"]:
        text += f"; score {_number(counted['score'])} of {counted['answers']}"
    return text


def total_text(total):
    """``alice.py: total 1.5 of 2 (1 right, 1 partial)``, or ``student Ada: total ...``."""
    who = f"student {total['student']}" if "student" in total else str(total["file"])
    return f"{who}: total {_number(total['score'])} of {total['answers']} ({counts_text(total)})"
