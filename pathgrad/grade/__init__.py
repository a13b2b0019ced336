"""Grading: a hand-derived gradient read (``answers``), compared with the paths
(``matching``, with ``compare`` and ``term_matching``), for one file (``file_checks``),
a table of answers (``tables``) or a folder of submissions (``folders``), scored
(``rows``, ``scores``) and reported (``reports``, and ``feedback`` pages for each
student): ``pathgrad check``.
"""

from pathgrad.errors import AnswerError
from pathgrad.grade.answers import parse_answer
from pathgrad.grade.feedback import feedback_pages
from pathgrad.grade.file_checks import MAX_PATHS_CHECKED, check_file, check_rows, grade_file
from pathgrad.grade.folders import (
    TIMEOUT_SECONDS,
    TOTAL_MEMORY_MIB,
    grade_folder,
    workers_at_once,
)
from pathgrad.grade.matching import AnswerCheck, check_answer
from pathgrad.grade.reports import exit_status, rows_to_csv, rows_to_json, rows_to_text
from pathgrad.grade.rows import ROW_FIELDS, SEPARATOR, VERDICTS
from pathgrad.grade.scores import summary, totals
from pathgrad.grade.tables import check_answers_table, read_answers

__all__ = [
    "MAX_PATHS_CHECKED",
    "ROW_FIELDS",
    "SEPARATOR",
    "TIMEOUT_SECONDS",
    "TOTAL_MEMORY_MIB",
    "VERDICTS",
    "AnswerCheck",
    "AnswerError",
    "check_answer",
    "check_answers_table",
    "check_file",
    "check_rows",
    "exit_status",
    "feedback_pages",
    "grade_file",
    "grade_folder",
    "parse_answer",
    "read_answers",
    "rows_to_csv",
    "rows_to_json",
    "rows_to_text",
    "summary",
    "totals",
    "workers_at_once",
]
