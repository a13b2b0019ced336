"""Numbers as PyTorch's CPU float64 kernels compute them, and why a number is special.

The op table (:mod:`pathgrad.ops`) says what each operation *is*; this module holds the
float arithmetic its rows point to: forward kernels with IEEE 754's poles, overflows and
domain errors (``1/0 = inf``, ``log(-1) = nan``; nothing raises), PyTorch's backward
formulas with their masks (``BACKWARD``), the table of conventions the README prints,
and :func:`special_cause`, which says in the user's terms why a value is inf or nan.

>>> div(1.0, -0.0), log(0.0), pow_scalar(float("nan"), 0)
(-inf, -inf, 1.0)
"""

import math

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


def div(a, b):
    """a / b, with IEEE's poles: x/0 is ±inf (sign of x times sign of the zero), 0/0 nan."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0 or math.isnan(a):
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def reciprocal(b):
    return div(1.0, b)


def log(a):
    """log: -inf at ±0, nan below 0 (std::log)."""
    if a == 0:
        return -INF
    return math.log(a) if a > 0 else NAN


def sqrt(a):
    """sqrt: nan below 0, and sqrt(-0.0) = -0.0 (std::sqrt)."""
    return math.sqrt(a) if a >= 0 else NAN


def exp(a):
    try:
        return math.exp(a)
    except OverflowError:
        return INF


def periodic(f):
    def g(a):
        return f(a) if math.isfinite(a) else NAN  # sin(±inf) is nan

    return g


def std_pow(a, b):
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


def pow_scalar(a, b):
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
        0.5: lambda: sqrt(a),
        -0.5: lambda: reciprocal(sqrt(a)),
        -1: lambda: reciprocal(a),
        -2: lambda: reciprocal(a * a),
    }
    try:
        return special[b]() if b in special else std_pow(a, b)
    except OverflowError:
        return INF


def pow_scalar_base(a, b):
    """number ** tensor: a base of 1 fills ones (even ``1**nan``), else std::pow (Pow.cpp)."""
    return 1.0 if a == 1 else std_pow(a, b)


def mul(a, b):
    return a * b


def relu(a):
    """relu as clamp_min(a, 0): keeps nan and -0.0."""
    return 0.0 if a < 0 else a


def maximum(a, b):
    """torch.maximum: nan if either is nan; at a tie (0.0 and -0.0) the first."""
    if math.isnan(a) or math.isnan(b):
        return NAN
    return max(a, b)  # the first at a tie, as PyTorch


def minimum(a, b):
    if math.isnan(a) or math.isnan(b):
        return NAN
    return min(a, b)


def sigmoid(a):
    """PyTorch's CPU sigmoid, 1 / (1 + exp(-a)): exactly 0 below about -745 (an underflow)."""
    return 1.0 / (1.0 + exp(-a))


def step(a):
    """Heaviside step with value 1/2 at 0 (the derivative of max/min at a tie)."""
    return 1.0 if a > 0 else 0.0 if a < 0 else 0.5


def sign(a):
    """torch.sign: 0 at 0 and at nan."""
    return 1.0 if a > 0 else -1.0 if a < 0 else 0.0


# -- backward rules: PyTorch's formulas, in PyTorch's order ---------------------------
# Each takes (grad, *operands, result) and returns the gradient for one operand exactly
# as tools/autograd/derivatives.yaml and FunctionsManual.cpp compute it, masks included,
# so IEEE specials (0 * inf = nan) and the last bit of rounding come out as PyTorch's.
def pow_backward_scalar_exponent(g, a, b, r):
    # pow_backward: exponent == 0 gives zeros (x**0 is the constant 1, even at x = 0)
    return 0.0 if b == 0 else g * (b * pow_scalar(a, b - 1))


def pow_backward_self(g, a, b, r):
    # pow_backward_self: where(exponent == 0, 0, grad * exponent * self**(exponent - 1))
    return 0.0 if b == 0 else g * (b * std_pow(a, b - 1))


def pow_backward_exponent(g, a, b, r):
    # pow_backward_exponent: grad * where(self == 0 & exponent >= 0, 0, result * log(self));
    # 0**b is the constant 0 for b > 0 (and 1 at b = 0), so its slope in b is 0
    return g * (0.0 if a == 0 and b >= 0 else r * log(a))


def max_backward(g, a, b, r, mine):
    # max/min: where(self == other, grad / 2, grad), zeroed where the other argument wins
    if mine(a, b):
        return 0.0
    return g / 2 if a == b else g


BACKWARD = {
    "add": (lambda g, a, b, r: g, lambda g, a, b, r: g),
    "sub": (lambda g, a, b, r: g, lambda g, a, b, r: -g),
    "mul": (lambda g, a, b, r: g * b, lambda g, a, b, r: g * a),
    # div_tensor_self_backward: grad / other;
    # div_tensor_other_backward: -grad * ((self / other) / other)
    "div": (lambda g, a, b, r: div(g, b), lambda g, a, b, r: -g * div(div(a, b), b)),
    "reciprocal": (lambda g, a, r: -g * (r * r),),
    "pow": (pow_backward_scalar_exponent, pow_backward_exponent),
    "neg": (lambda g, a, r: -g,),
    "exp": (lambda g, a, r: g * r,),
    "log": (lambda g, a, r: div(g, a),),
    "sqrt": (lambda g, a, r: div(g, 2 * r),),
    "sin": (lambda g, a, r: g * periodic(math.cos)(a),),
    "cos": (lambda g, a, r: g * -periodic(math.sin)(a),),
    "tanh": (lambda g, a, r: g * (1 - r * r),),  # tanh_backward
    "sigmoid": (lambda g, a, r: g * (1 - r) * r,),  # sigmoid_backward
    "relu": (lambda g, a, r: 0.0 if r <= 0 else g,),  # threshold_backward(grad, result, 0)
    "abs": (lambda g, a, r: g * sign(a),),  # grad * self.sgn()
    "max": (
        lambda g, a, b, r: max_backward(g, a, b, r, lambda x, y: x < y),
        lambda g, a, b, r: max_backward(g, a, b, r, lambda x, y: x > y),
    ),
    "min": (
        lambda g, a, b, r: max_backward(g, a, b, r, lambda x, y: x > y),
        lambda g, a, b, r: max_backward(g, a, b, r, lambda x, y: x < y),
    ),
}
#: PowBackward1 (two tensors) and PowBackward2 (a number base): their own rules.
POW_BACKWARD = {
    (True, True): (pow_backward_self, pow_backward_exponent),
    (False, True): (None, pow_backward_exponent),
}


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

    >>> from pathgrad.ops import OPS
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
