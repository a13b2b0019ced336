r"""Untrusted text in a report: the one place that makes it safe to show.

File names, answers and messages come from other people. Shown raw, a name
can clear a teacher's terminal or set its title (ANSI and OSC escapes), forge
a line of a report (a newline), reorder what is read (bidirectional
overrides), end a comment early in LaTeX, Mermaid or DOT, or start a formula
in a spreadsheet. Every renderer that puts such text in a line, a comment, a
fence or a cell goes through this module.

:func:`visible` escapes, in Python's notation, every character that is not
shown as itself: C0 and C1 controls (``\x1b``, ``\n``, ``\r`` and every other
Unicode line break), format characters (bidirectional overrides and isolates,
zero-width characters: ``\u202e``), the line and paragraph separators, and
lone surrogates (a byte of a file name that is not UTF-8, ``\xff``):

>>> visible("bob.py\nalice.py: w1: right")
'bob.py\\nalice.py: w1: right'
>>> visible("\x1b]0;pwned\x07evil\u202egnp.py"), visible("caf\udce9.py")
('\\x1b]0;pwned\\x07evil\\u202egnp.py', 'caf\\xe9.py')

Other text is unchanged (a backslash too, so a Windows path reads as it
is), and escaping twice changes nothing more.
"""

import re
import unicodedata

#: Unicode categories shown as escapes: controls, format characters (bidi), line and
#: paragraph separators, surrogates.
HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
#: Characters of other categories that show as nothing (Hangul fillers, the combining
#: grapheme joiner, Khmer's invisible vowels, the blank Braille cell): ``bob\u034f.py``
#: would look like ``bob.py``. Escaped as the hidden ones are.
INVISIBLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0")


def is_hidden(char):
    r"""Whether ``char`` would be invisible, or act, if shown: :func:`visible` escapes it.

    >>> is_hidden("\x1b"), is_hidden("\u3164"), is_hidden("é")
    (True, True, False)
    """
    code = ord(char)
    return (
        char in INVISIBLE
        or unicodedata.category(char) in HIDDEN
        or 0xFE00 <= code <= 0xFE0F  # variation selectors: bob\ufe0f.py reads bob.py
        or 0xE0100 <= code <= 0xE01EF
        or 0x180B <= code <= 0x180F  # Mongolian free variation selectors
    )


#: Characters a spreadsheet reads as the start of a formula (OWASP's list; a tab or a
#: carriage return, the other two, never starts a cell: :func:`visible` escapes them).
FORMULA_STARTS = ("=", "+", "-", "@")

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NOT_ASCII_PRINTABLE = re.compile(r"[^\x20-\x7e]")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _escape(match):
    char = match.group()
    if not is_hidden(char):
        return char
    code = ord(char)
    if char in _SHORT:
        return _SHORT[char]
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(text):
    r"""``text`` on one line, every control, bidi and line-break character escaped.

    The result has no character of the categories in :data:`HIDDEN`, so it
    cannot move the cursor, end a line or a comment, or reorder what follows,
    and it always encodes as UTF-8.

    >>> print(visible("x\r\\input{secret}"), visible("ok · ∂"))
    x\r\input{secret} ok · ∂
    """
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    return _NOT_ASCII_PRINTABLE.sub(_escape, text)


def visible_lines(text):
    r"""Like :func:`visible`, but each ``\n`` stays a line break (for multi-line text).

    >>> print(visible_lines("a\x1b[2J\nb\rc"))
    a\x1b[2J
    b\rc
    """
    return "\n".join(visible(line) for line in str(text).split("\n"))


def csv_cell(text):
    """A CSV cell a spreadsheet shows as text, never runs as a formula.

    The cell is :func:`visible` (so a tab or a line break is ``\\t``, ``\\r``);
    then, if it starts with ``= + - @`` (after any spaces) and is not a
    plain decimal number, a ``'`` goes in front. Honest closed forms start with ``-`` too:
    ``-w2*x1`` is written ``'-w2*x1``, while ``-7`` and ``-1.5e-05`` stay
    numbers. (JSON reports carry every text unchanged.)

    >>> csv_cell('=HYPERLINK("http://x","y").py'), csv_cell("-w2*x1"), csv_cell("-7.0")
    ('\\'=HYPERLINK("http://x","y").py', "'-w2*x1", '-7.0')
    >>> csv_cell(" @SUM(A1)"), csv_cell("-inf"), csv_cell("w1")
    ("' @SUM(A1)", "'-inf", 'w1')
    """
    text = visible(text)
    if text.lstrip(" ").startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def json_visible(json_text):
    r"""JSON text with hidden characters inside its strings written as ``\uXXXX``.

    The data is unchanged (a JSON reader gets the same strings back); the
    text shows no control, bidi or line-break character and encodes as UTF-8
    even when a file name was not.

    >>> import json
    >>> text = json_visible(json.dumps(["a\u202eb\x85", "\udcff"], ensure_ascii=False))
    >>> text, json.loads(text) == ["a\u202eb\x85", "\udcff"]
    ('["a\\u202eb\\u0085", "\\udcff"]', True)
    """

    def escape(match):
        char = match.group()
        if not is_hidden(char):
            return char
        return "".join(f"\\u{unit:04x}" for unit in _utf16(ord(char)))

    return re.sub(r"[^\x00-\x7e]", escape, json_text)


def _utf16(code):
    if code < 0x10000:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


def json_for_html(json_text):
    r"""JSON text safe inside an HTML ``<script>``: ``< > &`` written as ``\u003c`` ...

    Inside a script element, ``</script>`` ends it and ``<!--<script`` puts
    the HTML parser in a state where the real ``</script>`` does not; with no
    ``<`` left, neither can happen. The data is unchanged for ``JSON.parse``.

    >>> json_for_html('{"source": "# <!--<script> a && b"}')
    '{"source": "# \\u003c!--\\u003cscript\\u003e a \\u0026\\u0026 b"}'
    """
    return (
        json_visible(json_text)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
