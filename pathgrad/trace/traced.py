"""The traced value: define-by-run recording, as PyTorch and micrograd do.

Every arithmetic operation on a :class:`Tensor` computes its value at once
and remembers its operands, the op table row that made it and the source line
it came from. Nothing symbolic happens here; the graph module turns the
recorded values into a graph with symbolic derivatives.

>>> a = leaf("a", -4.0)
>>> b = leaf("b", 2.0)
>>> c = (a * b + b**3).relu()
>>> c.value, c.grad_fn, c.is_leaf
(0.0, <ReluBackward0>, False)
>>> [o.name for o in c.operands[0].operands[0].operands]
['a', 'b']
"""

import unicodedata
import weakref

from pathgrad.errors import TraceError
from pathgrad.escaping import is_hidden
from pathgrad.kernels import is_special, special_cause
from pathgrad.ops import OPS
from pathgrad.trace.autograd import (
    Grad,
    backward,
    grad_enabled,
    grad_fn_of,
    update_in_place,
)
from pathgrad.trace.concrete import Concrete, check_number, concrete_value, is_number, show
from pathgrad.trace.provenance import caller_line, next_id


class Tensor(Concrete):
    """A scalar traced value: a leaf, or the result of one operation.

    Parameters
    ----------
    value : float or None
        ``None`` for a symbolic leaf with no value.
    op : Op or None
        The op table row that made it; ``None`` for a leaf.
    operands : tuple
        The operands (tensors or plain numbers), in order.
    name : str or None
        The variable it was assigned to, if any.
    """

    __slots__ = (
        "id",
        "value",
        "op",
        "operands",
        "name",
        "requires_grad",
        "line",
        "undefined",
        "kink",
        "cut",
        "_grad",
        "grad_expr",
        "retains_grad",
        "freed",
        "_grad_fn",
        "version",
        "earlier",
        "users",
        "aliases",
        "backward_calls",
        "live",
        "grad_calls",
        "part",
        "made_in",
        "__weakref__",
    )
    __array_priority__ = 1000
    shape = ()  # one number: a 0-d tensor, as torch.Size([])

    def __init__(self, value, op=None, operands=(), name=None, requires_grad=True, line=None):
        self.id = next_id()
        self.value = value
        self.op = op
        self.operands = tuple(operands)
        self.name = name
        self.requires_grad = requires_grad
        self.line = line if line is not None else caller_line()
        self.undefined = None
        self.kink = False
        self.cut = None  # why gradients stop here: "no_grad", "detach" or "constant"
        self._grad = self.grad_expr = self._grad_fn = None
        self.retains_grad = self.freed = False
        # In-place updates (``w -= lr * w.grad`` under no_grad): how many, the value this
        # leaf was before the last one, and (weakly) the operations that used this version.
        self.version, self.earlier, self.users, self.aliases = 0, None, None, None
        self.backward_calls = 0  # a file's default loss is what it called backward() on
        self.live = None  # for a leaf as it was before an in-place update: the leaf now
        self.grad_calls = 0  # backward() calls summed in .grad since it was last zeroed
        self.part = None  # a trace.parts.Part when this scalar is an element of a tensor
        self.made_in = None  # named in loops: their iteration (trace.running.iteration)

    # -- what PyTorch calls it -------------------------------------------
    @property
    def is_leaf(self):
        """True for a leaf, and (as in PyTorch) for any result that does not require grad."""
        return self.op is None or not self.requires_grad

    @property
    def grad_fn_name(self):
        """PyTorch's name for the operation's backward function, ``None`` for a leaf."""
        if self.op is None:
            return None
        return self.op.grad_fn_for([isinstance(x, Tensor) for x in self.operands])

    @property
    def grad_fn(self):
        """The backward node (``<MulBackward0>``, with ``.next_functions``), or ``None``."""
        return grad_fn_of(self)

    def backward(self, retain_graph=False):
        """Accumulate ∂self/∂leaf into each leaf's ``.grad`` and ``.grad_expr``, as PyTorch."""
        backward(self, retain_graph)

    @property
    def grad(self):
        """∂(output)/∂self accumulated by ``backward()``: a float with ``zero_()``, or None."""
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None and not is_number(value):
            raise TraceError(f"a gradient must be a number or None, not {type(value).__name__}")
        if value is not None:
            value = Grad(float(value), self)
        if value is None or value == 0:  # zero_grad(): the closed form starts again too
            self.grad_expr, self.grad_calls = None, 0
        self._grad = value

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf too, as PyTorch's ``retain_grad()``."""
        if not self.is_leaf:
            self.retains_grad = True

    def detach(self):
        """A new leaf with the same value that does not require grad: the graph is cut here."""
        cut = Tensor(self.value, requires_grad=False, line=caller_line())
        cut.cut, cut.operands, cut.undefined = "detach", (self,), self.undefined
        # PyTorch's detach() shares storage: updating self in place updates the cut value too
        self.aliases = [*(self.aliases or ()), weakref.ref(cut)]
        cut.aliases = [weakref.ref(self)]
        return cut

    @property
    def data(self):
        """The value; assigning to it (``w.data -= lr * w.grad``) updates w in place."""
        return self.value

    @data.setter
    def data(self, value):
        if isinstance(value, Tensor):
            value = value.value
        update_in_place(self, check_number(value, "the new value of .data"))

    def snapshot(self):
        """A copy of this tensor as it is now (its id too), for the values computed from it."""
        copy = Tensor.__new__(Tensor)
        for slot in Tensor.__slots__:
            if slot != "__weakref__":
                setattr(copy, slot, getattr(self, slot))
        copy.users = None
        return copy

    def __repr__(self):
        shown = "?" if self.value is None else f"{self.value:g}"
        label = f"{self.name}=" if self.name else ""
        tail = f", grad_fn=<{self.grad_fn_name}>" if self.op and self.requires_grad else ""
        return f"tensor({label}{shown}{tail})"

    def __format__(self, spec):
        """``f"{L:.3f}"``: the value formatted as a float is; a symbolic value shows its name.

        An empty specification (``f"{L}"``) keeps ``str(L)``, as for any object.

        >>> format(leaf("w", 2.0) * 3, ".3f"), format(leaf("y"), ">3"), f"{leaf('y') * 2:.2f}"
        ('6.000', '  y', 'y*2')
        """
        if not spec:
            return str(self)
        if self.value is not None:
            return format(self.value, spec)
        try:  # a width or alignment applies to the name; a number's format does not
            return format(show(self), spec)
        except ValueError:
            return show(self)

    # -- recording --------------------------------------------------------
    def _apply(self, name, *others):
        return apply(name, self, *others)

    def __add__(self, other):
        return self._apply("add", other)

    def __radd__(self, other):
        return apply("add", other, self)

    def __sub__(self, other):
        return self._apply("sub", other)

    def __rsub__(self, other):
        return apply("sub", other, self)

    def __mul__(self, other):
        return self._apply("mul", other)

    def __rmul__(self, other):
        return apply("mul", other, self)

    def __truediv__(self, other):
        return self._apply("div", other)

    # In place under no_grad() on a leaf, as PyTorch's optimizer step; else a new node.
    def __iadd__(self, other):
        return _in_place(self, "add", other)

    def __isub__(self, other):
        return _in_place(self, "sub", other)

    def __imul__(self, other):
        return _in_place(self, "mul", other)

    def __itruediv__(self, other):
        return _in_place(self, "div", other)

    def __rtruediv__(self, other):
        if not is_number(other):
            return NotImplemented
        return self.reciprocal() * other  # what PyTorch records for `2 / x`

    def reciprocal(self):
        return self._apply("reciprocal")

    def __pow__(self, other):
        return self._apply("pow", other)

    def __rpow__(self, other):
        return apply("pow", other, self)

    def __neg__(self):
        return self._apply("neg")

    def __pos__(self):
        return self

    def __abs__(self):
        return self._apply("abs")

    def exp(self):
        return self._apply("exp")

    def log(self):
        return self._apply("log")

    def sqrt(self):
        return self._apply("sqrt")

    def sin(self):
        return self._apply("sin")

    def cos(self):
        return self._apply("cos")

    def tanh(self):
        return self._apply("tanh")

    def sigmoid(self):
        return self._apply("sigmoid")

    def relu(self):
        return self._apply("relu")

    def abs(self):
        return self._apply("abs")


def _in_place(t, name, other):
    if (
        (grad_enabled.get() and (t.requires_grad or getattr(other, "requires_grad", False)))
        or t.op is not None
        or not (isinstance(other, Tensor) or is_number(other))
    ):
        return NotImplemented  # Python falls back to ``t = t + other``: a new node
    values = [concrete_value(x, "an in-place update") for x in (t, other)]
    try:
        value = float(OPS[name].numeric(*values))
    except (ValueError, ZeroDivisionError, OverflowError) as err:
        raise TraceError(f"updating {show(t)} in place: {err}") from None
    update_in_place(t, check_number(value, f"{show(t)} after the in-place update"))
    return t


def apply(name, *operands):
    """Record one operation of the op table on tensors and plain numbers.

    Returns ``NotImplemented`` when an operand is neither, so Python can try
    the other side of an operator.
    """
    if not all(isinstance(x, Tensor) or is_number(x) for x in operands):
        return NotImplemented
    op = OPS[name]
    result = Tensor(None, op=op, operands=operands, line=caller_line())
    for x in operands:  # a leaf remembers its users, in case it is updated in place
        if isinstance(x, Tensor) and x.op is None:
            x.users = x.users or []
            x.users.append(weakref.ref(result))
    wants = any(isinstance(x, Tensor) and x.requires_grad for x in operands)
    result.requires_grad = wants and grad_enabled.get()
    if not result.requires_grad:
        result.cut = "no_grad" if wants else "constant"
    _evaluate(result)
    return result


def _evaluate(result):
    """Compute the value of a new operation as PyTorch does (IEEE: inf and nan are values).

    When the value is inf or nan, ``undefined`` says why: inherited from the operand
    that first became one, or the cause at this operation (a pole, an overflow, an
    underflow to 0 in an operand).
    """
    operands = result.operands
    values = [x.value if isinstance(x, Tensor) else float(x) for x in operands]
    if any(v is None for v in values):
        return
    traced = [isinstance(x, Tensor) for x in operands]
    value = result.op.forward(values, traced)
    result.value = value
    result.kink = bool(result.op.kink and result.op.kink(*values))
    if not is_special(value):
        return
    inherited = [x for x in operands if isinstance(x, Tensor) and x.undefined]
    if inherited:
        result.undefined = inherited[0].undefined
        return
    result.undefined = special_cause(
        result.op, values, value, [show(x) for x in operands], [underflowed(x) for x in operands]
    )


def underflowed(x):
    """Whether a traced value is 0 only by underflow (``exp(-800)``, ``sigmoid(-800)``)."""
    return (
        isinstance(x, Tensor)
        and x.op is not None
        and x.op.never_zero
        and x.value == 0
        and not any(isinstance(o, Tensor) and is_special(o.value) for o in x.operands)
    )


def tensor(value, requires_grad=False, name=None):
    """A leaf, the PyTorch way: ``tensor(2.0, requires_grad=True, name="w")``.

    As in ``torch.tensor``, it does not require grad unless asked.

    >>> w = tensor(2.0, requires_grad=True, name="w")
    >>> (w * 3).grad_fn, tensor(1.5).requires_grad
    (<MulBackward0>, False)
    """
    if name is not None and (not isinstance(name, str) or not name.isidentifier()):
        raise TraceError(f"tensor name must be an identifier, not {name!r}")
    if value is not None:
        value = check_number(value, "the value of a tensor")
    return Tensor(value, name=name, requires_grad=bool(requires_grad), line=caller_line())


def leaf(name, value=None, requires_grad=True):
    """Make a named leaf: an input or a weight, with a value or symbolic (``None``).

    >>> w = leaf("w", 0.5)
    >>> (w * 4).value
    2.0
    >>> leaf("x").value is None
    True
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise TraceError(f"leaf name must be an identifier, not {name!r}")
    name = unicodedata.normalize("NFKC", name)  # as Python reads names: "ｗ1" is w1
    if any(is_hidden(c) for c in name):
        raise TraceError(f"leaf name {name!r} has a character that shows as nothing")
    if value is not None:
        value = check_number(value, f"the value of leaf {name!r}")
    return Tensor(value, name=name, requires_grad=bool(requires_grad), line=caller_line())
