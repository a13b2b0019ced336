"""Explaining a loss: from a file, a traced value or a graph to an explanation.

The package is one stage of the flow: :mod:`~pathgrad.explanation.model` is the data model
every renderer reads, :mod:`~pathgrad.explanation.gradient` computes one gradient (its paths,
their sum, the closed form), :mod:`~pathgrad.explanation.notes` says what the reader should
know beside the sums, and this module puts them together.

For each leaf, :func:`explain_graph` lists the paths from the loss to the
leaf (at most ``max_paths`` of them, streamed), each with its chain of local
derivatives, their product and its value; then the sum of *all* paths as a
simplified closed form and its value, computed by the chosen method
(:mod:`pathgrad.sums.methods`): the listed paths themselves, or the same sum
regrouped in reverse or forward mode, with its ledger.

>>> from pathgrad.trace.traced import leaf
>>> a = leaf("a", 3.0)
>>> g = explain_tensor(a * a).gradients["a"]
>>> [p.nodes for p in g.paths], g.closed_form, g.value, g.method
([['a*a', 'a'], ['a*a', 'a']], 2*a, 6.0, 'paths')
"""

from pathgrad.collector import collector_paused
from pathgrad.errors import Disagreement
from pathgrad.explanation.gradient import GradientWork, target_leaves
from pathgrad.explanation.model import Explanation, Note, Options
from pathgrad.explanation.notes import (
    accumulated_notes,
    exponent_notes,
    graph_notes,
    problems_of,
    program_notes,
    special_notes,
    version_notes,
    versions,
)
from pathgrad.graph import build_graph, leaves
from pathgrad.sums.matrix_forms import matrix_forms
from pathgrad.sums.paths import adjoint_values, path_counts
from pathgrad.trace.elements import Elements
from pathgrad.trace.loader import load
from pathgrad.trace.traced import Tensor


def explain(path, loss=None, safe=False, constants=(), **options):
    """Load an expression file and explain its gradients.

    Parameters
    ----------
    path : str
        A file, ``-`` for standard input, or a bundled example name (``"seed"``).
    loss : str, optional
        The variable to differentiate; default the last one assigned.
    safe : bool
        Validate and interpret the file instead of running it (:mod:`pathgrad.safe.sandbox`).
    constants : iterable of str
        Numbers of the file that are constants (``--const``): no gradient, drawn as such.
    **options
        Fields of :class:`Options`: ``wrt`` (leaf names; default every leaf
        that requires grad), ``max_paths``, ``check`` (compare with sympy.diff
        and finite differences), ``method``, ``in_terms_of``, ``substitute_constants``
        (closed forms with the constants' values in place of their names).

    Examples
    --------
    >>> e = explain("seed", wrt=["w1"])
    >>> e.loss, e.loss_value, e.gradients["w1"].closed_form
    ('L', -7.0, -w2*x1 - w3*x2)
    >>> explain("seed", wrt=["w1"], method="reverse").gradients["w1"].closed_form
    -w2*x1 - w3*x2
    """
    return explain_program(load(path, loss, safe, constants), **options)


def explain_program(program, **options):
    """Explain a :class:`~pathgrad.trace.loader.Program` (a file that has run)."""
    # The file's leaves the loss does not use are in the graph too: zero paths is an answer.
    # (A weight updated in place after the loss was computed is in it as it was then.)
    used = {t.id for t in program.leaves}
    scalars = dict(program.namespace)
    for v in program.namespace.values():  # a tensor's elements are the file's values too
        if isinstance(v, Elements):
            scalars.update((t.name, t) for t in v.elements if t.name)
    unused = [
        v
        for v in scalars.values()
        if isinstance(v, Tensor)
        and v.op is None
        and v.requires_grad
        and not any(t.id in used for t in versions(v))
    ]
    graph = build_graph(program.loss, program.lines, program.file, program.loss_name, unused)
    cut = {n for n, v in scalars.items() if isinstance(v, Tensor) and v.is_leaf}
    explanation = explain_graph(graph, Options(**options), program_notes(program), cut)
    explanation.notes += accumulated_notes(program, explanation)
    return explanation


def explain_tensor(loss, **options):
    """Explain the gradients of a traced value built in Python."""
    return explain_graph(build_graph(loss), Options(**options))


def _matrix_forms(graph, adjoints):
    """Each tensor leaf's matrix form as text, or None (nothing for a scalar program)."""
    if all(part is None for _, part in graph.nodes(data="part")):
        return {}
    return {name: found and found[1] for name, found in matrix_forms(graph, adjoints).items()}


@collector_paused()
def explain_graph(graph, options=None, notes=(), file_leaves=()):
    """Explain the gradients of the loss of a graph built by :func:`build_graph`.

    ``file_leaves`` names leaves of the program, so that asking for one the
    loss does not depend on gets a precise answer.
    """
    options = options or Options()
    file = graph.graph.get("file")
    targets = target_leaves(graph, options.wrt, file, file_leaves)
    data = graph.nodes[graph.graph["loss"]]
    counts = path_counts(graph)
    values, reasons = adjoint_values(graph)
    work = GradientWork(graph, options, counts, values, reasons, targets)
    gradients = {graph.nodes[leaf]["name"]: work.gradient(leaf) for leaf in targets}
    explanation = Explanation(
        file=file,
        graph=graph,
        loss=data["name"],
        loss_expr=data["formula"],
        loss_value=data["value"],
        loss_undefined=data["undefined"],
        leaves={graph.nodes[n]["name"]: graph.nodes[n]["value"] for n in leaves(graph)},
        gradients=gradients,
        notes=[
            *notes,
            *graph_notes(graph),
            *exponent_notes(graph),
            *special_notes(graph),
            *version_notes(graph, gradients),
            *work.notes(gradients),
        ],
        adjoints=work.adjoint_definitions(gradients),
        problems=problems_of(graph, file),
        options=options,
        matrix_forms=_matrix_forms(graph, values),
    )
    if options.check_torch:
        # the PyTorch bridge sits above the explanation (from_torch explains a module with
        # it), so it is imported only when --check torch asks
        from pathgrad.torch_bridge import check_torch, torch_available

        if options.check == "all" and not torch_available():
            explanation.notes.append(
                Note(
                    None,
                    "PyTorch is not installed, so --check all "
                    "compared with sympy and finite differences "
                    'only (pip install "pathgrad[torch]")',
                )
            )
        else:
            explanation.torch = check_torch(explanation)
            explanation.problems += _disagreements(explanation)
    return explanation


def _disagreements(explanation):
    """A problem for each number that is not PyTorch's (IEEE specials compared as values)."""
    return [
        Disagreement(
            f"--check torch: {row.name}: pathgrad gives {row.pathgrad}, PyTorch "
            f"{row.torch}; this is a bug in pathgrad, please report it",
            file=explanation.file,
        )
        for row in explanation.torch
        if not row.agree
    ]
