"""What each command of ``pathgrad`` does: call the library, write what it made.

:func:`pathgrad.cli.main` parses the options, hands them to :func:`run_command`
and turns what comes back (the problems found, or ``check``'s own exit status)
into the exit status. This module imports sympy, so the command line imports it
only once a command runs; the pictures and the grading are imported by the
commands that use them, so that ``explain`` does not wait for them. With
``--safe`` the work runs in a bounded worker (:mod:`pathgrad.cli_requests`) and
only the writing happens here, on a :class:`Console` that never crashes on a
character it cannot show.
"""

import base64
import os
import sys
from pathlib import Path

from pathgrad.cli_requests import EXPLAIN_OPTIONS, explain_request
from pathgrad.errors import Disagreement, PathgradError
from pathgrad.escaping import visible, visible_lines
from pathgrad.explanation import explain
from pathgrad.pictures.output import may_write, write_atomic
from pathgrad.safe.limits import Limits, active
from pathgrad.safe.worker import run_bounded
from pathgrad.trace.reading import EXAMPLES, example_names, read_source


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


def style_for(requested, stream):
    """The text style: the one ``requested`` (``--ascii``, ``--unicode``), else Unicode
    where ``stream`` can show it, else ASCII."""
    if requested:
        return requested
    try:
        "∂·→—✓".encode(stream.encoding or "ascii")
        return "unicode"
    except (UnicodeEncodeError, LookupError):
        return "ascii"


def limits_of(args):
    """The safe-mode limits with the command's --timeout and --memory."""
    given = {"wall_time_seconds": args.timeout, "memory_mib": args.memory}
    return Limits(**{**active().as_dict(), **{k: v for k, v in given.items() if v is not None}})


def run_command(args, out):
    """Run the command ``args`` name, writing to ``out``: its problems, or an exit status."""
    run = {
        "explain": run_explain,
        "graph": run_picture,
        "steps": run_picture,
        "check": run_check,
        "examples": run_examples,
    }[args.command]
    return run(args, out)


def run_explain(args, out):
    keys = ("loss", "format", "constants", "elements", *EXPLAIN_OPTIONS)
    request = {key: getattr(args, key) for key in keys}
    request["style"] = style_for(args.style, out)
    request["paths"] = args.paths
    if args.safe:  # the whole run, not only the file, in a process bounded in time and memory
        request["text"], request["file"] = read_source(args.file, safe=True)
        result = run_bounded(
            "pathgrad.cli_requests:explain_request",
            request,
            limits_of(args),
            file=request["file"],
        )
    else:
        request["file"] = args.file
        result = explain_request(request)
    # the file's print(), captured in the worker: untrusted, so no control reaches the terminal
    sys.stderr.write(visible_lines(result.get("printed", "")))
    if request["format"] == "html" and isinstance(out, Console):
        out = out.html()
    out.write(result["output"])
    kinds = {1: Disagreement, 2: PathgradError}
    return [
        kinds[status](message, file=file, line=line)
        for message, file, line, status in result["problems"]
    ]


def _may_write(args, names=None):
    """Refuse, before any work where possible, an output that would replace what the user had:
    the input itself, or (without ``--force``) an existing file or frame."""
    inputs = [args.file] if args.file != "-" and os.path.lexists(args.file) else []
    for target in [args.output] if names is None else [Path(args.output) / n for n in names]:
        may_write(target, inputs, args.force)


def run_picture(args, out):
    from pathgrad.pictures import drawing  # graph and steps only: explain does not wait

    folder = args.command == "steps" and drawing.is_folder(args.output)
    if not folder:
        _may_write(args)
    if args.safe:
        return _run_picture_bounded(args, out)
    explanation = explain(
        args.file, loss=args.loss, safe=args.safe, wrt=[args.wrt] if args.wrt else []
    )
    if args.command == "graph":
        picture = drawing.draw(
            explanation,
            wrt=args.wrt,
            values=args.values,
            direction=args.direction,
            level=args.level,
        )
    else:
        picture = drawing.steps(
            explanation, args.wrt, args.values, direction=args.direction, present=args.present
        )
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
    from pathgrad.pictures import drawing  # graph and steps only: explain does not wait

    text, file = read_source(args.file, safe=True)
    folder = args.command == "steps" and drawing.is_folder(args.output)
    request = {
        "text": text,
        "file": file,
        "loss": args.loss,
        "wrt": args.wrt,
        "values": args.values,
        "direction": args.direction,
        "level": getattr(args, "level", "auto"),
        "present": getattr(args, "present", False),
        "command": args.command,
        "output": str(args.output),
        "folder": folder,
    }
    result = run_bounded(
        "pathgrad.cli_requests:picture_request", request, limits_of(args), file=file
    )
    files = [
        (name, base64.b64decode(data["base64"]) if isinstance(data, dict) else data)
        for name, data in result["files"]
    ]
    if folder:
        _write_frames(args, files, out)
    else:
        out.write(f"wrote {visible(write_atomic(args.output, files[0][1]))}\n")
    return [
        PathgradError(message, file=where, line=line) for message, where, line in result["problems"]
    ]


def _write_frames(args, files, out):
    """The frames the worker drew, each written to the folder ``args.output``."""
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


def run_check(args, out):
    from pathgrad import grade  # check only: explain does not wait for the grading

    inputs = [args.target, *([args.answers] if args.answers else [])]
    if args.output:  # before any work: a report never replaces a submission
        may_write(args.output, inputs, args.force)
    if args.feedback and os.path.lexists(args.feedback) and not os.path.isdir(args.feedback):
        raise PathgradError("is not a folder; --feedback needs one", file=args.feedback)
    rows = _checked_rows(args)
    report = {"text": grade.rows_to_text, "csv": grade.rows_to_csv, "json": grade.rows_to_json}[
        args.format
    ](rows)
    if args.output:
        write_atomic(args.output, report)
        out.write(f"wrote {visible(args.output)}\n")
    else:
        out.write(report if report.endswith("\n") else report + "\n")
    if args.feedback:
        _write_feedback(
            args, grade.feedback_pages(rows), inputs, out if args.output else sys.stderr
        )
    return grade.exit_status(rows)


def _write_feedback(args, pages, inputs, said):
    """The feedback pages, written once none would replace a file (without ``--force``) or
    an input; ``said`` is told where (standard error when the report is on standard output)."""
    folder = Path(args.feedback)
    for name in pages:
        may_write(folder / name, inputs, args.force)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise PathgradError(
            f"cannot make the folder: {err.strerror or err}", file=str(args.feedback)
        ) from err
    for name, page in pages.items():
        write_atomic(folder / name, page)
    noun = "page" if len(pages) == 1 else "pages"
    said.write(f"wrote {len(pages)} feedback {noun} to {visible(args.feedback)}\n")


def _checked_rows(args):
    """The report rows of ``pathgrad check``: a folder, one answer, or a table of answers."""
    from pathgrad import grade  # check only: explain does not wait for the grading

    target = Path(args.target)
    if target.is_dir():
        answers = args.answer if args.answer is not None else Path(args.answers)
        return grade.grade_folder(
            target,
            args.wrt,
            answers,
            jobs=args.jobs,
            timeout=limits_of(args).wall_time_seconds,
            memory_mib=limits_of(args).memory_mib,
            loss=args.loss,
            constants=args.constants or (),
        )
    if args.answer is not None:
        if not args.wrt:
            raise PathgradError(
                "--answer needs --wrt LEAF: the leaf the answer is about", file=args.target
            )
        return grade.grade_file(
            args.target,
            [(args.wrt, args.answer)],
            loss=args.loss,
            limits=limits_of(args),
            wrt=args.wrt,
            constants=args.constants or (),
        )
    return grade.check_answers_table(
        args.answers,
        file=args.target,
        wrt=args.wrt,
        loss=args.loss,
        limits=limits_of(args),
        constants=args.constants or (),
    )


def run_examples(args, out):
    for name in example_names():
        lines = (EXAMPLES / f"{name}.py").read_text().split("\n")
        about = next((line.lstrip("# ") for line in lines if line.startswith("#")), "")
        out.write(f"{name:<12} {about}\n")
    return []
