"""The picture as one self-contained HTML page: the SVG inline, no network needed.

The page carries its own style and a two-line script (fit the picture to the
window, both its width and its height, or show it at full size); it loads
nothing from anywhere.

>>> from pathgrad.explanation import explain
>>> from pathgrad.pictures.picture import picture
>>> page = render(picture(explain("reuse").graph))
>>> page.startswith("<!DOCTYPE html>") and "<svg" in page and "src=" not in page
True
"""

from html import escape

from pathgrad.pictures.fonts import FAMILY
from pathgrad.pictures.svg import render as render_svg

STYLE = f"""
body {{ margin: 0; font-family: {FAMILY}; color: #1a1a1a; background: #ffffff; }}
header {{ padding: 12px 16px 4px; display: flex; gap: 16px; align-items: baseline; }}
h1 {{ font-size: 17px; margin: 0; font-weight: bold; }}
button {{ font: inherit; font-size: 13px; padding: 2px 10px; }}
.figure {{ overflow: auto; padding: 4px 8px 16px; }}
.figure svg {{ display: block; max-width: none !important; height: auto; }}
.figure.fit svg {{ max-width: 100% !important; max-height: calc(100vh - 72px); margin: 0 auto; }}
"""

SCRIPT = """
document.getElementById("fit").addEventListener("click", function (event) {
  var fit = document.querySelector(".figure").classList.toggle("fit");
  event.target.textContent = fit ? "full size" : "fit to window";
});
"""


def page(title, body, style="", script=""):
    """An HTML document with inline style and script only."""
    return (
        "\n".join(
            [
                "<!DOCTYPE html>",
                '<html lang="en">',
                "<head>",
                '<meta charset="utf-8">',
                '<meta name="viewport" content="width=device-width, initial-scale=1">',
                '<meta name="generator" content="pathgrad">',
                f"<title>{escape(title)}</title>",
                f"<style>{style}</style>",
                "</head>",
                "<body>",
                body,
                f"<script>{script}</script>" if script else "",
                "</body>",
                "</html>",
            ]
        )
        + "\n"
    )


def render(picture, layout=None):
    """The picture as a complete HTML page (a string)."""
    svg = render_svg(picture, layout)
    body = "\n".join(
        [
            f"<header><h1>{escape(picture.title)}</h1>",
            '<button id="fit" type="button">full size</button></header>',
            f'<div class="figure fit">\n{svg}</div>',
        ]
    )
    return page(f"pathgrad: {picture.title}", body, STYLE, SCRIPT)
