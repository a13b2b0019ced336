"""The computation graph: a networkx MultiDiGraph with symbolic edge derivatives.

Nodes are integers in the order the values were created. Edges point from a
consumer to each of its operands, the direction of a path from the loss to a
leaf, and carry the local derivative ∂(consumer)/∂(operand). An operand used
twice (``a * a``) gives two parallel edges, keyed by operand position, so no
path is lost.

>>> from pathgrad.trace.traced import leaf
>>> a = leaf("a", 3.0)
>>> g = build_graph(a * a)
>>> [(g.nodes[u]["name"], g.nodes[v]["name"], k, d["local_derivative"])
...  for u, v, k, d in g.edges(keys=True, data=True)]
[('a*a', 'a', 0, a), ('a*a', 'a', 1, a)]
>>> g.nodes[1]["grad_fn"], g.nodes[1]["value"], g.graph["loss"]
('MulBackward0', 9.0, 1)
"""

import networkx as nx
import sympy

from pathgrad.collector import collector_paused
from pathgrad.expressions import has_infinity
from pathgrad.kernels import is_special, special_name
from pathgrad.ops import ATOM
from pathgrad.trace.autograd import collect
from pathgrad.trace.traced import Tensor

#: Unnamed results whose printed label is longer than this get a short name (t1, t2, ...).
MAX_LABEL = 28


def constant(x):
    """A plain number as a sympy number, exact where it reads short.

    Integers up to 2**53 (where every integer is a double) and decimals of at most 8
    digits between 1e-12 and 1e12 are exact; other numbers (``1e300``, a subnormal
    ``1e-320``) are the double itself, never a 300-digit integer or fraction.

    >>> constant(2.0), constant(0.5), constant(1e-3), constant(3)
    (2, 1/2, 1/1000, 3)
    >>> constant(1e300), constant(1e-320), constant(-2**60)
    (1.00000000000000e+300, 9.99988867182683e-321, -1.15292150460685e+18)
    """
    if isinstance(x, bool) or (float(x).is_integer() and abs(x) <= 2**53):
        return sympy.Integer(int(x))
    text = repr(float(x))
    digits = text.replace("-", "").replace(".", "").partition("e")[0].strip("0")
    if len(digits) <= 8 and 1e-12 <= abs(float(x)) < 1e12:
        return sympy.Rational(text)
    return sympy.Float(float(x))


def _number_text(x):
    return str(int(x)) if float(x).is_integer() and abs(x) <= 2**53 else repr(float(x))


def _unique_names(tensors):
    """Display names: one version of a variable keeps its name, the others are numbered in
    the order they were made (``x_1``, ``x_2``, ...).

    The version that keeps it is the one a reader means: the leaf, if the variable was
    first a leaf (``x = 0.5`` then ``x = sin(x) + cos(x)``: x, x_1, ...); else its last
    value (micrograd's ``g = f / 2`` then ``g += 10 / f``: g_1, then g). A name the user
    chose (``x_1``) is never taken by another node's version.
    """
    named = [t for t in tensors if t.name]
    wanted = {t.name for t in named}
    plain = {}
    for t in named:  # the first leaf version, else the last version, keeps the name
        held = plain.get(t.name)
        if held is None or not (held.op is None or not held.requires_grad):
            plain[t.name] = t
    keeps = {t.id for t in plain.values()}
    taken, names, suffix = set(wanted) & {t.name for t in plain.values()}, {}, {}
    for t in named:
        if t.id in keeps:
            names[t.id] = t.name
            continue
        k = suffix.get(t.name, 0) + 1
        while f"{t.name}_{k}" in taken or f"{t.name}_{k}" in wanted:
            k += 1
        suffix[t.name], names[t.id] = k, f"{t.name}_{k}"
        taken.add(names[t.id])
    return names, taken


def name_origins(graph):
    """Where each numbered name comes from, for a reader who cannot tell ``total_16`` from
    ``total_17``: the variable, its line, and the loops' iteration it was made in.

    >>> from pathgrad.trace.loader import load_source
    >>> text = "w = 2.0\\ntotal = 0.0\\nfor j in range(2):\\n    total = total + w * j\\n"
    >>> program = load_source(text + "L = total * total\\n")
    >>> name_origins(build_graph(program.loss, loss_name="L"))
    {'total_1': 'total, line 4 (j=0)', 'total_2': 'total, line 4 (j=1)'}
    """
    out = {}
    for node in sorted(graph):
        data = graph.nodes[node]
        variable, name = data.get("variable"), data["name"]
        if variable and name != variable and data.get("line"):
            where = f"{variable}, line {data['line']}"
            out[name] = where + (f" ({', '.join(data['made_in'])})" if data["made_in"] else "")
    return out


@collector_paused()
def build_graph(loss, source_lines=None, file=None, loss_name=None, unused=()):
    """Build the derivative graph of everything ``loss`` depends on.

    Parameters
    ----------
    loss : Tensor
        The output whose gradients will be explained.
    source_lines : list of str, optional
        The file's lines, to attach the text of each node's line.
    file : str, optional
        The file name, kept in ``graph.graph["file"]``.
    loss_name : str, optional
        The variable that holds the loss (``L = h`` at the end of a file):
        the loss node is shown by that name when no other node has it.
    unused : iterable of Tensor, optional
        Leaves of the program that the loss does not depend on: they become
        nodes with no edge (zero paths from the loss, so a gradient of 0).

    Returns
    -------
    networkx.MultiDiGraph
        Node data: ``name``, ``kind`` ("leaf" or "operation"), ``grad_fn``, ``cut``
        (why a leaf that was computed stops gradients: "no_grad", "detach", "constant"),
        ``op``, ``requires_grad``, ``value``, ``undefined``, ``kink``,
        ``operands`` (node numbers, and floats for plain-number operands),
        ``numbers`` (each plain-number operand's position and its exact sympy number),
        ``formula`` (as written from its operands' names, ``1 - x5``),
        ``symbol`` (how consumers refer to it), ``local_expr`` (in its
        operands' symbols), ``expr_depth`` (how deep its form in leaf symbols is: the
        form itself is built on request, by :func:`pathgrad.leaf_forms.leaf_form`), ``line``,
        ``source``, ``part`` (a :class:`pathgrad.trace.parts.Part` when the node is an
        element of a tensor, else ``None``).
        Edge data (consumer → operand, key = operand position):
        ``local_derivative`` (symbolic, in the consumer's operands),
        ``value`` and ``undefined``.
    """
    tensors = collect([loss])
    kept = {t.id for t in tensors}
    extra = {t.id: t for t in unused if t.op is None and t.id not in kept}
    tensors = sorted([*tensors, *extra.values()], key=lambda t: t.id)
    names, taken = _unique_names(tensors)
    if loss_name and loss_name not in taken and loss.requires_grad and loss.op is not None:
        taken.discard(names.get(loss.id))
        names[loss.id] = loss_name
        taken.add(loss_name)
    index = {t.id: i for i, t in enumerate(tensors)}
    graph = nx.MultiDiGraph(loss=index[loss.id], file=file)
    fresh = (f"t{k}" for k in range(1, 10**9) if f"t{k}" not in taken)
    for t in tensors:
        _add_node(graph, index[t.id], t, names, fresh, index, source_lines)
        live = t.live() if t.live is not None else None
        if live is not None and live.id in index:  # w as it was, and w now: one leaf
            graph.nodes[index[t.id]]["same_leaf_as"] = index[live.id]
    for t in tensors:
        _add_edges(graph, index, t)
    return graph


def _operand_parts(graph, t, index):
    """Symbols, label texts and precedences of t's operands."""
    parts = []
    for x in t.operands:
        if isinstance(x, Tensor):
            data = graph.nodes[index[x.id]]
            parts.append((data["symbol"], data["label"], data["precedence"]))
        else:
            parts.append((constant(x), _number_text(x), ATOM if x >= 0 else 0))
    return parts


def _symbolic(op, args):
    """``op`` applied to sympy arguments; sympy's Max refuses arguments it cannot order
    (``log(Min(0, x))`` may be complex): then ``max(a, b)`` unevaluated."""
    try:
        return op.symbolic(*args)
    except (ValueError, TypeError):
        return sympy.Function(op.name)(*args)


def _add_node(graph, node, t, names, fresh, index, source_lines):
    is_leaf = t.op is None or not t.requires_grad
    data = dict(
        kind="leaf" if is_leaf else "operation",
        grad_fn=None if is_leaf else t.grad_fn_name,
        cut=t.cut,
        op=t.op.name if t.op else None,
        requires_grad=t.requires_grad,
        value=t.value,
        undefined=t.undefined,
        kink=t.kink,
        line=t.line,
        source=_source(source_lines, t.line),
        part=t.part,
        variable=t.name,
        made_in=t.made_in,
    )
    if is_leaf:  # a cut value's source may be outside the graph: it has no operands here
        data.update(_leaf_data(t, names, fresh))
    else:
        data.update(_operation_data(graph, t, names, fresh, index))
    graph.add_node(node, **data)


def _leaf_data(t, names, fresh):
    """A leaf's names and forms: its symbol stands for itself."""
    name = names.get(t.id) or _detached_name(t, names) or next(fresh)
    symbol = sympy.Symbol(name, real=True)
    return dict(
        name=name,
        label=name,
        formula=_cut_formula(t, name),
        precedence=ATOM,
        symbol=symbol,
        local_expr=symbol,
        expr_depth=0,
        operands=[],
    )


def _operation_data(graph, t, names, fresh, index):
    """An operation's operands, its formula, its form in its operands' symbols, the depth of
    its form in leaf symbols, and the name it is shown by."""
    symbols, labels, precs = zip(*_operand_parts(graph, t, index))
    label = t.op.label(labels, precs)
    local_expr = _symbolic(t.op, symbols)
    depths = [graph.nodes[index[x.id]]["expr_depth"] for x in t.operands if isinstance(x, Tensor)]
    data = dict(operands=[index[x.id] if isinstance(x, Tensor) else float(x) for x in t.operands])
    # each plain number as sympy reads it: 2**53 + 1 is not the double it rounds to
    numbers = enumerate(zip(t.operands, symbols))
    data["numbers"] = {k: s for k, (x, s) in numbers if not isinstance(x, Tensor)}
    data["expr_depth"] = 1 + max(depths, default=0)
    if t.id in names:
        name, symbol, precedence = names[t.id], sympy.Symbol(names[t.id], real=True), ATOM
    elif (
        len(label) > MAX_LABEL
        or (local_expr.is_number and operands_traced(t))
        or has_infinity(local_expr)
    ):
        # long, collapsed by sympy (x - x is 0), or infinite (x/0 is zoo*x): a name of its
        # own keeps 1/(x - x) from becoming zoo, and zoo out of its consumers' forms
        name = next(fresh)
        symbol, precedence = sympy.Symbol(name, real=True), ATOM
        data["named_for"] = label  # the explanation says what the name stands for
    else:
        name, symbol, precedence = label, local_expr, t.op.precedence
    data.update(name=name, label=name, formula=label, precedence=precedence, symbol=symbol)
    data["local_expr"] = local_expr
    return data


def operands_traced(t):
    return any(isinstance(x, Tensor) for x in t.operands)


def _detached_name(t, names):
    """``h_detached`` for an unnamed ``h.detach()``, when that name is free."""
    if t.cut != "detach" or not t.operands[0].name:
        return None
    candidate = f"{t.operands[0].name}_detached"
    return None if candidate in names.values() else candidate


def _cut_formula(t, name):
    """How a cut leaf was made (``h.detach()``, ``w*2`` under no_grad), else its name."""
    if t.cut == "detach":
        source = t.operands[0]
        if source.name or source.op is None:
            return f"{source.name or 'value'}.detach()"
        return f"({_written(source)}).detach()"
    if t.cut and t.op is not None:
        return _written(t)
    return name


def _written(t):
    """An operation as written from its operands' names (``w*3``); for cut values."""
    labels = [x.name or "value" if isinstance(x, Tensor) else _number_text(x) for x in t.operands]
    return t.op.label(labels)


def _add_edges(graph, index, t):
    if t.op is None or not t.requires_grad:
        return
    node = index[t.id]
    parts = _operand_parts(graph, t, index)
    symbols = [p[0] for p in parts]
    labels = [graph.nodes[node]["formula"]] + [p[1] for p in parts]
    values = [x.value if isinstance(x, Tensor) else float(x) for x in t.operands]
    for position, x in enumerate(t.operands):
        if not isinstance(x, Tensor):
            continue
        value, undefined = _edge_value(t, position, values, labels)
        local = t.op.partials[position](*symbols)
        if has_infinity(local):  # a pole at a plain number (x/0): keep the number as written
            local = t.op.partials[position](
                *[sympy.UnevaluatedExpr(s) if s.is_number else s for s in symbols]
            )
        graph.add_edge(
            node,
            index[x.id],
            key=position,
            local_derivative=local,
            value=value,
            undefined=undefined,
        )


def _edge_value(t, position, values, labels):
    """The local derivative at the values, as PyTorch's backward gives it for a gradient of 1.

    Returns ``(value, why)``: ``why`` says, when the value is inf or nan, where that comes from.
    """
    if None in values or t.value is None:
        return None, None
    traced = [isinstance(x, Tensor) for x in t.operands]
    value = t.op.vjp(position, 1.0, values, t.value, traced)
    if not is_special(value):
        return value, None
    formula, operand = labels[0], labels[1 + position]
    at = ", ".join(
        f"{label} = {v:g}"
        for label, v, x in zip(labels[1:], values, t.operands)
        if isinstance(x, Tensor)
    )
    return value, (f"the slope of {formula} in {operand} is {special_name(value)} at {at}")


def _source(lines, line):
    if lines and line and 0 < line <= len(lines):
        return lines[line - 1].strip()
    return None


def leaves(graph):
    """Leaf nodes in creation order."""
    return [n for n, d in graph.nodes(data=True) if d["kind"] == "leaf"]


def node_named(graph, name):
    """The node with this display name, or ``None``."""
    for n, d in graph.nodes(data=True):
        if d["name"] == name:
            return n
    return None


def constant_values(graph):
    r"""Each constant's symbol and its exact value: the leaves that do not require grad and
    are not cut values (``const(2)``, ``--const p``, ``leaf("p", 2, requires_grad=False)``).

    >>> from pathgrad.trace.loader import load_source
    >>> g = build_graph(load_source("x = 1.5\np = const(2)\nL = x ** p\n").loss)
    >>> constant_values(g)
    {p: 2}
    """
    return {
        d["symbol"]: constant(d["value"])
        for _, d in graph.nodes(data=True)
        if d["kind"] == "leaf" and not d["requires_grad"] and not d["cut"]
        if d["value"] is not None
    }
