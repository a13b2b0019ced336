"""Shapes of small tensors (up to 2-D) as PyTorch reads them, and its words for a mismatch.

Pure functions of tuples and nested lists, no traced values: reading a nested list of
numbers (``[[1, 2], [3, 4]]`` has shape ``(2, 2)``), broadcasting two shapes, checking
an index or a dimension, the shape of a matrix product. Each mismatch raises
:class:`~pathgrad.errors.ShapeError` with the sentence PyTorch would say.

>>> read_nested([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], (2, 3))
>>> broadcast((2, 3), (3,)), broadcast((2, 1), (1, 4)), broadcast((), (2,))
((2, 3), (2, 4), (2,))
>>> try:
...     broadcast((3,), (2,))
... except ShapeError as err:
...     print(err)
The size of tensor a (3) must match the size of tensor b (2) at non-singleton dimension 0
"""

import itertools
import math

from pathgrad.errors import ShapeError

#: Tensors have at most this many dimensions.
MAX_DIMENSIONS = 2
#: Scalar values one tensor operation may make: pathgrad explains small tensors, element by
#: element, and this keeps one ``W @ W`` from running for minutes before any bound is read.
MAX_WORK = 1_000_000


def check_work(count, what):
    """Refuse an operation that would make more than :data:`MAX_WORK` scalar values.

    Raises
    ------
    ShapeError
        Naming the operation and the count.
    """
    if count > MAX_WORK:
        raise ShapeError(
            f"{what} would make {count:,} scalar values, more than pathgrad explains "
            f"({MAX_WORK:,}); use smaller tensors"
        )


def numel(shape):
    """How many elements a tensor of this shape has (1 for a 0-d tensor)."""
    return math.prod(shape)


def indices(shape):
    """Every index of a tensor of this shape, row-major (``()`` once for a 0-d tensor)."""
    return list(itertools.product(*(range(n) for n in shape)))


def flat(index, shape):
    """The position of ``index`` in the row-major list of elements."""
    position = 0
    for i, n in zip(index, shape):
        position = position * n + i
    return position


def nest(values, shape):
    """A row-major list as nested lists of this shape (the value itself for 0-d)."""
    if not shape:
        return values[0]
    if len(shape) == 1:
        return list(values)
    width = shape[1]
    return [list(values[r * width : (r + 1) * width]) for r in range(shape[0])]


def read_nested(value, is_element=None):
    """The elements (row-major) and the shape of a nested list, up to 2-D.

    ``is_element`` says what may stand as an element (default: any non-list).

    Raises
    ------
    ShapeError
        A ragged list (rows of different lengths), an empty one, a list inside an
        element position, or more than two dimensions.
    """
    is_element = is_element or (lambda x: not isinstance(x, (list, tuple)))
    if not isinstance(value, (list, tuple)):
        return [value], ()
    if not value:
        raise ShapeError("an empty list has no elements to make a tensor of; give numbers")
    rows = [
        read_nested(row, is_element) if isinstance(row, (list, tuple)) else None for row in value
    ]
    if all(r is None for r in rows):
        bad = [x for x in value if not is_element(x)]
        if bad:
            raise ShapeError(f"a tensor's elements must be numbers, not {type(bad[0]).__name__}")
        return list(value), (len(value),)
    if any(r is None for r in rows):
        raise ShapeError("a tensor's rows must all be lists (a number sits among lists)")
    shapes = {shape for _, shape in rows}
    if len(shapes) > 1:
        lengths = ", ".join(str(shape[0]) for _, shape in rows)
        raise ShapeError(f"a tensor's rows must have equal lengths, not {lengths} (ragged list)")
    shape = (len(value), *shapes.pop())
    if len(shape) > MAX_DIMENSIONS:
        raise ShapeError(
            f"tensors of up to {MAX_DIMENSIONS} dimensions are supported, "
            f"not {len(shape)} (shape {list(shape)})"
        )
    return [x for elements, _ in rows for x in elements], shape


def broadcast(a, b):
    """The shape PyTorch broadcasts shapes ``a`` and ``b`` to.

    Raises
    ------
    ShapeError
        PyTorch's sentence: the size of tensor a must match the size of tensor b.
    """
    size = max(len(a), len(b))
    a_full, b_full = (1,) * (size - len(a)) + a, (1,) * (size - len(b)) + b
    shape = []
    for dimension, (m, n) in enumerate(zip(a_full, b_full)):
        if m != n and 1 not in (m, n):
            raise ShapeError(
                f"The size of tensor a ({m}) must match the size of tensor b ({n}) "
                f"at non-singleton dimension {dimension}"
            )
        shape.append(max(m, n) if 1 in (m, n) else m)
    return tuple(shape)


def source_index(index, shape, target):
    """The index in a tensor of ``shape`` that broadcasting to ``target`` reads at ``index``."""
    index = index[len(target) - len(shape) :]
    return tuple(0 if n == 1 else i for i, n in zip(index, shape))


def dimension(dim, ndim):
    """``dim`` as a non-negative dimension of a tensor with ``ndim`` dimensions.

    Raises
    ------
    ShapeError
        PyTorch's "Dimension out of range" sentence.
    """
    low, high = (-1, 0) if ndim == 0 else (-ndim, ndim - 1)
    if isinstance(dim, bool) or not isinstance(dim, int) or not low <= dim <= high:
        raise ShapeError(
            f"Dimension out of range (expected to be in range of [{low}, {high}], but got {dim})"
        )
    return dim % max(ndim, 1)


def position(i, size, dim):
    """An integer index into a dimension of this size, negative ones from the end.

    Raises
    ------
    ShapeError
        PyTorch's "index out of bounds" sentence.
    """
    if not -size <= i < size:
        raise ShapeError(f"index {i} is out of bounds for dimension {dim} with size {size}")
    return i % size


def matmul_shape(a, b):
    """The shape of ``a @ b`` (matrix or vector each), and PyTorch's grad_fn name for it.

    A vector times a matrix is ``MmBackward0``: PyTorch computes it as a matrix product
    (its result's own ``grad_fn`` is the view ``SqueezeBackward4`` that drops the row).

    >>> matmul_shape((2, 3), (3, 4)), matmul_shape((2, 3), (3,)), matmul_shape((3,), (3,))
    (((2, 4), 'MmBackward0'), ((2,), 'MvBackward0'), ((), 'DotBackward0'))

    Raises
    ------
    ShapeError
        PyTorch's sentences ("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x1)").
    """
    if not a or not b:
        raise ShapeError(
            f"both arguments to matmul need to be at least 1D, but they are {len(a)}D and {len(b)}D"
        )
    if len(a) == 1 and len(b) == 1:
        if a != b:
            raise ShapeError(
                f"inconsistent tensor size, expected tensor [{a[0]}] and src [{b[0]}] to have "
                f"the same number of elements, but got {a[0]} and {b[0]} elements respectively"
            )
        return (), "DotBackward0"
    if len(a) == 2 and len(b) == 1:
        if a[1] != b[0]:
            raise ShapeError(
                f"size mismatch, got input ({a[0]}), mat ({a[0]}x{a[1]}), vec ({b[0]})"
            )
        return (a[0],), "MvBackward0"
    rows, inner = (1, a[0]) if len(a) == 1 else a
    if inner != b[0]:
        raise ShapeError(
            f"mat1 and mat2 shapes cannot be multiplied ({rows}x{inner} and {b[0]}x{b[1]})"
        )
    return ((b[1],) if len(a) == 1 else (rows, b[1])), "MmBackward0"
