"""The work of ``explain`` and of ``graph``/``steps``, as requests that can run in a worker.

A request and its answer are JSON data, so that ``--safe`` can run the whole
of it (loading, explaining, rendering or drawing) in a process bounded in time
and memory (:func:`pathgrad.safe.sandbox.run_bounded`, with the targets
``"pathgrad.cli_requests:explain_request"`` and
``"pathgrad.cli_requests:picture_request"``); only writing the result happens
in the command's own process (:mod:`pathgrad.cli_commands`).

>>> request = {"file": "seed", "loss": None, "format": "text", "style": "ascii",
...            "wrt": ["w1"], "max_paths": 20, "check": False, "method": "auto",
...            "in_terms_of": "auto"}
>>> "dL/dw1 = -w2*x1 - w3*x2 = -8" in explain_request(request)["output"]
True
"""

import base64
import contextlib
import io
from importlib import import_module

from pathgrad.cli_parser import FORMATS
from pathgrad.errors import NameNotFound, PathgradError
from pathgrad.explanation import explain_program
from pathgrad.pictures.output import format_of, graphviz
from pathgrad.safe.limits import OutputBudget
from pathgrad.trace.elements import element_name
from pathgrad.trace.loader import load, load_source

#: The options of ``pathgrad explain`` an explain request carries to the explanation.
EXPLAIN_OPTIONS = (
    "wrt",
    "max_paths",
    "path_budget",
    "check",
    "method",
    "in_terms_of",
    "substitute_constants",
)


def explain_request(request):
    """Explain and render one file as ``request`` asks: ``{"output", "problems"}`` (JSON data).

    Runs in this process, or (``--safe``) in a bounded worker process.
    """
    options = {key: request[key] for key in EXPLAIN_OPTIONS if key in request}
    printed = io.StringIO()
    if "text" in request:  # what the file prints is handed back (safe mode bounds it)
        with contextlib.redirect_stderr(printed):
            program = load_source(
                request["text"], request["file"], request["loss"], True, _constants(request)
            )
    else:
        program = load(request["file"], request["loss"], constants=_constants(request))
    explanation = explain_program(program, **options)
    for element in request.get("elements") or ():
        if element_name(element) not in explanation.gradients:
            raise NameNotFound(
                f"--element {element}: no element of that name is explained "
                f"(explained: {', '.join(explanation.gradients)})",
                file=program.file,
            )
    renderer = import_module(f".render.{FORMATS[request['format']]}", __package__)
    text = request["format"] == "text"
    style = (
        (request["style"], request.get("elements") or (), request.get("paths", "auto"))
        if text
        else ()
    )
    output = renderer.render(explanation, *style) + "\n"
    if "text" in request:
        OutputBudget(file=request["file"]).add(output)
    return {
        "output": output,
        "printed": printed.getvalue(),
        "problems": [[p.message, p.file, p.line, p.exit_status] for p in explanation.problems],
    }


def picture_request(request):
    """Draw one file as ``request`` asks, in the bounded worker: ``{"files", "problems"}``.

    ``files`` are ``[name, text or {"base64": ...}]``; what they weigh in all
    is bounded (:class:`pathgrad.safe.sandbox.OutputBudget`), and so is the number of frames.
    """
    budget = OutputBudget(file=request["file"])
    program = load_source(request["text"], request["file"], request["loss"], safe=True)
    wrt = request["wrt"]
    explanation = explain_program(program, wrt=[wrt] if wrt else [])
    make = _graph_files if request["command"] == "graph" else _steps_files
    files = make(explanation, request, budget)
    return {
        "files": [_as_json(name, data) for name, data in files],
        "problems": [[p.message, p.file, p.line] for p in explanation.problems],
    }


def _graph_files(explanation, request, budget):
    """``pathgrad graph``: the one picture, in the format of the output's suffix."""
    from pathgrad.pictures.drawing import draw  # graph only: explain does not wait for it

    kind = format_of(request["output"])
    drawing = draw(
        explanation,
        wrt=request["wrt"],
        values=request["values"],
        direction=request.get("direction", "auto"),
        level=request.get("level", "auto"),
    )
    data = (
        graphviz(drawing.dot, kind, request["output"])
        if kind in ("png", "pdf")
        else (getattr(drawing, kind))
    )
    return [["", budget.add(data)]]


def _steps_files(explanation, request, budget):
    """``pathgrad steps``: one SVG per frame for a folder, else the one HTML player."""
    from pathgrad.pictures.drawing import steps  # steps only: explain does not wait for it

    story = steps(
        explanation,
        wrt=request["wrt"],
        values=request["values"],
        direction=request.get("direction", "auto"),
        present=request.get("present", False),
    )
    if request["folder"]:
        budget.frames(len(story))
        return [[name, budget.add(story.svg(i))] for i, name in enumerate(story.names())]
    if format_of(request["output"]) != "html":
        raise PathgradError(
            "steps are saved as one .html player or as a folder (DIR/) of one SVG per step",
            file=request["output"],
        )
    return [["", budget.add(story.html)]]


def _as_json(name, data):
    """A file as JSON data: ``[name, text]``, or ``[name, {"base64": ...}]`` for bytes."""
    if isinstance(data, bytes):
        return [name, {"base64": base64.b64encode(data).decode("ascii")}]
    return [name, data]


def _constants(request):
    """The names ``--const`` made constants (none in a request that predates the option)."""
    return request.get("constants") or ()
