"""The explanation: the data model every renderer reads.

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

from dataclasses import dataclass, field
from itertools import islice

import sympy

from pathgrad.errors import Disagreement, NameNotFound, PathgradError
from pathgrad.graph import build_graph, leaves, node_named
from pathgrad.ops import OPS, special_name
from pathgrad.sums.check import CHECK_BOUND, Check, check_gradient
from pathgrad.sums.methods import METHODS, check_path_cap, summed_by
from pathgrad.sums.paths import (
    adjoint_values,
    atoms_in,
    iter_paths,
    multiplication_counts_by_leaf,
    operand_lists,
    operand_values,
    path_counts,
    tree_size,
)
from pathgrad.sums.simplify import closed_form as simplify_closed_form
from pathgrad.sums.simplify import has_infinity, tame_numbers
from pathgrad.trace.traced import Tensor

#: Paths listed per gradient unless asked otherwise.
MAX_PATHS = 20
#: Closed forms in leaf symbols larger than this are given in the graph's own names instead.
MAX_LEAF_FORM = 600
#: Symbols a closed form may take written out (its tree, not its shared DAG); past this,
#: printing it would take longer than anyone can wait, so the gradient is refused by name.
MAX_WRITTEN_FORM = 1_000_000
FORMS = ("auto", "leaves", "locals")


@dataclass(frozen=True)
class Options:
    """What to explain and how.

    ``method``: "auto" (list and sum the paths when there are at most
    ``max_paths``, else reverse mode), "paths", "reverse" or "forward".
    ``in_terms_of``: "auto" (leaf symbols while the closed form stays small,
    else the graph's own names), "leaves" or "locals". ``check``: ``True`` or
    "sympy" (sympy.diff and finite differences), "torch" (replay in PyTorch),
    or "all".
    """

    wrt: tuple | None = None
    max_paths: int = MAX_PATHS
    check: bool | str = False
    method: str = "auto"
    in_terms_of: str = "auto"

    @property
    def check_sympy(self):
        return self.check in (True, "sympy", "all")

    @property
    def check_torch(self):
        return self.check in ("torch", "all")

    def __post_init__(self):
        if self.check not in (False, True, "sympy", "torch", "all"):
            raise PathgradError(f"--check {self.check}: choose sympy, torch or all")
        if self.method not in METHODS:
            raise PathgradError(f"--method {self.method}: choose one of {', '.join(METHODS)}")
        if self.in_terms_of not in FORMS:
            raise PathgradError(
                f"--in-terms-of {self.in_terms_of}: choose one of {', '.join(FORMS)}"
            )
        if self.wrt is not None:
            object.__setattr__(self, "wrt", tuple(self.wrt))


@dataclass
class Path:
    """One path from the loss to a leaf and the product of its local derivatives.

    ``via`` names, for each edge of a reused operand (``h * h``), which
    operand the path goes through, so that parallel paths can be told apart.
    """

    nodes: list
    edges: list
    factors: list
    factor_values: list
    lines: list
    product: sympy.Expr
    value: float | None
    via: list = field(default_factory=list)
    undefined: str | None = None


@dataclass
class Gradient:
    """∂loss/∂leaf: its paths, their sum as a closed form, and its value.

    ``method`` is how the sum of all paths was computed: "paths" (the listed
    paths are all of them), "reverse" or "forward" (the same sum regrouped;
    ``ledger`` then holds its steps when that method was asked for).
    ``in_terms_of`` is "leaves", or "locals" when the closed form uses the
    graph's intermediate names. ``costs`` counts the multiplications each
    method needs (see :func:`pathgrad.sums.paths.multiplication_counts`).
    """

    leaf: str
    loss: str
    path_count: int
    paths: list
    closed_form: sympy.Expr
    in_terms_of: str
    method: str
    value: float | None
    undefined: str | None = None
    kinks: list = field(default_factory=list)
    check: Check | None = None
    costs: dict = field(default_factory=dict)
    ledger: list = field(default_factory=list)
    simplified: str = ""
    locals_reason: str = ""

    @property
    def paths_listed(self):
        return len(self.paths)

    # Jupyter's display protocol; pathgrad.notebook is imported only when a notebook asks.
    def _repr_html_(self):
        from pathgrad.notebook import gradient_html

        return gradient_html(self)

    def _repr_latex_(self):
        from pathgrad.notebook import gradient_latex

        return gradient_latex(self)

    def _repr_pretty_(self, printer, cycle):
        from pathgrad.notebook import gradient_text, pretty

        pretty(gradient_text(self), printer, cycle)


@dataclass
class Note:
    """Something the reader should know, tied to a source line."""

    line: int | None
    text: str


@dataclass
class Explanation:
    """Everything pathgrad says about one loss: what every renderer reads."""

    file: str | None
    graph: object
    loss: str
    loss_expr: str
    loss_value: float | None
    loss_undefined: str | None
    leaves: dict
    gradients: dict
    notes: list
    problems: list
    options: Options = field(default_factory=Options)
    torch: list | None = None

    def draw(self, wrt=None, values=False, format="svg"):
        """A picture of the graph (see :func:`pathgrad.pictures.drawing.draw`)."""
        from pathgrad.pictures.drawing import draw

        return draw(self, wrt=wrt, values=values, format=format)

    def steps(self, wrt=None, values=False):
        """The graph built step by step, then the backward sweep (:func:`pathgrad.pictures.drawing.steps`)."""
        from pathgrad.pictures.drawing import steps

        return steps(self, wrt=wrt, values=values)

    # Jupyter's display protocol; pathgrad.notebook is imported only when a notebook asks.
    def _repr_html_(self):
        from pathgrad.notebook import explanation_html

        return explanation_html(self)

    def _repr_pretty_(self, printer, cycle):
        from pathgrad.notebook import explanation_text, pretty

        pretty(explanation_text(self), printer, cycle)


def explain(path, loss=None, safe=False, **options):
    """Load an expression file and explain its gradients.

    Parameters
    ----------
    path : str
        A file, ``-`` for standard input, or a bundled example name (``"seed"``).
    loss : str, optional
        The variable to differentiate; default the last one assigned.
    safe : bool
        Validate and interpret the file instead of running it (:mod:`pathgrad.safe.sandbox`).
    **options
        Fields of :class:`Options`: ``wrt`` (leaf names; default every leaf
        that requires grad), ``max_paths``, ``check`` (compare with sympy.diff
        and finite differences), ``method``, ``in_terms_of``.

    Examples
    --------
    >>> e = explain("seed", wrt=["w1"])
    >>> e.loss, e.loss_value, e.gradients["w1"].closed_form
    ('L', -7.0, -w2*x1 - w3*x2)
    >>> explain("seed", wrt=["w1"], method="reverse").gradients["w1"].closed_form
    -w2*x1 - w3*x2
    """
    from pathgrad.trace.loader import load

    return explain_program(load(path, loss, safe), **options)


def explain_program(program, **options):
    """Explain a :class:`~pathgrad.trace.loader.Program` (a file that has run)."""
    # The file's leaves the loss does not use are in the graph too: zero paths is an answer.
    # (A weight updated in place after the loss was computed is in it as it was then.)
    used = {t.id for t in program.leaves}
    unused = [
        v
        for v in program.namespace.values()
        if isinstance(v, Tensor)
        and v.op is None
        and v.requires_grad
        and not any(t.id in used for t in _versions(v))
    ]
    graph = build_graph(program.loss, program.lines, program.file, program.loss_name, unused)
    cut = {n for n, v in program.namespace.items() if isinstance(v, Tensor) and v.is_leaf}
    explanation = explain_graph(graph, Options(**options), _program_notes(program), cut)
    explanation.notes += _accumulated_notes(program, explanation)
    return explanation


def _accumulated_notes(program, explanation):
    """A leaf whose ``.grad`` sums several backward() calls (never zeroed between them):
    PyTorch's number is not the gradient of the last loss, which is what is explained."""
    notes = []
    for name, t in program.namespace.items():
        weight = isinstance(t, Tensor) and t.is_leaf and t.version > 0  # updated in place
        if weight and t.grad_calls > 1 and t.grad is not None:
            explained = explanation.gradients.get(name)
            now = f" (the last loss's is {explained.value:g})" if explained else ""
            notes.append(
                Note(
                    None,
                    f"{name}.grad is {float(t.grad):g}, the sum of {t.grad_calls} backward() "
                    f"calls: it was not zeroed between them{now}; zero it with "
                    f"{name}.grad = None or {name}.grad.zero_() after each update",
                )
            )
    return notes


def _versions(t):
    """A leaf and what it was before each in-place update, newest first."""
    while t is not None:
        yield t
        t = t.earlier


def explain_tensor(loss, **options):
    """Explain the gradients of a traced value built in Python."""
    return explain_graph(build_graph(loss), Options(**options))


def explain_graph(graph, options=Options(), notes=(), file_leaves=()):
    """Explain the gradients of the loss of a graph built by :func:`build_graph`.

    ``file_leaves`` names leaves of the program, so that asking for one the
    loss does not depend on gets a precise answer.
    """
    file = graph.graph.get("file")
    targets = _targets(graph, options.wrt, file, file_leaves)
    data = graph.nodes[graph.graph["loss"]]
    counts = path_counts(graph)
    values, reasons = adjoint_values(graph)
    work = _Work(graph, options, counts, values, reasons)
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
            *_graph_notes(graph),
            *_special_notes(graph),
            *_version_notes(graph, gradients),
        ],
        problems=_problems(graph, file),
        options=options,
    )
    if options.check_torch:
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


class _Work:
    """What every gradient of one graph shares: path counts, values, reverse mode's pass."""

    def __init__(self, graph, options, counts, values, reasons):
        self.graph, self.options = graph, options
        self.counts, self.values, self.reasons = counts, values, reasons
        self.cache = {}
        self.in_leaves = InLeaves(graph)
        self.operands = operand_lists(graph)
        self.costs = multiplication_counts_by_leaf(graph, counts)  # every leaf's, one pass

    def method_for(self, leaf):
        if self.options.method != "auto":
            return self.options.method
        return "paths" if self.counts[leaf] <= self.options.max_paths else "reverse"

    def gradient(self, leaf):
        graph, options, count = self.graph, self.options, self.counts[leaf]
        method = self.method_for(leaf)
        if method == "paths":
            check_path_cap(graph, leaf, count)
        listed = islice(iter_paths(graph, leaf), options.max_paths)
        paths = [_path(graph, edges) for edges in listed]
        if method == "paths" and count <= options.max_paths:
            total, ledger = sympy.Add(*[p.product for p in paths]), []
        else:
            explicit = options.method in ("reverse", "forward")
            total, ledger = summed_by(graph, leaf, method, self.cache, ledger=explicit)
        self.locals_reason = ""
        form, total = self.written_in(total, paths)
        if form == "leaves":
            closed, simplified = simplify_closed_form(total)
        else:  # as the method grouped it: already factored along shared paths
            closed, simplified = tame_numbers(total), ""
        written = tree_size(closed)
        if written > MAX_WRITTEN_FORM:
            loss_name = graph.nodes[graph.graph["loss"]]["name"]
            raise PathgradError(
                f"d{loss_name}/d{graph.nodes[leaf]['name']} written out as one formula would "
                f"take more than 2^{written.bit_length() - 1} symbols (at most "
                f"{MAX_WRITTEN_FORM:,}): the graph reuses "
                "each value on several paths at every step",
                file=graph.graph.get("file"),
            )
        data = graph.nodes[leaf]
        gradient = Gradient(
            leaf=data["name"],
            loss=graph.nodes[graph.graph["loss"]]["name"],
            path_count=count,
            paths=paths,
            closed_form=closed,
            in_terms_of=form,
            method=method,
            value=self.values[leaf],
            undefined=self.reasons.get(leaf),
            kinks=_kinks_above(graph, leaf),
            costs=self.costs[leaf],
            ledger=ledger,
            simplified=simplified,
            locals_reason=self.locals_reason,
        )
        if options.check_sympy:
            gradient.check = check_gradient(
                graph,
                leaf,
                self.in_leaves(closed, CHECK_BOUND),
                gradient.value,
                bool(gradient.kinks),
            )
        return gradient

    def written_in(self, total, paths):
        """The closed form (and path products) in leaf symbols, when asked for and possible."""
        wanted = self.options.in_terms_of
        if wanted == "locals":
            return "locals", total
        bound = CHECK_BOUND if wanted == "leaves" else MAX_LEAF_FORM
        leaf_form = self.in_leaves(total, bound)
        if leaf_form is None:
            if self.in_leaves.infinite:
                self.locals_reason = (
                    "in terms of the graph's intermediate names: written out "
                    "in leaf symbols, sympy would evaluate a factor at a number "
                    "to an infinity"
                )
            return "locals", total
        for p in paths:
            p.product = self.in_leaves(p.product, bound) or p.product
        return "leaves", leaf_form


class InLeaves:
    """Rewrite an expression in the graph's names into leaf symbols, if that stays small.

    Each named intermediate's symbol is replaced by its leaf-form expression.
    Returns ``None`` when the result would exceed ``MAX_LEAF_FORM`` tree nodes
    or mentions an intermediate whose leaf form was too large to build.
    """

    def __init__(self, graph):
        self.replace, self.sizes, self.unknown = {}, {}, set()
        self.infinite = False
        for _, data in graph.nodes(data=True):
            symbol = data["symbol"]
            if data["kind"] == "leaf" or not symbol.is_Symbol:
                continue
            if data["expr"] is None:
                self.unknown.add(symbol)
            else:
                self.replace[symbol] = data["expr"]
                self.sizes[symbol] = data["expr_size"]

    def __call__(self, expr, bound=MAX_LEAF_FORM):
        if atoms_in(expr) & self.unknown:
            return None
        if tree_size(expr, self.sizes) > bound:
            return None
        try:
            written = expr.xreplace(self.replace)
        except (ValueError, TypeError):  # Min(zoo, 0): sympy cannot even build it
            self.infinite = True
            return None
        # 1/y with y = x - x would print as zoo: keep the graph's names then
        self.infinite = has_infinity(written)
        return None if self.infinite else written


def _path(graph, edges):
    data = [graph.edges[e] for e in edges]
    factor_values = [d["value"] for d in data]
    value = path_value(graph, edges) if None not in factor_values else None
    factors = [d["local_derivative"] for d in data]
    start = edges[0][0] if edges else graph.graph["loss"]
    return Path(
        nodes=[graph.nodes[start]["name"], *(graph.nodes[v]["name"] for _, v, _ in edges)],
        edges=edges,
        factors=factors,
        factor_values=factor_values,
        lines=[graph.nodes[u]["line"] for u, _, _ in edges],
        product=tame_numbers(sympy.Mul(*factors)),
        value=value,
        via=[_via(graph, *edge) for edge in edges if graph.number_of_edges(*edge[:2]) > 1],
        undefined=next((d["undefined"] for d in data if d["undefined"]), None),
    )


def path_value(graph, edges):
    """A path's value: its local derivatives applied from the loss down, as backprop does.

    Each step is the op table's vector–Jacobian product (``Op.vjp``) of the value
    so far, not a bare product of the factors: where PyTorch masks (relu at 0, a
    power at 0), a 0 meeting an inf below gives 0, as in the sum of the paths.
    """
    value = 1.0
    for node, _, key in edges:
        data = graph.nodes[node]
        operands = data["operands"]
        inputs = operand_values(graph, node)
        traced = [not isinstance(o, float) for o in operands]
        value = OPS[data["op"]].vjp(key, value, inputs, data["value"], traced)
    return value


def _targets(graph, wrt, file, file_leaves=()):
    if wrt is None:
        return [n for n in leaves(graph) if graph.nodes[n]["requires_grad"]]
    targets = []
    names = ", ".join(graph.nodes[n]["name"] for n in leaves(graph))
    for name in wrt:
        node = node_named(graph, name)
        loss = graph.nodes[graph.graph["loss"]]["name"]
        if node is None and name in file_leaves:
            raise NameNotFound(
                f"--wrt {name}: {loss} does not depend on {name} (no path from "
                f"{loss} to {name}, so d{loss}/d{name} = 0); the leaves it "
                f"depends on: {names}",
                file=file,
            )
        if node is None:
            raise NameNotFound(
                f"--wrt {name}: the loss has no leaf named {name} (leaves: {names})", file=file
            )
        data = graph.nodes[node]
        if data["kind"] != "leaf":
            raise NameNotFound(
                f"--wrt {name}: {name} is computed (line {data['line']}), "
                f"not a leaf; choose one of: {names}",
                file=file,
            )
        if not data["requires_grad"]:
            raise NameNotFound(f"--wrt {name}: {name} has requires_grad=False", file=file)
        targets.append(node)
    return targets


def _via(graph, consumer, operand, key):
    """Which operand a path goes through: "the 1st h of out = h*h"."""
    ordinal = {0: "1st", 1: "2nd", 2: "3rd"}.get(key, f"{key + 1}th")
    data = graph.nodes[consumer]
    return f"the {ordinal} {graph.nodes[operand]['name']} of {data['name']} = {data['formula']}"


def _kinks_above(graph, leaf):
    import networkx as nx

    above = nx.ancestors(graph, leaf)
    return [graph.nodes[n]["name"] for n in sorted(above) if graph.nodes[n]["kink"]]


def _version_notes(graph, gradients):
    """A leaf updated in place between two uses is two leaves here and one in PyTorch."""
    notes = []
    for _node, data in sorted(graph.nodes(data=True)):
        if "same_leaf_as" not in data:
            continue
        now = graph.nodes[data["same_leaf_as"]]
        before, after = gradients.get(data["name"]), gradients.get(now["name"])
        total = ""
        if before is not None and after is not None and None not in (before.value, after.value):
            total = f": {before.value:g} + {after.value:g} = {before.value + after.value:g}"
        notes.append(
            Note(
                now["line"],
                f"{data['name']} is {now['name']} as it was before its in-place update; "
                f"PyTorch has one leaf, whose .grad adds both gradients{total}",
            )
        )
    return notes


def _graph_notes(graph):
    notes = [
        Note(
            data["line"],
            f"{data['name']} stands for {data['named_for']} (a name of its own, "
            "as the value has no variable and its formula is long, or would be written "
            "as an infinity)",
        )
        for _node, data in sorted(graph.nodes(data=True))
        if data.get("named_for")
    ]
    for _node, data in sorted(graph.nodes(data=True)):
        if data["kink"]:
            rule = OPS[data["op"]].kink_rule
            notes.append(
                Note(
                    data["line"],
                    f"{data['name']} is at its kink; the derivative there follows PyTorch: {rule}",
                )
            )
    for node, data in sorted(graph.nodes(data=True)):
        convention = OPS[data["op"]].convention if data["kind"] == "operation" else None
        inputs = operand_values(graph, node)
        if convention and None not in inputs:
            traced = [not isinstance(o, float) for o in data["operands"]]
            rule = convention(*inputs, traced)
            if rule:
                notes.append(Note(data["line"], f"{data['name']} = {data['formula']}: {rule}"))
    why = {
        "no_grad": "was computed under no_grad()",
        "detach": "is detached",
        "constant": "depends on nothing that requires grad",
    }
    for _node, data in sorted(graph.nodes(data=True)):
        if data["cut"] in why:
            notes.append(
                Note(
                    data["line"],
                    f"{data['name']} = {data['formula']} "
                    f"{why[data['cut']]}: gradients stop there, so "
                    "paths end at it (a cut leaf)",
                )
            )
    unknown = [
        d["name"] for _, d in graph.nodes(data=True) if d["kind"] == "leaf" and d["value"] is None
    ]
    if unknown:
        notes.append(
            Note(
                None,
                "symbolic leaves with no value: "
                + ", ".join(unknown)
                + "; closed forms are exact, values that depend on them are unknown",
            )
        )
    return notes


def _program_notes(program):
    notes = []
    for kind, line, text, result in program.notes:
        if kind == "loss":
            notes.append(
                Note(
                    line,
                    f"the loss is {text}, the value the file called backward() on, not "
                    f"{result}, the last name assigned (choose another with --loss NAME)",
                )
            )
        elif kind == "comparison":
            notes.append(
                Note(
                    line,
                    f"{text} is {result} at these values, so the "
                    f"{'branch taken' if result else 'branch not taken'} "
                    "decides the graph",
                )
            )
        else:
            notes.append(
                Note(
                    line,
                    f"{text} is used as the whole number {result} "
                    "(a count or an index), which is not differentiated",
                )
            )
    return notes + _typo_notes(program) + _rebound_leaf_notes(program)


def _typo_notes(program):
    """A symbolic leaf whose name is close to an assigned one is probably a typo."""
    import difflib

    assigned = sorted({name for name, _ in program.assigned})
    notes = []
    for name in program.symbolic:
        close = difflib.get_close_matches(name, assigned, n=1, cutoff=0.6)
        if close:
            line = program.namespace[name].line if name in program.namespace else None
            notes.append(
                Note(
                    line,
                    f"{name} is never assigned, so it is a symbolic leaf; did you mean {close[0]}?",
                )
            )
    return notes


def _rebound_leaf_notes(program):
    """``total = 0``, then ``total = total + ...``: a leaf that is likely only a start value."""
    first, later = {}, set()
    for name, line in program.assigned:
        if name in first:
            later.add(name)
        else:
            first[name] = line
    leaves = {t.name for t in program.leaves if t.requires_grad and t.value == 0}
    # ... but a weight a training loop updates in place (w -= lr * w.grad) is still a leaf.
    later = {name for name in later if not _is_leaf(program.namespace.get(name))}
    return [
        Note(
            first[name],
            f"{name} starts as a number, so that first {name} is a leaf with "
            "a gradient of its own; if it is only a starting value, write "
            f"{name} = leaf({name!r}, 0, requires_grad=False)",
        )
        for name in sorted(later & leaves, key=first.get)
    ]


def _is_leaf(value):
    return isinstance(value, Tensor) and value.op is None


def _problems(graph, file):
    """Where the loss's value became inf or nan (a pole, an overflow, an underflow).

    Only the loss's value makes a problem: a gradient that is inf or nan is
    PyTorch's answer too, shown with its cause in a note (:func:`_special_notes`).
    """
    loss = graph.graph["loss"]
    if not graph.nodes[loss]["undefined"]:
        return []
    for _node, data in sorted(graph.nodes(data=True)):
        operands = [o for o in data["operands"] if not isinstance(o, float)]
        inherited = any(graph.nodes[o]["undefined"] for o in operands)
        if data["undefined"] == graph.nodes[loss]["undefined"] and not inherited:
            return [
                PathgradError(
                    f"{data['undefined']} at the given values, so the loss "
                    f"{graph.nodes[loss]['name']} is "
                    f"{special_name(graph.nodes[loss]['value'])} (values are "
                    "shown as PyTorch computes them; closed forms are still "
                    "shown)",
                    file=file,
                    line=data["line"],
                )
            ]
    return []


def _special_notes(graph):
    """A note for each local derivative that is inf or nan where its operation's value is not."""
    notes = []
    for node, data in sorted(graph.nodes(data=True)):
        if data["undefined"]:
            continue
        for _, _, edge in graph.out_edges(node, data=True):
            if edge["undefined"]:
                notes.append(Note(data["line"], f"{edge['undefined']}, as in PyTorch"))
                break
    return notes
