"""The functions a file (or Python) calls on tensors: PyTorch's, on small tensors.

``tensor`` makes one; ``exp`` ... ``relu`` apply element by element (and stay the scalar
functions on numbers and scalar traced values); ``max``/``min`` of several arguments,
``sum``, ``mean``, ``softmax``, ``log_softmax``, ``cross_entropy``, ``mse``, ``stack`` and
``cat``. Each follows PyTorch's definition and names its ``grad_fn`` as PyTorch does;
``softmax`` subtracts the largest value (a number, not a traced value, so no path goes
through it) before ``exp``, as PyTorch's kernel does, so large logits do not overflow.

>>> z = tensor([2.0, 1.0, 0.1], requires_grad=True, name="z")
>>> p = softmax(z, 0)
>>> [round(v, 4) for v in p.tolist()], p.grad_fn
([0.659, 0.2424, 0.0986], 'SoftmaxBackward0')
>>> loss = cross_entropy(z, 0)
>>> round(loss.value, 4), loss.part.grad_fn
(0.417, 'NllLossBackward0')
"""

import builtins
import functools

from pathgrad.errors import ShapeError, TraceError
from pathgrad.trace import functions, shapes
from pathgrad.trace.arrays import Array, chain_sum, expand, finish, groups, shape_of
from pathgrad.trace.concrete import is_number
from pathgrad.trace.elements import Elements, made_name
from pathgrad.trace.provenance import caller_line, next_id
from pathgrad.trace.traced import Tensor
from pathgrad.trace.traced import tensor as scalar_tensor


def tensor(value, requires_grad=False, name=None):
    """A leaf, the PyTorch way: a number gives a scalar, a (nested) list a tensor.

    >>> W = tensor([[0.5, -1.0], [1.5, 2.0]], requires_grad=True, name="W")
    >>> W.shape, W.elements[1].name, W.grad
    ((2, 2), 'W[0,1]', None)

    Raises
    ------
    ShapeError
        A ragged list, an element that is not a number, more than two dimensions.
    """
    if not isinstance(value, (list, tuple)):
        return scalar_tensor(value, requires_grad, name)
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise TraceError(f"tensor name must be an identifier, not {name!r}")
    named = name is not None
    return Array.leaf(name or made_name(None), value, bool(requires_grad), caller_line(), named)


def const(value):
    """A constant: a number, or a (nested) list as a tensor, that gets no gradient.

    >>> y = const([0.5, -0.5])
    >>> y.shape, y.requires_grad, const(2).requires_grad
    ((2,), False, False)
    """
    if isinstance(value, (list, tuple)):
        return Array.leaf(made_name(None), value, False, caller_line(), named=False)
    return functions.const(value)


def _lifted(name):
    scalar = getattr(functions, name)

    def function(x):
        return getattr(x, name)() if isinstance(x, Elements) else scalar(x)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = f"{name}(x): of each element of a tensor, else {scalar.__doc__}"
    return function


exp, log, sqrt, sin, cos, tanh, sigmoid, relu = map(_lifted, functions.UNARY)


def _extreme(name, scalar):
    def function(*args, **kwargs):
        if len(args) == 1 and not kwargs and isinstance(args[0], Elements):
            if name == "min":
                raise TraceError("min() of one tensor is not supported; write -max(-t)")
            return args[0].max()
        if not any(isinstance(a, Elements) for a in args):
            return scalar(*args, **kwargs)  # of scalar traced values: exactly two
        if kwargs or len(args) < 2:
            raise TraceError(f"{name}() of tensors takes two or more tensors or numbers")
        pair = Array.maximum if name == "max" else Array.minimum
        return functools.reduce(lambda a, b: pair(_as_array(a), b), args)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (
        f"{name}(a, b, ...): element by element over tensors (PyTorch's torch.{name}imum, "
        f"applied left to right), {name}(t) of one tensor, else the scalar {name}()."
    )
    return function


def _as_array(x):
    return x if isinstance(x, Array) else Array([x], (1,), made_name(None))


max = _extreme("max", functions.max)  # noqa: A001 - the file's max() takes tensors too
min = _extreme("min", functions.min)  # noqa: A001


def sum(x, *args, **kwargs):  # noqa: A001 - the file's sum() takes a tensor too
    """``x.sum()`` of a tensor (``sum(x, dim)`` over one dimension), else Python's ``sum``."""
    if isinstance(x, Elements):
        return x.sum(*args, **kwargs)
    if any(isinstance(a, (list, tuple)) for a in (*args, *kwargs.values())):
        raise TraceError("sum() adds numbers and traced values; it does not join lists")
    return builtins.sum(x, *args, **kwargs)


def mean(x, dim=None):
    """``x.mean()`` of a tensor, or over dimension ``dim``."""
    if not isinstance(x, Elements):
        raise TraceError(f"mean() takes a tensor, not {type(x).__name__}")
    return x.mean(dim)


def _slices(x, dim):
    """The positions of each slice along ``dim`` (softmax normalises each)."""
    if x.ndim == 1:
        shapes.dimension(dim, 1)
        return [list(range(x.shape[0]))]
    return groups(x.shape, dim)[1]


def _shift(values):
    """The largest value (PyTorch subtracts it before exp), or 0 for a symbolic one."""
    return 0.0 if any(v is None for v in values) else builtins.max(values)


def _normalised(x, dim, log_form):
    """softmax (``log_form`` False) or log_softmax of tensor ``x`` along ``dim``."""
    if not isinstance(x, Elements):
        raise TraceError("softmax and log_softmax take a tensor")
    outputs, mark = [None] * x.numel(), next_id()
    for group in _slices(x, dim):
        top = _shift([x.elements[p].value for p in group])
        shifted = {p: x.elements[p] - top if top else x.elements[p] for p in group}
        exps = {p: shifted[p].exp() for p in group}
        total = chain_sum([exps[p] for p in group])
        for p in group:
            outputs[p] = shifted[p] - total.log() if log_form else exps[p] / total
    grad_fn = "LogSoftmaxBackward0" if log_form else "SoftmaxBackward0"
    return finish(outputs, x.shape, mark, grad_fn)


def softmax(x, dim=-1):
    """``exp(x_i - m) / Σ_j exp(x_j - m)`` along ``dim`` (m the largest value)."""
    return _normalised(x, dim, False)


def log_softmax(x, dim=-1):
    """``(x_i - m) - log Σ_j exp(x_j - m)`` along ``dim`` (m the largest value)."""
    return _normalised(x, dim, True)


def _targets(target, batch, classes):
    """The target class of each row, checked as PyTorch checks them."""
    many = isinstance(target, (list, tuple))
    if batch is None and many or batch is not None and not many:
        raise ShapeError(
            "cross_entropy takes one target class for logits of shape (C,) and a list of "
            "them for logits of shape (N, C)"
        )
    chosen = list(target) if many else [target]
    if batch is not None and len(chosen) != batch:
        raise ShapeError(
            f"Expected input batch_size ({batch}) to match target batch_size ({len(chosen)})."
        )
    for c in chosen:
        if isinstance(c, bool) or not isinstance(c, int):
            raise TraceError(f"a target class must be a whole number, not {type(c).__name__}")
        if not 0 <= c < classes:
            raise ShapeError(f"Target {c} is out of bounds.")
    return chosen


def cross_entropy(logits, target):
    """PyTorch's ``F.cross_entropy`` (mean reduction): ``-log_softmax(logits)[target]``.

    ``logits`` of shape (C,) take one class index; of shape (N, C), a list of N.
    """
    if not isinstance(logits, Elements):
        raise TraceError("cross_entropy takes a tensor of logits")
    batch, classes = (None, logits.shape[0]) if logits.ndim == 1 else logits.shape
    chosen = _targets(target, batch, classes)
    picked = log_softmax(logits, -1)
    mark = next_id()
    terms = [picked.elements[n * classes + c] for n, c in enumerate(chosen)]
    loss = -terms[0] if len(terms) == 1 else -chain_sum(terms) / len(terms)
    return finish([loss], (), mark, "NllLossBackward0")


def mse(prediction, target):
    """PyTorch's ``F.mse_loss`` (mean reduction): the mean of ``(prediction - target)**2``.

    Raises
    ------
    ShapeError
        Shapes that do not broadcast.
    """
    shape = shapes.broadcast(shape_of(prediction), shape_of(target))
    mark = next_id()
    pairs = zip(expand(prediction, shape), expand(target, shape))
    squares = [(p - t) ** 2 for p, t in pairs]
    total = chain_sum(squares) if len(squares) > 1 else squares[0]
    return finish([total / len(squares)], (), mark, "MseLossBackward0")


def _parts(tensors, what):
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TraceError(f"{what}() takes a non-empty list of tensors")
    for t in tensors:
        if not isinstance(t, (Elements, Tensor)) and not is_number(t):
            raise TraceError(f"{what}() takes tensors, not {type(t).__name__}")
    return [t if isinstance(t, Elements) else _scalar(t) for t in tensors]


def _scalar(x):
    """A number or scalar traced value as a 0-d tensor (to stack)."""
    return Array([x if isinstance(x, Tensor) else Tensor(float(x), requires_grad=False)], (), "")


def stack(tensors, dim=0):
    """Tensors of one shape side by side along a new dimension ``dim``: a view, no new node.

    Raises
    ------
    ShapeError
        Tensors of different shapes, in PyTorch's words.
    """
    parts = _parts(tensors, "stack")
    for i, t in enumerate(parts):
        if t.shape != parts[0].shape:
            raise ShapeError(
                "stack expects each tensor to be equal size, but got "
                f"{list(parts[0].shape)} at entry 0 and {list(t.shape)} at entry {i}"
            )
    if parts[0].ndim >= shapes.MAX_DIMENSIONS:
        raise ShapeError(
            f"stacking tensors of shape {list(parts[0].shape)} would make a tensor of "
            f"{parts[0].ndim + 1} dimensions; pathgrad's tensors have at most 2 (use cat)"
        )
    dim = shapes.dimension(dim, parts[0].ndim + 1)
    rows = Array([e for t in parts for e in t.elements], (len(parts), *parts[0].shape), "")
    joined = rows if dim == 0 else rows.T
    return joined.view(joined.elements, joined.shape, "StackBackward0")


def cat(tensors, dim=0):
    """Tensors joined along dimension ``dim``: a view, no new node.

    Raises
    ------
    ShapeError
        Tensors whose other sizes differ, in PyTorch's words.
    """
    parts = _parts(tensors, "cat")
    ndim = parts[0].ndim
    for t in parts:
        if t.ndim != ndim or not ndim:
            raise ShapeError(
                f"Tensors must have same number of dimensions: got {ndim} and {t.ndim}"
                if ndim
                else "zero-dimensional tensor cannot be concatenated"
            )
    dim = shapes.dimension(dim, ndim)
    moved = [t if dim == 0 else t.T for t in parts]
    for i, t in enumerate(moved):
        if t.shape[1:] != moved[0].shape[1:]:
            raise ShapeError(
                f"Sizes of tensors must match except in dimension {dim}. Expected size "
                f"{moved[0].shape[1]} but got size {t.shape[1]} for tensor number {i} in the list."
            )
    rows = [e for t in moved for e in t.elements]
    length = builtins.sum(t.shape[0] for t in moved)
    joined = Array(rows, (length, *moved[0].shape[1:]), "")
    joined = joined if dim == 0 else joined.T
    return joined.view(joined.elements, joined.shape, "CatBackward0")
