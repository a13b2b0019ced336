"""A Jupyter cell magic: write an expression file in a cell and see it explained.

In a notebook::

    %load_ext pathgrad

    %%pathgrad --wrt w1
    x1 = 1
    w1 = 2
    L = (w1 * x1 - 3) ** 2

The cell's body is an expression file (see README, "The expression file"); the
first line takes the options of ``pathgrad explain`` (``--wrt``, ``--loss``,
``--max-paths``, ``--check``, ``--method``, ``--in-terms-of``, ``--safe``). The
cell shows the explanation with its picture. ``%%pathgrad graph [--wrt LEAF]
[--values] [--direction LR|TB|auto]`` shows only the picture, ``%%pathgrad steps
[--wrt LEAF] [--values] [--direction ...] [--present]`` the step player inline. A
problem with the cell is one line on standard error, as on the command line, never
a traceback.

The body runs as Python in the notebook's process, as a cell does; ``--safe``
validates and interprets it instead.

>>> from pathgrad.magic import pathgrad_cell
>>> e = pathgrad_cell("--wrt w1", "w1 = 2\\nx = 3\\nL = w1 * x")
>>> e.gradients["w1"].closed_form, e.gradients["w1"].value
(x, 3.0)
"""

import argparse
import shlex
import sys

from pathgrad.cli import normalise_arguments
from pathgrad.cli_arguments import DIRECTIONS
from pathgrad.cli_parser import parser
from pathgrad.errors import PathgradError
from pathgrad.escaping import visible
from pathgrad.explanation import explain_program
from pathgrad.pictures.drawing import draw, steps
from pathgrad.trace.loader import load_source

VIEWS = ("explain", "graph", "steps")


def load_ipython_extension(ipython):
    """Register ``%%pathgrad`` (IPython calls this for ``%load_ext pathgrad``)."""
    ipython.register_magic_function(pathgrad_cell, magic_kind="cell", magic_name="pathgrad")


def _picture_parser(directions):
    """The options a picture takes beside ``explain``'s: --values, --direction, --present."""
    picture = argparse.ArgumentParser(prog="%%pathgrad", add_help=False)
    picture.add_argument("--values", action="store_true")
    picture.add_argument(
        "--direction",
        type=lambda text: {d.lower(): d for d in directions}.get(text.lower(), text),
        choices=directions,
        default="auto",
    )
    picture.add_argument("--present", action="store_true")
    return picture


def _options(line):
    """The view, the picture's options and the parsed ``explain`` options of the first line."""
    words = shlex.split(line)
    view = words.pop(0) if words and words[0] in VIEWS else "explain"
    try:
        shown, words = _picture_parser(DIRECTIONS).parse_known_args(words)
        args = parser().parse_args(normalise_arguments(["explain", "<cell>", *words]))
    except SystemExit:  # argparse has printed the usage line and the problem
        return None
    return view, shown, args


def pathgrad_cell(line, cell):
    """Explain the cell's body; return what the notebook shows (or None after a problem).

    Parameters
    ----------
    line : str
        The options after ``%%pathgrad``: an optional view (``explain``,
        ``graph``, ``steps``), then options of ``pathgrad explain``.
    cell : str
        The expression file.

    Returns
    -------
    Explanation, Drawing, Steps or None
        An object that shows itself in the notebook (see :mod:`pathgrad.notebook`).
    """
    parsed = _options(line)
    if parsed is None:
        return None
    view, shown, args = parsed
    try:
        program = load_source(cell, "<cell>", args.loss, args.safe, args.constants or ())
        explanation = explain_program(
            program,
            wrt=args.wrt,
            max_paths=args.max_paths,
            check=args.check,
            method=args.method,
            in_terms_of=args.in_terms_of,
            substitute_constants=args.substitute_constants,
        )
    except PathgradError as err:
        print(f"pathgrad: {visible(err)}", file=sys.stderr)
        return None
    for problem in explanation.problems:
        print(f"pathgrad: {visible(problem)}", file=sys.stderr)
    if view == "explain":
        return explanation
    wrt = args.wrt[0] if args.wrt else None
    if view == "graph":
        return draw(explanation, wrt=wrt, values=shown.values, direction=shown.direction)
    return steps(explanation, wrt, shown.values, direction=shown.direction, present=shown.present)
