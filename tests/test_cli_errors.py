"""The command line's error contract, case by case.

``pathgrad explain FILE`` exits 0 on success; 2 on a problem with the input,
reported as exactly ONE line on standard error,
``pathgrad: FILE:LINE: what is wrong`` (``pathgrad: FILE: what is wrong``
when no line applies), never with a Python traceback; 1 only for a bug in
pathgrad. Every test writes a small file to ``tmp_path`` and calls
``pathgrad.cli.main`` in-process, so ``capsys`` sees what a user would see.

These tests are the contract: when one fails, pathgrad is wrong.
"""

import io
import json
import re
import sys
import types
from pathlib import Path

import pytest

from pathgrad.cli import main

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "examples" / "seed.py"


# -- helpers --------------------------------------------------------------------
def write(tmp_path, text, name="f.py"):
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def explain(path, *options):
    return main(["explain", str(path), *options])


def no_traceback(out, err):
    assert "Traceback" not in out
    assert "Traceback" not in err
    assert "internal error" not in err


def one_error(capsys, status, file, line=None):
    """Check the status, a single stderr line and its location; return the message.

    ``line`` is the line the message must name; ``None`` where no line applies
    (a line number is then allowed but not required).
    """
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 2, f"exit {status}, stderr: {err!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    where = re.escape(str(file))
    if line is None:
        match = re.match(rf"pathgrad: {where}:(\d+:)? (.+)$", lines[0])
    else:
        match = re.match(rf"pathgrad: {where}:{line}: (.+)$", lines[0])
    assert match, f"expected 'pathgrad: {file}:{line or 'LINE?'}: ...', got {lines[0]!r}"
    return match.groups()[-1]


def fail(tmp_path, capsys, text, *options, line=None, name="f.py"):
    path = write(tmp_path, text, name)
    return one_error(capsys, explain(path, *options), path, line)


# -- reading the file -----------------------------------------------------------
def test_syntax_error_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\ny = 2\nL = x +* y\n", line=3)
    assert "syntax error" in msg


def test_syntax_error_unclosed_paren_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = (x +\n", line=2)
    assert "syntax error" in msg
    assert "never closed" in msg


def test_syntax_error_crlf_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\r\ny = 2\r\nL = x +* y\r\n", line=3)
    assert "syntax error" in msg


def test_syntax_error_indentation_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\n  y = 2\nL = x * y\n", line=2)
    assert "indent" in msg


def test_empty_file(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "")
    assert "empty" in msg
    assert "x = 2" in msg  # tells the user what to write


def test_whitespace_only_file(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "\n   \n\t\n")
    assert "empty" in msg


def test_comments_only_file(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "# a comment\n# another\n\n")
    assert "empty" in msg


def test_binary_file(tmp_path, capsys):
    msg = fail(tmp_path, capsys, b"x = 1\n\x00\x01\x02\xff", name="f.bin")
    assert "binary" in msg


def test_non_utf8_file(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\n# café\nL = x * 2\n".encode("latin-1"))
    assert "UTF-8" in msg
    assert "save it as UTF-8" in msg  # what to do


def test_utf8_bom_file_succeeds(tmp_path, capsys):
    path = write(tmp_path, b"\xef\xbb\xbfx = 1\nL = x * 2\n")
    status = explain(path, "--ascii")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert err == ""


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nope.py"
    msg = one_error(capsys, explain(path), path)
    assert "no such file" in msg
    assert "seed" in msg  # names the bundled examples that would work instead


def test_directory(tmp_path, capsys):
    path = tmp_path / "adir"
    path.mkdir()
    msg = one_error(capsys, explain(path), path)
    assert "directory" in msg


# -- standard input -------------------------------------------------------------
def fake_stdin(monkeypatch, data):
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(data)))


def test_stdin_success(monkeypatch, capsys):
    fake_stdin(monkeypatch, b"x = 2\nL = x * x\n")
    status = main(["explain", "-", "--ascii"])
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert err == ""
    assert "dL/dx" in out
    assert "2*x" in out


def test_stdin_success_json(monkeypatch, capsys):
    fake_stdin(monkeypatch, b"x = 3\nL = x * x\n")
    status = main(["explain", "-", "--format", "json"])
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    data = json.loads(out)
    assert data["gradients"]["x"]["closed_form"] == "2*x"
    assert data["gradients"]["x"]["value"] == 6.0


def test_stdin_unknown_function_line(monkeypatch, capsys):
    fake_stdin(monkeypatch, b"x = 2\nL = foo(x)\n")
    msg = one_error(capsys, main(["explain", "-"]), "<stdin>", line=2)
    assert "foo" in msg


def test_stdin_empty(monkeypatch, capsys):
    fake_stdin(monkeypatch, b"")
    msg = one_error(capsys, main(["explain", "-"]), "<stdin>")
    assert "empty" in msg


def test_stdin_binary(monkeypatch, capsys):
    fake_stdin(monkeypatch, b"\x00\x01binary")
    msg = one_error(capsys, main(["explain", "-"]), "<stdin>")
    assert "binary" in msg


def test_stdin_non_utf8(monkeypatch, capsys):
    fake_stdin(monkeypatch, "x = 1  # é\nL = x * 2\n".encode("latin-1"))
    msg = one_error(capsys, main(["explain", "-"]), "<stdin>")
    assert "UTF-8" in msg


# -- names and functions ----------------------------------------------------------
def test_unknown_function_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 2\ny = x * 3\nL = foo(x)\n", line=3)
    assert "unknown function foo" in msg
    assert "available" in msg or "did you mean" in msg  # what to use instead


def test_unknown_function_suggests_close_name(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 2\nL = sigmod(x)\n", line=2)
    assert "sigmod" in msg
    assert "did you mean sigmoid" in msg


def test_unknown_function_in_multiline_expression_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = (x *\n     foo(x))\n", line=3)
    assert "foo" in msg


def test_name_used_before_assignment_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = y * x\ny = 2\n", line=2)
    assert "'y'" in msg
    assert "before it is assigned" in msg


def test_name_used_after_del_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\ndel x\nL = x * 2\n", line=3)
    assert "'x'" in msg


def test_own_exception_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, 'x = 1\ny = x * 2\nraise ValueError("boom")\nL = y\n', line=3)
    assert "ValueError" in msg
    assert "boom" in msg


def test_own_exception_inside_function_line(tmp_path, capsys):
    text = "def f(a):\n    raise RuntimeError('inner')\nx = 1\nL = f(x)\n"
    msg = fail(tmp_path, capsys, text, line=2)
    assert "inner" in msg


def test_type_error_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = x + 'a'\n", line=2)
    assert "TypeError" in msg
    assert "Tensor" not in msg  # pathgrad's class name is not the user's vocabulary


def test_exit_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nexit()\nL = x * 2\n", line=2)
    assert "exit()" in msg
    assert "remove" in msg


def test_sys_exit_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "import sys\nx = 1\nsys.exit(3)\nL = x * 2\n", line=3)
    assert "exit" in msg


def test_recursion_line(tmp_path, capsys):
    text = "def f(n):\n    return f(n + 1)\nx = 1\nL = f(x)\n"
    path = write(tmp_path, text)
    status = explain(path)
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 2, err
    assert len(err.splitlines()) == 1, err
    match = re.match(rf"pathgrad: {re.escape(str(path))}:(\d+): (.+)$", err.strip())
    assert match, f"expected a line number (2 or 4), got {err!r}"
    assert match.group(1) in ("2", "4")
    assert "recursion" in match.group(2)


# -- deep inputs that are valid Python --------------------------------------------
def test_long_flat_sum_succeeds(tmp_path, capsys):
    # 600 terms parse fine in Python; nothing is wrong with this file
    path = write(tmp_path, "x = 1\nL = x" + " + x" * 600 + "\n")
    status = explain(path, "--ascii", "--max-paths", "2")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert "601" in out  # dL/dx = 601


def test_expression_too_long_to_parse_is_explained(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = x" + " + x" * 20000 + "\n")
    assert re.search(r"split|too (deep|long|large|complex)|nest", msg), msg


def test_expression_python_parses_but_cannot_compile_is_explained(tmp_path, capsys):
    """Python parses a sum of a few thousand terms on one line and may still be unable to
    compile it (RecursionError): one line at the file and line of that sum, exit 2."""
    for terms in (990, 1200, 1500, 2500, 4000):
        path = write(tmp_path, "x = 1.0\ny = 2.0\nL = x" + " + x" * terms + "\n")
        status = explain(path, "--format", "json")
        out, err = capsys.readouterr()
        no_traceback(out, err)
        if status == 2 and "to compile" in err:
            break
    else:
        pytest.skip("this Python compiles every sum it parses")
    capsys.readouterr()
    msg = one_error(capsys, explain(path, "--format", "json"), path, line=3)
    assert "too long or too deeply nested for Python to compile" in msg, msg


def test_compile_running_out_of_stack_names_the_deepest_line(tmp_path, capsys, monkeypatch):
    def recursing(*args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("pathgrad.trace.loader.compile", recursing, raising=False)
    text = "x = 1.0\nh = x * 2\nL = sin(cos(tanh(h + 1)))\n"
    msg = fail(tmp_path, capsys, text, line=3)
    assert "split it over several assignments" in msg


def test_deep_chain_of_functions_succeeds(tmp_path, capsys):
    # README: deep chains give their closed form in the graph's intermediate names
    path = write(tmp_path, "x = 1.0\ny = x\nfor i in range(500):\n    y = sin(y)\nL = y\n")
    status = explain(path, "--ascii")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err


def test_deep_chain_of_products_succeeds(tmp_path, capsys):
    path = write(tmp_path, "x = 1.0\ny = x\nfor i in range(1500):\n    y = y * 1.0001\nL = y\n")
    status = explain(path, "--ascii", "--format", "json")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert json.loads(out)["gradients"]["x"]["value"] == pytest.approx(1.0001**1500)


# -- the loss ---------------------------------------------------------------------
def test_loss_option_missing_name(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 2\nw = 3\ny = w * x\nL = y + 1\n", "--loss", "Q")
    assert "--loss Q" in msg
    assert "no variable named Q" in msg
    assert "L" in msg and "y" in msg  # lists what could be chosen


def test_loss_option_names_a_leaf(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 2\nw = 3\ny = w * x\nL = y + 1\n", "--loss", "x", line=1)
    assert "leaf" in msg
    assert "--loss NAME" in msg


def test_loss_option_names_a_string(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = x * 2\nM = 'hi'\n", "--loss", "M", line=3)
    assert "depends on no leaf" in msg


@pytest.mark.parametrize(
    "text, line",
    [
        ("x = 1\nL = 3\n", 2),
        ("x = 1\ny = x * 2\nL = 3.5\n", 3),
        ("x = 1\ny = x * 2\nL = -2 * 4\n", 3),
        ("x = 1\ny = 2\n", 2),
    ],
    ids=["int", "float", "number-expression", "only-leaves"],
)
def test_loss_is_a_plain_number_line(tmp_path, capsys, text, line):
    msg = fail(tmp_path, capsys, text, line=line)
    assert "leaf" in msg  # "is a leaf" or "depends on no leaf"
    assert "--loss" in msg  # what to do


@pytest.mark.parametrize(
    "text, line",
    [
        ("x = 1\nL = 'hello'\n", 2),
        ("x = 1\ny = x * 2\nL = y > 0\n", 3),
        ("x = 1\ny = x * 2\nL = None\n", 3),
        ("x = 1\nL = [x * 2]\n", 2),
    ],
    ids=["string", "bool", "none", "list"],
)
def test_loss_is_not_a_number_line(tmp_path, capsys, text, line):
    msg = fail(tmp_path, capsys, text, line=line)
    assert "depends on no leaf" in msg
    assert "--loss" in msg


def test_loss_deleted_is_not_called_none(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = x * 2\ndel L\n")
    assert "None" not in msg, "L was deleted, it was never None"


def test_nothing_assigned(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "1 + 2\n")
    assert "nothing is assigned" in msg
    assert "L = " in msg


# -- --wrt ------------------------------------------------------------------------
SMALL = "x = 2\nw = 3\ny = w * x\nL = y + 1\n"


def test_wrt_missing_name(tmp_path, capsys):
    msg = fail(tmp_path, capsys, SMALL, "--wrt", "q")
    assert "--wrt q" in msg
    assert "no leaf or value named q" in msg
    assert "x" in msg and "w" in msg  # lists the leaves there are


def test_wrt_intermediate_is_explained_as_backprops_delta(tmp_path, capsys):
    path = write(tmp_path, SMALL, "f.py")
    assert explain(path, "--wrt", "y") == 0
    out = capsys.readouterr().out
    assert "∂L/∂y — 1 path from L to y" in out and "∂L/∂y = 1 = 1" in out


def test_wrt_the_loss_itself(tmp_path, capsys):
    msg = fail(tmp_path, capsys, SMALL, "--wrt", "L")
    assert "is the loss itself" in msg and "name a leaf or a value it depends on" in msg


def test_wrt_second_of_two_missing(tmp_path, capsys):
    msg = fail(tmp_path, capsys, SMALL, "--wrt", "x,zz")
    assert "zz" in msg


def test_wrt_leaf_without_grad(tmp_path, capsys):
    text = "x = 1\nz = leaf('z', 2, requires_grad=False)\nL = x * z\n"
    msg = fail(tmp_path, capsys, text, "--wrt", "z")
    assert "requires_grad=False" in msg


def test_wrt_leaf_the_loss_does_not_use(tmp_path, capsys):
    # Issue 10 changed this from an error to an answer: zero paths, so dL/dz = 0 (exit 0),
    # and the output says that L does not depend on z and that PyTorch leaves z.grad None.
    status = explain(write(tmp_path, "x = 1\nz = 2\nL = x * 2\n"), "--wrt", "z")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0 and err == ""
    assert "∂L/∂z — 0 paths from L to z" in out and "∂L/∂z = 0 = 0" in out
    assert re.search(r"(does not|doesn't) depend on z", out), out
    assert "z.grad as None" in out


# -- leaves -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, phrase",
    [
        ('"abc"', "must be a number"),
        ("[1]", "must be a number"),
        ("float('nan')", "finite"),
        ("float('inf')", "finite"),
    ],
)
def test_leaf_bad_value_line(tmp_path, capsys, value, phrase):
    msg = fail(tmp_path, capsys, f"x = 1\nw = leaf('w', {value})\nL = w * x\n", line=2)
    assert "'w'" in msg
    assert phrase in msg


def test_leaf_bad_value_inside_function_line(tmp_path, capsys):
    text = "def make():\n    return leaf('w', 'abc')\nw = make()\nL = w * 2\n"
    msg = fail(tmp_path, capsys, text, line=2)
    assert "must be a number" in msg


def test_leaf_bad_name_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "w = leaf('my w', 1)\nL = w * 2\n", line=1)
    assert "identifier" in msg


# -- values that leave the graph ---------------------------------------------------
@pytest.mark.parametrize(
    "call, shown",
    [
        ("float(y)", "float()"),
        ("int(y)", "int()"),
        ("round(y)", "round()"),
        ("y.item()", ".item()"),
    ],
)
def test_dropping_a_traced_value_line(tmp_path, capsys, call, shown):
    msg = fail(tmp_path, capsys, f"x = 2\ny = x * 3\nL = {call} * x\n", line=3)
    assert shown in msg
    assert "(y)" in msg
    assert "would drop it from the graph" in msg
    assert "keep it traced" in msg


def test_dropping_a_traced_value_inside_function_line(tmp_path, capsys):
    text = "def f(a):\n    return float(a)\nx = 2\ny = x * 3\nL = f(y) * x\n"
    msg = fail(tmp_path, capsys, text, line=2)
    assert "float()" in msg


def test_float_of_a_leaf_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 2\nL = float(x) * x\n", line=2)
    assert "would drop it from the graph" in msg


@pytest.mark.parametrize("function", ["floor", "ceil", "trunc"])
def test_math_rounding_of_a_traced_value_line(tmp_path, capsys, function):
    # the message must name what the file wrote (math.floor), not float()
    text = f"import math\nx = 2.5\nL = math.{function}(x) * x\n"
    msg = fail(tmp_path, capsys, text, line=3)
    assert function in msg
    assert "drop it from the graph" in msg


# -- comparisons ------------------------------------------------------------------
def test_compare_symbolic_leaf_line(tmp_path, capsys):
    text = "x = 1\nif y > 0:\n    L = x * y\nelse:\n    L = x\n"
    msg = fail(tmp_path, capsys, text, line=2)
    assert "cannot compare y" in msg
    assert "symbolic leaf" in msg
    assert "give the leaf a value" in msg  # what to do


def test_compare_symbolic_leaf_via_max_is_fine(tmp_path, capsys):
    # max of a symbolic leaf is not a comparison in the file: it stays symbolic
    path = write(tmp_path, "x = 2\nL = max(x, y)\n")
    status = explain(path, "--ascii")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err


def test_compare_undefined_value_line(tmp_path, capsys):
    text = "x = 0\ny = 1 / x\nif y > 0:\n    L = y * 2\nelse:\n    L = y\n"
    msg = fail(tmp_path, capsys, text, line=3)
    assert "division by zero" in msg
    # y is computed, not a leaf: "give the leaf a value" sends the user the wrong way
    assert "give the leaf a value" not in msg


# -- undefined values: the explanation is printed, then one problem line -----------
def undefined(tmp_path, capsys, text, line, closed_form, *options):
    path = write(tmp_path, text)
    status = explain(path, "--ascii", *options)
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 2, err
    assert closed_form in out, out
    # issue 10: the loss shows PyTorch's IEEE value (inf, -inf, nan), not "undefined"
    assert re.search(r"= (-?inf|nan) ", out), out
    lines = err.splitlines()
    assert len(lines) == 1, lines
    match = re.match(rf"pathgrad: {re.escape(str(path))}:{line}: (.+)$", lines[0])
    assert match, lines[0]
    return match.group(1)


def test_division_by_zero_at_values(tmp_path, capsys):
    msg = undefined(tmp_path, capsys, "x = 0\nL = 1 / x\n", 2, "-1/x**2")
    assert "division by zero" in msg
    assert "closed forms are still shown" in msg


def test_division_by_zero_at_values_with_check(tmp_path, capsys):
    msg = undefined(tmp_path, capsys, "x = 0\nL = 1 / x\n", 2, "-1/x**2", "--check")
    assert "division by zero" in msg


def test_division_by_zero_at_values_json(tmp_path, capsys):
    path = write(tmp_path, "x = 0\nL = 1 / x\n")
    status = explain(path, "--format", "json")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 2
    data = json.loads(out)  # stdout stays one clean JSON object
    assert data["value"] is None
    assert "division by zero" in data["undefined"]
    gradient = data["gradients"]["x"]
    assert gradient["closed_form"] == "-1/x**2"
    assert gradient["value"] is None
    assert gradient["undefined"]
    assert len(err.splitlines()) == 1
    assert err.startswith(f"pathgrad: {path}:2: ")


def test_division_by_zero_in_plain_numbers_line(tmp_path, capsys):
    msg = fail(tmp_path, capsys, "x = 1\nL = x * (1 / 0)\n", line=2)
    assert "division by zero" in msg


@pytest.mark.parametrize("value", ["0", "-1", "-2.5"])
def test_log_of_non_positive_at_values(tmp_path, capsys, value):
    msg = undefined(tmp_path, capsys, f"x = {value}\nL = log(x)\n", 2, "1/x")
    assert "log of a non-positive number" in msg
    assert "closed forms are still shown" in msg


def test_math_log_of_non_positive_at_values(tmp_path, capsys):
    msg = undefined(tmp_path, capsys, "import math\nx = 0\nL = math.log(x)\n", 3, "1/x")
    assert "log of a non-positive number" in msg


def test_sqrt_of_negative_at_values(tmp_path, capsys):
    msg = undefined(tmp_path, capsys, "x = -1\nL = sqrt(x)\n", 2, "1/(2*sqrt(x))")
    assert "negative" in msg


def test_undefined_reported_once_at_its_origin(tmp_path, capsys):
    # y is undefined at line 2; L inherits it at line 3: one problem, the origin's line
    msg = undefined(tmp_path, capsys, "x = 0\ny = 1 / x\nL = y * 2 + x\n", 2, "-2/x**2")
    assert "division by zero" in msg


# -- options ----------------------------------------------------------------------
@pytest.mark.parametrize("value, phrase", [("-1", "0 or more"), ("abc", "whole number")])
def test_max_paths_invalid(tmp_path, capsys, value, phrase):
    path = write(tmp_path, SMALL)
    with pytest.raises(SystemExit) as exit_info:
        explain(path, "--max-paths", value)
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert exit_info.value.code == 2
    last = err.strip().splitlines()[-1]
    assert "--max-paths" in last
    assert phrase in last


def test_wrt_empty_list(tmp_path, capsys):
    path = write(tmp_path, SMALL)
    with pytest.raises(SystemExit) as exit_info:
        explain(path, "--wrt", ",")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert exit_info.value.code == 2
    assert "--wrt w1,w2" in err  # an example of what to write


# -- success ----------------------------------------------------------------------
def test_seed_json_success(capsys):
    status = explain(SEED, "--format", "json")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert err == ""
    data = json.loads(out)
    assert data["schema"] == 2  # 2 since issue 10: inf/nan are null + "special"
    assert data["loss"] == "L"
    assert data["value"] == -7.0
    w1 = data["gradients"]["w1"]
    assert w1["closed_form"] == "-w2*x1 - w3*x2"
    assert w1["value"] == -8.0
    assert w1["path_count"] == 2


def test_seed_wrt_check_success(capsys):
    status = explain(SEED, "--wrt", "w1", "--check", "--ascii")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert err == ""
    assert "-w2*x1 - w3*x2 = -8" in out


def test_bundled_example_name_success(capsys):
    status = main(["explain", "seed", "--wrt", "w1", "--format", "json"])
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    assert json.loads(out)["gradients"]["w1"]["value"] == -8.0


def test_symbolic_leaf_success(tmp_path, capsys):
    path = write(tmp_path, "L = y * 2\n")
    status = explain(path, "--format", "json")
    out, err = capsys.readouterr()
    no_traceback(out, err)
    assert status == 0, err
    gradient = json.loads(out)["gradients"]["y"]
    assert gradient["closed_form"] == "2"
    assert gradient["value"] is None
