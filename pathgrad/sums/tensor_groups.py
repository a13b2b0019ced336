"""The tensor level of a scalar graph: one group per tensor operation, with its operands.

pathgrad's graph is scalar; a node that belongs to a tensor carries a
:class:`~pathgrad.trace.parts.Part` (data ``part``). :func:`tensor_groups` collects
the nodes of each tensor (its elements, and the values made inside its operation on the
way to them) and reads, from the scalar edges that leave the group, which tensors are
its operands and at which position, and which plain numbers it was given. This is what
torchviz draws, and what the matrix-calculus forms (:mod:`pathgrad.sums.matrix_forms`)
are composed over.
"""

from dataclasses import dataclass, field


@dataclass
class TensorGroup:
    """One tensor of the program and the scalar nodes that make it.

    Attributes
    ----------
    name : str
        The tensor's name (``"W"``, ``"h"``, or a made ``"mv_1"``).
    grad_fn : str or None
        PyTorch's backward node for the operation (``"MvBackward0"``); ``None`` for a leaf.
    shape : tuple of int
        The tensor's shape (``()`` for 0-d).
    elements : dict
        ``index -> node`` for the tensor's own elements.
    inside : list
        Nodes made inside the operation (products and partial sums of ``W @ x``).
    operands : list of (position, str)
        The operand tensors by scalar operand position, first position first.
    numbers : dict
        ``position -> float``: plain numbers the operation was given (``x ** 2``).
    links : list of (node, node, int)
        The scalar edges that leave the group: ``(consumer, operand, position)``.
    turned : dict
        For a matrix product, ``position -> True`` where that operand is used transposed
        (``x @ W.T``, a view: no node of its own), ``False`` where as stored, ``None``
        where its elements are paired in another order (a slice, a stack).
    roles : dict
        For ``nn.Linear``'s addmm: ``0`` (the input, absent when it is plain numbers),
        ``1`` (the weight, as used) and ``"bias"``, each a tensor's name.
    """

    name: str
    grad_fn: str | None
    shape: tuple
    elements: dict = field(default_factory=dict)
    inside: list = field(default_factory=list)
    operands: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    links: list = field(default_factory=list)
    turned: dict = field(default_factory=dict)
    roles: dict = field(default_factory=dict)


def tensor_groups(graph):
    """Every tensor of ``graph`` as a :class:`TensorGroup`, keyed by its name.

    A scalar outside any tensor (a node with no part: ``L = loss_a + 0.1 * loss_b``) is
    a 0-d group of its own, named as the graph names it.
    """
    groups = {}
    for node, data in graph.nodes(data=True):
        part = data.get("part")
        if part is None:
            groups[data["name"]] = TensorGroup(data["name"], data["grad_fn"], (), {(): node})
            continue
        group = groups.setdefault(
            part.tensor, TensorGroup(part.tensor, part.grad_fn, tuple(part.shape))
        )
        if part.inside:
            group.inside.append(node)
        else:
            group.elements[tuple(part.index)] = node
    owner = {
        n: d["name"] if d["part"] is None else d["part"].tensor for n, d in graph.nodes(data=True)
    }
    for group in groups.values():
        _read_operands(graph, group, owner)
    return groups


def _read_operands(graph, group, owner):
    first = {}
    for node in [*group.elements.values(), *group.inside]:
        for _, operand, position in graph.out_edges(node, keys=True):
            other = owner.get(operand)
            if other != group.name:
                group.links.append((node, operand, position))
                if other not in first or position < first[other]:
                    first[other] = position
        for position, operand in enumerate(graph.nodes[node]["operands"]):
            if isinstance(operand, float):
                group.numbers.setdefault(position, operand)
    group.operands = sorted(((p, name) for name, p in first.items()), key=lambda pn: pn)
    if group.grad_fn in PRODUCTS:
        products = [
            link for link in group.links if graph.nodes[link[0]]["grad_fn"] == "MulBackward0"
        ]
        group.turned = {p: _turned(graph, products, p) for p in (0, 1)}
        if group.grad_fn == "AddmmBackward0":  # bias + mat1 @ mat2, roles read off the sums
            group.roles = {p: owner[o] for _, o, p in products if owner.get(o)}
            added = {owner.get(o) for c, o, p in group.links if (c, o, p) not in products}
            group.roles["bias"] = next(iter(added)) if len(added) == 1 else None


#: The matrix products: their scalar products pair an output element with two operands'.
PRODUCTS = ("MmBackward0", "MvBackward0", "DotBackward0", "AddmmBackward0")


def _turned(graph, products, position):
    """Whether the operand at ``position`` of the products is used transposed.

    Each scalar product pairs output element ``out`` with operand element ``index``:
    ``A[i,k]`` for ``out[0] = i`` at position 0, ``B[k,j]`` for ``out[-1] = j`` at 1.
    """
    pairs = [
        (graph.nodes[consumer]["part"].index, graph.nodes[operand]["part"].index)
        for consumer, operand, where in products
        if where == position and graph.nodes[operand]["part"] is not None
    ]
    if not pairs or any(len(index) < 2 or not out for out, index in pairs):
        return False
    axis, other = (0, 1) if position == 0 else (1, 0)
    if all(index[axis] == out[-axis] for out, index in pairs):
        return False
    if all(index[other] == out[-axis] for out, index in pairs):
        return True
    return None


def leaf_tensors(groups):
    """The names of the tensors that are leaves (``grad_fn`` None), in the order given."""
    return [name for name, group in groups.items() if group.grad_fn is None]
