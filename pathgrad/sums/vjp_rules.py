"""What each tensor operation sends back to its operands: PyTorch's VJPs, for matrices.

One rule per ``grad_fn`` (:data:`RULES`): given ``δ``, the gradient arriving at an
operation, the contribution each operand receives, as a
:mod:`~pathgrad.sums.matrix_algebra` expression in ``δ`` and the program's tensor names
(the rules of PyTorch's ``derivatives.yaml``, written for whole tensors: ``δ·xᵀ`` to
``W`` for ``W @ x``). :mod:`pathgrad.sums.matrix_forms` composes them from the loss
down; :mod:`pathgrad.sums.tensor_graph` prints them on the tensor-level picture's edges.
"""

from pathgrad.sums import matrix_algebra as m

#: Made names (``mv_1``) are written out as the operation that made them.
_MADE = ("mv_", "mm_", "dot_", "add_", "sub_", "mul_", "div_", "pow_", "neg_")


class NoRule(Exception):
    """An operation the matrix forms have no rule for (the form is ``None``)."""


def shape2(shape):
    """PyTorch's shape as a matrix: ``()`` → ``(1, 1)``, ``(n,)`` → ``(n, 1)``."""
    return tuple(shape) + (1,) * (2 - len(shape))


def _named(name):
    """Whether the file named this tensor (``h``), not pathgrad (``mv_1``)."""
    return not (name.startswith(_MADE) and name.rsplit("_", 1)[-1].isdigit())


def forward(groups, name):
    """The tensor ``name`` as an expression: its name, or a made name's operation."""
    group = groups[name]
    made = name.startswith(_MADE) and name.rsplit("_", 1)[-1].isdigit()
    if made and group.grad_fn in _WRITTEN:
        try:
            return _WRITTEN[group.grad_fn](groups, group)
        except NoRule:
            pass
    return m.Sym(name, shape2(group.shape))


def _operands(groups, group, count):
    """The ``count`` operands, by position: an expression each (a number broadcast)."""
    out = shape2(group.shape)
    by_position = dict(group.operands)
    found = []
    for position in range(count):
        if position in by_position:
            found.append(forward(groups, by_position[position]))
        elif position in group.numbers:
            found.append(m.scale(group.numbers[position], m.Ones(out)))
        elif by_position:  # x * x: one tensor at both positions
            found.append(forward(groups, group.operands[0][1]))
        else:
            raise NoRule(group.grad_fn)
    return found


def _targets(group, count):
    """Which tensor each operand position sends its contribution to (None: a number)."""
    by_position = dict(group.operands)
    lone = group.operands[0][1] if len(group.operands) == 1 else None
    return [by_position.get(p, None if p in group.numbers else lone) for p in range(count)]


def unbroadcast(delta, shape, out):
    """Sum ``delta`` (PyTorch shape ``out``) back to ``shape``, as broadcasting's VJP does.

    Broadcasting aligns trailing dimensions (NumPy's rule, PyTorch's too): a 1-D ``b`` of
    ``(m,)`` against ``(n, m)`` is a row repeated, so its gradient sums ``δ``'s rows.
    """
    shape, out = tuple(shape), tuple(out)
    if shape2(shape) == shape2(out):
        return delta
    rows, columns = shape2(out)
    if not shape or shape == (1,) * len(shape):
        return m.MatMul(m.Ones((1, rows)), m.MatMul(delta, m.Ones((columns, 1))))
    if len(out) == 2 and shape in ((columns,), (1, columns)):  # a row repeated down
        summed = m.MatMul(m.Ones((1, rows)), delta)
        return m.transpose(summed) if len(shape) == 1 else summed
    if len(out) == 2 and shape == (rows, 1):  # a column repeated across
        return m.MatMul(delta, m.Ones((columns, 1)))
    raise NoRule("broadcast")


def _send(groups, group, contributions):
    sent = []
    for target, contribution in zip(_targets(group, len(contributions)), contributions):
        if target is not None:
            sent.append((target, unbroadcast(contribution, groups[target].shape, group.shape)))
    return sent


def _elementwise(derivative):
    """A rule for a function of one tensor: ``δ ⊙ f'``."""

    def rule(graph, groups, group, delta):
        (a,) = _operands(groups, group, 1)
        out = forward(groups, group.name)
        return _send(groups, group, [m.had(delta, derivative(a, out))])

    return rule


def _one_minus(x):
    return m.Add(m.Ones(x.shape), m.scale(-1.0, x))


def _add(sign):
    def rule(graph, groups, group, delta):
        return _send(groups, group, [delta, m.scale(sign, delta)])

    return rule


def _mul(graph, groups, group, delta):
    a, b = _operands(groups, group, 2)
    return _send(groups, group, [m.had(delta, b), m.had(delta, a)])


def _div(graph, groups, group, delta):
    a, b = _operands(groups, group, 2)
    inverse = m.Fn("pow", b, power=-1.0)
    return _send(
        groups,
        group,
        [m.had(delta, inverse), m.scale(-1.0, m.had(delta, m.had(a, m.Fn("pow", b, power=-2.0))))],
    )


def _pow(graph, groups, group, delta):
    if 1 not in group.numbers:
        raise NoRule("a tensor exponent")
    p = group.numbers[1]
    (a,) = _operands(groups, group, 1)
    power = m.Ones(a.shape) if p == 1 else (a if p == 2 else m.Fn("pow", a, power=p - 1))
    return _send(groups, group, [m.had(delta, m.scale(p, power))])


def _matmul(graph, groups, group, delta):
    a, b = _operands(groups, group, 2)
    a, b = _oriented(graph, groups, group, a, 0), _oriented(graph, groups, group, b, 1)
    if group.grad_fn == "DotBackward0":
        da, db = m.Times(delta, b), m.Times(delta, a)
    elif len(groups[group.operands[0][1]].shape) == 1 and group.grad_fn == "MmBackward0":
        da, db = m.matmul(b, delta), m.matmul(a, m.transpose(delta))  # x @ W: Wᵀ·x
    else:
        da, db = m.matmul(delta, m.transpose(b)), m.matmul(m.transpose(a), delta)
    da = _unorient(graph, groups, group, da, 0)
    db = _unorient(graph, groups, group, db, 1)
    return [(target, d) for target, d in zip(_targets(group, 2), (da, db)) if target]


def _orientation(graph, groups, group, position):
    """Whether operand ``position`` of a product is used transposed (``W.T``, a view).

    Each scalar product pairs output element ``out`` with operand element ``index``:
    ``A[i,k]`` for ``out[0] = i`` at position 0, ``B[k,j]`` for ``out[-1] = j`` at 1.
    """
    pairs = [
        (graph.nodes[consumer]["part"].index, graph.nodes[operand]["part"].index)
        for consumer, operand, where in group.links
        if where == position
    ]
    if not pairs or any(len(index) < 2 or not out for out, index in pairs):
        return False
    axis, other = (0, 1) if position == 0 else (1, 0)
    if all(index[axis] == out[-axis] for out, index in pairs):
        return False
    if all(index[other] == out[-axis] for out, index in pairs):
        return True
    raise NoRule("a product of a reordered view")


def _oriented(graph, groups, group, expr, position):
    return m.transpose(expr) if _orientation(graph, groups, group, position) else expr


def _unorient(graph, groups, group, expr, position):
    return m.transpose(expr) if _orientation(graph, groups, group, position) else expr


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
            spread = m.MatMul(m.Ones((rows, 1)), m.transpose(delta))
        else:
            spread = m.MatMul(delta, m.Ones((1, columns)))
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
    p, t = _operands(groups, group, 2)
    rows, columns = p.shape
    residual = m.scale(2.0 / (rows * columns), m.Add(p, m.scale(-1.0, t)))
    d = m.matmul(delta, residual)
    targets = _targets(group, 2)
    return [(name, c) for name, c in zip(targets, (d, m.scale(-1.0, d))) if name is not None]


def _nll(graph, groups, group, delta):
    """NLL loss, mean over the ``N`` picked log-probabilities: ``−δ/N ⊙ onehot``."""
    ((_, name),) = group.operands
    rows, columns = shape2(groups[name].shape)
    picked = [[0.0] * columns for _ in range(rows)]
    for _, operand, _ in group.links:
        row, column = _cell(graph.nodes[operand]["part"].index)
        picked[row][column] = 1.0
    count = sum(map(sum, picked))
    onehot = m.Const("onehot", tuple(map(tuple, picked)), (rows, columns))
    return [(name, m.matmul(delta, m.scale(-1.0 / count, onehot)))]


def _cell(index):
    return (index[0], index[1]) if len(index) == 2 else (index[0] if index else 0, 0)


def _log_softmax(graph, groups, group, delta):
    """``δ − softmax(z) ⊙ (δ's sums along the class dim)``; ``(softmax(z) − onehot)/N``
    when ``δ`` is ``−onehot/N`` (cross-entropy: each row of ``onehot`` sums to 1)."""
    (z,) = _operands(groups, group, 1)
    soft = m.Softmax(z)
    coefficient, onehot = _coefficient_of(delta)
    if isinstance(onehot, m.Const) and onehot.name == "onehot":
        return _send(groups, group, [m.scale(-coefficient, m.add(soft, m.scale(-1.0, onehot)))])
    return _send(groups, group, [m.add(delta, m.scale(-1.0, m.had(soft, _row_sums(delta))))])


def _softmax(graph, groups, group, delta):
    """``s ⊙ (δ − (δ ⊙ s)'s sums along the class dim)``, ``s`` the softmax."""
    (z,) = _operands(groups, group, 1)
    s = forward(groups, group.name) if _named(group.name) else m.Softmax(z)
    return _send(groups, group, [m.had(s, m.add(delta, m.scale(-1.0, _row_sums(m.had(delta, s)))))])


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
    "MulBackward0": _mul,
    "DivBackward0": _div,
    "PowBackward0": _pow,
    "NegBackward0": lambda g, gs, group, d: _send(gs, group, [m.scale(-1.0, d)]),
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
    "MvBackward0": _matmul,
    "MmBackward0": _matmul,
    "DotBackward0": _matmul,
    "SumBackward0": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=False),
    "SumBackward1": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=False),
    "MeanBackward0": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=True),
    "MeanBackward1": lambda g, gs, group, d: _reduce(g, gs, group, d, mean=True),
    "MseLossBackward0": _mse,
    "NllLossBackward0": _nll,
    "LogSoftmaxBackward0": _log_softmax,
    "SoftmaxBackward0": _softmax,
}


def _written_binary(make):
    def write(groups, group):
        a, b = _operands(groups, group, 2)
        if a.shape != b.shape:
            raise NoRule("broadcast")
        return make(a, b)

    return write


def _written_product(groups, group):
    a, b = _operands(groups, group, 2)
    return m.MatMul(a, b) if len(a.shape) == 2 and a.shape[1] == b.shape[0] else _raise()


def _raise():
    raise NoRule("shape")


_WRITTEN = {
    "AddBackward0": _written_binary(m.Add),
    "SubBackward0": _written_binary(lambda a, b: m.Add(a, m.scale(-1.0, b))),
    "MulBackward0": _written_binary(m.had),
    "MvBackward0": _written_product,
}


#: How a tensor operation is written, by ``grad_fn``, its operands by position.
_TEMPLATES = {
    "MvBackward0": "{0} @ {1}",
    "MmBackward0": "{0} @ {1}",
    "DotBackward0": "{0} @ {1}",
    "AddmmBackward0": "{0} + {1} @ {2}",
    "AddBackward0": "{0} + {1}",
    "SubBackward0": "{0} − {1}",
    "MulBackward0": "{0} * {1}",
    "DivBackward0": "{0} / {1}",
    "PowBackward0": "{0} ** {1}",
    "SumBackward0": "{0}.sum()",
    "SumBackward1": "{0}.sum(dim)",
    "MeanBackward0": "{0}.mean()",
    "MeanBackward1": "{0}.mean(dim)",
    "MseLossBackward0": "mse({0}, {1})",
    "NllLossBackward0": "nll_loss({0})",
}


def forward_formula(groups, group):
    """The operation as written from its operands' names: ``W @ x``, ``tanh(mv_1)``."""
    template = _TEMPLATES.get(group.grad_fn)
    named = dict(group.operands)
    count = template.count("{") if template else max([*named, *group.numbers, 0]) + 1
    lone = group.operands[0][1] if len(group.operands) == 1 else "?"
    texts = [
        named[p] if p in named else m.text(m.Num(group.numbers[p])) if p in group.numbers else lone
        for p in range(count)
    ]
    if template is None:
        function = group.grad_fn.removesuffix("Backward0").removesuffix("Backward1").lower()
        return f"{function}({', '.join(texts)})"
    return template.format(*texts)
