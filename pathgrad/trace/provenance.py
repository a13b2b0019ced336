"""Where a traced value comes from: its place in creation order and its source line.

Nodes of the graph are numbered in the order their values were created (operands before
the operations that use them), and each remembers the line of the user's file it came
from: the first frame outside the pathgrad package.
"""

import bisect
import itertools
import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # pathgrad/
_ids = itertools.count()


def next_id():
    """The next number in creation order (nodes are numbered by it)."""
    return next(_ids)


def caller_line():
    """The line of the first frame outside pathgrad: where the user's code is."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    return line_of(frame) if frame is not None else None


def line_of(frame):
    """``frame.f_lineno``, from a table made once per code object.

    Python finds ``f_lineno`` by reading the code's line table from its start, so on a
    file of n straight-line statements (its module code one long code object) asking
    at every operation took time quadratic in n.
    """
    code = frame.f_code
    table = _tables.get(id(code))
    if table is None or table[0] is not code:
        table = _tables[id(code)] = (code, *_line_table(code))
        if len(_tables) > 256:  # a file's code objects are few; forget the oldest
            del _tables[next(iter(_tables))]
    _, starts, lines = table
    i = bisect.bisect_right(starts, frame.f_lasti) - 1
    line = lines[i] if i >= 0 else None
    return frame.f_lineno if line is None or frame.f_trace is not None else line


#: id(code) -> (code, starts, lines); keyed by id, as hashing a code object reads all of it.
_tables = {}


def _line_table(code):
    """Where each run of ``code``'s bytecode starts, and its line (``co_lines``)."""
    starts, lines = [], []
    for start, _end, line in code.co_lines():
        starts.append(start)
        lines.append(line)
    return starts, lines
