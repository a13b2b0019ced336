r"""The step-by-step picture: one SVG per step, or the data of the HTML player.

Reads the frames of :mod:`pathgrad.pictures.frames` (which computes) and the
picture of the graph (which says what each node and edge shows); writes
captions, the ∂loss/∂node written in each node, and the highlights. Every
step uses the layout of the whole graph, so nothing moves between steps.

The player (:mod:`pathgrad.pictures.player`) draws the whole graph once and
replays :func:`frame_data`, the steps as JSON, in the browser.

>>> from pathgrad.explanation import explain
>>> from pathgrad.pictures.frames import frames
>>> g = explain("seed").graph
>>> story = frames(g, wrt=2)
>>> print(*caption(g, story[1]), sep="\n")
Forward · line 7: x3 = w1 * x1
new node x3 = w1·x1 (MulBackward0) = 1; its edges carry ∂x3/∂w1 = x1 and ∂x3/∂x1 = w1
>>> print(*caption(g, [f for f in story if f.meets][0])[1].split(". "), sep="\n")
x3 passes ∂L/∂x3 = -2 to its operand: ∂L/∂w1 += (-2) · x1 = (-2) · 1 = -2
Paths meet at w1: ∂L/∂w1 = (-6) + (-2) = -8
"""

from pathgrad.escaping import visible
from pathgrad.pictures.frames import replay
from pathgrad.pictures.picture import expr_text, fit, partial, shorten
from pathgrad.pictures.svg import FrameState
from pathgrad.pictures.svg import render as render_svg
from pathgrad.render.text import value_text

MAX_DETAIL = 400


def _name(graph, node):
    return graph.nodes[node]["name"]


def _signed(value):
    text = value_text(value)
    return f"({text})" if text.startswith("-") else text


def annotation(graph, node, value):
    """What a node shows during the backward sweep: ``∂L/∂x3 = -2``."""
    loss = _name(graph, graph.graph["loss"])
    return fit(partial(loss, _name(graph, node)), f" = {value_text(value)}", 30)


def reserve(graph, story):
    """For each node the sweep writes in, its widest text: room is kept for it."""
    widest = {}
    for frame in story:
        for node, value in frame.adjoints.items():
            text = annotation(graph, node, value)
            if len(text) >= len(widest.get(node, "")):
                widest[node] = text
    return widest


def _title(graph, node):
    data = graph.nodes[node]
    name, formula = expr_text(data["name"]), expr_text(data["formula"])
    return name if name == formula else f"{name} = {formula}"


def _forward(graph, frame):
    if frame.kind == "leaves":
        leaves = ", ".join(
            f"{_name(graph, n)} = {value_text(graph.nodes[n]['value'])}" for n in frame.new
        )
        return "Forward · the leaves", leaves
    data, node = graph.nodes[frame.node], frame.node
    where = (
        f"line {frame.line}: {visible(data['source'])}"
        if data.get("source")
        else _title(graph, node)
    )
    carries = " and ".join(
        f"{partial(_name(graph, node), _name(graph, o))} = "
        f"{expr_text(graph.edges[node, o, k]['local_derivative'])}"
        for _, o, k in frame.edges
    )
    detail = (
        f"new node {_title(graph, node)} ({data['grad_fn']}) = "
        f"{value_text(data['value'], data.get('undefined'))}"
    )
    edges = "edge carries" if len(frame.edges) == 1 else "edges carry"
    return f"Forward · {where}", f"{detail}; its {edges} {carries}" if carries else detail


def _send(graph, frame, loss):
    node = frame.node
    sender = partial(loss, _name(graph, node))
    parts = []
    for (consumer, operand, key), adjoint, value, contribution in frame.sends:
        derivative = expr_text(graph.edges[consumer, operand, key]["local_derivative"])
        if derivative.startswith("-") or " " in derivative:
            derivative = f"({derivative})"
        product = f"{_signed(adjoint)} · {derivative}"
        if derivative != _signed(value):
            product += f" = {_signed(adjoint)} · {_signed(value)}"
        adds = "+=" if graph.in_degree(operand) > 1 else "="  # several edges: a running sum
        parts.append(
            f"{partial(loss, _name(graph, operand))} {adds} {product} = {value_text(contribution)}"
        )
    plural = "operand" if len(parts) == 1 else "operands"
    detail = (
        f"{expr_text(_name(graph, node))} passes {sender} = "
        f"{value_text(frame.sends[0][1] if frame.sends else None)} to its {plural}: "
        + "; ".join(parts)
    )
    for operand, arrived in frame.meets:
        terms = " + ".join(_signed(c) for _, c in arrived)
        total = value_text(frame.adjoints[operand])
        detail += (
            f". Paths meet at {expr_text(_name(graph, operand))}: "
            f"{partial(loss, _name(graph, operand))} = {terms} = {total}"
        )
    data = graph.nodes[node]
    where = (
        f"line {frame.line}: {visible(data['source'])}"
        if data.get("source")
        else _title(graph, node)
    )
    return f"Backward · {where}", detail


def caption(graph, frame, adjoints=None):
    """A step's caption: ``(heading, detail)``; the heading names the source line."""
    loss = _name(graph, graph.graph["loss"])
    if frame.phase == "forward":
        heading, detail = _forward(graph, frame)
    elif frame.kind == "start":
        heading, detail = "Backward · start at the loss", f"{partial(loss, loss)} = 1"
    elif frame.kind == "send":
        heading, detail = _send(graph, frame, loss)
    else:
        adjoints = adjoints or {}
        if frame.node is not None:
            wanted = [frame.node]
        else:
            wanted = [
                n
                for n in sorted(graph)
                if graph.nodes[n]["kind"] == "leaf" and graph.nodes[n]["requires_grad"]
            ]
        heading = "Backward · done"
        detail = ", ".join(
            f"{partial(loss, _name(graph, n))} = {value_text(adjoints.get(n))}" for n in wanted
        )
    return visible(heading), visible(shorten(detail, MAX_DETAIL))  # a file's text: escaped


def focus(frame):
    """The nodes a step outlines: the new node, or the sender and where paths meet."""
    if frame.phase == "forward":
        return tuple(frame.new)
    return tuple(n for n in (frame.node, *(m for m, _ in frame.meets)) if n is not None)


def state(graph, story, index):
    """The :class:`~pathgrad.pictures.svg.FrameState` of step ``index``."""
    visible, adjoints, complete = replay(story, index)
    frame = story[index]
    return FrameState(
        visible=visible,
        focus=set(focus(frame)),
        edges=set(frame.edges),
        annotations={n: annotation(graph, n, v) for n, v in adjoints.items()},
        complete=complete,
    )


def frame_svg(picture, layout, story, index):
    """Step ``index`` as a standalone SVG, its caption on top."""
    graph = picture.graph
    _, adjoints, _ = replay(story, index)
    return render_svg(
        picture, layout, state(graph, story, index), caption=caption(graph, story[index], adjoints)
    )


def frame_data(graph, story):
    """The steps as data for the player: per step its caption, what appears, what is
    outlined and lit, the ∂loss/∂node written, and whether paths meet."""
    data, adjoints = [], {}
    for frame in story:
        adjoints.update(frame.adjoints)
        heading, detail = caption(graph, frame, adjoints)
        data.append(
            {
                "p": frame.phase,
                "h": heading,
                "t": detail,
                "n": list(frame.new),
                "f": list(focus(frame)),
                "e": [f"{u}-{v}-{k}" for u, v, k in frame.edges],
                "a": {str(n): annotation(graph, n, v) for n, v in frame.adjoints.items()},
                "c": list(frame.complete),
                "m": 1 if frame.meets else 0,
            }
        )
    return data
