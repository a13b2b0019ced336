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
from pathgrad.pictures.layout import ARROW, DIRECTIONS, LABEL_GAP, layered_layouts
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
#: The screen a picture is meant for: ``direction="auto"`` picks the layout drawn largest on it.
SCREEN = (16, 9)
#: What the root ``<svg>`` says about its size on a page: never wider than its container.
SCALES = "max-width: 100%; height: auto"


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


def layout_picture(picture, direction="LR"):
    """The layered layout of a picture, with room for its labels.

    ``direction`` is "LR" (leaves left, loss right), "TB" (leaves at the top,
    loss at the bottom) or "auto": the one whose whole picture, legend and key
    included, is drawn largest on a 16:9 screen (:func:`screen_scale`); a tie
    goes to "LR".
    """
    sizes = {n: node_size(v) for n, v in picture.nodes.items()}
    labels = {
        e: text_width(v.label, LABEL_SIZE, bold=bool(v.paths)) for e, v in picture.edges.items()
    }
    directions = DIRECTIONS if direction == "auto" else (direction,)
    layouts = layered_layouts(picture.graph, sizes, labels, directions).values()
    return max(layouts, key=lambda layout: screen_scale(*picture_size(picture, layout)))


def screen_scale(width, height, screen=SCREEN):
    """How much a picture ``width`` × ``height`` is enlarged to fit a screen of that shape.

    Only the ratio matters: a 1600 × 900 picture fits a 16:9 screen exactly.

    >>> screen_scale(1600, 900) == screen_scale(800, 450) / 2
    True
    >>> screen_scale(3200, 450) < screen_scale(1600, 900)
    True
    """
    return min(screen[0] / width, screen[1] / height)


def picture_size(picture, layout, key=True):
    """The picture's width and height as :func:`render` draws it, legend and key included."""
    width, height = layout.width, layout.height
    if picture.legend is not None:
        _, w, h = legend_part(picture.legend, height, width)
        width, height = max(width, w), height + h
    if key:
        _, w, h = key_part(height, width)
        width, height = max(width, w), height + h
    return width, height


def _curve(points, shift=0.0, down=False):
    """An edge's line through ``points``, moved ``shift`` across the flow; its tangents run
    along the flow (horizontal left to right, vertical top to bottom)."""

    def point(along, across):
        return f"{num(across)} {num(along)}" if down else f"{num(along)} {num(across)}"

    (a, c), *rest = [(y, x) if down else (x, y) for x, y in points]
    d = [f"M{point(a, c + shift)}"]
    for na, nc in rest:
        if abs(nc - c) < 0.05:
            d.append(f"L{point(na, nc + shift)}")
        else:
            m = (a + na) / 2
            d.append(f"C{point(m, c + shift)} {point(m, nc + shift)} {point(na, nc + shift)}")
        a, c = na, nc
    return " ".join(d)


def _arrow(tip, shift=0.0, down=False):
    """An arrowhead touching ``tip``: pointing left, or (top to bottom) up."""
    if down:
        x, y = tip[0] + shift, tip[1]
        return f"M{num(x)} {num(y)} L{num(x - 4)} {num(y + ARROW)} L{num(x + 4)} {num(y + ARROW)} Z"
    x, y = tip[0], tip[1] + shift
    return f"M{num(x)} {num(y)} L{num(x + ARROW)} {num(y - 4)} L{num(x + ARROW)} {num(y + 4)} Z"


def _path_strokes(view, route, down):
    """An edge on highlighted paths: one stroke per path, side by side (a bundle)."""
    m = len(view.paths)
    spacing = min(PATH_SPACING, BUNDLE / max(1, m - 1))
    out = []
    for j, number in enumerate(view.paths):
        dy = (j - (m - 1) / 2) * spacing
        colour, dash = path_style(number).colour, path_style(number).dash
        dash = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path class="line path-{number}" d="{_curve(route.points, dy, down)}" '
            f'fill="none" stroke="{colour}" stroke-width="{PATH_WIDTH}"{dash}/>'
        )
        out.append(
            f'<path class="arrow path-{number}" d="{_arrow(route.tip, dy, down)}" fill="{colour}"/>'
        )
    colour = path_style(view.paths[0]).colour if m == 1 else "#1a1a1a"
    return out, colour, ' font-weight="bold"', (m - 1) / 2 * spacing


def _plain_stroke(route, style, lit, down):
    stroke, width = (THEME["focus"]["stroke"], 2.6) if lit else (style["stroke"], 1.4)
    out = [
        f'<path class="line" d="{_curve(route.points, 0.0, down)}" fill="none" '
        f'stroke="{stroke}" stroke-width="{width}"/>',
        f'<path class="arrow" d="{_arrow(route.tip, 0.0, down)}" fill="{stroke}"/>',
    ]
    return out, THEME["focus"]["stroke"] if lit else style["label"], "", 0.0


def _label_place(route, shift, loss):
    """Where an edge's label is written: ``x``, ``y`` and its ``text-anchor``."""
    x, y = route.label
    if route.side in ("left", "right"):  # top to bottom: beside the edge, above the consumer
        y -= 9 if loss else 3  # clear of the loss's double border
        if route.side == "left":
            return x - LABEL_GAP - shift, y, "end"
        return x + LABEL_GAP + shift, y, "start"
    x -= 6 if loss else 0  # clear of the loss's double border
    y = y - 4 - shift if route.side == "above" else y + 4 + shift + LABEL_SIZE * 0.78
    return x, y, "end"


def _edge(view, route, picture, state, down=False):
    attrs = (
        f'class="edge" id="edge-{view.id}" data-edge="{view.id}" '
        f'data-consumer="{view.consumer}" data-operand="{view.operand}" '
        f'data-key="{view.key}" data-derivative="{esc(view.derivative)}"'
    )
    if view.paths:
        attrs += f' data-path="{" ".join(map(str, view.paths))}"'
    out = [f"<g {attrs}>", f"<title>{esc(view.tooltip)}</title>"]
    if view.paths:
        strokes, colour, weight, shift = _path_strokes(view, route, down)
    else:
        lit = state is not None and (view.consumer, view.operand, view.key) in state.edges
        style = THEME["edge_faded" if picture.legend else "edge"]
        strokes, colour, weight, shift = _plain_stroke(route, style, lit, down)
    out += strokes
    x, y, anchor = _label_place(route, shift, view.consumer == picture.loss)
    out.append(
        f'<text class="derivative" x="{num(x)}" y="{num(y)}" text-anchor="{anchor}" '
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


def _node(view, box, state, player, down=False):
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
        tag = box.bottom + 17 if down else box.top - 8  # top to bottom, edges leave the top
        out.append(
            f'<text class="tag" x="{num(box.x)}" y="{num(tag)}" '
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
    down = layout.direction == "TB"
    visible = None if state is None else state.visible
    body = ['<g class="edges">']
    for edge, view in picture.edges.items():
        if visible is None or (view.consumer in visible and view.operand in visible):
            body.append(_edge(view, layout.routes[edge], picture, state, down))
    body += ["</g>", '<g class="nodes">']
    for node, view in picture.nodes.items():
        if visible is None or node in visible:
            body.append(_node(view, layout.boxes[node], state, player, down))
    body.append("</g>")
    width, height = layout.width, layout.height
    if picture.legend is not None:
        markup, w, h = legend_part(picture.legend, height, width)
        body += markup
        width, height = max(width, w), height + h
    if key:
        markup, w, h = key_part(height, width)
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
        f'height="{height}" viewBox="0 0 {width} {height}" style="{SCALES}" '
        f'font-family="{FAMILY}" data-direction="{layout.direction}" role="img" '
        f'aria-label="{esc(picture.title)}">',
        f"<title>{esc(picture.title)}</title>",
        f'<rect class="background" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    return "\n".join([*head, *body, "</svg>"]) + "\n"
