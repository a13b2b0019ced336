"""Caches and one-pass sweeps give the same output as doing the work again every time.

Each cache here is keyed by a sympy expression or a graph; the tests are the cases where
such a key could confuse two things that print or simplify differently.
"""

import contextlib
import json
from pathlib import Path

import pytest
import sympy
from hypothesis import given, settings
from sympy.printing.str import StrPrinter
from test_properties import DETERMINISTIC, programs, trace

import pathgrad
from pathgrad.explanation import explain, explain_program
from pathgrad.graph import build_graph, constant, leaves, node_named
from pathgrad.leaf_forms import leaf_form
from pathgrad.render import json as json_renderer
from pathgrad.render import text as text_renderer
from pathgrad.render.text import SharedPrinter
from pathgrad.sums import rewrites, simplify
from pathgrad.sums.methods import summed_by
from pathgrad.sums.paths import (
    iter_paths,
    multiplication_counts,
    multiplication_counts_by_leaf,
    path_counts,
)
from pathgrad.sums.simplify import closed_form
from pathgrad.trace.loader import load_source

x = sympy.Symbol("x")
x_real = sympy.Symbol("x", real=True)
lam = sympy.Symbol("lambda", real=True)
lam_plain = sympy.Symbol("lambda")


def fresh(expr):
    """What ``str`` prints, with nothing remembered."""
    return StrPrinter({"order": None}).doprint(expr)


# -- printing each distinct expression once -------------------------------------------
LOOKALIKES = [
    # same name, different assumptions: two symbols, and json prints them differently
    [lam * sympy.sin(lam), lam_plain * sympy.sin(lam_plain)],
    [x * sympy.sin(x), x_real * sympy.sin(x_real)],
    # two distinct Dummy symbols with one name
    [sympy.sin(sympy.Dummy("d")) + 1, sympy.sin(sympy.Dummy("d")) + 1],
    # equal values, different numbers (sympy 1.12 has Float(2.0) == Integer(2))
    [sympy.Integer(2), sympy.Float(2.0), sympy.Float(2.0, 30)],
    [2 * x, sympy.Float(2.0) * x, sympy.Float(2.0, 30) * x],
    [sympy.sin(2 * x), sympy.sin(sympy.Float(2.0) * x)],
    # a Float prints differently alone and inside an expression (trailing zeros)
    [sympy.Float("0.10", 30), sympy.Float("0.10", 30) * x, sympy.Float("0.10", 30)],
    # an unevaluated product and the evaluated one
    [sympy.Mul(2, x, evaluate=False), 2 * x, sympy.Mul(x, 2, evaluate=False)],
]


@pytest.mark.parametrize("exprs", LOOKALIKES)
def test_shared_printer_prints_lookalikes_as_str_does(exprs):
    printer = SharedPrinter()
    for _ in range(2):  # the second time round, everything is remembered
        for e in [*exprs, *(sympy.cos(e) for e in exprs)]:
            assert printer.doprint(e) == fresh(e) == str(e)


@pytest.mark.parametrize("exprs", LOOKALIKES)
def test_json_printer_prints_lookalikes_as_one_off_printing_does(exprs):
    printer = json_renderer._Printer()
    for _ in range(2):
        for e in [*exprs, *(sympy.cos(e) for e in exprs)]:
            assert printer.doprint(e) == json_renderer.expr_json(e)


def test_json_keeps_symbols_with_one_name_and_different_assumptions_apart():
    printer = json_renderer._Printer()
    assert printer.doprint(lam * sympy.sin(lam)) == "Symbol('lambda', real=True)*sin(" + (
        "Symbol('lambda', real=True))"
    )
    assert printer.doprint(lam_plain * sympy.sin(lam_plain)) == (
        "Symbol('lambda')*sin(Symbol('lambda'))"
    )


@pytest.mark.parametrize("name", ["seed", "micrograd", "mlp", "symbolic", "diamonds"])
def test_renderers_print_expressions_as_str_does(name, monkeypatch):
    e = explain(name)
    text, doc = text_renderer.render(e), json_renderer.render(e)
    # the same documents with nothing remembered between expressions
    monkeypatch.setattr(text_renderer.SharedPrinter, "_print", StrPrinter._print)
    assert text_renderer.render(e) == text
    assert json_renderer.render(e) == doc
    assert json.loads(doc)["gradients"]


# -- the simplification ladder, remembered per expression ------------------------------
def climbed_afresh(expr):
    """The ladder's choice with nothing remembered."""
    expr = simplify.tame_numbers(expr)
    if simplify.tree_size(expr) > simplify.LADDER_BOUND:
        return expr
    return simplify._climbed.__wrapped__(expr)


a, b = sympy.symbols("a b", real=True)
a_plain, a_positive = sympy.Symbol("a"), sympy.Symbol("a", positive=True)
LADDER_LOOKALIKES = [
    # log(a**2) expands only for a positive a; sqrt(a**2) is a only then too
    [sympy.log(a_plain**2) + a_plain, sympy.log(a_positive**2) + a_positive],
    [sympy.sqrt(a**2) * (a + 1), sympy.sqrt(a_positive**2) * (a_positive + 1)],
    # two Dummy symbols named alike are two symbols
    [(sympy.Dummy("d") + 1) ** 2 - 1, (sympy.Dummy("d") + 1) ** 2 - 1],
    # equal values, different numbers
    [sympy.expand((a + 2) ** 2) - 4, sympy.expand((a + sympy.Float(2.0)) ** 2) - 4],
    [(2 * a + 2) / (a + 1), (sympy.Float(2.0) * a + 2) / (a + 1)],
]


@pytest.mark.parametrize("exprs", LADDER_LOOKALIKES)
def test_closed_form_remembered_is_the_form_climbed_afresh(exprs):
    for _ in range(2):  # the second time round, every form is remembered
        for e in exprs:
            form, status = closed_form(e)
            assert status == ""
            assert form == climbed_afresh(e) and type(form) is type(climbed_afresh(e))
            assert str(form) == str(climbed_afresh(e))
    forms = [closed_form(e)[0] for e in exprs]
    assert len({(type(f), f) for f in forms}) == len(exprs)


def test_closed_form_of_an_atom_is_the_atom():
    for atom in (a, sympy.Integer(3), sympy.Float(2.0), sympy.Rational(1, 3)):
        assert closed_form(atom) == (atom, "")
        assert closed_form(atom)[0] == climbed_afresh(atom)
    # a number too long to read is tamed first, then kept
    huge = sympy.Rational(10001, 10000) ** 100
    assert closed_form(huge) == (simplify.tame_numbers(huge), "")


def test_closed_form_that_ran_out_of_time_is_not_remembered(monkeypatch):
    e = sympy.expand((sympy.Symbol("only_here", real=True) + b) ** 3) - b**3

    @contextlib.contextmanager
    def no_time(seconds):
        raise simplify._OutOfTime
        yield

    monkeypatch.setattr(simplify, "time_limit", no_time)
    assert closed_form(e) == (
        e,
        "partly simplified: factor_terms, cancel, factor_denominator, expand ran out of time",
    )
    monkeypatch.undo()
    assert closed_form(e) == (climbed_afresh(e), "")


def climbed_by_sympy(expr):
    """The ladder as it was: every rung climbed by sympy's own functions, the shortest kept."""
    rungs = [sympy.factor_terms]
    if simplify.expanded_terms(expr) <= simplify.EXPAND_BOUND:
        rungs += [sympy.cancel, simplify.factor_denominator, sympy.expand]
    best = expr
    for rung in rungs:
        candidate = rung(expr)
        if simplify.tree_size(candidate) < simplify.tree_size(best):
            if not simplify.has_infinity(candidate):
                best = candidate
    return best


def ladder_inputs(run, monkeypatch):
    """The expressions ``run()`` asks the ladder to climb."""
    seen = []
    climbed = simplify._climbed

    def spy(expr):
        seen.append(expr)
        return climbed(expr)

    monkeypatch.setattr(simplify, "_climbed", spy)
    run()
    monkeypatch.undo()
    return seen


LECTURE = (
    Path(__file__).resolve().parent.parent / "benchmarks/programs/mlp_3_4_4_1.py"
).read_text()


@pytest.mark.parametrize("name", ["micrograd", "mlp", "symbolic", "seed", "lecture"])
def test_ladder_that_skips_futile_rungs_chooses_as_sympy_does(name, monkeypatch):
    if name == "lecture":
        seen = ladder_inputs(lambda: explain_program(load_source(LECTURE)), monkeypatch)
    else:
        seen = ladder_inputs(lambda: explain(name), monkeypatch)
    assert seen
    for e in seen:
        form = climbed_afresh(e)
        assert str(form) == str(climbed_by_sympy(e)) and form == climbed_by_sympy(e)


@settings(max_examples=40, **DETERMINISTIC)
@given(program=programs())
def test_ladder_chooses_as_sympy_does_on_random_programs(program):
    loss = trace(program)
    seen = []
    climbed = simplify._climbed
    simplify._climbed = lambda e: seen.append(e) or climbed(e)
    try:
        pathgrad.explain_tensor(loss, max_paths=1)
    finally:
        simplify._climbed = climbed
    for e in seen:
        assert str(climbed_afresh(e)) == str(climbed_by_sympy(e))


@pytest.mark.parametrize("exprs", [*LOOKALIKES, *LADDER_LOOKALIKES])
def test_remembered_factor_terms_is_sympys(exprs):
    for _ in range(2):  # the second time round, every subexpression is remembered
        for e in [*exprs, *(sympy.tanh(e) * (e + 1) for e in exprs)]:
            for radical in (False, True):
                mine, theirs = rewrites.factor_terms(e, radical), sympy.factor_terms(e, radical)
                assert str(mine) == str(theirs) and type(mine) is type(theirs)


def test_functions_nested_too_deep_to_size_inside_out_are_climbed_as_before(monkeypatch):
    def too_deep(expr):
        raise RecursionError

    monkeypatch.setattr(simplify, "expanded_size", too_deep)
    for e in [(a + 1) ** 2 - a**2, sympy.tanh(a + b) * (a + 1) + sympy.tanh(a + b)]:
        assert str(climbed_afresh(e)) == str(climbed_by_sympy(e))


def test_expanded_size_is_the_size_of_sympys_expansion():
    t, u = sympy.tanh(a + 2 * b), sympy.tanh(2 * (a + b) - a)  # one function once expanded
    for e in [(t + 1) * (u - a), (t - u) * (t + u) + u**2, sympy.exp(a + b) * (t + 1), 0.5 * t**2]:
        assert rewrites.expanded_size(e) == simplify.tree_size(sympy.expand(e))


# -- sums built in one step rather than one term at a time -----------------------------
def sum_one_path_at_a_time(graph, leaf):
    total = sympy.S.Zero
    for edges in iter_paths(graph, leaf):
        total += sympy.Mul(*[graph.edges[e]["local_derivative"] for e in edges])
    return total


@settings(max_examples=150, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_sum_of_the_paths_is_the_sum_added_one_path_at_a_time(program):
    graph = build_graph(trace(program))
    for leaf in leaves(graph):
        total, _ = summed_by(graph, leaf, "paths")
        expected = sum_one_path_at_a_time(graph, leaf)
        assert total == expected and str(total) == str(expected)


def test_sum_of_many_paths_is_the_sum_added_one_path_at_a_time():
    source = "x = 0.5\n" + "x = sin(x) + cos(x)\n" * 8 + "L = x * x\n"
    graph = explain_program(load_source(source, "diamonds.py"), max_paths=0).graph
    (x,) = leaves(graph)
    total, _ = summed_by(graph, x, "paths")
    assert path_counts(graph)[x] == 2**9
    assert str(total) == str(sum_one_path_at_a_time(graph, x))


# -- every leaf's costs in one pass -----------------------------------------------------
def assert_costs_for_every_leaf(graph):
    every = multiplication_counts_by_leaf(graph)
    assert list(every) == leaves(graph)
    for leaf in leaves(graph):
        assert every[leaf] == multiplication_counts(graph, leaf)


@settings(max_examples=150, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_costs_of_every_leaf_at_once_are_each_leaf_s_costs(program):
    assert_costs_for_every_leaf(build_graph(trace(program)))


@pytest.mark.parametrize("name", ["seed", "micrograd", "mlp", "diamonds", "reuse", "branch"])
def test_costs_of_every_leaf_at_once_on_the_examples(name):
    assert_costs_for_every_leaf(explain(name, max_paths=0).graph)


def test_costs_of_every_leaf_at_once_with_many_edges_in_and_unused_leaves():
    # a node used 5 times (edges in 101 in binary: a carry across bit-slices), a leaf the
    # loss does not use, and 70 leaves (more bits than a machine word)
    source = "\n".join(
        [f"w{i} = {i / 10}" for i in range(70)]
        + ["u = 1.0", "h = w0 * w1", "total = h * h * h * h * h"]
        + [f"total = total + w{i} * h" for i in range(2, 70)]
        + ["L = total"]
    )
    e = explain_program(load_source(source, "wide.py"), max_paths=0)
    assert "u" in e.leaves and e.gradients["u"].path_count == 0
    assert_costs_for_every_leaf(e.graph)


# -- infinities looked for once per shared subexpression --------------------------------
INFINITE_OR_NOT = [
    1 / (x - x),
    1 / x,
    sympy.log(sympy.Integer(0)) * x,
    sympy.sin(x) + sympy.nan,
    -sympy.oo + x,
    sympy.Max(x, sympy.oo),
    sympy.Float("inf") * x,
    sympy.exp(x) * sympy.sin(sympy.exp(x)),
    sympy.Integer(2),
]


def test_has_infinity_is_sympy_s_has():
    clean = set()
    for e in INFINITE_OR_NOT + [sympy.sin(e) * e for e in INFINITE_OR_NOT]:
        expected = e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo)
        assert simplify.has_infinity(e) == expected
        assert simplify.has_infinity(e, clean) == expected  # with what earlier calls found
    assert x in clean and all(not simplify.has_infinity(e) for e in clean)


@settings(max_examples=100, **DETERMINISTIC)
@given(program=programs(max_ops=12))
def test_leaf_forms_are_those_built_checking_each_node_alone(program):
    graph = build_graph(trace(program))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            "pathgrad.leaf_forms.has_infinity",
            lambda e, clean=None: e.has(sympy.zoo, sympy.nan, sympy.oo, -sympy.oo),
        )
        alone = build_graph(trace(program))
        built_alone = {node: leaf_form(alone, node) for node in alone}  # forms are lazy
    for node in sorted(graph, reverse=True):  # from the loss down: operands built on the way
        assert leaf_form(graph, node) == built_alone[node]  # the form and its size


@pytest.mark.parametrize("number", ["9007199254740993", "-9007199254740993", "2**60 + 1"])
def test_leaf_forms_keep_each_number_as_written(number):
    """A whole number past 2**53 is the double it reads as (constant()), never the
    integer its float rounds to: leaf forms and the check build from the number written."""
    source = f"x = 0.5\nh = ({number}) * x\nL = h * h\n"
    e = explain_program(load_source(source), wrt=["h"], in_terms_of="leaves", check=True)
    h = node_named(e.graph, "h")
    x = sympy.Symbol("x", real=True)
    assert leaf_form(e.graph, h)[0] == constant(eval(number)) * x
    assert e.gradients["h"].closed_form == 2 * constant(eval(number)) * x
    assert e.gradients["h"].check.symbolic == "equal"


def test_leaf_forms_are_built_only_where_a_closed_form_needs_them():
    """Every closed form of this file mentions s, whose leaf form is deeper than the
    bound: none is built (each was, before forms were built on request: issue 13)."""
    terms = "".join(f"w{i} = 0.{i + 1}\ns = s + w{i} * x\n" for i in range(120))
    e = explain_program(load_source(f"x = 0.5\ns = x\n{terms}L = s * s\n"))
    assert e.gradients["w7"].in_terms_of == "locals"
    assert str(e.gradients["w7"].closed_form) == "2*s*x"
    built = e.graph.graph.get("leaf_forms")
    assert built is None or all(form is None for form, _ in built.built.values())
    # asked for, a form within the bounds is built, with the forms it is made from
    node = next(n for n, d in e.graph.nodes(data=True) if d["formula"] == "w3*x")
    assert leaf_form(e.graph, node) == (
        sympy.Symbol("w3", real=True) * sympy.Symbol("x", real=True),
        3,
    )
