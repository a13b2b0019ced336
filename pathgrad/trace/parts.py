"""Which element of which tensor a scalar value is.

pathgrad's graph stays scalar: every node is one number and every edge one scalar local
derivative, so paths, ledgers and checks work unchanged. A scalar that belongs to a
tensor (a leaf ``W[0,1]``, an element of ``W @ x``) carries a :class:`Part` saying so; the
tensor-level view and the matrix-calculus forms read it.
"""

import ast
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One element of one tensor operation.

    Attributes
    ----------
    tensor : str
        The tensor's name: the file's name for it (``"W"``, ``"h"``) or, for an unnamed
        result, a name made from its operation (``"matmul_1"``).
    grad_fn : str or None
        PyTorch's ``grad_fn`` class name for the tensor operation (``"MmBackward0"``,
        ``"AddmmBackward0"``, ``"TBackward0"``, ``"SumBackward0"`` ...); ``None`` for a leaf.
    shape : tuple of int
        The whole tensor's shape, as ``torch.Size`` would give it (``()`` for a 0-d tensor).
    index : tuple of int
        This element's index in the tensor, row-major, as PyTorch indexes it.
    inside : bool
        ``True`` for a value made inside the operation on the way to the element at
        ``index`` (a product or a partial sum of ``W @ x``), not the element itself.

    Examples
    --------
    >>> Part("W", None, (2, 3), (0, 1)).element
    'W[0,1]'
    """

    tensor: str
    grad_fn: str | None
    shape: tuple
    index: tuple
    inside: bool = False

    @property
    def element(self):
        """The element's name, ``W[0,1]``: PyTorch's indexing, no spaces."""
        if not self.index:
            return self.tensor
        return f"{self.tensor}[{','.join(str(i) for i in self.index)}]"


def element_of(name):
    """``("W", ("0", "1"))`` for an element's name ``W[0,1]``, else ``None``.

    >>> element_of("W[0,1]"), element_of("x[2]"), element_of("w1")
    (('W', ('0', '1')), ('x', ('2',)), None)
    """
    match = re.fullmatch(r"([^\W\d]\w*)\[(\d+(?:,\d+)*)\]", name)
    return (match[1], tuple(match[2].split(","))) if match else None


def is_name(label):
    """Whether a node's label is a name (``w1``, or an element ``W[0,1]``), not an expression."""
    return label.isidentifier() or element_of(label) is not None


def subscript_element(node):
    """The element a parsed ``W[0, 1]`` or ``W[0][1]`` names (``"W[0,1]"``), else ``None``.

    >>> subscript_element(ast.parse("W[0][1]", mode="eval").body)
    'W[0,1]'
    """
    indices = []
    while isinstance(node, ast.Subscript):
        key = node.slice
        keys = key.elts if isinstance(key, ast.Tuple) else [key]
        if not all(isinstance(k, ast.Constant) and type(k.value) is int for k in keys):
            return None
        indices[:0] = [k.value for k in keys]
        node = node.value
    if not indices or not isinstance(node, ast.Name):
        return None
    return Part(node.id, None, (), tuple(indices)).element
