"""Each node of a graph written in leaf symbols (its *leaf form*), built on request.

A closed form in the graph's names (``tanh(total_1)``) is written out in leaf symbols by
putting each name's leaf form in its place, while that stays small; the symbolic check
differentiates the loss's leaf form with ``sympy.diff``. A leaf form is built with those
of the values it is made from, once, and kept with the graph. Most explanations need few:
building every one was most of the time of building a wide network's graph (issue 13),
and a form deeper than :data:`MAX_EXPR_DEPTH` is known to be missing without building
anything.
"""

from pathgrad.expressions import has_huge_number, has_infinity, tree_size
from pathgrad.ops import OPS

#: Leaf forms are built only up to this many tree nodes (deep graphs explode)
MAX_EXPR_SIZE = 20_000
#: ... and this nesting depth (sympy recurses on nested expressions).
MAX_EXPR_DEPTH = 100


def leaf_form(graph, node):
    """``node`` written in leaf symbols, and its tree size: ``(form, size)``.

    ``(None, None)`` when the form would be deeper than ``MAX_EXPR_DEPTH``, larger than
    ``MAX_EXPR_SIZE`` (counted from its operands' forms before sympy builds it), holds a
    number too long to read or an infinity, or is made from a value without one. A leaf's
    form is its symbol.

    Built on first request, with the forms of the values it is made from, and kept in
    ``graph.graph["leaf_forms"]``.

    >>> from pathgrad.graph import build_graph
    >>> from pathgrad.trace.traced import leaf
    >>> x = leaf("x", 0.5)
    >>> g = build_graph((x * x).sin() + 1)
    >>> leaf_form(g, g.graph["loss"])
    (sin(x**2) + 1, 6)
    """
    forms = graph.graph.setdefault("leaf_forms", _LeafForms())
    return forms.get(graph, node)


class _LeafForms:
    """The leaf forms built so far, and what measuring them found: shared, so that each
    subexpression is looked at once."""

    def __init__(self):
        self.built, self.sizes, self.clean = {}, {}, set()

    def get(self, graph, node):
        stack = [node]
        while stack:  # a stack, not recursion: a chain may be 100,000 steps long
            n = stack[-1]
            if n in self.built:
                stack.pop()
                continue
            data = graph.nodes[n]
            if data["kind"] == "operation" and data["expr_depth"] <= MAX_EXPR_DEPTH:
                if missing := [o for o in _traced_operands(data) if o not in self.built]:
                    stack.extend(missing)
                    continue
            stack.pop()
            self.built[n] = self._build(data)
        return self.built[node]

    def _build(self, data):
        """One node's form from its operands' (already built)."""
        if data["kind"] == "leaf":
            return data["symbol"], 1
        if data["expr_depth"] > MAX_EXPR_DEPTH:
            return None, None
        numbers = data["numbers"]  # as written: the floats of "operands" may be rounded
        operands = [
            (numbers[k], 1) if k in numbers else self.built[o]
            for k, o in enumerate(data["operands"])
        ]
        if any(form is None for form, _ in operands):
            return None, None
        if 1 + sum(size for _, size in operands) > MAX_EXPR_SIZE:
            return None, None
        try:
            expr = OPS[data["op"]].symbolic(*[form for form, _ in operands])
        except (ValueError, TypeError):  # sympy's Max cannot order log(Min(0, x))
            return None, None
        if has_huge_number(expr) or has_infinity(expr, self.clean):
            return None, None
        return expr, tree_size(expr, _memo=self.sizes)  # sympy merges terms: measure it


def _traced_operands(data):
    """The nodes an operation is made from (its plain numbers left out)."""
    return [o for k, o in enumerate(data["operands"]) if k not in data["numbers"]]
