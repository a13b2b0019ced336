"""The picture as a Mermaid flowchart, for Markdown that renders Mermaid (GitHub, many docs).

``flowchart RL`` with links from each consumer to its operands: the loss on
the right, the leaves on the left, paths reading right to left (top to
bottom, ``flowchart BT``: the leaves at the top, the loss at the bottom). Every edge
is its own link, so both edges of ``a * a`` are drawn. A comment before each
link names the edge (``%% edge 7-3-1``) and the highlighted paths through
it, for tools and tests. A link has one colour: a path's own, or black where
several highlighted paths share it (the legend says so).

>>> from pathgrad.explanation import explain
>>> from pathgrad.pictures.picture import picture
>>> text = render(picture(explain("reuse").graph))
>>> [line.strip() for line in text.splitlines() if "-->" in line]
['n1 -->|"a"| n0', 'n1 -->|"a"| n0', 'n2 -->|"1"| n1', 'n2 -->|"1"| n0']
"""

from pathgrad.escaping import visible
from pathgrad.pictures.picture import MAX_ROUTE, THEME, path_style, shorten

SHARED = "#1a1a1a"
#: Mermaid's flowchart direction for each direction of the forward pass (links point back).
FLOW = {"LR": "RL", "TB": "BT"}
CLASSES = {
    "leaf": dict(
        fill=THEME["leaf"]["fill"], stroke=THEME["leaf"]["stroke"], color=THEME["leaf"]["text"]
    ),
    "noGrad": dict(
        fill=THEME["leaf_no_grad"]["fill"],
        stroke=THEME["leaf_no_grad"]["stroke"],
        color=THEME["leaf_no_grad"]["text"],
        **{"stroke-dasharray": "4 3"},
    ),
    "operation": dict(
        fill=THEME["operation"]["fill"],
        stroke=THEME["operation"]["stroke"],
        color=THEME["operation"]["text"],
    ),
    "loss": dict(
        fill=THEME["operation"]["fill"],
        stroke=THEME["loss"]["stroke"],
        color=THEME["operation"]["text"],
        **{"stroke-width": "3px"},
    ),
    "wrt": dict(
        fill=THEME["leaf"]["fill"],
        stroke="#1a1a1a",
        color=THEME["leaf"]["text"],
        **{"stroke-width": "3px"},
    ),
    "legend": dict(fill="#ffffff", stroke="#bbbbbb", color="#1a1a1a"),
}


def text(value):
    """Label text safe inside Mermaid's double quotes.

    >>> text('a "b" <c> #1')
    'a #quot;b#quot; #lt;c#gt; #35;1'
    """
    out = visible(value).replace("#", "#35;")
    return out.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def node_label(view):
    parts = []
    for line, role in view.lines:
        if role == "title":
            parts.append(f"<b>{text(line)}</b>")
        elif role in ("grad_fn", "value"):
            parts.append(f"<small>{text(line)}</small>")
    if view.loss:
        parts.append("<i>loss</i>")
    return "<br/>".join(parts)


def _class(view):
    """One class per node (Mermaid's ``class`` takes one): the loss and the leaf asked
    about have their own."""
    if view.loss:
        return "loss"
    if view.wrt:
        return "wrt"
    if view.kind == "operation":
        return "operation"
    return "leaf" if view.requires_grad else "noGrad"


def render(picture, direction="LR"):
    """The picture as Mermaid flowchart text (a string ending in a newline).

    ``direction``: "LR" (leaves on the left) or "TB" (leaves at the top).
    """
    lines = [f"flowchart {FLOW[direction]}", f"  %% pathgrad: {visible(picture.title)}"]
    for name, style in CLASSES.items():
        lines.append(f"  classDef {name} " + ",".join(f"{k}:{v}" for k, v in style.items()))
    for node, view in picture.nodes.items():
        lines.append(f'  n{node}("{node_label(view)}")')
        lines.append(f"  class n{node} {_class(view)}")
    styles = []
    for index, view in enumerate(picture.edges.values()):
        paths = " ".join(map(str, view.paths))
        lines.append(f"  %% edge {view.id}" + (f" paths {paths}" if paths else ""))
        lines.append(f'  n{view.consumer} -->|"{text(view.label)}"| n{view.operand}')
        if view.paths:  # a link has one colour: black where several paths share it
            style = path_style(view.paths[0]) if len(view.paths) == 1 else None
            colour = style.colour if style else SHARED
            dash = f",stroke-dasharray:{style.dash}" if style and style.dash else ""
            styles.append(
                f"  linkStyle {index} stroke:{colour},stroke-width:3px,color:{colour}{dash}"
            )
        elif picture.legend is not None:
            styles.append(f"  linkStyle {index} stroke:{THEME['edge_faded']['stroke']}")
    lines += styles
    if picture.legend is not None:
        legend = picture.legend
        rows = [f"<b>{text(legend.title)}</b>"]
        for p in legend.paths:
            name = path_style(p.number).name
            rows.append(
                text(f"path {p.number} ({name}): {shorten(p.route, MAX_ROUTE)} {p.summary}")
            )
        rows.append(text("black: a link that several paths share"))
        if legend.hidden:
            paths = "path" if legend.hidden == 1 else "paths"
            rows.append(text(f"… and {legend.hidden:,} more {paths}, not drawn"))
        rows.append(f"<b>{text('sum ' + legend.total_short)}</b>")
        lines.append(f'  legend["{"<br/>".join(rows)}"]')
        lines.append("  class legend legend")
    return "\n".join(lines) + "\n"
