"""What each PyTorch backward node computes, rebuilt from scalars: one row per ``grad_fn``.

:mod:`pathgrad.torch_rebuild` walks a loss's ``grad_fn`` graph and calls the row of
:data:`RULES` for each backward node. A row turns its operands, each a :class:`Grid` (a
tensor of at most two dimensions held as a row-major list of scalars), into the node's
result: elementwise operations apply the op table per element, ``@`` is sums of products,
sums and means are additions, softmax, log_softmax, the negative log-likelihood and the
squared error are written from their scalar definitions. So every path of the rebuilt
graph is real and every edge a scalar local derivative. Shape operations (``.T``,
``view``, indexing, ``stack``) make no scalars: they rearrange their operand's.

A row receives ``b``, the rebuilder, for what only it knows: ``b.apply`` (record one
scalar operation), ``b.operand`` (an operand, or the value PyTorch saved for a number or
a tensor that needs no gradient), ``b.saved`` (a saved attribute) and ``b.shape`` (the
node's result shape, as PyTorch records it).

>>> g = Grid((2, 3), list(range(6)))
>>> g.at((1, 0)), transpose(g).shape, transpose(g).at((0, 1)), broadcast(Grid((3,), [7, 8, 9]), (2, 3)).items
(3, (3, 2), 3, [7, 8, 9, 7, 8, 9])
"""

import itertools
import math
from dataclasses import dataclass

from pathgrad.errors import PathgradError
from pathgrad.ops import OPS


@dataclass
class Grid:
    """A tensor of scalars: ``shape`` and its elements, row-major (traced values or numbers)."""

    shape: tuple
    items: list

    def at(self, index):
        """The element at ``index`` (a tuple, PyTorch's order)."""
        return self.items[flat(index, self.shape)]


def positions(shape):
    """Every index of a shape, row-major (``()`` once for a 0-d tensor)."""
    return itertools.product(*(range(n) for n in shape))


def flat(index, shape):
    """The row-major position of ``index`` in a tensor of ``shape``."""
    position = 0
    for i, n in zip(index, shape):
        position = position * n + i
    return position


def numel(shape):
    """How many elements a tensor of ``shape`` has."""
    return math.prod(shape)


def broadcast_shape(*shapes):
    """The shape PyTorch's broadcasting gives operands of these shapes."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    return tuple(max(dims) if min(dims) != 0 else 0 for dims in zip(*padded))


def broadcast(grid, shape):
    """``grid`` expanded to ``shape`` (the same scalars, repeated: no new nodes)."""
    if grid.shape == tuple(shape):
        return grid
    offset = len(shape) - len(grid.shape)
    items = [
        grid.at(tuple(0 if n == 1 else i for i, n in zip(index[offset:], grid.shape)))
        for index in positions(shape)
    ]
    return Grid(tuple(shape), items)


def transpose(grid):
    """A 2-D grid transposed; a 0-d or 1-d grid unchanged, as ``.T`` does."""
    if len(grid.shape) < 2:
        return grid
    rows, cols = grid.shape
    return Grid((cols, rows), [grid.at((i, j)) for j in range(cols) for i in range(rows)])


def total(b, items):
    """``items[0] + items[1] + ...``: one addition node per extra term."""
    result = items[0]
    for item in items[1:]:
        result = b.apply("add", result, item)
    return result


def reduce(b, grid, dims, keepdim, finish=None):
    """Sum ``grid`` over ``dims`` (all dims when empty), then ``finish(sum, count)``."""
    dims = sorted({d % max(len(grid.shape), 1) for d in dims} if dims else range(len(grid.shape)))
    kept = [d for d in range(len(grid.shape)) if d not in dims]
    groups = {}
    for index in positions(grid.shape):
        groups.setdefault(tuple(index[d] for d in kept), []).append(grid.at(index))
    shape = tuple(1 if d in dims else n for d, n in enumerate(grid.shape))
    shape = shape if keepdim else tuple(grid.shape[d] for d in kept)
    count = numel(grid.shape[d] for d in dims)
    items = [total(b, group) for group in groups.values()] or [0.0]
    if finish:
        items = [finish(item, count) for item in items]
    return Grid(shape, items)


# -- the rows ---------------------------------------------------------------------------------
def elementwise(name):
    """A row for an op table operation: broadcast the operands, apply per element."""

    def rule(b, node, ins):
        if b.saved(node, "_saved_alpha", 1) != 1:
            raise PathgradError(
                f"from_torch: {type(node).__name__} with alpha is not supported; "
                "write torch.add(x, y, alpha=a) as x + a * y"
            )
        operands = [b.operand(node, slot, ins) for slot in range(len(ins))]
        if len(operands) < OPS[name].arity:  # a number PyTorch kept as an attribute
            operands = b.numbers(node, operands)
        shape = broadcast_shape(*(g.shape for g in operands))
        grids = [broadcast(g, shape) for g in operands]
        return Grid(shape, [b.apply(name, *xs) for xs in zip(*(g.items for g in grids))])

    return rule


def _matmul(b, a, c):
    if len(a.shape) == 1 and len(c.shape) == 1:
        return Grid((), [_dot(b, a.items, c.items)])
    if len(c.shape) == 1:
        rows = [[a.at((i, k)) for k in range(a.shape[1])] for i in range(a.shape[0])]
        return Grid((a.shape[0],), [_dot(b, row, c.items) for row in rows])
    if a.shape[1] != c.shape[0]:
        raise PathgradError(f"from_torch: cannot multiply {a.shape} by {c.shape}")
    n, k, m = a.shape[0], a.shape[1], c.shape[1]
    items = [
        _dot(b, [a.at((i, p)) for p in range(k)], [c.at((p, j)) for p in range(k)])
        for i in range(n)
        for j in range(m)
    ]
    return Grid((n, m), items)


def _dot(b, xs, ys):
    return total(b, [b.apply("mul", x, y) for x, y in zip(xs, ys)])


def matmul(b, node, ins):
    """MmBackward0, MvBackward0, DotBackward0: sums of products."""
    return _matmul(b, b.operand(node, 0, ins), b.operand(node, 1, ins))


def addmm(b, node, ins):
    """AddmmBackward0 (``nn.Linear``): ``bias + mat1 @ mat2``, the bias broadcast."""
    if b.saved(node, "_saved_alpha", 1) != 1 or b.saved(node, "_saved_beta", 1) != 1:
        raise PathgradError("from_torch: addmm with alpha or beta other than 1 is not supported")
    product = _matmul(b, b.operand(node, 1, ins), b.operand(node, 2, ins))
    bias = broadcast(b.operand(node, 0, ins), product.shape)
    return Grid(product.shape, [b.apply("add", x, y) for x, y in zip(bias.items, product.items)])


def reshape(b, node, ins):
    """View, reshape, squeeze, unsqueeze, clone: the same scalars in PyTorch's new shape."""
    grid = ins[0]
    return Grid(b.shape(node), grid.items)


def expand(b, node, ins):
    """ExpandBackward0: the operand repeated to the recorded shape."""
    return broadcast(ins[0], b.shape(node))


def permute(b, node, ins):
    """TBackward0, TransposeBackward0, PermuteBackward0 on at most two dimensions."""
    grid = ins[0]
    dims = b.saved(node, "_saved_dims", None)
    if dims is not None and list(dims) == list(range(len(dims))):
        return grid
    pair = (b.saved(node, "_saved_dim0", 0), b.saved(node, "_saved_dim1", 1))
    if dims is None and len(grid.shape) == 2 and pair[0] % 2 == pair[1] % 2:
        return grid
    return transpose(grid)


def select(b, node, ins):
    """SelectBackward0: ``x[i]`` along one dimension."""
    grid, dim = ins[0], b.saved(node, "_saved_dim", 0) % len(ins[0].shape)
    index = b.saved(node, "_saved_index", 0) % grid.shape[dim]
    shape = grid.shape[:dim] + grid.shape[dim + 1 :]
    items = [grid.at(i[:dim] + (index,) + i[dim:]) for i in positions(shape)]
    return Grid(shape, items)


def slice_(b, node, ins):
    """SliceBackward0: ``x[start:end:step]`` along one dimension."""
    grid, dim = ins[0], b.saved(node, "_saved_dim", 0) % len(ins[0].shape)
    start, end = b.saved(node, "_saved_start", None), b.saved(node, "_saved_end", None)
    kept = range(*slice(start, end, b.saved(node, "_saved_step", 1)).indices(grid.shape[dim]))
    shape = grid.shape[:dim] + (len(kept),) + grid.shape[dim + 1 :]
    items = [grid.at(i[:dim] + (kept[i[dim]],) + i[dim + 1 :]) for i in positions(shape)]
    return Grid(shape, items)


def index(b, node, ins):
    """IndexBackward0: one integer list or boolean mask, or one integer list per dimension."""
    grid, indices = ins[0], list(b.saved(node, "_saved_indices", ()))
    if len(indices) == 1 and indices[0] is not None:
        picks = Grid(tuple(indices[0].shape), indices[0].reshape(-1).tolist())
        if indices[0].dtype == b.torch.bool:  # a mask: the elements where it is True
            chosen = [i for i in positions(picks.shape) if picks.at(i)]
            rest = grid.shape[len(picks.shape) :]
            items = [grid.at(i + r) for i in chosen for r in positions(rest)]
            return Grid((len(chosen), *rest), items)
        rest = grid.shape[1:]
        items = [grid.at((p % grid.shape[0], *r)) for p in picks.items for r in positions(rest)]
        return Grid((*picks.shape, *rest), items)
    if len(indices) == len(grid.shape) == 2 and None not in indices:
        rows, cols = (t.reshape(-1).tolist() for t in indices)
        items = [grid.at((r % grid.shape[0], c % grid.shape[1])) for r, c in zip(rows, cols)]
        return Grid(tuple(indices[0].shape), items)
    raise PathgradError(
        "from_torch: IndexBackward0 with this index is not supported (pathgrad reads one "
        "list of integers, a boolean mask, or one list of integers per dimension)"
    )


def stack(b, node, ins):
    """StackBackward0 and CatBackward0: operands joined along one dimension."""
    grids = [b.operand(node, slot, ins) for slot in range(len(ins))]
    dim = b.saved(node, "_saved_dim", 0)
    if type(node).__name__ == "StackBackward0":
        dim %= len(grids[0].shape) + 1
        grids = [Grid(g.shape[:dim] + (1,) + g.shape[dim:], g.items) for g in grids]
    dim %= len(grids[0].shape)
    shape = list(grids[0].shape)
    shape[dim] = sum(g.shape[dim] for g in grids)
    owner = [(g, i) for g in grids for i in range(g.shape[dim])]
    items = []
    for i in positions(shape):
        g, k = owner[i[dim]]
        items.append(g.at(i[:dim] + (k,) + i[dim + 1 :]))
    return Grid(tuple(shape), items)


def _rows(grid, dim):
    """The index lists of ``grid`` along ``dim``: one list per softmax row."""
    dim %= max(len(grid.shape), 1)
    if not grid.shape:
        return [[()]]
    other = [d for d in range(len(grid.shape)) if d != dim]
    lines = {}
    for i in positions(grid.shape):
        lines.setdefault(tuple(i[d] for d in other), []).append(i)
    return list(lines.values())


def _log_sum_exp_parts(b, grid, line):
    values = [grid.at(i) for i in line]
    top = max(_value(v) for v in values)
    shift = top if top > 500 else 0.0  # exp overflows past ~709: shift by a constant
    shifted = [b.apply("sub", v, shift) if shift else v for v in values]
    exps = [b.apply("exp", v) for v in shifted]
    return shifted, exps


def softmax(b, node, ins):
    """SoftmaxBackward0: ``exp(x_i) / sum_j exp(x_j)`` along the dimension."""
    grid, out = ins[0], {}
    for line in _rows(grid, b.saved(node, "_saved_dim", -1)):
        _, exps = _log_sum_exp_parts(b, grid, line)
        denominator = total(b, exps)
        out.update({i: b.apply("div", e, denominator) for i, e in zip(line, exps)})
    return Grid(grid.shape, [out[i] for i in positions(grid.shape)])


def log_softmax(b, node, ins):
    """LogSoftmaxBackward0: ``x_i - log(sum_j exp(x_j))`` along the dimension."""
    grid, out = ins[0], {}
    for line in _rows(grid, b.saved(node, "_saved_dim", -1)):
        shifted, exps = _log_sum_exp_parts(b, grid, line)
        log_total = b.apply("log", total(b, exps))
        out.update({i: b.apply("sub", s, log_total) for i, s in zip(line, shifted)})
    return Grid(grid.shape, [out[i] for i in positions(grid.shape)])


def _reduction(b, node, terms, count):
    """PyTorch's loss reductions: 0 none, 1 mean, 2 sum."""
    kind = b.saved(node, "_saved_reduction", 1)
    if kind == 0:
        return terms
    summed = total(b, terms.items) if terms.items else 0.0
    return Grid((), [b.apply("div", summed, count) if kind == 1 and count != 1 else summed])


def nll_loss(b, node, ins):
    """NllLossBackward0: ``-mean_i logp[i, target_i]`` (ignore_index skipped, no weights)."""
    if b.saved(node, "_saved_weight", None) is not None:
        raise PathgradError(
            "from_torch: class weights in NLLLoss/CrossEntropyLoss are not supported"
        )
    logp = b.operand(node, 0, ins)
    targets = [int(t) for t in b.saved(node, "_saved_target", None).reshape(-1).tolist()]
    ignore = b.saved(node, "_saved_ignore_index", -100)
    ignore = ignore - 2**64 if ignore >= 2**63 else ignore
    rows = [(i, t) for i, t in enumerate(targets) if t != ignore]
    picks = [logp.at((i, t) if len(logp.shape) == 2 else (t,)) for i, t in rows]
    terms = Grid((len(picks),), [b.apply("neg", p) for p in picks])
    return _reduction(b, node, terms, len(picks))


def mse_loss(b, node, ins):
    """MseLossBackward0: ``mean((input - target)**2)``."""
    pred, target = b.operand(node, 0, ins), b.operand(node, 1, ins)
    shape = broadcast_shape(pred.shape, target.shape)
    pairs = zip(broadcast(pred, shape).items, broadcast(target, shape).items)
    terms = Grid(shape, [b.apply("pow", b.apply("sub", p, t), 2) for p, t in pairs])
    return _reduction(b, node, terms, numel(shape))


def sum_(b, node, ins):
    """SumBackward0 (everything) and SumBackward1 (over ``dim``)."""
    dims = b.saved(node, "_saved_dim", ())
    return reduce(b, ins[0], tuple(dims or ()), b.saved(node, "_saved_keepdim", False))


def mean(b, node, ins):
    """MeanBackward0 and MeanBackward1: the sum, divided by the count."""
    dims = b.saved(node, "_saved_dim", ())

    def finish(item, count):
        return b.apply("div", item, count) if count != 1 else item

    return reduce(b, ins[0], tuple(dims or ()), b.saved(node, "_saved_keepdim", False), finish)


def _value(x):
    return x if isinstance(x, (int, float)) else x.value


#: Backward nodes that only rearrange scalars (their result makes no new node).
SHAPE_ONLY = {
    "ViewBackward0": reshape,
    "ReshapeAliasBackward0": reshape,
    "UnsafeViewBackward0": reshape,
    "UnsqueezeBackward0": reshape,
    "SqueezeBackward0": reshape,
    "SqueezeBackward1": reshape,
    "SqueezeBackward2": reshape,
    "SqueezeBackward3": reshape,
    "SqueezeBackward4": reshape,
    "CloneBackward0": reshape,
    "AliasBackward0": reshape,
    "ToCopyBackward0": reshape,
    "ExpandBackward0": expand,
    "TBackward0": permute,
    "TransposeBackward0": permute,
    "PermuteBackward0": permute,
    "SelectBackward0": select,
    "SliceBackward0": slice_,
    "IndexBackward0": index,
    "StackBackward0": stack,
    "CatBackward0": stack,
}

#: grad_fn class name -> the row that rebuilds it from scalars.
RULES = {
    **{op.grad_fn: elementwise(name) for name, op in OPS.items()},
    **{v: elementwise(name) for name, op in OPS.items() for v in op.grad_fn_variants.values()},
    "MmBackward0": matmul,
    "MvBackward0": matmul,
    "DotBackward0": matmul,
    "AddmmBackward0": addmm,
    "SumBackward0": sum_,
    "SumBackward1": sum_,
    "MeanBackward0": mean,
    "MeanBackward1": mean,
    "SoftmaxBackward0": softmax,
    "LogSoftmaxBackward0": log_softmax,
    "NllLossBackward0": nll_loss,
    "MseLossBackward0": mse_loss,
    **SHAPE_ONLY,
}
