"""Small matrix expressions: what a matrix-calculus form is written in, evaluated and printed.

A vector of PyTorch shape ``(n,)`` is a column ``(n, 1)``; a 0-d tensor is ``(1, 1)``
and multiplies as a number. Nodes: :class:`Sym` (a tensor by name), :class:`Ones`
(``𝟙``), :class:`Num`, :class:`MatMul` (``A·B``), :class:`T` (``Aᵀ``), :class:`Had`
(``A ⊙ B``), :class:`Add`, :class:`Scale` (``c·A``), :class:`Fn` (a function applied
element by element, ``tanh(z)``, ``h^2``). :func:`evaluate` computes one with any
numbers (floats, or sympy expressions for a symbolic check); :func:`text` and
:func:`latex` print it in the notation of matrix-calculus texts (Magnus & Neudecker;
the Matrix Cookbook's ``⊙`` for the Hadamard product).
"""

import math
from dataclasses import dataclass
from fractions import Fraction


class _ShapedLikeA:
    """A node shaped as its operand ``a``."""

    @property
    def shape(self):
        return self.a.shape


@dataclass(frozen=True)
class Sym:
    name: str
    shape: tuple  # (rows, columns)


@dataclass(frozen=True)
class Ones:
    shape: tuple


@dataclass(frozen=True)
class Num:
    value: float
    shape: tuple = (1, 1)


@dataclass(frozen=True)
class Const:
    """A matrix of known numbers shown by a name (``onehot``: the targets, one-hot)."""

    name: str
    rows: tuple
    shape: tuple


@dataclass(frozen=True)
class Named:
    """``expr`` shown as ``text``: ``softmax(z)`` for ``exp(log_softmax(z))``."""

    text: str
    expr: object

    @property
    def shape(self):
        return self.expr.shape


@dataclass(frozen=True)
class Softmax(_ShapedLikeA):
    """``softmax(a)`` along the class dimension: each row, or a column vector's one column."""

    a: object


@dataclass(frozen=True)
class MatMul:
    a: object
    b: object

    @property
    def shape(self):
        return (self.a.shape[0], self.b.shape[1])


@dataclass(frozen=True)
class T:
    a: object

    @property
    def shape(self):
        return self.a.shape[::-1]


@dataclass(frozen=True)
class Had(_ShapedLikeA):
    a: object
    b: object


@dataclass(frozen=True)
class Add(_ShapedLikeA):
    a: object
    b: object


@dataclass(frozen=True)
class Scale(_ShapedLikeA):
    c: float
    a: object


@dataclass(frozen=True)
class Times(_ShapedLikeA):
    """A ``1×1`` expression times a matrix: ``s·A``."""

    s: object
    a: object


@dataclass(frozen=True)
class Fn(_ShapedLikeA):
    name: str  # a function of FUNCTIONS, or "pow" with ``power``
    a: object
    power: float = 1.0


def scale(c, a):
    """``c·a``, with ``1·a`` as ``a`` and ``0·a`` kept (an honest zero)."""
    if c == 1:
        return a
    if isinstance(a, Scale):
        return scale(c * a.c, a.a)
    return Scale(c, a)


def had(a, b):
    """``a ⊙ b``; a ``c·𝟙`` factor becomes a scale."""
    for one, other in ((a, b), (b, a)):
        if isinstance(one, Ones):
            return other
        if isinstance(one, Scale) and isinstance(one.a, Ones):
            return scale(one.c, other)
        if isinstance(one, Times) and isinstance(one.a, Ones):
            return times(one.s, other)
    return Had(a, b)


def matmul(a, b):
    """``a·b``; a ``1×1`` factor multiplies as a number (``s·B``), numbers come out in
    front (``(c·A)·B = c·(A·B)``), and ``𝟙·𝟙`` is counted (``𝟙₁ₓₖ·𝟙ₖₓ₁ = k``)."""
    if a.shape[1] != b.shape[0] and a.shape != (1, 1):
        raise ValueError(f"shapes {a.shape} and {b.shape} cannot be multiplied")
    for one, other in ((a, b), (b, a)):  # a plain number multiplies whatever it meets
        if one.shape == (1, 1) and plain(one) is not None:
            return scale(plain(one), other)
    for one, other, first in ((a, b, True), (b, a, False)):
        if one.shape == (1, 1) and other.shape != (1, 1) and (first or other.shape[1] == 1):
            return times(one, other)
    if isinstance(a, Scale) or isinstance(b, Scale):
        (ca, xa), (cb, xb) = _coefficient(a), _coefficient(b)
        return scale(ca * cb, matmul(xa, xb))
    if isinstance(a, Ones) and isinstance(b, Ones):
        return scale(a.shape[1], Ones((a.shape[0], b.shape[1])))
    return MatMul(a, b)


def times(s, a):
    """``s·a`` for a ``1×1`` ``s``: a number when it is one, numbers pulled out in front."""
    number = plain(s)
    if number is not None:
        return scale(number, a)
    (cs, xs), (ca, xa) = _coefficient(s), _coefficient(a)
    return scale(cs * ca, Times(xs, xa))


def plain(a):
    """The number a ``1×1`` expression is when it is one (``Num``, ``c·Num``), else None."""
    if isinstance(a, Num):
        return a.value
    if isinstance(a, Ones) and a.shape == (1, 1):
        return 1.0
    if isinstance(a, Scale):
        inner = plain(a.a)
        return None if inner is None else a.c * inner
    return None


def spread(s, shape):
    """A ``1×1`` expression ``s`` in every element of ``shape``: ``s·𝟙``."""
    return times(s, Ones(shape))


def add(a, b):
    """``a + b``, with ``c₁·X + c₂·X`` as ``(c₁ + c₂)·X``."""
    (ca, xa), (cb, xb) = _coefficient(a), _coefficient(b)
    if xa == xb:
        return scale(ca + cb, xa)
    return Add(a, b)


def _coefficient(a):
    return (a.c, a.a) if isinstance(a, Scale) else (1.0, a)


def transpose(a):
    if isinstance(a, T):
        return a.a
    if isinstance(a, Ones | Num):
        return type(a)(*([a.value] if isinstance(a, Num) else []), a.shape[::-1])
    if isinstance(a, Scale):
        return scale(a.c, transpose(a.a))
    if isinstance(a, MatMul):  # (A·B)ᵀ = Bᵀ·Aᵀ: (xᵀ·δ)ᵀ reads δᵀ·x, (𝟙·δ)ᵀ reads δᵀ·𝟙
        return matmul(transpose(a.b), transpose(a.a))
    return T(a)


# -- evaluation ---------------------------------------------------------------------------
def evaluate(expr, values, functions):
    """The value of ``expr`` as a list of rows, given ``values[name]`` (lists of rows).

    ``functions[name]`` computes one element (``math.tanh`` or ``sympy.tanh``), so a
    symbolic check evaluates the same expression with sympy symbols.
    """
    if isinstance(expr, Sym):
        return values[expr.name]
    if isinstance(expr, Const):
        return [list(row) for row in expr.rows]
    if isinstance(expr, Named):
        return evaluate(expr.expr, values, functions)
    if isinstance(expr, Softmax):
        rows = evaluate(expr.a, values, functions)
        if len(rows[0]) == 1:  # a vector (C,) is a column: its classes run down it
            return [[v] for v in _softmax_row([r[0] for r in rows], functions)]
        return [_softmax_row(row, functions) for row in rows]
    if isinstance(expr, Ones | Num):
        fill = 1.0 if isinstance(expr, Ones) else expr.value
        return [[fill] * expr.shape[1] for _ in range(expr.shape[0])]
    if isinstance(expr, T):
        return [list(row) for row in zip(*evaluate(expr.a, values, functions))]
    if isinstance(expr, Scale):
        return [[expr.c * v for v in row] for row in evaluate(expr.a, values, functions)]
    if isinstance(expr, Times):
        ((s,),) = evaluate(expr.s, values, functions)
        return [[s * v for v in row] for row in evaluate(expr.a, values, functions)]
    if isinstance(expr, Fn):
        f = functions[expr.name] if expr.name != "pow" else (lambda v, p=expr.power: v**p)
        return [[f(v) for v in row] for row in evaluate(expr.a, values, functions)]
    a, b = evaluate(expr.a, values, functions), evaluate(expr.b, values, functions)
    if isinstance(expr, MatMul):
        if len(a[0]) != len(b):
            raise ValueError("shapes cannot be multiplied")
        return [[sum(x * y for x, y in zip(row, col)) for col in zip(*b)] for row in a]
    if (len(a), len(a[0])) != (len(b), len(b[0])):
        raise ValueError("shapes differ")
    combine = (lambda x, y: x * y) if isinstance(expr, Had) else (lambda x, y: x + y)
    return [[combine(x, y) for x, y in zip(ra, rb)] for ra, rb in zip(a, b)]


def _softmax_row(row, functions):
    top = max(row) if all(isinstance(v, float) for v in row) else 0
    exps = [functions["exp"](v - top) for v in row]
    total = sum(exps)
    return [e / total for e in exps]


FLOAT_FUNCTIONS = {
    "tanh": math.tanh,
    "exp": math.exp,
    "log": math.log,
    "sin": math.sin,
    "cos": math.cos,
    "sqrt": math.sqrt,
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)),
    "sign": lambda v: float((v > 0) - (v < 0)),
    "step": lambda v: 1.0 if v > 0 else 0.0,
    "relu": lambda v: v if v > 0 else 0.0,
}


# -- printing -----------------------------------------------------------------------------
_ATOM, _PRODUCT, _HADAMARD, _SUM = 4, 3, 2, 1


def text(expr):
    """``((h − y) ⊙ (𝟙 − h^2))·xᵀ``: the form as a person writes it."""
    return _text(expr)[0]


def _text(expr):
    """``(text, precedence)``."""
    if isinstance(expr, Sym | Const):
        return expr.name, _ATOM
    if isinstance(expr, Named):
        return expr.text, _ATOM
    if isinstance(expr, Softmax):
        return f"softmax({text(expr.a)})", _ATOM
    if isinstance(expr, Ones):
        if expr.shape == (1, 1):
            return "1", _ATOM
        return ("𝟙ᵀ" if expr.shape[0] == 1 else "𝟙"), _ATOM  # a row of ones is 𝟙ᵀ
    if isinstance(expr, Num):
        return _number(expr.value), _ATOM
    if isinstance(expr, T):
        return f"{_wrap(expr.a, _ATOM)}ᵀ", _ATOM
    if isinstance(expr, Fn):
        if expr.name == "pow":
            return f"{_wrap(expr.a, _ATOM)}^{_number(expr.power)}", _ATOM
        return f"{expr.name}({text(expr.a)})", _ATOM
    if isinstance(expr, Times):
        return f"{_wrap(expr.s, _PRODUCT)}·{_wrap(expr.a, _PRODUCT)}", _PRODUCT
    if isinstance(expr, Scale):
        if expr.c == -1:
            return f"−{_wrap(expr.a, _PRODUCT)}", _PRODUCT
        return f"{_number(expr.c)}·{_wrap(expr.a, _PRODUCT)}", _PRODUCT
    if isinstance(expr, MatMul):
        return f"{_wrap(expr.a, _PRODUCT)}·{_wrap(expr.b, _PRODUCT + 1)}", _PRODUCT
    if isinstance(expr, Had):
        return f"{_wrap(expr.a, _HADAMARD)} ⊙ {_wrap(expr.b, _HADAMARD + 1)}", _HADAMARD
    right = text(expr.b)
    if isinstance(expr.b, Scale) and expr.b.c < 0:
        return f"{text(expr.a)} − {text(scale(-expr.b.c, expr.b.a))}", _SUM
    return f"{text(expr.a)} + {right}", _SUM


def _wrap(expr, least):
    body, precedence = _text(expr)
    return body if precedence >= least else f"({body})"


def _number(value):
    """``2``, ``2/3`` (a fraction when the float is one to 1e-12), else ``%g``."""
    value = float(value)
    if value < 0:
        return f"−{_number(-value)}"
    if value.is_integer():
        return str(int(value))
    fraction = Fraction(value).limit_denominator(1000)
    if abs(float(fraction) - value) <= 1e-12 * abs(value):
        return f"{fraction.numerator}/{fraction.denominator}"
    return f"{value:g}"


def latex(expr):
    """The same form in LaTeX: ``\\left(h - y\\right) \\odot \\ldots\\, x^{\\top}``."""
    swaps = {"·": " ", " ⊙ ": " \\odot ", "𝟙": "\\mathbf{1}", "−": "-", "ᵀ": "^{\\top}"}
    body = text(expr)
    for old, new in swaps.items():
        body = body.replace(old, new)
    return body.replace("(", "\\left(").replace(")", "\\right)")
