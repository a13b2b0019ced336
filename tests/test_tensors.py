"""Tensor operations against PyTorch float64: every value and every element's gradient.

Each test runs the same program on pathgrad's tensors and on PyTorch's, reduces the
result to one number with distinct weights per element (so a gradient sent to the wrong
element cannot hide), and compares the result's values, the loss and the gradient of
every leaf element. Hypothesis draws the shapes (broadcastable pairs, compatible
matrix products) and the values; random small programs of tensor ops do the same for
compositions. The explanation's path sums are compared too, for a few programs.
"""

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pathgrad
from pathgrad.errors import ShapeError, TraceError
from pathgrad.trace.arrays import Array

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed: pip install 'pathgrad[torch]' to run parity"
)
F = torch.nn.functional

SETTINGS = settings(
    max_examples=25, deadline=None, derandomize=True, database=None,
    suppress_health_check=list(HealthCheck),
)  # fmt: skip
#: For the operations whose backward() closed forms are large (softmax couples every element).
FEWER = settings(SETTINGS, max_examples=10)
#: Values without 0 (kinks, poles) and without ties among small sets.
VALUES = [-2.0, -1.5, -0.75, -0.5, 0.25, 0.5, 1.0, 1.25, 2.0, 3.0]
SHAPES = [(1,), (2,), (3,), (1, 1), (1, 3), (2, 1), (2, 3), (3, 2)]
ANY_VALUE = st.sampled_from(VALUES)


def close(a, b):
    """Equal as PyTorch's float64 (summation order may differ in the last bits); nan is nan."""
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def flat(nested):
    if not isinstance(nested, list):
        return [nested]
    return [x for item in nested for x in flat(item)]


class PG:
    """pathgrad's side of a program."""

    @staticmethod
    def leaf(values, name):
        return pathgrad.tensor(values, requires_grad=True, name=name)

    const = staticmethod(pathgrad.tensor)
    softmax, log_softmax = staticmethod(pathgrad.softmax), staticmethod(pathgrad.log_softmax)
    mse, stack, cat = (
        staticmethod(pathgrad.mse),
        staticmethod(pathgrad.stack),
        staticmethod(pathgrad.cat),
    )
    maximum, exp = staticmethod(pathgrad.max), staticmethod(pathgrad.exp)

    @staticmethod
    def cross_entropy(logits, target):
        return pathgrad.cross_entropy(logits, target)

    @staticmethod
    def values(t):
        return t.tolist() if isinstance(t, Array) else t.value

    @staticmethod
    def grad(t):
        return t.grad


class TH:
    """PyTorch's side."""

    @staticmethod
    def leaf(values, name):
        return torch.tensor(values, dtype=torch.float64, requires_grad=True)

    @staticmethod
    def const(values):
        return torch.tensor(values, dtype=torch.float64)

    softmax, log_softmax = staticmethod(torch.softmax), staticmethod(torch.log_softmax)
    mse, stack, cat = staticmethod(F.mse_loss), staticmethod(torch.stack), staticmethod(torch.cat)
    exp = staticmethod(torch.exp)

    @staticmethod
    def maximum(*args):
        result = args[0]
        for a in args[1:]:
            result = torch.maximum(result, a)
        return result

    @staticmethod
    def cross_entropy(logits, target):
        return F.cross_entropy(logits, torch.tensor(target))

    @staticmethod
    def values(t):
        return t.tolist()

    @staticmethod
    def grad(t):
        return None if t.grad is None else t.grad.tolist()


def weights(shape):
    """Distinct weights, one per element of a result of this shape."""
    count = math.prod(shape)
    values = [0.5 + 0.25 * k for k in range(count)]
    if len(shape) == 2:
        return [values[r * shape[1] : (r + 1) * shape[1]] for r in range(shape[0])]
    return values if shape else values[0]


def run(side, program, leaves):
    """The program on one side: (result values, loss value, gradient of each leaf)."""
    made = [side.leaf(v, f"a{i}") for i, v in enumerate(leaves)]
    result = program(side, *made)
    shape = tuple(result.shape)
    loss = (result * side.const(weights(shape))).sum() if shape else result * 1.5
    values = side.values(result)
    loss.backward()
    loss_value = loss.value if side is PG else loss.item()
    return values, loss_value, [side.grad(t) for t in made]


def assert_like_pytorch(program, *leaves):
    ours, theirs = run(PG, program, leaves), run(TH, program, leaves)
    assert all(close(a, b) for a, b in zip(flat(ours[0]), flat(theirs[0]), strict=True)), (
        ours[0],
        theirs[0],
    )
    assert close(ours[1], theirs[1])
    for mine, reference in zip(ours[2], theirs[2]):
        mine = [0.0] * len(flat(reference)) if mine is None and reference is not None else mine
        assert all(close(a, b) for a, b in zip(flat(mine), flat(reference), strict=True)), (
            mine,
            reference,
        )


# -- strategies --------------------------------------------------------------------
def filled(shape, values=ANY_VALUE):
    count = math.prod(shape)
    return st.lists(values, min_size=count, max_size=count).map(
        lambda v: (
            [v[r * shape[1] : (r + 1) * shape[1]] for r in range(shape[0])]
            if len(shape) == 2
            else v
        )
    )


@st.composite
def broadcast_pair(draw):
    """Two shapes PyTorch broadcasts: each size the other's or 1, or a dimension dropped."""
    a = draw(st.sampled_from(SHAPES))
    b = [draw(st.sampled_from([n, 1])) for n in a]
    if len(b) == 2 and draw(st.booleans()):
        b = b[1:]
    if draw(st.booleans()):
        a, b = tuple(b), a
    return tuple(a), tuple(b)


@st.composite
def tensor(draw, shapes=SHAPES, values=ANY_VALUE):
    return draw(filled(draw(st.sampled_from(shapes)), values))


BINARY = {
    "+": lambda M, a, b: a + b,
    "-": lambda M, a, b: a - b,
    "*": lambda M, a, b: a * b,
    "/": lambda M, a, b: a / b,
    "**": lambda M, a, b: a.abs() ** b,
    "maximum": lambda M, a, b: M.maximum(a, b),
}


@SETTINGS
@given(broadcast_pair(), st.sampled_from(sorted(BINARY)), st.data())
def test_elementwise_binary_broadcasts_as_pytorch(shapes, op, data):
    a, b = (data.draw(filled(s)) for s in shapes)
    assert_like_pytorch(BINARY[op], a, b)


@SETTINGS
@given(tensor(), st.sampled_from(VALUES), st.sampled_from(["+", "-", "*", "/", "**"]))
def test_tensor_and_number_on_either_side(a, number, op):
    forward, reflected = {
        "+": (lambda x: x + number, lambda x: number + x),
        "-": (lambda x: x - number, lambda x: number - x),
        "*": (lambda x: x * number, lambda x: number * x),
        "/": (lambda x: x / number, lambda x: number / x),
        "**": (lambda x: x.abs() ** number, lambda x: abs(number) ** x),
    }[op]
    assert_like_pytorch(lambda M, x: forward(x), a)
    assert_like_pytorch(lambda M, x: reflected(x), a)


UNARY = ["exp", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "reciprocal", "__neg__"]


@SETTINGS
@given(tensor(), st.sampled_from(UNARY))
def test_every_unary_function_of_the_op_table(a, name):
    assert_like_pytorch(lambda M, x: getattr(x, name)(), a)


@SETTINGS
@given(
    tensor(values=st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])),
    st.sampled_from(["log", "sqrt"]),
)
def test_functions_of_positive_values(a, name):
    assert_like_pytorch(lambda M, x: getattr(x, name)(), a)
    if name == "log":  # the file's function too
        assert_like_pytorch(lambda M, x: M.exp(x).log() * 2, a)


@st.composite
def matmul_pair(draw):
    m, k, n = (draw(st.integers(1, 3)) for _ in range(3))
    kind = draw(st.sampled_from(["mm", "mv", "vm", "dot"]))
    a = (k,) if kind in ("vm", "dot") else (m, k)
    b = (k,) if kind in ("mv", "dot") else (k, n)
    return draw(filled(a)), draw(filled(b))


@SETTINGS
@given(matmul_pair())
def test_matmul_of_matrices_and_vectors(pair):
    assert_like_pytorch(lambda M, a, b: a @ b, *pair)


@SETTINGS
@given(tensor(), st.sampled_from([None, 0, 1, -1]), st.sampled_from(["sum", "mean"]))
def test_sum_and_mean_over_all_or_one_dimension(a, dim, how):
    dims = len(flat(a)) and (2 if isinstance(a[0], list) else 1)
    if dim is not None and dim >= dims:
        return
    assert_like_pytorch(lambda M, x: getattr(x, how)() if dim is None else getattr(x, how)(dim), a)


@SETTINGS
@given(st.sampled_from(SHAPES), st.randoms(use_true_random=False))
def test_max_of_a_tensor_without_ties(shape, random):
    values = random.sample([v * 0.5 for v in range(-9, 9)], math.prod(shape))
    nested = (
        values
        if len(shape) == 1
        else [values[r * shape[1] : (r + 1) * shape[1]] for r in range(shape[0])]
    )
    assert_like_pytorch(lambda M, x: x.max() * 1.0, nested)


@SETTINGS
@given(tensor(shapes=[(2, 3), (3, 2), (2, 1)]), st.data())
def test_transpose_indexing_and_slicing_are_views(a, data):
    rows, columns = len(a), len(a[0])
    i, j = data.draw(st.integers(-rows, rows - 1)), data.draw(st.integers(-columns, columns - 1))
    start = data.draw(st.integers(0, rows - 1))
    programs = [
        lambda M, x: x.T * 2,
        lambda M, x: x[i] * 3,
        lambda M, x: x[i, j] * x[i][j],
        lambda M, x: x[:, j] + 1,
        lambda M, x: x[start:] - x[start:].T.T,
        lambda M, x: x.T[j] * x[:, j],
    ]
    for program in programs:
        assert_like_pytorch(program, a)


@FEWER
@given(tensor(shapes=[(3,), (2, 3), (3, 2), (1, 2)]), st.sampled_from([0, -1, 1]))
def test_softmax_and_log_softmax_along_a_dimension(a, dim):
    if dim == 1 and not isinstance(a[0], list):
        return
    assert_like_pytorch(lambda M, x: M.softmax(x, dim), a)
    assert_like_pytorch(lambda M, x: M.log_softmax(x, dim), a)


def test_softmax_of_large_logits_does_not_overflow():
    assert_like_pytorch(lambda M, x: M.softmax(x, 0), [1000.0, 999.0, -1000.0])
    assert_like_pytorch(lambda M, x: M.log_softmax(x, 0), [1000.0, 999.0, -1000.0])


@FEWER
@given(st.integers(1, 3), st.integers(2, 4), st.data())
def test_cross_entropy_one_row_and_a_batch(batch, classes, data):
    row = data.draw(filled((classes,)))
    target = data.draw(st.integers(0, classes - 1))
    assert_like_pytorch(lambda M, x: M.cross_entropy(x, target), row)
    logits = data.draw(filled((batch, classes)))
    targets = data.draw(st.lists(st.integers(0, classes - 1), min_size=batch, max_size=batch))
    assert_like_pytorch(lambda M, x: M.cross_entropy(x, targets), logits)


@SETTINGS
@given(broadcast_pair(), st.data())
def test_mse_with_a_target_of_the_same_or_a_broadcast_shape(shapes, data):
    a, b = (data.draw(filled(s)) for s in shapes)
    assert_like_pytorch(lambda M, p, t: M.mse(p, t), a, b)


@SETTINGS
@given(
    st.sampled_from([(2,), (3,), (2, 3)]), st.integers(2, 3), st.sampled_from([0, -1]), st.data()
)
def test_stack_and_cat(shape, count, dim, data):
    parts = [data.draw(filled(shape)) for _ in range(count)]
    if len(shape) == 1:  # stacking matrices would make 3 dimensions
        assert_like_pytorch(lambda M, *xs: M.stack(list(xs), dim) * 2, *parts)
    assert_like_pytorch(lambda M, *xs: M.cat(list(xs), dim) * 2, *parts)


def test_max_of_several_tensors_and_numbers():
    a, b, c = [1.0, -2.0, 3.0], [0.5, 0.25, 4.0], [[2.0, -1.0, 0.0]]
    assert_like_pytorch(lambda M, x, y, z: M.maximum(x, y, z), a, b, c)
    ours = pathgrad.max(pathgrad.tensor(a, True), 2.0)
    assert ours.tolist() == torch.clamp_min(torch.tensor(a), 2.0).tolist()


# -- random programs -------------------------------------------------------------------
#: Steps of a random program: (name, arity, how). Each applies where the shapes allow.
STEPS = [
    ("add", 2, lambda M, a, b: a + b),
    ("sub", 2, lambda M, a, b: a - b),
    ("mul", 2, lambda M, a, b: a * b),
    ("matmul", 2, lambda M, a, b: a @ b),
    ("tanh", 1, lambda M, a: a.tanh()),
    ("sigmoid", 1, lambda M, a: a.sigmoid()),
    ("relu", 1, lambda M, a: a.relu()),
    ("square", 1, lambda M, a: a**2),
    ("T", 1, lambda M, a: a.T),
    ("sum0", 1, lambda M, a: a.sum(0)),
    ("mean-1", 1, lambda M, a: a.mean(-1)),
    ("softmax", 1, lambda M, a: M.softmax(a, -1)),
    ("scale", 1, lambda M, a: 0.5 * a - 1),
]


def _fits(name, shapes):
    a = shapes[0]
    if name in ("add", "sub", "mul"):
        b = shapes[1]
        return all(m == n or 1 in (m, n) for m, n in zip(a[::-1], b[::-1]))
    if name == "matmul":
        b = shapes[1]
        return a[-1] == b[0] and ((len(a), len(b)) != (1, 1) or a == b)
    if name in ("sum0", "mean-1"):
        return len(a) >= 1
    return True


@st.composite
def programs(draw):
    """Leaves (x (3,), W (2, 3), b (2,), V (3, 2)) and a few steps over them and their results."""
    leaves = [draw(filled(s)) for s in [(3,), (2, 3), (2,), (3, 2)]]
    shapes, steps = [(3,), (2, 3), (2,), (3, 2)], []
    for _ in range(draw(st.integers(1, 6))):
        name, arity, _ = draw(st.sampled_from(STEPS))
        operands = [draw(st.integers(0, len(shapes) - 1)) for _ in range(arity)]
        if not _fits(name, [shapes[i] for i in operands]):
            continue
        shape = _shape_after(name, [shapes[i] for i in operands])
        if shape == ():
            continue
        steps.append((name, operands))
        shapes.append(shape)
    return leaves, steps


def _shape_after(name, shapes):
    a = shapes[0]
    if name in ("add", "sub", "mul"):
        b = shapes[1]
        size = max(len(a), len(b))
        a, b = (1,) * (size - len(a)) + a, (1,) * (size - len(b)) + b
        return tuple(max(m, n) for m, n in zip(a, b))
    if name == "matmul":
        b = shapes[1]
        return (*a[:-1], *b[1:])
    if name == "T":
        return a[::-1]
    if name in ("sum0", "mean-1"):
        return a[1:] if name == "sum0" else a[:-1]
    return a


def program_of(steps):
    table = {name: how for name, _, how in STEPS}

    def program(M, *leaves):
        values = list(leaves)
        for name, operands in steps:
            values.append(table[name](M, *[values[i] for i in operands]))
        return values[-1] if steps else values[1]

    return program


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(programs())
def test_random_programs_of_tensor_ops_are_pytorch(case):
    leaves, steps = case
    assert_like_pytorch(program_of(steps), *leaves)


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))  # fmt: skip
@given(programs())
def test_path_sums_of_every_element_are_pytorchs_gradient(case):
    leaves, steps = case
    made = [PG.leaf(v, name) for v, name in zip(leaves, ["x", "W", "b", "V"])]
    result = program_of(steps)(PG, *made)
    loss = (result * PG.const(weights(result.shape))).sum()
    e = pathgrad.explain_tensor(loss, method="reverse", max_paths=0, in_terms_of="locals")
    reference = [TH.leaf(v, None) for v in leaves]
    result = program_of(steps)(TH, *reference)
    (result * TH.const(weights(tuple(result.shape)))).sum().backward()
    for tensor, theirs in zip(made, reference):
        for element, grad in zip(tensor.elements, flat(TH.grad(theirs) or [0.0] * tensor.numel())):
            mine = e.gradients[element.name].value if element.name in e.gradients else 0.0
            assert close(mine, grad), (element.name, mine, grad)


# -- the Python API --------------------------------------------------------------------
def test_a_number_is_still_a_scalar_and_a_list_a_tensor():
    assert pathgrad.tensor(2.0).shape == ()
    W = pathgrad.tensor([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]], requires_grad=True, name="W")
    assert (W.shape, W.ndim, W.numel(), len(W), W.grad) == ((2, 3), 2, 6, 2, None)
    assert [t.name for t in W.elements][:2] == ["W[0,0]", "W[0,1]"]
    assert W[0, 1] is W[0][1] is W.elements[1] and W.T[1, 0] is W[0, 1]
    assert W.tolist() == [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]
    assert [row.tolist() for row in W] == W.tolist()


def test_backward_fills_grad_as_nested_lists():
    W = pathgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    x = pathgrad.tensor([1.0, -1.0])
    L = pathgrad.tanh(W @ x).sum()
    L.backward()
    theirs = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    torch.tanh(theirs @ torch.tensor([1.0, -1.0], dtype=torch.float64)).sum().backward()
    assert all(close(a, b) for a, b in zip(flat(W.grad), flat(theirs.grad.tolist())))
    assert x.grad is None


def test_parts_name_the_tensor_operation_as_pytorch_does():
    W = pathgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    x = pathgrad.tensor([1.0, -1.0], requires_grad=True, name="x")
    theirs_W = torch.tensor(W.tolist(), requires_grad=True)
    theirs_x = torch.tensor(x.tolist(), requires_grad=True)
    for program in [
        lambda M, W, x: W @ x,
        lambda M, W, x: W @ W,
        lambda M, W, x: x @ x,
        lambda M, W, x: W + x,
        lambda M, W, x: W * 2,
        lambda M, W, x: W.tanh(),
        lambda M, W, x: W.sum(),
        lambda M, W, x: W.sum(0),
        lambda M, W, x: W.mean(),
        lambda M, W, x: W.mean(1),
        lambda M, W, x: M.softmax(W, 1),
        lambda M, W, x: M.log_softmax(W, 1),
        lambda M, W, x: M.mse(W, W * 2),
        lambda M, W, x: W.max(),
    ]:
        ours = program(PG, W, x)
        element = ours.elements[0] if isinstance(ours, Array) else ours
        assert element.part.grad_fn == type(program(TH, theirs_W, theirs_x).grad_fn).__name__
    loss = pathgrad.cross_entropy(W, [0, 1])
    assert (
        loss.part.grad_fn == type(F.cross_entropy(theirs_W, torch.tensor([0, 1])).grad_fn).__name__
    )


def test_values_made_inside_an_operation_say_so():
    W = pathgrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, name="W")
    h = W @ W
    product = h.elements[0].operands[0]
    assert product.part.inside and product.part.index == (0, 0) and product.part.tensor == h.name


ERRORS = [
    lambda M, a, b: a @ b[:2, :1],
    lambda M, a, b: a[0] + b[0][:2],
    lambda M, a, b: a + b.T[:, :2],
    lambda M, a, b: a[2],
    lambda M, a, b: a[0, 1] if M is TH else a[0, 0, 0],  # PyTorch's own words differ for 0-d
    lambda M, a, b: a.sum(2),
    lambda M, a, b: M.stack([a, b]),
    lambda M, a, b: M.cat([a, b[0]]),
    lambda M, a, b: M.cat([a, b.T[:, :2]]),
    lambda M, a, b: a[0] @ b[0],
    lambda M, a, b: a @ b[0],
    lambda M, a, b: M.cross_entropy(a, [0, 5]),
    lambda M, a, b: M.cross_entropy(a, [0]),
]


@pytest.mark.parametrize("number", range(len(ERRORS)))
def test_shape_errors_say_what_pytorch_says(number):
    program = ERRORS[number]
    a, b = [[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]], [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    with pytest.raises(ShapeError) as ours:
        program(PG, PG.leaf(a, "a"), PG.leaf(b, "b"))
    if number == 4:
        assert str(ours.value) == "too many indices for tensor of dimension 2"
        return
    with pytest.raises((RuntimeError, IndexError, ValueError)) as theirs:
        program(TH, TH.leaf(a, None), TH.leaf(b, None))
    assert str(ours.value) == str(theirs.value).splitlines()[0]


def test_backward_of_a_tensor_with_many_elements_is_refused():
    W = pathgrad.tensor([1.0, 2.0], True, "W")
    with pytest.raises(TraceError, match="grad can be implicitly created only for scalar outputs"):
        (W * 2).backward()
