"""Tensor expressions of a program: each tensor written in its operands' names.

What the vector–Jacobian product rules (:mod:`pathgrad.sums.vjp_rules`,
:mod:`pathgrad.sums.vjp_products`) share: a tensor as a
:mod:`~pathgrad.sums.matrix_algebra` expression (:func:`forward`: its name, or the
operation that made it when pathgrad named it), its operands by position, where each
operand's contribution goes, and broadcasting undone (:func:`unbroadcast`).
"""

import re

from pathgrad.sums import matrix_algebra as m


class NoRule(Exception):
    """An operation the matrix forms have no rule for (the form is ``None``)."""


def shape2(shape):
    """PyTorch's shape as a matrix: ``()`` → ``(1, 1)``, ``(n,)`` → ``(n, 1)``."""
    return tuple(shape) + (1,) * (2 - len(shape))


def cell(index):
    """An element's place in its matrix: ``(i, j)``; a vector's ``(i,)`` is ``(i, 0)``."""
    return (index[0], index[1]) if len(index) == 2 else (index[0] if index else 0, 0)


def is_made(group):
    """Whether pathgrad named this tensor (``mv_1`` for ``MvBackward0``), not the file.

    A made name is its operation's kind and a count, as :func:`pathgrad.trace.elements.made_name`
    and from_torch make them (``tanh_1``, ``log_softmax_2``, ``addmm_1``).
    """
    if group.grad_fn is None:
        return False
    kind = re.sub(r"Backward\d*$", "", group.grad_fn)
    kinds = {re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower(), kind.lower()}  # mse_loss, mseloss
    return any(re.fullmatch(rf"{re.escape(k)}_\d+", group.name) for k in kinds)


def is_named(groups, name):
    """Whether ``name`` is the file's name for its tensor (``h``), not a made one."""
    return not is_made(groups[name])


def forward(groups, name):
    """The tensor ``name`` as an expression: its name, or a made name's operation."""
    group = groups[name]
    written = _WRITTEN.get(group.grad_fn) or _FUNCTIONS.get(group.grad_fn)
    if is_made(group) and written is not None:
        try:
            return written(groups, group)
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
        shapes = [groups[name].shape for _, name in sorted(group.operands)]
        if len(shapes) == 2:  # two tensors: the smaller one broadcast, as PyTorch does
            a, b = broadcast(a, shapes[0], group.shape), broadcast(b, shapes[1], group.shape)
        if a.shape != b.shape:
            raise NoRule("broadcast")
        return make(a, b)

    return write


def broadcast(expr, shape, out):
    """``expr`` (PyTorch shape ``shape``) repeated to ``out``: ``𝟙·bᵀ`` for a bias row."""
    if shape2(shape) == shape2(out):
        return expr
    rows, columns = shape2(out)
    if len(out) == 2 and tuple(shape) in ((columns,), (1, columns)):
        row = m.transpose(expr) if len(shape) == 1 else expr
        return m.MatMul(m.Ones((rows, 1)), row)
    if len(out) == 2 and tuple(shape) == (rows, 1):
        return m.MatMul(expr, m.Ones((1, columns)))
    raise NoRule("broadcast")


def _function(name):
    def write(groups, group):
        (a,) = operands(groups, group, 1)
        return m.Fn(name, a)

    return write


#: The op table's functions, written ``tanh(X·W + 𝟙·bᵀ)`` where pathgrad named the result.
_FUNCTIONS = {
    f"{name.capitalize()}Backward0": _function(name)
    for name in ("tanh", "sigmoid", "exp", "log", "sin", "cos", "sqrt", "abs")
}
_FUNCTIONS["ReluBackward0"] = _function("relu")


def _written_product(groups, group):
    """``A·B`` (``x @ W`` of a vector: ``Wᵀ·x``), transposed views as used."""
    if None in group.turned.values():
        raise NoRule("a product of a reordered view")
    a, b = operands(groups, group, 2)
    a, b = [m.transpose(x) if group.turned.get(p) else x for p, x in enumerate((a, b))]
    if len(groups[group.operands[0][1]].shape) == 1 and group.grad_fn == "MmBackward0":
        a, b = m.transpose(b), a  # a vector times a matrix: (xᵀ·W)ᵀ as a column
    if a.shape[1] != b.shape[0]:
        raise NoRule("shape")
    return m.MatMul(a, b)


_WRITTEN = {
    "AddBackward0": _written_binary(m.Add),
    "SubBackward0": _written_binary(lambda a, b: m.Add(a, m.scale(-1.0, b))),
    "MulBackward0": _written_binary(m.had),
    "MvBackward0": _written_product,
    "MmBackward0": _written_product,
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
    """The operation as written from its operands' names: ``W @ x``, ``tanh(mv_1)``,
    ``X @ Wᵀ`` where a product uses a transposed view, ``W[…]`` a slice or a stack."""
    if group.grad_fn == "AddmmBackward0" and group.roles:
        weight = group.roles.get(1, "?") + ("ᵀ" if group.turned.get(1) else "")
        return f"{group.roles.get('bias') or '0'} + {group.roles.get(0, 'input')} @ {weight}"
    template = _TEMPLATES.get(group.grad_fn)
    named = dict(group.operands)
    count = template.count("{") if template else max([*named, *group.numbers, 0]) + 1
    lone = group.operands[0][1] if len(group.operands) == 1 else "?"
    marks = {
        p: "ᵀ" if turned else "[…]" for p, turned in group.turned.items() if turned is not False
    }
    texts = [
        named[p] + marks.get(p, "")
        if p in named
        else m.text(m.Num(group.numbers[p]))
        if p in group.numbers
        else lone
        for p in range(count)
    ]
    if template is None:
        function = group.grad_fn.removesuffix("Backward0").removesuffix("Backward1").lower()
        return f"{function}({', '.join(texts)})"
    return template.format(*texts)


def definitions(groups, form):
    """``name = formula`` for each made name ``form`` uses, and the made names those use."""
    found, todo = [], [n for n in _names(form) if n in groups and is_made(groups[n])]
    while todo:
        name = todo.pop(0)
        if any(name == n for n, _ in found):
            continue
        formula = forward_formula(groups, groups[name])
        found.append((name, formula))
        todo += [n for n in re.findall(r"[\w.]+", formula) if n in groups and is_made(groups[n])]
    return found


def _names(expr):
    if isinstance(expr, m.Sym):
        return [expr.name]
    return [n for child in vars(expr).values() if hasattr(child, "shape") for n in _names(child)]
