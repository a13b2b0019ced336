"""PyTorch's autograd, on traced values: ``backward()``, ``.grad``, ``grad_fn`` and friends.

Where pathgrad mirrors PyTorch it behaves exactly like it, quirks included:
gradients accumulate in ``.grad`` until you reset them; a second
``backward()`` through a graph without ``retain_graph=True`` fails with
PyTorch's own message, except where no operation on the way saved a tensor
(``y = x + 1`` can be back-propagated twice); ``no_grad()`` and
``detach()`` cut the graph.

>>> from pathgrad.trace.traced import tensor
>>> x = tensor(2.0, requires_grad=True, name="x")
>>> y = x * x + 1
>>> y.backward(retain_graph=True)
>>> x.grad, x.grad_expr
(4.0, 2*x)
>>> y.backward()
>>> x.grad
8.0
>>> y.grad_fn, y.grad_fn.next_functions[0][0].next_functions
(<AddBackward0>, ((<AccumulateGrad>, 0), (<AccumulateGrad>, 0)))
"""

import contextvars
import functools
import numbers
import weakref

import sympy

from pathgrad.passes import Operation, adjoints
from pathgrad.trace.provenance import caller_line, next_id

#: Whether operations are recorded for gradients (``no_grad()`` turns it off).
grad_enabled = contextvars.ContextVar("pathgrad_grad_enabled", default=True)

SECOND_BACKWARD = (
    "Trying to backward through the graph a second time (or directly access saved tensors "
    "after they have already been freed). Saved intermediate values of the graph are freed "
    "when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to "
    "backward through the graph a second time or if you need to access saved tensors after "
    "calling backward."
)
NO_GRAD_FN = "element 0 of tensors does not require grad and does not have a grad_fn"
MODIFIED = (
    "one of the variables needed for gradient computation has been modified by an inplace "
    "operation: {name} is at version {now}; expected version {then} instead (it was updated "
    "in place after {use} used it; call backward() before the update, as a training loop does)"
)


class no_grad:
    """Record no gradients inside ``with no_grad():`` (or a function decorated with it)."""

    def __enter__(self):
        self._token = grad_enabled.set(False)

    def __exit__(self, *exc):
        grad_enabled.reset(self._token)

    def __call__(self, function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return wrapper


class Grad(float):
    """A leaf's ``.grad``: a float that also has PyTorch's ``zero_()``.

    >>> from pathgrad.trace.traced import tensor
    >>> w = tensor(3.0, requires_grad=True, name="w")
    >>> (w * w).backward()
    >>> w.grad, w.grad.item(), w.grad.data.zero_(), w.grad, w.grad_expr
    (6.0, 6.0, 0.0, 0.0, None)
    """

    __slots__ = ("_owner",)

    def __new__(cls, value, owner):
        grad = super().__new__(cls, value)
        grad._owner = owner
        return grad

    def zero_(self):
        """Set the owner's gradient to 0 (its closed form too), as ``w.grad.zero_()``."""
        self._owner.grad = 0.0
        return self._owner.grad

    @property
    def data(self):
        """The gradient itself, so ``w.grad.data.zero_()`` works as in PyTorch."""
        return self

    def item(self):
        """The gradient as a plain float, as ``w.grad.item()``."""
        return float(self)


def update_in_place(t, value, line=None, _seen=None):
    """Give leaf ``t`` a new value, keeping its identity, as PyTorch's in-place update does.

    Values already computed from ``t`` keep the version they used: their
    operand becomes a snapshot of ``t`` as it was (so the last loss of a
    training loop is explained at the weights it was computed with), and
    ``t`` takes a new place in creation order.

    >>> from pathgrad.trace.traced import tensor
    >>> w = tensor(1.0, requires_grad=True, name="w")
    >>> loss = w * w
    >>> with no_grad():
    ...     w -= 0.5
    >>> w.value, w.version, loss.operands[0].value, loss.operands[0] is w
    (0.5, 1, 1.0, False)

    A detached value shares its source's storage (PyTorch's ``detach()``), so each
    changes with the other:

    >>> u = w.detach()
    >>> with no_grad():
    ...     w -= 0.25
    >>> u.value, u.line == w.line
    (0.25, False)
    >>> u *= 2.0  # u does not require grad: in place even with grad enabled, as PyTorch
    >>> w.value
    0.5
    """
    users = [u for u in (ref() for ref in t.users or ()) if u is not None]
    if users:
        before = t.snapshot()
        for u in users:
            u.operands = tuple(before if x is t else x for x in u.operands)
        before.live = weakref.ref(t)  # the same leaf in PyTorch: backward() adds into t
        t.earlier, t.id = before, next_id()
    t.users, t.value, t.line = None, value, line or caller_line()
    t.version += 1
    # u = w.detach() shares w's storage, as in PyTorch, both ways: updating either updates
    # the other (a cut value is still made on its own line)
    seen = {id(t)} if _seen is None else _seen | {id(t)}
    for alias in [a for a in (ref() for ref in t.aliases or ()) if a is not None]:
        if id(alias) not in seen:
            update_in_place(alias, value, alias.line if alias.cut else line, seen)


class Node:
    """A backward function, as PyTorch shows it: its class name is the ``grad_fn`` name."""

    __slots__ = ("_tensor",)

    def __init__(self, tensor):
        self._tensor = tensor

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name()}>"

    @property
    def next_functions(self):
        """``((node or None, 0), ...)`` in PyTorch's order for this operation."""
        t = self._tensor
        op, operands = t.op, t.operands
        tensors = [isinstance(x, type(t)) for x in operands]
        if len(operands) == 2 and not tensors[0] and tensors[1] and op.reflected:
            operands = (operands[1], operands[0]) if op.reflected == "swap" else (operands[1],)
        entries = []
        for x in operands:
            if isinstance(x, type(t)):
                entries.append((function_of(x), 0))
            elif op.scalar_slot:
                entries.append((None, 0))
        return tuple(entries)


class AccumulateGrad(Node):
    """Where a leaf's gradient is added into ``.grad``."""

    __slots__ = ()

    @property
    def variable(self):
        return self._tensor

    @property
    def next_functions(self):
        return ()


@functools.cache
def _node_class(name):
    return type(name, (Node,), {"__slots__": ()})


def function_of(t):
    """The node ``next_functions`` shows for tensor ``t``: its grad_fn, AccumulateGrad, or None."""
    if not t.requires_grad:
        return None
    if t.op is None:
        return AccumulateGrad(t)
    return grad_fn_of(t)


def grad_fn_of(t):
    """``t.grad_fn``: the backward node that made ``t`` (``None`` for a leaf), one per tensor."""
    if t.op is None or not t.requires_grad:
        return None
    if t._grad_fn is None:
        t._grad_fn = _node_class(t.grad_fn_name)(t)
    return t._grad_fn


def backward(t, retain_graph=False):
    """Accumulate ∂t/∂leaf into every leaf's ``.grad`` (and ``.grad_expr``), as PyTorch does."""
    if not t.requires_grad:
        raise RuntimeError(NO_GRAD_FN)
    tensors = collect([t])
    if any(x.op is not None and x.freed and x.op.saves_tensors for x in tensors):
        raise RuntimeError(SECOND_BACKWARD)
    # a leaf as it was before an in-place update is the same leaf in PyTorch
    live = {id(x): x.live() for x in tensors if x.op is None and x.live is not None}
    live = {k: v for k, v in live.items() if v is not None}
    _refuse_modified(tensors, live)
    values = gradient_values(t)
    t.backward_calls += 1
    receivers = [x for x in tensors if x.requires_grad and (x.op is None or x.retains_grad)]
    expressions = _symbolic_gradients(t, tensors, receivers)
    for x in receivers:  # accumulate, as PyTorch does; x.grad = None (or zero_()) starts again
        into = live.get(id(x), x)
        g, fresh = values.get(x.id), into.grad is None or into.grad_expr is None
        expr = expressions[x.id] if fresh else into.grad_expr + expressions[x.id]
        into.grad = g if fresh or g is None else into.grad + g
        into.grad_expr = expr
        into.grad_calls = 1 if fresh else into.grad_calls + 1
    if not retain_graph:
        for x in tensors:
            x.freed = True


def collect(outputs):
    """Every tensor the outputs depend on, in creation order (operands first).

    The walk stops at a value that does not require grad (a ``detach()``, a
    result computed under ``no_grad()``): gradients cannot flow past it, so
    it is a leaf of the graph.
    """
    seen, stack = {}, list(outputs)
    while stack:
        t = stack.pop()
        if t.id not in seen:
            seen[t.id] = t
            if t.requires_grad:
                stack.extend(x for x in t.operands if not isinstance(x, numbers.Number))
    return [seen[i] for i in sorted(seen)]


def operations(output):
    """What ``output`` depends on, as a computation for :mod:`pathgrad.passes`.

    Tensors are named by their ``id``; a value that does not require grad is a leaf.
    """
    for t in collect([output]):
        if t.is_leaf:
            yield Operation(t.id, value=t.value)
            continue
        operands = tuple(
            x.id if not isinstance(x, numbers.Number) else float(x) for x in t.operands
        )
        traced = tuple(not isinstance(x, numbers.Number) for x in t.operands)
        yield Operation(t.id, t.op, operands, t.value, traced)


def gradient_values(output):
    """∂output/∂t at the traced values for every tensor t, by one reverse pass.

    Numbers only, from :func:`pathgrad.passes.adjoints` (PyTorch's backward
    formulas): what PyTorch's ``backward()`` computes. ``None`` where a value is
    unknown or undefined.

    >>> from pathgrad.trace.traced import leaf
    >>> a = leaf("a", 3.0)
    >>> b = leaf("b", 2.0)
    >>> grads = gradient_values(a * a * b)
    >>> grads[a.id], grads[b.id]
    (12.0, 9.0)
    """
    return adjoints(operations(output), output.id)


def _refuse_modified(tensors, live):
    """PyTorch's version check: an operation whose backward needs an operand's value (it
    saved it) fails if that leaf was updated in place since. Which operands are needed is
    read off the op table: those its local derivatives (for operands that require grad)
    depend on, unless it saves its result instead (exp, sqrt, tanh, sigmoid, relu)."""
    for u in tensors:
        if u.op is None or u.op.saves_result or not any(id(o) in live for o in u.operands):
            continue
        symbols = sympy.symbols(f"a0:{len(u.operands)}")
        needed = set()
        for j, other in enumerate(u.operands):
            if getattr(other, "requires_grad", False):
                needed |= u.op.partials[j](*symbols).free_symbols
        for i, operand in enumerate(u.operands):
            if id(operand) in live and symbols[i] in needed:
                now = live[id(operand)]
                raise RuntimeError(
                    MODIFIED.format(
                        name=operand.name or "a leaf",
                        now=now.version,
                        then=operand.version,
                        use=u.op.grad_fn,
                    )
                )


def _symbolic_gradients(t, tensors, receivers):
    """Closed forms of ∂t/∂x for the receivers, in leaf symbols when small."""
    # ``.grad_expr`` is the explanation's closed form, which sits above the trace in the
    # flow: imported when backward() asks for it, as a display hook is
    from pathgrad.explanation import explain_graph
    from pathgrad.explanation.model import Options
    from pathgrad.graph import build_graph
    from pathgrad.sums.methods import summed_by

    graph = build_graph(t)
    index = {x.id: i for i, x in enumerate(tensors)}
    wanted = [graph.nodes[index[x.id]]["name"] for x in receivers if x.op is None]
    explanation = explain_graph(graph, Options(wrt=wanted, max_paths=0))
    by_node = {index[x.id]: x.id for x in receivers}
    result = {}
    for node, tensor_id in by_node.items():
        name = graph.nodes[node]["name"]
        if name in explanation.gradients:
            result[tensor_id] = explanation.gradients[name].closed_form
        else:  # a non-leaf that retains its grad: its adjoint in the graph's own names
            result[tensor_id] = summed_by(graph, node, "reverse", ledger=False)[0]
    return result
