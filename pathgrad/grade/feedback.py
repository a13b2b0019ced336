"""Feedback pages: one short Markdown page per student (or per file when the answers table
has no ``student`` column), what a teacher would mail back (``pathgrad check --feedback``).

Each page gives, for every answer, the answer as written, the verdict and score, what
pathgrad says about it, and the path ledger of the right answer: each path from the
loss to the leaf, its product and value, and whether the answer has it.

Everything on a page that comes from a student (names, answers, the table's own
columns) is in a code span or escaped for Markdown (:func:`pathgrad.render.markdown.plain`),
and a page's file name is made from the student's name with ASCII letters, digits,
``-`` and ``_`` only (:func:`page_name`): it never leaves the folder it is written to.

>>> from pathgrad.grade.file_checks import check_file
>>> pages = feedback_pages(check_file("seed", [("w1", "-w2*x1")]))
>>> list(pages)
['seed.md']
>>> print(pages["seed.md"])  # doctest: +ELLIPSIS
# Feedback: seed
...
| path | nodes | product | value | your answer |
| ---: | --- | --- | ---: | --- |
| 1 | `L → x5 → w2*x3 → x3 → w1` | `-w2*x1` | -2 | has it |
| 2 | `L → x5 → w3*x4 → x4 → w1` | `-w3*x2` | -6 | misses it |
...
"""

import re
import unicodedata

from pathgrad.escaping import visible
from pathgrad.grade.rows import ROW_FIELDS
from pathgrad.grade.scores import counts_text, group_of, tally
from pathgrad.render.markdown import plain, table

#: Longest stem of a page's file name.
MAX_NAME = 64
#: Names Windows keeps for devices, whatever their suffix.
RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{d}{n}" for d in ("COM", "LPT") for n in range(1, 10)]
)


def code(text, in_table=False):
    """A code span that holds any text: fenced with more backticks than it has in a row,
    hidden characters escaped (one line); in a table, pipes escaped.

    >>> code("a`b"), code("``x|y", in_table=True)
    ('``a`b``', '``` ``x\\\\|y ```')
    """
    text = visible(text)
    if in_table:
        text = text.replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def page_name(name, taken):
    """A safe file name for the page of ``name``, not in ``taken`` (lower-cased names, to
    which it is added): ASCII letters, digits, ``-`` and ``_``, at most :data:`MAX_NAME`
    of them, never a device name; ``-2``, ``-3`` ... when two names would meet.

    >>> taken = set()
    >>> [page_name(n, taken) for n in ("alice.py", "../../etc/passwd", "Zoë", "zoe", "CON", "李")]
    ['alice.md', 'etc_passwd.md', 'Zoe.md', 'zoe-2.md', '_CON.md', 'student.md']
    """
    stem = str(name)
    stem = stem[: -len(".py")] if stem.lower().endswith(".py") else stem
    ascii_only = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_only).strip("_-")[:MAX_NAME] or "student"
    if stem.upper() in RESERVED:
        stem = f"_{stem}"
    candidate, number = stem, 2
    while candidate.lower() in taken:
        candidate, number = f"{stem}-{number}", number + 1
    taken.add(candidate.lower())
    return f"{candidate}.md"


def _number(value):
    return "?" if value is None else f"{value:g}"


def _ledger(row):
    """The paths of the right answer, and whether the answer has each."""
    have = {"right": "has it"}.get(row["verdict"])
    lines = []
    for number, path in enumerate(row["paths"], start=1):
        mark = have or ("has it" if number in row["matched"] else "misses it")
        product = code(path["product"], in_table=True)
        route = code(path["nodes"], in_table=True)
        lines.append([str(number), route, product, _number(path["value"]), mark])
    if row["answer"] is None or row["verdict"] == "invalid":
        lines = [line[:-1] for line in lines]
        return table(["path", "nodes", "product", "value"], lines, numeric=(0, 3))
    return table(["path", "nodes", "product", "value", "your answer"], lines, numeric=(0, 3))


def _section(row, whose):
    """One answer: what it was, the verdict, what pathgrad says, and the right answer."""
    loss = row["paths"][0]["nodes"].split(" → ")[0] if row["paths"] else None
    about = f"∂{loss}/∂{row['leaf']}" if loss and row["leaf"] else str(row["leaf"] or "")
    title = f"## {code(about)}" + (f" in {code(row['file'])}" if whose == "student" else "")
    out = [title, ""]
    if row["answer"] is not None:
        out += [f"Your answer: {code(row['answer'])}", ""]
    score = "" if row["score"] is None else f", score **{_number(row['score'])}** of 1"
    out += [f"**{row['verdict']}**{score}: {plain(row['message'])}", ""]
    if row["paths"]:
        value = "" if row["expected_value"] is None else f" = {_number(row['expected_value'])}"
        out += [
            f"The right answer, {code(about + ' = ' + str(row['expected']))}{value}, is the sum "
            f"of its paths, each the product of the local derivatives along it:",
            "",
            _ledger(row),
            "",
        ]
    return out


def feedback_page(rows):
    """The Markdown page of one student's (or one file's) ``rows``."""
    kind, name = group_of(rows[0])
    own = [k for k in rows[0] if k not in ROW_FIELDS and k.lower() != "student" and rows[0][k]]
    about = [f"- {plain(k)}: {code(rows[0][k])}" for k in own]
    if kind == "student":
        files = sorted({str(row["file"]) for row in rows})
        about.append(f"- file{'s' if len(files) > 1 else ''}: " + ", ".join(map(code, files)))
    done = tally(rows)
    if done["answers"]:
        about.append(
            f"- score: **{_number(done['score'])}** of {done['answers']} ({counts_text(done)})"
        )
    out = [f"# Feedback: {plain(name)}", "", *about, ""]
    for row in rows:
        out += _section(row, kind)
    return "\n".join(out).rstrip() + "\n"


def feedback_pages(rows):
    """``{file name: Markdown page}``: one page per student (or file), in order of first
    appearance, each named by :func:`page_name`."""
    groups = {}
    for row in rows:
        groups.setdefault(group_of(row), []).append(row)
    taken, pages = set(), {}
    for (_, name), mine in groups.items():
        pages[page_name(name, taken)] = feedback_page(mine)
    return pages
