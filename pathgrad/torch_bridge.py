"""PyTorch as the referee, and PyTorch code explained.

:func:`replay` runs a traced graph again in real PyTorch (CPU, float64) so
that every gradient can be compared (``pathgrad explain FILE --check
torch``); :func:`from_torch` goes the other way: it walks a PyTorch loss's
``grad_fn`` graph and rebuilds it as traced values, so the same explanation
answers "why is ``w.grad`` what it is?" about real PyTorch code.

PyTorch is optional (``pip install "pathgrad[torch]"``); it is imported only here.
"""

import importlib.util
import math
import operator
from dataclasses import dataclass

from pathgrad.errors import PathgradError
from pathgrad.explanation import explain_tensor
from pathgrad.kernels import special_name
from pathgrad.ops import OPS
from pathgrad.passes import forward
from pathgrad.sums.paths import operations
from pathgrad.trace.traced import apply, tensor

INSTALL = (
    'PyTorch is not installed; install it with pip install "pathgrad[torch]" '
    "(or see pytorch.org for a CPU-only build)"
)
OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
#: grad_fn class name -> op table row name
BY_GRAD_FN = {op.grad_fn: name for name, op in OPS.items()} | {
    variant: name for name, op in OPS.items() for variant in op.grad_fn_variants.values()
}


def torch_available():

    return importlib.util.find_spec("torch") is not None


def import_torch():
    try:
        import torch
    except ImportError:
        raise PathgradError(INSTALL) from None
    return torch


def _run_op(torch, op, args):
    if op.torch in OPERATORS:
        return OPERATORS[op.torch](*args)
    if op.torch == "neg":
        return -args[0]
    function = getattr(torch, op.torch)
    if len(args) == 2:  # torch.maximum and friends take tensors on both sides
        args = [
            a if isinstance(a, torch.Tensor) else torch.tensor(a, dtype=torch.float64) for a in args
        ]
    return function(*args)


def replay(graph):
    """Run the graph again in PyTorch; return ``{node: torch tensor}``.

    Leaves become float64 tensors with the same ``requires_grad``; a leaf with
    no value cannot be replayed and raises :class:`PathgradError`. The pass is
    :func:`pathgrad.passes.forward`, with PyTorch running each operation.
    """
    torch = import_torch()

    def leaf(operation, value):
        data = graph.nodes[operation.node]
        if value is None:
            raise PathgradError(
                f"--check torch: {data['name']} has no value to give PyTorch",
                file=graph.graph.get("file"),
            )
        return torch.tensor(value, dtype=torch.float64, requires_grad=data["requires_grad"])

    def run(operation, args):
        return _run_op(torch, operation.op, args)

    return forward(operations(graph), leaf=leaf, run=run)


@dataclass
class TorchRow:
    """One line of the side-by-side table: pathgrad's number and PyTorch's."""

    name: str
    pathgrad: float | None
    torch: float | None
    grad_fn: tuple  # (pathgrad's, PyTorch's) for the loss row, else ()
    #: PyTorch left ``.grad`` as None: no path reaches the leaf, which pathgrad calls 0.
    grad_is_none: bool = False

    @property
    def agree(self):
        """Equal numbers, or the same IEEE special (inf, -inf, nan) on both sides.

        A gradient PyTorch leaves as ``None`` (the loss does not use the leaf)
        agrees with pathgrad's 0 from zero paths.
        """
        if self.grad_is_none:
            return self.pathgrad == 0
        if self.pathgrad is None or self.torch is None:
            return self.pathgrad is None and self.torch is None
        if not (math.isfinite(self.pathgrad) and math.isfinite(self.torch)):
            return special_name(self.pathgrad) == special_name(self.torch)
        return math.isclose(self.pathgrad, self.torch, rel_tol=1e-9, abs_tol=1e-12)


def check_torch(explanation):
    """Replay the explanation's graph in PyTorch and compare the loss and every gradient."""
    torch = import_torch()
    graph = explanation.graph
    tensors = replay(graph)
    loss = tensors[graph.graph["loss"]]
    loss.backward()
    by_name = {graph.nodes[n]["name"]: n for n in graph}
    rows = [
        TorchRow(
            explanation.loss,
            explanation.loss_value,
            _number(loss),
            (
                graph.nodes[graph.graph["loss"]]["grad_fn"],
                type(loss.grad_fn).__name__ if loss.grad_fn else None,
            ),
        )
    ]
    for name, gradient in explanation.gradients.items():
        grad = tensors[by_name[name]].grad
        rows.append(
            TorchRow(
                name,
                gradient.value,
                None if grad is None else _number(grad),
                (),
                grad_is_none=grad is None and gradient.path_count == 0,
            )
        )
    del torch
    return rows


def _number(t):
    return float(t.detach())


# -- from PyTorch ---------------------------------------------------------------------------
def from_torch(loss, names=None, **options):
    """Explain a loss computed in real PyTorch (scalar tensors).

    Walks ``loss.grad_fn`` and its ``next_functions``, maps each backward node
    to the op table, takes values from the leaves and the tensors PyTorch
    saved, and explains the rebuilt graph like a traced file.

    Parameters
    ----------
    loss : torch.Tensor
        A scalar that requires grad.
    names : dict, optional
        ``{tensor: "name"}`` for the leaves; others are named ``x0, x1, ...``.
    **options
        As for :func:`pathgrad.explain` (``wrt``, ``max_paths``, ``method``, ...).
    """
    return explain_tensor(rebuild(loss, names), **options)


def rebuild(loss, names=None):
    """The traced value equal to ``loss``, rebuilt from its ``grad_fn`` graph."""
    torch = import_torch()
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise PathgradError("from_torch needs a scalar torch.Tensor")
    if loss.grad_fn is None:
        raise PathgradError("from_torch: the loss has no grad_fn (does it require grad?)")
    return _Rebuilder(torch, names or {}).tensor_of(loss.grad_fn, float(loss.detach()))


class _Rebuilder:
    """Rebuild traced values from a PyTorch backward graph.

    PyTorch keeps what its backward needs, not every value: a number added
    to a tensor (``x + 1``) is not saved. So values are solved for first:
    bottom-up from the leaves and the numbers PyTorch saved, top-down from
    results it saved (an operand of a later multiplication, ``exp``'s result,
    the loss itself), until nothing more can be learnt.
    """

    def __init__(self, torch, names):
        self.torch = torch
        self.names = {id(t): n for t, n in names.items()}
        self.value = {}  # id(node) -> value
        self.constant = {}  # (id(node), slot) -> plain number
        self.leaves = 0

    def tensor_of(self, function, value):
        order = self._post_order(function)
        self.slots = {id(n): self._slots(n) for n in order}
        for node in order:
            self._learn(node)
        self.value.setdefault(id(function), value)
        self._solve(order)
        built = {}
        for node in order:
            built[id(node)] = self._build(node, built)
        return built[id(function)]

    def _post_order(self, root):
        order, seen, stack = [], set(), [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child, _ in reversed(node.next_functions):
                if child is not None and id(child) not in seen:
                    stack.append((child, False))
        return order

    def _slots(self, node):
        """pathgrad's operands: a child node, or None for a plain number."""
        kind = type(node).__name__
        children = [c for c, _ in node.next_functions]
        if kind == "AccumulateGrad":
            return []
        if kind not in BY_GRAD_FN:
            raise PathgradError(
                f"from_torch: PyTorch's {kind} is not an operation pathgrad "
                f"knows (it knows {', '.join(sorted(BY_GRAD_FN))})"
            )
        if kind == "RsubBackward1":  # c - x
            return [None, children[0]]
        if kind == "PowBackward0":  # x ** c
            return [children[0], None]
        if kind == "PowBackward2":  # c ** x
            return [None, children[0]]
        return children

    def _learn(self, node):
        """What PyTorch saved: leaf values, numbers, operand and result values."""
        kind = type(node).__name__
        if kind == "AccumulateGrad":
            self.value[id(node)] = float(node.variable.detach())
            return
        slots = self.slots[id(node)]
        saved = {
            a: self._saved(node, a)
            for a in ("_saved_self", "_saved_other", "_saved_result", "_saved_exponent")
        }
        if kind == "PowBackward0":
            self.constant[(id(node), 1)] = saved["_saved_exponent"]
        elif kind == "PowBackward2":
            self.constant[(id(node), 0)] = saved["_saved_self"]
            saved["_saved_self"] = None
        for attribute, slot in (("_saved_self", 0), ("_saved_other", 1)):
            if saved[attribute] is None or slot >= len(slots):
                continue
            if slots[slot] is None:
                self.constant[(id(node), slot)] = saved[attribute]
            else:
                self.value.setdefault(id(slots[slot]), saved[attribute])
        if saved["_saved_result"] is not None:
            self.value.setdefault(id(node), saved["_saved_result"])

    def _saved(self, node, attribute):
        try:
            value = getattr(node, attribute)
        except (AttributeError, RuntimeError):
            return None
        if isinstance(value, self.torch.Tensor):
            return float(value.detach()) if value.numel() == 1 else None
        return float(value) if isinstance(value, (int, float)) else None

    def _inputs(self, node):
        return [
            self.constant.get((id(node), i)) if c is None else self.value.get(id(c))
            for i, c in enumerate(self.slots[id(node)])
        ]

    def _solve(self, order):
        operations = [n for n in order if type(n).__name__ != "AccumulateGrad"]
        changed = True
        while changed:
            changed = False
            for node in operations:
                inputs, own = self._inputs(node), self.value.get(id(node))
                op = OPS[BY_GRAD_FN[type(node).__name__]]
                if own is None and None not in inputs:
                    try:
                        self.value[id(node)] = float(op.numeric(*inputs))
                        changed = True
                    except (ValueError, ZeroDivisionError, OverflowError):
                        pass
                elif own is not None and inputs.count(None) == 1 and op.name in ("add", "sub"):
                    self._solve_one(node, op.name, inputs, own)
                    changed = True
                elif own is not None and inputs == [None] and op.inverse:
                    try:
                        self.value[id(self.slots[id(node)][0])] = float(op.inverse(own))
                        changed = True
                    except (ValueError, ZeroDivisionError, OverflowError):
                        pass

    def _solve_one(self, node, name, inputs, own):
        missing = inputs.index(None)
        known = inputs[1 - missing]
        if name == "add":
            value = own - known
        else:
            value = known - own if missing == 1 else own + known
        child = self.slots[id(node)][missing]
        if child is None:
            self.constant[(id(node), missing)] = value
        else:
            self.value[id(child)] = value

    def _build(self, node, built):
        kind = type(node).__name__
        if kind == "AccumulateGrad":
            return self._leaf(node.variable)
        operands = []
        for i, child in enumerate(self.slots[id(node)]):
            if child is not None:
                operands.append(built[id(child)])
            elif self.constant.get((id(node), i)) is not None:
                operands.append(self.constant[(id(node), i)])
            else:
                raise PathgradError(
                    f"from_torch: PyTorch did not keep the plain number in {kind}, and it "
                    "cannot be worked out from the values it did keep; make that number a "
                    "tensor (torch.tensor(c, dtype=torch.float64)) so that it is a leaf"
                )
        return apply(BY_GRAD_FN[kind], *operands)

    def _leaf(self, variable):
        name = self.names.get(id(variable))
        if name is None:
            name, self.leaves = f"x{self.leaves}", self.leaves + 1
        return tensor(float(variable.detach()), requires_grad=variable.requires_grad, name=name)
