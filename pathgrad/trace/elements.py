"""A small tensor's storage: its shape and its scalar traced elements, row-major.

pathgrad's graph stays scalar. A tensor (:class:`Elements`, and the
:class:`~pathgrad.trace.arrays.Array` that adds its operations) is a shape and a list of
scalar :class:`~pathgrad.trace.traced.Tensor` values; every element it makes carries a
:class:`~pathgrad.trace.parts.Part` naming the tensor, PyTorch's ``grad_fn`` for the
tensor operation, the shape and the index. Values made inside an operation on the way to
an element (the products and partial sums of ``W @ x``) carry a part with
``inside=True``. Views (``.T``, ``W[0]``, ``W[:, 1]``, ``stack``, ``cat``) share their
source's element scalars: moving numbers around adds no node to the graph.

A tensor leaf's elements are scalar leaves named as PyTorch indexes them (``W[0,1]``);
an unnamed result has a made name (``mm_1``) until a file's assignment names it.
"""

import contextlib
import contextvars
import re
from dataclasses import replace

from pathgrad.errors import ShapeError, TraceError
from pathgrad.trace import shapes
from pathgrad.trace.parts import Part
from pathgrad.trace.provenance import caller_line
from pathgrad.trace.traced import Tensor

_counters = contextvars.ContextVar("pathgrad_tensor_names", default=None)
_SESSION = {}  # made names outside a file (the Python API): one count per process


@contextlib.contextmanager
def name_scope():
    """Made names (``mm_1``, ``add_1`` ...) counted afresh inside: one per file run."""
    token = _counters.set({})
    try:
        yield
    finally:
        _counters.reset(token)


def made_name(grad_fn):
    """A fresh name for an unnamed result, from its operation (``MmBackward0`` → ``mm_1``).

    >>> with name_scope():
    ...     made_name("MmBackward0"), made_name("MmBackward0"), made_name(None)
    ('mm_1', 'mm_2', 'tensor_1')
    """
    kind = re.sub(r"Backward\d*$", "", grad_fn or "tensor")
    kind = re.sub(r"(?<!^)(?=[A-Z])", "_", kind).lower()
    counters = _counters.get()
    counters = _SESSION if counters is None else counters
    counters[kind] = counters.get(kind, 0) + 1
    return f"{kind}_{counters[kind]}"


def element_index(text):
    """``W[0,1]``, ``W[0][1]`` or ``W[0, 1]`` as ``("W", (0, 1))``; ``None`` for other text.

    >>> element_index("W[0][1]"), element_index("x[ 2 ]"), element_index("w1")
    (('W', (0, 1)), ('x', (2,)), None)
    """
    match = re.fullmatch(r"\s*([^\W\d]\w*)\s*((?:\[\s*\d+\s*(?:,\s*\d+\s*)*\]\s*)+)", text)
    if match is None:
        return None
    return match[1], tuple(int(i) for i in re.findall(r"\d+", match[2]))


def element_name(text):
    """The element's name as the graph has it (``W[0][1]`` → ``W[0,1]``), else the text."""
    found = element_index(text)
    return text if found is None else Part(found[0], None, (), found[1]).element


class Elements:
    """A tensor's shape and its scalar elements, row-major; its views, names and gradient.

    Parameters
    ----------
    elements : list of Tensor
        The scalars, row-major; ``len(elements)`` is the product of ``shape``.
    shape : tuple of int
        One or two sizes.
    name : str
        The tensor's name (a made one for an unnamed result).
    grad_fn : str or None
        PyTorch's ``grad_fn`` name of the operation that made it; ``None`` for a leaf.
    named : bool
        Whether ``name`` was given (a file's variable, ``name=``) rather than made.
    """

    __slots__ = ("elements", "shape", "name", "grad_fn", "named", "inner", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, elements, shape, name, grad_fn=None, named=False):
        self.elements, self.shape = list(elements), tuple(shape)
        self.name, self.grad_fn, self.named = name, grad_fn, named
        self.inner = []  # values made inside the operation, to rename with the tensor

    # -- making ---------------------------------------------------------------
    @classmethod
    def leaf(cls, name, values, requires_grad=True, line=None, named=True):
        """A tensor leaf: each element a scalar leaf named ``name[i,j]``.

        Raises
        ------
        ShapeError
            A ragged list, a non-number element, more than two dimensions.
        """
        numbers, shape = shapes.read_nested(values)
        shapes.check_work(len(numbers), f"a tensor of shape {list(shape)}")
        line = line if line is not None else caller_line()
        elements = []
        for index, value in zip(shapes.indices(shape), numbers):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ShapeError(
                    f"a tensor's elements must be numbers, not {type(value).__name__} "
                    f"(at {Part(name, None, shape, index).element})"
                )
            t = Tensor(float(value), requires_grad=requires_grad, line=line)
            t.part = Part(name, None, shape, index)
            t.name = t.part.element
            elements.append(t)
        return cls(elements, shape, name, named=named)

    @classmethod
    def result(cls, elements, shape, grad_fn, inner=()):
        """A new operation's tensor: its elements and ``inner`` values get their parts."""
        made = cls(elements, shape, made_name(grad_fn), grad_fn)
        for index, t in zip(shapes.indices(shape), made.elements):
            t.part = Part(made.name, grad_fn, made.shape, index)
        for index, t in inner:
            t.part = Part(made.name, grad_fn, made.shape, index, inside=True)
            made.inner.append(t)
        return made

    def view(self, elements, shape, grad_fn):
        """A tensor sharing these elements (no new scalar): ``.T``, a row, a column."""
        return type(self)(elements, shape, made_name(grad_fn), grad_fn)

    def rename(self, name):
        """Take a file's variable name: the elements this tensor made are renamed too."""
        old, self.name, self.named = self.name, name, True
        for t in self.elements:
            if t.part is not None and t.part.tensor == old and not t.part.inside:
                t.part = replace(t.part, tensor=name)
                t.name = t.part.element
        for t in self.inner:
            t.part = replace(t.part, tensor=name)

    # -- what PyTorch's tensor has ------------------------------------------------
    @property
    def ndim(self):
        return len(self.shape)

    def numel(self):
        return len(self.elements)

    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(self.shape[0]))

    def tolist(self):
        """The values as nested lists (``None`` for a symbolic element)."""
        return shapes.nest([t.value for t in self.elements], self.shape)

    def item(self):
        """As a scalar's ``item()``: refused, it would drop the value from the graph
        (``tolist()`` gives the values)."""
        return self._only("item()").item()

    @property
    def requires_grad(self):
        return any(t.requires_grad for t in self.elements)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        """∂(output)/∂element after ``backward()``, as nested lists; ``None`` before it."""
        grads = [None if t.grad is None else float(t.grad) for t in self.elements]
        if all(g is None for g in grads):
            return None
        return shapes.nest([0.0 if g is None else g for g in grads], self.shape)

    def backward(self, retain_graph=False):
        """``backward()`` of a one-element tensor (PyTorch refuses a larger one)."""
        self._only("backward()").backward(retain_graph)

    def _only(self, what):
        if len(self.elements) != 1:
            raise TraceError(
                f"{what} needs a tensor with one element, not shape {list(self.shape)} "
                "(grad can be implicitly created only for scalar outputs); reduce it first, "
                "e.g. with .sum() or .mean()"
            )
        return self.elements[0]

    @property
    def T(self):
        """The transpose: a view, its element (i, j) is this tensor's (j, i)."""
        if self.ndim < 2:
            return self
        rows, columns = self.shape
        moved = [self.elements[r * columns + c] for c in range(columns) for r in range(rows)]
        return self.view(moved, (columns, rows), "PermuteBackward0")

    def t(self):
        return self.T

    # -- indexing ------------------------------------------------------------------
    def __getitem__(self, key):
        """``W[0, 1]`` and ``W[0][1]`` (a scalar), ``W[1]`` (a row), ``W[:, 0]``, ``x[1:3]``."""
        keys = key if isinstance(key, tuple) else (key,)
        if len(keys) > self.ndim:
            raise ShapeError(f"too many indices for tensor of dimension {self.ndim}")
        elements, shape, kept = self.elements, self.shape, []
        grid = shapes.nest(list(range(len(elements))), shape)
        picked = _pick(grid, keys, shape, kept)
        positions = _flatten(picked)
        new_shape = tuple(kept) + shape[len(keys) :]
        if 0 in new_shape:
            raise ShapeError(
                f"this slice of {self.name} (shape {list(shape)}) selects no element; "
                "pathgrad's tensors are never empty"
            )
        if not new_shape:
            return elements[positions[0]]
        grad_fn = "SliceBackward0" if any(isinstance(k, slice) for k in keys) else "SelectBackward0"
        return self.view([elements[p] for p in positions], new_shape, grad_fn)

    def __repr__(self):
        values = self.tolist()
        tail = f", grad_fn=<{self.grad_fn}>" if self.grad_fn and self.requires_grad else ""
        return f"tensor({values}, name={self.name}{tail})"


def _pick(grid, keys, shape, kept, dim=0):
    """The part of a nested list of positions that ``keys`` select (``kept``: new sizes)."""
    if not keys:
        return grid
    key, rest = keys[0], keys[1:]
    if isinstance(key, slice):
        if key.step not in (None, 1):
            raise ShapeError("slices with a step are not supported; write a[i:j]")
        chosen = grid[key]
        kept.append(len(chosen))
        inner = [_pick(row, rest, shape, [], dim + 1) for row in chosen]
        if rest and chosen:  # the sizes the rest keeps, found once
            _pick(chosen[0], rest, shape, kept, dim + 1)
        elif rest:
            kept.extend(
                len(range(*k.indices(shape[dim + 1]))) for k in rest if isinstance(k, slice)
            )
        return inner
    if isinstance(key, bool) or not hasattr(key, "__index__"):
        raise ShapeError(
            "only integers and slices (a[1], a[0, 2], a[:, 1]) are valid indices, "
            f"not {type(key).__name__}"
        )
    return _pick(
        grid[shapes.position(key.__index__(), shape[dim], dim)], rest, shape, kept, dim + 1
    )


def _flatten(picked):
    if isinstance(picked, int):
        return [picked]
    return [p for item in picked for p in _flatten(item)]
