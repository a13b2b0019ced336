"""Safe mode: the bad-input corpus, escapes, resource bounds, equivalence and fuzzing.

The corpus (``tests/corpus``, expectations in ``expected.csv``) is the
contract: every file gives exactly its expected one-line message and exit
status, no traceback, in bounded time. Until ``pathgrad explain --safe``
exists, the CLI-level copy of the corpus test is skipped and the library-level
one runs what the CLI will run: ``load(path, safe=True)`` and the explanation.
"""

import ast
import contextlib
import csv
import dataclasses
import io
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathgrad.errors import LoadError, PathgradError, Stopped
from pathgrad.explanation import explain_program
from pathgrad.safe.limits import LIMITS, Limits, active, using
from pathgrad.safe.sandbox import interpret, validate
from pathgrad.safe.worker import run_bounded
from pathgrad.trace.loader import load, load_source
from pathgrad.trace.running import BIND, EXPORTS

pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning")  # Python's, on odd files

CORPUS = Path(__file__).resolve().parent / "corpus"
with open(CORPUS / "expected.csv", newline="", encoding="utf-8") as _table:
    TABLE = list(csv.DictReader(_table))


def _applies(row, version=sys.version_info[:2]):
    """A row's ``python`` column: empty for every version, "3.11+" or "3.10" for one.

    Python 3.10 parses a 5000-term sum that 3.11 refuses as too deep; safe mode then
    runs it, as it runs any long expression.
    """
    wanted = row["python"]
    if not wanted:
        return True
    if wanted.endswith("+"):
        return version >= tuple(map(int, wanted[:-1].split(".")))
    return version == tuple(map(int, wanted.split(".")))


EXPECTED = [row for row in TABLE if _applies(row)]
#: What the command line runs in its bounded worker: every corpus file, except that of the
#: validator's refusals ("not allowed in --safe mode", decided before anything runs, and
#: each checked word for word by test_corpus_file) one in four is enough to show that the
#: command prints them as it should; a worker process costs most of a second.
REFUSED_BY_THE_VALIDATOR = [r for r in EXPECTED if r["message"].startswith("not allowed")]
THROUGH_THE_CLI = [
    r for r in EXPECTED if r not in REFUSED_BY_THE_VALIDATOR or r in REFUSED_BY_THE_VALIDATOR[::4]
]
#: Seconds any corpus file may take, load and explanation together: a bound that catches a
#: hang, not slowness (these machines are shared; a loaded one is several times slower).
HANG = 60.0
CORPUS_SECONDS = 2 * HANG  # the worker itself may use HANG
#: Files the escape attempts try to create (in the working directory).
PWNED = "pathgrad_pwned.txt"


# -- helpers ----------------------------------------------------------------------
def run_safe(path):
    """What ``pathgrad explain --safe FILE`` reports: exit status, stderr lines, explanation."""
    try:  # no corpus file expects the wall-time bound: on a loaded machine, give it room
        with using(Limits(wall_time_seconds=HANG)):
            explanation = explain_program(load(str(path), safe=True))
    except PathgradError as err:
        return 2, [str(err)], None
    return (2 if explanation.problems else 0), [str(p) for p in explanation.problems], explanation


def expected_lines(row, path):
    if row["exit"] == "0":
        return []
    where = f"{path}:{row['line']}" if row["line"] else f"{path}"
    return [f"{where}: {row['message']}"]


def summary(explanation):
    """Everything both modes must agree on: graph nodes, paths, sums, notes, problems."""
    nodes = [
        (d["name"], d["kind"], d["op"], d["line"], d["value"], d["formula"], d["requires_grad"])
        for _, d in sorted(explanation.graph.nodes(data=True))
    ]
    gradients = {
        leaf: (
            str(g.closed_form),
            g.value,
            g.path_count,
            [(p.nodes, str(p.product), p.lines) for p in g.paths],
        )
        for leaf, g in explanation.gradients.items()
    }
    return (
        explanation.loss,
        nodes,
        gradients,
        [(n.line, n.text) for n in explanation.notes],
        [str(p) for p in explanation.problems],
    )


def refusal(text, file="f.py"):
    with pytest.raises(LoadError) as info:
        load_source(text, file, safe=True)
    return str(info.value)


def cli_has_safe():
    from pathgrad import cli

    try:
        with contextlib.redirect_stderr(io.StringIO()):
            args = cli.parser().parse_args(["explain", "--safe", "seed"])
    except SystemExit:
        return False
    return getattr(args, "safe", False) is True


# -- the corpus ---------------------------------------------------------------------
@pytest.fixture(autouse=True)
def default_recursion_limit():
    """How deep an expression Python parses depends on the recursion limit (3.11+): the
    corpus expects the default, whatever an earlier test (a notebook kernel) set."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


def test_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.name != "expected.csv"}
    assert len(files) >= 40
    for version in [(3, 10), (3, 11), (3, 12), (3, 13)]:
        listed = [row["file"] for row in TABLE if _applies(row, version)]
        assert sorted(listed) == sorted(files), "every file has one expectation per version"
    assert {row["exit"] for row in TABLE} <= {"0", "2"}
    assert sum(row["exit"] == "2" for row in EXPECTED) >= 40


@pytest.mark.parametrize("row", EXPECTED, ids=[row["file"] for row in EXPECTED])
def test_corpus_file(row, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # escapes would write here
    path = CORPUS / row["file"]
    start = time.monotonic()
    status, lines, explanation = run_safe(path)
    assert time.monotonic() - start < CORPUS_SECONDS
    assert (status, lines) == (int(row["exit"]), expected_lines(row, path))
    if row["note"]:
        assert row["note"] in [n.text for n in explanation.notes]
    assert list(tmp_path.iterdir()) == [], "nothing may be created"


@pytest.mark.skipif(not cli_has_safe(), reason="`pathgrad explain --safe` is not wired yet")
@pytest.mark.parametrize("row", THROUGH_THE_CLI, ids=[row["file"] for row in THROUGH_THE_CLI])
def test_corpus_file_cli(row, tmp_path, monkeypatch, capsys):
    from pathgrad.cli import main

    monkeypatch.chdir(tmp_path)
    path = CORPUS / row["file"]
    start = time.monotonic()
    status = main(["explain", "--safe", "--timeout", str(HANG), str(path)])
    assert time.monotonic() - start < CORPUS_SECONDS
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err and "internal error" not in err
    assert status == int(row["exit"])
    messages = [
        line
        for line in err.splitlines()  # not what the file prints, nor its cut
        if line.startswith("pathgrad: ") and "print output cut" not in line
    ]
    assert messages == [f"pathgrad: {line}" for line in expected_lines(row, path)]
    if row["exit"] == "0":
        assert out
    assert list(tmp_path.iterdir()) == []


# -- escapes: refused before anything runs, nothing created ---------------------------
ESCAPES = {
    "import os\nos.system('touch pathgrad_pwned.txt')\n": (1, "import"),
    "import subprocess\n": (1, "import"),
    "from os import system\nsystem('touch pathgrad_pwned.txt')\n": (1, "import"),
    "f = open('pathgrad_pwned.txt', 'w')\n": (1, "call to open()"),
    "x = 1.0\nL = x * 2\nopen('pathgrad_pwned.txt', 'w').write('x')\n": (3, "call to open()"),
    "k = ().__class__.__subclasses__()\n": (1, "attribute .__class__"),
    "k = [].__class__.__base__.__subclasses__()\n": (1, "attribute .__class__"),
    "b = __builtins__\n": (1, "dunder name __builtins__"),
    "b = __builtins__['open']('pathgrad_pwned.txt', 'w')\n": (1, "dunder name __builtins__"),
    "__import__('os').system('touch pathgrad_pwned.txt')\n": (1, "call to __import__()"),
    "f = getattr(leaf, '__globals__')\n": (1, "call to getattr()"),
    "x = 1.0\nL = x.__class__\n": (2, "attribute .__class__"),
    "x = 1.0\nL = exp.__globals__['__builtins__']\n": (2, "attribute .__globals__"),
    "eval(\"open('pathgrad_pwned.txt', 'w')\")\n": (1, "call to eval()"),
    "exec(\"open('pathgrad_pwned.txt', 'w')\")\n": (1, "call to exec()"),
    "c = compile('1', 'f', 'eval')\n": (1, "call to compile()"),
    "f = lambda: open('pathgrad_pwned.txt', 'w')\n": (1, "lambda"),
    "def f():\n    open('pathgrad_pwned.txt', 'w')\nf()\n": (2, "call to open()"),
    "class A:\n    pass\n": (1, "class"),
    "k = [c for c in ().__class__.__mro__]\n": (
        1,
        "a loop over something other than range(...) or zip(...)",
    ),
    "k = (c for c in range(3))\n": (1, "generator expression"),
    "with open('pathgrad_pwned.txt', 'w') as f:\n    pass\n": (1, "with"),
    "while True:\n    pass\n": (1, "while loop"),
    "x = 1.0\nL = x\nglobals()['open']('pathgrad_pwned.txt', 'w')\n": (3, "call to globals()"),
    "x = 1.0\nL = vars()\n": (2, "call to vars()"),
    "x = 1.0\nL = leaf.__call__('w', 1.0)\n": (2, "attribute .__call__"),
    "x = 1.0\nL = [exp][0]('x')\n": (2, "a call of something other than a function name"),
    "x = 1.0\nL = f'{x.__class__}'\n": (2, "attribute .__class__"),
    "x = 1.0\nL = f'{x!r}'\n": (2, "conversion (!r, !s, !a) in an f-string"),
    "f = open\n": (1, "the Python builtin open"),
    "__pathgrad_bind__ = 1\n": (1, "dunder name __pathgrad_bind__"),
    "x = 1.0\nL = x\ndel L\n": (3, "del"),
    "x = 1.0\ntry:\n    L = x\nexcept Exception:\n    pass\n": (2, "try"),
    "x = 1.0\nL = (y := x * 2)\n": (2, "assignment expression (:=)"),
    "x = 1.0\nfor i in range(100000000):\n    x = x * 1.0\n": (
        2,
        "a loop of 100000000 iterations (limit: max_loop_iterations = 100000)",
    ),
}


@pytest.mark.parametrize("text", ESCAPES, ids=range(len(ESCAPES)))
def test_escape_refused_and_nothing_created(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line, construct = ESCAPES[text]
    assert refusal(text) == f"f.py:{line}: not allowed in --safe mode: {construct}"
    assert not (tmp_path / PWNED).exists()
    assert list(tmp_path.iterdir()) == []


def test_escape_would_write_in_normal_mode(tmp_path, monkeypatch):
    """The control: the same file does create the file when run as Python."""
    monkeypatch.chdir(tmp_path)
    text = (CORPUS / "open_write.py").read_text()
    load_source(text, "open_write.py")
    assert (tmp_path / PWNED).exists()
    (tmp_path / PWNED).unlink()
    refusal(text)
    assert not (tmp_path / PWNED).exists()


def test_validation_runs_nothing(tmp_path, monkeypatch):
    """A file refused at its last line has run none of its lines."""
    monkeypatch.chdir(tmp_path)
    calls = []
    namespace = {BIND: lambda *args: calls.append(args), **EXPORTS}
    tree = ast.parse("x = 1.0\nL = x * 2\nimport os\n")
    with pytest.raises(LoadError):
        validate(tree, "f.py")
    assert calls == []
    del namespace


@pytest.mark.parametrize(
    "text, construct",
    [
        ("x = 1.0\nL = x @ x\n", "operator @"),
        ("x = 1.0\nL = x << 2\n", "operator <<"),
        ("x = 1.0\nL = ~x\n", "operator ~"),
        ("x = 1.0\nL = x * (x is x)\n", "operator is"),
        ("x = 1.0\nL = x * (x in [x])\n", "operator in"),
        ("x = 1.0\nL = {x}\n", "set"),
        ("x = 1.0\nL = x * ...\n", "..."),
        ("x = 1.0\nL = x.numpy()\n", "method .numpy()"),  # .item(): as in normal mode
        ("x = 1.0\nL = x.tanh(1)\n", "method .tanh() with these arguments"),
        ("x = 1.0\nL = max(x, x, key=abs)\n", "keyword arguments to max()"),
        (
            "x = 1.0\nL = leaf('w', 1.0, grad=True)\n",
            "keyword arguments to leaf() other than name, value, requires_grad",
        ),
        ("x = 1.0\nr = range(3)\n", "call to range() outside a for loop"),
        ("x = 1.0\nfor i in range(0, 3, 0):\n    x = x * 2\n", "range() with step 0"),
        ("x = 1.0\nfor i in range(3):\n    x = x * 2\nelse:\n    pass\n", "for ... else"),
        ("x = 1.0\nfor i, j in range(3):\n    x = x * 2\n", "a for loop over several names"),
        ("x = 1.0\nrange = 3\n", "assignment to range"),
        ("x = 1.0\nx.y = 2\n", "attribute .y"),
        ("x = 1.0\nL: float\n", "annotation without a value"),
        ("x = 1.0\nassert x\n", "assert"),
        ("x = 1.0\nraise ValueError\n", "raise"),
        ("x = 1.0\nglobal y\n", "global"),
        (
            "x = 1.0\nL = [x for i in range(3) for j in range(100000)]\n",
            "nested loops of 300000 iterations in all (limit: max_loop_iterations = 100000)",
        ),
        (
            "x = 1.0\nL = x * 2 ** " + "7" * 1300 + "\n",
            "a whole number of 4319 bits (limit: max_int_bits = 4096)",
        ),
        (
            "x = 1.0\nfor i, j in zip(range(3)):\n    x = x * 2\n",
            "call to range() outside a for loop",
        ),
        ("x = 1.0\nfor i in zip([x], strict=True):\n    x = x * 2\n", "zip() with these arguments"),
        ("x = 1.0\nfor i in zip(*[[x]]):\n    x = x * 2\n", "zip() with these arguments"),
        (
            "x = 1.0\nfor (i, j), k in zip([x], [x]):\n    x = x * 2\n",
            "a for loop over several names",
        ),
        ("x = 1.0\nzip = 3\n", "assignment to zip"),
        ("x = 1.0\nz = zip([x], [x])\n", "call to zip() outside a for loop"),
        ("x = 1.0\ndef range(n):\n    return n\n", "assignment to range"),
        ("x = 1.0\ndef f(zip):\n    return zip\n", "assignment to zip"),
        (
            "x = 1.0\ndef f(v, *, k):\n    return v\n",
            "a parameter other than a positional one (*, ** or keyword-only)",
        ),
        (
            "x = 1.0\ndef f(v) -> open:\n    return v\n",
            "an annotation other than bool, float, int, list, str, tuple",
        ),
        ("x = 1.0\ndef f(v):\n    nonlocal x\n    return v\n", "nonlocal"),
        ("x = 1.0\ndef f(v):\n    yield v\n", "yield"),
        ("x = 1.0\nasync def f(v):\n    return v\n", "function definition"),
        ("x = 1.0\ndef f(v):\n    return v\ng = f\nL = g(x)\n", "call to g()"),
        ("x = 1.0\ndef f(v):\n    return v\nf = 2\nL = f(x)\n", "call to f()"),
        ("x = 1.0\np = print\n", "the Python builtin print"),
        ("x = 1.0\nprint(x, file=x)\n", "keyword arguments to print() other than sep, end"),
        ("x = 1.0\nprint(x, flush=True)\n", "keyword arguments to print() other than sep, end"),
        ("x = 1.0\nL = f'{x:{x}}'\n", "format specification in an f-string"),
        ("x = 1.0\nL = f'{x:.100000f}'\n", "format specification in an f-string"),
        ("x = 1.0\nL = f'{x:" + "9" * 5000 + "}'\n", "format specification in an f-string"),
    ],
)
def test_refusal_names_the_construct(text, construct):
    assert refusal(text).split(": ", 1)[1] == f"not allowed in --safe mode: {construct}"


def test_first_refusal_in_source_order():
    text = "x = 1.0\nL = x * 2\nwhile x:\n    import os\nf = open\n"
    assert refusal(text) == "f.py:3: not allowed in --safe mode: while loop"


def test_unknown_function_keeps_the_normal_message():
    text = "x = 1.0\nL = sigmod(x)\n"
    assert refusal(text) == "f.py:2: unknown function sigmod(); did you mean sigmoid?"


# -- resource bounds -------------------------------------------------------------------
def test_limits_are_frozen_documented_defaults():
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIMITS.max_graph_nodes = 1
    for field in dataclasses.fields(Limits):
        assert field.name in Limits.__doc__
    assert active() is LIMITS


def test_wall_time_stops_a_slow_file():
    text = "x = 1.0\nfor i in range(100000):\n    k = i * 2\nL = x * 2\n"
    start = time.monotonic()
    with using(Limits(wall_time_seconds=0.01)):
        message = refusal(text)
    assert time.monotonic() - start < HANG
    assert message.startswith("f.py:")
    assert message.endswith(
        "stopped in --safe mode: still running after 0.01 s (limit: wall_time_seconds = 0.01)"
    )


def test_graph_size_stops_with_the_line():
    text = "x = 1.0\nfor i in range(30):\n    x = x * 1.5\n"
    with using(Limits(max_graph_nodes=10)):
        assert refusal(text) == (
            "f.py:3: stopped in --safe mode: more than 10 traced values "
            "(limit: max_graph_nodes = 10)"
        )


def test_loop_iterations_are_counted_while_running():
    tree = ast.parse("k = 0\nfor i in range(4):\n    k = [j for j in range(3)]\n")
    validate(tree, "f.py")  # 16 iterations in all: within the defaults
    namespace = {BIND: lambda name, value, line, leaf_ok, top: value, **EXPORTS}
    with pytest.raises(LoadError) as info:
        interpret(tree, namespace, "f.py", Limits(max_loop_iterations=10))
    assert str(info.value) == (
        "f.py:3: stopped in --safe mode: more than 10 loop iterations "
        "(limit: max_loop_iterations = 10)"
    )


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "x = 1.0\nxs = [x] * 10**7\n",
            "f.py:2: stopped in --safe mode: lists of more than 1000000 "
            "items in all (limit: max_list_items = 1000000)",
        ),
        (
            "x = 1.0\nxs = []\nfor i in range(100000):\n    xs += [x, x, x, x, x, x, x, x, x, x, x]\n",
            "f.py:4: stopped in --safe mode: lists of more than 1000000 items in all "
            "(limit: max_list_items = 1000000)",
        ),
        (
            "x = 1.0\nname = f\"{x}{'a' * 2}\"\n",
            "f.py:2: not allowed in --safe mode: arithmetic on a str",
        ),
        (
            'x = 1.0\nk = 0\nfor i in range(1):\n    k = i + 10**1000\nname = f"w{k}"\n',
            "f.py:5: not allowed in --safe mode: an f-string of more than 1000 characters",
        ),
        (
            "x = 2.0\nL = x ** 5000\n",
            "f.py:2: stopped in --safe mode: exponent 5000 (limit: max_exponent = 1000)",
        ),
        (
            "x = 2.0\nfor i in range(2, 3):\n    k = i ** 999 * i ** 999 * i ** 999 * i ** 999 "
            "* i ** 999\nL = x * 2\n",
            "f.py:3: stopped in --safe mode: a whole number of more than 4096 bits "
            "(limit: max_int_bits = 4096)",
        ),
    ],
)
def test_resource_bounds(text, message):
    start = time.monotonic()
    assert refusal(text) == message
    assert time.monotonic() - start < HANG


def test_recursion_stops_at_the_depth_limit():
    text = "x = 1.0\ndef down(v, n):\n    if n == 0:\n        return v\n    return down(v * 2, n - 1)\n"
    with using(Limits(max_call_depth=5)):
        assert load_source(text + "L = down(x, 4)\n", "f.py", safe=True).loss.value == 16.0
        assert refusal(text + "L = down(x, 5)\n") == (
            "f.py:5: stopped in --safe mode: functions calling functions more than 5 deep "
            "(recursion) (limit: max_call_depth = 5)"
        )


def test_default_depth_fits_in_python_recursion_limit():
    """Each call of a file's function takes Python frames: the default depth must be reachable
    from the default recursion limit, even for a call in a comprehension in a loop."""
    text = (
        "x = 1.0\ndef f(n, v):\n    for i in range(1):\n        if n > 0:\n"
        "            return [f(n - 1, v) for j in range(1) if j < 5][0] + 1\n    return v\n"
    )
    depth = LIMITS.max_call_depth
    assert load_source(text + f"L = f({depth - 1}, x)\n", "f.py", safe=True).loss.value == depth
    assert "max_call_depth" in refusal(text + f"L = f({depth}, x)\n")
    assert sys.getrecursionlimit() == 1000  # given back


@pytest.mark.parametrize("mode", [False, True])
def test_print_writes_to_stderr_as_in_normal_mode(mode, capsys):
    text = (
        "x = 1.0\nL = x * 2\nprint('L =', L, f'{L:.3f}', [x, 2], sep=', ', end='.\\n')\nprint()\n"
    )
    load_source(text, "f.py", safe=mode)
    out, err = capsys.readouterr()
    printed = "L =, tensor(L=2, grad_fn=<MulBackward0>), 2.000, [tensor(x=1), 2].\n\n"
    assert (out, err) == ("", printed)


def test_print_output_is_bounded_in_bytes(tmp_path, monkeypatch, capfd):
    """The corpus' print flood (5000 lines of ~80 bytes): at most the limit, plus one line."""
    from pathgrad.cli import main

    monkeypatch.chdir(tmp_path)
    path = CORPUS / "print_flood.py"
    assert main(["explain", "--safe", str(path)]) == 0
    out, err = capfd.readouterr()
    limit = LIMITS.max_print_bytes
    cut = (
        f"pathgrad: {path}:4: print output cut in --safe mode after {limit} bytes "
        f"(limit: max_print_bytes = {limit})\n"
    )
    assert err.endswith(cut)
    assert limit <= len(err.encode()) <= limit + len(cut.encode()) + 1
    assert err.startswith("0 a fairly long line of text written again and again tensor(L=2")
    assert out.startswith("L = x·2 = 2")
    assert list(tmp_path.iterdir()) == []


def test_print_bound_cuts_inside_a_character():
    """The cut is by bytes of UTF-8; a character cut in two is left out, not garbled."""
    text = "x = 1.0\nL = x * 2\nprint('αβγ')\nprint('δ')\n"
    err = io.StringIO()
    with using(Limits(max_print_bytes=5)), contextlib.redirect_stderr(err):
        load_source(text, "f.py", safe=True)
    assert err.getvalue() == (
        "αβ\npathgrad: f.py:3: print output cut in --safe mode after 5 bytes "
        "(limit: max_print_bytes = 5)\n"
    )


@settings(max_examples=60, deadline=None)
@given(
    parameters=st.integers(0, 3),
    defaults=st.integers(0, 3),
    positional_only=st.integers(0, 3),
    passed=st.integers(0, 4),
    keywords=st.lists(st.sampled_from("abcz"), unique=True, max_size=3),
)
def test_call_arguments_bound_as_python_binds_them(
    parameters, defaults, positional_only, passed, keywords
):
    """Any positional signature, any call: the same result, or Python's own TypeError."""
    names = list("abc")[:parameters]
    signature = [f"{n}={i}.5" if i >= parameters - defaults else n for i, n in enumerate(names)]
    if 0 < positional_only <= parameters:
        signature.insert(positional_only, "/")
    arguments = ["x"] * passed + [f"{k}=x" for k in keywords]
    text = (
        f"x = 1.0\ndef f({', '.join(signature)}):\n    return x * ({' + '.join(names) or 1})"
        f"\nL = f({', '.join(arguments)}) * 2\n"
    )
    results = []
    for mode in (False, True):
        try:
            results.append(load_source(text, "f.py", safe=mode).loss.value)
        except PathgradError as err:
            results.append(str(err))
    assert results[1] == results[0]


STUDENT = (
    "x = 2.0\nw = 0.5\n\n\ndef neuron(v, weight):\n    out = tanh(v * weight)\n"
    "    print(f'neuron: {out:.4f}')\n    return out\n\n\nL = neuron(x, w) ** 2\nprint(L)\n"
)


@pytest.mark.parametrize("folder", [False, True])
def test_check_a_file_with_print_and_def(folder, tmp_path, capsys):
    """``pathgrad check`` (always safe mode) on a student's file with print and a def."""
    from pathgrad.cli import main

    (tmp_path / "student.py").write_text(STUDENT)
    answer = "2*x*tanh(w*x)*(1 - tanh(w*x)**2)"
    target = tmp_path if folder else tmp_path / "student.py"
    assert main(["check", str(target), "--wrt", "w", "--answer", answer]) == 0
    out, err = capsys.readouterr()
    assert "w: right" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["student.py"]


# -- f-strings format traced values (both modes) -------------------------------------------
@pytest.mark.parametrize("mode", [False, True])
def test_fstring_formats_a_traced_value(mode):
    """Issue 11: f"{L:.3f}" raised a raw TypeError; it formats L's value, a symbolic leaf its name."""
    text = (
        "x = 1.5\nL = x * x\nk = f'{L:.3f}|{x:>8.2e}|{y:.2f}|{y:>3}|{L}'\n"
        "v = leaf(f'w{2:02d}', 0.5)\nM = L * v * y\n"
    )
    program = load_source(text, "f.py", safe=mode)
    assert program.namespace["k"] == "2.250|1.50e+00|y|  y|tensor(L=2.25, grad_fn=<MulBackward0>)"
    assert program.namespace["v"].name == "w02"


@settings(max_examples=60, deadline=None)
@given(
    value=st.floats(allow_nan=True, allow_infinity=True),
    spec=st.sampled_from(
        [
            ".3f",
            ".0f",
            "e",
            ".2e",
            "g",
            ".10g",
            "+.1f",
            ">12.4f",
            "<9g",
            "^10.2%",
            "010.3f",
            ",.2f",
            "_.1f",
            " .5g",
            "%",
            "F",
            "E",
        ]
    ),
)
def test_format_matches_pytorch(value, spec):
    """PyTorch's 0-dim float64 tensor formats its value so; a traced value formats the same."""
    torch = pytest.importorskip("torch")
    from pathgrad.trace.traced import Tensor

    expected = format(torch.tensor(value, dtype=torch.float64), spec)
    assert format(Tensor(value, line=1), spec) == expected == format(value, spec)


# -- a bounded process: the whole run, interpretation and explanation ----------------------
def test_run_bounded_returns_the_result():
    assert run_bounded(
        "pathgrad.grade.folders:explained_request", {"file": "seed", "leaf": "w1"}
    ) == ("-w2*x1 - w3*x2")


def test_run_bounded_passes_errors_on(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = str(CORPUS / "open_write.py")
    with pytest.raises(LoadError) as info:
        run_bounded("pathgrad.grade.folders:explained_request", {"file": path, "leaf": "x"})
    assert str(info.value) == f"{path}:2: not allowed in --safe mode: call to open()"
    assert list(tmp_path.iterdir()) == []


def test_run_bounded_stops_a_slow_explanation(tmp_path):
    """A file quick to run but slow to explain (a long chain of diamonds) is stopped too."""
    path = tmp_path / "diamonds.py"
    path.write_text("x = 1.0\nfor i in range(3000):\n    x = sin(x) + cos(x)\n")
    start = time.monotonic()
    with pytest.raises(Stopped) as info:
        run_bounded(
            "pathgrad.grade.folders:explained_request",
            {"file": str(path), "leaf": "x"},
            Limits(wall_time_seconds=3),
            file=str(path),
        )
    assert time.monotonic() - start < HANG
    assert info.value.kind == "time"
    assert str(info.value) == (
        f"{path}: stopped in --safe mode: still running after 3 s (limit: wall_time_seconds = 3)"
    )


def test_run_bounded_memory():
    with pytest.raises(Stopped) as info:
        run_bounded(
            "pathgrad.grade.folders:explained_request",
            {"file": "seed", "leaf": "w1"},
            Limits(memory_mib=30),
        )
    assert info.value.kind == "memory"
    assert info.value.message == "stopped in --safe mode: out of memory (limit: memory_mib = 30)"


# -- the same explanation in both modes --------------------------------------------------
SUBSET_EXAMPLES = ["seed", "neuron", "reuse", "micrograd", "diamonds", "branch", "symbolic", "mlp"]


@pytest.mark.parametrize("name", SUBSET_EXAMPLES)
def test_examples_explained_the_same_in_both_modes(name):
    normal = explain_program(load(name), check=True)
    sandboxed = explain_program(load(name, safe=True), check=True)
    assert summary(sandboxed) == summary(normal)


def test_mlp_example_explained_the_same_by_the_command_line(capsys):
    """``pathgrad explain --safe mlp`` (a def, zip, a worker process) prints what normal mode does."""
    from pathgrad.cli import main

    outputs = []
    for options in ([], ["--safe"]):
        assert main(["explain", *options, "mlp"]) == 0
        outputs.append(capsys.readouterr())
    assert outputs[1] == outputs[0]
    assert "L = (out - target)^2 = 0.123961" in outputs[0].out  # the caller names it


PROGRAMS = {
    "loops_lists_leaves": (
        "xs = [1.0, -2.0, 0.5]\n"
        'ws = [leaf(f"w{i}", 0.1 * (i + 1)) for i in range(3)]\n'
        "b = 0.25\n"
        "total = b\n"
        "for i in range(3):\n"
        "    total = total + ws[i] * xs[i]\n"
        "hs = []\n"
        "for i in range(2):\n"
        "    hs.append(tanh(total * (i + 1)))\n"
        "out = hs[0] * hs[-1]\n"
        "out += relu(total) * 2 + total.sigmoid()\n"
        "L = (out - 1) ** 2\n"
    ),
    "branches_multiline": (
        "a, b = 2.0, -1.0\n"
        "c = a * b\n"
        "if 0 < a < 3 and not b > 0:\n"
        "    d = c * c\n"
        "elif c > 100:\n"
        "    d = c\n"
        "else:\n"
        "    d = -c\n"
        "e = (d +\n"
        "     a * b\n"
        "     - max(a, b))\n"
        "k = a if a > b or a < 0 else b\n"
        "e -= k\n"
        "s = e / 2 ** 2\n"
        "L = s if s != 0 else e\n"
    ),
    "symbolic_break_continue": (
        "w = 0.5\n"
        "vals = [0.0, 0.0, 0.0]\n"
        "for i in range(3):\n"
        "    if i == 1:\n"
        "        continue\n"
        "    for j in range(5):\n"
        "        vals[i] = vals[i] + w * (i + j)\n"
        "        if j >= 1:\n"
        "            break\n"
        "acc = vals[0] + vals[2] * z\n"
        "L = acc * abs(w - 1) + min(w, z) + exp(-z).log()\n"
    ),
    "rebinding_and_chains": (
        "x = 1.5\n"
        "n = 3\n"
        "x = x * x\n"
        "x = x * x\n"
        "p = q = x + 1\n"
        "p *= 2\n"
        "items = [x, p, q]\n"
        "items[1] += items[0]\n"
        "lr = 1e-3\n"
        "first, rest = items[0], items[1] if False else items[-2]\n"
        "L = first * rest * lr * n\n"
    ),
    "functions_defaults_keywords": (
        "x = 1.5\n"
        "w = -0.5\n"
        "def affine(v, scale=2, shift=0.25):\n"
        "    out = v * scale + shift\n"
        "    return out\n"
        "def square(v, /):\n"
        "    return v * v\n"
        "a = affine(x)\n"
        "b = affine(w, shift=x, scale=3)\n"
        "c = square(affine(a, 1.0))\n"
        "L = a * b + c\n"
    ),
    "recursion_and_early_return": (
        "x = 0.5\n"
        "def power(v, n):\n"
        "    if n == 0:\n"
        "        return 1.0\n"
        "    return v * power(v, n - 1)\n"
        "def first_big(v):\n"
        "    t = v\n"
        "    for i in range(10):\n"
        "        t = t * 2\n"
        "        if t > 3:\n"
        "            return t\n"
        "def nothing(v):\n"
        "    v = v * 2\n"
        "k = nothing(x)\n"
        "L = power(x, 4) + first_big(x) + (1 if k == None else 0)\n"
    ),
    "functions_lists_zip_comprehensions": (
        "xs = [1.0, -2.0, 0.5]\n"
        'ws = [leaf(f"w{i}", 0.1 * (i + 1)) for i in range(3)]\n'
        "def dot(us, vs):\n"
        "    total = 0.0\n"
        "    for u, v in zip(us, vs):\n"
        "        total = total + u * v\n"
        "    return total\n"
        "def layer(vs):\n"
        "    return [tanh(v * i) for i, v in zip([1, 2, 3], vs) if i != 2]\n"
        "hs = [dot(ws, xs) * i for i in range(2)]\n"
        "L = dot(layer(ws), layer(ws)) + hs[1]\n"
    ),
    "shadowing_and_globals": (
        "x = 2.0\n"
        "scale = 3.0\n"
        "def exp(v):\n"
        "    return v * scale\n"
        "def relu(v):\n"
        "    x = v + 1\n"
        "    return x\n"
        "def twice(f, v):\n"
        "    return f(f(v))\n"
        "a = exp(x)\n"
        "b = relu(x)\n"
        "L = twice(exp, a) * b + x\n"
    ),
    "print_and_format": (
        "x = 1.25\n"
        "L = x * x\n"
        'print("L is", L, [x, 1], sep=" | ", end="!\\n")\n'
        'print(f"{L:.3f} {x:>9.2e} {y:.2f} {3:04d}")\n'
        'name = f"w{2:02d}"\n'
        "v = leaf(name, 0.5)\n"
        "print()\n"
        "M = L * v * y\n"
    ),
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_programs_explained_the_same_in_both_modes(name):
    text = PROGRAMS[name]
    try:
        normal = summary(explain_program(load_source(text, f"{name}.py")))
    except PathgradError as err:
        normal = str(err)
    try:
        sandboxed = summary(explain_program(load_source(text, f"{name}.py", safe=True)))
    except PathgradError as err:
        sandboxed = str(err)
    assert sandboxed == normal


@pytest.mark.parametrize(
    "text",
    [
        "x = 1.0\nxs = [x]\nL = xs[3] * x\n",
        "x = 1.0\nL = x * q\nq = 2.0\n",
        "x = 1.0\nif y > 1:\n    L = x\n",
        "x = 1.0\nfor i in range(1):\n    k = 1 / i\nL = x * k\n",
        "x = 1.0\nfor i in range(1):\n    k = 10.0 ** (400 + i)\nL = x * k\n",
        "w = leaf('w', 'abc')\nL = w * 2\n",
        "w = leaf('w w', 1.0)\nL = w * 2\n",
        "x = 1e999\nL = x * 2\n",
        "a = 1.0\nb = 2.0\nL = max(a, b, a)\n",
        "x = 0.5\nxs = [1.0, 2.0]\nL = xs[x] * x\n",
        "x = 1.0\nL = [x * 2]\n",
        "x = 1.0\nk = 2\nfor i in range(1):\n    k = i\nL = x * k.relu()\n",
        "x = 1.0\na, b = x, x, x\nL = a * b\n",
        "x = 1.0\na, b, c = [x, x]\nL = a * b\n",
        "x = 1.0\na, b = x\nL = a * b\n",
        "x = 1.0\nL = exp(x, x)\n",
        "x = 1.0\nL = x * 2\nL = L[0]\n",
        "x = 1.0\nL = -[x]\n",
        "x = 1.0\nt = (x, x)\nt[0] = x\nL = x * 2\n",
        "x = 1.0\ndef f(v):\n    return v\nL = f(x, x)\n",
        "x = 1.0\ndef f(v, k=1):\n    return v\nL = f(x, x, x)\n",
        "x = 1.0\ndef f(v, k):\n    return v\nL = f()\n",
        "x = 1.0\ndef f(a, b, c):\n    return a\nL = f()\n",
        "x = 1.0\ndef f(v):\n    return v\nL = f(x, w=x)\n",
        "x = 1.0\ndef f(v):\n    return v\nL = f(x, v=x)\n",
        "x = 1.0\ndef f(v, /):\n    return v\nL = f(v=x)\n",
        "x = 1.0\ndef f(v, /, k):\n    return v\nL = f(x, x, x, v=x)\n",
        "x = 1.0\ndef f(v):\n    return v\nL = f(x, x, z=x)\n",
        "x = 1.0\ndef f(v, k=2):\n    return v\nL = f(x, x, k=x)\n",
        "x = 1.0\ndef f():\n    return x\nL = f(x)\n",
        "x = 1.0\ndef f(v):\n    print(t)\n    t = v\n    return t\nL = f(x)\n",
        "x = 1.0\ndef f(v):\n    return v * q\nL = f(x)\nq = 2.0\n",
        "x = 1.0\nL = g(x)\ndef g(v):\n    return v\n",
        "x = 1.0\nL = x * 2\nprint(L, sep=1)\n",
        "x = 1.0\nL = x * 2\nk = f'{L:d}'\n",
        "x = 1.0\nfor a, b in zip([x], x):\n    x = a * b\nL = x * 2\n",
    ],
)
def test_errors_worded_the_same_in_both_modes(text):
    messages = []
    for mode in (False, True):
        with pytest.raises(PathgradError) as info:
            explain_program(load_source(text, "f.py", safe=mode))
        messages.append(str(info.value))
    assert messages[1] == messages[0]


# -- fuzzing: a result or a clean error, never a traceback or a hang -----------------------
TOKENS = [
    "x",
    "y",
    "w",
    "L",
    "1",
    "2.5",
    "0",
    "1e999",
    "=",
    "+",
    "-",
    "*",
    "/",
    "**",
    "(",
    ")",
    "[",
    "]",
    ",",
    ".",
    ":",
    "\n",
    "\n    ",
    "\t",
    "for",
    "in",
    "range",
    "range(3)",
    "if",
    "else",
    "while",
    "import",
    "os",
    "lambda",
    "def",
    "exp",
    "leaf",
    "'w'",
    "max",
    "relu",
    ".tanh()",
    "__class__",
    "__builtins__",
    "open",
    "#",
    "\\",
    "\r\n",
    "α",
    "−",
    "\0",
    "not",
    "and",
    "==",
    "<",
    "+=",
    "[0]",
    "f'{x}'",
    "@",
    "^",
    "return",
    "print",
    "zip",
    "f'{x:.2f}'",
    "def f(v):\n    return v\n",
]
FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
FUZZ_LIMITS = Limits(wall_time_seconds=2.0, max_graph_nodes=2_000)


def load_or_clean_error(text):
    start = time.monotonic()
    with using(FUZZ_LIMITS):
        try:
            program = load_source(text, "fuzz.py", safe=True)
            explain_program(program)
        except PathgradError as err:
            assert str(err).startswith("fuzz.py")
    assert time.monotonic() - start < HANG


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.lists(st.sampled_from(TOKENS), max_size=40).map(" ".join),
        st.lists(st.sampled_from(TOKENS), max_size=40).map("".join),
    )
)
def test_fuzz_text(text):
    load_or_clean_error(text)


_NAMES = ["x", "y", "w", "L", "xs", "i", "exp", "leaf", "open", "range", "__class__"]
_CALLEES = [
    "exp",
    "log",
    "sqrt",
    "tanh",
    "sigmoid",
    "relu",
    "abs",
    "max",
    "min",
    "leaf",
    "open",
    "print",
    "getattr",
    "eval",
    "float",
    "range",
    "len",
    "xs",
    "undefined_fn",
]
_METHODS = ["tanh", "relu", "exp", "append", "item", "__class__", "value", "sigmoid"]
_BINARY = [
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Pow,
    ast.Mod,
    ast.FloorDiv,
    ast.BitXor,
    ast.MatMult,
]
_constants = st.sampled_from(
    [0, 1, 2, -3, 0.5, -1.5, 2.0, 0.0, 1e308, float("inf"), "w", "a b", None, True, 1000, 10**20]
)
#: Within the subset: what safe mode must run exactly as normal mode does.
_SUBSET = {
    "names": ["x", "w", "x", "w", "xs", "i", "k"],
    "callees": ["exp", "log", "sqrt", "sin", "tanh", "sigmoid", "relu", "abs", "max", "min"],
    "methods": ["tanh", "relu", "exp", "sigmoid", "abs", "log"],
    "binary": [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.Mod, ast.FloorDiv],
    "unary": [ast.USub, ast.UAdd, ast.Not],
    "compare": [ast.Lt, ast.GtE, ast.Eq, ast.NotEq],
    "constants": st.sampled_from([0, 1, 2, -3, 0.5, -1.5, 2.0, 0.0, 3, "w"]),
    "escapes": False,
}
_ANYTHING = {
    "names": _NAMES,
    "callees": _CALLEES,
    "methods": _METHODS,
    "binary": _BINARY,
    "unary": [ast.USub, ast.UAdd, ast.Not, ast.Invert],
    "compare": [ast.Lt, ast.GtE, ast.Eq, ast.NotEq, ast.Is, ast.In],
    "constants": _constants,
    "escapes": True,
}


def _expressions(kind):
    atoms = st.one_of(
        kind["constants"].map(ast.Constant),
        st.sampled_from(kind["names"]).map(lambda n: ast.Name(n, ast.Load())),
    )

    def extend(inner):
        small = st.lists(inner, max_size=3)
        options = [
            st.builds(
                lambda a, op, b: ast.BinOp(a, op(), b),
                inner,
                st.sampled_from(kind["binary"]),
                inner,
            ),
            st.builds(lambda op, a: ast.UnaryOp(op(), a), st.sampled_from(kind["unary"]), inner),
            st.builds(
                lambda a, op, b: ast.Compare(a, [op()], [b]),
                inner,
                st.sampled_from(kind["compare"]),
                inner,
            ),
            st.builds(lambda a, b: ast.BoolOp(ast.Or(), [a, b]), inner, inner),
            st.builds(ast.IfExp, inner, inner, inner),
            st.builds(
                lambda f, args: ast.Call(ast.Name(f, ast.Load()), args, []),
                st.sampled_from(kind["callees"]),
                st.lists(inner, min_size=1, max_size=2),
            ),
            st.builds(
                lambda a, m: ast.Call(ast.Attribute(a, m, ast.Load()), [], []),
                inner,
                st.sampled_from(kind["methods"]),
            ),
            small.map(lambda elts: ast.List(elts, ast.Load())),
            small.map(lambda elts: ast.Tuple(elts, ast.Load())),
            st.builds(
                lambda a, i: ast.Subscript(a, i, ast.Load()),
                inner,
                st.one_of(inner, st.integers(-2, 2).map(ast.Constant)),
            ),
            st.builds(
                lambda e, n: ast.ListComp(
                    e,
                    [
                        ast.comprehension(
                            ast.Name("j", ast.Store()),
                            ast.Call(ast.Name("range", ast.Load()), [ast.Constant(n)], []),
                            [],
                            0,
                        )
                    ],
                ),
                inner,
                st.integers(0, 4),
            ),
        ]
        if kind["escapes"]:
            options += [
                st.builds(
                    lambda a, m, args: ast.Call(ast.Attribute(a, m, ast.Load()), args, []),
                    inner,
                    st.sampled_from(kind["methods"]),
                    st.lists(inner, max_size=1),
                ),
                st.builds(
                    lambda a, m: ast.Attribute(a, m, ast.Load()),
                    inner,
                    st.sampled_from(kind["methods"]),
                ),
                inner.map(
                    lambda body: ast.Lambda(ast.arguments([], [], None, [], [], None, []), body)
                ),
            ]
        return st.one_of(*options)

    return st.recursive(atoms, extend, max_leaves=8)


def _statements(kind):
    expression = _expressions(kind)
    target = st.sampled_from(["x", "y", "w", "L", "xs", "k", "h"]).map(
        lambda n: ast.Name(n, ast.Store())
    )
    simple = [
        st.builds(lambda t, v: ast.Assign([t], v), target, expression),
        st.builds(
            lambda t, op, v: ast.AugAssign(t, op(), v),
            target,
            st.sampled_from(kind["binary"]),
            expression,
        ),
        expression.map(ast.Expr),
        st.builds(
            lambda v: ast.Expr(
                ast.Call(ast.Attribute(ast.Name("xs", ast.Load()), "append", ast.Load()), [v], [])
            ),
            expression,
        ),
        st.just(ast.Pass()),
    ]
    if kind["escapes"]:
        simple.append(st.just(ast.Import([ast.alias("os")])))

    def extend(inner):
        body = st.lists(inner, min_size=1, max_size=3)
        options = [
            st.builds(
                lambda n, b: ast.For(
                    ast.Name("i", ast.Store()),
                    ast.Call(ast.Name("range", ast.Load()), [ast.Constant(n)], []),
                    b,
                    [],
                ),
                st.integers(0, 6),
                body,
            ),
            st.builds(ast.If, expression, body, st.lists(inner, max_size=2)),
        ]
        if kind["escapes"]:
            options.append(st.builds(lambda t: ast.While(t, [ast.Break()], []), expression))
        return st.one_of(*options)

    return st.recursive(st.one_of(*simple), extend, max_leaves=6)


_PREAMBLE = ast.parse("x = 0.5\nw = -1.5\nk = 2\nxs = [x, w, 2.0]\n").body
_POSTAMBLE = ast.parse("L = x * w + k\n").body


def _modules(kind, preamble=(), postamble=()):
    return st.lists(_statements(kind), min_size=1, max_size=6).map(
        lambda body: ast.fix_missing_locations(ast.Module([*preamble, *body, *postamble], []))
    )


@FUZZ
@given(st.one_of(_modules(_ANYTHING), _modules(_SUBSET, _PREAMBLE, _POSTAMBLE)))
def test_fuzz_syntax_trees(tree):
    with using(FUZZ_LIMITS):
        try:
            validate(tree, "fuzz.py")
        except LoadError as err:
            assert "not allowed in --safe mode" in str(err)
    load_or_clean_error(ast.unparse(tree))


@FUZZ
@given(_modules(_SUBSET, _PREAMBLE, _POSTAMBLE))
def test_fuzz_safe_mode_agrees_with_normal_mode(tree):
    """Where safe mode explains a file, normal mode explains it the same way; where it
    fails with an ordinary error (not a refusal or a bound), normal mode fails the same way.
    """
    text = ast.unparse(tree)
    with using(FUZZ_LIMITS):
        try:
            sandboxed = summary(explain_program(load_source(text, "fuzz.py", safe=True)))
        except PathgradError as err:
            sandboxed = str(err)
    if isinstance(sandboxed, str) and "--safe mode" in sandboxed:
        return  # outside the subset or past a bound: normal mode would run it (or hang)
    try:
        normal = summary(explain_program(load_source(text, "fuzz.py")))
    except PathgradError as err:
        normal = str(err)
    assert sandboxed == normal


#: Inside the helper ``g(v, k=2)``: its parameters too (assigning x or w makes them local).
_BODY = dict(_SUBSET, names=["v", "k", "x", "w", "xs", "i"])
#: Around it: calls of g, and print() of values and of formatted values.
_CALLING = dict(_SUBSET, callees=[*_SUBSET["callees"], "g", "g", "g"], prints=True)


def _helper():
    """``def g(v, k=2): <statements>; return <expression>``."""

    def build(body, result):
        arguments = ast.arguments(
            [], [ast.arg("v"), ast.arg("k")], None, [], [], None, [ast.Constant(2)]
        )
        node = ast.FunctionDef(
            name="g",
            args=arguments,
            body=[*body, ast.Return(result)],
            decorator_list=[],
            returns=None,
            type_comment=None,
        )
        if sys.version_info >= (3, 12):
            node.type_params = []
        return node

    return st.builds(build, st.lists(_statements(_BODY), max_size=3), _expressions(_BODY))


def _prints(kind):
    """``print(e, f"{e:.3g}")`` and ``print(e, sep=..., end=...)``."""
    expression = _expressions(kind)

    def build(value, spec, sep):
        formatted = ast.JoinedStr(
            [
                ast.Constant("="),
                ast.FormattedValue(
                    value, -1, ast.JoinedStr([ast.Constant(spec)]) if spec else None
                ),
            ]
        )
        keywords = [ast.keyword("sep", ast.Constant(sep)), ast.keyword("end", ast.Constant("|\n"))]
        return ast.Expr(
            ast.Call(ast.Name("print", ast.Load()), [value, formatted], keywords if sep else [])
        )

    return st.builds(
        build,
        expression,
        st.sampled_from(["", ".3g", ">9.2f", "+.1e", "<6"]),
        st.sampled_from(["", " ", ", "]),
    )


def _calling_modules():
    body = st.lists(st.one_of(_statements(_CALLING), _prints(_CALLING)), min_size=1, max_size=5)
    return st.builds(
        lambda helper, statements: ast.fix_missing_locations(
            ast.Module([*_PREAMBLE, helper, *statements, *_POSTAMBLE], [])
        ),
        _helper(),
        body,
    )


def _run_capturing(text, safe_mode):
    """The summary (or the error) and what the file printed."""
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        try:
            result = summary(explain_program(load_source(text, "fuzz.py", safe=safe_mode)))
        except PathgradError as err:
            result = str(err)
    return result, printed.getvalue()


@settings(FUZZ, max_examples=80)
@given(_calling_modules())
def test_fuzz_functions_and_print_agree_with_normal_mode(tree):
    """Files with a helper function, calls of it and print(): safe mode explains (or fails)
    exactly as normal mode, and prints the same text, unless it refuses or stops the file."""
    text = ast.unparse(tree)
    with using(FUZZ_LIMITS):
        sandboxed = _run_capturing(text, True)
    if isinstance(sandboxed[0], str) and "--safe mode" in sandboxed[0]:
        return
    assert sandboxed == _run_capturing(text, False)
