"""The reverse sweep in symbols, linear in the edges: every adjoint has its own name.

Backprop's δ at a node, ∂loss/∂node, is the sum over the node's consumers of the
consumer's δ times the edge's local derivative. Written out in full, the δ of a node
deep in a chain is a product of every factor above it, and building it as one sympy
``Mul`` at every step costs O(n² log n) on a chain of n steps. Here each adjoint is
instead a symbol of its own (``∂L/∂x_3``), so a step is one local product and one sum
over the consumers, the way the reverse ledger reads; the full form is built only on
request, and only while it stays within a size bound.

>>> from pathgrad.trace.traced import leaf
>>> from pathgrad.graph import build_graph
>>> x = leaf("x", 0.5)
>>> h = x.sin() + x.cos()
>>> g = build_graph(h.sin() + h.cos())
>>> adjoints = symbolic_adjoints(g)
>>> adjoints.form(0)
∂t1/∂(sin(x) + cos(x))*(-sin(x) + cos(x))
>>> adjoints.expanded(0, 600)
(-sin(x) + cos(x))*(-sin(sin(x) + cos(x)) + cos(sin(x) + cos(x)))
>>> adjoints.expanded(0, 10) is None  # larger than 10 tree nodes written out
True
"""

import sympy

from pathgrad.expressions import tree_size
from pathgrad.sums.paths import atoms_in, replaced, topological_from

#: How much larger than its built tree a size computed before building may be. The size
#: is counted as sympy will flatten a product of products (and a sum of sums); equal
#: factors merging into a power or numbers into one can still move it a little.
SLACK = 2

ONE = sympy.S.One


class Adjoints:
    """∂loss/∂node for every node of a graph, each adjoint named by a symbol.

    ``forms[node]`` is the node's adjoint as one sum over its consumers: each
    consumer's adjoint symbol (or a number) times the summed local derivatives of
    the edges from it, contributions with the *same* adjoint grouped first, so shared
    suffixes stay factored (a diamond gives ``δ*(cos(x) - sin(x))``).
    ``symbols[node]`` stands for that adjoint in the forms below it: a number when
    the form is one, else one symbol per distinct form (two nodes with equal forms
    share it, as equal adjoints were grouped before), named ``∂loss/∂node`` after the
    first node, from the loss down, that has it. ``definitions`` maps each symbol to
    its form.
    """

    def __init__(self, graph):
        loss = graph.graph["loss"]
        loss_name = graph.nodes[loss]["name"]
        self.forms, self.symbols, self.definitions = {}, {}, {}
        self.sizes = {}  # symbol -> tree size of its expansion (an upper bound)
        self._needs = {}  # symbol -> the adjoint symbols its definition mentions
        self._built = {}  # symbol -> its expansion, built once, on request
        self._measured = {}  # expression -> its tree size: expansions share their parts
        self._factors = {}  # symbol -> the distinct factors its expansion multiplies, or None
        named, taken = {}, set()  # form -> the symbol standing for it; the names given
        groups = {loss: {sympy.S.One: sympy.S.One}}
        for node in topological_from(graph):
            terms = groups.pop(node, {})
            form = _sum_of_products(terms)
            self.forms[node] = form
            if form.is_Number or form in self.definitions:
                symbol = form
            elif form in named:
                symbol = named[form]
            else:
                name = _adjoint_name(loss_name, graph.nodes[node]["name"], taken)
                symbol = sympy.Symbol(name, real=True)
                named[form] = symbol
                self.definitions[symbol] = form
                self.sizes[symbol] = self._size(form)
                self._needs[symbol] = [a for a in terms if a in self.definitions]
            self.symbols[node] = symbol
            if form == 0:
                continue
            for _, operand, data in graph.out_edges(node, data=True):
                slot, local = groups.setdefault(operand, {}), data["local_derivative"]
                slot[symbol] = slot[symbol] + local if symbol in slot else local

    def _size(self, form):
        """The tree size of ``form`` with its adjoint symbols written out: a product
        inside a product (a sum inside a sum) is flattened into it, one node fewer."""
        flattened, stack, seen = 0, [form], set()
        while stack:
            e = stack.pop()
            if e in seen or e in self.definitions:
                continue
            seen.add(e)
            for a in e.args:
                if a in self.definitions and type(self.definitions[a]) is e.func:
                    flattened += 1
                stack.append(a)
        return tree_size(form, self.sizes) - flattened

    def form(self, node):
        """∂loss/∂node in the graph's names and its consumers' adjoint symbols."""
        return self.forms[node]

    def expanded(self, node, bound):
        """∂loss/∂node with every adjoint symbol written out, or ``None`` when that
        would take more than ``bound`` tree nodes (measured when the count before
        building is near the bound, else trusted)."""
        form = self.forms[node]
        size = self._size(form)
        if size > SLACK * bound or (size > bound and self._counted_exactly(form)):
            return None
        rule = {s: self._build(s) for s in atoms_in(form) & self.definitions.keys()}
        written = replaced(form, rule) if rule else form
        if size <= bound or tree_size(written, _memo=self._measured) <= bound:
            return written
        return None

    def _counted_exactly(self, form):
        """Whether ``form`` written out is a product of distinct symbols and function
        applications (no number, no power, no ``exp``): sympy builds such a product without
        merging a factor, so its size is the count before building, and one past the bound
        need not be built to be measured (a long product chain built hundreds of products
        of about a thousand factors only to drop them)."""
        for symbol in atoms_in(form) & self.definitions.keys():
            self._after_needs(symbol, self._factors, self._distinct_factors)
        return self._distinct_factors(form) is not None

    def _distinct_factors(self, expr):
        """The factors of the product ``expr`` written out, if they are distinct symbols and
        function applications, else ``None`` (adjoint symbols' factors already found)."""
        found = []
        for factor in expr.args if expr.is_Mul else (expr,):
            if factor in self.definitions:
                if self._factors[factor] is None:
                    return None
                found.extend(self._factors[factor])
            elif factor.is_Symbol or (
                isinstance(factor, sympy.Function) and not isinstance(factor, sympy.exp)
            ):
                found.append(factor)
            else:
                return None
        distinct = frozenset(found)
        return distinct if len(distinct) == len(found) else None

    def written(self, node, bound):
        """∂loss/∂node written out within ``bound``, else its form with adjoint names."""
        written = self.expanded(node, bound)
        return self.forms[node] if written is None else written

    def used_by(self, exprs):
        """The adjoint symbols ``exprs`` mention and those their definitions mention, from
        the loss down: what a reader needs to read ``exprs``."""
        direct = set()
        for expr in exprs:
            direct |= atoms_in(expr) & self.definitions.keys()
        found, stack = set(), list(direct)
        while stack:
            s = stack.pop()
            if s not in found:
                found.add(s)
                stack.extend(self._needs[s])
        return [s for s in self.definitions if s in found]

    def _build(self, symbol):
        """The expansion of ``symbol``'s definition (its needs built first, each once)."""
        return self._after_needs(symbol, self._built, lambda d: replaced(d, self._built))

    def _after_needs(self, symbol, done, compute):
        """``done[symbol] = compute(its definition)``, computed after ``done`` holds every
        adjoint the definition names (each once; a stack, not recursion: a chain may be
        100,000 steps long)."""
        stack = [symbol]
        while stack:
            s = stack[-1]
            if s in done:
                stack.pop()
            elif missing := [n for n in self._needs[s] if n not in done]:
                stack.extend(missing)
            else:
                stack.pop()
                done[s] = compute(self.definitions[s])
        return done[symbol]


def _sum_of_products(terms):
    """``Σ a*c`` over ``terms`` (a dict), as sympy builds it, without calling sympy where
    the answer is one of the operands: most steps have one consumer, many a factor 1."""
    if len(terms) == 1:
        ((a, c),) = terms.items()
        return c if a is ONE else a if c is ONE else a * c
    return sympy.Add(*[c if a is ONE else a if c is ONE else a * c for a, c in terms.items()])


def _adjoint_name(loss, name, taken):
    """``∂L/∂x_3``; a name that is not one word is bracketed: ``∂L/∂(w*x)``. Two values
    may be shown by one name (two ``exp(x)``), and two symbols of one name are one symbol
    to sympy: the second is ``∂L/∂(exp(x))_2``. The name is added to ``taken``."""
    loss, name = (n if n.isidentifier() else f"({n})" for n in (loss, name))
    base = f"∂{loss}/∂{name}"
    written, count = base, 1
    while written in taken:
        count += 1
        written = f"{base}_{count}"
    taken.add(written)
    return written


def symbolic_adjoints(graph):
    """∂loss/∂node for every node, summed regrouped along the graph (one pass over the
    edges): an :class:`Adjoints`."""
    return Adjoints(graph)
