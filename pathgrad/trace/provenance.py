"""Where a traced value comes from: its place in creation order and its source line.

Nodes of the graph are numbered in the order their values were created (operands before
the operations that use them), and each remembers the line of the user's file it came
from: the first frame outside the pathgrad package.
"""

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
    return frame.f_lineno if frame is not None else None
