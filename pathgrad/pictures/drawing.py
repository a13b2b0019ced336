"""Pictures from Python: :func:`draw` the graph, or play it :func:`steps` by step.

Both take an explanation, a graph or a traced value, and return objects a
notebook displays (``_repr_svg_``, ``_repr_html_``) and that save to a file
whose suffix picks the format, written atomically (:mod:`pathgrad.pictures.output`).
PNG and PDF go through Graphviz's ``dot`` when it is installed; everything
else is pure Python.

(The module is ``drawing``, not ``draw``: a submodule named like the
function ``pathgrad.draw`` would replace it on the package when imported.)

>>> from pathgrad.explanation import explain
>>> d = draw(explain("seed"), wrt="w1")
>>> d.svg.startswith("<svg") and 'data-path="1 2"' in d.svg
True
>>> d.dot.splitlines()[1], d.mermaid.splitlines()[0]
('digraph pathgrad {', 'flowchart RL')
>>> d.direction, draw(explain("mlp")).direction  # "auto": the one drawn largest on 16:9
('LR', 'TB')
>>> draw(explain("mlp")).size, draw(explain("mlp"), direction="LR").size
((728.0, 1299.9), (2421.3, 420.0))
>>> draw(explain("seed"), direction="TB").mermaid.splitlines()[0]
'flowchart BT'
>>> s = steps(explain("seed"), wrt="w1")
>>> len(s), s[0].kind, s[-1].kind
(15, 'leaves', 'done')
"""

import os
from functools import cached_property
from pathlib import Path

import networkx as nx

from pathgrad.errors import NameNotFound, PathgradError
from pathgrad.explanation import explain_graph
from pathgrad.explanation.model import Options
from pathgrad.graph import build_graph, leaves, node_named
from pathgrad.pictures import dot as dot_format
from pathgrad.pictures import html as html_format
from pathgrad.pictures import mermaid as mermaid_format
from pathgrad.pictures import svg as svg_format
from pathgrad.pictures.frames import frames, replay
from pathgrad.pictures.layout import DIRECTIONS
from pathgrad.pictures.output import format_of, graphviz, write_atomic
from pathgrad.pictures.picture import picture
from pathgrad.pictures.player import player, player_page
from pathgrad.pictures.steps import caption, frame_svg, reserve
from pathgrad.pictures.svg import layout_picture
from pathgrad.sums.tensor_graph import has_tensors, tensor_graph
from pathgrad.trace.traced import Tensor

TEXT_FORMATS = ("svg", "html", "dot", "mermaid")
#: What ``direction=`` takes: the layout's own, or "auto" (the one drawn largest on 16:9).
DIRECTION_CHOICES = (*DIRECTIONS, "auto")


def _direction(direction):
    """``direction``, checked at the door; Graphviz's names in any case (``tb`` is TB)."""
    chosen = {c.lower(): c for c in DIRECTION_CHOICES}.get(str(direction).lower())
    if chosen is None:
        raise PathgradError(
            f"unknown direction {direction!r}: use one of " + ", ".join(DIRECTION_CHOICES)
        )
    return chosen


def _graph_of(source):
    """``(graph, explanation or None)`` from an explanation, a graph or a traced value."""

    if isinstance(source, nx.MultiDiGraph):
        return source, None
    if isinstance(source, Tensor):
        return build_graph(source), None
    if hasattr(source, "graph") and hasattr(source, "gradients"):
        return source.graph, source
    raise PathgradError(
        f"cannot draw a {type(source).__name__}: give an explanation "
        "(pathgrad.explain), a graph (pathgrad.build_graph) or a traced value"
    )


def _one(wrt):
    if isinstance(wrt, (list, tuple)):
        if len(wrt) != 1:
            raise PathgradError(
                f"--wrt: a picture lights up the paths of one leaf at a time, not {len(wrt)}"
            )
        wrt = wrt[0]
    return wrt


def _gradient(graph, explanation, wrt):
    wrt = _one(wrt)
    if wrt is None:
        return None
    if explanation is not None and wrt in explanation.gradients:
        return explanation.gradients[wrt]

    options = getattr(explanation, "options", None) or Options()
    asked = Options(
        wrt=(wrt,),
        max_paths=options.max_paths,
        method=options.method,
        in_terms_of=options.in_terms_of,
    )
    return explain_graph(graph, asked).gradients[wrt]


def _leaf(graph, wrt):
    wrt = _one(wrt)
    if wrt is None:
        return None
    node = node_named(graph, wrt)  # a leaf, or any computed value (∂L/∂x3: backprop's δ)
    if node is None:
        names = ", ".join(graph.nodes[n]["name"] for n in leaves(graph))
        raise NameNotFound(
            f"--wrt {wrt}: no leaf or value named {wrt}; the leaves are {names}",
            file=graph.graph.get("file"),
        )
    return node


class Drawing:
    """A picture of the graph in every format; a notebook shows its SVG.

    ``svg``, ``html``, ``dot`` and ``mermaid`` are the picture as text;
    ``text`` is the one in ``format``; :meth:`save` writes a file.
    ``direction`` is "LR" or "TB", the one asked for or the one "auto" chose.
    """

    def __init__(self, picture, format="svg", direction="auto"):
        if format not in TEXT_FORMATS:
            raise PathgradError(
                f"unknown picture format {format!r}: use one of " + ", ".join(TEXT_FORMATS)
            )
        self.picture = picture
        self.format = format
        self.asked = _direction(direction)

    @cached_property
    def layout(self):
        return layout_picture(self.picture, self.asked)

    @property
    def direction(self):
        return self.layout.direction if self.asked == "auto" else self.asked

    @property
    def size(self):
        """``(width, height)`` of the whole picture in pixels, legend and key included."""
        return tuple(round(v, 1) for v in svg_format.picture_size(self.picture, self.layout))

    @cached_property
    def svg(self):
        return svg_format.render(self.picture, self.layout)

    @cached_property
    def html(self):
        return html_format.render(self.picture, self.layout)

    @cached_property
    def dot(self):
        return dot_format.render(self.picture, self.direction)

    @cached_property
    def mermaid(self):
        return mermaid_format.render(self.picture, self.direction)

    @property
    def text(self):
        return getattr(self, self.format)

    def _repr_svg_(self):
        return self.svg

    def __repr__(self):
        return (
            f"<Drawing of {self.picture.title!r}: {len(self.picture.nodes)} nodes, "
            f"{len(self.picture.edges)} edges>"
        )

    def save(self, path, engine=None):
        """Write the picture; the suffix of ``path`` picks the format.

        ``.svg``, ``.html``, ``.dot`` and ``.mmd`` are written by pathgrad
        itself; ``.png`` and ``.pdf`` by Graphviz's ``dot``. ``engine="graphviz"``
        also makes the ``.svg`` with ``dot`` instead. Returns the path.
        """
        kind = format_of(path)
        if engine not in (None, "pathgrad", "graphviz"):
            raise PathgradError(f"unknown engine {engine!r}: use 'pathgrad' or 'graphviz'")
        if kind in ("png", "pdf") or (engine == "graphviz" and kind == "svg"):
            data = graphviz(self.dot, kind, str(path))
        elif engine == "graphviz":
            raise PathgradError(
                f"engine='graphviz' makes .svg, .png and .pdf, not .{kind}", file=str(path)
            )
        else:
            data = getattr(self, kind)
        return write_atomic(path, data)


def draw(source, wrt=None, values=False, format="svg", direction="auto", level="auto"):
    """A picture of the graph, with the paths of ∂loss/∂``wrt`` lit up.

    Parameters
    ----------
    source : Explanation, networkx.MultiDiGraph or Tensor
        What to draw: ``pathgrad.explain(...)``, ``pathgrad.build_graph(...)``
        or a traced value (its graph is built).
    wrt : str, optional
        A leaf: every listed path of ∂loss/∂leaf in its own colour, with a
        legend giving each path's product and the sum.
    values : bool
        Show the numeric value of every operation and edge derivative too.
    format : str
        What :attr:`Drawing.text` returns: "svg", "html", "dot" or "mermaid".
    direction : str
        "LR": leaves on the left, the loss on the right; "TB": leaves at the top,
        the loss at the bottom; "auto": the one whose picture is drawn largest
        on a 16:9 screen (a projector, a laptop).
    level : str
        "scalar": one node per number, every path real; "tensor": one node per tensor
        operation with its shape, each edge labelled with its vector–Jacobian product
        (:func:`pathgrad.sums.tensor_graph.tensor_graph`, what torchviz draws); "auto":
        tensor for a program with tensors and no ``wrt``, else scalar.

    Raises
    ------
    NameNotFound
        ``wrt`` is not a leaf of the graph.
    PathgradError
        An unknown ``format``, ``direction`` or ``level``; ``wrt`` with level "tensor"
        (paths are element paths: draw them at the scalar level).
    """
    graph, explanation = _graph_of(source)
    direction = _direction(direction)
    if _level(graph, wrt, level) == "tensor":
        return Drawing(picture(tensor_graph(graph), None, values), format, direction)
    return Drawing(picture(graph, _gradient(graph, explanation, wrt), values), format, direction)


#: What ``level=`` takes.
LEVELS = ("auto", "scalar", "tensor")


def _level(graph, wrt, level):
    """The level to draw: "auto" is tensor for a graph with tensors and no ``wrt``."""
    if level not in LEVELS:
        raise PathgradError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    if level == "tensor" and _one(wrt) is not None:
        raise PathgradError(
            "--wrt lights up the paths of one element: draw them with --level scalar "
            "(the tensor level has one node per tensor)",
            file=graph.graph.get("file"),
        )
    if level == "auto":
        return "tensor" if _one(wrt) is None and has_tensors(graph) else "scalar"
    return level


class Steps(list):
    """The frames of the step-by-step picture, with ways to show them.

    A list of :class:`pathgrad.pictures.frames.Frame`; :meth:`svg` draws one step,
    :attr:`html` is the offline player page, a notebook shows the player.
    ``present``: the player starts in presenter mode.
    """

    def __init__(self, frames, picture, layout, present=False):
        super().__init__(frames)
        self.picture = picture
        self.layout = layout
        self.present = present

    def svg(self, index):
        """Step ``index`` (from 0) as a standalone SVG with its caption."""
        return frame_svg(self.picture, self.layout, self, index)

    def caption(self, index):
        """``(heading, detail)`` of step ``index``."""

        return caption(self.picture.graph, self[index], replay(self, index)[1])

    @cached_property
    def html(self):
        return player_page(self.picture, self.layout, self, self.present)

    def _repr_html_(self):
        return player(self.picture, self.layout, self, self.present)

    def __repr__(self):
        return f"<Steps of {self.picture.title!r}: {len(self)} frames>"

    def names(self):
        """The file name of each frame in a folder: ``step-001.svg``, ..."""
        digits = max(3, len(str(len(self))))
        return [f"step-{i + 1:0{digits}d}.svg" for i in range(len(self))]

    def save(self, path):
        """Write ``OUT.html`` (the player) or ``DIR/`` (``step-001.svg``, ...).

        A path without a suffix, or ending in ``/``, is a folder.

        Returns the path written, or the list of files written in ``DIR``.
        """
        text = str(path)
        if is_folder(path):
            folder = Path(path)
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise PathgradError(
                    f"cannot make the folder: {err.strerror or err}", file=text
                ) from err
            return [write_atomic(folder / name, self.svg(i)) for i, name in enumerate(self.names())]
        if format_of(path) != "html":
            raise PathgradError(
                "steps are saved as one .html player or as a folder (DIR/) of one SVG per step",
                file=text,
            )
        return write_atomic(path, self.html)


def is_folder(path):
    """Whether ``steps`` saves to ``path`` as a folder: a trailing ``/``, a folder, no suffix."""
    text = str(path)
    return text.endswith(("/", os.sep)) or Path(path).is_dir() or not Path(path).suffix


def steps(source, wrt=None, values=False, direction="auto", present=False):
    """The graph growing one traced operation at a time, then the backward sweep.

    Parameters
    ----------
    source : Explanation, networkx.MultiDiGraph or Tensor
    wrt : str, optional
        A leaf: the backward sweep visits only the nodes on paths to it.
    values : bool
        Show the value of every operation and edge derivative too.
    direction : str
        "LR", "TB" or "auto", as for :func:`draw`.
    present : bool
        The player starts in presenter mode (large type, the step's operation centred).
    """
    graph, _ = _graph_of(source)
    direction = _direction(direction)
    story = frames(graph, _leaf(graph, wrt))
    view = picture(graph, values=values, reserve=reserve(graph, story))
    return Steps(story, view, layout_picture(view, direction), present)


def save_steps(source, path, wrt=None, values=False, direction="auto", present=False):
    """:func:`steps`, saved to ``OUT.html`` or ``DIR/``; returns what was written."""
    return steps(source, wrt, values, direction, present).save(path)
