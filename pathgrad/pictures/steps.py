r"""The step-by-step picture: one SVG per step, or an offline HTML player.

Reads the frames of :mod:`pathgrad.pictures.frames` (which computes) and the
picture of the graph (which says what each node and edge shows); writes
captions, the ∂loss/∂node written in each node, and the highlights. Every
step uses the layout of the whole graph, so nothing moves between steps.

The player is one HTML page (or, in a notebook, one fragment): the SVG of
the whole graph, the steps as JSON, buttons to go back and forth, a slider,
and a play button that stops wherever paths meet. Plain inline JavaScript;
it loads nothing.

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

import hashlib
import json
from html import escape

from pathgrad.escaping import json_for_html, visible
from pathgrad.pictures.fonts import FAMILY
from pathgrad.pictures.frames import replay
from pathgrad.pictures.html import page
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


def _frame_data(graph, story):
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


STYLE = f"""
.pathgrad-steps {{ font-family: {FAMILY}; color: #1a1a1a; }}
.pathgrad-steps:focus {{ outline: none; }}
.pathgrad-steps .controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap;
  padding: 8px 0; }}
.pathgrad-steps button {{ font: inherit; font-size: 13px; padding: 3px 10px; }}
.pathgrad-steps input.step {{ flex: 1; min-width: 180px; }}
.pathgrad-steps .counter {{ font-size: 13px; min-width: 6em; }}
.pathgrad-steps .caption {{ min-height: 3.4em; padding: 2px 0 8px; }}
.pathgrad-steps .heading {{ font-weight: bold; font-size: 15px; }}
.pathgrad-steps .detail {{ font-size: 14px; color: #333333; margin-top: 3px; }}
.pathgrad-steps .figure {{ overflow: auto; }}
.pathgrad-steps .figure svg {{ display: block; }}
.pathgrad-steps .step-hidden {{ display: none; }}
.pathgrad-steps .step-focus rect.box {{ stroke: #d62728; stroke-width: 3.2px; }}
.pathgrad-steps .step-lit path.line {{ stroke: #d62728; stroke-width: 2.6px; }}
.pathgrad-steps .step-lit path.arrow {{ fill: #d62728; }}
.pathgrad-steps .step-lit text.derivative {{ fill: #d62728; font-weight: bold; }}
.pathgrad-steps text.adjoint.step-complete {{ font-weight: bold; }}
"""

SCRIPT = """
(function (id) {
  var root = document.getElementById(id);
  var frames = JSON.parse(root.querySelector("script.frames").textContent);
  var nodes = {}, edges = [], notes = {};
  function each(selector, f) { Array.prototype.forEach.call(root.querySelectorAll(selector), f); }
  each("g.node", function (g) { nodes[g.getAttribute("data-node")] = g; });
  each("g.edge", function (g) { edges.push(g); });
  each("text.adjoint", function (t) { notes[t.getAttribute("data-node")] = t; });
  var slider = root.querySelector("input.step"), counter = root.querySelector(".counter");
  var heading = root.querySelector(".heading"), detail = root.querySelector(".detail");
  var play = root.querySelector("button.play"), current = 0, timer = null;
  function mark(element, name, on) {
    if (on) { element.classList.add(name); } else { element.classList.remove(name); }
  }
  function set(list) { var s = {}; list.forEach(function (x) { s[x] = true; }); return s; }
  function show(k) {
    current = Math.max(0, Math.min(frames.length - 1, k));
    var seen = {}, text = {}, done = {}, i, n, f;
    for (i = 0; i <= current; i++) {
      f = frames[i];
      f.n.forEach(function (x) { seen[x] = true; });
      for (n in f.a) { text[n] = f.a[n]; }
      f.c.forEach(function (x) { done[x] = true; });
    }
    f = frames[current];
    var all = f.p === "backward", focus = set(f.f), lit = set(f.e);
    for (n in nodes) {
      mark(nodes[n], "step-hidden", !all && !seen[n]);
      mark(nodes[n], "step-focus", !!focus[n]);
    }
    edges.forEach(function (g) {
      var a = g.getAttribute("data-consumer"), b = g.getAttribute("data-operand");
      mark(g, "step-hidden", !all && !(seen[a] && seen[b]));
      mark(g, "step-lit", !!lit[g.getAttribute("data-edge")]);
    });
    for (n in notes) {
      notes[n].textContent = text[n] || "";
      mark(notes[n], "step-complete", !!done[n]);
    }
    heading.textContent = f.h;
    detail.textContent = f.t;
    slider.value = current;
    counter.textContent = "step " + (current + 1) + " / " + frames.length;
  }
  function stop() {
    if (timer) { clearInterval(timer); timer = null; }
    play.textContent = "\\u25B6 play";
  }
  function tick() {
    if (current >= frames.length - 1) { stop(); return; }
    show(current + 1);
    if (frames[current].m) { stop(); }
  }
  root.querySelector("button.first").onclick = function () { stop(); show(0); };
  root.querySelector("button.prev").onclick = function () { stop(); show(current - 1); };
  root.querySelector("button.next").onclick = function () { stop(); show(current + 1); };
  play.onclick = function () {
    if (timer) { stop(); return; }
    if (current >= frames.length - 1) { show(0); }
    timer = setInterval(tick, 1100);
    play.textContent = "\\u275A\\u275A pause";
  };
  slider.oninput = function () { stop(); show(+slider.value); };
  root.onkeydown = function (event) {
    if (event.key === "ArrowRight") { stop(); show(current + 1); event.preventDefault(); }
    if (event.key === "ArrowLeft") { stop(); show(current - 1); event.preventDefault(); }
  };
  var asked = /step=(\\d+)/.exec(window.location.hash);  // a link to one step: page.html#step=9
  show(asked ? +asked[1] - 1 : 0);
})
"""


def player(picture, layout, story):
    """The player as an HTML fragment (for a notebook, or inside :func:`player_page`)."""
    graph = picture.graph
    frames_json = json_for_html(
        json.dumps(_frame_data(graph, story), ensure_ascii=False, separators=(",", ":"))
    )
    ident = "pathgrad-steps-" + hashlib.sha1(frames_json.encode()).hexdigest()[:12]
    svg = render_svg(picture, layout, player=True)
    last = len(story) - 1
    return (
        "\n".join(
            [
                f"<style>{STYLE}</style>",
                f'<div class="pathgrad-steps" id="{ident}" tabindex="0">',
                '<div class="controls">',
                '<button type="button" class="first" title="first step">\u25c0\u25c0 first</button>',
                '<button type="button" class="prev">\u25c0 previous</button>',
                '<button type="button" class="play">\u25b6 play</button>',
                '<button type="button" class="next">next \u25b6</button>',
                f'<input type="range" class="step" min="0" max="{last}" value="0" aria-label="step">',
                f'<span class="counter">step 1 / {last + 1}</span>',
                "</div>",
                '<div class="caption"><div class="heading"></div><div class="detail"></div></div>',
                f'<div class="figure">\n{svg}</div>',
                f'<script type="application/json" class="frames">{frames_json}</script>',
                "</div>",
                f'<script>{SCRIPT}("{ident}");</script>',
            ]
        )
        + "\n"
    )


def player_page(picture, layout, story):
    """The player as a complete, self-contained HTML page."""
    body = f"<main>\n<h1>{escape(picture.title)}</h1>\n{player(picture, layout, story)}</main>"
    style = (
        f"body {{ margin: 0; font-family: {FAMILY}; background: #ffffff; }} "
        "main { padding: 8px 16px; } h1 { font-size: 17px; margin: 4px 0; }"
    )
    return page(f"pathgrad steps: {picture.title}", body, style)
