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
[--values]`` shows only the picture, ``%%pathgrad steps [--wrt LEAF] [--values]``
the step player inline. A problem with the cell is one line on standard error,
as on the command line, never a traceback.

The body runs as Python in the notebook's process, as a cell does; ``--safe``
validates and interprets it instead.

>>> from pathgrad.magic import pathgrad_cell
>>> e = pathgrad_cell("--wrt w1", "w1 = 2\\nx = 3\\nL = w1 * x")
>>> e.gradients["w1"].closed_form, e.gradients["w1"].value
(x, 3.0)
"""

import shlex
import sys

from pathgrad.cli import normalise_arguments, parser
from pathgrad.errors import PathgradError
from pathgrad.escaping import visible
from pathgrad.explanation import explain_program
from pathgrad.pictures.drawing import draw, steps
from pathgrad.trace.loader import load_source

VIEWS = ("explain", "graph", "steps")


def load_ipython_extension(ipython):
    """Register ``%%pathgrad`` (IPython calls this for ``%load_ext pathgrad``)."""
    ipython.register_magic_function(pathgrad_cell, magic_kind="cell", magic_name="pathgrad")


def _options(line):
    """The view and the parsed ``explain`` options of the magic's first line."""
    words = shlex.split(line)
    view = words.pop(0) if words and words[0] in VIEWS else "explain"
    values = "--values" in words
    words = [w for w in words if w != "--values"]
    try:
        args = parser().parse_args(normalise_arguments(["explain", "<cell>", *words]))
    except SystemExit:  # argparse has printed the usage line and the problem
        return None
    return view, values, args


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
    view, values, args = parsed
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
    return (draw if view == "graph" else steps)(explanation, wrt=wrt, values=values)
