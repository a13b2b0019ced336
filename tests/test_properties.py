"""Property tests: random expression DAGs against independent oracles.

Hypothesis draws small programs (at most a dozen operations or so) over every
row of the op table, with shared subexpressions, reused operands (``a * a``)
and plain numbers on either side of an operator, and checks that

1. every gradient's closed form is ``sympy.diff`` of the loss expression,
   whether the paths are all listed or the sum is regrouped (``max_paths=1``),
   and that both ways give the same closed form and value;
2. every gradient's value agrees with central finite differences computed by
   a replay of the program written here, independently of pathgrad (and with
   pathgrad's own ``check.finite_difference``), away from kinks;
3. ``path_counts``, ``iter_paths`` and ``Gradient.path_count`` agree with a
   naive recursive enumeration of the MultiDiGraph (parallel edges counted
   separately);
4. when every path is listed, the sum of the listed path products (and of
   their values) is the closed form (and the value).

The oracles do not use pathgrad's derivative rules: the loss is rebuilt here
in sympy's own functions (``relu`` as ``Max(0, z)``, ``sigmoid`` as
``1/(1 + exp(-z))``) and differentiated by ``sympy.diff``, and the numeric
replay uses :mod:`math` only.

A generated program prints as the Python that builds it, so a failing example
can be pasted into a file and run with ``pathgrad explain``.
"""

import math
import random
from dataclasses import dataclass

import pytest
import sympy
from hypothesis import HealthCheck, Phase, assume, event, given, settings
from hypothesis import strategies as st

import pathgrad
from pathgrad.functions import relu as sympy_relu
from pathgrad.functions import sigmoid as sympy_sigmoid
from pathgrad.leaf_forms import leaf_form
from pathgrad.ops import OPS
from pathgrad.sums.check import finite_difference
from pathgrad.sums.paths import iter_paths, path_counts

leaf = pathgrad.leaf
explain_tensor = pathgrad.explain_tensor
build_graph = pathgrad.build_graph

try:  # the summing methods an explanation can be asked for, where pathgrad offers a choice
    from pathgrad.sums.methods import METHODS
except ImportError:
    METHODS = ()
REGROUPED_METHODS = tuple(m for m in ("reverse", "forward") if m in METHODS)


def summed(gradient):
    """How the closed form was summed: "paths" when it is the sum of the listed paths."""
    return getattr(gradient, "method", None) or gradient.summed


# --------------------------------------------------------------------------
# Programs
# --------------------------------------------------------------------------

UNARY = ("neg", "exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "reciprocal")
BINARY = ("add", "sub", "mul", "div", "pow", "max", "min")
ALL_OPS = UNARY + BINARY
#: Plain numbers that may appear beside a traced value (ints and floats, both signs, 0).
CONSTANTS = (0, 1, 2, -1, 3, 0.5, -1.5, 2.5, 0.1, 2.0)
NONZERO = tuple(c for c in CONSTANTS if c != 0)
POSITIVE = tuple(c for c in CONSTANTS if c > 0)
#: Exponents allowed on a base of any sign, and on a base built to be positive.
ANY_BASE_EXPONENTS = (2, 3, 2.0, 1)
POSITIVE_BASE_EXPONENTS = (-1, -2, 0.5, 1.5, -0.5, 2.5)
#: Leaf names ("t1" is also the first name pathgrad invents for long intermediates).
LEAF_NAMES = ("x", "y", "w", "t1")

KINK_OPS = {"relu", "abs", "max", "min"}


@dataclass(frozen=True)
class Program:
    """Leaves, then one operation per step; the last step is the loss.

    An operand is ``("n", i)`` for node ``i`` (leaves first, then steps) or
    ``("c", number)`` for a plain number.
    """

    leaves: tuple  # ((name, value), ...)
    steps: tuple  # ((op, (operand, ...)), ...)
    positive: tuple = ()  # per node: positive for every input, by construction

    @property
    def n_leaves(self):
        return len(self.leaves)

    @property
    def loss(self):
        return self.n_leaves + len(self.steps) - 1

    def _repr_pretty_(self, printer, cycle):  # how Hypothesis prints a falsifying example
        printer.text(repr(self))

    def __repr__(self):
        lines = [f"{name} = leaf({name!r}, {value!r})" for name, value in self.leaves]
        for k, (op, args) in enumerate(self.steps):
            lines.append(f"{self.var(self.n_leaves + k)} = {self.source(op, args)}")
        return "\n" + "\n".join(lines) + "\n"

    def var(self, i):
        if i < self.n_leaves:
            return self.leaves[i][0]
        return "loss" if i == self.loss else f"n{i}"

    def text(self, arg):
        kind, v = arg
        return self.var(v) if kind == "n" else repr(v)

    def source(self, op, args):
        a = [self.text(x) for x in args]
        infix = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
        if op in infix:
            return f"{a[0]} {infix[op]} {a[1]}"
        if op == "neg":
            return f"-{a[0]}"
        if op in ("max", "min"):
            return f"{op}({a[0]}, {a[1]})"
        return f"{a[0]}.{op}()"


@st.composite
def programs(draw, min_ops=1, max_ops=10):
    """A random program; log/sqrt/div/pow get operands that are positive for every input.

    About ``max_ops`` operations in all (a step that needs a positive operand may add
    two more), counting the additions that fold unused results into the loss.
    """
    n_leaves = draw(st.integers(1, 3))
    names = draw(st.permutations(LEAF_NAMES))[:n_leaves]
    # Values on a grid of 1/1000 (so ties and zeros, i.e. kinks, happen now and then).
    values = [draw(st.integers(-2000, 2000)) / 1000 for _ in names]
    leaves = tuple(zip(names, values))
    steps = []
    positive = [False] * n_leaves  # positive for every real input, by construction
    consumed = [False] * n_leaves

    def emit(op, *args, pos=False):
        steps.append((op, tuple(args)))
        positive.append(pos)
        consumed.append(False)
        for kind, v in args:
            if kind == "n":
                consumed[v] = True
        return ("n", len(positive) - 1)

    def node():
        return ("n", draw(st.integers(0, len(positive) - 1)))

    def const(pool=CONSTANTS):
        return ("c", draw(st.sampled_from(pool)))

    def positive_node():
        """An existing positive node, or a new one built from any node."""
        existing = [i for i, p in enumerate(positive) if p]
        if existing and draw(st.booleans()):
            return ("n", draw(st.sampled_from(existing)))
        p = node()
        how = draw(st.sampled_from(["exp", "square", "sigmoid", "abs", "relu", "cpow"]))
        if how == "exp":
            return emit("exp", p, pos=True)
        if how == "sigmoid":
            return emit("sigmoid", p, pos=True)
        if how == "cpow":
            return emit("pow", const(POSITIVE), p, pos=True)
        inner = emit("mul", p, p) if how == "square" else emit(how, p)
        c = const(POSITIVE)
        return emit("add", *((inner, c) if draw(st.booleans()) else (c, inner)), pos=True)

    def dangling():
        return sum(not used for used in consumed[n_leaves:])

    n_ops = draw(st.integers(min_ops, max_ops))
    while len(steps) + max(0, dangling() - 1) < n_ops:
        op = draw(st.sampled_from(ALL_OPS))
        if op in ("log", "sqrt", "reciprocal"):
            emit(op, positive_node(), pos=op != "log")
        elif op in UNARY:
            pos = op in ("exp", "sigmoid")
            emit(op, node(), pos=pos)
        elif op in ("add", "sub", "mul", "max", "min"):
            shape = draw(st.sampled_from(["nn", "same", "nc", "cn"]))
            if shape == "nn":
                emit(op, node(), node())
            elif shape == "same":
                a = node()
                emit(op, a, a)
            elif shape == "nc":
                emit(op, node(), const())
            else:
                emit(op, const(), node())
        elif op == "div":
            shape = draw(st.sampled_from(["n/pos", "c/pos", "n/c", "same"]))
            if shape == "n/pos":
                emit(op, node(), positive_node())
            elif shape == "c/pos":
                emit(op, const(), positive_node())
            elif shape == "n/c":
                emit(op, node(), const(NONZERO))
            else:
                p = positive_node()
                emit(op, p, p, pos=True)
        else:  # pow
            shape = draw(st.sampled_from(["n**int", "pos**c", "c**n", "pos**n", "same"]))
            if shape == "n**int":
                emit(op, node(), const(ANY_BASE_EXPONENTS))
            elif shape == "pos**c":
                emit(op, positive_node(), const(POSITIVE_BASE_EXPONENTS), pos=True)
            elif shape == "c**n":
                emit(op, const(POSITIVE), node(), pos=True)
            elif shape == "pos**n":
                emit(op, positive_node(), node(), pos=True)
            else:
                p = positive_node()
                emit(op, p, p, pos=True)
    # Fold every result nobody uses into the loss, so the whole program is in the graph.
    dangling = [("n", i) for i in range(n_leaves, len(positive)) if not consumed[i]]
    total = dangling[0]
    for d in dangling[1:]:
        total = emit("add", total, d)
    return Program(leaves, tuple(steps), tuple(positive))


# --------------------------------------------------------------------------
# Three independent readings of a program: traced, numeric, symbolic
# --------------------------------------------------------------------------


def trace(program, values=None):
    """Run the program on pathgrad's traced values, with Python operators where they exist."""
    nodes = [
        leaf(name, v if values is None else values[i]) for i, (name, v) in enumerate(program.leaves)
    ]

    def get(arg):
        kind, v = arg
        return nodes[v] if kind == "n" else v

    for op, args in program.steps:
        a = [get(x) for x in args]
        if op == "add":
            r = a[0] + a[1]
        elif op == "sub":
            r = a[0] - a[1]
        elif op == "mul":
            r = a[0] * a[1]
        elif op == "div":
            r = a[0] / a[1]
        elif op == "pow":
            r = a[0] ** a[1]
        elif op == "neg":
            r = -a[0]
        elif op == "max":
            r = pathgrad.max(a[0], a[1])
        elif op == "min":
            r = pathgrad.min(a[0], a[1])
        else:
            r = getattr(a[0], op)()
        nodes.append(r)
    return nodes[-1]


def _numeric(op, a):
    if op == "add":
        return a[0] + a[1]
    if op == "sub":
        return a[0] - a[1]
    if op == "mul":
        return a[0] * a[1]
    if op == "div":
        return a[0] / a[1]
    if op == "pow":
        if a[0] == 0 and a[1] < 0:
            raise ValueError
        r = a[0] ** a[1]
        if isinstance(r, complex):
            raise ValueError
        return r
    if op == "neg":
        return -a[0]
    if op == "max":
        return max(a)
    if op == "min":
        return min(a)
    if op == "relu":
        return a[0] if a[0] > 0 else 0.0
    if op == "abs":
        return abs(a[0])
    if op == "sigmoid":
        return 1 / (1 + math.exp(-a[0])) if a[0] >= 0 else math.exp(a[0]) / (1 + math.exp(a[0]))
    if op == "reciprocal":
        return 1 / a[0]
    return getattr(math, op)(a[0])  # exp log sqrt sin cos tanh


def replay(program, values):
    """Every node's value in floats, from leaf values (``None`` where undefined)."""
    out = list(values)
    for op, args in program.steps:
        a = [out[v] if kind == "n" else float(v) for kind, v in args]
        try:
            r = None if None in a else float(_numeric(op, a))
        except (ValueError, ZeroDivisionError, OverflowError):
            r = None
        out.append(r if r is not None and math.isfinite(r) else None)
    return out


def kink_arguments(program, values):
    """For each relu/abs/max/min step: (step node, the value that is 0 at its kink, or ``0``
    when it is 0 up to rounding, ``None`` when undefined)."""
    result = []
    for k, (op, args) in enumerate(program.steps):
        if op not in KINK_OPS:
            continue
        a = [values[v] if kind == "n" else float(v) for kind, v in args]
        if None in a:
            result.append((program.n_leaves + k, None))
            continue
        arg = a[0] if len(a) == 1 else a[0] - a[1]
        tied = abs(arg) <= 1e-14 * sum(abs(x) for x in a)
        result.append((program.n_leaves + k, 0.0 if tied else arg))
    return result


def symbols_of(program):
    return [sympy.Symbol(name, real=True) for name, _ in program.leaves]


def _const(v):
    return sympy.Integer(int(v)) if float(v).is_integer() else sympy.Rational(repr(float(v)))


def symbolic(program):
    """Every node as a sympy expression in sympy's own functions (no pathgrad rules)."""
    out = list(symbols_of(program))
    functions = {
        "exp": sympy.exp,
        "log": sympy.log,
        "sqrt": sympy.sqrt,
        "sin": sympy.sin,
        "cos": sympy.cos,
        "tanh": sympy.tanh,
        "abs": sympy.Abs,
        "relu": lambda z: sympy.Max(0, z),
        "sigmoid": lambda z: 1 / (1 + sympy.exp(-z)),
        "neg": lambda z: -z,
        "reciprocal": lambda z: 1 / z,
        "add": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "max": sympy.Max,
        "min": sympy.Min,
    }
    for op, args in program.steps:
        out.append(functions[op](*[out[v] if kind == "n" else _const(v) for kind, v in args]))
    return out


def identically_zero_kinks(program):
    """Kink arguments that are 0 for every input (``relu(x - x)``, ``max(a, a)``)."""
    exprs = symbolic(program)
    zero = set()
    for k, (op, args) in enumerate(program.steps):
        if op not in KINK_OPS:
            continue
        a = [exprs[v] if kind == "n" else _const(v) for kind, v in args]
        arg = a[0] if len(a) == 1 else a[0] - a[1]
        if arg == 0 or sympy.expand(arg) == 0:
            zero.add(program.n_leaves + k)
    return zero


# --------------------------------------------------------------------------
# Comparing expressions
# --------------------------------------------------------------------------

#: Functions for which a failed simplification says nothing (they are piecewise).
PIECEWISE = (sympy.Heaviside, sympy.sign, sympy.Abs, sympy.Max, sympy.Min)


def rewrite(expr):
    """pathgrad's sigmoid and relu in sympy's own terms."""
    return expr.replace(sympy_sigmoid, lambda z: 1 / (1 + sympy.exp(-z))).replace(
        sympy_relu, lambda z: sympy.Max(0, z)
    )


def in_leaves(graph, expr):
    """A closed form given in intermediate names ("locals"), rewritten in leaf symbols."""
    names = {
        d["symbol"]: leaf_form(graph, n)[0]
        for n, d in graph.nodes(data=True)
        if d["kind"] == "operation" and isinstance(d["symbol"], sympy.Symbol)
    }
    return expr.xreplace(names) if names else expr


def evaluate(expr, point):
    value = expr.xreplace({s: sympy.Float(v, 40) for s, v in point.items()}).evalf(30)
    assert value.is_number, f"{expr} did not evaluate to a number at {point}: {value}"
    return complex(value)


def smooth_points(program, seed, wanted=4, tries=40):
    """Random leaf values where every kink argument is clearly away from 0 (or always 0)."""
    rng = random.Random(seed)
    zero = identically_zero_kinks(program)
    points = []
    for _ in range(tries):
        values = [rng.uniform(-1.5, 1.5) for _ in program.leaves]
        replayed = replay(program, values)
        if None in replayed or max(abs(v) for v in replayed) > 1e8:
            continue
        # A tie at a random point is (almost surely) a tie on a neighbourhood, as in
        # min(min(w, 2), w), where the tied operands have equal derivatives, so any
        # split of the tie is right. Near misses are kinks: avoid them.
        kinks = kink_arguments(program, replayed)
        if all(node in zero or arg == 0 or abs(arg) > 1e-4 for node, arg in kinks):
            points.append(dict(zip(symbols_of(program), values)))
            if len(points) == wanted:
                break
    return points


def assert_same(a, b, program, seed, what):
    """Assert ``a == b`` as functions of the leaves; return how it was decided.

    Symbolically when sympy proves the difference is 0; otherwise at random
    points away from kinks, in 30-digit arithmetic. A failed simplification
    proves nothing (sympy cannot always simplify trig, tanh and exp to 0, and
    Heaviside(x, 0) vs Heaviside(x) differ only at the kink), so then the
    points decide, and they can fail.
    """
    a, b = rewrite(sympy.sympify(a)), rewrite(sympy.sympify(b))
    difference = a - b
    if difference == 0:
        return "identical"
    if not difference.has(*PIECEWISE) and difference.count_ops() <= 150:
        if sympy.expand(difference) == 0 or sympy.cancel(difference) == 0:
            return "symbolic"
    points = smooth_points(program, seed)
    assume(len(points) >= 2)
    for point in points:
        va, vb = evaluate(a, point), evaluate(b, point)
        assert abs(va - vb) <= 1e-12 * (1 + abs(va) + abs(vb)), (
            f"{what}: {a} != {b} at {point}: {va} vs {vb}"
        )
    return "numeric"


# --------------------------------------------------------------------------
# Naive enumeration of paths
# --------------------------------------------------------------------------


def brute_paths(graph, source, target):
    """Every path from source to target, as edge lists, by plain recursion."""
    if source == target:
        return [[]]
    found = []
    for _, operand, key in graph.out_edges(source, keys=True):
        for rest in brute_paths(graph, operand, target):
            found.append([(source, operand, key), *rest])
    return found


# --------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------

DETERMINISTIC = dict(
    derandomize=True,
    database=None,
    deadline=None,
    # No explain phase: it costs seconds per failure and the printed program says enough.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)


def defined_and_moderate(program, values):
    """Everything is defined and not near overflow or 0-underflow at these values."""
    replayed = replay(program, values)
    if None in replayed or max(abs(v) for v in replayed) > 1e6:
        return False
    # Nodes built positive (log, sqrt, div and pow operands) must stay clearly positive.
    return all(v > 1e-8 for v, pos in zip(replayed, program.positive) if pos)


# --------------------------------------------------------------------------
# 1. closed form == sympy.diff, listed or regrouped
# --------------------------------------------------------------------------


@settings(max_examples=200, **DETERMINISTIC)
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_closed_form_is_sympy_diff(program, seed):
    loss = trace(program)
    listed = explain_tensor(loss, max_paths=10**6)
    regrouped = explain_tensor(loss, max_paths=1, check=True)
    # Every other way pathgrad offers to sum the same paths, and closed forms in local names.
    others = {f"method={m}": explain_tensor(loss, max_paths=1, method=m) for m in REGROUPED_METHODS}
    if METHODS:
        others["in_terms_of=locals"] = explain_tensor(loss, max_paths=1, in_terms_of="locals")
    graph = listed.graph
    loss_expr = leaf_form(graph, graph.graph["loss"])[0]
    assert loss_expr is not None
    # The graph's loss expression is the program's, built here with sympy's own functions.
    event("loss: " + assert_same(loss_expr, symbolic(program)[-1], program, seed, "loss"))
    assert set(listed.gradients) == set(regrouped.gradients)
    for name, full in listed.gradients.items():
        part = regrouped.gradients[name]
        node = next(n for n, d in graph.nodes(data=True) if d["name"] == name)
        symbol = graph.nodes[node]["symbol"]
        assert graph.nodes[node]["kind"] == "leaf" and symbol == sympy.Symbol(name, real=True)
        reference = sympy.diff(rewrite(loss_expr), symbol)
        assert summed(full) == "paths"
        assert (summed(part) == "paths") == (full.path_count <= 1)
        assert len(part.paths) == min(1, full.path_count)
        assert full.path_count == part.path_count
        ways = {
            "listed": full,
            "max_paths=1": part,
            **{how: e.gradients[name] for how, e in others.items()},
        }
        for how, gradient in ways.items():
            # graph.nodes is the same for every explanation of this loss: same names.
            closed = in_leaves(graph, gradient.closed_form)
            event(
                f"{how}: "
                + assert_same(closed, reference, program, seed, f"d loss/d {name} ({how})")
            )
            assert gradient.path_count == full.path_count, how
            assert gradient.value == full.value, how
        assert_same(
            in_leaves(graph, full.closed_form),
            in_leaves(graph, part.closed_form),
            program,
            seed,
            f"listed vs regrouped d loss/d {name}",
        )
        # pathgrad's own check (sympy.diff and finite differences) raises no false alarm.
        assert part.check.symbolic != "differ", part.check
        assert part.check.numeric != "differ", part.check


# --------------------------------------------------------------------------
# 2. values == central finite differences, away from kinks
# --------------------------------------------------------------------------


@settings(max_examples=500, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_values_match_finite_differences(program):
    values = [v for _, v in program.leaves]
    assume(defined_and_moderate(program, values))
    explanation = explain_tensor(trace(program), max_paths=1)
    graph = explanation.graph
    replayed = replay(program, values)
    scale = max(1.0, *(abs(v) for v in replayed))
    zero = identically_zero_kinks(program)
    assert explanation.loss_value == pytest.approx(replayed[-1], rel=1e-12, abs=1e-12)
    checked = 0
    for i, (name, value) in enumerate(program.leaves):
        if name not in explanation.gradients:  # the loss does not depend on this leaf
            continue
        gradient = explanation.gradients[name]
        h = 1e-6 * max(1.0, abs(value))
        up, down = list(values), list(values)
        up[i] += h
        down[i] -= h
        at = {"up": replay(program, up), "here": replayed, "down": replay(program, down)}
        # Skip a leaf whose nudge crosses or touches a kink. A kink argument that stays 0
        # all along the nudge (relu(x*y) at y=0, nudging x; max(a, a)) is fine: its
        # derivative along the nudge is 0, so every convention gives the same gradient.
        signs = {node: set() for node, _ in kink_arguments(program, replayed)}
        for vals in at.values():
            if None in vals:
                signs = None
                break
            for node, arg in kink_arguments(program, vals):
                signs[node].add("0" if arg == 0 else "+" if arg > 0 else "-")
        if signs is None or any(node not in zero and len(s) > 1 for node, s in signs.items()):
            event("finite differences: skipped a leaf at a kink")
            continue
        fd = (at["up"][-1] - at["down"][-1]) / (2 * h)
        assert gradient.value is not None, f"d loss/d {name} undefined: {gradient.undefined}"
        # Truncation error is O(h**2); rounding error is about eps * |values| / h.
        tolerance = 1e-5 * (1 + abs(fd)) + 1e-8 * scale / max(1.0, abs(value))
        assert abs(gradient.value - fd) <= tolerance, (
            f"d loss/d {name}: pathgrad {gradient.value}, finite difference {fd}"
        )
        # pathgrad's own finite difference (its replay of the graph) agrees too.
        node = next(n for n, d in graph.nodes(data=True) if d["name"] == name)
        theirs = finite_difference(graph, node)
        assert theirs is not None and abs(theirs - fd) <= tolerance, (
            f"check.finite_difference for {name}: {theirs}, replay here: {fd}"
        )
        checked += 1
    event(f"finite differences: {checked} leaves checked")


# --------------------------------------------------------------------------
# 3. path counts == naive enumeration
# --------------------------------------------------------------------------


@settings(max_examples=400, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_path_counts_match_enumeration(program):
    graph = build_graph(trace(program))
    loss = graph.graph["loss"]
    counts = path_counts(graph)
    assert set(counts) == set(graph)
    for node in graph:
        expected = brute_paths(graph, loss, node)
        assert counts[node] == len(expected), f"path_counts[{node}]"
        if node == loss:  # the empty path: see test_loss_that_is_a_leaf_has_one_path
            continue
        streamed = list(iter_paths(graph, node))
        assert len(streamed) == len(expected), f"iter_paths(g, {node})"
        assert sorted(streamed) == sorted(expected), f"iter_paths(g, {node}) edges"
    explanation = explain_tensor(trace(program), max_paths=0)
    for name, gradient in explanation.gradients.items():
        node = next(n for n, d in graph.nodes(data=True) if d["name"] == name)
        assert gradient.path_count == len(brute_paths(graph, loss, node))


def test_path_counts_of_a_reused_operand_chain():
    """Squaring k times gives 2**k paths: parallel edges are distinct paths."""
    x = leaf("x", 1.1)
    y = x
    for _ in range(6):
        y = y * y
    graph = build_graph(y)
    assert path_counts(graph)[0] == 2**6 == len(brute_paths(graph, graph.graph["loss"], 0))
    assert len(list(iter_paths(graph, 0))) == 2**6


# --------------------------------------------------------------------------
# 4. sum of listed path products == closed form
# --------------------------------------------------------------------------


@settings(max_examples=200, **DETERMINISTIC)
@given(program=programs(), seed=st.integers(0, 2**32 - 1))
def test_listed_paths_sum_to_the_closed_form(program, seed):
    explanation = explain_tensor(trace(program), max_paths=10**6)
    graph = explanation.graph
    loss_name = graph.nodes[graph.graph["loss"]]["name"]
    for name, gradient in explanation.gradients.items():
        assert summed(gradient) == "paths"
        assert len(gradient.paths) == gradient.path_count
        for path in gradient.paths:
            assert path.nodes[0] == loss_name and path.nodes[-1] == name
            assert len(path.nodes) == len(path.edges) + 1
            if path.value is not None:
                assert path.value == pytest.approx(math.prod(path.factor_values), rel=1e-12)
        total = sympy.Add(*[in_leaves(graph, p.product) for p in gradient.paths])
        event(
            "path sum: "
            + assert_same(
                total,
                in_leaves(graph, gradient.closed_form),
                program,
                seed,
                f"sum of paths to {name}",
            )
        )
        path_values = [p.value for p in gradient.paths]
        if gradient.value is not None and None not in path_values:
            assert math.fsum(path_values) == pytest.approx(gradient.value, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------
# The degenerate DAG, kept apart so it does not hide other failures
# --------------------------------------------------------------------------


LEAF_VALUES = st.integers(-2000, 2000).map(lambda k: k / 1000)


LEAF_OPTIONS = [dict(max_paths=m) for m in (0, 1, 20)] + [
    dict(method=m) for m in METHODS if m != "auto"
]


@settings(max_examples=15, **DETERMINISTIC)
@given(value=LEAF_VALUES, options=st.sampled_from(LEAF_OPTIONS))
def test_loss_that_is_a_leaf_has_gradient_one(value, options):
    """loss = x: d loss/d x = 1, by its one (empty) path, listed or regrouped."""
    x = leaf("x", value)
    gradient = explain_tensor(x, **options).gradients["x"]
    assert gradient.path_count == 1
    assert gradient.value == 1.0
    assert gradient.closed_form == 1, f"{summed(gradient)}: closed form {gradient.closed_form}"


@settings(max_examples=5, **DETERMINISTIC)
@given(value=LEAF_VALUES)
def test_loss_that_is_a_leaf_has_one_path(value):
    """path_counts counts the empty path from the loss to itself; iter_paths should stream it."""
    x = leaf("x", value)
    graph = build_graph(x)
    assert path_counts(graph)[0] == len(brute_paths(graph, 0, 0)) == 1
    assert len(list(iter_paths(graph, 0))) == 1


def test_generator_covers_the_op_table():
    """Every op of the table, reuse, and plain numbers on both sides are generated."""
    seen_ops, shapes = set(), set()

    @settings(max_examples=200, **DETERMINISTIC)
    @given(program=programs())
    def collect(program):
        uses = {}
        for op, args in program.steps:
            seen_ops.add(op)
            kinds = "".join(kind for kind, _ in args)
            if len(args) == 2 and args[0] == args[1]:
                shapes.add("same operand")
            if kinds == "cn":
                shapes.add("number on the left")
            if kinds == "nc":
                shapes.add("number on the right")
            for kind, v in args:
                if kind == "n":
                    uses[v] = uses.get(v, 0) + 1
        if any(n >= program.n_leaves and c > 1 for n, c in uses.items()):
            shapes.add("shared subexpression")

    collect()
    assert seen_ops == set(OPS) == set(ALL_OPS)
    assert shapes == {
        "same operand",
        "number on the left",
        "number on the right",
        "shared subexpression",
    }
