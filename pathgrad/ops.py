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

from pathgrad.functions import relu, sigmoid

# Printing precedence of a label: higher binds tighter.
ATOM, POW, UNARY, PRODUCT, SUM = 50, 40, 30, 20, 10


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
    return ATOM if isinstance(tree, (ast.Name, ast.Call, ast.Constant, ast.Attribute)) else 0


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
        rules = _BACKWARD[self.name]
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


# -- numbers as PyTorch's CPU float64 kernels compute them ---------------------------
# Values follow IEEE 754 as PyTorch does: a pole gives ±inf, a domain error nan, an
# overflow inf, an underflow 0; nothing raises. Each rule cites the PyTorch 2.13 source
# it copies (aten/src/ATen/native/..., tools/autograd/derivatives.yaml).
INF, NAN = math.inf, math.nan


def is_special(x):
    """Whether a value is one of IEEE's specials (inf, -inf, nan); ``None`` is not.

    >>> is_special(float("inf")), is_special(-1e308), is_special(None)
    (True, False, False)
    """
    return x is not None and not math.isfinite(x)


def special_name(x):
    """``"inf"``, ``"-inf"`` or ``"nan"`` for a special value, else ``None`` (as JSON says it).

    >>> special_name(float("-inf")), special_name(float("nan")), special_name(2.0)
    ('-inf', 'nan', None)
    """
    if not is_special(x):
        return None
    return "nan" if math.isnan(x) else "inf" if x > 0 else "-inf"


def _fmt(x):
    return f"{x:g}"


def _div(a, b):
    """a / b, with IEEE's poles: x/0 is ±inf (sign of x times sign of the zero), 0/0 nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or math.isnan(a):
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def _reciprocal(b):
    return _div(1.0, b)


def _log(a):
    """log: -inf at ±0, nan below 0 (std::log)."""
    if a == 0:
        return -INF
    return math.log(a) if a > 0 else NAN


def _sqrt(a):
    """sqrt: nan below 0, and sqrt(-0.0) = -0.0 (std::sqrt)."""
    return math.sqrt(a) if a >= 0 else NAN


def _exp(a):
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def _periodic(f):
    def g(a):
        return f(a) if math.isfinite(a) else NAN  # sin(±inf) is nan

    return g


def _std_pow(a, b):
    """std::pow, as PyTorch's pow of two tensors computes it (C99 Annex F)."""
    if a == 0 and b < 0:  # a pole: ±inf, the sign of a zero kept for odd integer powers
        odd = float(b).is_integer() and b % 2 == 1
        return math.copysign(INF, a) if odd else INF
    try:
        return math.pow(a, b)
    except ValueError:  # a negative base to a fractional power
        return NAN
    except OverflowError:
        odd = float(b).is_integer() and b % 2 == 1
        return -INF if a < 0 and odd else INF


def _pow_scalar(a, b):
    """tensor ** number: PyTorch's pow_tensor_scalar special-cases some exponents.

    aten/src/ATen/native/Pow.cpp and native/cpu/PowKernel.cpp: exponent 0 fills
    ones (even ``nan**0``), 1 copies, 2 and 3 multiply, 0.5 is sqrt, -0.5 rsqrt,
    -1 reciprocal, -2 the reciprocal of the square; any other exponent is std::pow.
    """
    if b == 0:
        return 1.0
    special = {
        1: lambda: a,
        2: lambda: a * a,
        3: lambda: a * a * a,
        0.5: lambda: _sqrt(a),
        -0.5: lambda: _reciprocal(_sqrt(a)),
        -1: lambda: _reciprocal(a),
        -2: lambda: _reciprocal(a * a),
    }
    try:
        return special[b]() if b in special else _std_pow(a, b)
    except OverflowError:
        return INF


def _pow_scalar_base(a, b):
    """number ** tensor: a base of 1 fills ones (even ``1**nan``), else std::pow (Pow.cpp)."""
    return 1.0 if a == 1 else _std_pow(a, b)


def _mul(a, b):
    return a * b


def _relu(a):
    """relu as clamp_min(a, 0): keeps nan and -0.0."""
    return 0.0 if a < 0 else a


def _maximum(a, b):
    """torch.maximum: nan if either is nan; at a tie (0.0 and -0.0) the first."""
    if math.isnan(a) or math.isnan(b):
        return NAN
    return max(a, b)  # the first at a tie, as PyTorch


def _minimum(a, b):
    if math.isnan(a) or math.isnan(b):
        return NAN
    return min(a, b)


def _sigmoid(a):
    """PyTorch's CPU sigmoid, 1 / (1 + exp(-a)): exactly 0 below about -745 (an underflow)."""
    return 1.0 / (1.0 + _exp(-a))


def _step(a):
    """Heaviside step with value 1/2 at 0 (the derivative of max/min at a tie)."""
    return 1.0 if a > 0 else 0.0 if a < 0 else 0.5


def _sign(a):
    """torch.sign: 0 at 0 and at nan."""
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


# -- backward rules: PyTorch's formulas, in PyTorch's order ---------------------------
# Each takes (grad, *operands, result) and returns the gradient for one operand exactly
# as tools/autograd/derivatives.yaml and FunctionsManual.cpp compute it, masks included,
# so IEEE specials (0 * inf = nan) and the last bit of rounding come out as PyTorch's.
def _pow_backward_scalar_exponent(g, a, b, r):
    # pow_backward: exponent == 0 gives zeros (x**0 is the constant 1, even at x = 0)
    return 0.0 if b == 0 else g * (b * _pow_scalar(a, b - 1))


def _pow_backward_self(g, a, b, r):
    # pow_backward_self: where(exponent == 0, 0, grad * exponent * self**(exponent - 1))
    return 0.0 if b == 0 else g * (b * _std_pow(a, b - 1))


def _pow_backward_exponent(g, a, b, r):
    # pow_backward_exponent: grad * where(self == 0 & exponent >= 0, 0, result * log(self));
    # 0**b is the constant 0 for b > 0 (and 1 at b = 0), so its slope in b is 0
    return g * (0.0 if a == 0 and b >= 0 else r * _log(a))


def _max_backward(g, a, b, r, mine):
    # max/min: where(self == other, grad / 2, grad), zeroed where the other argument wins
    if mine(a, b):
        return 0.0
    return g / 2 if a == b else g


_BACKWARD = {
    "add": (lambda g, a, b, r: g, lambda g, a, b, r: g),
    "sub": (lambda g, a, b, r: g, lambda g, a, b, r: -g),
    "mul": (lambda g, a, b, r: g * b, lambda g, a, b, r: g * a),
    # div_tensor_self_backward: grad / other;
    # div_tensor_other_backward: -grad * ((self / other) / other)
    "div": (lambda g, a, b, r: _div(g, b), lambda g, a, b, r: -g * _div(_div(a, b), b)),
    "reciprocal": (lambda g, a, r: -g * (r * r),),
    "pow": (_pow_backward_scalar_exponent, _pow_backward_exponent),
    "neg": (lambda g, a, r: -g,),
    "exp": (lambda g, a, r: g * r,),
    "log": (lambda g, a, r: _div(g, a),),
    "sqrt": (lambda g, a, r: _div(g, 2 * r),),
    "sin": (lambda g, a, r: g * _periodic(math.cos)(a),),
    "cos": (lambda g, a, r: g * -_periodic(math.sin)(a),),
    "tanh": (lambda g, a, r: g * (1 - r * r),),  # tanh_backward
    "sigmoid": (lambda g, a, r: g * (1 - r) * r,),  # sigmoid_backward
    "relu": (lambda g, a, r: 0.0 if r <= 0 else g,),  # threshold_backward(grad, result, 0)
    "abs": (lambda g, a, r: g * _sign(a),),  # grad * self.sgn()
    "max": (
        lambda g, a, b, r: _max_backward(g, a, b, r, lambda x, y: x < y),
        lambda g, a, b, r: _max_backward(g, a, b, r, lambda x, y: x > y),
    ),
    "min": (
        lambda g, a, b, r: _max_backward(g, a, b, r, lambda x, y: x > y),
        lambda g, a, b, r: _max_backward(g, a, b, r, lambda x, y: x < y),
    ),
}
#: PowBackward1 (two tensors) and PowBackward2 (a number base): their own rules.
_POW_BACKWARD = {
    (True, True): (_pow_backward_self, _pow_backward_exponent),
    (False, True): (None, _pow_backward_exponent),
}


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
        _mul,
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
        _div,
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
        _reciprocal,
        (lambda a: -1 / a**2,),
        template="1/{0}",
        precedence=PRODUCT,
        operand_precedence=(PRODUCT + 1,),
        torch="reciprocal",
        inverse=_reciprocal,
    ),
    Op(
        "pow",
        "PowBackward0",
        lambda a, b: a**b,
        _pow_scalar,
        (lambda a, b: b * a ** (b - 1), _pow_partial_exponent),
        template="{0}**{1}",
        precedence=POW,
        operand_precedence=(POW + 1, POW),
        grad_fn_variants={(True, True): "PowBackward1", (False, True): "PowBackward2"},
        numeric_variants={(True, True): _std_pow, (False, True): _pow_scalar_base},
        backward_variants=_POW_BACKWARD,
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
        _exp,
        sympy.exp,
        inverse=_log,
        never_zero=True,
        saves_result=True,
    ),
    _unary("log", "LogBackward0", sympy.log, _log, lambda a: 1 / a, inverse=_exp),
    _unary(
        "sqrt",
        "SqrtBackward0",
        sympy.sqrt,
        _sqrt,
        lambda a: 1 / (2 * sympy.sqrt(a)),
        inverse=lambda r: r * r,
        saves_result=True,
    ),
    _unary("sin", "SinBackward0", sympy.sin, _periodic(math.sin), sympy.cos),
    _unary("cos", "CosBackward0", sympy.cos, _periodic(math.cos), lambda a: -sympy.sin(a)),
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
        _sigmoid,
        lambda a: sigmoid(a) * (1 - sigmoid(a)),
        inverse=lambda r: _log(r / (1.0 - r)),
        never_zero=True,
        saves_result=True,
    ),
    _unary(
        "relu",
        "ReluBackward0",
        relu,
        _relu,
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
        _maximum,
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
        _minimum,
        (lambda a, b: _heaviside(b - a), lambda a, b: _heaviside(a - b)),
        template="min({0}, {1})",
        kink=lambda a, b: a == b,
        scalar_slot=True,
        kink_rule="a tie splits the gradient evenly between the two arguments",
        torch="minimum",
    ),
]

#: What PyTorch (2.13, float64) gives where the textbook rule has no answer, as pathgrad
#: follows it: (op, point, value, PyTorch's rule), in the README's Markdown; the README
#: prints this table (tests/test_edges.py checks it is the same).
CONVENTIONS = [
    ("`x ** 0`", "x = 0 (any x)", "value 1, ∂/∂x = 0", "`pow_backward`: exponent 0 gives zeros"),
    (
        "`x ** p`",
        "p = 0 (traced)",
        "∂/∂x = 0, ∂/∂p = log(x) (0 at x = 0)",
        "`pow_backward_self`: `where(p == 0, 0, …)`",
    ),
    (
        "`a ** b`",
        "a = 0, b ≥ 0",
        "∂/∂b = 0 (0^b ≡ 0 for b > 0)",
        "`pow_backward_exponent`: `where(a == 0 & b >= 0, 0, …)`",
    ),
    ("`a ** b`", "a = 0, b < 0", "value inf; ∂/∂b = -inf or nan", "`std::pow`, IEEE"),
    ("`y ** 0.5`", "y = 0", "value 0, ∂/∂y = inf", "the sqrt kernel; `0.5 * rsqrt(0)`"),
    ("`sqrt(x)`", "x = 0", "value 0, ∂/∂x = inf", "`grad / (2 * result)`"),
    ("`sqrt(x)`, `log(x)`", "x < 0", "nan", "`std::sqrt`, `std::log`"),
    ("`log(x)`", "x = 0", "value -inf, ∂/∂x = inf", "`std::log`; `grad / self`"),
    ("`a / b`", "b = 0", "±inf (nan for 0/0)", "IEEE division"),
    ("`exp(x)`", "x > 709.78", "inf (an overflow)", "`std::exp`"),
    ("`sigmoid(x)`", "x < -745", "0 (an underflow; `log` of it is -inf)", "`1 / (1 + exp(-x))`"),
    ("`relu(x)`", "x = 0", "∂/∂x = 0", "`threshold_backward`: result ≤ 0 gives 0"),
    ("`abs(x)`", "x = 0", "∂/∂x = 0", "`grad * sgn(x)`, sgn(0) = 0"),
    ("`max(a, b)`, `min(a, b)`", "a = b", "∂/∂a = ∂/∂b = 1/2", "`where(a == b, grad / 2, grad)`"),
    ("any op", "an operand nan", "nan (`0 * inf` is nan)", "IEEE"),
]


def special_cause(op, values, result, labels, underflowed=()):
    """Why ``op`` gives inf or nan at finite operands, in the terms the user wrote.

    ``labels`` are the operands as written; ``underflowed[i]`` says that operand
    ``i`` is 0 only because it underflowed (``sigmoid(-800)``: its exact value is
    positive), which is then the real cause.

    >>> special_cause(OPS["div"], [1.0, 0.0], float("inf"), ["1", "x"])
    '1/x = inf: division by zero (1/0)'
    >>> special_cause(OPS["log"], [0.0], float("-inf"), ["sigmoid(z)"], [True])[:56]
    'log(sigmoid(z)) = -inf: underflow: sigmoid(z) is exactly'
    >>> special_cause(OPS["exp"], [710.0], float("inf"), ["x"])
    'exp(x) = inf: overflow: exp(710) is beyond the largest float64 (about 1.8e308)'
    >>> special_cause(OPS["pow"], [-2.0, 0.5], float("nan"), ["a", "b"])
    'a**b = nan: negative base to a fractional power ((-2)**0.5)'
    """
    shown = f"{op.label(labels)} = {special_name(result)}"
    zeros = [labels[i] for i, u in enumerate(underflowed) if u and values[i] == 0]
    if zeros:
        return (
            f"{shown}: underflow: {zeros[0]} is exactly 0 in float64 (its true value is "
            f"positive, below the smallest float64, 5e-324), and {op.name} of 0 is "
            f"{special_name(result)}"
        )
    a, b = values[0], values[-1]
    if op.name in ("div", "reciprocal") and b == 0:
        cause = f"division by zero ({_fmt(a) if op.name == 'div' else '1'}/0)"
    elif op.name == "log" and a <= 0:
        cause = f"log of a non-positive number ({_fmt(a)})"
    elif op.name == "sqrt" and a < 0:
        cause = f"sqrt of a negative number ({_fmt(a)})"
    elif op.name == "pow" and a == 0 and b < 0:
        cause = f"zero to a negative power (0**{_fmt(b)})"
    elif op.name == "pow" and a < 0 and math.isnan(result):
        cause = f"negative base to a fractional power ({op.label([_fmt(a), _fmt(b)])})"
    else:
        at = op.label([_fmt(v) for v in values])
        cause = f"overflow: {at} is beyond the largest float64 (about 1.8e308)"
    return f"{shown}: {cause}"


#: The op table, by name.
OPS = {op.name: op for op in _ROWS}

#: Functions a file may call without importing them (``max``/``min`` take two arguments).
FUNCTIONS = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "max", "min")
