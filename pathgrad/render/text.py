"""The blackboard: an explanation as plain text, in Unicode or ASCII.

>>> from pathgrad.explanation import explain
>>> print(render(explain("seed", wrt=["w1"]), style="ascii"))  # doctest: +NORMALIZE_WHITESPACE
L = 1 - x5 = -7        at x1=1, x2=2, w1=1, w2=2, w3=3
<BLANKLINE>
dL/dw1 - 2 paths from L to w1
  path 1  L -> x5 -> w2*x3 -> x3 -> w1
          dL/dx5 * dx5/d(w2*x3) * d(w2*x3)/dx3 * dx3/dw1
          = (-1) * 1 * w2 * x1  = -w2*x1 = -2
          factors from lines 10, 9, 9, 7
  path 2  L -> x5 -> w3*x4 -> x4 -> w1
          dL/dx5 * dx5/d(w3*x4) * d(w3*x4)/dx4 * dx4/dw1
          = (-1) * 1 * w3 * x2  = -w3*x2 = -6
          factors from lines 10, 9, 9, 8
  sum     dL/dw1 = -w2*x1 - w3*x2 = -8
  cost    6 multiplications summing path by path; reverse mode 11 (all leaves), forward mode 7
"""

import sympy
from sympy.printing.str import StrPrinter

from pathgrad.collector import collector_paused
from pathgrad.escaping import visible_lines
from pathgrad.explanation.tensors import tensor_gradients
from pathgrad.kernels import special_name
from pathgrad.render.listing import (
    NAMES_NOTE,
    SUMMARY_NOTE,
    SUMMARY_PATHS,
    SUMMARY_PRODUCT,
    TEXT_BUDGET,
    largest,
    printed_origins,
    step_lines,
    unit_runs,
)
from pathgrad.trace.elements import element_name
from pathgrad.trace.parts import is_name

STYLES = {
    "unicode": dict(d="∂", times=" · ", mul="·", pow="^", arrow=" → ", dash="—", ok="✓", bad="✗"),
    "ascii": dict(
        d="d", times=" * ", mul="*", pow="**", arrow=" -> ", dash="-", ok="ok", bad="MISMATCH"
    ),
}
INDENT = "          "
#: Ledger steps printed per gradient (the JSON has them all).
LEDGER_LINES = 60


def value_text(value, undefined=None):
    """A number as a student writes it: ``-7`` rather than ``-7.0``; ``?`` when unknown.

    >>> value_text(-7.0), value_text(0.1 + 0.2), value_text(None), value_text(None, "x")
    ('-7', '0.3', '?', 'undefined')
    """
    if value is None:
        return "undefined" if undefined else "?"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.6g}"


def remarks(g):
    """What a reader should know about a gradient's sum, as sentences every format shares.

    >>> from pathgrad.explanation import explain
    >>> remarks(explain("diamonds", max_paths=0).gradients["x"])  # doctest: +NORMALIZE_WHITESPACE
    ['all 1,073,741,824 paths, summed regrouped in reverse mode (each edge used once, as
      backpropagation does)', "in terms of the graph's intermediate names: written out in leaf
      symbols it would be too large to print"]
    """
    plural = "path" if g.path_count == 1 else "paths"
    out = []
    if g.path_count == 0:
        out.append(
            f"no path from {g.loss} to {g.leaf}: {g.loss} does not depend on {g.leaf}, "
            f"so the gradient is 0 (PyTorch leaves {g.leaf}.grad as None)"
        )
    if g.method != "paths" and g.path_count:
        how = ", as backpropagation does" if g.method == "reverse" else ""
        out.append(
            f"all {g.path_count:,} {plural}, summed regrouped in {g.method} mode "
            f"(each edge used once{how})"
        )
    if g.simplified:
        out.append(f"{g.simplified} (an equal form)")
    if g.in_terms_of == "locals":
        out.append(
            g.locals_reason
            or "in terms of the graph's intermediate names: written out "
            "in leaf symbols it would be too large to print"
        )
    if g.undefined:
        out.append(f"value {special_name(g.value) or 'undefined'}: {g.undefined}")
    return out


class SharedPrinter(StrPrinter):
    """sympy's ``str``, each distinct subexpression printed once per printer.

    An explanation prints the same expressions again and again (a local derivative on
    every path through its edge, ``tanh(b + w*x)`` inside every closed form above it), and
    ``str`` prints every occurrence anew. This printer keeps what it printed, keyed by
    the expression and its type (sympy 1.12 has ``Float(2.0) == Integer(2)``), and for an
    atom whether it is printed alone: a ``Float`` keeps its trailing zeros only then.

    >>> x = sympy.Symbol("x")
    >>> printer = SharedPrinter()
    >>> printer.doprint(sympy.sin(x) * x + sympy.sin(x)), printer.doprint(sympy.Float(2.0) * x)
    ('x*sin(x) + sin(x)', '2.0*x')
    """

    def __init__(self, settings=None):
        super().__init__({"order": None, **(settings or {})})  # as ``str`` prints
        self._printed = {}

    def _print(self, expr, **kwargs):
        if kwargs or not isinstance(expr, sympy.Basic):
            return super()._print(expr, **kwargs)
        key = (type(expr), expr, expr.is_Atom and self._print_level == 0)
        text = self._printed.get(key)
        if text is None:
            text = self._printed[key] = super()._print(expr)
        return text


class TextRenderer:
    """One renderer instance per call: the style is data, each part is one method.

    ``paths`` is "all" (every listed path in full), a number (a summary with that many
    of the largest paths) or "auto" (every path while the text stays under
    :data:`TEXT_BUDGET`, else a summary with :data:`SUMMARY_PATHS`).
    """

    def __init__(self, style, paths="auto"):
        self.s = STYLES[style]
        self.printer = SharedPrinter()
        self.paths = paths

    def expr(self, e):
        text = self.printer.doprint(e) if isinstance(e, sympy.Basic) else str(e)
        if self.s["mul"] == "*":
            return text
        return text.replace("**", "^").replace("*", self.s["mul"])

    def formula(self, text):
        """A formula as written in the file (``**`` and ``*``), in this style."""
        return self.expr(text)

    def factor(self, e):
        text = self.expr(e)
        return f"({text})" if text.startswith("-") or " " in text else text

    def node(self, name):
        """A node's name on a path: bracketed only when it is a sum (``(b + w*x)``)."""
        text = self.expr(name)
        return f"({text})" if " " in name else text

    def partial(self, top, bottom):
        d = self.s["d"]
        wrap = [self.expr(n) if is_name(n) else f"({self.expr(n)})" for n in (top, bottom)]
        return f"{d}{wrap[0]}/{d}{wrap[1]}"

    def header(self, e):
        leaves = ", ".join(f"{k}={value_text(v)}" for k, v in e.leaves.items())
        value = value_text(e.loss_value, e.loss_undefined)
        line = f"{e.loss} = {self.formula(e.loss_expr)} = {value}"
        return f"{line:<22}  at {leaves}" if leaves else line

    def path(self, number, path):
        steps = unit_runs(path.factors)
        chain = self.s["times"].join(
            self.partial(path.nodes[i], path.nodes[j]) for i, j, _ in steps
        )
        times = "x" if self.s["mul"] == "*" else "×"
        factors = self.s["times"].join(
            f"1 ({times}{j - i})" if unit else self.factor(path.factors[i]) for i, j, unit in steps
        )
        lines = ", ".join(step_lines(path.lines[i:j], times) for i, j, _ in steps)
        via = "".join(f"   (through {self.expr(v)})" for v in path.via)
        return [
            f"  path {number:<2} " + self.s["arrow"].join(self.node(n) for n in path.nodes) + via,
            INDENT + chain,
            f"{INDENT}= {factors}  = {self.expr(path.product)} = "
            f"{value_text(path.value, path.undefined)}",
            f"{INDENT}factors from lines {lines}",
        ]

    def gradient(self, g, summary=None):
        """The gradient's lines: every listed path, or (``summary``: how many) the largest."""
        plural = "path" if g.path_count == 1 else "paths"
        d = self.partial(g.loss, g.leaf)
        out = [f"{d} {self.s['dash']} {g.path_count:,} {plural} from {g.loss} to {g.leaf}"]
        if summary is None:
            for number, path in enumerate(g.paths, 1):
                out += self.path(number, path)
            hidden = g.path_count - g.paths_listed
            if hidden:
                out.append(
                    f"  ... and {hidden:,} more {plural} not listed (--max-paths to list more)"
                )
        else:
            out += self.summary(g, summary)
        out += self.ledger(g)
        value = value_text(g.value, g.undefined)
        out.append(f"  sum     {d} = {self.expr(g.closed_form)} = {value}")
        out += [INDENT + remark for remark in remarks(g)]
        if g.check:
            out += self.check(g.check)
        out.append(self.costs(g))
        return out

    def summary(self, g, k):
        """The ``k`` largest paths by magnitude, a line each: the route (a run of unit
        factors as one step), the product when it is short, and the value."""
        if not g.paths or not k:
            return []
        shown = largest(g.paths, k)
        out = []
        if len(shown) < g.path_count:
            listed = " listed" if g.paths_listed < g.path_count else " paths"
            out.append(f"  the {len(shown)} largest of the {g.paths_listed:,}{listed} by magnitude")
        for number in shown:
            path = g.paths[number - 1]
            route = [path.nodes[0], *(path.nodes[j] for _, j, _ in unit_runs(path.factors))]
            product = self.expr(path.product)
            value = value_text(path.value, path.undefined)
            short = len(product) <= SUMMARY_PRODUCT and product != value
            arrow = self.s["arrow"]
            out.append(
                f"  path {number:<2} {arrow.join(self.node(n) for n in route)}  = "
                + (f"{product} = {value}" if short else value)
            )
        return out

    def costs(self, g):
        c = g.costs
        noun = "multiplication" if c["paths"] == 1 else "multiplications"
        return (
            f"  cost    {c['paths']:,} {noun} summing path by path; reverse mode "
            f"{c['reverse']:,} (all leaves), forward mode {c['forward']:,}"
        )

    def ledger(self, g):
        if not g.ledger:
            return []
        d, times = self.s["d"], self.s["times"]
        if g.method == "reverse":
            title = f"reverse mode, from {g.loss} down: each {d}{g.loss}/{d}node once"
            partial = lambda node: self.partial(g.loss, node)  # noqa: E731
        else:
            title = f"forward mode, from {g.leaf} up: each {d}node/{d}{g.leaf} once"
            partial = lambda node: self.partial(node, g.leaf)  # noqa: E731
        out = [f"  {title}"]
        for step in g.ledger[:LEDGER_LINES]:
            terms = " + ".join(
                f"{partial(other)}{times}{self.factor(f)}" for other, f in step.terms
            )
            parts = [partial(step.node), terms, self.expr(step.total), value_text(step.value)]
            if parts[2] == parts[3]:  # a number already
                parts.pop()
            out.append(INDENT + " = ".join(p for p in parts if p))
        if len(g.ledger) > LEDGER_LINES:
            out.append(f"{INDENT}... and {len(g.ledger) - LEDGER_LINES} more steps")
        return out

    def names(self, e, lines):
        """Where each numbered name in ``lines`` comes from (:func:`printed_origins`)."""
        shown = printed_origins(e, "\n".join(lines))
        if not shown:
            return []
        width = max(len(name) for name, _ in shown)
        out = ["", f"names: {NAMES_NOTE}"]
        return out + [f"  {name:<{width}}  {where}" for name, where in shown]

    def torch(self, e):
        ok, bad = self.s["ok"], self.s["bad"]
        out = [
            "PyTorch (CPU, float64) replaying the same graph",
            f"  {'':<12}{'pathgrad':>14}{'PyTorch':>14}",
        ]
        for number, row in enumerate(e.torch):
            name = row.name if number == 0 else self.partial(e.loss, row.name)
            mark = ok if row.agree else bad
            theirs = "None" if row.grad_is_none else value_text(row.torch)
            line = f"  {name:<12}{value_text(row.pathgrad):>14}{theirs:>14}  {mark}"
            if row.grad_fn:
                same = row.grad_fn[0] == row.grad_fn[1]
                line += f"   grad_fn {row.grad_fn[0]} / {row.grad_fn[1]} {ok if same else bad}"
            out.append(line)
        return out

    def check(self, c):
        ok, bad = self.s["ok"], self.s["bad"]
        mark = (
            ok if c.symbolic.startswith("equal") else "" if c.symbolic.startswith("skip") else bad
        )
        out = [f"  check   sympy.diff of the loss: {c.symbolic} {mark}".rstrip()]
        fd = "" if c.finite_difference is None else f" {c.finite_difference:#.6g}"
        verdict = {
            "agree": ok,
            "differ": bad,
            "kink": "(differs at a kink, where the derivative is a convention)",
        }
        out.append(f"{INDENT}finite difference:{fd} {verdict.get(c.numeric, c.numeric)}")
        return out

    def tensor(self, e, t, elements, summary=None):
        """A tensor leaf's gradient: its values as a matrix, then one element's paths in
        full (the one ``elements`` names, else the first) and the others counted."""
        explained = [name for name in t.elements if name in e.gradients]
        chosen = next((name for name in elements if name in explained), explained[0])
        size = " x ".join(str(n) for n in t.shape)
        out = [f"{self.partial(e.loss, t.name)} {self.s['dash']} tensor {t.name} ({size})"]
        out += ["  " + row for row in matrix_lines(t.grad)]
        if t.matrix_form is None:
            out.append(f"  matrix form: none found; element by element, {chosen} below")
        else:
            out.append(f"  matrix form: {self.partial(e.loss, t.name)} = {t.matrix_form}")
            out.append(f"{INDENT}(equals every element's path sum; {chosen}'s paths below)")
        others = [e.gradients[name].path_count for name in explained if name != chosen]
        if others:
            many = "elements" if len(others) > 1 else "element"
            paths = "paths" if sum(others) != 1 else "path"
            out.append(
                f"  {len(others)} other {many} of {t.name} explained, not listed "
                f"({sum(others):,} {paths} in all; --element NAME shows another)"
            )
        return out + ["", *self.gradient(e.gradients[chosen], summary)]

    def blocks(self, e, elements, summary):
        """Each gradient's lines; a tensor leaf's explained elements as one block."""
        tensors = tensor_gradients(e)
        owner = {name: t for t in tensors.values() for name in t.elements}
        shown, blocks = set(), []
        for name, g in e.gradients.items():
            t = owner.get(name)
            if t is None:
                blocks.append(self.gradient(g, summary))
            elif t.name not in shown:
                shown.add(t.name)
                chosen = [element_name(n) for n in elements]
                blocks.append(self.tensor(e, t, chosen, summary))
        return blocks

    def render(self, e, elements=()):
        out = [self.header(e)]
        summary = None if self.paths in ("auto", "all") else self.paths
        blocks = self.blocks(e, elements, summary)
        if self.paths == "auto" and sum(len(line) + 1 for b in blocks for line in b) > (
            TEXT_BUDGET
        ):
            summary = SUMMARY_PATHS
            blocks = self.blocks(e, elements, summary)
        for lines in blocks:
            out += ["", *lines]
        if summary is not None and any(g.paths for g in e.gradients.values()):
            out += ["", SUMMARY_NOTE]
        out += self.names(e, out)
        if e.torch:
            out += ["", *self.torch(e)]
        if e.notes:
            out += ["", "notes"]
            out += [f"  line {n.line}: {n.text}" if n.line else f"  {n.text}" for n in e.notes]
        return visible_lines("\n".join(out))  # nothing from a file moves the cursor


@collector_paused()
def render(explanation, style="unicode", elements=(), paths="auto"):
    """The explanation as text; ``style`` is "unicode" (∂, ·, →) or "ascii"; ``paths`` is
    "auto", "all" or how many of the largest paths a summary shows (:class:`TextRenderer`).

    A tensor leaf's gradient shows as a matrix of values and the paths of one element:
    the one ``elements`` names (``["W[0,1]"]``), else its first.
    """
    return TextRenderer(style, paths).render(explanation, elements)


def matrix_lines(values):
    """A gradient's values as the rows of a matrix, columns aligned.

    >>> matrix_lines([[1.0, -0.5], [2.25, 3.0]])
    ['[[   1  -0.5]', ' [2.25     3]]']
    >>> matrix_lines([1.0, None])
    ['[1  ?]']
    """
    rows = values if values and isinstance(values[0], list) else [values]
    texts = [[value_text(v) for v in row] for row in rows]
    width = max(len(t) for row in texts for t in row)
    lines = ["  ".join(t.rjust(width) for t in row) for row in texts]
    if rows is values and isinstance(values[0], list):
        lines = [f"{'[' if i == 0 else ' '}[{line}]" for i, line in enumerate(lines)]
        lines[-1] += "]"
        return lines
    return [f"[{lines[0]}]"]
