"""Rebuild a PyTorch loss's ``grad_fn`` graph as pathgrad's scalar traced values.

Each tensor of the backward graph becomes a :class:`~pathgrad.torch_modules.Grid` of
scalars (at most two dimensions), made by the row of :data:`pathgrad.torch_modules.RULES`
for its backward node, with every scalar marked by a :class:`~pathgrad.trace.parts.Part`
(which element of which tensor operation it is). Values are pathgrad's own: each scalar is
computed from its operands as it is recorded, starting from the leaves' values.

PyTorch keeps what its backward needs, not every number: ``x + 2`` keeps no 2. A number
is taken from the node's saved attributes, else solved from the node's result where a
later node saved it (the operand of a multiplication, ``tanh``'s result ...), else, when
exactly one such number is missing, solved from the loss (the loss is then affine in it).
"""

import math

from pathgrad.errors import PathgradError
from pathgrad.ops import OPS
from pathgrad.torch_modules import RULES, SHAPE_ONLY, Grid, broadcast, numel, positions, reshape
from pathgrad.trace.parts import Part
from pathgrad.trace.traced import Tensor, apply

#: The most scalar nodes a rebuilt graph may have: every path of every element is shown.
MAX_NODES = 20_000

#: Operand slot -> the attribute in which PyTorch saves that operand's value.
SAVED_INPUTS = {
    "MulBackward0": {0: "_saved_self", 1: "_saved_other"},
    "DivBackward0": {0: "_saved_self", 1: "_saved_other"},
    "PowBackward1": {0: "_saved_self", 1: "_saved_exponent"},
    "MaximumBackward0": {0: "_saved_self", 1: "_saved_other"},
    "MinimumBackward0": {0: "_saved_self", 1: "_saved_other"},
    "PowBackward0": {0: "_saved_self"},
    "LogBackward0": {0: "_saved_self"},
    "SinBackward0": {0: "_saved_self"},
    "CosBackward0": {0: "_saved_self"},
    "AbsBackward0": {0: "_saved_self"},
    "AddmmBackward0": {1: "_saved_mat1", 2: "_saved_mat2"},
    "MmBackward0": {0: "_saved_self", 1: "_saved_mat2"},
    "MvBackward0": {0: "_saved_self", 1: "_saved_vec"},
    "DotBackward0": {0: "_saved_self", 1: "_saved_tensor"},
    "MseLossBackward0": {0: "_saved_self", 1: "_saved_target"},
    "NllLossBackward0": {0: "_saved_self"},
}
#: For @: operand slot -> the axis of its shape that is the inner (summed) dimension.
INNER = {
    "AddmmBackward0": {1: -1, 2: 0},
    "MmBackward0": {0: -1, 1: 0},
    "MvBackward0": {0: -1, 1: 0},
    "DotBackward0": {0: 0, 1: 0},
}
#: Where PyTorch keeps a plain number that is not a node: (its slot, the attribute).
NUMBERS = {
    "PowBackward0": (1, "_saved_exponent"),
    "PowBackward2": (0, "_saved_self"),
    "RsubBackward1": (0, None),
}

#: grad_fn -> the inverse of that one-operand op table operation (``atanh`` for tanh ...)
INVERSES = {op.grad_fn: op.inverse for op in OPS.values() if op.arity == 1 and op.inverse}


class Rebuilder:
    """One rebuild: the walk, the values PyTorch kept, the scalars made so far.

    Parameters
    ----------
    torch : module
        The ``torch`` module.
    names : list
        ``(tensor, name)`` pairs for leaves.
    guesses : dict, optional
        Values to use for numbers nothing says (``{(node id, slot): number}``).
    tolerance : float
        How closely rebuilt values must match those PyTorch saved (relative and absolute):
        ``None`` compares nothing (a trial with a guessed number).
    """

    def __init__(self, torch, names, guesses=None, tolerance=1e-9):
        self.torch = torch
        self.named = names
        self.names = {id(t): name for t, name in names}
        # a named result (h = model[0](x)): its elements' Part says h
        self.results = {id(t.grad_fn): name for t, name in names if t.grad_fn is not None}
        self.guesses = guesses or {}
        self.tolerance = tolerance
        self.missing = []  # (node id, slot, kind) of numbers nothing says
        self.known = {}  # id(node) -> Grid of floats: the node's result, as PyTorch kept it
        self.kept = set()  # the ids in known whose values PyTorch saved as they are
        self.count = 0  # scalar nodes made
        self.stems = {}  # made tensor names: stem -> how many so far
        self.leaves = 0
        self.leaf_scalars = []  # every element of every leaf, used by the loss or not
        self.made = []

    # -- the walk -------------------------------------------------------------------------
    def rebuild(self, root, loss_value):
        """The scalar traced value equal to the loss at ``root``.

        Parameters
        ----------
        root : torch.autograd.graph.Node
            The loss's ``grad_fn``.
        loss_value : float
            The loss's value, which solves numbers PyTorch did not keep.

        Returns
        -------
        pathgrad.trace.traced.Tensor
            The rebuilt loss; :attr:`leaf_scalars` holds every element of every leaf and
            :attr:`missing` the numbers nothing said (a guess of 0 stands for each).
        """
        order = post_order(root)
        variables = [n.variable for n in order if type(n).__name__ == "AccumulateGrad"]
        self.unused = [
            t
            for t, _ in self.named
            if t.is_leaf and t.requires_grad and all(t is not v for v in variables)
        ]
        unknown = sorted({type(n).__name__ for n in order} - set(RULES) - {"AccumulateGrad"})
        if unknown:
            raise PathgradError(
                f"from_torch: PyTorch's {unknown[0]} is not an operation pathgrad rebuilds "
                f"(it knows {', '.join(sorted(RULES))})"
            )
        self._guard_size(order)
        self._learn(order, root, loss_value)
        built = {}
        for node in order:
            built[id(node)] = self._build(node, built)
            if id(node) in self.kept and self.tolerance is not None:
                self._compare(node, built[id(node)])
        for tensor in self.unused:  # named leaves the loss does not use: 0 paths each
            self.leaf(tensor)
        return built[id(root)].items[0]

    def _compare(self, node, grid):
        """Our values must be those PyTorch saved for the node (a misread node fails here)."""
        theirs = self.known[id(node)].items
        ours = [x if isinstance(x, float) else x.value for x in grid.items]
        for a, b in zip(ours, theirs):
            if (
                math.isfinite(a)
                and math.isfinite(b)
                and not math.isclose(a, b, rel_tol=self.tolerance, abs_tol=self.tolerance)
            ):
                raise PathgradError(
                    f"from_torch: the rebuilt {type(node).__name__} has {a!r} where PyTorch "
                    f"saved {b!r}; please report it with the model"
                )

    def _guard_size(self, order):
        """Refuse before building when the estimated size passes :data:`MAX_NODES`."""
        size = sum(self._estimate(node) for node in order)
        if size > MAX_NODES:
            self._too_big(f"about {size:,}")

    def _estimate(self, node):
        """Scalar nodes a backward node will make: a product and a sum per inner term of @."""
        kind = type(node).__name__
        if kind in SHAPE_ONLY:
            return 0
        out = numel(self.shape(node))
        inner = INNER.get(kind)
        if inner is None:
            return out
        for slot, axis in inner.items():
            child = node.next_functions[slot][0]
            if child is not None:
                return out * 2 * self.shape(child)[axis] + out
        return out

    def _too_big(self, size):
        raise PathgradError(
            f"from_torch: the rebuilt graph would have {size} scalar nodes, past the limit "
            f"of {MAX_NODES:,} (every path of every element is shown); explain a smaller "
            "model or batch"
        )

    def _build(self, node, built):
        kind = type(node).__name__
        if kind == "AccumulateGrad":
            return self.leaf(node.variable)
        ins = [None if c is None else built[id(c)] for c, _ in node.next_functions]
        self.made = []
        grid = RULES[kind](self, node, ins)
        if len(grid.shape) > 2:
            raise PathgradError(
                f"from_torch: {kind} makes a tensor of shape {tuple(grid.shape)}; pathgrad "
                "rebuilds tensors of at most 2 dimensions"
            )
        self._mark(node, grid)
        return grid

    def _mark(self, node, grid):
        """Give each scalar this node made its Part: an element, or the element it feeds.

        The tensor is the name given to it in ``names``, else one made from its operation
        (``addmm_1``).
        """
        if not self.made:
            return
        kind = type(node).__name__
        stem = kind.removesuffix("Backward0").removesuffix("Backward1").lower()
        self.stems[stem] = self.stems.get(stem, 0) + 1
        name = self.results.get(id(node), f"{stem}_{self.stems[stem]}")
        made, shape = {id(x) for x in self.made}, tuple(grid.shape)
        for index, element in zip(positions(grid.shape), grid.items):
            if id(element) not in made or element.part is not None:
                continue  # an element shared with an operand (a view): it keeps its own part
            element.part = Part(name, kind, shape, index)
            stack = list(element.operands)
            while stack:  # the values made on the way to it: inside this operation
                x = stack.pop()
                if id(x) in made and getattr(x, "part", True) is None:
                    x.part = Part(name, kind, shape, index, inside=True)
                    stack.extend(x.operands)
        first = next(iter(positions(grid.shape)), ())
        for x in self.made:  # made but leading to no element (a value PyTorch discards)
            if x.part is None:
                x.part = Part(name, kind, shape, first, inside=True)

    def leaf(self, variable):
        """The grid of a leaf tensor: scalar leaves named by element (``W[0,1]``)."""
        shape = tuple(variable.shape)
        if len(shape) > 2:
            raise PathgradError(
                f"from_torch: a leaf has shape {shape}; pathgrad rebuilds tensors of at "
                "most 2 dimensions"
            )
        name = self.names.get(id(variable))
        while name is None or (name in self.names.values() and id(variable) not in self.names):
            name, self.leaves = f"x{self.leaves}", self.leaves + 1
        values = [float(v) for v in variable.detach().reshape(-1).tolist()]
        grid = Grid(shape, [])
        for index, value in zip(positions(shape), values):
            part = Part(name, None, shape, index)
            scalar = Tensor(value, name=part.element, requires_grad=variable.requires_grad)
            scalar.part = part
            grid.items.append(scalar)
        self.leaf_scalars.extend(grid.items)
        self._count(len(values))
        return grid

    # -- what the rows ask ----------------------------------------------------------------
    def apply(self, name, *operands):
        """Record one scalar operation of the op table (counted against the size limit)."""
        self._count(1)
        result = apply(name, *operands)
        self.made.append(result)
        return result

    def _count(self, n):
        self.count += n
        if self.count > MAX_NODES:
            self._too_big(f"more than {MAX_NODES:,}")

    def saved(self, node, attribute, default):
        """A saved attribute of a backward node, or ``default``."""
        try:
            value = getattr(node, attribute)
        except AttributeError:
            return default
        except RuntimeError as err:
            if "freed" in str(err):
                raise PathgradError(
                    "from_torch: PyTorch has freed the values it saved for backward "
                    "(loss.backward() ran); call from_torch before backward(), or use "
                    "backward(retain_graph=True)"
                ) from None
            return default
        return default if value is None else value

    def shape(self, node):
        """The node's result shape, as PyTorch records it for the gradient it receives."""
        try:
            return tuple(node._input_metadata[0].shape)
        except (AttributeError, IndexError, TypeError):
            variable = getattr(node, "variable", None)
            if variable is not None:
                return tuple(variable.shape)
            raise PathgradError(
                "from_torch: this PyTorch does not say the shape of a "
                f"{type(node).__name__} result; pathgrad needs PyTorch 2"
            ) from None

    def grid(self, value):
        """A saved tensor or number as a :class:`Grid` of floats."""
        if isinstance(value, self.torch.Tensor):
            values = value.detach().reshape(-1).tolist()
            return Grid(tuple(value.shape), [float(v) for v in values])
        return Grid((), [float(value)])

    def operand(self, node, slot, ins):
        """Operand ``slot``: its grid, or what PyTorch saved of a number or constant tensor."""
        if ins[slot] is not None:
            return ins[slot]
        attribute = SAVED_INPUTS.get(type(node).__name__, {}).get(slot)
        value = self.saved(node, attribute, None) if attribute else None
        if value is not None:
            return self.grid(value)
        return self._solve(node, slot, ins)

    def numbers(self, node, operands):
        """Operands with the plain number PyTorch keeps apart (``x ** 2``, ``2 - x``)."""
        slot, attribute = NUMBERS[type(node).__name__]
        value = self.saved(node, attribute, None) if attribute else None
        number = self.grid(value) if value is not None else None
        operands = list(operands)
        operands.insert(slot, number)
        if number is None:
            operands[slot] = self._solve(node, slot, operands)
        return operands

    def _solve(self, node, slot, operands):
        """A number PyTorch did not keep, from the node's result and its other operand."""
        kind = type(node).__name__
        known = self.known.get(id(node))
        others = [g for i, g in enumerate(operands) if i != slot and g is not None]
        if known is not None and kind in ("AddBackward0", "SubBackward0", "RsubBackward1"):
            other = broadcast(others[0], known.shape).items
            values = [x if isinstance(x, float) else x.value for x in other]
            if kind == "AddBackward0":
                found = [k - v for k, v in zip(known.items, values)]
            elif slot == 1:  # a - c
                found = [v - k for k, v in zip(known.items, values)]
            else:  # c - a
                found = [k + v for k, v in zip(known.items, values)]
            return Grid(known.shape, found)
        if others and others[0].shape != self.shape(node):  # a tensor, broadcast: not one number
            raise PathgradError(
                f"from_torch: PyTorch did not keep the tensor in {kind}, and it cannot be "
                "worked out from the values it did keep; make it a leaf that requires grad "
                "(.requires_grad_())"
            )
        self.missing.append((id(node), slot, kind))
        return Grid((), [self.guesses.get((id(node), slot), 0.0)])

    # -- what PyTorch kept ----------------------------------------------------------------
    def _learn(self, order, root, loss_value):
        """Results PyTorch kept: leaves, saved results and saved operands, and the loss."""
        self.known[id(root)] = Grid(self.shape(root), [loss_value] * numel(self.shape(root)))
        for node in order:
            kind = type(node).__name__
            result = self.saved(node, "_saved_result", None)
            if isinstance(result, self.torch.Tensor):
                self.known.setdefault(id(node), self.grid(result))
                self.kept.add(id(node))
            children = [c for c, _ in node.next_functions]
            for slot, attribute in SAVED_INPUTS.get(kind, {}).items():
                value = self.saved(node, attribute, None)
                if slot < len(children) and children[slot] is not None and value is not None:
                    self.known.setdefault(id(children[slot]), self.grid(value))
                    self.kept.add(id(children[slot]))
        for node in reversed(order):  # down through inverses and reshapes
            self._learn_below(node)

    def _learn_below(self, node):
        known, kind = self.known.get(id(node)), type(node).__name__
        children = [c for c, _ in node.next_functions]
        if known is None or len(children) != 1 or children[0] is None:
            return
        child = children[0]
        if id(child) in self.known:
            return
        if SHAPE_ONLY.get(kind) is reshape:
            self.known[id(child)] = Grid(self.shape(child), known.items)
            return
        op = INVERSES.get(kind)
        if op is not None:
            try:
                self.known[id(child)] = Grid(known.shape, [float(op(v)) for v in known.items])
            except (ValueError, ZeroDivisionError, OverflowError):
                pass


def post_order(root):
    """Every backward node below ``root``, each after the nodes it uses."""
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
