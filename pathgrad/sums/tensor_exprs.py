"""Tensor expressions of a program: each tensor written in its operands' names.

What the vector–Jacobian product rules (:mod:`pathgrad.sums.vjp_rules`,
:mod:`pathgrad.sums.vjp_products`) share: a tensor as a
:mod:`~pathgrad.sums.matrix_algebra` expression (:func:`forward`: its name, or the
operation that made it when pathgrad named it), its operands by position, where each
operand's contribution goes, and broadcasting undone (:func:`unbroadcast`).
"""

from pathgrad.sums import matrix_algebra as m

#: Made names (``mv_1``) are written out as the operation that made them.
_MADE = ("mv_", "mm_", "dot_", "add_", "sub_", "mul_", "div_", "pow_", "neg_")


class NoRule(Exception):
    """An operation the matrix forms have no rule for (the form is ``None``)."""


def shape2(shape):
    """PyTorch's shape as a matrix: ``()`` → ``(1, 1)``, ``(n,)`` → ``(n, 1)``."""
    return tuple(shape) + (1,) * (2 - len(shape))


def is_named(name):
    """Whether the file named this tensor (``h``), not pathgrad (``mv_1``)."""
    return not (name.startswith(_MADE) and name.rsplit("_", 1)[-1].isdigit())


def forward(groups, name):
    """The tensor ``name`` as an expression: its name, or a made name's operation."""
    group = groups[name]
    if not is_named(name) and group.grad_fn in _WRITTEN:
        try:
            return _WRITTEN[group.grad_fn](groups, group)
        except NoRule:
            pass
    return m.Sym(name, shape2(group.shape))


def operands(groups, group, count):
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


def targets(group, count):
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
        return m.matmul(m.Ones((1, rows)), m.matmul(delta, m.Ones((columns, 1))))
    if len(out) == 2 and shape in ((columns,), (1, columns)):  # a row repeated down
        summed = m.matmul(m.Ones((1, rows)), delta)
        return m.transpose(summed) if len(shape) == 1 else summed
    if len(out) == 2 and shape == (rows, 1):  # a column repeated across
        return m.matmul(delta, m.Ones((columns, 1)))
    raise NoRule("broadcast")


def send(groups, group, contributions):
    sent = []
    for target, contribution in zip(targets(group, len(contributions)), contributions):
        if target is not None:
            sent.append((target, unbroadcast(contribution, groups[target].shape, group.shape)))
    return sent


def _written_binary(make):
    def write(groups, group):
        a, b = operands(groups, group, 2)
        if a.shape != b.shape:
            raise NoRule("broadcast")
        return make(a, b)

    return write


def _written_product(groups, group):
    a, b = operands(groups, group, 2)
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
