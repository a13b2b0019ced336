"""Operations on small tensors (up to 2-D), with PyTorch's semantics and broadcasting.

:class:`Array` is a tensor of scalar traced values (:class:`~pathgrad.trace.elements.Elements`)
with PyTorch's operators: elementwise ``+ - * / **`` and every one-operand function of the
op table, ``@``, ``.T``, ``sum``, ``mean`` and ``max``. Each element of a result is made
by the scalar operations of the op table, so its value (inf and nan included) and its
local derivatives are the scalar ones: an elementwise ``W + b`` is one ``add`` per
element, ``W @ x`` a product per term and a chain of adds per element, ``x.sum()`` a
chain of adds, ``x.mean()`` that sum divided by the count.

>>> W = Array.leaf("W", [[1.0, 2.0], [3.0, 4.0]])
>>> x = Array.leaf("x", [1.0, -1.0])
>>> h = (W @ x).tanh()
>>> part = h.elements[1].part
>>> h.shape, h.grad_fn, part.grad_fn, part.shape, part.index
((2,), 'TanhBackward0', 'TanhBackward0', (2,), (1,))
>>> L = (W @ x).sum()
>>> L.value, L.part.grad_fn
(-2.0, 'SumBackward0')
>>> L.backward()
>>> W.grad
[[1.0, -1.0], [1.0, -1.0]]
"""

import functools
import operator

from pathgrad.trace import shapes
from pathgrad.trace.concrete import is_number
from pathgrad.trace.elements import Elements
from pathgrad.trace.provenance import next_id
from pathgrad.trace.traced import Tensor, apply

#: The one-operand functions of the op table a tensor applies element by element.
UNARY = ("exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "reciprocal")


def shape_of(x):
    """A tensor's shape; ``()`` for a scalar traced value or a number."""
    return x.shape if isinstance(x, Elements) else ()


def is_operand(x):
    """Whether ``x`` can take part in a tensor operation: a tensor, a traced value, a number."""
    return isinstance(x, (Elements, Tensor)) or is_number(x)


def expand(x, shape):
    """The elements of ``x`` broadcast to ``shape``, row-major (a number repeated)."""
    if not isinstance(x, Elements):
        return [x] * shapes.numel(shape)
    return [
        x.elements[shapes.flat(shapes.source_index(index, x.shape, shape), x.shape)]
        for index in shapes.indices(shape)
    ]


def finish(outputs, shape, mark, grad_fn=None):
    """The result of one tensor operation whose element values were made after ``mark``.

    Values made on the way (a product, a partial sum) get a part with ``inside=True``
    for the element they lead to; a 0-d result is its one scalar.
    """
    grad_fn = grad_fn or outputs[0].grad_fn_name
    inner, seen = [], {id(t) for t in outputs}
    for index, t in zip(shapes.indices(shape), outputs):
        stack = list(t.operands)
        while stack:
            x = stack.pop()
            if isinstance(x, Tensor) and x.id > mark and x.part is None and id(x) not in seen:
                seen.add(id(x))
                inner.append((index, x))
                stack.extend(x.operands)
    made = Array.result(outputs, shape, grad_fn, inner)
    return made.elements[0] if not shape else made


def elementwise(function, *operands, grad_fn=None):
    """``function`` of the operands' elements, broadcast as PyTorch broadcasts.

    Raises
    ------
    ShapeError
        Shapes that do not broadcast, in PyTorch's words.
    """
    shape = functools.reduce(shapes.broadcast, (shape_of(x) for x in operands), ())
    shapes.check_work(shapes.numel(shape), f"an elementwise operation of shape {list(shape)}")
    mark = next_id()
    outputs = [function(*each) for each in zip(*(expand(x, shape) for x in operands))]
    return finish(outputs, shape, mark, grad_fn)


def chain_sum(terms):
    """``((t0 + t1) + t2) + ...``: the sum as a user writes it; one term is ``t0 + 0``."""
    return functools.reduce(operator.add, terms) if len(terms) > 1 else terms[0] + 0.0


def matmul(a, b):
    """``a @ b`` for matrices and vectors: each element a chain of products' sum.

    Raises
    ------
    ShapeError
        PyTorch's "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x1)" and friends.
    """
    shape, grad_fn = shapes.matmul_shape(shape_of(a), shape_of(b))
    shapes.check_work(2 * shapes.numel(shape) * a.shape[-1], "this matrix product")
    rows = shapes.nest(a.elements, a.shape if a.ndim == 2 else (1, a.shape[0]))
    columns = shapes.nest(b.elements, b.shape if b.ndim == 2 else (b.shape[0], 1))
    mark = next_id()
    outputs = [
        chain_sum([row[k] * columns[k][j] for k in range(len(row))])
        if len(row) > 1
        # one term: the product is the element
        else row[0] * columns[0][j]
        for row in rows
        for j in range(len(columns[0]))
    ]
    return finish(outputs, shape, mark, grad_fn)


def groups(shape, dim):
    """The shape a reduction over ``dim`` leaves (all of them: ``None``), and the row-major
    positions each of its elements reduces.

    >>> groups((2, 3), None), groups((2, 3), 0), groups((2, 3), 1)
    (((), [[0, 1, 2, 3, 4, 5]]), ((3,), [[0, 3], [1, 4], [2, 5]]), ((2,), [[0, 1, 2], [3, 4, 5]]))
    """
    size = shapes.numel(shape)
    if dim is None or len(shape) == 1:
        if dim is not None:
            shapes.dimension(dim, len(shape))
        return (), [list(range(size))]
    dim = shapes.dimension(dim, len(shape))
    rows, columns = shape
    if dim == 0:
        return (columns,), [[r * columns + c for r in range(rows)] for c in range(columns)]
    return (rows,), [[r * columns + c for c in range(columns)] for r in range(rows)]


def reduce(x, dim, combine, grad_fns):
    """A reduction: ``combine`` of the elements of each group (``grad_fns``: all, one dim)."""
    shape, positions = groups(x.shape, dim)
    mark = next_id()
    outputs = [combine([x.elements[p] for p in group]) for group in positions]
    return finish(outputs, shape, mark, grad_fns[dim is not None])


def _mean(terms):
    return (chain_sum(terms) if len(terms) > 1 else terms[0]) / len(terms)


def _maximum(terms):
    if len(terms) == 1:
        return terms[0] + 0.0
    return functools.reduce(lambda a, b: apply("max", a, b), terms)


def _binary(symbol):
    function = getattr(operator, symbol)

    def forward(self, other):
        return elementwise(function, self, other) if is_operand(other) else NotImplemented

    def reflected(self, other):
        return elementwise(function, other, self) if is_operand(other) else NotImplemented

    forward.__name__, reflected.__name__ = f"__{symbol}__", f"__r{symbol}__"
    return forward, reflected


def _unary(name):
    def method(self):
        return elementwise(lambda t: apply(name, t), self)

    method.__name__ = name
    method.__doc__ = f"{name} of each element (PyTorch's ``Tensor.{name}()``)."
    return method


class Array(Elements):
    """A tensor of up to two dimensions: scalar traced elements and PyTorch's operations.

    Make one with :meth:`Array.leaf` (or ``pathgrad.tensor([[...]], requires_grad=True)``,
    or a list of numbers assigned at the top level of a file); operations make the others.
    """

    __slots__ = ()

    __add__, __radd__ = _binary("add")
    __sub__, __rsub__ = _binary("sub")
    __mul__, __rmul__ = _binary("mul")
    __truediv__, __rtruediv__ = _binary("truediv")
    __pow__, __rpow__ = _binary("pow")

    exp, log, sqrt, sin, cos, tanh, sigmoid, relu, abs, reciprocal = map(_unary, UNARY)

    def __neg__(self):
        return elementwise(operator.neg, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self.abs()

    def __matmul__(self, other):
        if not is_operand(other):
            return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other):
        if not is_operand(other):
            return NotImplemented
        return matmul(other, self)

    def maximum(self, other):
        """The larger of each pair of elements (PyTorch's ``torch.maximum``)."""
        return elementwise(lambda a, b: apply("max", a, b), self, other)

    def minimum(self, other):
        """The smaller of each pair of elements (PyTorch's ``torch.minimum``)."""
        return elementwise(lambda a, b: apply("min", a, b), self, other)

    def sum(self, dim=None):
        """The sum of every element, or over dimension ``dim``: a chain of scalar adds."""
        return reduce(self, dim, chain_sum, ("SumBackward0", "SumBackward1"))

    def mean(self, dim=None):
        """The mean of every element, or over ``dim``: the sum divided by the count."""
        return reduce(self, dim, _mean, ("MeanBackward0", "MeanBackward1"))

    def max(self):
        """The largest element (``MaxBackward1``): a chain of the op table's two-argument max.

        A tie among more than two elements splits the gradient as the chain does (1/2,
        1/4, 1/4 ...), not evenly as PyTorch's ``max()`` does.
        """
        return reduce(self, None, _maximum, ("MaxBackward1", "MaxBackward1"))
