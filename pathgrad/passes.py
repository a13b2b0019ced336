"""The numeric passes over a computation: forward replay and the reverse (VJP) pass.

One implementation for every place pathgrad needs numbers from a computation:
``backward()`` on traced values (:mod:`pathgrad.trace.autograd`), the explanation's
gradient values and the reasons for undefined ones (:func:`pathgrad.sums.paths.adjoint_values`),
the step player's backward frames (:mod:`pathgrad.pictures.frames`), the
finite-difference replay of the checks (:mod:`pathgrad.sums.check`) and the PyTorch
replay of ``--check torch`` (:mod:`pathgrad.torch_bridge`, which brings its own way to
run an operation).

A computation is a sequence of :class:`Operation` records in an order where every
operand comes before its consumers (the order the operations ran). The traced values
(:func:`pathgrad.trace.autograd.operations`) and the graph (:func:`pathgrad.sums.paths.operations`)
each give one. The reverse pass is the one PyTorch's engine runs: from the output
(∂out/∂out = 1) down, each operation sends its adjoint through its operands'
vector–Jacobian products (the op table's ``vjp``, PyTorch's backward formulas); the
first contribution to an operand is taken as it is (so -0.0 stays -0.0), later ones
are added.

>>> from pathgrad.ops import OPS
>>> a, b = Operation("a", value=3.0), Operation("b", value=2.0)
>>> aa = Operation("aa", OPS["mul"], ("a", "a"), 9.0)
>>> out = Operation("out", OPS["mul"], ("aa", "b"), 18.0)
>>> computation = [a, b, aa, out]
>>> forward(computation, {"a": 4.0})["out"]
32.0
>>> adjoints(computation, "out") == {"out": 1.0, "aa": 2.0, "b": 9.0, "a": 12.0}
True
"""

from collections.abc import Hashable, Iterator
from dataclasses import dataclass

from pathgrad.ops import Op


@dataclass(frozen=True)
class Operation:
    """One node of a computation: a leaf (``op`` is ``None``) or an operation.

    ``operands`` are the keys of earlier nodes, or plain numbers (floats) written in
    the program; ``value`` is the value the trace computed (``None``: unknown).
    """

    node: Hashable
    op: Op | None = None
    operands: tuple = ()
    value: float | None = None
    traced: tuple = ()  # which operands are nodes (not plain numbers); filled if omitted

    def __post_init__(self):
        if not self.traced:
            traced = tuple(not isinstance(o, float) for o in self.operands)
            object.__setattr__(self, "traced", traced)


def _run_op(operation, args):
    """The op table's forward rule: PyTorch's float64 value, ``None`` if an input is unknown."""
    return None if None in args else operation.op.forward(args, operation.traced)


def forward(operations, values=None, *, leaf=None, run=None):
    """Every node's value, recomputed from the leaves' in one forward pass.

    Parameters
    ----------
    operations : iterable of Operation
        In an order where operands come first.
    values : dict, optional
        Values to use instead of the traced ones (a finite difference's step), for leaves
        or for computed nodes (then what they are computed from does not matter).
    leaf : callable, optional
        ``leaf(operation, value)`` makes a leaf's value in another world (a PyTorch
        tensor); default: the value itself.
    run : callable, optional
        ``run(operation, args)`` runs one operation; default: the op table's forward
        rule, ``None`` where an input is unknown.

    Returns
    -------
    dict
        ``{node: value}``.
    """
    values, result = values or {}, {}
    for o in operations:
        if o.op is None:
            value = values.get(o.node, o.value)
            result[o.node] = value if leaf is None else leaf(o, value)
            continue
        if o.node in values:  # a value held at a given number (∂L/∂x3's finite difference)
            result[o.node] = values[o.node]
            continue
        args = [result[x] if t else x for x, t in zip(o.operands, o.traced)]
        result[o.node] = (run or _run_op)(o, args)
    return result


@dataclass(frozen=True)
class Send:
    """One step of the reverse pass: ``consumer`` sends its adjoint down one edge.

    ``contribution`` is the vector–Jacobian product for operand ``position``
    (``None``: undefined, an input is unknown); ``before`` and ``after`` are the
    operand's accumulated adjoint around this step (``before`` is ``None`` the first
    time an edge reaches the operand, and ``after`` is ``None`` once undefined).
    """

    consumer: Hashable
    operand: Hashable
    position: int
    adjoint: float | None
    contribution: float | None
    before: float | None
    first: bool
    after: float | None


def reverse(operations, output) -> Iterator[Send]:
    """The reverse pass from ``output``: every edge's :class:`Send`, consumers from the
    output down (the reverse of ``operations``), each consumer's edges in operand order.

    Nodes the output does not depend on send nothing.
    """
    operations = list(operations)
    value = {o.node: o.value for o in operations}
    adjoint = {output: 1.0}
    for o in reversed(operations):
        if o.op is None or o.node not in adjoint:
            continue
        g = adjoint[o.node]
        inputs = [value[x] if t else x for x, t in zip(o.operands, o.traced)]
        known = g is not None and o.value is not None and None not in inputs
        for position, (x, t) in enumerate(zip(o.operands, o.traced)):
            if not t:
                continue
            step = o.op.vjp(position, g, inputs, o.value, o.traced) if known else None
            first = x not in adjoint
            before = adjoint.get(x)
            if step is None or (not first and before is None):
                after = None
            else:
                after = step if first else before + step
            adjoint[x] = after
            yield Send(o.node, x, position, g, step, before, first, after)


def adjoints(operations, output):
    """∂output/∂node for every node the output depends on, by :func:`reverse`.

    ``None`` where undefined (an unknown value on the way); nodes the output does not
    depend on are absent (their gradient is 0, or ``None`` in PyTorch's ``.grad``).
    """
    result = {output: 1.0}
    for send in reverse(operations, output):
        result[send.operand] = send.after
    return result
