r"""Node names typeset: a name, or the expression a node is named after, and partials.

A node without a variable of its own is named after its expression, as
written in Python (``w2*x3``, ``sigmoid(w*x + b)``); it is read back with
:mod:`ast` and typeset as that expression, brackets put back by precedence.
Anything else is shown as text.

>>> label_latex("w2*x3"), partial_latex("L", "w2*x3")
('w_{2} x_{3}', '\\frac{\\partial L}{\\partial \\left(w_{2} x_{3}\\right)}')
>>> label_latex("(a - y)**2"), label_latex("h.detach()")
('\\left(a - y\\right)^{2}', '\\text{h.detach()}')
"""

import ast
import io
import keyword
import tokenize
from functools import lru_cache

from pathgrad.render.maths import (
    bracket_mathml,
    escape_xml,
    number_latex,
    number_mathml,
    symbol_latex,
    symbol_mathml,
    text_latex,
)
from pathgrad.trace.parts import is_name, subscript_element

#: How a leaf named like a Python keyword (``leaf("lambda", 1)``) is spelt while a label is parsed.
_KEYWORD = "__pathgrad_keyword_"


@lru_cache(maxsize=4096)
def _label_tree(label):
    """A node's label parsed as Python (``None`` if it is not an expression).

    A name that is a Python keyword (``lambda*(-2)``) is parsed as a name.
    """
    try:
        return ast.parse(label, mode="eval").body
    except SyntaxError:
        pass
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(label).readline))
        spelt = tokenize.untokenize(
            (
                t.type,
                _KEYWORD + t.string
                if t.type == tokenize.NAME and keyword.iskeyword(t.string)
                else t.string,
            )
            for t in tokens
        )
        return ast.parse(spelt.strip(), mode="eval").body
    except (SyntaxError, tokenize.TokenError, IndentationError):
        return None


_BINARY = {
    ast.Add: ("+", 1),
    ast.Sub: ("-", 1),
    ast.Mult: ("*", 2),
    ast.Div: ("/", 2),
    ast.Pow: ("**", 4),
}
_NAMED_LATEX = {
    "exp": r"\exp",
    "log": r"\log",
    "sin": r"\sin",
    "cos": r"\cos",
    "tanh": r"\tanh",
    "max": r"\max",
    "min": r"\min",
}


def _leading(node):
    """The node a typeset expression begins with (its leftmost operand, down the tree)."""
    while isinstance(node, (ast.BinOp, ast.UnaryOp)):
        if isinstance(node, ast.UnaryOp):
            return node
        if isinstance(node.op, ast.Div):  # a fraction begins with its bar, not its numerator
            return node
        node = node.left
    return node


def _signed(node):
    """Whether an expression is typeset beginning with a sign (``-2``, ``-a``, ``-a*b``).

    Such an operand anywhere but first would read as subtraction (``w -2``), so
    it is bracketed there, whatever the precedence says.

    >>> _signed(ast.parse("-a*b", mode="eval").body), _signed(ast.parse("a*-b", mode="eval").body)
    (True, False)
    """
    first = _leading(node)
    if isinstance(first, ast.UnaryOp):
        return True
    return (
        isinstance(first, ast.Constant)
        and isinstance(first.value, (int, float))
        and not isinstance(first.value, bool)
        and str(first.value).startswith("-")
    )


def _numeric_start(node):
    """Whether an expression is typeset beginning with a digit or a sign."""
    first = _leading(node)
    return isinstance(first, (ast.UnaryOp, ast.Constant))


def _precedence(node):
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)][1]
    if isinstance(node, ast.UnaryOp):
        return 3
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and node.value < 0:
        return 3
    return 5


class _NotTypeset(Exception):
    """A label that is not an expression pathgrad writes (it is then shown as text)."""


class _Label:
    """Typeset a label's syntax tree; ``fmt`` is "latex" or "mathml".

    Brackets are put back by precedence (the tree forgets the written ones).
    """

    def __init__(self, fmt):
        self.latex = fmt == "latex"

    def wrap(self, text):
        return rf"\left({text}\right)" if self.latex else bracket_mathml(text)

    def operand(self, node, least, first=False):
        """An operand, bracketed when its precedence is below ``least``, or when it is
        not the first thing typeset and begins with a sign (``w·(-2)``, never ``w -2``)."""
        text = self(node)
        if _precedence(node) < least or (not first and _signed(node)):
            return self.wrap(text)
        return text

    def __call__(self, node):
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _NotTypeset(type(node).__name__)
        return method(node)

    def _Name(self, node):
        name = node.id.removeprefix(_KEYWORD)
        return symbol_latex(name) if self.latex else symbol_mathml(name)

    def _Subscript(self, node):  # a tensor's element, W[0,1]
        name = subscript_element(node)
        if name is None:
            raise _NotTypeset("not an element")
        return symbol_latex(name) if self.latex else symbol_mathml(name)

    def _Constant(self, node):
        if not isinstance(node.value, (int, float)) or isinstance(node.value, bool):
            raise _NotTypeset("not a number")
        # every digit as written: a label is the formula in the file (``:g`` kept six)
        text = repr(node.value) if isinstance(node.value, float) else str(node.value)
        return number_latex(text) if self.latex else number_mathml(text)

    def _UnaryOp(self, node):
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            raise _NotTypeset("unknown operator")
        sign = "-" if isinstance(node.op, ast.USub) else "+"
        inner = self.operand(node.operand, 3)
        if self.latex:
            return f"{sign}{inner}"
        return f"<mrow><mo>{'&#x2212;' if sign == '-' else '+'}</mo>{inner}</mrow>"

    def _BinOp(self, node):
        if type(node.op) not in _BINARY:
            raise _NotTypeset("unknown operator")
        symbol, prec = _BINARY[type(node.op)]
        if symbol == "/":
            top, bottom = self(node.left), self(node.right)
            return (
                rf"\frac{{{top}}}{{{bottom}}}"
                if self.latex
                else f"<mfrac>{_row(top)}{_row(bottom)}</mfrac>"
            )
        if symbol == "**":
            base, power = self.operand(node.left, 5), self(node.right)
            return f"{base}^{{{power}}}" if self.latex else f"<msup>{base}{_row(power)}</msup>"
        left = self.operand(node.left, prec, first=True)
        right = self.operand(node.right, prec + 1)
        if symbol == "*":
            # juxtaposed, "2 3^{x}" would read as 23^x and "w -2" as w - 2: a dot before a
            # factor that begins with a digit or a sign
            number = _numeric_start(node.right)
            if self.latex:
                return f"{left} \\cdot {right}" if number else f"{left} {right}"
            op = "·" if number else "&#x2062;"
            return f"<mrow>{left}<mo>{op}</mo>{right}</mrow>"
        if self.latex:
            return f"{left} {symbol} {right}"
        return f"<mrow>{left}<mo>{'&#x2212;' if symbol == '-' else '+'}</mo>{right}</mrow>"

    def _Call(self, node):
        if not isinstance(node.func, ast.Name) or node.keywords:
            raise _NotTypeset("not a function call")
        name = node.func.id
        args = [self(a) for a in node.args]
        if self.latex:
            if name == "sqrt":
                return rf"\sqrt{{{args[0]}}}"
            if name == "abs":
                return rf"\left|{args[0]}\right|"
            head = _NAMED_LATEX.get(name, rf"\operatorname{{{text_latex(name)}}}")
            return head + self.wrap(", ".join(args))
        if name == "sqrt":
            return f"<msqrt>{args[0]}</msqrt>"
        if name == "abs":
            return f"<mrow><mo>|</mo>{args[0]}<mo>|</mo></mrow>"
        arguments = self.wrap("<mo>,</mo>".join(args))
        return f"<mrow><mi>{escape_xml(name)}</mi>{arguments}</mrow>"


def _row(text):
    return f"<mrow>{text}</mrow>"


def label_latex(label):
    """A node's name as LaTeX: a symbol, or the expression it is named after."""
    if is_name(label):
        return symbol_latex(label)
    tree = _label_tree(label)
    try:
        return _Label("latex")(tree)
    except (_NotTypeset, IndexError):
        return rf"\text{{{text_latex(label)}}}"


def label_mathml(label):
    """A node's name as MathML."""
    if is_name(label):
        return symbol_mathml(label)
    tree = _label_tree(label)
    try:
        return _Label("mathml")(tree)
    except (_NotTypeset, IndexError):
        return f"<mtext>{escape_xml(label)}</mtext>"


def partial_latex(top, bottom):
    """``\\frac{\\partial top}{\\partial bottom}``, bracketing a name that is an expression."""
    parts = []
    for name in (top, bottom):
        text = label_latex(name)
        parts.append(text if is_name(name) else rf"\left({text}\right)")
    return rf"\frac{{\partial {parts[0]}}}{{\partial {parts[1]}}}"


def partial_mathml(top, bottom):
    """∂top/∂bottom as a MathML fraction."""
    parts = []
    for name in (top, bottom):
        text = label_mathml(name)
        parts.append(text if is_name(name) else bracket_mathml(text))
    return f"<mfrac><mrow><mi>∂</mi>{parts[0]}</mrow><mrow><mi>∂</mi>{parts[1]}</mrow></mfrac>"
