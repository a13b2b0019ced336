"""Cross-checks of a gradient: sympy.diff of the composed loss, finite differences.

Neither check uses the path sum. ``sympy.diff`` differentiates the whole loss
expression with sigmoid and relu rewritten into exp and Max, so even the
textbook derivative rules of :mod:`pathgrad.functions` are checked; finite
differences replay the graph numerically with one leaf nudged either way.

>>> from pathgrad.trace.traced import leaf
>>> from pathgrad.graph import build_graph
>>> x = leaf("x", 0.5)
>>> g = build_graph(x.sigmoid() * x)
>>> round(finite_difference(g, 0), 6)
0.739961
"""

import math
import random
from dataclasses import dataclass

import sympy

from pathgrad.expressions import has_infinity, tree_size
from pathgrad.functions import relu, sigmoid
from pathgrad.leaf_forms import leaf_form
from pathgrad.ops import OPS
from pathgrad.passes import forward
from pathgrad.sums.paths import operand_values, operations
from pathgrad.sums.simplify import EXPAND_BOUND, expanded_terms

#: sympy.diff is compared only for losses and gradients at most this size (in leaf symbols).
CHECK_BOUND = 5_000
#: Differences of at most this size are expanded symbolically; larger ones are sampled.
SYMBOLIC_BOUND = 150
SAMPLES = 5


@dataclass
class Check:
    """How a gradient compares with independent computations of it.

    ``symbolic`` is one of "equal", "equal at N random points", "differ", or
    "skipped: why"; ``numeric`` is "agree", "differ", "kink" (they differ,
    and a kink lies between) or "skipped: why".
    """

    sympy_diff: sympy.Expr | None
    symbolic: str
    finite_difference: float | None
    numeric: str


def replay(graph, values):
    """The value of every node, recomputed from leaf values (``None`` where undefined).

    ``values`` overrides some leaves' values; the pass is :func:`pathgrad.passes.forward`.
    """
    return forward(operations(graph), values)


def finite_difference(graph, leaf, step=1e-6):
    """Central difference of the loss with respect to ``leaf`` at the graph's values.

    ``None`` when the loss has no finite value on either side (a pole, an overflow).
    """
    value = graph.nodes[leaf]["value"]
    if value is None:
        return None
    h = leaf_step(graph, leaf, step)
    loss = graph.graph["loss"]
    up = replay(graph, {leaf: value + h})[loss]
    down = replay(graph, {leaf: value - h})[loss]
    if up is None or down is None or not math.isfinite(up - down):
        return None
    return (up - down) / (2 * h)


def _rewrite(expr):
    """sigmoid and relu in sympy's own functions, so sympy.diff does not use our rules."""
    return expr.replace(sigmoid, lambda z: 1 / (1 + sympy.exp(-z))).replace(
        relu, lambda z: sympy.Max(0, z)
    )


def same_expression(a, b, symbols):
    """Compare two expressions: symbolically when small, else at random points."""
    difference = a - b
    if difference == 0:
        return "equal"
    if tree_size(difference) <= SYMBOLIC_BOUND and expanded_terms(difference) <= EXPAND_BOUND:
        if sympy.expand(difference) == 0 or sympy.cancel(difference) == 0:
            return "equal"
    rng = random.Random(0)
    for _ in range(SAMPLES):
        point = {s: sympy.Float(rng.uniform(0.3, 1.7)) for s in symbols}
        gap = difference.xreplace(point).evalf()
        scale = abs(a.xreplace(point).evalf()) + 1
        if not gap.is_number or not gap.is_finite or abs(gap) > 1e-9 * scale:
            return "differ"
    return f"equal at {SAMPLES} random points"


def check_gradient(graph, leaf, closed_form, value, kink_on_path):
    """Compare one gradient with sympy.diff and with finite differences.

    ``closed_form`` is in leaf symbols, or ``None`` when it could not be
    written out in them (then only finite differences are compared). ``leaf`` may be a
    computed node (∂L/∂x3): sympy.diff then differentiates the loss written down to that
    node, which is held as a symbol of its own, and the difference nudges its value.
    """
    reference, symbolic = None, _cannot_diff(graph, leaf, closed_form)
    if symbolic is None:
        loss_expr, symbol, at = _differentiable(graph, leaf)
        if loss_expr is None:
            symbolic = "skipped: the loss written down to this value is too large for sympy.diff"
        else:
            reference = sympy.diff(_rewrite(loss_expr), symbol).xreplace(at)
            symbols = (loss_expr.free_symbols | {symbol} | reference.free_symbols) - set(at)
            symbolic = _compare(closed_form, reference, sorted(symbols, key=str))
    fd, numeric = numeric_check(graph, leaf, value, kink_on_path)
    return Check(reference, symbolic, fd, numeric)


def _cannot_diff(graph, leaf, closed_form):
    """Why sympy.diff cannot check this gradient, or ``None``."""
    loss_form, loss_size = leaf_form(graph, graph.graph["loss"])
    if loss_form is None:
        return "skipped: the loss has no expression in leaf symbols"
    if loss_size > CHECK_BOUND:
        return "skipped: the loss expression is too large for sympy.diff"
    if closed_form is None:
        return "skipped: the gradient has no closed form in leaf symbols"
    if leaf_form(graph, leaf)[0] is None:
        return "skipped: the value has no expression in leaf symbols"
    return None


def _differentiable(graph, node):
    """``(loss expression, symbol, back to leaves)``: the loss in leaf symbols for a leaf;
    for a computed node, the loss written down to it, with a symbol of its own standing for
    it, and the substitution that puts the node's leaf form back after differentiating."""
    if graph.nodes[node]["kind"] == "leaf":
        return leaf_form(graph, graph.graph["loss"])[0], graph.nodes[node]["symbol"], {}
    held = sympy.Dummy(graph.nodes[node]["name"], real=True)
    forms = {}
    for n in sorted(graph):
        data = graph.nodes[n]
        if n == node or data["kind"] == "leaf":
            forms[n] = held if n == node else data["symbol"]
            continue
        numbers = data["numbers"]  # as written: the floats of "operands" may be rounded
        args = [numbers[k] if k in numbers else forms[o] for k, o in enumerate(data["operands"])]
        forms[n] = OPS[data["op"]].symbolic(*args)
        if tree_size(forms[n]) > CHECK_BOUND:
            return None, held, {}
    return forms[graph.graph["loss"]], held, {held: leaf_form(graph, node)[0]}


def _compare(closed_form, reference, symbols):
    """The symbolic check's verdict: the closed form against sympy.diff's reference."""
    if has_infinity(reference):  # d(0**b)/db = 0**b*log(0): sympy has no finite form
        return "skipped: sympy.diff gives an infinity here (PyTorch's convention decides)"
    try:
        return same_expression(_rewrite(closed_form), reference, symbols)
    except (ValueError, TypeError):  # Heaviside(sqrt(-x)): complex at every point
        return "skipped: sympy cannot compare them here (the forms are complex)"


def numeric_check(graph, leaf, value, kink_on_path=False):
    """A central difference and its verdict: ``"agree"``, ``"differ"``, ``"kink"``, or
    ``"skipped: why"`` (then the difference is ``None``: a number beside "skipped" would
    read as a result).

    The difference is taken at two steps, ``h`` and ``2h``. When they disagree with each
    other (a kink or a fast oscillation within ``2h``: ``relu(x - 1)`` at ``1 + 1e-7``,
    ``sin`` at ``1e6``) and not with the gradient alone, the difference cannot judge it.
    """
    x = graph.nodes[leaf]["value"]
    if x is None or value is None or not math.isfinite(value):
        return None, "skipped: no finite value at this point"
    h = leaf_step(graph, leaf)
    if h == 0 or x + h == x:
        return None, f"skipped: the leaf {x:.6g} is too close to 0 to be nudged"
    fd = finite_difference(graph, leaf)
    if fd is None:
        return None, f"skipped: the loss has no finite value a step away (at ± {h:.1g})"
    scale = magnitude(graph)
    noise = fd_noise(scale, h)
    if not fd_agrees(fd, value, 0.0, 1.0) and max(abs(fd), abs(value)) <= noise:
        return None, (
            f"skipped: the gradient {value:.6g} is below what a finite difference "
            f"resolves here (its rounding noise is about {noise:.1g})"
        )
    if fd_agrees(fd, value, scale, h):
        return fd, "agree"
    # the same difference at twice the step: how far the difference is from its limit
    # (its truncation error is about a third of the change; x**3 at 0 gives h**2, not 0)
    wider = finite_difference(graph, leaf, step=2e-6)
    truncation = abs(wider - fd) if wider is not None else math.inf
    unsteady = wider is None or truncation > 0.01 * max(abs(fd), abs(wider))
    if unsteady and abs(fd - value) > 1e-9 * max(1.0, scale):
        if kink_on_path:
            return fd, "kink"
        return None, (
            f"skipped: a finite difference cannot judge it here: steps {h:.1g} and "
            f"{2 * h:.1g} give {fd:.6g} and {wider if wider is None else f'{wider:.6g}'} "
            "(a kink or a fast change nearby)"
        )
    if fd_agrees(fd, value, scale, h, truncation):
        return fd, "agree"
    return fd, "kink" if kink_on_path or near_kink(graph) else "differ"


def near_kink(graph, reach=4e-6):
    """Whether an operation with a kink in the op table (relu, abs, max, min) has its
    input within ``reach`` of the kink (relative): ``relu(0.1 + 0.2 - 0.3)`` is 5.6e-17
    from it, so a finite difference steps across it although the value is not at a tie.

    >>> from pathgrad.explanation import explain_program
    >>> from pathgrad.trace.loader import load_source
    >>> e = explain_program(load_source("x = 0.1\\ny = 0.2\\nL = relu(x + y - 0.3)\\n"))
    >>> near_kink(e.graph)
    True
    """
    for node, data in graph.nodes(data=True):
        if data["kind"] != "operation" or OPS[data["op"]].kink is None:
            continue
        values = operand_values(graph, node)
        if any(v is None or not math.isfinite(v) for v in values):
            continue
        # the kinks are a == 0 (relu, abs) and a == b (max, min)
        gap = abs(values[0] - (values[1] if len(values) > 1 else 0.0))
        if gap <= reach * max(1.0, *(abs(v) for v in values)):
            return True
    return False


def leaf_step(graph, leaf, step=1e-6):
    """The nudge :func:`finite_difference` gives a leaf: ``step`` relative to its size
    (at least 1), but never across zero: a leaf of ``1e-8`` is nudged by a thousandth of
    itself (two at twice the step), so that ``sqrt`` or ``log`` stay defined."""
    value = abs(graph.nodes[leaf]["value"])
    h = step * max(1.0, value)
    return value * step * 1000 if 0 < value <= 2 * h else h


def magnitude(graph):
    """The largest finite ``|value|`` of any node: the scale of the loss's rounding error.

    A small loss computed from large values (``a - b`` with a ≈ b) carries the
    rounding of the large ones.
    """
    values = (
        abs(d["value"])
        for _, d in graph.nodes(data=True)
        if d["value"] is not None and math.isfinite(d["value"])
    )
    return max(values, default=0.0)


def fd_noise(loss, h):
    """The rounding error of a difference quotient with step ``h`` of a loss computed
    from values of size up to ``loss``: about ``eps * loss / h`` (with room to spare).

    >>> fd_noise(2.0, 1e-6)
    0.002
    """
    return 1e-9 * abs(loss or 0.0) / h


def fd_agrees(fd, value, loss, h, truncation=0.0):
    """A finite difference agrees with a gradient relatively, within its rounding noise.

    The difference quotient of a loss computed from values of size up to
    ``loss`` (:func:`magnitude`) carries a rounding error of about
    ``eps * loss / h``; beyond that, agreement is relative (1e-5), so that a
    gradient of 1e-8 is not "agreed" with 0. ``truncation`` allows for the
    difference's own error, ``O(h**2)`` (estimated from a second step).

    >>> fd_agrees(1.0000001e-8, 1e-8, 1e-8, 1e-6), fd_agrees(0.0, 1e-8, 1e-8, 1e-6)
    (True, False)
    """
    noise = fd_noise(loss, h)
    return abs(fd - value) <= 1e-5 * max(abs(fd), abs(value)) + noise + truncation
