"""PyTorch as the referee, and PyTorch code explained.

:func:`replay` runs a traced graph again in real PyTorch (CPU, float64) so
that every gradient can be compared (``pathgrad explain FILE --check
torch``); :func:`from_torch` goes the other way: it walks a PyTorch loss's
``grad_fn`` graph and rebuilds it as traced scalars (each tensor a grid of them:
:mod:`pathgrad.torch_rebuild`, with one rule per backward node in
:mod:`pathgrad.torch_modules`), so the same explanation answers "why is ``w.grad``
what it is?" about real PyTorch code, small ``nn`` models included.

PyTorch is optional (``pip install "pathgrad[torch]"``); it is imported only here.
"""

import importlib.util
import math
import operator
from collections.abc import Mapping
from dataclasses import dataclass

from pathgrad.errors import PathgradError
from pathgrad.explanation import explain_graph
from pathgrad.explanation.model import Note, Options
from pathgrad.graph import build_graph
from pathgrad.kernels import special_name
from pathgrad.passes import forward
from pathgrad.sums.paths import operations
from pathgrad.torch_rebuild import Rebuilder

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
    """Explain a loss computed in real PyTorch: scalars, or small models built of tensors.

    Walks ``loss.grad_fn`` and its ``next_functions`` and rebuilds every tensor as a grid
    of scalars (:mod:`pathgrad.torch_rebuild`, one row per backward node in
    :mod:`pathgrad.torch_modules`), so the explanation shows every path of every element.

    Parameters
    ----------
    loss : torch.Tensor
        A one-element tensor that requires grad (``nn.MSELoss()(model(x), y)``).
    names : dict, optional
        Names for the leaves, either way round: ``{"name": tensor}``, as
        ``dict(model.named_parameters())`` gives, or ``{tensor: "name"}``. An element of a
        named tensor is ``name[i,j]`` (``0.weight[1,2]``); unnamed leaves are ``x0, x1, ...``.
    **options
        As for :func:`pathgrad.explain` (``wrt``, ``max_paths``, ``method``, ...).

    The README's "From Python" section shows a ``nn.Sequential`` explained.
    """
    rebuilt, notes, leaves = rebuild_with_notes(loss, names)
    # every element of every leaf is in the graph: one the loss does not use has 0 paths
    graph = build_graph(rebuilt, unused=leaves)
    return explain_graph(graph, Options(**options), notes)


def rebuild(loss, names=None):
    """The traced value equal to ``loss``, rebuilt from its ``grad_fn`` graph."""
    return rebuild_with_notes(loss, names)[0]


def rebuild_with_notes(loss, names=None):
    """The rebuilt loss, the notes a reader needs (a number solved from the loss) and the
    scalars of every leaf."""
    torch = import_torch()
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        shape = f" of shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else ""
        raise PathgradError(
            f"from_torch needs a scalar torch.Tensor, not a tensor{shape}: "
            "reduce it with .sum() or .mean()"
            if shape
            else "from_torch needs a scalar torch.Tensor"
        )
    if loss.grad_fn is None:
        raise PathgradError("from_torch: the loss has no grad_fn (does it require grad?)")
    named = leaf_names(torch, names)
    value = float(loss.detach().reshape(-1)[0])
    tolerance = 1e-9 if loss.dtype == torch.float64 else 1e-4
    rebuilder = Rebuilder(torch, named, tolerance=tolerance)
    rebuilt = rebuilder.rebuild(loss.grad_fn, value)
    notes = []
    if rebuilder.missing:
        rebuilder, rebuilt, notes = _solve_from_loss(
            torch, loss, named, rebuilder.missing, tolerance
        )
    _cross_check(rebuilt.value, value, tolerance)
    return rebuilt, notes, rebuilder.leaf_scalars


def leaf_names(torch, names):
    """``(tensor, name)`` pairs from ``{name: tensor}`` or ``{tensor: name}``; else refuse."""
    if names is None:
        return []
    if not isinstance(names, Mapping):
        hint = " (wrap model.named_parameters() in dict(...))" if _pairs(names) else ""
        raise PathgradError(
            f"from_torch: names must be a dict, not {type(names).__name__}{hint}: "
            "{name: tensor} as dict(model.named_parameters()) gives, or {tensor: name}"
        )
    found = []
    for key, value in names.items():
        if isinstance(key, str) and isinstance(value, torch.Tensor):
            found.append((value, key))
        elif isinstance(key, torch.Tensor) and isinstance(value, str):
            found.append((key, value))
        else:
            raise PathgradError(
                f"from_torch: names maps {type(key).__name__} to {type(value).__name__}; "
                "give {name: tensor} (as dict(model.named_parameters()) gives) or {tensor: name}"
            )
    return found


def _pairs(names):
    return hasattr(names, "__next__") or isinstance(names, (list, tuple))


def _solve_from_loss(torch, loss, named, missing, tolerance):
    """One number PyTorch did not keep, solved from the loss (affine in it); else refuse."""
    if len(missing) > 1:
        kinds = ", ".join(sorted({kind for _, _, kind in missing}))
        raise PathgradError(
            f"from_torch: PyTorch did not keep the plain number in {kinds}, and it "
            "cannot be worked out from the values it did keep; make that number a "
            "tensor (torch.tensor(c, dtype=torch.float64)) so that it is a leaf"
        )
    node, slot, kind = missing[0]
    value = float(loss.detach().reshape(-1)[0])

    def trial(number, tolerance=None):
        rebuilder = Rebuilder(torch, named, {(node, slot): number}, tolerance)
        return rebuilder.rebuild(loss.grad_fn, value).value

    at_0, at_1 = trial(0.0), trial(1.0)
    number = (value - at_0) / (at_1 - at_0) if at_1 != at_0 else 0.0
    number = float(round(number)) if math.isclose(number, round(number), abs_tol=1e-9) else number
    rebuilder = Rebuilder(torch, named, {(node, slot): number}, tolerance)
    rebuilt = rebuilder.rebuild(loss.grad_fn, value)
    note = Note(
        None,
        f"PyTorch did not keep the number in {kind}; pathgrad solved it from the loss "
        f"as {number:g} (one number, the same for every element)",
    )
    return rebuilder, rebuilt, [note]


def _cross_check(ours, theirs, tolerance):
    """The rebuilt loss must be PyTorch's (to float32's precision for a float32 model)."""
    if ours is None or not (
        math.isclose(ours, theirs, rel_tol=tolerance, abs_tol=tolerance)
        or special_name(ours) == special_name(theirs) != special_name(0.0)
    ):
        raise PathgradError(
            f"from_torch: the rebuilt loss is {ours} but PyTorch's is {theirs}: a backward "
            "node was read wrongly or a number PyTorch did not keep was guessed wrongly; "
            "please report it with the model"
        )
