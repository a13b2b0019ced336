"""One gradient of one graph: its paths listed, their sum by the chosen method, the
closed form (in leaf symbols while it stays small) and its value.

:class:`GradientWork` holds what the gradients of one graph share (path counts, the
reverse pass's values, the sums already computed); :meth:`GradientWork.gradient` gives
one :class:`pathgrad.explanation.model.Gradient`.
"""

import sympy

from pathgrad.errors import NameNotFound, PathgradError
from pathgrad.explanation.model import MAX_LEAF_FORM, MAX_WRITTEN_FORM, Gradient, Note, Path
from pathgrad.expressions import has_infinity, tree_size
from pathgrad.graph import constant_values, leaves, node_named
from pathgrad.leaf_forms import leaf_form
from pathgrad.ops import OPS
from pathgrad.sums.check import CHECK_BOUND, check_gradient
from pathgrad.sums.listing import Budget, Walk
from pathgrad.sums.methods import check_path_cap, summed_by
from pathgrad.sums.paths import (
    atoms_in,
    multiplication_counts,
    multiplication_counts_by_leaf,
    operand_lists,
    operand_values,
)
from pathgrad.sums.simplify import closed_form as simplify_closed_form
from pathgrad.sums.simplify import tame_numbers
from pathgrad.trace.elements import element_name


class GradientWork:
    """What every gradient of one graph shares: path counts, values, reverse mode's pass."""

    def __init__(self, graph, options, counts, values, reasons, targets):
        self.graph, self.options = graph, options
        self.walk = Walk(graph, targets)  # which nodes reach each target: one pass for all
        self.budget = Budget(options.path_budget)
        self.counts, self.values, self.reasons = counts, values, reasons
        self.cache = {}
        self.in_leaves = InLeaves(graph)
        self.operands = operand_lists(graph)
        self.costs = multiplication_counts_by_leaf(graph, counts)  # every leaf's, one pass
        self.constants = constant_values(graph)
        self.measured = {}  # expression -> tree size: the closed forms share their parts

    def costs_of(self, node):
        """The multiplications each method needs for ∂loss/∂node (a leaf's from the one pass
        over every leaf; a computed value's on its own)."""
        if node in self.costs:
            return self.costs[node]
        return multiplication_counts(self.graph, node, self.counts, self.operands)

    def method_for(self, leaf, listed):
        """The method asked for; for "auto", "paths" when every path is listed."""
        if self.options.method != "auto":
            return self.options.method
        every = self.counts[leaf] <= self.options.max_paths and listed == self.counts[leaf]
        return "paths" if every else "reverse"

    def gradient(self, leaf):
        """∂loss/∂leaf as a :class:`~pathgrad.explanation.model.Gradient`."""
        graph, options, count = self.graph, self.options, self.counts[leaf]
        listed = self.budget.take(self.walk.paths(leaf), options.max_paths)
        method = self.method_for(leaf, len(listed))
        if method == "paths":
            check_path_cap(graph, leaf, count)
        paths = [_path(graph, edges) for edges in listed]
        total, ledger = self.summed(leaf, method, paths)
        form, closed, simplified = self.closed_form(leaf, total, paths)
        gradient = Gradient(
            leaf=graph.nodes[leaf]["name"],
            loss=graph.nodes[graph.graph["loss"]]["name"],
            path_count=count,
            paths=paths,
            closed_form=closed,
            in_terms_of=form,
            method=method,
            value=self.values[leaf],
            undefined=self.reasons.get(leaf),
            kinks=self.walk.kinks_above(leaf),
            costs=self.costs_of(leaf),
            ledger=ledger,
            simplified=simplified,
            locals_reason=self.locals_reason,
        )
        if options.check_sympy:
            named = self.adjoint_names(closed)
            in_leaves = None if named else self.in_leaves(closed, CHECK_BOUND)
            kinked = bool(gradient.kinks)
            gradient.check = check_gradient(graph, leaf, in_leaves, gradient.value, kinked)
        return gradient

    def summed(self, leaf, method, paths):
        """The sum of all paths, and the method's ledger when that method was asked for."""
        if method == "paths" and self.counts[leaf] == len(paths):
            return sympy.Add(*[p.product for p in paths]), []
        explicit = self.options.method in ("reverse", "forward")
        return summed_by(self.graph, leaf, method, self.cache, explicit, self.written_bound)

    @property
    def written_bound(self):
        """How large a sum may be written out in full before adjoint names stand in: as
        large as a leaf form may be asked for (to print it, or to check it)."""
        wide = self.options.in_terms_of == "leaves" or self.options.check_sympy
        return CHECK_BOUND if wide else MAX_LEAF_FORM

    def notes(self, gradients):
        """What the reader should know about the listing and the sums as a whole: the
        budget of listed paths when it left some out, the adjoint names in use."""
        notes, unlisted = [], sum(g.path_count > g.paths_listed for g in gradients.values())
        if self.budget.cut:
            notes.append(
                Note(
                    None,
                    f"paths are listed within a budget of {self.budget.total:,} factors "
                    "across all gradients, in order, until a path does not fit: "
                    f"{unlisted:,} of {len(gradients):,} gradients list fewer paths than they "
                    "have (their sums and values count every path); --path-budget N lists more",
                )
            )
        if self.adjoint_definitions(gradients):
            loss = self.graph.nodes[self.graph.graph["loss"]]["name"]
            notes.append(
                Note(
                    None,
                    f"a sum too large to write out is written with backprop's adjoints: "
                    f"∂{loss}/∂x stands for the sum of every path from {loss} down to x, "
                    "each defined by its step of --method reverse (and under adjoints in "
                    "--format json)",
                )
            )
        return notes

    def adjoint_definitions(self, gradients):
        """Each adjoint name the closed forms and ledgers use, with its definition (one
        sum over the consumers), from the loss down."""
        adjoints = self.cache.get("adjoints")
        if adjoints is None:
            return {}
        printed = [g.closed_form for g in gradients.values()]
        printed += [s.total for g in gradients.values() for s in g.ledger]
        return {str(s): adjoints.definitions[s] for s in adjoints.used_by(printed)}

    def adjoint_names(self, expr):
        """The adjoint symbols (``∂L/∂x_3``) ``expr`` mentions, if reverse mode ran."""
        adjoints = self.cache.get("adjoints")
        return atoms_in(expr) & adjoints.definitions.keys() if adjoints else set()

    def closed_form(self, leaf, total, paths):
        """``(in_terms_of, closed form, how it was simplified)``; refuses an unprintable form."""
        self.locals_reason = ""
        form, total = self.written_in(total, paths)
        if form == "leaves":
            closed, simplified = simplify_closed_form(total)
        else:  # as the method grouped it: already factored along shared paths
            closed, simplified = tame_numbers(total), ""
        if self.options.substitute_constants and self.constants:
            closed = closed.xreplace(self.constants)
        written = tree_size(closed, _memo=self.measured)
        if written > MAX_WRITTEN_FORM:
            graph = self.graph
            loss_name = graph.nodes[graph.graph["loss"]]["name"]
            raise PathgradError(
                f"d{loss_name}/d{graph.nodes[leaf]['name']} written out as one formula would "
                f"take more than 2^{written.bit_length() - 1} symbols (at most "
                f"{MAX_WRITTEN_FORM:,}): the graph reuses "
                "each value on several paths at every step",
                file=graph.graph.get("file"),
            )
        return form, closed, simplified

    def written_in(self, total, paths):
        """The closed form (and path products) in leaf symbols, when asked for and possible;
        else in the graph's names, with the reason in ``locals_reason``."""
        wanted = self.options.in_terms_of
        if self.adjoint_names(total):
            loss = self.graph.nodes[self.graph.graph["loss"]]["name"]
            self.locals_reason = (
                "in terms of the graph's intermediate names and backprop's adjoints "
                f"(∂{loss}/∂x is the sum of every path from {loss} down to x, each defined "
                "by its reverse-mode step): written out it would be too large to print"
            )
            return "locals", total
        if wanted == "locals":
            self.locals_reason = (
                "in terms of the graph's intermediate names, as --in-terms-of locals asks"
            )
            return "locals", total
        bound = CHECK_BOUND if wanted == "leaves" else MAX_LEAF_FORM
        leaf_form = self.in_leaves(total, bound)
        if leaf_form is None:
            why = (
                ", sympy would evaluate a factor at a number to an infinity"
                if self.in_leaves.infinite
                else " it would be too large to print"
            )
            self.locals_reason = (
                f"in terms of the graph's intermediate names: written out in leaf symbols{why}"
            )
            return "locals", total
        for p in paths:
            p.product = self.in_leaves(p.product, bound) or p.product
        return "leaves", leaf_form


class InLeaves:
    """Rewrite an expression in the graph's names into leaf symbols, if that stays small.

    Each named intermediate's symbol is replaced by its leaf-form expression
    (:func:`pathgrad.leaf_forms.leaf_form`, built on request). Returns ``None`` when the result
    would exceed ``MAX_LEAF_FORM`` tree nodes or mentions an intermediate whose leaf form
    was too large to build.
    """

    def __init__(self, graph):
        self.graph = graph
        self.named = {  # symbol -> node, for the intermediates shown by a name of their own
            data["symbol"]: node
            for node, data in graph.nodes(data=True)
            if data["kind"] != "leaf" and data["symbol"].is_Symbol
        }
        self.replace, self.sizes = {}, {}
        self.measured = {}  # expression -> its size with these weights, measured once
        self.infinite = False

    def _known(self, symbols):
        """Whether every one of ``symbols`` has a leaf form (each built once, on request).
        The deepest is asked first: one too deep to build is known at once, before any
        other is built."""
        depth = self.graph.nodes(data="expr_depth")
        for symbol in sorted(symbols, key=lambda s: -depth[self.named[s]]):
            form, size = leaf_form(self.graph, self.named[symbol])
            if form is None:
                return False
            self.replace[symbol], self.sizes[symbol] = form, size
        return True

    def __call__(self, expr, bound=MAX_LEAF_FORM):
        symbols = [s for s in atoms_in(expr) if s in self.named and s not in self.replace]
        if not self._known(symbols):
            return None
        if tree_size(expr, self.sizes, self.measured) > bound:
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


def target_leaves(graph, wrt, file, file_leaves=()):
    """The nodes to differentiate with respect to: every leaf that requires grad, or the
    nodes ``wrt`` names — leaves, or any computed value (∂L/∂x3 is backprop's δ at x3).

    Raises :class:`NameNotFound` for a name the loss does not depend on, with the names
    it does depend on.
    """
    if wrt is None:
        return [n for n in leaves(graph) if graph.nodes[n]["requires_grad"]]
    targets = []
    names = ", ".join(graph.nodes[n]["name"] for n in leaves(graph))
    loss = graph.nodes[graph.graph["loss"]]["name"]
    for name in tensor_elements(graph, wrt):
        node = node_named(graph, name)
        if node is None and name in file_leaves:
            raise NameNotFound(
                f"--wrt {name}: {loss} does not depend on {name} (no path from "
                f"{loss} to {name}, so d{loss}/d{name} = 0); the leaves it "
                f"depends on: {names}",
                file=file,
            )
        if node is None:
            raise NameNotFound(
                f"--wrt {name}: the loss has no leaf or value named {name} (leaves: {names})",
                file=file,
            )
        if not graph.nodes[node]["requires_grad"]:
            raise NameNotFound(f"--wrt {name}: {name} has requires_grad=False", file=file)
        if node == graph.graph["loss"]:
            raise NameNotFound(
                f"--wrt {name}: {name} is the loss itself (∂{loss}/∂{loss} = 1); name a leaf "
                f"or a value it depends on",
                file=file,
            )
        targets.append(node)
    return targets


def tensor_elements(graph, names):
    """Names with each tensor's name as its elements' (``W`` → ``W[0,0]``, ``W[0,1]`` ...)
    and an element written ``W[0][1]`` or ``W[0, 1]`` as the graph names it (``W[0,1]``)."""
    found = []
    for name in names:
        name = element_name(name)
        members = sorted(
            (d["part"].index, d["name"])
            for _, d in graph.nodes(data=True)
            if d["part"] is not None and d["part"].tensor == name and not d["part"].inside
        )
        if node_named(graph, name) is None and members:
            found += [element for _, element in members]
        else:
            found.append(name)
    return found


def _via(graph, consumer, operand, key):
    """Which operand a path goes through: "the 1st h of out = h*h"."""
    ordinal = {0: "1st", 1: "2nd", 2: "3rd"}.get(key, f"{key + 1}th")
    data = graph.nodes[consumer]
    return f"the {ordinal} {graph.nodes[operand]['name']} of {data['name']} = {data['formula']}"
