"""The command line: parse options, call the library, render, return an exit code.

Exit status: 0 on success, 2 on a problem with the input (one line on
standard error: ``pathgrad: FILE:LINE: what is wrong``), 1 only for a bug.
Nothing here computes; sympy is imported only once a command needs it, so
``pathgrad --help`` and ``pathgrad --version`` stay fast.
"""

import argparse
import os
import sys
import unicodedata

from pathgrad import __version__
from pathgrad.render.escaping import visible, visible_lines

#: --format NAME -> the module in pathgrad.render that renders it
FORMATS = {
    "text": "text",
    "json": "json",
    "latex": "latex",
    "markdown": "markdown",
    "html": "report",
}


def _name(text):
    """A name as Python reads it (NFKC: a fullwidth ｗ1 is w1), as leaf and variable names are."""
    return unicodedata.normalize("NFKC", text.strip())


def _names(text):
    names = [_name(n) for n in text.split(",") if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give one or more leaf names, e.g. --wrt w1,w2")
    return names


def _count(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


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
        type=_count,
        default=None,
        metavar="MiB",
        help="memory the file may use in --safe mode (default: 1024)",
    )


def _limits(args):
    """The safe-mode limits with the command's --timeout and --memory."""
    from pathgrad.safe.limits import Limits, active

    given = {"wall_time_seconds": args.timeout, "memory_mib": args.memory}
    return Limits(**{**active().as_dict(), **{k: v for k, v in given.items() if v is not None}})


def parser():
    p = argparse.ArgumentParser(
        prog="pathgrad",
        description="See why a gradient is what it is: every path from the loss to a leaf, "
        "multiplied along and summed.",
    )
    p.add_argument("--version", action="version", version=f"pathgrad {__version__}")
    commands = p.add_subparsers(dest="command", metavar="COMMAND")
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
        type=_names,
        action="extend",
        metavar="A,B",
        help="leaves to explain (default: every leaf that requires grad)",
    )
    explain.add_argument(
        "--loss",
        type=_name,
        metavar="NAME",
        help="the variable to differentiate (default: what backward() was called on, "
        "else the last one assigned)",
    )
    explain.add_argument(
        "--max-paths",
        type=_count,
        default=20,
        metavar="N",
        help="list at most N paths per gradient; the rest are counted and "
        "summed regrouped (default: 20)",
    )
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
        "--safe",
        action="store_true",
        help="for files you did not write: validate and interpret the file "
        "instead of running it as Python (see README)",
    )
    explain.add_argument(
        "--format", choices=list(FORMATS), default="text", help="output format (default: text)"
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
        picture = commands.add_parser(name, help=helptext, description=description)
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
            type=_name,
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
            type=_name,
            metavar="NAME",
            help="the variable to differentiate (default: the last assigned)",
        )
        picture.add_argument(
            "--safe",
            action="store_true",
            help="validate and interpret the file instead of running it",
        )
        _bounds(picture)
    check = commands.add_parser(
        "check",
        help="check hand-derived gradients against the paths, in safe mode",
        description="Check a student's gradient against the paths of FILE, in safe mode; "
        "a FOLDER checks every .py file in it, each in its own process, in "
        "parallel. Exit status 0: every answer right; 3: an answer is partly "
        "right, wrong or unreadable, or a student file failed.",
    )
    check.add_argument("target", metavar="FILE|FOLDER", help="a student's file, or a folder")
    check.add_argument("--wrt", type=_name, metavar="LEAF", help="the leaf the answers are about")
    answers = check.add_mutually_exclusive_group(required=True)
    answers.add_argument(
        "--answer", metavar="FORMULA", help='the hand-derived gradient, e.g. "-w2*x1 - w3*x2"'
    )
    answers.add_argument(
        "--answers",
        metavar="CSV",
        help="a table of answers: columns leaf,answer or file,leaf,answer",
    )
    check.add_argument("--loss", type=_name, metavar="NAME", help="the variable to differentiate")
    check.add_argument(
        "--jobs",
        type=_count,
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
    check.add_argument("--force", action="store_true", help="replace OUT if it exists")
    commands.add_parser("examples", help="list the bundled example files")
    return p


class Console:
    """Standard output that escapes what its encoding cannot show, instead of crashing.

    On an ASCII-only console (``PYTHONIOENCODING=ascii``, an old Windows code
    page) a leaf named ``θ`` is written ``\\u03b8``, and in an HTML report as the
    character reference ``&#952;``, which a browser shows as θ.

    >>> import io
    >>> buffer = io.BytesIO()
    >>> Console(io.TextIOWrapper(buffer, encoding="ascii")).write("θ = 2")
    10
    """

    def __init__(self, stream, errors="backslashreplace"):
        self.stream, self.errors = stream, errors
        self.encoding = getattr(stream, "encoding", None) or "utf-8"

    def html(self):
        """The same console, escaping as HTML character references."""
        return Console(self.stream, "xmlcharrefreplace")

    def write(self, text):
        try:
            text.encode(self.encoding)
        except UnicodeEncodeError:
            text = text.encode(self.encoding, self.errors).decode(self.encoding)
        except LookupError:
            pass
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()


def _style(requested, stream):
    if requested:
        return requested
    try:
        "∂·→—✓".encode(stream.encoding or "ascii")
        return "unicode"
    except (UnicodeEncodeError, LookupError):
        return "ascii"


EXPLAIN_OPTIONS = ("wrt", "max_paths", "check", "method", "in_terms_of")


def run_explain(args, out):
    request = {key: getattr(args, key) for key in ("loss", "format", *EXPLAIN_OPTIONS)}
    request["style"] = _style(args.style, out)
    if args.safe:  # the whole run, not only the file, in a process bounded in time and memory
        from pathgrad.safe.worker import run_bounded
        from pathgrad.trace.reading import read_source

        request["text"], request["file"] = read_source(args.file, safe=True)
        result = run_bounded(
            "pathgrad.cli:explain_request", request, _limits(args), file=request["file"]
        )
    else:
        request["file"] = args.file
        result = explain_request(request)
    # the file's print(), captured in the worker: untrusted, so no control reaches the terminal
    sys.stderr.write(visible_lines(result.get("printed", "")))
    if request["format"] == "html" and isinstance(out, Console):
        out = out.html()
    out.write(result["output"])
    from pathgrad.errors import Disagreement, PathgradError

    kinds = {1: Disagreement, 2: PathgradError}
    return [
        kinds[status](message, file=file, line=line)
        for message, file, line, status in result["problems"]
    ]


def explain_request(request):
    """Explain and render one file as ``request`` asks: ``{"output", "problems"}`` (JSON data).

    Runs in this process, or (``--safe``) in a bounded worker process.
    """
    import contextlib
    import io
    from importlib import import_module

    from pathgrad.explanation import explain_program
    from pathgrad.trace.loader import load, load_source

    options = {key: request[key] for key in EXPLAIN_OPTIONS}
    printed = io.StringIO()
    if "text" in request:  # what the file prints is handed back (safe mode bounds it)
        with contextlib.redirect_stderr(printed):
            program = load_source(request["text"], request["file"], request["loss"], safe=True)
    else:
        program = load(request["file"], request["loss"])
    explanation = explain_program(program, **options)
    renderer = import_module(f".render.{FORMATS[request['format']]}", __package__)
    style = (request["style"],) if request["format"] == "text" else ()
    output = renderer.render(explanation, *style) + "\n"
    if "text" in request:
        from pathgrad.safe.limits import OutputBudget

        OutputBudget(file=request["file"]).add(output)
    return {
        "output": output,
        "printed": printed.getvalue(),
        "problems": [[p.message, p.file, p.line, p.exit_status] for p in explanation.problems],
    }


def _may_write(args, names=None):
    """Refuse, before any work where possible, an output that would replace what the user had:
    the input itself, or (without ``--force``) an existing file or frame."""
    from pathlib import Path

    from pathgrad.pictures.output import may_write

    inputs = [args.file] if args.file != "-" and os.path.lexists(args.file) else []
    for target in [args.output] if names is None else [Path(args.output) / n for n in names]:
        may_write(target, inputs, args.force)


def run_picture(args, out):
    from pathgrad.pictures.drawing import is_folder

    folder = args.command == "steps" and is_folder(args.output)
    if not folder:
        _may_write(args)
    if args.safe:
        return _run_picture_bounded(args, out)
    from pathgrad.explanation import explain
    from pathgrad.pictures.drawing import draw, steps

    explanation = explain(
        args.file, loss=args.loss, safe=args.safe, wrt=[args.wrt] if args.wrt else []
    )
    make = draw if args.command == "graph" else steps
    picture = make(explanation, wrt=args.wrt, values=args.values)
    if folder:
        _may_write(args, picture.names())
    written = picture.save(args.output)
    if isinstance(written, list):
        out.write(f"wrote {len(written)} frames to {visible(args.output)}\n")
    else:
        out.write(f"wrote {visible(written)}\n")
    return explanation.problems


def _run_picture_bounded(args, out):
    """graph/steps --safe: load, explain and draw in the bounded worker; write here."""
    import base64
    from pathlib import Path

    from pathgrad.errors import PathgradError
    from pathgrad.pictures.drawing import is_folder
    from pathgrad.pictures.output import write_atomic
    from pathgrad.safe.worker import run_bounded
    from pathgrad.trace.reading import read_source

    text, file = read_source(args.file, safe=True)
    folder = args.command == "steps" and is_folder(args.output)
    request = {
        "text": text,
        "file": file,
        "loss": args.loss,
        "wrt": args.wrt,
        "values": args.values,
        "command": args.command,
        "output": str(args.output),
        "folder": folder,
    }
    result = run_bounded("pathgrad.cli:picture_request", request, _limits(args), file=file)
    files = [
        (name, base64.b64decode(data["base64"]) if isinstance(data, dict) else data)
        for name, data in result["files"]
    ]
    if folder:
        _may_write(args, [name for name, _ in files])
        target = Path(args.output)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise PathgradError(
                f"cannot make the folder: {err.strerror or err}", file=str(args.output)
            ) from err
        for name, data in files:
            write_atomic(target / name, data)
        out.write(f"wrote {len(files)} frames to {visible(args.output)}\n")
    else:
        out.write(f"wrote {visible(write_atomic(args.output, files[0][1]))}\n")
    return [
        PathgradError(message, file=where, line=line) for message, where, line in result["problems"]
    ]


def picture_request(request):
    """Draw one file as ``request`` asks, in the bounded worker: ``{"files", "problems"}``.

    ``files`` are ``[name, text or {"base64": ...}]``; what they weigh in all
    is bounded (:class:`pathgrad.safe.sandbox.OutputBudget`), and so is the number of frames.
    """
    import base64

    from pathgrad.explanation import explain_program
    from pathgrad.pictures.drawing import draw, steps
    from pathgrad.pictures.output import format_of, graphviz
    from pathgrad.safe.limits import OutputBudget
    from pathgrad.trace.loader import load_source

    budget = OutputBudget(file=request["file"])
    program = load_source(request["text"], request["file"], request["loss"], safe=True)
    wrt = request["wrt"]
    explanation = explain_program(program, wrt=[wrt] if wrt else [])
    if request["command"] == "graph":
        kind = format_of(request["output"])
        drawing = draw(explanation, wrt=wrt, values=request["values"])
        data = (
            graphviz(drawing.dot, kind, request["output"])
            if kind in ("png", "pdf")
            else (getattr(drawing, kind))
        )
        files = [["", budget.add(data)]]
    else:
        story = steps(explanation, wrt=wrt, values=request["values"])
        if request["folder"]:
            budget.frames(len(story))
            files = [[name, budget.add(story.svg(i))] for i, name in enumerate(story.names())]
        else:
            if format_of(request["output"]) != "html":
                from pathgrad.errors import PathgradError

                raise PathgradError(
                    "steps are saved as one .html player or as a folder (DIR/) of one SVG per step",
                    file=request["output"],
                )
            files = [["", budget.add(story.html)]]
    files = [
        [
            name,
            {"base64": base64.b64encode(data).decode("ascii")} if isinstance(data, bytes) else data,
        ]
        for name, data in files
    ]
    return {"files": files, "problems": [[p.message, p.file, p.line] for p in explanation.problems]}


def run_check(args, out):
    from pathlib import Path

    from pathgrad import grade as grading
    from pathgrad.pictures.output import may_write

    target = Path(args.target)
    if args.output:  # before any work: a report never replaces a submission
        may_write(args.output, [args.target, *([args.answers] if args.answers else [])], args.force)
    if target.is_dir():
        answers = args.answer if args.answer is not None else Path(args.answers)
        rows = grading.grade_folder(
            target,
            args.wrt,
            answers,
            jobs=args.jobs,
            timeout=_limits(args).wall_time_seconds,
            memory_mib=_limits(args).memory_mib,
            loss=args.loss,
        )
    elif args.answer is not None:
        if not args.wrt:
            from pathgrad.errors import PathgradError

            raise PathgradError(
                "--answer needs --wrt LEAF: the leaf the answer is about", file=args.target
            )
        rows = grading.check_file(
            args.target, [(args.wrt, args.answer)], loss=args.loss, limits=_limits(args)
        )
    else:
        rows = grading.check_answers_table(
            args.answers, file=args.target, wrt=args.wrt, loss=args.loss, limits=_limits(args)
        )
    report = {
        "text": grading.rows_to_text,
        "csv": grading.rows_to_csv,
        "json": grading.rows_to_json,
    }[args.format](rows)
    if args.output:
        from pathgrad.pictures.output import write_atomic

        write_atomic(args.output, report)
        out.write(f"wrote {visible(args.output)}\n")
    else:
        out.write(report if report.endswith("\n") else report + "\n")
    return grading.exit_status(rows)


def run_examples(args, out):
    from pathgrad.trace.reading import EXAMPLES, example_names

    for name in example_names():
        lines = (EXAMPLES / f"{name}.py").read_text().split("\n")
        about = next((line.lstrip("# ") for line in lines if line.startswith("#")), "")
        out.write(f"{name:<12} {about}\n")
    return []


CHECKS = ("sympy", "torch", "all")


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
    from pathgrad.errors import PathgradError

    try:
        run = {
            "explain": run_explain,
            "graph": run_picture,
            "steps": run_picture,
            "check": run_check,
            "examples": run_examples,
        }[args.command]
        problems = run(args, Console(sys.stdout))
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
    for stream in (sys.stdout, sys.stderr):  # a character the locale cannot show: \xe9, not a crash
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):
            pass
    sys.exit(main())
