"""The picture as Graphviz DOT text: styles are a data table, each part a tiny function.

Edges point from a consumer to its operands, as in the graph, and
``rankdir=RL`` puts the leaves on the left and the loss on the right, so
paths read right to left as ``explain`` writes them; top to bottom
(``direction="TB"``), ``rankdir=BT`` puts the leaves at the top and the loss at
the bottom, as pathgrad's own SVG does. Parallel edges stay
separate (the graph is not ``strict``); an edge on several highlighted paths
gets one colour per path, which Graphviz draws as parallel lines. ``id`` and
``class`` attributes carry into Graphviz's SVG output.

>>> from pathgrad.explanation import explain
>>> from pathgrad.pictures.picture import picture
>>> e = explain("reuse")
>>> text = render(picture(e.graph))
>>> [line.split(" [")[0].strip() for line in text.splitlines() if "->" in line]
['n1 -> n0', 'n1 -> n0', 'n2 -> n1', 'n2 -> n0']
"""

from pathgrad.escaping import visible
from pathgrad.pictures.fonts import FAMILY
from pathgrad.pictures.picture import MAX_ROUTE, THEME, path_style, shorten

FONT = FAMILY.split(",")[0]

#: Graphviz's ``rankdir`` for each direction of the forward pass: edges point backwards,
#: from a consumer to its operands, so leaves-left-to-loss-right is RL.
RANKDIR = {"LR": "RL", "TB": "BT"}
#: Attributes of the whole graph, of every node and of every edge.
GRAPH = dict(
    rankdir="RL",
    bgcolor="white",
    fontname=FONT,
    fontsize="12",
    nodesep="0.25",
    ranksep="0.5",
    pad="0.2",
    labelloc="b",
    labeljust="l",
)
NODE = dict(
    shape="box",
    style="rounded,filled",
    fontname=FONT,
    fontsize="13",
    margin="0.14,0.06",
    penwidth="1.5",
)
EDGE = dict(fontname=FONT, fontsize="11", arrowsize="0.7", penwidth="1.3")
#: Node styles by kind, then the marks added on top (loss, on a path, the leaf asked about).
STYLES = {
    "leaf": dict(fillcolor=THEME["leaf"]["fill"], color=THEME["leaf"]["stroke"]),
    "leaf_no_grad": dict(
        fillcolor=THEME["leaf_no_grad"]["fill"],
        color=THEME["leaf_no_grad"]["stroke"],
        style="rounded,filled,dashed",
    ),
    "operation": dict(fillcolor=THEME["operation"]["fill"], color=THEME["operation"]["stroke"]),
    "loss": dict(color=THEME["loss"]["stroke"], peripheries="2", penwidth="2"),
    "on_path": dict(penwidth="2.2"),
    "wrt": dict(color="#1a1a1a", penwidth="2.8"),
}
EDGE_STYLES = {
    "plain": dict(color=THEME["edge"]["stroke"], fontcolor=THEME["edge"]["label"]),
    "faded": dict(color=THEME["edge_faded"]["stroke"], fontcolor=THEME["edge_faded"]["label"]),
    "path": dict(penwidth="2.2"),
}


def quote(text):
    r"""A DOT quoted string; a line break becomes Graphviz's ``\n``.

    >>> print(quote('say "hi"'), quote("two\nlines"))
    "say \"hi\"" "two\nlines"
    """
    text = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def html(text):
    """Text for a Graphviz HTML-like label.

    >>> html("a < b & c")
    'a &lt; b &amp; c'
    """
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def attributes(attrs):
    """``[a="1", b=<...>]``: HTML-like labels (given as ``<...>``) stay unquoted.

    >>> attributes({"label": "x", "shape": "box"})
    '[label="x", shape="box"]'
    """
    parts = []
    for name, value in attrs.items():
        value = str(value)
        parts.append(f"{name}={value if value.startswith('<') else quote(value)}")
    return "[" + ", ".join(parts) + "]"


def node_label(view):
    """An HTML-like label: the title in bold, the ``grad_fn`` small, the value."""
    rows = []
    for text, role in view.lines:
        if role == "title":
            rows.append(f"<b>{html(text)}</b>")
        elif role == "grad_fn":
            rows.append(
                f'<font point-size="10" color="{THEME["grad_fn"]["text"]}">{html(text)}</font>'
            )
        elif role == "value":
            rows.append(f'<font point-size="11">{html(text)}</font>')
    return "<" + "<br/>".join(rows) + ">"


def node_attributes(view):
    kind = view.kind if view.kind == "operation" or view.requires_grad else "leaf_no_grad"
    attrs = {"id": f"node-{view.node}", "label": node_label(view), "tooltip": view.tooltip}
    attrs.update(STYLES[kind])
    classes = ["node", view.kind] + (["loss"] if view.loss else [])
    for mark, wanted in (("loss", view.loss), ("on_path", view.paths), ("wrt", view.wrt)):
        if wanted:
            attrs.update(STYLES[mark])
    attrs["class"] = " ".join(classes + [f"path-{n}" for n in view.paths])
    return attrs


def edge_attributes(view, highlighted):
    attrs = {"id": f"edge-{view.id}", "label": view.label, "tooltip": view.tooltip}
    if view.paths:
        colours = [path_style(n).colour for n in view.paths]
        attrs.update(EDGE_STYLES["path"], color=":".join(colours), fontcolor=colours[0])
        line = path_style(view.paths[0]).line if len(view.paths) == 1 else "solid"
        if line != "solid":  # Graphviz has two patterns: dots and dashes
            attrs["style"] = line
        attrs["class"] = "edge " + " ".join(f"path-{n}" for n in view.paths)
    else:
        attrs.update(EDGE_STYLES["faded" if highlighted else "plain"], **{"class": "edge"})
    return attrs


def legend_label(legend):
    """The legend as an HTML-like table: a colour swatch, the path, its product."""
    rows = [f'<tr><td colspan="3" align="left"><b>{html(legend.title)}</b></td></tr>']
    for p in legend.paths:
        rows.append(
            f'<tr><td bgcolor="{p.colour}" width="24" height="6" fixedsize="true"></td>'
            f'<td align="left"><font color="{p.colour}"><b>path {p.number}</b></font></td>'
            f'<td align="left">{html(shorten(p.route, MAX_ROUTE))}   {html(p.summary)}</td>'
            "</tr>"
        )
    if legend.hidden:
        paths = "path" if legend.hidden == 1 else "paths"
        rows.append(
            f'<tr><td></td><td colspan="2" align="left">… and {legend.hidden:,} more '
            f"{paths}, not drawn (the sum includes them)</td></tr>"
        )
    rows.append(
        f'<tr><td></td><td align="left"><b>sum</b></td><td align="left"><b>'
        f"{html(legend.total_short)}</b></td></tr>"
    )
    return (
        '<<table border="0" cellborder="0" cellspacing="3" cellpadding="1">'
        + "".join(rows)
        + "</table>>"
    )


def render(picture, direction="LR"):
    """The picture as a DOT ``digraph`` (a string ending in a newline).

    ``direction``: "LR" (leaves on the left) or "TB" (leaves at the top).
    """
    graph = dict(GRAPH, rankdir=RANKDIR[direction], tooltip=picture.title)
    if picture.legend is not None:
        graph["label"] = legend_label(picture.legend)
    lines = [
        f"// pathgrad: {visible(picture.title)}",
        "digraph pathgrad {",
        f"  graph {attributes(graph)};",
        f"  node {attributes(NODE)};",
        f"  edge {attributes(EDGE)};",
    ]
    for node, view in picture.nodes.items():
        lines.append(f"  n{node} {attributes(node_attributes(view))};")
    highlighted = picture.legend is not None
    for view in picture.edges.values():
        lines.append(
            f"  n{view.consumer} -> n{view.operand} "
            f"{attributes(edge_attributes(view, highlighted))};"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"
