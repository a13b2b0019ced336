"""Text widths without a font engine, so that layouts need no Graphviz and no Pillow.

Pictures name the font family ``DejaVu Sans, Verdana, sans-serif``: DejaVu
Sans is on almost every Linux machine and Verdana, on Windows and macOS, has
nearly the same widths. The tables below are DejaVu Sans advance widths, in
hundredths of an em, for printable ASCII; other characters use a few known
widths or a generous default, so a measured label is never shorter than the
drawn one.

>>> text_width("x3", 14)
17.22
>>> text_width("w2·x3", 12.5) < text_width("w2·x3", 12.5, bold=True)
True
"""

FAMILY = "DejaVu Sans, Verdana, sans-serif"

# Advance widths of " " to "~" (ASCII 32-126), in hundredths of an em.
_REGULAR = (
    32, 40, 46, 84, 64, 95, 78, 27, 39, 39, 50, 84, 32, 36, 32, 34, 64, 64, 64, 64, 64, 64, 64,
    64, 64, 64, 34, 34, 84, 84, 84, 53, 100, 68, 69, 70, 77, 63, 58, 77, 75, 29, 29, 66, 56, 86,
    75, 79, 60, 79, 69, 63, 61, 73, 68, 99, 69, 61, 69, 39, 34, 39, 84, 50, 50, 61, 63, 55, 63,
    62, 35, 63, 63, 28, 28, 58, 28, 97, 63, 61, 63, 63, 41, 52, 39, 63, 59, 82, 59, 59, 52, 64,
    34, 64, 84,
)
_BOLD = (
    35, 46, 52, 84, 70, 100, 87, 31, 46, 46, 52, 84, 38, 42, 38, 37, 70, 70, 70, 70, 70, 70, 70,
    70, 70, 70, 40, 40, 84, 84, 84, 58, 100, 77, 76, 73, 83, 68, 68, 82, 84, 37, 37, 77, 64, 100,
    84, 85, 73, 85, 77, 72, 68, 81, 77, 110, 77, 72, 73, 46, 37, 46, 84, 50, 50, 67, 72, 59, 72,
    68, 44, 72, 71, 34, 34, 67, 34, 104, 71, 69, 72, 72, 49, 60, 48, 71, 65, 92, 65, 65, 58, 71,
    37, 71, 84,
)
_OTHER = {"·": 34, "→": 84, "∂": 54, "…": 100, "−": 84, "²": 44, "Σ": 68, "✓": 84, "—": 100}
_DEFAULT = 100  # anything else: as wide as an em, so that nothing is cut


def _width(char, table):
    code = ord(char)
    if 32 <= code <= 126:
        return table[code - 32]
    return _OTHER.get(char, _DEFAULT)


def text_width(text, size, bold=False):
    """The width in pixels of ``text`` set at ``size`` pixels."""
    table = _BOLD if bold else _REGULAR
    return round(sum(_width(c, table) for c in text) * size / 100, 2)
