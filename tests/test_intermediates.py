"""∂L/∂(a computed value): backprop's δ, asked for by name (issue 15).

The oracle is PyTorch's ``retain_grad()``: ``x3.grad`` after ``L.backward()`` is
∂L/∂x3. The closed form is checked by sympy.diff of the loss written down to x3 (x3
held as a symbol of its own), and by a finite difference that nudges x3's value.
"""

import json
import re

import pytest
from hypothesis import given, settings
from test_edges import edge_programs, run_on_both, same

import pathgrad
from pathgrad.errors import NameNotFound
from pathgrad.explanation import explain, explain_tensor
from pathgrad.graph import build_graph
from pathgrad.render.json import render as render_json
from pathgrad.render.text import render as render_text
from pathgrad.render.text import value_text
from pathgrad.trace.autograd import collect
from pathgrad.trace.loader import load_source

torch = pytest.importorskip("torch", reason="PyTorch is the referee: pip install torch")

SEED = {"x3": (-2.0, "-w2"), "x4": (-3.0, "-w3"), "x5": (-1.0, "-1")}


@pytest.mark.parametrize("name", sorted(SEED))
def test_seed_intermediate_is_backprops_delta(name):
    value, form = SEED[name]
    g = explain("seed", wrt=[name], check=True).gradients[name]
    assert (g.value, str(g.closed_form)) == (value, form)
    assert g.check.symbolic.startswith("equal") and g.check.numeric == "agree"


def test_seed_values_are_pytorchs_retain_grad():
    x1, x2, w1, w2, w3 = (
        torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (1, 2, 1, 2, 3)
    )
    x3, x4 = w1 * x1, w1 * x2
    x5 = w2 * x3 + w3 * x4
    for t in (x3, x4, x5):
        t.retain_grad()
    (1 - x5).backward()
    assert [float(t.grad) for t in (x3, x4, x5)] == [SEED[n][0] for n in ("x3", "x4", "x5")]


def test_paths_to_a_shared_intermediate_are_all_listed():
    program = load_source("x = 0.5\nh = tanh(x)\nL = h * h + 3 * h\n", "f.py")
    g = pathgrad.explain_program(program, wrt=["h"], check=True).gradients["h"]
    assert g.path_count == 3 and g.check.numeric == "agree"
    assert str(g.closed_form) == "2*tanh(x) + 3"


def test_a_versioned_name_can_be_asked_for():
    program = load_source("w = 2.0\nc = w * 3\nc = c + w\nL = c * c\n", "f.py")
    e = pathgrad.explain_program(program, wrt=["c_1", "c"])
    assert set(e.gradients) == {"c_1", "c"}
    assert e.gradients["c"].value == e.gradients["c_1"].value == 2 * (2 * 3 + 2)


def test_the_loss_itself_is_refused_with_what_to_do():
    with pytest.raises(NameNotFound, match="is the loss itself"):
        explain("seed", wrt=["L"])


@settings(max_examples=60, deadline=None)
@given(edge_programs())
def test_every_intermediate_gradient_is_pytorchs(program):
    values, steps = program
    ours, theirs = run_on_both(values, steps)
    for t in theirs[len(values) : -1]:
        if t.requires_grad:
            t.retain_grad()
    theirs[-1].backward()
    graph = build_graph(ours[-1])
    tensors = collect([ours[-1]])  # node n of the graph is tensors[n] (creation order)
    position = {t.id: i for i, t in enumerate(ours)}
    names = [data["name"] for _, data in graph.nodes(data=True)]
    for node, data in graph.nodes(data=True):
        if data["kind"] == "leaf" or node == graph.graph["loss"] or names.count(data["name"]) > 1:
            continue
        if tensors[node].id not in position:  # made inside an operator (1/x of 0/x): no twin
            continue
        wrt = data["name"]
        gradient = explain_tensor(ours[-1], wrt=[wrt], max_paths=0).gradients[wrt]
        reference = theirs[position[tensors[node].id]].grad
        expected = 0.0 if reference is None else float(reference)
        assert same(gradient.value, expected), (wrt, gradient.value, expected)


# -- the loss the file means (issue 15) ---------------------------------------------------
@pytest.mark.parametrize(
    "text, loss",
    [
        ("w = 1.0\nx = 2.0\nloss = (w * x - 1) ** 2\nscore = w * 3\n", "loss"),
        ("w = 1.0\nL = w * w\nacc = w + 1\n", "L"),
        ("w = 1.0\nL = w * w\nL = L + w\nother = w * 2\n", "L"),  # its last version
        ("w = 1.0\nL = 2.0\ny = w * w\n", "y"),  # L is a number, not a computation
        ("w = 1.0\nloss = w * 3\nz = w * w\nz.backward()\n", "z"),  # backward() wins
    ],
)
def test_the_default_loss_is_the_one_a_reader_means(text, loss):
    program = load_source(text, "f.py")
    e = pathgrad.explain_program(program)
    assert program.loss_name == loss and e.loss.startswith(loss)  # L_1: L's second version
    last = [line.split("=")[0].strip() for line in text.splitlines() if "=" in line][-1]
    said = [n.text for n in e.notes if n.text.startswith("the loss is")]
    if loss != last and "backward" not in text:
        assert said == [
            f"the loss is {loss} (taken by its name), not {last}, the last name assigned "
            "(choose another with --loss NAME)"
        ]


def test_locals_asked_for_says_so_and_not_that_it_is_too_large():
    g = explain("seed", wrt=["w1"], in_terms_of="locals").gradients["w1"]
    assert g.locals_reason == (
        "in terms of the graph's intermediate names, as --in-terms-of locals asks"
    )


# -- names a reader recognises (issue 15) ---------------------------------------------------
def test_micrograds_loss_is_g_as_in_its_readme():
    e = explain("micrograd")
    assert e.loss == "g" and e.loss_expr.startswith("g_1 + ")


def test_a_returned_value_takes_the_callers_name():
    text = (
        "def neuron(w, x, b):\n    total = b\n    total = total + w * x\n    return total\n"
        "w = 2.0\nx = 3.0\nb = 1.0\nout = neuron(w, x, b)\nL = (out - 1) ** 2\n"
    )
    for safe in (False, True):
        e = pathgrad.explain_program(load_source(text, "f.py", safe=safe))
        assert e.loss_expr == "(out - 1)**2", safe
        assert e.gradients["w"].paths[0].nodes[:3] == ["L", "out - 1", "out"]


def test_a_leaf_keeps_its_name_when_the_variable_is_rebound():
    e = pathgrad.explain_program(load_source("x = 0.5\nx = sin(x)\nx = x * x\n", "f.py"))
    assert (e.loss, set(e.gradients)) == ("x_2", {"x"})


# -- readable listings (issue 17) -----------------------------------------------------------
def test_a_run_of_unit_factors_is_written_once_and_the_partials_telescope():
    text = "w = 2.0\nx = 3.0\ntotal = 0.0\nfor k in range(4):\n    total = total + w * x\n"
    text += "L = total * total\n"
    program = load_source(text, "f.py", constants=["total", "x"])
    out = render_text(pathgrad.explain_program(program, wrt=["w"], max_paths=1))
    chain, factors, lines = out.split("path 1")[1].splitlines()[1:4]
    assert chain.split() == ["∂L/∂total_4", "·", "∂total_4/∂(w·x)", "·", "∂(w·x)/∂w"]
    assert factors.strip().split("  =")[0].split() == ["=", "total_4", "·", "1", "(×4)", "·", "x"]
    assert lines.split() == ["factors", "from", "lines", "6,", "5", "(×4),", "5"]


def test_markdown_writes_a_unit_run_once_too():
    from pathgrad.render.markdown import render as render_markdown

    text = "w = 2.0\nx = 3.0\ntotal = 0.0\nfor k in range(4):\n    total = total + w * x\n"
    text += "L = total * total\n"
    program = load_source(text, "f.py", constants=["total", "x"])
    out = render_markdown(pathgrad.explain_program(program, wrt=["w"], max_paths=1))
    row = next(line for line in out.splitlines() if line.startswith("| 1 |"))
    assert "`total_4 · 1 (×4) · x`" in row and "| 6, 5 (×4), 5 |" in row


def test_a_summary_shows_the_largest_paths_by_magnitude_a_line_each():
    e = explain("micrograd")
    for g in e.gradients.values():
        out = render_text(e, paths=3).split("\n\n")
        block = next(b for b in out if b.startswith(f"∂{g.loss}/∂{g.leaf} "))
        rows = [line for line in block.splitlines() if line.startswith("  path ")]
        numbers = [int(row.split()[1]) for row in rows]
        by_size = sorted(abs(p.value) for p in g.paths)[::-1][:3]
        assert [abs(g.paths[n - 1].value) for n in numbers] == by_size
        assert f"the 3 largest of the {g.paths_listed} listed by magnitude" in block
        for row, n in zip(rows, numbers):
            assert row.endswith(value_text(g.paths[n - 1].value))
        assert f"sum     ∂{g.loss}/∂{g.leaf} = " in block  # the closed form and the value
    assert render_text(e, paths="all") == render_text(e)  # micrograd is short: all of it


def test_a_summary_route_steps_over_a_unit_run():
    text = "w = 2.0\nx = 3.0\ntotal = 0.0\nfor k in range(4):\n    total = total + w * x\n"
    text += "L = total * total\n"
    program = load_source(text, "f.py", constants=["total", "x"])
    out = render_text(pathgrad.explain_program(program, wrt=["w"], max_paths=1), paths=1)
    row = next(line for line in out.splitlines() if line.startswith("  path 1"))
    assert row.split("  =")[0].split() == ["path", "1", "L", "→", "total_4", "→", "w·x", "→", "w"]


def test_a_long_text_summarises_every_gradient_and_says_how_to_list_all():
    e = explain("diamonds")
    out = render_text(e)
    assert "the 3 largest of the 20 listed by magnitude" in out
    assert "--paths all lists every path with its factors" in out
    assert len(out) < len(render_text(e, paths="all")) / 10


def test_latex_and_html_write_a_unit_run_once_too():
    from pathgrad.render.latex import render as render_latex
    from pathgrad.render.report import render as render_html

    text = "w = 2.0\nx = 3.0\ntotal = 0.0\nfor k in range(4):\n    total = total + w * x\n"
    text += "L = total * total\n"
    program = load_source(text, "f.py", constants=["total", "x"])
    e = pathgrad.explain_program(program, wrt=["w"], max_paths=1)
    latex = render_latex(e)
    assert r"&= \mathit{total}_{4} \cdot 1 \, (\times 4) \cdot x \\" in latex
    assert r"\frac{\partial \mathit{total}_{4}}{\partial \left(w x\right)}" in latex
    assert r"\frac{\partial \mathit{total}_{4}}{\partial \mathit{total}_{3}}" not in latex
    html = render_html(e)
    assert '<td class="pg-lines">6, 5 (×4), 5</td>' in html
    assert "<mn>1</mn></math> (×4)" in html
    assert html.count("<mn>1</mn></math>") == 1  # one unit run, not four factors of 1
    # JSON keeps every node and every factor
    data = json.loads(render_json(e))["gradients"]["w"]["paths"][0]
    assert len(data["nodes"]) == 7 and data["factors"].count("1") == 4


# -- loop-made names (issue 17) ----------------------------------------------------------
LOOPED = (
    "def neuron(ws, b, xs):\n"
    "    total = b\n"
    "    for w, x in zip(ws, xs):\n"
    "        total = total + w * x\n"
    "    return total\n"
    "a = 0.5\n"
    "c = 2.0\n"
    "outs = [neuron([a, c], a, [1.0, 2.0]) for j in range(2)]\n"
    "s = 0.0\n"
    "for k in range(2):\n"
    "    s = s + outs[k] * c\n"
    "    if k == 0:\n"
    "        break\n"
    "t = s * a\n"
    "L = t * outs[1]\n"
)


@pytest.mark.parametrize("safe", [False, True])
def test_a_numbered_name_says_its_line_and_its_loops_iteration(safe):
    e = pathgrad.explain_program(load_source(LOOPED, "f.py", safe=safe))
    out = render_text(e, paths="all")
    names = out.split("\nnames: ")[1].split("\n\n")[0].splitlines()[1:]
    assert "  total_2  total, line 4 (j=0, (w, x) #2)" in names
    assert "  total_3  total, line 4 (j=1, (w, x) #1)" in names
    # after a loop is left (break), what is made is outside it
    graph = e.graph
    made = {d["name"]: d["made_in"] for _, d in graph.nodes(data=True)}
    assert made["s_1"] == ("k=0",) and made["t"] is None
    # every name listed is printed above, and every numbered name printed is listed
    listed = {line.split()[0] for line in names}
    printed = set(re.findall(r"total_\d+|s_\d+", out.split("\nnames: ")[0]))
    assert listed == printed


def test_both_modes_name_loop_made_values_alike():
    texts = [
        render_text(pathgrad.explain_program(load_source(LOOPED, "f.py", safe=safe)))
        for safe in (False, True)
    ]
    assert texts[0] == texts[1] and "\nnames: " in texts[0]
