"""Training loops in safe mode (issue 15): PyTorch's idioms run exactly as in normal mode.

``pathgrad check`` is always safe mode, so a training-loop file must run there: ``with
no_grad():``, ``backward()``, ``.grad`` read and assigned, in-place updates, ``.data``,
``detach()``, ``retain_grad()``, ``zero_()``. Each program here gives the same graph,
values and explanation with and without ``--safe`` (byte for byte from the command line),
and every way around the whitelist (other attributes, other ``with``, ``no_grad`` as a
value or decorator, functions stored in ``.grad``) is refused with one line naming the line.
"""

import contextlib
import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathgrad.errors import PathgradError
from pathgrad.explanation import explain_program
from pathgrad.safe.limits import Limits, using
from pathgrad.trace.loader import load_source

#: Seconds a bounded run may take before the test calls it a hang (shared, loaded machines).
HANG = 60.0

README_LOOP = """\
w = 0.0
b = 0.0
lr = 0.01
for step in range(3):
    loss = (w * 2.0 + b - 3.0) ** 2
    loss.backward()
    with no_grad():
        w -= lr * w.grad  # in place, as PyTorch: w stays the same leaf
        b -= lr * b.grad
    w.grad.zero_()  # or w.grad = None
    b.grad = None
"""

PROGRAMS = {
    "readme": README_LOOP,
    "const_lr": (
        "w = 0.0\nb = 0.0\nlr = const(0.01)\nfor step in range(3):\n"
        "    loss = (w * 2.0 + b - 3.0) ** 2\n    loss.backward()\n    with no_grad():\n"
        "        w -= lr * w.grad\n        b -= lr * b.grad\n    w.grad = None\n    b.grad = None\n"
    ),
    "momentum": (
        "w = 1.0\nx = const(2.0)\nv = 0.0\nlr = const(0.1)\nfor step in range(4):\n"
        "    loss = (w * x - 1.0) ** 2\n    loss.backward()\n    with no_grad():\n"
        "        v = 0.9 * v + w.grad\n        w -= lr * v\n    w.grad = None\n"
    ),
    "never_zeroed": (
        "w = 0.5\nfor step in range(3):\n    loss = (w * w - 2.0) ** 2\n    loss.backward()\n"
        "    with no_grad():\n        w -= 0.01 * w.grad\n"
    ),
    "detach": (
        "x = 2.0\nw = 0.5\nfor step in range(2):\n    u = (x * w).detach()\n"
        "    loss = (u * w - 1.0) ** 2\n    loss.backward()\n    with no_grad():\n"
        "        w *= 0.9\n        w += 0.01 * w.grad\n    w.grad.data.zero_()\n"
    ),
    "data": (
        "w = 1.5\nfor step in range(3):\n    loss = sigmoid(w * 3.0 - 1.0)\n    loss.backward()\n"
        "    w.data -= 0.1 * w.grad\n    w.data = w.data * 0.5\n    w.grad = None\n"
    ),
    "retain": (
        "a = 1.0\nb = 2.0\nh = a * b\nh.retain_grad()\nL = (h + a) ** 2\n"
        "L.backward(retain_graph=True)\ng = h.grad\nL.backward()\nwith no_grad():\n"
        "    a /= 2.0\nc = a.grad + b.grad\n"
    ),
    "step_function": (
        "w = 1.0\ndef step(w, lr):\n    with no_grad():\n        w -= lr * w.grad\n"
        "    w.grad = None\n    return w\nfor i in range(2):\n    loss = (w - 3.0) ** 2\n"
        "    loss.backward()\n    w = step(w, 0.1)\n"
    ),
    "break_in_no_grad": (
        "w = 1.0\nfor i in range(5):\n    loss = (w - 3.0) ** 2\n    loss.backward()\n"
        "    with no_grad():\n        if i == 2:\n            break\n        w -= 0.1 * w.grad\n"
        "    w.grad = None\nL = w * 2\n"
    ),
    "lists_of_weights": (
        "ws = [leaf('w0', 0.5), leaf('w1', -0.5)]\nxs = [1.0, 2.0]\nfor step in range(2):\n"
        "    out = ws[0] * xs[0] + ws[1] * xs[1]\n    loss = (out - 1.0) ** 2\n"
        "    loss.backward()\n    with no_grad():\n        for w, x in zip(ws, xs):\n"
        "            w -= 0.1 * w.grad\n    for i in range(2):\n        ws[i].grad = None\n"
    ),
    "grad_of_a_cut_value": (
        "w = 2.0\nwith no_grad():\n    c = w * 3\nL = c * w\nL.backward()\ng = w.grad * 1.5\n"
    ),
}


def _summary(explanation):
    """What both modes must agree on: nodes (lines, values, formulas), gradients, notes."""
    nodes = [
        (d["name"], d["kind"], d["op"], d["line"], d["value"], d["formula"], d["requires_grad"])
        for _, d in sorted(explanation.graph.nodes(data=True))
    ]
    gradients = {
        leaf: (str(g.closed_form), g.value, [(p.nodes, str(p.product), p.lines) for p in g.paths])
        for leaf, g in explanation.gradients.items()
    }
    notes = [(n.line, n.text) for n in explanation.notes]
    return explanation.loss, nodes, gradients, notes, [str(p) for p in explanation.problems]


def _run(text, safe):
    """The explanation's summary, the file's leaves' values and its print output."""
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        program = load_source(text, "f.py", safe=safe)
        explanation = explain_program(program, check=True)
    values = {
        name: (value.value, value.grad, value.version)
        for name, value in program.namespace.items()
        if hasattr(value, "version")
    }
    return _summary(explanation), values, printed.getvalue()


def refusal(text):
    with pytest.raises(PathgradError) as info:
        load_source(text, "f.py", safe=True)
    return str(info.value)


# -- the same in both modes ---------------------------------------------------------------
@pytest.mark.parametrize("name", PROGRAMS)
def test_training_loop_runs_the_same_in_both_modes(name):
    assert _run(PROGRAMS[name], safe=True) == _run(PROGRAMS[name], safe=False)


def test_readme_loop_values_are_pytorchs():
    """The README's numbers: ∂loss/∂w = -9.72 at w = 0.228; w ends at 0.3252."""
    program = load_source(README_LOOP, "f.py", safe=True)
    explanation = explain_program(program)
    assert explanation.loss == "loss"
    assert explanation.gradients["w"].value == pytest.approx(-9.72)
    assert explanation.gradients["b"].value == pytest.approx(-4.86)
    w, b = program.namespace["w"], program.namespace["b"]
    assert (w.value, b.value) == (pytest.approx(0.3252), pytest.approx(0.1626))
    assert (w.version, w.grad, b.grad) == (3, 0.0, None)


@pytest.mark.parametrize("name", ["readme", "momentum", "never_zeroed", "detach"])
def test_explain_prints_the_same_with_and_without_safe(name, tmp_path, capsys):
    """``pathgrad explain FILE`` and ``pathgrad explain --safe FILE`` (in a worker): byte for byte."""
    from pathgrad.cli import main

    path = tmp_path / f"{name}.py"
    path.write_text(PROGRAMS[name], encoding="utf-8")
    outputs = []
    for options in ([], ["--safe"]):
        assert main(["explain", *options, str(path)]) == 0
        outputs.append(capsys.readouterr())
    assert outputs[1] == outputs[0]
    assert outputs[0].out.startswith("loss = ")


def test_item_of_a_traced_value_refused_as_in_normal_mode():
    text = "w = 1.0\nL = w * 2\nL.backward()\nv = w.grad.item()\nk = L.item()\n"
    for safe in (False, True):
        with pytest.raises(PathgradError) as info:
            load_source(text, "f.py", safe=safe)
        assert str(info.value).startswith(
            "f.py:5: .item() of a traced value (L) would drop it from the graph"
        )


def test_second_backward_without_retain_graph_fails_as_in_pytorch():
    text = "w = 1.0\nL = exp(w) * w\nL.backward()\nL.backward()\n"
    messages = []
    for safe in (False, True):
        with pytest.raises(PathgradError) as info:
            load_source(text, "f.py", safe=safe)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert messages[1].startswith("f.py:4: RuntimeError: Trying to backward through the graph")


# -- pathgrad check on a training-loop file -----------------------------------------------
@pytest.mark.parametrize(
    "wrt, answer, status, verdict",
    [
        ("w", "8*w + 4*b - 12", 0, "right (1): your answer is dloss/dw = 4*b + 8*w - 12"),
        ("w", "2*(2*w + b - 3)*2", 0, "right (1)"),
        ("b", "2*b + 4*w - 6", 0, "right (1): your answer is dloss/db = 2*b + 4*w - 6"),
        ("w", "-8*w - 4*b + 12", 3, "wrong (0): your answer matches no path"),
        ("w", "8*w", 3, "wrong (0): your answer matches no path"),
    ],
)
def test_check_grades_a_training_loop_file(tmp_path, capsys, wrt, answer, status, verdict):
    from pathgrad.cli import main

    path = tmp_path / "loop.py"
    path.write_text(PROGRAMS["const_lr"], encoding="utf-8")
    assert main(["check", str(path), "--wrt", wrt, "--answer", answer]) == status
    out = capsys.readouterr().out
    assert out.startswith(f"{path}: {wrt}: {verdict}")
    assert "not allowed" not in out


# -- what stays refused ---------------------------------------------------------------------
HOSTILE = {
    "w = 1.0\nL = w * 2\nL.backward()\nk = w.grad.__class__\n": (4, "attribute .__class__"),
    "w = 1.0\nk = w.__dict__\n": (2, "attribute .__dict__"),
    "w = 1.0\nk = w._grad\n": (2, "attribute ._grad"),
    "w = 1.0\nL = w * 2\nL.backward()\nk = w.grad._owner\n": (4, "attribute ._owner"),
    "w = 1.0\nL = w * 2\nk = L.grad_fn\n": (3, "attribute .grad_fn"),
    "w = 1.0\nw.requires_grad = False\n": (2, "attribute .requires_grad"),
    "w = 1.0\nw.grad.__class__ = 3\n": (2, "attribute .__class__"),
    "w = 1.0\nsetattr(w, 'grad', 1)\n": (2, "call to setattr()"),
    "w = 1.0\ndef f(x):\n    return x\nw.grad = f\n": (4, "assigning a function to .grad"),
    "w = 1.0\nw.grad = exp\n": (2, "assigning a function to .grad"),
    "w = 1.0\nw.data = leaf\n": (2, "assigning a function to .data"),
    "w = 1.0\nwith open('pathgrad_pwned.txt', 'w') as f:\n    pass\n": (2, "with"),
    "w = 1.0\nwith open('pathgrad_pwned.txt', 'w'):\n    pass\n": (2, "with"),
    "w = 1.0\nwith no_grad() as f:\n    w -= 1\n": (
        2,
        "with no_grad() as NAME (write with no_grad():)",
    ),
    "w = 1.0\nwith no_grad(), no_grad():\n    pass\n": (2, "with of several context managers"),
    "w = 1.0\nwith no_grad(True):\n    pass\n": (2, "with"),
    "w = 1.0\n@no_grad\ndef f(x):\n    return x\n": (
        2,
        "decorator (write with no_grad(): inside the function)",
    ),
    "w = 1.0\n@no_grad()\ndef f(x):\n    return x\n": (
        2,
        "decorator (write with no_grad(): inside the function)",
    ),
    "w = 1.0\ng = no_grad\n": (2, "no_grad other than in with no_grad():"),
    "w = 1.0\nno_grad()\n": (2, "no_grad other than in with no_grad():"),
    "w = 1.0\nno_grad = exp\nwith no_grad():\n    pass\n": (2, "assignment to no_grad"),
    "w = 1.0\ndef f(no_grad):\n    return 1\n": (2, "assignment to no_grad"),
    "w = 1.0\nL = w * 2\nf = L.backward\n": (3, "attribute .backward"),
    "w = 1.0\nk = w.grad()\n": (2, "method .grad()"),
    "w = 1.0\nL = w * 2\nL.backward(1.0)\n": (3, "method .backward() with these arguments"),
    "w = 1.0\nL = w * 2\nL.backward(create_graph=True)\n": (
        3,
        "method .backward() with these arguments",
    ),
    "w = 1.0\nL = w * 2\nL.backward(**{})\n": (3, "method .backward() with these arguments"),
    "w = 1.0\nk = w.detach(w)\n": (2, "method .detach() with these arguments"),
    "w = 1.0\nfor w.grad in range(3):\n    pass\n": (2, "a for loop over several names"),
}


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_training_code_refused_in_one_line(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line, construct = HOSTILE[text]
    message = refusal(text)
    assert message == f"f.py:{line}: not allowed in --safe mode: {construct}"
    assert "\n" not in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "w = 1.0\nw.data.zero_()\n",
            "f.py:2: AttributeError: 'float' object has no attribute 'zero_'",
        ),
        (
            "w = 1.0\nk = (3.0).grad\n",
            "f.py:2: AttributeError: 'float' object has no attribute 'grad'",
        ),
        (
            "w = 1.0\ndef f(x):\n    return x\nk = f.grad\n",
            "f.py:4: AttributeError: 'function' object has no attribute 'grad'",
        ),
        (
            "w = 1.0\nk = [w]\nk.grad = 1\n",
            "f.py:3: AttributeError: 'list' object has no attribute 'grad'",
        ),
        (
            "w = 1.0\nL = w * 2\nL.backward()\nw.grad.data = 3\n",
            "f.py:4: AttributeError: cannot assign to .data of a gradient",
        ),
        ("w = 1.0\nw.grad = w\n", "f.py:2: a gradient must be a number or None, not Tensor"),
        (
            "w = 1.0\nw.data = [1]\n",
            "f.py:2: the new value of .data must be a number, not list [1]",
        ),
        (
            "w = 1.0\nk = [w].backward()\n",
            "f.py:2: AttributeError: 'list' object has no attribute 'backward'",
        ),
        (
            "w = 1.0\nb = 2.0\nL = w * 2\nL.backward()\nwith no_grad():\n    b -= 0.1 * b.grad\n",
            "f.py:6: TypeError: unsupported operand type(s) for *: 'float' and 'NoneType'",
        ),
    ],
)
def test_wrong_uses_are_one_line_errors_at_their_line(text, message):
    assert refusal(text) == message


def test_deeply_nested_with_blocks_run_or_stop_cleanly():
    """As deep as Python's parser goes (100 levels of indentation): no crash, no traceback."""
    depth = 98
    body = "".join("    " * i + "with no_grad():\n" for i in range(depth))
    text = "w = 1.0\nL = w * 3\nL.backward()\n" + body + "    " * depth + "w -= 0.5 * w.grad\n"
    program = load_source(text + "K = w * w\n", "f.py", safe=True)
    assert program.namespace["w"].value == -0.5
    assert program.loss_name == "L"  # the value backward() was called on


def test_training_loop_bounded_by_time():
    """A loop of backward() calls stops at the wall-time bound with the usual refusal."""
    text = "w = 1.0\nfor i in range(100000):\n    loss = w * w\n    loss.backward()\n"
    start = time.monotonic()
    with using(Limits(wall_time_seconds=1)):
        message = refusal(text)
    assert time.monotonic() - start < HANG
    assert message in {
        f"f.py:{line}: stopped in --safe mode: still running after 1 s "
        "(limit: wall_time_seconds = 1)"
        for line in (3, 4)
    }


def test_a_million_backward_calls_refused_before_running():
    text = (
        "w = 1.0\nfor i in range(1000):\n    for j in range(1000):\n"
        "        loss = w * w\n        loss.backward()\n"
    )
    assert refusal(text) == (
        "f.py:3: not allowed in --safe mode: nested loops of 1000000 iterations in all "
        "(limit: max_loop_iterations = 100000)"
    )


def test_in_place_updates_count_as_traced_values():
    """Each version of a leaf updated in place (a snapshot in the graph) counts."""
    text = "w = 1.0\nfor i in range(50):\n    L = w * w\n    with no_grad():\n        w -= 0.01\n"
    with using(Limits(max_graph_nodes=60)):
        message = refusal(text)
    assert "stopped in --safe mode: more than 60 traced values" in message


# -- a property: generated training loops agree in both modes ------------------------------
LOSSES = [
    "(w * x - y) ** 2",
    "(w * x + b - y) ** 2",
    "sigmoid(w * x + b) * y",
    "tanh(w * b) + (w - y) ** 2",
    "relu(w * x - b) + exp(b * 0.1)",
    "(w * w * x - y * b) ** 2",
]
UPDATES = [
    "        {p} -= lr * {p}.grad\n",
    "        {p} += -lr * {p}.grad\n",
    "        {p} *= 0.9\n        {p} -= lr * {p}.grad\n",
    "        {p} /= 1.1\n",
]
ZEROING = ["    {p}.grad = None\n", "    {p}.grad.zero_()\n", "    {p}.grad.data.zero_()\n", ""]


@st.composite
def training_loops(draw):
    steps = draw(st.integers(1, 3))
    lines = [
        f"w = {draw(st.sampled_from([0.5, -1.0, 2.0]))}\n",
        f"b = {draw(st.sampled_from([0.0, 0.25]))}\n",
        f"x = {draw(st.sampled_from(['1.5', 'const(1.5)']))}\n",
        "y = const(2.0)\n",
        f"lr = {draw(st.sampled_from(['0.1', 'const(0.05)']))}\n",
        f"for step in range({steps}):\n",
    ]
    if draw(st.booleans()):
        lines.append("    x = (x * 1.0).detach()\n")
    lines.append(f"    loss = {draw(st.sampled_from(LOSSES))}\n")
    lines.append("    loss.backward()\n")
    style = draw(st.sampled_from(["no_grad", "data"]))
    if style == "no_grad":
        lines.append("    with no_grad():\n")
        for p in ("w", "b"):
            lines.append(draw(st.sampled_from(UPDATES)).format(p=p))
    else:
        for p in ("w", "b"):
            lines.append(f"    {p}.data -= 0.1 * {p}.grad\n")
    for p in ("w", "b"):
        lines.append(draw(st.sampled_from(ZEROING)).format(p=p))
    return "".join(lines)


def _outcome(text, safe):
    try:
        return _run(text, safe)
    except PathgradError as err:
        return str(err)


@settings(max_examples=25, deadline=None)
@given(training_loops())
def test_generated_training_loops_agree_in_both_modes(text):
    assert _outcome(text, safe=True) == _outcome(text, safe=False)
