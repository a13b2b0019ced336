"""The parts of an SVG picture around the graph: the legend, the key and a step's caption.

Each returns its markup as a list of lines, its width and its height, so
that :mod:`pathgrad.pictures.svg` can stack them under (or over) the graph.

>>> lines, width, height = key(0, 1000)
>>> lines[0], height, key(0, 400)[2]  # a narrow picture: the key takes two lines
('<g class="key">', 30, 50)
"""

from html import escape

from pathgrad.pictures.fonts import text_width
from pathgrad.pictures.picture import MAX_ROUTE, THEME, shorten

LEGEND_SIZE, KEY_SIZE, CAPTION_SIZE = 13, 11.5, 14
#: The width a legend may always take (pixels): past it and the graph's width, it stacks.
LEGEND_ROOM = 640


def num(v):
    """A coordinate, to one decimal, without noise: ``12``, ``12.5``."""
    text = f"{v:.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return "0" if text == "-0" else text


def esc(text):
    """Text or an attribute value, escaped for XML."""
    return escape(str(text), quote=True)


def legend(view, top, room=0):
    """The legend's markup and its size: one line per path, then the sum.

    Where that is wider than ``room`` (the graph's width, at least :data:`LEGEND_ROOM`),
    each path's product goes under its route and the sum wraps: a narrow picture, drawn
    top to bottom, keeps a narrow legend.
    """
    out, room = ['<g class="legend">'], max(room, LEGEND_ROOM)
    x, y, step = 16, top + LEGEND_SIZE + 6, LEGEND_SIZE + 9
    out.append(
        f'<text class="legend-title" x="{x}" y="{num(y)}" font-size="{LEGEND_SIZE + 1}" '
        f'font-weight="bold" fill="#1a1a1a">{esc(view.title)}</text>'
    )
    routes = [shorten(p.route, MAX_ROUTE) for p in view.paths]
    start = x + 42 + text_width(f"path {len(view.paths)}", LEGEND_SIZE, bold=True) + 12
    column = start + max((text_width(r, LEGEND_SIZE) for r in routes), default=0) + 24
    wide = max((column + text_width(p.summary, LEGEND_SIZE) for p in view.paths), default=0)
    total = text_width(view.total_short, LEGEND_SIZE + 1, bold=True)
    stacked = max(wide, start + total) + 16 > room
    width = 0.0
    for path, route in zip(view.paths, routes):
        y += step
        below = (start, y + step - 4) if stacked else (column, y)
        out += _legend_path(path, route, x, y, start, below)
        width = max(width, below[0] + text_width(path.summary, LEGEND_SIZE), column - 24)
        y = below[1] + (4 if stacked else 0)
    if view.hidden:
        y += step
        paths = "path" if view.hidden == 1 else "paths"
        more = f"… and {view.hidden:,} more {paths}, not drawn (the sum includes them)"
        out.append(
            f'<text x="{x + 42}" y="{num(y)}" font-size="{LEGEND_SIZE}" '
            f'fill="#555555">{esc(more)}</text>'
        )
    y += step + 2
    lines = [view.total_short]
    if stacked:
        lines = wrap(view.total_short, max(room - start - 16, 200), LEGEND_SIZE + 1, True)
    out += _legend_sum(view, x, y, start, lines)
    y += (len(lines) - 1) * (step + 1)
    width = max(
        width,
        start + max(text_width(line, LEGEND_SIZE + 1, bold=True) for line in lines),
        x + text_width(view.title, LEGEND_SIZE + 1, bold=True),
    )
    out.append("</g>")
    return out, width + 16, y + 10 - top


def _legend_path(path, route, x, y, start, summary):
    """A path in the legend: its stroke, its number, its route; its product at ``summary``."""
    dash = f' stroke-dasharray="{path.dash}"' if path.dash else ""
    whole = f"path {path.number}: {path.route} = {path.factors} = {path.product} = {path.value}"
    return [
        f'<g class="legend-path" data-path="{path.number}">',
        f"<title>{esc(whole)}</title>",
        f'<line x1="{x}" y1="{num(y - 4.5)}" x2="{x + 32}" y2="{num(y - 4.5)}" '
        f'stroke="{path.colour}" stroke-width="3.5"{dash}/>',
        f'<text x="{x + 42}" y="{num(y)}" font-size="{LEGEND_SIZE}" '
        f'font-weight="bold" fill="{path.colour}">path {path.number}</text>',
        f'<text x="{num(start)}" y="{num(y)}" font-size="{LEGEND_SIZE}" '
        f'fill="#1a1a1a">{esc(route)}</text>',
        f'<text x="{num(summary[0])}" y="{num(summary[1])}" font-size="{LEGEND_SIZE}" '
        f'fill="#333333">{esc(path.summary)}</text>',
        "</g>",
    ]


def _legend_sum(view, x, y, start, lines):
    """The legend's last line (or lines): the sum of every path, the whole form in its tooltip."""
    rows = "".join(
        f'<tspan x="{num(start)}" dy="{0 if i == 0 else LEGEND_SIZE + 10}">{esc(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    text = esc(lines[0]) if len(lines) == 1 else rows
    return [
        f'<text x="{x + 42}" y="{num(y)}" font-size="{LEGEND_SIZE + 1}" '
        f'font-weight="bold" fill="#1a1a1a">sum</text>',
        f'<text class="legend-sum" x="{num(start)}" y="{num(y)}" '
        f'font-size="{LEGEND_SIZE + 1}" font-weight="bold" '
        f'fill="#1a1a1a">{text}<title>{esc(view.total)}</title>'
        "</text>",
    ]


KEY = (
    ("leaf", "leaf", "x"),
    ("leaf_no_grad", "leaf, no grad", "x"),
    ("operation", "operation (grad_fn)", "f"),
    ("loss", "loss", "L"),
)


def key(top, width=0):
    """A key: what the boxes and arrows mean, on one line, or two where the picture is
    narrower than ``width`` allows."""
    out, x, y = ['<g class="key">'], 16, top + 8
    for kind, text, _ in KEY:
        style = THEME["operation"] if kind == "loss" else THEME[kind]
        stroke = THEME["loss"]["stroke"] if kind == "loss" else style["stroke"]
        dash = f' stroke-dasharray="{style["dash"]}"' if "dash" in style else ""
        if kind == "loss":
            out.append(
                f'<rect x="{x - 3}" y="{num(y - 3)}" width="28" height="20" rx="6" '
                f'fill="none" stroke="{stroke}" stroke-width="1.2"/>'
            )
        out.append(
            f'<rect x="{x}" y="{num(y)}" width="22" height="14" rx="4" '
            f'fill="{style["fill"]}" stroke="{stroke}" stroke-width="1.5"{dash}/>'
        )
        out.append(
            f'<text x="{x + 30}" y="{num(y + 11)}" font-size="{KEY_SIZE}" '
            f'fill="#333333">{esc(text)}</text>'
        )
        x += 30 + text_width(text, KEY_SIZE) + 22
    note = "arrows point from a result to each operand, as a path reads: loss → … → leaf"
    swatches, height = x, 30
    if x + text_width(note, KEY_SIZE) + 16 > width:  # narrower: the note on a line of its own
        x, y, height = 16, y + 20, 50
    out.append(
        f'<text x="{num(x)}" y="{num(y + 11)}" font-size="{KEY_SIZE}" '
        f'fill="#555555">{esc(note)}</text>'
    )
    out.append("</g>")
    return out, max(swatches, x + text_width(note, KEY_SIZE) + 16), height


CAPTION_SIZE = 14


def wrap(text, width, size, bold=False):
    """Greedy word wrap of ``text`` to lines at most ``width`` pixels wide.

    >>> wrap("one two three four", 60, 12)
    ['one two', 'three four']
    """
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line and text_width(candidate, size, bold) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def caption(caption, width):
    """A step's caption above the picture: the heading in bold, the detail wrapped."""
    heading, detail = caption
    out, y = ['<g class="caption">'], 16 + CAPTION_SIZE
    out.append(
        f'<text class="heading" x="16" y="{y}" font-size="{CAPTION_SIZE}" '
        f'font-weight="bold" fill="#1a1a1a">{esc(heading)}</text>'
    )
    for line in wrap(detail, width - 32, CAPTION_SIZE - 1):
        y += CAPTION_SIZE + 5
        out.append(
            f'<text class="detail" x="16" y="{y}" font-size="{CAPTION_SIZE - 1}" '
            f'fill="#333333">{esc(line)}</text>'
        )
    out.append("</g>")
    return out, y + 12
