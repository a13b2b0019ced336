"""The picture as SVG, in pure Python: what a teacher puts on a slide.

Leaves are grey (dashed when they do not require grad), operations orange
with their ``grad_fn``, the loss has a double border, and every edge carries
its local derivative next to the consumer it belongs to. Arrows point from a
result to each operand, the direction in which ``explain`` reads a path.
The paths of one gradient are drawn in their own colours, side by side where
they share an edge, with a legend giving each product and the sum.

Markup for tools and tests: each node is ``<g class="node ..." data-node="5"
data-name="x3" data-kind="operation">``, each edge ``<g class="edge"
data-edge="7-3-1" data-consumer="7" data-operand="3" data-key="1"
data-derivative="w2">`` with its label in ``<text class="derivative">``;
highlighted ones add ``data-path="1 2"``. Every node and edge has a
``<title>`` tooltip with its full text.

>>> import xml.etree.ElementTree as ET
>>> from pathgrad.explanation import explain
>>> from pathgrad.pictures.picture import picture
>>> e = explain("seed", wrt=["w1"])
>>> root = ET.fromstring(render(picture(e.graph, e.gradients["w1"])))
>>> ns = {"s": "http://www.w3.org/2000/svg"}
>>> len(root.findall(".//s:g[@class='edge']", ns)), len(root.findall(".//s:g[@data-node]", ns))
(11, 11)
>>> [g.get("data-edge") for g in root.findall(".//s:g[@data-path='1 2'][@data-edge]", ns)]
['10-9-1']
"""

from dataclasses import dataclass, field

from pathgrad.pictures.fonts import FAMILY, text_width
from pathgrad.pictures.layout import ARROW, layered_layout
from pathgrad.pictures.picture import THEME, path_style
from pathgrad.pictures.svg_parts import caption as caption_part
from pathgrad.pictures.svg_parts import esc, num
from pathgrad.pictures.svg_parts import key as key_part
from pathgrad.pictures.svg_parts import legend as legend_part

#: Text roles inside a node: font size, bold, line height.
ROLES = {
    "title": (14, True, 18),
    "grad_fn": (11, False, 14),
    "value": (12, False, 15),
    "adjoint": (11.5, True, 15),
}
PAD_X, PAD_Y, MIN_WIDTH, RADIUS = 10, 6, 44, 7
LABEL_SIZE = 12.5
PATH_WIDTH, PATH_SPACING, BUNDLE = 2.4, 3.2, 16  # a bundle of paths is at most BUNDLE wide


@dataclass
class FrameState:
    """What one step of the step-by-step picture shows (see :mod:`pathgrad.pictures.steps`)."""

    visible: set | None = None  # None: every node
    focus: set = field(default_factory=set)  # nodes outlined in red
    edges: set = field(default_factory=set)  # edges drawn in red
    annotations: dict = field(default_factory=dict)  # node -> ∂loss/∂node text
    complete: set = field(default_factory=set)  # nodes whose ∂loss/∂node is final


def node_size(view):
    width = max(text_width(t, ROLES[r][0], ROLES[r][1]) for t, r in view.lines)
    height = 2 * PAD_Y + sum(ROLES[r][2] for _, r in view.lines)
    return max(MIN_WIDTH, round(width + 2 * PAD_X)), height


def layout_picture(picture):
    """The layered layout of a picture, with room for its labels."""
    sizes = {n: node_size(v) for n, v in picture.nodes.items()}
    labels = {
        e: text_width(v.label, LABEL_SIZE, bold=bool(v.paths)) for e, v in picture.edges.items()
    }
    return layered_layout(picture.graph, sizes, labels)


def _curve(points, dy=0.0):
    (x, y), *rest = points
    d = [f"M{num(x)} {num(y + dy)}"]
    for nx, ny in rest:
        if abs(ny - y) < 0.05:
            d.append(f"L{num(nx)} {num(ny + dy)}")
        else:
            mx = (x + nx) / 2
            d.append(f"C{num(mx)} {num(y + dy)} {num(mx)} {num(ny + dy)} {num(nx)} {num(ny + dy)}")
        x, y = nx, ny
    return " ".join(d)


def _arrow(tip, dy=0.0):
    x, y = tip[0], tip[1] + dy
    return f"M{num(x)} {num(y)} L{num(x + ARROW)} {num(y - 4)} L{num(x + ARROW)} {num(y + 4)} Z"


def _path_strokes(view, route):
    """An edge on highlighted paths: one stroke per path, side by side (a bundle)."""
    m = len(view.paths)
    spacing = min(PATH_SPACING, BUNDLE / max(1, m - 1))
    out = []
    for j, number in enumerate(view.paths):
        dy = (j - (m - 1) / 2) * spacing
        colour, dash = path_style(number).colour, path_style(number).dash
        dash = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path class="line path-{number}" d="{_curve(route.points, dy)}" '
            f'fill="none" stroke="{colour}" stroke-width="{PATH_WIDTH}"{dash}/>'
        )
        out.append(
            f'<path class="arrow path-{number}" d="{_arrow(route.tip, dy)}" fill="{colour}"/>'
        )
    colour = path_style(view.paths[0]).colour if m == 1 else "#1a1a1a"
    return out, colour, ' font-weight="bold"', (m - 1) / 2 * spacing


def _plain_stroke(route, style, lit):
    stroke, width = (THEME["focus"]["stroke"], 2.6) if lit else (style["stroke"], 1.4)
    out = [
        f'<path class="line" d="{_curve(route.points)}" fill="none" stroke="{stroke}" '
        f'stroke-width="{width}"/>',
        f'<path class="arrow" d="{_arrow(route.tip)}" fill="{stroke}"/>',
    ]
    return out, THEME["focus"]["stroke"] if lit else style["label"], "", 0.0


def _edge(view, route, picture, state):
    attrs = (
        f'class="edge" id="edge-{view.id}" data-edge="{view.id}" '
        f'data-consumer="{view.consumer}" data-operand="{view.operand}" '
        f'data-key="{view.key}" data-derivative="{esc(view.derivative)}"'
    )
    if view.paths:
        attrs += f' data-path="{" ".join(map(str, view.paths))}"'
    out = [f"<g {attrs}>", f"<title>{esc(view.tooltip)}</title>"]
    if view.paths:
        strokes, colour, weight, shift = _path_strokes(view, route)
    else:
        lit = state is not None and (view.consumer, view.operand, view.key) in state.edges
        style = THEME["edge_faded" if picture.legend else "edge"]
        strokes, colour, weight, shift = _plain_stroke(route, style, lit)
    out += strokes
    x, y = route.label
    x -= 6 if view.consumer == picture.loss else 0  # clear of the loss's double border
    y = y - 4 - shift if route.side == "above" else y + 4 + shift + LABEL_SIZE * 0.78
    out.append(
        f'<text class="derivative" x="{num(x)}" y="{num(y)}" text-anchor="end" '
        f'font-size="{LABEL_SIZE}" fill="{colour}"{weight} stroke="#ffffff" '
        f'stroke-width="3" stroke-linejoin="round" paint-order="stroke">'
        f"{esc(view.label)}</text>"
    )
    out.append("</g>")
    return "\n".join(out)


def _node_style(view):
    if view.kind == "leaf":
        return THEME["leaf" if view.requires_grad else "leaf_no_grad"]
    return THEME["operation"]


def _node_attributes(view):
    classes = ["node", view.kind]
    if view.kind == "leaf" and not view.requires_grad:
        classes.append("no-grad")
    if view.loss:
        classes.append("loss")
    attrs = (
        f'class="{" ".join(classes)}" id="node-{view.node}" data-node="{view.node}" '
        f'data-name="{esc(view.name)}" data-kind="{view.kind}"'
    )
    if view.grad_fn:
        attrs += f' data-grad-fn="{view.grad_fn}"'
    if view.loss:
        attrs += ' data-loss="true"'
    if view.paths:
        attrs += f' data-path="{" ".join(map(str, view.paths))}"'
    if view.wrt:
        attrs += ' data-wrt="true"'
    return attrs


def _outline(view, state):
    """Stroke colour and width of a node's box: its kind, then the marks on top."""
    stroke, width = _node_style(view)["stroke"], 1.5
    if view.paths:
        width = 2.2
    if view.wrt:
        stroke, width = "#1a1a1a", 2.8
    if view.loss:
        stroke, width = THEME["loss"]["stroke"], 2.2
    if state is not None and view.node in state.focus:
        stroke, width = THEME["focus"]["stroke"], 3.2
    return stroke, width


def _node_text(view, box, state, player):
    out, y = [], box.top + PAD_Y
    for text, role in view.lines:
        size, bold, height = ROLES[role]
        baseline = y + height * 0.74
        y += height
        colour = THEME.get(role, {}).get("text", _node_style(view)["text"])
        extra = ""
        if role == "adjoint":  # ∂loss/∂node, written by a step of the backward sweep
            extra = f' data-node="{view.node}"'
            if player:
                text, bold = "", False
            elif state is not None and view.node in state.annotations:
                text, bold = state.annotations[view.node], view.node in state.complete
            else:
                continue
        weight = ' font-weight="bold"' if bold else ""
        out.append(
            f'<text class="{role.replace("_", "-")}"{extra} x="{num(box.x)}" '
            f'y="{num(baseline)}" text-anchor="middle" font-size="{size}" '
            f'fill="{colour}"{weight}>{esc(text)}</text>'
        )
    return out


def _node(view, box, state, player):
    style = _node_style(view)
    stroke, width = _outline(view, state)
    dash = f' stroke-dasharray="{style["dash"]}"' if "dash" in style else ""
    out = [f"<g {_node_attributes(view)}>", f"<title>{esc(view.tooltip)}</title>"]
    if view.loss:
        out.append(
            f'<rect class="outline" x="{num(box.left - 4)}" y="{num(box.top - 4)}" '
            f'width="{num(box.width + 8)}" height="{num(box.height + 8)}" '
            f'rx="{RADIUS + 3}" fill="none" stroke="{stroke}" stroke-width="1.2"/>'
        )
        out.append(
            f'<text class="tag" x="{num(box.x)}" y="{num(box.top - 8)}" '
            f'text-anchor="middle" font-size="10.5" font-weight="bold" '
            f'fill="{THEME["loss"]["tag"]}">loss</text>'
        )
    out.append(
        f'<rect class="box" x="{num(box.left)}" y="{num(box.top)}" '
        f'width="{num(box.width)}" height="{num(box.height)}" rx="{RADIUS}" '
        f'fill="{style["fill"]}" stroke="{stroke}" stroke-width="{width}"{dash}/>'
    )
    out += _node_text(view, box, state, player)
    out.append("</g>")
    return "\n".join(out)


def render(picture, layout=None, state=None, player=False, key=True, caption=None):
    """The picture as an SVG document (a string).

    Parameters
    ----------
    picture : Picture
        From :func:`pathgrad.pictures.picture.picture`.
    layout : Layout, optional
        From :func:`layout_picture`; computed when not given.
    state : FrameState, optional
        One step of the step-by-step picture: hidden nodes, highlights and
        ∂loss/∂node annotations.
    player : bool
        Leave an empty ``<text class="adjoint">`` in every node that has room
        for one, for the HTML player to fill.
    key : bool
        Draw the one-line key under the picture.
    caption : (str, str), optional
        A heading and a detail line to write above the picture.
    """
    layout = layout or layout_picture(picture)
    visible = None if state is None else state.visible
    body = ['<g class="edges">']
    for edge, view in picture.edges.items():
        if visible is None or (view.consumer in visible and view.operand in visible):
            body.append(_edge(view, layout.routes[edge], picture, state))
    body += ["</g>", '<g class="nodes">']
    for node, view in picture.nodes.items():
        if visible is None or node in visible:
            body.append(_node(view, layout.boxes[node], state, player))
    body.append("</g>")
    width, height = layout.width, layout.height
    if picture.legend is not None:
        markup, w, h = legend_part(picture.legend, height)
        body += markup
        width, height = max(width, w), height + h
    if key:
        markup, w, h = key_part(height)
        body += markup
        width, height = max(width, w), height + h
    if caption is not None:
        width = max(width, 600)
        markup, shift = caption_part(caption, width)
        body = [*markup, f'<g transform="translate(0 {num(shift)})">', *body, "</g>"]
        height += shift
    width, height = num(width), num(height)
    head = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="pathgrad" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FAMILY}" '
        f'role="img" aria-label="{esc(picture.title)}">',
        f"<title>{esc(picture.title)}</title>",
        f'<rect class="background" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"
