"""Linear in the graph (issue 13): named adjoints, one walk for every leaf, the path budget.

Behaviour only, no time: reverse mode's adjoints written with their own names expand back
to the form the old sweep built (one product of every factor above) and to sympy.diff; the
one walk lists exactly the paths ``iter_paths`` lists, in the same order; the listed paths
of all gradients stay within the budget, and the output says so.
"""

import json

import networkx as nx
import sympy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from test_properties import DETERMINISTIC, assert_same, in_leaves, programs, symbolic, trace

from pathgrad.cli import main
from pathgrad.explanation import explain_program, explain_tensor
from pathgrad.graph import build_graph, leaves, node_named
from pathgrad.render.json import sympy_names
from pathgrad.sums.listing import Budget, Walk
from pathgrad.sums.paths import iter_paths, topological_from
from pathgrad.sums.sweeps import symbolic_adjoints
from pathgrad.trace.loader import load_source


def old_adjoints(graph):
    """The sweep before adjoint names: each adjoint one expression of every factor above,
    contributions of equal adjoints grouped first (the reference the names expand to)."""
    groups = {graph.graph["loss"]: {sympy.S.One: sympy.S.One}}
    adjoints = {}
    for node in topological_from(graph):
        terms = groups.pop(node, {})
        adjoint = adjoints[node] = sympy.Add(*[a * c for a, c in terms.items()])
        if adjoint == 0:
            continue
        for _, operand, data in graph.out_edges(node, data=True):
            slot = groups.setdefault(operand, {})
            slot[adjoint] = slot.get(adjoint, sympy.S.Zero) + data["local_derivative"]
    return adjoints


def diamonds(n):
    return "x = 0.5\n" + "x = sin(x) + cos(x)\n" * n + "L = x\n"


def sum_of_terms(n):
    lines = [f"w{i} = {0.1 * (i + 1):.1f}\nx{i} = {0.2 * (i + 1):.1f}" for i in range(n)]
    lines += ["total = w0 * x0", *(f"total = total + w{i} * x{i}" for i in range(1, n))]
    return "\n".join(lines) + "\nL = total\n"


def explain_text(text, **options):
    return explain_program(load_source(text, "<test>"), **options)


# -- named adjoints ----------------------------------------------------------------------
@settings(max_examples=150, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_named_adjoints_expand_to_the_old_sweep_and_to_sympy_diff(program):
    graph = build_graph(trace(program))
    adjoints, old = symbolic_adjoints(graph), old_adjoints(graph)
    exprs, loss = symbolic(program), graph.graph["loss"]
    for node in set(graph) - {loss}:
        # each step is one sum over the consumers: no product of every factor above
        assert adjoints.form(node) == sympy.Add(
            *[adjoints.symbols[c] * d for c, d in _grouped(graph, adjoints, node).items()]
        )
        assert adjoints.expanded(node, 10**9) == old[node], node
    for node in leaves(graph):
        name = graph.nodes[node]["name"]
        symbol = sympy.Symbol(name, real=True)
        diff = sympy.diff(exprs[-1], symbol) if loss != node else sympy.S.One
        written = in_leaves(graph, adjoints.expanded(node, 10**9))
        assert_same(written, diff, program, 0, f"∂/∂{name}")


def _grouped(graph, adjoints, node):
    grouped = {}
    for consumer, _, data in graph.in_edges(node, data=True):
        same = [c for c in grouped if adjoints.symbols[c] == adjoints.symbols[consumer]]
        key = same[0] if same else consumer
        grouped[key] = grouped.get(key, sympy.S.Zero) + data["local_derivative"]
    return grouped


def test_a_long_chain_names_its_adjoints_and_they_expand_back():
    e = explain_text(diamonds(300))
    g = e.gradients["x"]
    assert g.in_terms_of == "locals" and "∂L/∂x_1" in str(g.closed_form)
    assert str(g.closed_form) == "∂L/∂x_1*(-sin(x) + cos(x))"
    # every name the form needs is defined, from the loss down, one step each
    assert list(e.adjoints)[:2] == ["∂L/∂x_299", "∂L/∂x_298"] and len(e.adjoints) == 299
    assert str(e.adjoints["∂L/∂x_298"]) == "∂L/∂x_299*(-sin(x_298) + cos(x_298))"
    assert any("backprop's adjoints" in n.text for n in e.notes)
    # written out, the names give the old sweep's product of every factor
    adjoints = symbolic_adjoints(e.graph)
    x = node_named(e.graph, "x")
    assert adjoints.expanded(x, 600) is None
    assert adjoints.expanded(x, 10**6) == old_adjoints(e.graph)[x]


#: Factors of a product chain: fresh leaves, leaves shared along the chain (b0, b1, b2),
#: functions, powers, sums and numbers, which sympy merges with each other.
FACTORS = ["a{i}", "b{r}", "sin(a{i})", "exp(b{r})", "b{r} ** 2", "(a{i} + b{r})", "2", "3"]


@settings(max_examples=60, **DETERMINISTIC)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, len(FACTORS) - 1), st.integers(0, 2)), min_size=1, max_size=25
    ),
)
@example(steps=[(4, 0), (1, 0)])  # b0**2 * b0 is b0**3
@example(steps=[(6, 0), (7, 0)])  # 2 * 3 is 6
@example(steps=[(1, 0), (1, 0), (1, 0)])  # b0 * b0 * b0 is b0**3
def test_a_product_past_the_bound_is_dropped_as_measuring_it_would(steps):
    """Expansions counted exactly (products of distinct symbols and function applications)
    are dropped past the bound without being built: the same answer as building each one
    and measuring it, for products with repeated factors, numbers, powers, sums and exp,
    which sympy merges."""
    lines = [f"a{i} = {1 + i / 100}" for i in range(len(steps) + 1)] + ["b0, b1, b2 = 2, 3, 5"]
    lines += ["p = a0"]
    lines += ["p = p * " + FACTORS[k].format(i=i + 1, r=r) for i, (k, r) in enumerate(steps)]
    graph = build_graph(load_source("\n".join(lines) + "\nL = p\n").loss)
    adjoints = symbolic_adjoints(graph)
    measured = symbolic_adjoints(graph)
    measured._counted_exactly = lambda form: False  # build and measure every time
    for node in graph:
        for bound in range(1, 40):
            assert adjoints.expanded(node, bound) == measured.expanded(node, bound)


def test_a_long_product_is_not_built_past_the_bound():
    lines = [f"a{i} = {1 + i / 1000}" for i in range(301)] + ["p = a0"]
    lines += [f"p = p * a{i}" for i in range(1, 301)]
    graph = build_graph(load_source("\n".join(lines) + "\nL = p\n").loss)
    adjoints = symbolic_adjoints(graph)
    a0 = node_named(graph, "a0")
    assert adjoints.expanded(a0, 200) is None  # 300 distinct factors: counted, not built
    assert adjoints._built == {}
    written = adjoints.expanded(a0, 400)  # within the bound: written out, every factor once
    assert written == sympy.Mul(*[sympy.Symbol(f"a{i}", real=True) for i in range(1, 301)])


def test_two_values_shown_by_one_name_get_two_adjoint_names():
    from pathgrad.trace.traced import leaf

    x = leaf("x", 0.5)
    graph = build_graph(x.exp().log() + x.exp().sqrt())
    adjoints = symbolic_adjoints(graph)
    names = sorted(str(s) for s in adjoints.definitions)
    loss = "∂(log(exp(x)) + sqrt(exp(x)))"
    assert names == [f"{loss}/∂(exp(x))", f"{loss}/∂(exp(x))_2", f"{loss}/∂x"]
    x_symbol = sympy.Symbol("x", real=True)
    assert adjoints.expanded(0, 600) == old_adjoints(graph)[0]
    assert sympy.simplify(adjoints.expanded(0, 600) - 1 - sympy.exp(x_symbol / 2) / 2) == 0


def test_forms_within_the_bound_are_written_out_as_before():
    e = explain_text(diamonds(20), method="reverse")
    x = node_named(e.graph, "x")
    assert e.gradients["x"].closed_form == old_adjoints(e.graph)[x]
    assert e.adjoints == {} and not any("adjoints" in n.text for n in e.notes)
    for step in e.gradients["x"].ledger:
        node = node_named(e.graph, step.node)
        assert step.total == old_adjoints(e.graph)[node]


def test_json_defines_the_adjoint_names_it_uses(capsys, tmp_path):
    path = tmp_path / "chain.py"
    path.write_text(diamonds(250))
    assert main(["explain", str(path), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    written = "Symbol('∂L/∂x_1', real=True)*(-sin(x) + cos(x))"
    assert data["gradients"]["x"]["closed_form"] == written
    assert data["adjoints"]["∂L/∂x_1"] == "Symbol('∂L/∂x_2', real=True)*(-sin(x_1) + cos(x_1))"
    assert data["adjoints"]["∂L/∂x_249"] == "-sin(x_249) + cos(x_249)"
    # read back as any closed form is: the adjoint name is one real symbol
    names = sympy_names(data)
    form = sympy.sympify(data["gradients"]["x"]["closed_form"], locals=names)
    x, adjoint = sympy.Symbol("x", real=True), sympy.Symbol("∂L/∂x_1", real=True)
    assert form == adjoint * (sympy.cos(x) - sympy.sin(x))


# -- one walk for every leaf --------------------------------------------------------------
@settings(max_examples=300, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_one_walk_lists_the_paths_of_each_walk_per_leaf(program):
    graph = build_graph(trace(program))
    targets = sorted(graph)
    walk = Walk(graph, targets)
    for node in targets:
        assert list(walk.paths(node)) == list(iter_paths(graph, node)), node
        # the kinks above a node, read off the same walk (they were found per node)
        above = sorted(nx.ancestors(graph, node))
        kinks = [graph.nodes[n]["name"] for n in above if graph.nodes[n]["kink"]]
        assert walk.kinks_above(node) == kinks, node


def test_kinks_above_a_leaf_come_from_the_same_walk():
    e = explain_text("a = 0.0\nb = 2.0\nh = relu(a * b)\nL = h * b\n")
    assert e.gradients["a"].kinks == e.gradients["b"].kinks == ["h"]


# -- the path budget ------------------------------------------------------------------------
def test_budget_takes_paths_until_one_does_not_fit():
    budget = Budget(7)
    assert budget.take([[1, 2], [3, 4], [5, 6], [7, 8]], limit=10) == [[1, 2], [3, 4], [5, 6]]
    assert budget.cut and budget.left == 1
    assert budget.take([[1]], limit=10) == []


def test_listed_paths_stay_within_the_budget_and_the_output_says_so():
    e = explain_text(sum_of_terms(40), path_budget=100)
    listed = sum(len(p.factors) for g in e.gradients.values() for p in g.paths)
    assert 0 < listed <= 100
    note = next(n.text for n in e.notes if "budget" in n.text)
    assert "budget of 100 factors" in note and "--path-budget N lists more" in note
    # a gradient with paths left out is summed in reverse mode; every sum stays right
    for name, g in e.gradients.items():
        partner = ("x" if name[0] == "w" else "w") + name[1:]
        assert g.value == e.leaves[partner]
        assert g.method == ("paths" if g.paths_listed == g.path_count else "reverse")


def test_a_large_budget_lists_every_path():
    e = explain_text(sum_of_terms(40), path_budget=10**6)
    assert all(g.paths_listed == g.path_count == 1 for g in e.gradients.values())
    assert not any("budget" in n.text for n in e.notes)


def test_cli_path_budget(capsys, tmp_path):
    path = tmp_path / "sum.py"
    path.write_text(sum_of_terms(30))
    assert main(["explain", str(path), "--format", "json", "--path-budget", "50"]) == 0
    data = json.loads(capsys.readouterr().out)
    listed = sum(len(p["factors"]) for g in data["gradients"].values() for p in g["paths"])
    assert listed <= 50
    assert any("budget of 50 factors" in n["text"] for n in data["notes"])


def test_explain_tensor_keeps_the_default_budget():
    from pathgrad.trace.traced import leaf

    a = leaf("a", 3.0)
    g = explain_tensor(a * a).gradients["a"]
    assert g.paths_listed == g.path_count == 2 and g.method == "paths"


# -- the line of each traced value ---------------------------------------------------------
def test_line_of_a_frame_is_its_f_lineno():
    """Read from a table made once per code object (f_lineno reads the code's line table
    from its start: quadratic on a long file), the same lines."""
    import sys

    from pathgrad.trace.provenance import line_of

    seen = []

    def probe():
        frame = sys._getframe(1)
        seen.append((line_of(frame), frame.f_lineno))
        return 1

    source = "a = probe()\nb = (probe() +\n     probe())\nfor i in range(3):\n    c = probe()\n"
    source += "def f():\n    return probe()\nd = [f() for _ in range(2)]\n" * 2
    exec(compile(source, "<lines>", "exec"), {"probe": probe})
    assert len(seen) == 10 and all(mine == python for mine, python in seen), seen
