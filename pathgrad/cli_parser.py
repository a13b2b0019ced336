"""The command line's parser: every command and option, with its help.

:func:`parser` is what ``pathgrad --help`` shows; :mod:`pathgrad.cli` runs it. It
imports nothing heavy (no sympy), so that ``--help`` and ``--version`` stay fast.
"""

import argparse

from pathgrad import __version__
from pathgrad import cli_arguments as arguments
from pathgrad.cli_arguments import DIRECTIONS

#: --format NAME -> the module in pathgrad.render that renders it
FORMATS = {
    "text": "text",
    "json": "json",
    "latex": "latex",
    "markdown": "markdown",
    "html": "report",
}


#: The kinds of ``--check``.
CHECKS = ("sympy", "torch", "all")


def _bounds(command, seconds=None):
    """--timeout and --memory: the bounded worker of --safe (and of check, always)."""
    default = "30" if seconds else "10"
    command.add_argument(
        "--timeout",
        type=float,
        default=seconds,
        metavar="S",
        help=f"seconds the file may take in --safe mode (default: {default})",
    )
    command.add_argument(
        "--memory",
        type=arguments.count,
        default=None,
        metavar="MiB",
        help="memory the file may use in --safe mode (default: 1024)",
    )


def parser():
    """The parser of ``pathgrad``'s options: one subcommand each."""
    p = argparse.ArgumentParser(
        prog="pathgrad",
        description="See why a gradient is what it is: every path from the loss to a leaf, "
        "multiplied along and summed.",
    )
    p.add_argument("--version", action="version", version=f"pathgrad {__version__}")
    commands = p.add_subparsers(dest="command", metavar="COMMAND")
    _explain_options(commands)
    _picture_options(commands)
    _check_options(commands)
    commands.add_parser("examples", help="list the bundled example files")
    return p


def _explain_options(commands):
    """``pathgrad explain FILE``: what to explain (and, below, how to sum and show it)."""
    explain = commands.add_parser(
        "explain",
        help="explain each gradient of an expression file as a sum over paths",
        description="Trace FILE (Python with traced values) and explain each gradient of "
        "its loss as a sum over paths.",
    )
    explain.add_argument(
        "file",
        metavar="FILE",
        help="an expression file, - for standard input, or a bundled "
        "example name (see `pathgrad examples`)",
    )
    explain.add_argument(
        "--wrt",
        type=arguments.names,
        action="extend",
        metavar="A,B",
        help="leaves to explain (default: every leaf that requires grad)",
    )
    explain.add_argument(
        "--loss",
        type=arguments.name,
        metavar="NAME",
        help="the variable to differentiate (default: what backward() was called on, "
        "else the last one assigned)",
    )
    explain.add_argument(
        "--const",
        type=arguments.names,
        action="extend",
        dest="constants",
        metavar="A,B",
        help="numbers of the file that are constants, not trained: no gradient, drawn as "
        "constants, as a tensor without requires_grad in PyTorch (in a file: p = const(2))",
    )
    explain.add_argument(
        "--max-paths",
        type=arguments.count,
        default=20,
        metavar="N",
        help="list at most N paths per gradient; the rest are counted and "
        "summed regrouped (default: 20)",
    )
    explain.add_argument(
        "--path-budget",
        type=arguments.count,
        default=2000,
        metavar="N",
        help="list paths of at most N factors in all, across every gradient (default: 2000)",
    )
    explain.add_argument(
        "--element",
        action="append",
        dest="elements",
        metavar="W[0,1]",
        help="the element of a tensor whose paths the text lists in full (default: the first)",
    )
    _sum_options(explain)
    _explain_output_options(explain)


def _sum_options(explain):
    """``pathgrad explain``: checking the sums, summing them, writing the closed forms."""
    explain.add_argument(
        "--check",
        nargs="?",
        const="sympy",
        default=False,
        choices=CHECKS,
        help="compare every gradient with sympy.diff and finite differences "
        "(--check or --check sympy), with PyTorch replaying the same "
        "graph (--check torch), or both (--check all)",
    )
    explain.add_argument(
        "--method",
        choices=("auto", "paths", "reverse", "forward"),
        default="auto",
        help="how to sum the paths: list them all (paths), or regroup them "
        "from the loss down (reverse, as backpropagation does) or from the "
        "leaf up (forward), showing each step; auto lists them when there "
        "are at most --max-paths, else uses reverse (default: auto)",
    )
    explain.add_argument(
        "--in-terms-of",
        choices=("auto", "leaves", "locals"),
        default="auto",
        help="write closed forms in leaf symbols or in the graph's own "
        "intermediate names; auto uses leaves while they stay small "
        "(default: auto)",
    )
    explain.add_argument(
        "--substitute-constants",
        action="store_true",
        help="write closed forms with the constants' values in place of their names",
    )


def _explain_output_options(explain):
    """``pathgrad explain``: --safe, and how the explanation is shown."""
    explain.add_argument(
        "--safe",
        action="store_true",
        help="for files you did not write: validate and interpret the file "
        "instead of running it as Python (see README)",
    )
    explain.add_argument(
        "--format", choices=list(FORMATS), default="text", help="output format (default: text)"
    )
    explain.add_argument(
        "--paths",
        type=arguments.paths,
        default="auto",
        metavar="all|N",
        help="text: list every path with its factors (all), or a line for each of the N "
        "largest by magnitude; auto lists them all while the text stays a few screens a "
        "gradient, else the 3 largest (default: auto)",
    )
    _bounds(explain)
    style = explain.add_mutually_exclusive_group()
    style.add_argument(
        "--ascii",
        dest="style",
        action="store_const",
        const="ascii",
        help="plain ASCII (d, *, ->) even where Unicode works",
    )
    style.add_argument(
        "--unicode",
        dest="style",
        action="store_const",
        const="unicode",
        help="Unicode (∂, ·, →) even where the terminal may not show it",
    )


def _picture_options(commands):
    """``pathgrad graph`` and ``pathgrad steps``: FILE drawn to OUT."""
    for name, helptext, description in (
        (
            "graph",
            "draw the graph: every edge labelled with its local derivative",
            "Draw FILE's graph to OUT; the suffix picks the format: .svg, .html, .dot, .mmd "
            "(Mermaid) without anything else installed; .png and .pdf through Graphviz.",
        ),
        (
            "steps",
            "the graph built one operation at a time, then the backward sweep",
            "Write the step-by-step frames of FILE's graph: an offline HTML player (OUT.html) "
            "or one SVG per frame (OUT/).",
        ),
    ):
        command = commands.add_parser(name, help=helptext, description=description)
        _picture_command(command)
        if name == "graph":
            command.add_argument("--level", **arguments.LEVEL)
        if name == "steps":
            command.add_argument(
                "--present",
                action="store_true",
                help="start the player in presenter mode: large type, each step's operation "
                "centred (the key p switches it in the player)",
            )


def _picture_command(picture):
    """The options of ``graph`` and of ``steps``: the same for both."""
    picture.add_argument(
        "file",
        metavar="FILE",
        help="an expression file, - for standard input, or an example name",
    )
    picture.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="the file (or, for steps, a folder ending in /) to write",
    )
    picture.add_argument(
        "--force", action="store_true", help="replace OUT (or its frames) if it exists"
    )
    picture.add_argument(
        "--wrt",
        type=arguments.name,
        metavar="LEAF",
        help="light up every path from the loss to LEAF, one colour each",
    )
    picture.add_argument(
        "--values",
        action="store_true",
        help="show the values of nodes and edge derivatives too",
    )
    picture.add_argument(
        "--loss",
        type=arguments.name,
        metavar="NAME",
        help="the variable to differentiate (default: the last assigned)",
    )
    picture.add_argument(
        "--direction",
        type=arguments.direction,
        choices=DIRECTIONS,
        default="auto",
        help="LR: leaves on the left, the loss on the right; TB: leaves at the top, the loss "
        "at the bottom; auto: the one drawn largest on a 16:9 screen (default: auto)",
    )
    picture.add_argument(
        "--safe",
        action="store_true",
        help="validate and interpret the file instead of running it",
    )
    _bounds(picture)


def _check_options(commands):
    """``pathgrad check FILE|FOLDER``: answers, where they come from, and the report."""
    check = commands.add_parser(
        "check",
        help="check hand-derived gradients against the paths, in safe mode",
        description="Check a student's gradient against the paths of FILE, in safe mode; "
        "a FOLDER checks every .py file in it, each in its own process, in "
        "parallel. Exit status 0: every answer right; 3: an answer is partly "
        "right, wrong or unreadable, or a student file failed.",
    )
    check.add_argument("target", metavar="FILE|FOLDER", help="a student's file, or a folder")
    check.add_argument(
        "--wrt", type=arguments.name, metavar="LEAF", help="the leaf the answers are about"
    )
    answers = check.add_mutually_exclusive_group(required=True)
    answers.add_argument(
        "--answer", metavar="FORMULA", help='the hand-derived gradient, e.g. "-w2*x1 - w3*x2"'
    )
    answers.add_argument(
        "--answers",
        metavar="CSV",
        help="a table of answers: columns leaf,answer or file,leaf,answer, and any of "
        "your own (student, ...), carried to the report",
    )
    check.add_argument(
        "--loss", type=arguments.name, metavar="NAME", help="the variable to differentiate"
    )
    check.add_argument(
        "--const",
        type=arguments.names,
        action="extend",
        dest="constants",
        metavar="A,B",
        help="numbers of the files that are constants, not trained; an answer equal once "
        "they take their values is right (in a file: p = const(2))",
    )
    _check_output_options(check)


def _check_output_options(check):
    """``pathgrad check``: how many files at once, their bounds, and the report."""
    check.add_argument(
        "--jobs",
        type=arguments.count,
        metavar="N",
        help="files checked at once (default: the number of cores)",
    )
    _bounds(check, seconds=30.0)
    check.add_argument(
        "--format",
        choices=("text", "csv", "json"),
        default="text",
        help="report format (default: text)",
    )
    check.add_argument("-o", "--output", metavar="OUT", help="write the report to OUT")
    check.add_argument(
        "--feedback",
        metavar="DIR",
        help="write a Markdown page per student (or file) to DIR: their answers, verdicts, "
        "scores and the path ledger of each right answer",
    )
    check.add_argument(
        "--force", action="store_true", help="replace OUT (or a feedback page) if it exists"
    )
