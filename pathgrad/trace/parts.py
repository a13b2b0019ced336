"""Which element of which tensor a scalar value is.

pathgrad's graph stays scalar: every node is one number and every edge one scalar local
derivative, so paths, ledgers and checks work unchanged. A scalar that belongs to a
tensor (a leaf ``W[0,1]``, an element of ``W @ x``) carries a :class:`Part` saying so; the
tensor-level view and the matrix-calculus forms read it.
"""

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

    Examples
    --------
    >>> Part("W", None, (2, 3), (0, 1)).element
    'W[0,1]'
    """

    tensor: str
    grad_fn: str | None
    shape: tuple
    index: tuple

    @property
    def element(self):
        """The element's name, ``W[0,1]``: PyTorch's indexing, no spaces."""
        if not self.index:
            return self.tensor
        return f"{self.tensor}[{','.join(str(i) for i in self.index)}]"
