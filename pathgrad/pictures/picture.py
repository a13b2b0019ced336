"""What a picture shows, as data: the one place every picture renderer reads.

:func:`picture` turns the graph (and, to light up the paths of one
gradient, that :class:`~pathgrad.explanation.model.Gradient`) into texts, tooltips
and path numbers for every node and edge. It formats; it never computes a
derivative. The SVG, DOT, Mermaid, HTML and step renderers only decide where
and how these texts are drawn.

>>> from pathgrad.explanation import explain
>>> e = explain("seed", wrt=["w1"])
>>> p = picture(e.graph, e.gradients["w1"])
>>> p.nodes[5].lines, p.nodes[10].loss
((('x3 = w1·x1', 'title'), ('MulBackward0', 'grad_fn')), True)
>>> p.edges[7, 3, 0].label, p.edges[7, 3, 0].paths, p.edges[10, 9, 1].paths
('x3', (), (1, 2))
>>> p.legend.total
'∂L/∂w1 = -w2·x1 - w3·x2 = -8'
"""

import colorsys
from dataclasses import dataclass

from pathgrad.escaping import visible
from pathgrad.render.text import value_text

#: Colours, as data: one row per kind of thing drawn.
THEME = {
    "leaf": dict(fill="#e8e8e8", stroke="#6e6e6e", text="#1a1a1a"),
    "leaf_no_grad": dict(fill="#fafafa", stroke="#9e9e9e", text="#4d4d4d", dash="4 3"),
    "operation": dict(fill="#fdd9b0", stroke="#e07b00", text="#1a1a1a"),
    "loss": dict(stroke="#b35900", tag="#b35900"),
    "edge": dict(stroke="#5f5f5f", label="#1f3b66"),
    "edge_faded": dict(stroke="#c4c4c4", label="#8a8a8a"),
    "grad_fn": dict(text="#6b4a1f"),
    "value": dict(text="#333333"),
    "adjoint": dict(text="#a8322d"),
    "focus": dict(stroke="#d62728"),
}
#: One colour per highlighted path; past eight, each colour comes again with another dash
#: pattern, and past forty a colour of its own (see :func:`path_style`).
PATH_COLOURS = (
    "#1f77b4",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f00",
)
COLOUR_NAMES = ("blue", "green", "red", "purple", "brown", "pink", "cyan", "olive")
#: SVG ``stroke-dasharray`` patterns (solid first), and how each is named in words.
PATH_DASHES = (None, "8 4", "2 3", "10 3 2 3", "1 5")
DASH_NAMES = ("solid", "dashed", "dotted", "dash-dot", "sparse dots")


@dataclass(frozen=True)
class PathStyle:
    """How path ``number`` is drawn: a colour, a dash pattern (``None``: solid), in words."""

    colour: str
    dash: str | None
    name: str

    @property
    def line(self):
        """The pattern where only three exist (CSS borders, Graphviz): solid, dashed, dotted."""
        if self.dash is None:
            return "solid"
        return "dotted" if self.dash in ("2 3", "1 5") else "dashed"


def path_style(number):
    """The style of path ``number`` (from 1): distinct from every other path's.

    Paths 1-8 are solid in eight colours; 9-40 take the eight colours again, each
    round with its own dash pattern; past 40 each path gets a hue of its own
    (golden-angle steps round the colour wheel, dark enough to read on white),
    with the dash pattern of its round.

    >>> path_style(1), path_style(9).dash, path_style(9).name
    (PathStyle(colour='#1f77b4', dash=None, name='blue'), '8 4', 'blue, dashed')
    >>> len({(path_style(n).colour, path_style(n).dash) for n in range(1, 501)})
    500
    """
    index, round_ = (number - 1) % len(PATH_COLOURS), (number - 1) // len(PATH_COLOURS)
    dash = PATH_DASHES[round_ % len(PATH_DASHES)]
    pattern = DASH_NAMES[round_ % len(PATH_DASHES)]
    if round_ < len(PATH_DASHES):
        colour, name = PATH_COLOURS[index], COLOUR_NAMES[index]
    else:
        hue = (number * 137.507764) % 360
        red, green, blue = colorsys.hls_to_rgb(hue / 360, 0.36, 0.75)
        colour = f"#{round(red * 255):02x}{round(green * 255):02x}{round(blue * 255):02x}"
        name = f"hue {round(hue)}°"
    return PathStyle(colour, dash, name if dash is None else f"{name}, {pattern}")


#: Node titles and edge labels longer than this are shortened (the tooltip has them whole).
MAX_TITLE, MAX_LABEL = 26, 30
#: Legend lines: a path's route, a path's product, the sum.
MAX_ROUTE, MAX_SUMMARY, MAX_TOTAL = 64, 80, 150


@dataclass(frozen=True)
class NodeView:
    """One node: its lines of text as ``(text, role)``, roles "title", "grad_fn",
    "value" and "adjoint" (room kept for the backward sweep's ∂loss/∂node)."""

    node: int
    name: str
    kind: str
    lines: tuple
    tooltip: str
    loss: bool = False
    requires_grad: bool = True
    paths: tuple = ()
    wrt: bool = False
    line: int | None = None
    grad_fn: str | None = None


@dataclass(frozen=True)
class EdgeView:
    """One edge, consumer → operand: its derivative label and the paths through it."""

    consumer: int
    operand: int
    key: int
    derivative: str
    label: str
    tooltip: str
    paths: tuple = ()

    @property
    def id(self):
        return f"{self.consumer}-{self.operand}-{self.key}"


@dataclass(frozen=True)
class PathView:
    number: int
    colour: str
    dash: str | None
    route: str
    factors: str
    product: str
    value: str

    @property
    def summary(self):
        """``= factors = product = value``, cut to fit a legend line; never the value."""
        text = f"= {self.factors} = {self.product} = {self.value}"
        return (
            text
            if len(text) <= MAX_SUMMARY
            else fit(f"= {self.factors}", f" = {self.value}", MAX_SUMMARY)
        )


@dataclass(frozen=True)
class Legend:
    title: str
    paths: tuple
    hidden: int  # paths counted but not listed, so not drawn
    derivative: str  # ∂L/∂w1
    closed_form: str
    value: str

    @property
    def total(self):
        return f"{self.derivative} = {self.closed_form} = {self.value}"

    @property
    def total_short(self):
        return fit(f"{self.derivative} = {self.closed_form}", f" = {self.value}", MAX_TOTAL)


@dataclass(frozen=True)
class Picture:
    graph: object
    nodes: dict
    edges: dict
    loss: int
    title: str
    legend: Legend | None = None
    values: bool = False


def expr_text(expr):
    """A sympy expression or formula as a student writes it: ``·`` and ``^``.

    >>> expr_text("2*a - 2*y"), expr_text("(a - y)**2")
    ('2·a - 2·y', '(a - y)^2')
    """
    return visible(str(expr).replace("**", "^").replace("*", "·"))  # a file's text: escaped


def shorten(text, limit):
    """``text``, cut to ``limit`` characters with an ellipsis.

    >>> shorten("total_4 + w2_1*tanh(total_3)", 12)
    'total_4 + w…'
    """
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit(head, tail, limit):
    """``head + tail`` in at most ``limit`` characters, cutting the head only.

    >>> fit("= a·b·c·d·e·f·g·h·i·j", " = 4", 16)
    '= a·b·c·d·e… = 4'
    """
    return shorten(head, max(8, limit - len(tail))) + tail


def partial(top, bottom):
    """``∂top/∂bottom``, bracketing names that are not plain identifiers.

    >>> partial("L", "w2*x3")
    '∂L/∂(w2·x3)'
    """
    wrap = [expr_text(n) if n.isidentifier() else f"({expr_text(n)})" for n in (top, bottom)]
    return f"∂{wrap[0]}/∂{wrap[1]}"


def _factor(expr):
    text = expr_text(expr)
    return f"({text})" if text.startswith("-") or " " in text else text


def _node_view(graph, node, data, values, paths, wrt, reserve):
    name, formula = visible(data["name"]), expr_text(data["formula"])
    shown = expr_text(name)
    value = value_text(data["value"], data.get("undefined"))
    if data.get("shape"):  # a tensor of the tensor-level view: its shape, not one value
        value = "×".join(str(n) for n in data["shape"])
        value = f"tensor ({value})" if len(data["shape"]) > 1 else f"vector ({value})"
    if data["kind"] == "leaf":
        lines = [(shorten(name, MAX_TITLE), "title"), (f"= {value}", "value")]
        what = "leaf" if data["requires_grad"] else "leaf, requires_grad=False"
        if data.get("cut"):  # a computed value that stops gradients (detach, no_grad)
            what += f", cut by {data['cut']}"
        made = "" if formula == shown else f" = {formula}"
        tooltip = f"{name}{made} = {value} ({what})"
    else:
        full = shown if shown == formula else f"{shown} = {formula}"
        title = full if len(full) <= MAX_TITLE else shorten(shown, MAX_TITLE)
        lines = [(title, "title"), (data["grad_fn"], "grad_fn")]
        if values:
            lines.append((f"= {value}", "value"))
        tooltip = f"{full} = {value} ({data['grad_fn']})"
    if data.get("line"):
        source = f": {visible(data['source'])}" if data.get("source") else ""
        tooltip += f"\nline {data['line']}{source}"
    if node in reserve:
        lines.append((reserve[node], "adjoint"))
    return NodeView(
        node=node,
        name=name,
        kind=data["kind"],
        lines=tuple(lines),
        tooltip=tooltip,
        loss=node == graph.graph.get("loss"),
        requires_grad=bool(data["requires_grad"]),
        paths=tuple(paths.get(node, ())),
        wrt=node == wrt,
        line=data.get("line"),
        grad_fn=data.get("grad_fn"),
    )


def _edge_view(graph, edge, data, values, paths):
    consumer, operand, key = edge
    derivative = expr_text(data["local_derivative"])
    value = value_text(data["value"], data.get("undefined"))
    if graph.graph.get("level") == "tensor":  # a rule in δ, not a number: nothing to add
        value = derivative
    label = shorten(derivative, MAX_LABEL)
    if values and value != derivative:
        label = f"{label} = {value}"
    names = graph.nodes[consumer]["name"], graph.nodes[operand]["name"]
    tooltip = f"{partial(*names)} = {derivative}"
    tooltip += "" if value == derivative else f" = {value}"
    if graph.number_of_edges(consumer, operand) > 1:
        tooltip += f" (operand {key + 1} of {names[0]})"
    return EdgeView(consumer, operand, key, derivative, label, tooltip, tuple(paths.get(edge, ())))


def _legend(graph, gradient):
    views = []
    for number, path in enumerate(gradient.paths, 1):
        style = path_style(number)
        route = " → ".join(expr_text(n) for n in path.nodes)
        via = getattr(path, "via", None)  # which edge of a reused operand (h * h)
        if via:
            route += " (through " + "; ".join(expr_text(v) for v in via) + ")"
        factors = "·".join(_factor(f) for f in path.factors)
        views.append(
            PathView(
                number,
                style.colour,
                style.dash,
                route,
                factors,
                expr_text(path.product),
                value_text(path.value, getattr(path, "undefined", None)),
            )
        )
    d = partial(gradient.loss, gradient.leaf)
    plural = "path" if gradient.path_count == 1 else "paths"
    title = (
        f"{d} — {gradient.path_count:,} {plural} from {expr_text(gradient.loss)} "
        f"to {expr_text(gradient.leaf)}"
    )
    value = value_text(gradient.value, getattr(gradient, "undefined", None))
    return Legend(
        title,
        tuple(views),
        gradient.path_count - len(gradient.paths),
        d,
        expr_text(gradient.closed_form),
        value,
    )


def picture(graph, gradient=None, values=False, reserve=None):
    """The picture of a graph, with the paths of ``gradient`` lit up.

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        A graph from :func:`pathgrad.graph.build_graph`.
    gradient : Gradient, optional
        Its listed paths are numbered 1, 2, ... and coloured; the legend
        gives each path's product and their sum.
    values : bool
        Also show the value of every operation and edge derivative (leaves
        always show theirs).
    reserve : dict, optional
        ``node -> text``: keep a line of this width in the node (the backward
        sweep writes ∂loss/∂node there).
    """
    node_paths, edge_paths, wrt = {}, {}, None
    if gradient is not None:
        for number, path in enumerate(gradient.paths, 1):
            for edge in path.edges:
                edge_paths.setdefault(tuple(edge), []).append(number)
                for n in edge[:2]:
                    if number not in node_paths.setdefault(n, []):
                        node_paths[n].append(number)
        wrt = next(
            (
                n
                for n, d in graph.nodes(data=True)
                if d["kind"] == "leaf" and d["name"] == gradient.leaf
            ),
            None,
        )
    reserve = reserve or {}
    nodes = {
        n: _node_view(graph, n, d, values, node_paths, wrt, reserve)
        for n, d in sorted(graph.nodes(data=True))
    }
    edges = {
        (u, v, k): _edge_view(graph, (u, v, k), d, values, edge_paths)
        for u, v, k, d in graph.edges(keys=True, data=True)
    }
    loss = graph.graph.get("loss")
    data = graph.nodes[loss] if loss in graph else {}
    name, formula = expr_text(data.get("name", "?")), expr_text(data.get("formula", "?"))
    title = name if name == formula else f"{name} = {formula}"
    if graph.graph.get("file"):
        title = f"{visible(graph.graph['file'])}: {title}"
    legend = _legend(graph, gradient) if gradient is not None else None
    return Picture(graph, nodes, edges, loss, title, legend, values)
