"""The step player: one HTML page (or, in a notebook, one fragment) that replays the steps.

The SVG of the whole graph is drawn once; the steps (:func:`pathgrad.pictures.steps.frame_data`)
travel as JSON, and a plain inline script (:data:`pathgrad.pictures.player_script.SCRIPT`)
shows one at a time: what has appeared, the operation of the step outlined, its edges
lit, the ∂loss/∂node written so far. It loads nothing from anywhere.

What a viewer can do:

* step with the buttons, the slider or the keys (← → and a presenter's clicker: Page Up,
  Page Down; Home, End); play, which stops wherever paths meet;
* zoom (``+``, ``-``, the wheel with Ctrl, or the wheel alone in presenter mode) around the
  pointer, ``0`` to fit the whole graph, and pan by dragging;
* ``p``: presenter mode, large type filling the window; ``f``: full screen (and presenter mode).

Each step keeps its operation in view: the picture scrolls to it (in presenter mode
it is centred). The active node and its edges carry the class ``pg-active``, for a
stylesheet or a test to find; the whole page has the keyboard on load.

>>> from pathgrad.explanation import explain
>>> from pathgrad.pictures.drawing import steps
>>> html = steps(explain("seed"), wrt="w1").html
>>> "pg-active" in html and 'data-present="false"' in html and "src=" not in html
True
"""

import hashlib
import json
from html import escape

from pathgrad.escaping import json_for_html
from pathgrad.pictures.fonts import FAMILY
from pathgrad.pictures.html import page
from pathgrad.pictures.player_script import SCRIPT
from pathgrad.pictures.steps import frame_data
from pathgrad.pictures.svg import render as render_svg

#: Keys, as the player's hint line names them.
KEYS = "← → step · + − zoom · 0 fit · drag to pan · p presenter · f full screen"

STYLE = f"""
.pathgrad-steps {{ font-family: {FAMILY}; color: #1a1a1a; background: #ffffff; }}
.pathgrad-steps:focus {{ outline: none; }}
.pathgrad-steps .controls {{ display: flex; gap: 8px; align-items: center; flex-wrap: wrap;
  padding: 8px 0; }}
.pathgrad-steps button {{ font: inherit; font-size: 13px; padding: 3px 10px; }}
.pathgrad-steps input.step {{ flex: 1; min-width: 180px; }}
.pathgrad-steps .counter {{ font-size: 13px; min-width: 6em; }}
.pathgrad-steps .zoom {{ font-size: 13px; min-width: 3.2em; text-align: center; }}
.pathgrad-steps .keys {{ font-size: 12px; color: #59636e; }}
.pathgrad-steps .caption {{ min-height: 3.4em; padding: 2px 0 8px; }}
.pathgrad-steps .heading {{ font-weight: bold; font-size: 15px; }}
.pathgrad-steps .detail {{ font-size: 14px; color: #333333; margin-top: 3px; }}
.pathgrad-steps .figure {{ overflow: auto; max-height: 75vh; border: 1px solid #e1e4e8;
  cursor: grab; }}
.pathgrad-steps .figure.pg-dragging {{ cursor: grabbing; user-select: none; }}
.pathgrad-steps .figure svg {{ display: block; max-width: none !important; margin: 0 auto; }}
.pathgrad-steps .step-hidden {{ display: none; }}
.pathgrad-steps .step-focus rect.box {{ stroke: #d62728; stroke-width: 3.2px; }}
.pathgrad-steps .step-lit path.line {{ stroke: #d62728; stroke-width: 2.6px; }}
.pathgrad-steps .step-lit path.arrow {{ fill: #d62728; }}
.pathgrad-steps .step-lit text.derivative {{ fill: #d62728; font-weight: bold; }}
.pathgrad-steps text.adjoint.step-complete {{ font-weight: bold; }}
.pathgrad-steps.pg-present, .pathgrad-steps:fullscreen {{ position: fixed; inset: 0;
  z-index: 2147483000; display: flex; flex-direction: column; box-sizing: border-box;
  padding: 10px 24px 14px; margin: 0; }}
.pathgrad-steps.pg-present .figure, .pathgrad-steps:fullscreen .figure {{ flex: 1 1 auto;
  min-height: 0; max-height: none; }}
.pathgrad-steps.pg-present button, .pathgrad-steps.pg-present .counter,
.pathgrad-steps.pg-present .zoom {{ font-size: 18px; }}
.pathgrad-steps.pg-present .caption {{ flex: none; font-size: 21px; line-height: 1.3;
  height: 6.6em; overflow-y: auto; }}
.pathgrad-steps.pg-present .heading {{ font-size: 1.35em; }}
.pathgrad-steps.pg-present .detail {{ font-size: 1em; }}
"""


def _controls(last):
    return [
        '<div class="controls">',
        '<button type="button" class="first" title="first step (Home)">\u25c0\u25c0 first</button>',
        '<button type="button" class="prev" title="previous step (\u2190)">\u25c0 previous</button>',
        '<button type="button" class="play">\u25b6 play</button>',
        '<button type="button" class="next" title="next step (\u2192)">next \u25b6</button>',
        f'<input type="range" class="step" min="0" max="{last}" value="0" aria-label="step">',
        f'<span class="counter">step 1 / {last + 1}</span>',
        '<button type="button" class="zoom-out" title="zoom out (\u2212)">\u2212</button>',
        '<span class="zoom" title="zoom">100%</span>',
        '<button type="button" class="zoom-in" title="zoom in (+)">+</button>',
        '<button type="button" class="fit" title="the whole graph (0)">fit</button>',
        '<button type="button" class="present" title="presenter mode (p)">presenter</button>',
        '<button type="button" class="full" title="full screen (f)">full screen</button>',
        f'<span class="keys">{escape(KEYS)}</span>',
        "</div>",
    ]


def player(picture, layout, story, present=False, standalone=False):
    """The player as an HTML fragment (for a notebook, or inside :func:`player_page`).

    ``present``: start in presenter mode. ``standalone``: the player is the page, so it takes
    the keyboard on load (in a notebook it waits for a click, and leaves the notebook's
    own keys alone).
    """
    frames_json = json_for_html(
        json.dumps(frame_data(picture.graph, story), ensure_ascii=False, separators=(",", ":"))
    )
    ident = "pathgrad-steps-" + hashlib.sha1(frames_json.encode()).hexdigest()[:12]
    svg = render_svg(picture, layout, player=True)
    options = json.dumps({"present": bool(present), "page": bool(standalone)})
    root = (
        f'<div class="pathgrad-steps" id="{ident}" tabindex="0" '
        f'data-present="{str(bool(present)).lower()}" data-lm-suppress-shortcuts="true">'
    )
    return (
        "\n".join(
            [
                f"<style>{STYLE}</style>",
                root,
                *_controls(len(story) - 1),
                '<div class="caption"><div class="heading"></div><div class="detail"></div></div>',
                f'<div class="figure">\n{svg}</div>',
                f'<script type="application/json" class="frames">{frames_json}</script>',
                "</div>",
                f'<script>{SCRIPT}("{ident}", {options});</script>',
            ]
        )
        + "\n"
    )


def player_page(picture, layout, story, present=False):
    """The player as a complete, self-contained HTML page."""
    body = (
        f"<main>\n<h1>{escape(picture.title)}</h1>\n"
        f"{player(picture, layout, story, present, standalone=True)}</main>"
    )
    style = (
        f"body {{ margin: 0; font-family: {FAMILY}; background: #ffffff; }} "
        "main { padding: 8px 16px; } h1 { font-size: 17px; margin: 4px 0; }"
    )
    return page(f"pathgrad steps: {picture.title}", body, style)
