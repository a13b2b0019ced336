"""The gradient of each tensor leaf, gathered from its elements' gradients.

The graph is scalar: ``W``'s elements ``W[0,0]``, ``W[0,1]`` ... are leaves, each with
its own gradient (its paths, their sum). A leaf's node data ``part`` says which tensor it
belongs to, so the elements' gradients gather back into the tensor's: a nested list of
values, shaped as ``W``, that PyTorch's ``W.grad`` equals.

>>> from pathgrad.trace.loader import load_source
>>> from pathgrad.explanation import explain_program
>>> e = explain_program(load_source("W = [[1.0, 2.0], [3.0, 4.0]]\\nL = (W * W).sum()\\n"))
>>> t = tensor_gradients(e)["W"]
>>> t.shape, t.grad, t.elements[1], t.matrix_form
((2, 2), [[2.0, 4.0], [6.0, 8.0]], 'W[0,1]', '2·W')
"""

from dataclasses import dataclass

from pathgrad.graph import leaves
from pathgrad.trace.shapes import indices, nest


@dataclass(frozen=True)
class TensorGradient:
    """∂loss/∂W for a tensor leaf ``W``, element by element.

    Attributes
    ----------
    name : str
        The tensor's name (``"W"``).
    shape : tuple of int
        Its shape, as ``torch.Size``.
    elements : list of str
        Its elements' names, row-major (``"W[0,1]"``); a gradient of each is in the
        explanation's ``gradients`` when it was asked for.
    grad : list
        The gradient's values, nested as the shape (``None`` for an element not explained).
    matrix_form : str or None
        The matrix-calculus form in the program's tensor names (``((h − y) ⊙ (𝟙 − h^2))·xᵀ``,
        :mod:`pathgrad.sums.matrix_forms`), checked element by element against the path
        sums; ``None`` where none was found.
    """

    name: str
    shape: tuple
    elements: list
    grad: list
    matrix_form: str | None = None


def tensor_gradients(explanation):
    """Each tensor leaf with at least one element explained, by name, in graph order.

    Returns
    -------
    dict of str to TensorGradient
    """
    graph, found = explanation.graph, {}
    for node in leaves(graph):
        data = graph.nodes[node]
        part = data["part"]
        if part is None or part.inside or part.grad_fn is not None:
            continue
        found.setdefault(part.tensor, (part.shape, {}))[1][part.index] = data["name"]
    tensors = {}
    for name, (shape, names) in found.items():
        elements = [names.get(index) for index in indices(shape)]
        gradients = [explanation.gradients.get(element) for element in elements]
        if all(g is None for g in gradients):
            continue
        values = [None if g is None else g.value for g in gradients]
        form = explanation.matrix_forms.get(name)
        tensors[name] = TensorGradient(name, shape, elements, nest(values, shape), form)
    return tensors
