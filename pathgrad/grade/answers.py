"""Reading a hand-derived gradient: parsed, never evaluated.

The text is parsed by Python's own parser into a syntax tree, every node is checked
against a small whitelist (numbers, the graph's names, ``+ - * / **`` and ``^``, and a
few functions), and the sympy expression is built from the tree directly. Numbers and
exponents are bounded, so an answer cannot make sympy work for long.
"""

import ast
import math
import re

import sympy

from pathgrad.errors import AnswerError
from pathgrad.functions import SYMPY_NAMES
from pathgrad.graph import constant
from pathgrad.leaf_forms import leaf_form
from pathgrad.safe.limits import LIMITS
from pathgrad.trace.parts import subscript_element

#: Bounds on an answer's text, nesting, exact numbers and terms.
MAX_ANSWER_LENGTH = 2_000


MAX_ANSWER_DEPTH = 60


MAX_NUMBER_BITS = 10_000


MAX_SYMBOLIC_EXPONENT = 64


#: Functions an answer may use, by the names students write.
FUNCTIONS = {
    "exp": sympy.exp,
    "log": sympy.log,
    "ln": sympy.log,
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tanh": sympy.tanh,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "sech": sympy.sech,
    "abs": sympy.Abs,
    "Abs": sympy.Abs,
    "sign": sympy.sign,
    "max": sympy.Max,
    "Max": sympy.Max,
    "min": sympy.Min,
    "Min": sympy.Min,
    "Heaviside": sympy.Heaviside,
    **SYMPY_NAMES,
}


_NORMALISE = str.maketrans({"^": "**", "·": "*", "×": "*", "−": "-", "∗": "*"})


_ATTRIBUTE = re.compile(r"[A-Za-z_)\]]\s*\.|\.\s*[A-Za-z_(]")


_BINARY = {
    ast.Add: sympy.Add,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: sympy.Mul,
    ast.Div: lambda a, b: a / b,
    ast.Pow: sympy.Pow,
}


_SUBSCRIPT = re.compile(r"(?<=[\w\]])\[\s*\d+\s*(?:,\s*\d+\s*)*\]")


def _names(graph):
    """What an answer may call each node of the graph: leaves by symbol, others by leaf form."""
    names = {}
    for node, data in graph.nodes(data=True):
        symbol = data["symbol"]
        if data["kind"] == "leaf":
            names[data["name"]] = symbol
        elif symbol.is_Symbol and (form := leaf_form(graph, node)[0]) is not None:
            names[data["name"]] = form
    return names


def parse_answer(text, graph):
    """A sympy expression from an answer's text, in the graph's leaf symbols.

    Names are the graph's leaves (and named intermediates, replaced by what
    they are in leaf symbols) and the functions in :data:`FUNCTIONS`; any
    other name is a symbol on no path. ``^``, ``·`` and ``−`` are read as
    ``**``, ``*`` and ``-``.

    Raises
    ------
    AnswerError
        Anything else: attribute access, strings, unknown names, a number
        or an exponent too large, an answer too long or too deeply nested.

    Examples
    --------
    >>> from pathgrad import explain
    >>> graph = explain("seed", wrt=["w1"]).graph
    >>> parse_answer("2w1", graph)
    Traceback (most recent call last):
    ...
    pathgrad.errors.AnswerError: cannot read the answer: invalid decimal literal; write \
products with *, e.g. 2*w1
    >>> parse_answer("-(w2*x1 + w3*x2)", graph)
    -w2*x1 - w3*x2
    """
    return sympy.Add(*(term for _, term in answer_terms(text, graph)))


def answer_terms(text, graph):
    """The terms of an answer's outermost sum, each as written and as an expression.

    A term keeps the sign it is added with; its text is the student's own,
    ``^`` and ``·`` included, so that a message can name it as they wrote it.
    Raises :class:`AnswerError` as :func:`parse_answer` does.

    >>> from pathgrad import explain
    >>> graph = explain("seed", wrt=["w1"]).graph
    >>> answer_terms("-(w2 + 1)·(x1 - 2) - w3^2", graph)
    [('-(w2 + 1)·(x1 - 2)', (-w2 - 1)*(x1 - 2)), ('-w3^2', -w3**2)]
    """
    written, normalised, tree = _syntax(text)
    reader, node, terms = _Reader(_names(graph)), tree.body, []
    while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
        terms.append((node.right, isinstance(node.op, ast.Sub)))
        node = node.left  # a long sum is long, not deep: its left spine is walked
    terms.append((node, False))
    source = _Source(written, normalised)
    return [
        (source.term(part, negated), -expr if negated else expr)
        for part, negated in reversed(terms)
        for expr in [reader.read(part, 1)]
    ]


def _syntax(text):
    """``(the answer as written, as normalised, its syntax tree)``, or :class:`AnswerError`."""
    if not isinstance(text, str) or not text.strip():
        raise AnswerError("the answer is empty")
    if len(text) > MAX_ANSWER_LENGTH:
        raise AnswerError(f"the answer is longer than {MAX_ANSWER_LENGTH} characters")
    written = " ".join(text.split())  # one line: whitespace is only a separator
    normalised = written.translate(_NORMALISE)
    bare = _SUBSCRIPT.sub("", normalised)  # W[0,1] names an element; no other [ is allowed
    for bad in ("__", "lambda", ";", "=", ":", "'", '"', "[", "{", "\\", "@", "!"):
        if bad in bare:
            raise AnswerError(
                f"the answer may not contain {bad!r}; write a formula such as -w2*x1 - w3*x2"
            )
    if _ATTRIBUTE.search(normalised):
        raise AnswerError("the answer may not contain '.' except in numbers")
    try:
        return written, normalised, ast.parse(normalised, mode="eval")
    except SyntaxError as err:
        raise AnswerError(
            f"cannot read the answer: {err.msg}; write products with *, e.g. 2*w1"
        ) from None
    except (ValueError, MemoryError, RecursionError):
        raise AnswerError("cannot read the answer: it is too long or too deeply nested") from None


class _Source:
    """Where a part of the normalised answer was in the answer as written: ``^`` is two
    characters once read as ``**``, and syntax trees count UTF-8 bytes."""

    def __init__(self, written, normalised):
        self.written, self.encoded = written, normalised.encode()
        self.origin = [i for i, char in enumerate(written) for _ in char.translate(_NORMALISE)]
        self.origin.append(len(written))

    def _index(self, column):
        return self.origin[len(self.encoded[:column].decode())]

    def term(self, node, negated):
        text = self.written[self._index(node.col_offset) : self._index(node.end_col_offset)]
        if not negated:
            return text
        return f"-({text})" if text.startswith(("-", "+", "−")) else f"-{text}"


class _Reader:
    """Builds a sympy expression from a whitelisted syntax tree, bounding numbers."""

    def __init__(self, names):
        self.names = names

    def read(self, node, depth):
        if depth > MAX_ANSWER_DEPTH:
            raise AnswerError(f"the answer is nested more than {MAX_ANSWER_DEPTH} levels deep")
        if isinstance(node, ast.Constant):
            return self._number(node.value)
        if isinstance(node, ast.Name):
            if node.id in self.names:
                return self.names[node.id]
            if node.id in FUNCTIONS:
                raise AnswerError(f"{node.id} is a function; write {node.id}(...)")
            return sympy.Symbol(node.id, real=True)  # not in the graph: on no path
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = self.read(node.operand, depth + 1)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            return self._sum(node, depth)
        if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
            left, right = self.read(node.left, depth + 1), self.read(node.right, depth + 1)
            self._bound(node.op, left, right)
            return _BINARY[type(node.op)](left, right)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in FUNCTIONS
            and node.args
            and not node.keywords
            and not any(isinstance(a, ast.Starred) for a in node.args)
        ):
            arguments = [self.read(a, depth + 1) for a in node.args]
            try:
                return FUNCTIONS[node.func.id](*arguments)
            except (TypeError, ValueError) as err:
                raise AnswerError(f"{node.func.id}() cannot take these arguments: {err}") from None
        element = subscript_element(node)
        if element is not None:  # a tensor's element: W[0,1], W[0][1], x[2]
            return self.names.get(element, sympy.Symbol(element, real=True))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            raise AnswerError(
                f"unknown function {node.func.id}() in the answer (functions: "
                + ", ".join(sorted(FUNCTIONS))
                + ")"
            )
        raise AnswerError(
            f"the answer may only use numbers, names, + - * / ** and "
            f"functions, not {type(node).__name__}"
        )

    def _sum(self, node, depth):
        """``a + b - c + ...``: a long sum is long, not deep (its left spine is walked)."""
        terms = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub)):
            term = self.read(node.right, depth + 1)
            terms.append(-term if isinstance(node.op, ast.Sub) else term)
            node = node.left
        terms.append(self.read(node, depth + 1))
        return sympy.Add(*reversed(terms))

    @staticmethod
    def _number(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise AnswerError(f"the answer may only contain numbers, not {value!r:.20}")
        if isinstance(value, int):
            if value.bit_length() > MAX_NUMBER_BITS:
                raise AnswerError("a number in the answer is too large")
            return sympy.Integer(value)
        if not math.isfinite(value):
            raise AnswerError(f"the answer contains {value}")
        return constant(value)

    @staticmethod
    def _bound(op, left, right):
        """Refuse powers and products of exact numbers that would be too large to compute."""
        if not isinstance(op, (ast.Pow, ast.Mult)):
            return
        if isinstance(op, ast.Pow) and right.is_number:
            bound = LIMITS.max_exponent if left.is_number else MAX_SYMBOLIC_EXPONENT
            if not right.is_finite or abs(float(right)) > bound:
                shown = f" {right}" if len(str(right)) <= 20 else ""
                raise AnswerError(f"the exponent{shown} is larger than {bound:g}")
        if left.is_Rational and right.is_Rational:
            bits = max(abs(left.p).bit_length(), left.q.bit_length())
            size = (
                bits * abs(float(right))
                if isinstance(op, ast.Pow)
                else bits + max(abs(right.p).bit_length(), right.q.bit_length())
            )
            if size > MAX_NUMBER_BITS:
                raise AnswerError("a number in the answer is too large")
