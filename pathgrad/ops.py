"""The op table: what each operation *is*, in one row.

A row gives the operation's forward rule twice (symbolic, with sympy, and
numeric, with floats), its local partial derivative with respect to each
operand (again symbolic and numeric), PyTorch's ``grad_fn`` name, and how to
print it. Everything else in pathgrad reads this table, so adding an
operation touches this file only.

>>> import sympy
>>> a, b = sympy.symbols("a b", real=True)
>>> OPS["mul"].partials[0](a, b), OPS["mul"].partials[1](a, b)
(b, a)
>>> OPS["sub"].grad_fn_for((False, True))
'RsubBackward1'
>>> OPS["tanh"].partials[0](a)
1 - tanh(a)**2
>>> OPS["relu"].numeric_partials[0](0.0)
0.0
>>> OPS["div"].label(["x", "y + 1"], [ATOM, SUM])
'x/(y + 1)'
"""

import math
from dataclasses import dataclass, field
from typing import Callable

import sympy

from .functions import relu, sigmoid

# Printing precedence of a label: higher binds tighter.
ATOM, POW, UNARY, PRODUCT, SUM = 50, 40, 30, 20, 10


@dataclass(frozen=True)
class Op:
    """One row of the op table.

    ``partials[i]`` and ``numeric_partials[i]`` give the local derivative of
    the result with respect to operand ``i``, as a function of all operands.
    ``template`` prints the operation from its operands' labels; an operand
    whose own precedence is below ``operand_precedence[i]`` is parenthesised.

    Two facts mirror PyTorch's autograd: ``saves_tensors`` (its backward keeps
    operand or result values, so a second ``backward()`` without
    ``retain_graph`` fails; add, sub and neg save none and never fail), and
    ``scalar_slot`` (a plain-number operand still appears in ``next_functions``,
    as ``(None, 0)``), and ``reflected``: how PyTorch records a number on the
    left (``1 + x``): "swap" puts the tensor first, "drop" leaves the number
    out (``1 - x`` is ``RsubBackward1`` of x alone). ``torch`` names the same
    operation in PyTorch: a Python operator, or a function of the ``torch`` module.
    ``inverse`` recovers a one-operand operation's input from its output, where
    it can (rebuilding a graph from what PyTorch saved needs it).
    """

    name: str
    grad_fn: str
    symbolic: Callable
    numeric: Callable
    partials: tuple
    numeric_partials: tuple
    template: str
    precedence: int = ATOM
    operand_precedence: tuple = ()
    kink: Callable | None = None
    kink_rule: str = ""
    grad_fn_variants: dict = field(default_factory=dict)
    saves_tensors: bool = True
    scalar_slot: bool = False
    reflected: str | None = None
    torch: str = ""
    inverse: Callable | None = None

    @property
    def arity(self):
        return len(self.partials)

    def grad_fn_for(self, traced):
        """PyTorch's ``grad_fn`` name, given which operands are traced values."""
        return self.grad_fn_variants.get(tuple(traced), self.grad_fn)

    def label(self, operand_labels, operand_precedences=None):
        """Print the operation from its operands' labels, parenthesising as needed."""
        precedences = operand_precedences or [ATOM] * len(operand_labels)
        needed = self.operand_precedence or (0,) * len(operand_labels)
        parts = [
            f"({text})" if prec < need else text
            for text, prec, need in zip(operand_labels, precedences, needed)
        ]
        return self.template.format(*parts)


def _fail(message):
    raise ValueError(message)


def _fmt(x):
    return f"{x:g}"


def _log(a):
    return math.log(a) if a > 0 else _fail(f"log of a non-positive number ({_fmt(a)})")


def _sqrt(a):
    return math.sqrt(a) if a >= 0 else _fail(f"sqrt of a negative number ({_fmt(a)})")


def _div(a, b):
    return a / b if b != 0 else _fail(f"division by zero ({_fmt(a)}/0)")


def _reciprocal(b):
    return _div(1.0, b)


def _pow(a, b):
    if a == 0 and b < 0:
        _fail(f"zero to a negative power (0**{_fmt(b)})")
    result = a**b
    if isinstance(result, complex):
        _fail(f"negative base to a fractional power ({_fmt(a)}**{_fmt(b)})")
    return float(result)


def _sigmoid(a):
    if a >= 0:
        return 1.0 / (1.0 + math.exp(-a))
    e = math.exp(a)
    return e / (1.0 + e)


def _step(a):
    """Heaviside step with value 1/2 at 0 (the derivative of max/min at a tie)."""
    return 1.0 if a > 0 else 0.0 if a < 0 else 0.5


def _sign(a):
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


def _heaviside(x):
    """Heaviside step with value 1/2 at 0, as sympy and PyTorch's maximum define it."""
    return sympy.Heaviside(x)


def _unary(name, grad_fn, symbolic, numeric, partial, numeric_partial, kink=None, kink_rule="",
           inverse=None):
    return Op(
        name=name,
        grad_fn=grad_fn,
        symbolic=symbolic,
        numeric=numeric,
        partials=(partial,),
        numeric_partials=(numeric_partial,),
        template=name + "({0})",
        kink=kink,
        kink_rule=kink_rule,
        torch=name,
        inverse=inverse,
    )


_ROWS = [
    Op(
        "add", "AddBackward0", lambda a, b: a + b, lambda a, b: a + b,
        (lambda a, b: sympy.S.One, lambda a, b: sympy.S.One),
        (lambda a, b: 1.0, lambda a, b: 1.0),
        "{0} + {1}", SUM, (SUM, SUM + 1), saves_tensors=False, scalar_slot=True,
        reflected="swap",
        torch="+",
    ),
    Op(
        "sub", "SubBackward0", lambda a, b: a - b, lambda a, b: a - b,
        (lambda a, b: sympy.S.One, lambda a, b: sympy.S.NegativeOne),
        (lambda a, b: 1.0, lambda a, b: -1.0),
        "{0} - {1}", SUM, (SUM, SUM + 1),
        grad_fn_variants={(False, True): "RsubBackward1"}, saves_tensors=False, scalar_slot=True,
        reflected="drop",
        torch="-",
    ),
    Op(
        "mul", "MulBackward0", lambda a, b: a * b, lambda a, b: a * b,
        (lambda a, b: b, lambda a, b: a),
        (lambda a, b: b, lambda a, b: a),
        "{0}*{1}", PRODUCT, (PRODUCT, PRODUCT + 1), scalar_slot=True, reflected="swap",
        torch="*",
    ),
    Op(
        "div", "DivBackward0", lambda a, b: a / b, _div,
        (lambda a, b: 1 / b, lambda a, b: -a / b**2),
        (lambda a, b: _reciprocal(b), lambda a, b: -_div(a, b * b)),
        "{0}/{1}", PRODUCT, (PRODUCT, PRODUCT + 1), scalar_slot=True,
        torch="/",
    ),
    Op(
        "reciprocal", "ReciprocalBackward0", lambda a: 1 / a, _reciprocal,
        (lambda a: -1 / a**2,), (lambda a: -_reciprocal(a * a),),
        "1/{0}", PRODUCT, (PRODUCT + 1,),
        torch="reciprocal", inverse=_reciprocal,
    ),
    Op(
        "pow", "PowBackward0", lambda a, b: a**b, _pow,
        (lambda a, b: b * a ** (b - 1), lambda a, b: a**b * sympy.log(a)),
        (lambda a, b: b * _pow(a, b - 1), lambda a, b: _pow(a, b) * _log(a)),
        "{0}**{1}", POW, (POW + 1, POW),
        grad_fn_variants={(True, True): "PowBackward1", (False, True): "PowBackward2"},
        torch="**",
    ),
    Op(
        "neg", "NegBackward0", lambda a: -a, lambda a: -a,
        (lambda a: sympy.S.NegativeOne,), (lambda a: -1.0,),
        "-{0}", UNARY, (PRODUCT + 1,), saves_tensors=False,
        torch="neg", inverse=lambda r: -r,
    ),
    _unary("exp", "ExpBackward0", sympy.exp, math.exp, sympy.exp, math.exp, inverse=_log),
    _unary("log", "LogBackward0", sympy.log, _log, lambda a: 1 / a, _reciprocal,
           inverse=math.exp),
    _unary(
        "sqrt", "SqrtBackward0", sympy.sqrt, _sqrt,
        lambda a: 1 / (2 * sympy.sqrt(a)), lambda a: _reciprocal(2 * _sqrt(a)),
        inverse=lambda r: r * r,
    ),
    _unary("sin", "SinBackward0", sympy.sin, math.sin, sympy.cos, math.cos),
    _unary("cos", "CosBackward0", sympy.cos, math.cos, lambda a: -sympy.sin(a), lambda a: -math.sin(a)),
    _unary(
        "tanh", "TanhBackward0", sympy.tanh, math.tanh,
        lambda a: 1 - sympy.tanh(a) ** 2, lambda a: 1.0 - math.tanh(a) ** 2,
        inverse=math.atanh,
    ),
    _unary(
        "sigmoid", "SigmoidBackward0", sigmoid, _sigmoid,
        lambda a: sigmoid(a) * (1 - sigmoid(a)), lambda a: _sigmoid(a) * (1.0 - _sigmoid(a)),
        inverse=lambda r: _log(r / (1.0 - r)),
    ),
    _unary(
        "relu", "ReluBackward0", relu, lambda a: max(a, 0.0),
        lambda a: sympy.Heaviside(a, 0), lambda a: 1.0 if a > 0 else 0.0,
        kink=lambda a: a == 0, kink_rule="relu'(0) = 0",
    ),
    _unary(
        "abs", "AbsBackward0", sympy.Abs, abs, sympy.sign, _sign,
        kink=lambda a: a == 0, kink_rule="abs'(0) = 0",
    ),
    Op(
        "max", "MaximumBackward0", sympy.Max, lambda a, b: max(a, b),
        (lambda a, b: _heaviside(a - b), lambda a, b: _heaviside(b - a)),
        (lambda a, b: _step(a - b), lambda a, b: _step(b - a)),
        "max({0}, {1})", kink=lambda a, b: a == b, scalar_slot=True,
        kink_rule="a tie splits the gradient evenly between the two arguments",
        torch="maximum",
    ),
    Op(
        "min", "MinimumBackward0", sympy.Min, lambda a, b: min(a, b),
        (lambda a, b: _heaviside(b - a), lambda a, b: _heaviside(a - b)),
        (lambda a, b: _step(b - a), lambda a, b: _step(a - b)),
        "min({0}, {1})", kink=lambda a, b: a == b, scalar_slot=True,
        kink_rule="a tie splits the gradient evenly between the two arguments",
        torch="minimum",
    ),
]

#: The op table, by name.
OPS = {op.name: op for op in _ROWS}

#: Functions a file may call without importing them (``max``/``min`` take two arguments).
FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "max", "min")
