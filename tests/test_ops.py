"""Every row of the op table against sympy.diff and finite differences."""

import math

import pytest
import sympy

from pathgrad.functions import relu, sigmoid
from pathgrad.kernels import special_cause, special_name
from pathgrad.ops import OPS

a, b = sympy.symbols("a b", real=True)

# Points inside each op's domain and away from its kinks.
POINTS = {
    "add": (0.7, -1.3),
    "sub": (0.7, -1.3),
    "mul": (0.7, -1.3),
    "div": (0.7, -1.3),
    "pow": (1.7, 0.6),
    "neg": (0.7,),
    "reciprocal": (0.7,),
    "exp": (0.7,),
    "log": (0.7,),
    "sqrt": (0.7,),
    "sin": (0.7,),
    "cos": (0.7,),
    "tanh": (0.7,),
    "sigmoid": (-0.7,),
    "relu": (0.7,),
    "abs": (-0.7,),
    "max": (0.7, -1.3),
    "min": (0.7, -1.3),
}
# sympy's own definitions, independent of pathgrad's textbook rules.
REFERENCE = {
    "sigmoid": lambda x: 1 / (1 + sympy.exp(-x)),
    "relu": lambda x: sympy.Max(0, x),
}


def test_every_op_has_a_point():
    assert set(POINTS) == set(OPS)


@pytest.mark.parametrize("name", sorted(OPS))
def test_partials_match_sympy_diff(name):
    op = OPS[name]
    args = (a, b)[: op.arity]
    reference = REFERENCE.get(name, op.symbolic)(*args)
    point = dict(zip(args, POINTS[name]))
    for i, arg in enumerate(args):
        ours = op.partials[i](*args)
        theirs = sympy.diff(reference, arg)
        assert float(ours.subs(point).evalf()) == pytest.approx(
            float(theirs.subs(point).evalf()), rel=1e-12
        )


@pytest.mark.parametrize("name", sorted(OPS))
def test_numeric_partials_match_finite_differences(name):
    op = OPS[name]
    point = list(POINTS[name])
    for i in range(op.arity):
        h = 1e-6
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        fd = (op.numeric(*up) - op.numeric(*down)) / (2 * h)
        assert op.numeric_partials[i](*point) == pytest.approx(fd, rel=1e-6, abs=1e-8)


@pytest.mark.parametrize("name", sorted(OPS))
def test_numeric_forward_and_partials_match_symbolic(name):
    op = OPS[name]
    args = (a, b)[: op.arity]
    point = dict(zip(args, POINTS[name]))
    assert op.numeric(*POINTS[name]) == pytest.approx(
        float(op.symbolic(*args).subs(point).evalf()), rel=1e-12
    )
    for i in range(op.arity):
        assert op.numeric_partials[i](*POINTS[name]) == pytest.approx(
            float(op.partials[i](*args).subs(point).evalf()), rel=1e-12
        )


@pytest.mark.parametrize(
    "name, point, expected",
    [
        ("relu", (0.0,), (0.0,)),
        ("abs", (0.0,), (0.0,)),
        ("max", (1.0, 1.0), (0.5, 0.5)),
        ("min", (1.0, 1.0), (0.5, 0.5)),
        ("max", (2.0, 1.0), (1.0, 0.0)),
        ("min", (2.0, 1.0), (0.0, 1.0)),
    ],
)
def test_kinks_follow_pytorch(name, point, expected):
    op = OPS[name]
    assert tuple(p(*point) for p in op.numeric_partials) == expected
    assert op.kink(*point) == (len(set(point)) == 1 or point == (0.0,))
    symbolic = tuple(p(*[sympy.Float(x) for x in point]) for p in op.partials)
    assert tuple(float(s) for s in symbolic) == expected


@pytest.mark.parametrize(
    "name, point, value, phrase",
    [
        ("log", (0.0,), "-inf", "log of a non-positive number"),
        ("log", (-2.0,), "nan", "log of a non-positive number"),
        ("sqrt", (-1.0,), "nan", "sqrt of a negative number"),
        ("div", (1.0, 0.0), "inf", "division by zero"),
        ("pow", (-8.0, 0.5), "nan", "negative base to a fractional power"),
        ("pow", (0.0, -1.0), "inf", "zero to a negative power"),
    ],
)
def test_domain_errors_say_what_is_wrong(name, point, value, phrase):
    # issue 10: the value is PyTorch's IEEE special, and the cause says what is wrong
    op = OPS[name]
    result = op.numeric(*point)
    assert special_name(result) == value
    assert phrase in special_cause(op, list(point), result, ["a", "b"][: op.arity])


@pytest.mark.parametrize(
    "traced, expected",
    [
        ((True, True), "SubBackward0"),
        ((True, False), "SubBackward0"),
        ((False, True), "RsubBackward1"),
    ],
)
def test_sub_grad_fn_depends_on_which_side_is_traced(traced, expected):
    assert OPS["sub"].grad_fn_for(traced) == expected


def test_grad_fn_names_are_pytorchs():
    names = {name: op.grad_fn for name, op in OPS.items()}
    assert names == {
        "add": "AddBackward0",
        "sub": "SubBackward0",
        "mul": "MulBackward0",
        "div": "DivBackward0",
        "pow": "PowBackward0",
        "neg": "NegBackward0",
        "reciprocal": "ReciprocalBackward0",
        "exp": "ExpBackward0",
        "log": "LogBackward0",
        "sqrt": "SqrtBackward0",
        "sin": "SinBackward0",
        "cos": "CosBackward0",
        "tanh": "TanhBackward0",
        "sigmoid": "SigmoidBackward0",
        "relu": "ReluBackward0",
        "abs": "AbsBackward0",
        "max": "MaximumBackward0",
        "min": "MinimumBackward0",
    }


def test_sigmoid_derivative_reads_like_a_textbook():
    assert sigmoid(a).diff(a) == sigmoid(a) * (1 - sigmoid(a))
    assert relu(a).diff(a) == sympy.Heaviside(a, 0)


def test_sigmoid_is_stable_for_large_inputs():
    assert OPS["sigmoid"].numeric(-800.0) == 0.0
    assert OPS["sigmoid"].numeric(800.0) == 1.0
    assert math.isclose(OPS["sigmoid"].numeric(0.0), 0.5)
