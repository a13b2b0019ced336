"""The vector–Jacobian products of matrix products: ``@`` and ``nn.Linear``'s addmm.

``z = A·B`` sends ``δ·Bᵀ`` to ``A`` and ``Aᵀ·δ`` to ``B`` — the transposes a student
must get right by hand. Which tensor is ``A`` and which ``B``, and whether one was used
transposed (``x @ W.T``, ``nn.Linear``'s weight), is read from the scalar products.
"""

from pathgrad.sums import matrix_algebra as m
from pathgrad.sums.tensor_exprs import NoRule, forward, operands, targets, unbroadcast


def matmul(graph, groups, group, delta):
    a, b = operands(groups, group, 2)
    a, b = _oriented(graph, groups, group, a, 0), _oriented(graph, groups, group, b, 1)
    if group.grad_fn == "DotBackward0":
        da, db = m.times(delta, b), m.times(delta, a)
    elif len(groups[group.operands[0][1]].shape) == 1 and group.grad_fn == "MmBackward0":
        da, db = m.matmul(b, delta), m.matmul(a, m.transpose(delta))  # x @ W: Wᵀ·x
    else:
        da, db = m.matmul(delta, m.transpose(b)), m.matmul(m.transpose(a), delta)
    da = _unorient(graph, groups, group, da, 0)
    db = _unorient(graph, groups, group, db, 1)
    return [(target, d) for target, d in zip(targets(group, 2), (da, db)) if target]


def addmm(graph, groups, group, delta):
    """``bias + mat1 @ mat2``: what ``nn.Linear`` records (``input @ weightᵀ + bias``).

    The roles are read from the scalar graph: the products' first and second factors
    are ``mat1`` and ``mat2`` (a factor that is a plain number is the input, shown as the
    constant ``input``), what the sums add besides is the bias.
    """
    products = [link for link in group.links if graph.nodes[link[0]]["grad_fn"] == "MulBackward0"]
    owner = {o: _owner(graph, o) for _, o, _ in group.links}
    role = {position: owner[o] for _, o, position in products}
    bias = {owner[o] for c, o, _ in group.links if graph.nodes[c]["grad_fn"] != "MulBackward0"}
    if 1 not in role or len(bias) > 1:
        raise NoRule("an addmm whose roles cannot be read")
    turned = _orientation(graph, groups, group, 1, products)
    mat2 = forward(groups, role[1])
    mat2 = m.transpose(mat2) if turned else mat2
    mat1 = forward(groups, role[0]) if 0 in role else _input(graph, products, turned, mat2)
    sent = [(name, unbroadcast(delta, groups[name].shape, group.shape)) for name in bias]
    if 0 in role:
        sent.append((role[0], m.matmul(delta, m.transpose(mat2))))
    weight = m.matmul(m.transpose(mat1), delta)
    return [*sent, (role[1], m.transpose(weight) if turned else weight)]


def _owner(graph, node):
    data = graph.nodes[node]
    return data["name"] if data["part"] is None else data["part"].tensor


def _input(graph, products, turned, mat2):
    """The constant first factor of the products (the input), as the matrix ``input``."""
    rows = 1 + max(graph.nodes[c]["part"].index[0] for c, _, _ in products)
    grid = [[0.0] * mat2.shape[0] for _ in range(rows)]
    for consumer, operand, _ in products:
        number = graph.nodes[consumer]["operands"][0]
        if not isinstance(number, float):
            raise NoRule("a product of two tensors in an addmm")
        index = graph.nodes[operand]["part"].index
        grid[graph.nodes[consumer]["part"].index[0]][index[1] if turned else index[0]] = number
    return m.Const("input", tuple(map(tuple, grid)), (rows, mat2.shape[0]))


def _orientation(graph, groups, group, position, links=None):
    """Whether operand ``position`` of a product is used transposed (``W.T``, a view)."""
    turned = group.turned.get(position, False)
    if turned is None:
        raise NoRule("a product of a reordered view")
    return turned


def _oriented(graph, groups, group, expr, position):
    return m.transpose(expr) if _orientation(graph, groups, group, position) else expr


def _unorient(graph, groups, group, expr, position):
    return m.transpose(expr) if _orientation(graph, groups, group, position) else expr
