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
    """

    name: str
    grad_fn: str | None
    shape: tuple
    elements: dict = field(default_factory=dict)
    inside: list = field(default_factory=list)
    operands: list = field(default_factory=list)
    numbers: dict = field(default_factory=dict)
    links: list = field(default_factory=list)


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


def leaf_tensors(groups):
    """The names of the tensors that are leaves (``grad_fn`` None), in the order given."""
    return [name for name, group in groups.items() if group.grad_fn is None]
