"""What each tensor operation sends back to its operands: PyTorch's VJPs, for matrices.

One rule per ``grad_fn`` (:data:`RULES`): given ``δ``, the gradient arriving at an
operation, the contribution each operand receives, as a
:mod:`~pathgrad.sums.matrix_algebra` expression in ``δ`` and the program's tensor names
(the rules of PyTorch's ``derivatives.yaml``, written for whole tensors: ``δ·xᵀ`` to
``W`` for ``W @ x``). :mod:`pathgrad.sums.matrix_forms` composes them from the loss
down; :mod:`pathgrad.sums.tensor_graph` prints them on the tensor-level picture's edges.
"""

import math

from pathgrad.sums import matrix_algebra as m
from pathgrad.sums.tensor_exprs import (
    NoRule,
    cell,
    forward,
    is_named,
    operands,
    send,
    shape2,
    targets,
)
from pathgrad.sums.vjp_products import addmm, matmul


def _elementwise(derivative):
    """A rule for a function of one tensor: ``δ ⊙ f'``."""

    def rule(graph, groups, group, delta):
        (a,) = operands(groups, group, 1)
        out = forward(groups, group.name)
        return send(groups, group, [m.had(delta, derivative(a, out))])

    return rule


def _one_minus(x):
    return m.Add(m.Ones(x.shape), m.scale(-1.0, x))


def _add(sign):
    def rule(graph, groups, group, delta):
        return send(groups, group, [delta, m.scale(sign, delta)])

    return rule


def _times(delta, x):
    """``δ ⊙ x``, a ``1×1`` ``x`` (a 0-d tensor broadcast) multiplying as a number."""
    if x.shape == delta.shape:
        return m.had(delta, x)
    if x.shape == (1, 1):
        return m.matmul(x, delta)
    raise NoRule("a product broadcast along one dimension")


def _mul(graph, groups, group, delta):
    a, b = operands(groups, group, 2)
    return send(groups, group, [_times(delta, b), _times(delta, a)])


def _div(graph, groups, group, delta):
    a, b = operands(groups, group, 2)
    inverse = m.Fn("pow", b, power=-1.0)
    over_square = _times(_times(delta, a), m.Fn("pow", b, power=-2.0))
    return send(groups, group, [_times(delta, inverse), m.scale(-1.0, over_square)])


def _exponential(graph, groups, group, delta):
    """``c ** x`` (a number to a tensor's power): ``δ ⊙ log(c)·c^x``."""
    if 0 not in group.numbers:
        raise NoRule("a tensor base")
    out = forward(groups, group.name)
    return send(groups, group, [None, _times(delta, m.scale(math.log(group.numbers[0]), out))])


def _pow(graph, groups, group, delta):
    if 1 not in group.numbers:
        raise NoRule("a tensor exponent")
    p = group.numbers[1]
    (a,) = operands(groups, group, 1)
    power = m.Ones(a.shape) if p == 1 else (a if p == 2 else m.Fn("pow", a, power=p - 1))
    return send(groups, group, [m.had(delta, m.scale(p, power))])


def _reduce(graph, groups, group, delta, mean):
    (name,) = [n for _, n in group.operands] or [None]
    if name is None:
        raise NoRule(group.grad_fn)
    shape = shape2(groups[name].shape)
    rows, columns = shape
    count = rows * columns
    if group.shape == ():
        spread = m.spread(delta, shape)
    else:
        dim = _reduced_dim(graph, group)
        count = shape[dim]
        if dim == 0:
            spread = m.matmul(m.Ones((rows, 1)), m.transpose(delta))
        else:
            spread = m.matmul(delta, m.Ones((1, columns)))
    return [(name, m.scale(1.0 / count, spread) if mean else spread)]


def _reduced_dim(graph, group):
    """0 when a 2-D operand's rows were summed (``out[j]`` from ``A[k,j]``), else 1."""
    pairs = [
        (graph.nodes[consumer]["part"].index, graph.nodes[operand]["part"].index)
        for consumer, operand, _ in group.links
    ]
    if all(len(index) == 2 and out and index[1] == out[0] for out, index in pairs):
        return 0
    if all(len(index) == 2 and out and index[0] == out[0] for out, index in pairs):
        return 1
    raise NoRule("a reduction over a reordered view")


def _mse(graph, groups, group, delta):
    """Mean squared error: ``2/n·(p − t)`` to the prediction, its negative to the target.

    A target of plain numbers (``nn.MSELoss()(out, y)`` with ``y`` needing no gradient)
    is the constant ``target``, read off the differences' second operands.
    """
    if len(group.operands) == 1 and 1 not in dict(group.operands):
        (p,) = operands(groups, group, 1)
        t = _target(graph, group, p.shape)
    else:
        p, t = operands(groups, group, 2)
    rows, columns = p.shape
    residual = m.scale(2.0 / (rows * columns), m.Add(p, m.scale(-1.0, t)))
    d = m.matmul(delta, residual)
    sent = zip(targets(group, 2), (d, m.scale(-1.0, d)))
    return [(name, c) for name, c in sent if name is not None]


def _target(graph, group, shape):
    grid = [[None] * shape[1] for _ in range(shape[0])]
    for consumer, operand, position in group.links:
        numbers = graph.nodes[consumer]["operands"]
        if position != 0 or len(numbers) != 2 or not isinstance(numbers[1], float):
            raise NoRule("a target that is not one number an element")
        row, column = cell(graph.nodes[operand]["part"].index)
        grid[row][column] = numbers[1]
    if any(v is None for row in grid for v in row):
        raise NoRule("a target with gaps")
    return m.Const("target", tuple(map(tuple, grid)), shape)


def _nll(graph, groups, group, delta):
    """NLL loss, mean over the ``N`` picked log-probabilities: ``−δ/N ⊙ onehot``."""
    ((_, name),) = group.operands
    rows, columns = shape2(groups[name].shape)
    picked = [[0.0] * columns for _ in range(rows)]
    for _, operand, _ in group.links:
        row, column = cell(graph.nodes[operand]["part"].index)
        picked[row][column] = 1.0
    count = sum(map(sum, picked))
    onehot = m.Const("onehot", tuple(map(tuple, picked)), (rows, columns))
    return [(name, m.matmul(delta, m.scale(-1.0 / count, onehot)))]


def _along_last_dim(graph, group):
    """Raise NoRule unless the softmax runs along the last dimension (a row at a time)."""
    if len(group.shape) == 2:
        for consumer, operand, _ in group.links:
            out = graph.nodes[consumer]["part"].index
            if graph.nodes[operand]["part"].index[0] != out[0]:
                raise NoRule("a softmax down the columns")


def _log_softmax(graph, groups, group, delta):
    """``δ − softmax(z) ⊙ (δ's sums along the class dim)``; ``(softmax(z) − onehot)/N``
    when ``δ`` is ``−onehot/N`` (cross-entropy: each row of ``onehot`` sums to 1)."""
    _along_last_dim(graph, group)
    (z,) = operands(groups, group, 1)
    soft = m.Softmax(z)
    coefficient, onehot = _coefficient_of(delta)
    if isinstance(onehot, m.Const) and onehot.name == "onehot":
        return send(groups, group, [m.scale(-coefficient, m.add(soft, m.scale(-1.0, onehot)))])
    return send(groups, group, [m.add(delta, m.scale(-1.0, m.had(soft, _row_sums(delta))))])


def _softmax(graph, groups, group, delta):
    """``s ⊙ (δ − (δ ⊙ s)'s sums along the class dim)``, ``s`` the softmax."""
    _along_last_dim(graph, group)
    (z,) = operands(groups, group, 1)
    s = forward(groups, group.name) if is_named(groups, group.name) else m.Softmax(z)
    return send(groups, group, [m.had(s, m.add(delta, m.scale(-1.0, _row_sums(m.had(delta, s)))))])


def _row_sums(delta):
    """``delta``'s sums along the class dimension, spread back along it."""
    rows, columns = delta.shape
    if columns == 1:  # a vector (C,): one class dimension, down the column
        return m.Times(m.MatMul(m.Ones((1, rows)), delta), m.Ones((rows, 1)))
    return m.MatMul(m.MatMul(delta, m.Ones((columns, 1))), m.Ones((1, columns)))


def _coefficient_of(expr):
    """``(c, X)`` for ``c·X`` (and for ``δ·(c·X)`` with a plain ``δ``), else ``(1, expr)``."""
    if isinstance(expr, m.Scale):
        c, inner = _coefficient_of(expr.a)
        return expr.c * c, inner
    return 1.0, expr


RULES = {
    "AddBackward0": _add(1.0),
    "SubBackward0": _add(-1.0),
    "RsubBackward1": _add(-1.0),  # number − x: the number's position sends nothing
    "PowBackward2": _exponential,
    "MulBackward0": _mul,
    "DivBackward0": _div,
    "PowBackward0": _pow,
    "NegBackward0": lambda g, gs, group, d: send(gs, group, [m.scale(-1.0, d)]),
    "TanhBackward0": _elementwise(lambda a, out: _one_minus(m.Fn("pow", out, power=2.0))),
    "SigmoidBackward0": _elementwise(lambda a, out: m.had(out, _one_minus(out))),
    # PyTorch's threshold_backward reads the result: relu(z) > 0 exactly when z > 0
    "ReluBackward0": _elementwise(lambda a, out: m.Fn("step", out)),
    "ExpBackward0": _elementwise(lambda a, out: out),
    "LogBackward0": _elementwise(lambda a, out: m.Fn("pow", a, power=-1.0)),
    "SinBackward0": _elementwise(lambda a, out: m.Fn("cos", a)),
    "CosBackward0": _elementwise(lambda a, out: m.scale(-1.0, m.Fn("sin", a))),
    "SqrtBackward0": _elementwise(lambda a, out: m.scale(0.5, m.Fn("pow", out, power=-1.0))),
    "AbsBackward0": _elementwise(lambda a, out: m.Fn("sign", a)),
    "MvBackward0": matmul,
    "AddmmBackward0": addmm,
    "MmBackward0": matmul,
    "DotBackward0": matmul,
    "SumBackward0": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=False),
    "SumBackward1": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=False),
    "MeanBackward0": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=True),
    "MeanBackward1": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=True),
    "MseLossBackward0": _mse,
    "NllLossBackward0": _nll,
    "LogSoftmaxBackward0": _log_softmax,
    "SoftmaxBackward0": _softmax,
}
