"""The command line: parse the options, run the command, return an exit code.

Exit status: 0 on success, 2 on a problem with the input (one line on
standard error: ``pathgrad: FILE:LINE: what is wrong``), 1 only for a bug;
``pathgrad check`` says 3 when an answer is not right. What each command does
is :mod:`pathgrad.cli_commands`, imported only once a command runs, so that
``pathgrad --help`` and ``pathgrad --version`` stay fast (no sympy).

>>> args = parser().parse_args(normalise_arguments(["explain", "seed", "--check"]))
>>> args.command, args.file, args.check, args.format
('explain', 'seed', 'sympy', 'text')
"""

import os
import sys

from pathgrad.cli_parser import CHECKS, FORMATS, parser
from pathgrad.errors import PathgradError
from pathgrad.escaping import visible

__all__ = ["CHECKS", "FORMATS", "entry", "main", "normalise_arguments", "parser"]


def normalise_arguments(argv):
    """Two readings argparse gets wrong, made explicit.

    ``--answer -w2*x1`` is an answer, not an option (``--answer=-w2*x1``), and
    in ``--check seed`` the file is not a kind of check (``--check=sympy seed``).
    """
    glued, argv = [], list(argv)
    while argv:
        item = argv.pop(0)
        if item == "--answer" and argv:
            item = f"--answer={argv.pop(0)}"
        elif item == "--check" and (not argv or argv[0] not in CHECKS):
            item = "--check=sympy"
        glued.append(item)
    return glued


def main(argv=None):
    """Run the command line; return the exit status."""
    argv = normalise_arguments(sys.argv[1:] if argv is None else argv)
    args = parser().parse_args(argv)
    if args.command is None:
        parser().print_help()
        return 2
    try:
        # why: the commands import sympy; importing them only now keeps --help fast
        from pathgrad.cli_commands import Console, run_command

        problems = run_command(args, Console(sys.stdout))
    except PathgradError as err:
        print(f"pathgrad: {visible(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug in pathgrad, not in the user's file
        if os.environ.get("PATHGRAD_DEBUG"):
            raise
        print(
            f"pathgrad: internal error ({type(err).__name__}: {visible(err)}); this is a bug in "
            "pathgrad: please report it with the file (PATHGRAD_DEBUG=1 shows the traceback)",
            file=sys.stderr,
        )
        return 1
    if isinstance(problems, int):  # pathgrad check: its own exit status
        return problems
    for problem in problems:
        print(f"pathgrad: {visible(problem)}", file=sys.stderr)
    return max((p.exit_status for p in problems), default=0)


def entry():
    """The ``pathgrad`` command: :func:`main`, its status the process's exit status."""
    for stream in (sys.stdout, sys.stderr):  # a character the locale cannot show: \xe9, not a crash
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    sys.exit(main())
