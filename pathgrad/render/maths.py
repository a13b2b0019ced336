r"""Names, expressions and partial derivatives typeset: as LaTeX and as MathML.

One rule for names, used everywhere a report typesets one: trailing digits
and the parts after ``_`` are subscripts (``x3`` is x with subscript 3,
``w1_00`` is w with subscripts 1 and 00), a Greek name is its letter, and a
longer name is set as one word. Symbols inside sympy expressions are printed
by the same rule, so a name reads the same in a path and in a closed form.
A node named after its expression (``w2*x3``) is typeset as that expression
(:mod:`pathgrad.render.labels`).

The LaTeX needs nothing but ``amsmath``; the MathML is MathML Core, which
browsers draw without any script or font download.

>>> symbol_latex("x3"), symbol_latex("w1_00"), symbol_latex("total_3"), symbol_latex("alpha")
('x_{3}', 'w_{1,00}', '\\mathit{total}_{3}', '\\alpha')
>>> import sympy
>>> w2, x1 = sympy.symbols("w2 x1", real=True)
>>> expr_latex(-w2 * x1), number_latex("1.5549e-08")
('- w_{2} x_{1}', '1.5549 \\times 10^{-8}')
>>> symbol_mathml("x3")
'<msub><mi>x</mi><mn>3</mn></msub>'
"""

import re
import unicodedata
from html.entities import html5

from sympy.printing.latex import LatexPrinter
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

from pathgrad.trace.parts import element_of

GREEK = (
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "zeta",
    "eta",
    "theta",
    "iota",
    "kappa",
    "mu",
    "nu",
    "xi",
    "pi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Xi",
    "Pi",
    "Sigma",
    "Upsilon",
    "Phi",
    "Psi",
    "Omega",
)
#: Characters of plain text that pdflatex cannot take as they are.
TEXT_LATEX = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "_": r"\_",
    "^": r"\^{}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "∂": r"$\partial$",
    "·": r"$\cdot$",
    "→": r"$\to$",
    "—": "---",
    "–": "--",
    "…": r"\dots{}",
    "✓": "(ok)",
    "✗": "(differs)",
    "−": "-",
    "×": r"$\times$",
}


def symbol_parts(name):
    """``(base, subscripts)`` of a name.

    >>> symbol_parts("x3"), symbol_parts("w1_00"), symbol_parts("h_detached"), symbol_parts("_t")
    (('x', ['3']), ('w', ['1', '00']), ('h', ['detached']), ('_t', []))
    """
    base, *subscripts = name.split("_")
    if not base or "" in subscripts:
        return name, []
    digits = re.search(r"\d+$", base)
    if digits and digits.start() > 0:
        base, subscripts = base[: digits.start()], [digits.group(), *subscripts]
    return base, subscripts


def _greek(text):
    """The Greek letter's name for ``alpha`` or ``α``; ``None`` for anything else."""
    if text in GREEK:
        return text
    if len(text) == 1 and not text.isascii():
        words = unicodedata.name(text, "").split()
        if words[:2] == ["GREEK", "SMALL"] and words[-1].lower() in GREEK:
            return words[-1].lower()
        if words[:2] == ["GREEK", "CAPITAL"] and words[-1].capitalize() in GREEK:
            return words[-1].capitalize()
    return None


def _word_latex(text, subscript=False):
    greek = _greek(text)
    if greek:
        return "\\" + greek
    if text.isdigit() or (len(text) == 1 and text.isascii()):
        return text
    plain = text_latex(text)
    return rf"\mathrm{{{plain}}}" if subscript else rf"\mathit{{{plain}}}"


def symbol_latex(name):
    """A name as LaTeX math: ``x_{3}``, ``w_{1,00}``, ``\\mathit{total}_{3}``, ``W_{0,1}``."""
    element = element_of(name)
    if element:  # W[0,1] is W_{0,1}; w1[0] is {w_{1}}_{0}
        tensor = symbol_latex(element[0])
        return ("{" + tensor + "}" if "_" in tensor else tensor) + "_{" + ",".join(element[1]) + "}"
    base, subscripts = symbol_parts(name)
    text = _word_latex(base)
    if subscripts:
        text += "_{" + ",".join(_word_latex(s, subscript=True) for s in subscripts) + "}"
    return text


def _greek_char(name):
    case = "SMALL" if name.islower() else "CAPITAL"
    return unicodedata.lookup(f"GREEK {case} LETTER {name.upper()}")


def _word_mathml(text):
    greek = _greek(text)
    if greek:
        return f"<mi>{_greek_char(greek)}</mi>"
    if text.isdigit():
        return f"<mn>{text}</mn>"
    return f"<mi>{escape_xml(text)}</mi>"


def symbol_mathml(name):
    """A name as MathML: ``<msub><mi>x</mi><mn>3</mn></msub>``."""
    element = element_of(name)
    if element:
        below = "<mo>,</mo>".join(f"<mn>{i}</mn>" for i in element[1])
        return f"<msub>{symbol_mathml(element[0])}<mrow>{below}</mrow></msub>"
    base, subscripts = symbol_parts(name)
    text = _word_mathml(base)
    if not subscripts:
        return text
    parts = "<mo>,</mo>".join(_word_mathml(s) for s in subscripts)
    below = parts if len(subscripts) == 1 else f"<mrow>{parts}</mrow>"
    return f"<msub>{text}{below}</msub>"


def escape_xml(text):
    """Text for XML and HTML: ``&``, ``<`` and ``>`` escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def text_latex(text):
    """Plain text for LaTeX's text mode: special characters escaped, ∂ · → typeset.

    >>> text_latex("x_1 & 50% ∂L/∂w → ok")
    'x\\\\_1 \\\\& 50\\\\% $\\\\partial$L/$\\\\partial$w $\\\\to$ ok'
    """
    out = []
    for char in str(text):
        if char in TEXT_LATEX:
            out.append(TEXT_LATEX[char])
        elif ord(char) < 256:
            out.append(char)
        else:
            greek = _greek(char)
            out.append(f"$\\{greek}$" if greek else "?")
    return "".join(out)


# -- expressions -----------------------------------------------------------------------------
class _Latex(LatexPrinter):
    """sympy's LaTeX, with the step function named as in the text (sympy writes θ(x), the
    name of a leaf ``θ``)."""

    def _print_Heaviside(self, expr, exp=None):
        args = ", ".join(self._print(a) for a in expr.args)
        text = rf"\operatorname{{Heaviside}}\left({args}\right)"
        return rf"{text}^{{{exp}}}" if exp else text


def expr_latex(expr, order=None):
    r"""A sympy expression as LaTeX, its symbols named by :func:`symbol_latex`.

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> print(expr_latex(sympy.Heaviside(x, 0)))
    \operatorname{Heaviside}\left(x, 0\right)
    """
    names = {s: symbol_latex(s.name) for s in expr.free_symbols if s.is_Symbol}
    return _Latex({"symbol_names": names, "order": order}).doprint(expr)


class _MathML(MathMLPresentationPrinter):
    """sympy's presentation MathML, with symbols named by :func:`symbol_mathml` and the step
    function by its name (sympy writes Θ)."""

    def _print_Heaviside(self, expr, exp=None):
        row = self.dom.createElement("mrow")
        name = self.dom.createElement("mi")
        name.appendChild(self.dom.createTextNode("Heaviside"))
        row.appendChild(name)
        row.appendChild(self._paren_comma_separated(*expr.args))
        return row

    def _print_Mul(self, expr):
        # sympy prints -(a + b), an unevaluated Mul(-1, a + b), as "−a + b": bracket the sum
        if expr.could_extract_minus_sign() and (-expr).is_Add:
            row = self.dom.createElement("mrow")
            minus = self.dom.createElement("mo")
            minus.appendChild(self.dom.createTextNode("-"))
            row.appendChild(minus)
            row.appendChild(self.parenthesize(-expr, PRECEDENCE["Mul"]))
            return row
        return super()._print_Mul(expr)

    def _print_Symbol(self, sym, style="plain"):
        from xml.dom.minidom import parseString

        element = parseString(symbol_mathml(sym.name).encode("utf-8")).documentElement
        return self.dom.importNode(element, True)


def expr_mathml(expr, order=None):
    """A sympy expression as MathML (the content of a ``<math>`` element)."""
    text = _MathML({"order": order}).doprint(expr)
    # named entities are HTML's, not XML's; a hyphen is not a minus sign
    # HTML's named entities (&InvisibleTimes;, &ExponentialE;) as characters: XML knows none
    text = re.sub(r"&([A-Za-z]+);", lambda m: html5.get(m.group(1) + ";", m.group(0)), text)
    text = text.replace("<mo>-</mo>", "<mo>&#x2212;</mo>").replace("<mi>ⅇ</mi>", "<mi>e</mi>")
    return re.sub(r"<mn>-([^<]*)</mn>", r"<mrow><mo>&#x2212;</mo><mn>\1</mn></mrow>", text)


def bracket_mathml(text):
    """MathML in round brackets (an ``mrow`` of its own, so the brackets hug it)."""
    return f"<mrow><mo>(</mo>{text}<mo>)</mo></mrow>"


def expr_pieces(expr, limit=64, split_terms=True):
    """The parts of an expression a line may break between: ``[(operator, part)]``.

    A sum gives its terms, a product wider than ``limit`` characters (as the
    text renderer writes it) its factors, and a wide term of a sum its factors
    too. ``operator`` is "", "+", "-" or "·"; a factor that is a sum is to be
    bracketed (see :func:`needs_brackets`).

    >>> import sympy
    >>> a, b, c = sympy.symbols("a b c")
    >>> expr_pieces(a - 2*b + c)
    [('', a), ('-', 2*b), ('+', c)]
    >>> expr_pieces(a * (b + c), limit=3)
    [('', a), ('·', b + c)]
    """
    if expr.is_Add and split_terms:
        out = []
        for term in expr.as_ordered_terms():
            sign, term = ("-", -term) if term.could_extract_minus_sign() else ("+", term)
            (_, first), *rest = expr_pieces(term, limit, split_terms=False)
            out += [(sign, first), *rest]
        return [("" if out[0][0] == "+" else "-", out[0][1]), *out[1:]]
    if expr.is_Mul and len(str(expr)) > limit:
        sign, body = ("-", -expr) if expr.could_extract_minus_sign() else ("", expr)
        first, *rest = body.as_ordered_factors()
        return [(sign, first), *(("·", f) for f in rest)]
    return [("", expr)]


def needs_brackets(expr):
    """Whether a factor is bracketed in a product: a sum, or a negative number or term."""
    return expr.could_extract_minus_sign() or expr.is_Add


def factors_latex(factors):
    r"""Local derivatives multiplied: ``(-1) \cdot 1 \cdot w_{2}``."""
    return r" \cdot ".join(
        rf"\left({expr_latex(f)}\right)" if needs_brackets(f) else expr_latex(f) for f in factors
    )


def factors_mathml(factors):
    return "<mo>·</mo>".join(
        bracket_mathml(expr_mathml(f)) if needs_brackets(f) else expr_mathml(f) for f in factors
    )


# -- numbers ---------------------------------------------------------------------------------
def number_latex(text):
    """A value as :func:`pathgrad.render.text.value_text` writes it, as LaTeX math."""
    if text == "undefined":
        return r"\text{undefined}"
    mantissa, _, exponent = text.partition("e")
    if exponent:
        return rf"{mantissa} \times 10^{{{int(exponent)}}}"
    return text


def number_mathml(text):
    if text == "undefined":
        return "<mtext>undefined</mtext>"
    if text == "?":
        return "<mi>?</mi>"
    mantissa, _, exponent = text.partition("e")
    sign = "<mo>&#x2212;</mo>" if mantissa.startswith("-") else ""
    out = f"{sign}<mn>{mantissa.lstrip('-')}</mn>"
    if exponent:
        power = int(exponent)
        minus = "<mo>&#x2212;</mo>" if power < 0 else ""
        out += f"<mo>×</mo><msup><mn>10</mn><mrow>{minus}<mn>{abs(power)}</mn></mrow></msup>"
    return f"<mrow>{out}</mrow>" if sign or exponent else out


def math(content, display=False):
    """A ``<math>`` element around MathML content.

    Brackets do not stretch: a browser without a math font (one with an
    OpenType MATH table) would otherwise pad them with wide gaps.
    """
    block = ' display="block"' if display else ""
    for bracket in "()|":
        content = content.replace(f"<mo>{bracket}</mo>", f'<mo stretchy="false">{bracket}</mo>')
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"{block}>{content}</math>'
