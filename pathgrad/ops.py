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
>>> OPS["div"].label(["w", "x - 1"]), OPS["pow"].label(["-2", "0.5"])
('w/(x - 1)', '(-2)**0.5')
"""

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import sympy

from pathgrad import kernels
from pathgrad.functions import relu, sigmoid

# Printing precedence of a label: higher binds tighter.
ATOM, POW, UNARY, PRODUCT, SUM = 50, 40, 30, 20, 10

_ATOMS = (ast.Name, ast.Call, ast.Constant, ast.Attribute, ast.Subscript)  # W[0,1] too
_PRECEDENCE_OF = {ast.Add: SUM, ast.Sub: SUM, ast.Mult: PRODUCT, ast.Div: PRODUCT, ast.Pow: POW}


@lru_cache(maxsize=4096)
def precedence_of(label):
    """How tightly a label written as Python binds (its top operation), for brackets.

    A name, a call or a number without a sign is an atom; ``<MulBackward0>`` (an
    unnamed value) is shown as one; text that is not an expression binds loosest.

    >>> precedence_of("x") == ATOM, precedence_of("-2") == UNARY, precedence_of("a*b") == PRODUCT
    (True, True, True)
    """
    if label.startswith("<") and label.endswith(">"):
        return ATOM
    try:
        tree = ast.parse(label, mode="eval").body
    except SyntaxError:
        return 0
    if isinstance(tree, ast.BinOp):
        return _PRECEDENCE_OF.get(type(tree.op), 0)
    if isinstance(tree, ast.UnaryOp):
        return UNARY
    if isinstance(tree, ast.Constant) and isinstance(tree.value, (int, float)):
        return ATOM if str(tree.value)[0].isdigit() else UNARY
    return ATOM if isinstance(tree, _ATOMS) else 0


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
    ``saves_result``: its backward keeps the result, not the operand (exp, sqrt, tanh,
    sigmoid, relu), so updating the operand in place before ``backward()`` is no error.
    ``inverse`` recovers a one-operand operation's input from its output, where
    it can (rebuilding a graph from what PyTorch saved needs it).
    """

    name: str
    grad_fn: str
    symbolic: Callable
    numeric: Callable
    partials: tuple
    numeric_partials: tuple = ()
    template: str = ""
    precedence: int = ATOM
    operand_precedence: tuple = ()
    kink: Callable | None = None
    kink_rule: str = ""
    grad_fn_variants: dict = field(default_factory=dict)
    saves_tensors: bool = True
    saves_result: bool = False
    scalar_slot: bool = False
    reflected: str | None = None
    torch: str = ""
    inverse: Callable | None = None
    numeric_variants: dict = field(default_factory=dict)
    backward_variants: dict = field(default_factory=dict)
    never_zero: bool = False
    convention: Callable | None = None

    def __post_init__(self):
        parts = tuple(self._local(i) for i in range(len(self.partials)))
        object.__setattr__(self, "numeric_partials", parts)

    def _local(self, position):
        def local(*values):
            return self.vjp(position, 1.0, values, self.numeric(*values))

        return local

    def forward(self, values, traced=None):
        """The value, as PyTorch computes it (IEEE: ±inf and nan, never an error).

        ``traced`` says which operands are traced values: ``x ** 2`` and ``x ** p``
        run different PyTorch kernels.
        """
        rule = self.numeric_variants.get(tuple(traced), self.numeric) if traced else self.numeric
        return float(rule(*values))

    def vjp(self, position, grad, values, result, traced=None):
        """The gradient for operand ``position`` given the result's, by PyTorch's formula."""
        rules = kernels.BACKWARD[self.name]
        if traced:
            rules = self.backward_variants.get(tuple(traced), rules)
        return float(rules[position](grad, *values, result))

    @property
    def arity(self):
        return len(self.partials)

    def grad_fn_for(self, traced):
        """PyTorch's ``grad_fn`` name, given which operands are traced values."""
        return self.grad_fn_variants.get(tuple(traced), self.grad_fn)

    def label(self, operand_labels, operand_precedences=None):
        """Print the operation from its operands' labels, parenthesising as needed.

        Without ``operand_precedences`` each label's is read from its text
        (:func:`precedence_of`), so a label is never misread (``w/(x - 1)``).
        """
        precedences = operand_precedences or [precedence_of(t) for t in operand_labels]
        needed = self.operand_precedence or (0,) * len(operand_labels)
        parts = [
            f"({text})" if prec < need else text
            for text, prec, need in zip(operand_labels, precedences, needed)
        ]
        return self.template.format(*parts)


def _heaviside(x):
    """Heaviside step with value 1/2 at 0, as sympy and PyTorch's maximum define it."""
    return sympy.Heaviside(x)


def _unary(
    name, grad_fn, symbolic, numeric, partial, kink=None, kink_rule="", inverse=None, **more
):
    return Op(
        name=name,
        grad_fn=grad_fn,
        symbolic=symbolic,
        numeric=numeric,
        partials=(partial,),
        template=name + "({0})",
        kink=kink,
        kink_rule=kink_rule,
        torch=name,
        inverse=inverse,
        **more,
    )


def _pow_convention(a, b, traced):
    """PyTorch's pow masks that apply at these values, as a sentence (else ``None``).

    >>> _pow_convention(0.0, 1.0, (True, True))[:26]
    '0**b is the constant 0 for'
    >>> _pow_convention(2.0, 3.0, (True, False)) is None
    True
    """
    rules = []
    if b == 0 and traced[0]:
        rules.append(
            "x**0 is the constant 1, so its derivative in the base is 0 "
            "(PyTorch's pow_backward: exponent 0 gives zeros)"
        )
    if a == 0 and b >= 0 and traced[1]:
        rules.append(
            "0**b is the constant 0 for b > 0 (1 at b = 0), so its derivative in the "
            "exponent is 0 where a**b*log(a) has no value (PyTorch's "
            "pow_backward_exponent: base 0 and exponent >= 0 give zeros)"
        )
    return "; ".join(rules) or None


def _pow_partial_exponent(a, b):
    """∂(a**b)/∂b = a**b*log(a), and 0 for a base that is the number 0 (0**b ≡ 0, b > 0)."""
    return sympy.S.Zero if a == 0 else a**b * sympy.log(a)


_ROWS = [
    Op(
        "add",
        "AddBackward0",
        lambda a, b: a + b,
        lambda a, b: a + b,
        (lambda a, b: sympy.S.One, lambda a, b: sympy.S.One),
        template="{0} + {1}",
        precedence=SUM,
        operand_precedence=(SUM, SUM + 1),
        saves_tensors=False,
        scalar_slot=True,
        reflected="swap",
        torch="+",
    ),
    Op(
        "sub",
        "SubBackward0",
        lambda a, b: a - b,
        lambda a, b: a - b,
        (lambda a, b: sympy.S.One, lambda a, b: sympy.S.NegativeOne),
        template="{0} - {1}",
        precedence=SUM,
        operand_precedence=(SUM, SUM + 1),
        grad_fn_variants={(False, True): "RsubBackward1"},
        saves_tensors=False,
        scalar_slot=True,
        reflected="drop",
        torch="-",
    ),
    Op(
        "mul",
        "MulBackward0",
        lambda a, b: a * b,
        kernels.mul,
        (lambda a, b: b, lambda a, b: a),
        template="{0}*{1}",
        precedence=PRODUCT,
        operand_precedence=(PRODUCT, PRODUCT + 1),
        scalar_slot=True,
        reflected="swap",
        torch="*",
    ),
    Op(
        "div",
        "DivBackward0",
        lambda a, b: a / b,
        kernels.div,
        (lambda a, b: 1 / b, lambda a, b: -a / b**2),
        template="{0}/{1}",
        precedence=PRODUCT,
        operand_precedence=(PRODUCT, PRODUCT + 1),
        scalar_slot=True,
        torch="/",
    ),
    Op(
        "reciprocal",
        "ReciprocalBackward0",
        lambda a: 1 / a,
        kernels.reciprocal,
        (lambda a: -1 / a**2,),
        template="1/{0}",
        precedence=PRODUCT,
        operand_precedence=(PRODUCT + 1,),
        torch="reciprocal",
        inverse=kernels.reciprocal,
    ),
    Op(
        "pow",
        "PowBackward0",
        lambda a, b: a**b,
        kernels.pow_scalar,
        (lambda a, b: b * a ** (b - 1), _pow_partial_exponent),
        template="{0}**{1}",
        precedence=POW,
        operand_precedence=(POW + 1, POW),
        grad_fn_variants={(True, True): "PowBackward1", (False, True): "PowBackward2"},
        numeric_variants={(True, True): kernels.std_pow, (False, True): kernels.pow_scalar_base},
        backward_variants=kernels.POW_BACKWARD,
        torch="**",
        convention=_pow_convention,
    ),
    Op(
        "neg",
        "NegBackward0",
        lambda a: -a,
        lambda a: -a,
        (lambda a: sympy.S.NegativeOne,),
        template="-{0}",
        precedence=UNARY,
        operand_precedence=(PRODUCT + 1,),
        saves_tensors=False,
        torch="neg",
        inverse=lambda r: -r,
    ),
    _unary(
        "exp",
        "ExpBackward0",
        sympy.exp,
        kernels.exp,
        sympy.exp,
        inverse=kernels.log,
        never_zero=True,
        saves_result=True,
    ),
    _unary("log", "LogBackward0", sympy.log, kernels.log, lambda a: 1 / a, inverse=kernels.exp),
    _unary(
        "sqrt",
        "SqrtBackward0",
        sympy.sqrt,
        kernels.sqrt,
        lambda a: 1 / (2 * sympy.sqrt(a)),
        inverse=lambda r: r * r,
        saves_result=True,
    ),
    _unary("sin", "SinBackward0", sympy.sin, kernels.periodic(math.sin), sympy.cos),
    _unary("cos", "CosBackward0", sympy.cos, kernels.periodic(math.cos), lambda a: -sympy.sin(a)),
    _unary(
        "tanh",
        "TanhBackward0",
        sympy.tanh,
        math.tanh,
        lambda a: 1 - sympy.tanh(a) ** 2,
        inverse=math.atanh,
        saves_result=True,
    ),
    _unary(
        "sigmoid",
        "SigmoidBackward0",
        sigmoid,
        kernels.sigmoid,
        lambda a: sigmoid(a) * (1 - sigmoid(a)),
        inverse=lambda r: kernels.log(r / (1.0 - r)),
        never_zero=True,
        saves_result=True,
    ),
    _unary(
        "relu",
        "ReluBackward0",
        relu,
        kernels.relu,
        lambda a: sympy.Heaviside(a, 0),
        kink=lambda a: a == 0,
        kink_rule="relu'(0) = 0",
        saves_result=True,
    ),
    _unary(
        "abs",
        "AbsBackward0",
        sympy.Abs,
        abs,
        sympy.sign,
        kink=lambda a: a == 0,
        kink_rule="abs'(0) = 0",
    ),
    Op(
        "max",
        "MaximumBackward0",
        sympy.Max,
        kernels.maximum,
        (lambda a, b: _heaviside(a - b), lambda a, b: _heaviside(b - a)),
        template="max({0}, {1})",
        kink=lambda a, b: a == b,
        scalar_slot=True,
        kink_rule="a tie splits the gradient evenly between the two arguments",
        torch="maximum",
    ),
    Op(
        "min",
        "MinimumBackward0",
        sympy.Min,
        kernels.minimum,
        (lambda a, b: _heaviside(b - a), lambda a, b: _heaviside(a - b)),
        template="min({0}, {1})",
        kink=lambda a, b: a == b,
        scalar_slot=True,
        kink_rule="a tie splits the gradient evenly between the two arguments",
        torch="minimum",
    ),
]

#: The op table, by name.
OPS = {op.name: op for op in _ROWS}

#: Functions a file may call without importing them (``max``/``min`` take two arguments).
FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "max", "min")
