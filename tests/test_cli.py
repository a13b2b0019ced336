"""The command line: golden output, formats, styles, standard input, start-up cost."""

import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sympy

from pathgrad import SYMPY_NAMES
from pathgrad.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def readme_block(marker):
    """The code block that follows an HTML comment marker in README.md."""
    match = re.search(rf"<!-- {marker} -->\n```[a-z]*\n(.*?)```", README, re.S)
    assert match, marker
    return match.group(1)


def test_seed_output_is_the_one_in_the_readme(capsys):
    code, out, err = run(
        capsys, "explain", str(ROOT / "examples" / "seed.py"), "--wrt", "w1", "--check", "--unicode"
    )
    assert (code, err) == (0, "")
    assert out == readme_block("seed-output")


def test_seed_ascii_has_the_blackboard_content(capsys):
    code, out, _ = run(capsys, "explain", "seed", "--wrt", "w1", "--ascii")
    assert code == 0
    for line in [
        "L = 1 - x5 = -7",
        "dL/dw1 - 2 paths from L to w1",
        "path 1  L -> x5 -> w2*x3 -> x3 -> w1",
        "dL/dx5 * dx5/d(w2*x3) * d(w2*x3)/dx3 * dx3/dw1",
        "= (-1) * 1 * w2 * x1  = -w2*x1 = -2",
        "path 2  L -> x5 -> w3*x4 -> x4 -> w1",
        "= (-1) * 1 * w3 * x2  = -w3*x2 = -6",
        "sum     dL/dw1 = -w2*x1 - w3*x2 = -8",
    ]:
        assert line in out
    assert "∂" not in out and "·" not in out


def test_style_follows_the_terminal_encoding(monkeypatch, capsys):
    from pathgrad import cli_commands

    class Latin1(io.StringIO):
        encoding = "latin-1"

    assert cli_commands.style_for(None, Latin1()) == "ascii"

    class Utf8(io.StringIO):
        encoding = "utf-8"

    assert cli_commands.style_for(None, Utf8()) == "unicode"
    assert cli_commands.style_for("ascii", Utf8()) == "ascii"


def test_json_is_the_documented_contract(capsys):
    code, out, _ = run(capsys, "explain", "seed", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["loss"] == "L" and data["value"] == -7.0
    assert data["leaves"] == {"x1": 1.0, "x2": 2.0, "w1": 1.0, "w2": 2.0, "w3": 3.0}
    assert list(data["gradients"]) == ["x1", "x2", "w1", "w2", "w3"]
    w1 = data["gradients"]["w1"]
    assert (w1["closed_form"], w1["value"], w1["path_count"], w1["paths_listed"]) == (
        "-w2*x1 - w3*x2",
        -8.0,
        2,
        2,
    )
    first = w1["paths"][0]
    assert first["nodes"] == ["L", "x5", "w2*x3", "x3", "w1"]
    assert first["factors"] == ["-1", "1", "w2", "x1"]
    assert (first["product"], first["value"]) == ("-w2*x1", -2.0)
    assert first["lines"] == [10, 9, 9, 7]


def test_json_closed_forms_parse_back_with_sympy(capsys):
    code, out, _ = run(capsys, "explain", "neuron", "--format", "json")
    data = json.loads(out)
    for _name, g in data["gradients"].items():
        parsed = sympy.sympify(g["closed_form"], locals=SYMPY_NAMES)
        values = {sympy.Symbol(k): v for k, v in data["leaves"].items()}
        assert float(parsed.subs(values).evalf()) == pytest.approx(g["value"], rel=1e-9)
        for path in g["paths"]:
            sympy.sympify(path["product"], locals=SYMPY_NAMES)


def test_json_null_for_unknown_values(capsys):
    code, out, _ = run(capsys, "explain", "symbolic", "--format", "json")
    data = json.loads(out)
    assert data["value"] is None and data["leaves"]["x"] is None
    assert data["gradients"]["y"]["value"] is None


def test_max_paths_lists_fewer_and_says_so(capsys):
    code, out, _ = run(capsys, "explain", "diamonds", "--max-paths", "2", "--ascii")
    assert code == 0
    assert "1,073,741,824 paths from x_30 to x" in out
    assert "... and 1,073,741,822 more paths not listed" in out
    assert "summed regrouped in reverse mode" in out
    assert out.count("  path ") == 2


def test_wrt_accepts_commas_and_repeats(capsys):
    code, out, _ = run(
        capsys, "explain", "seed", "--wrt", "w1,w2", "--wrt", "x1", "--format", "json"
    )
    assert list(json.loads(out)["gradients"]) == ["w1", "w2", "x1"]


def test_standard_input(monkeypatch, capsys):
    source = (ROOT / "examples" / "seed.py").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(source)))
    code, out, _ = run(capsys, "explain", "-", "--wrt", "w1", "--format", "json")
    assert code == 0 and json.loads(out)["gradients"]["w1"]["value"] == -8.0


def test_examples_command_lists_bundled_files(capsys):
    code, out, _ = run(capsys, "examples")
    names = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and {"seed", "neuron", "micrograd", "diamonds"} <= set(names)


def test_the_files_print_goes_to_stderr(tmp_path, capsys):
    path = tmp_path / "p.py"
    path.write_text("x = 2\nprint('hello')\ny = x * x\n")
    code, out, err = run(capsys, "explain", str(path), "--format", "json")
    assert code == 0 and "hello" in err and json.loads(out)["value"] == 4.0


def test_help_and_version_do_not_import_sympy():
    script = (
        "import sys\nfrom pathgrad.cli import main\n"
        "try:\n    main(['--version'])\nexcept SystemExit:\n    pass\n"
        "print('sympy' in sys.modules, 'networkx' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT
    )
    assert result.stdout.strip().splitlines()[-1] == "False False"


def test_module_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "pathgrad", "explain", "seed", "--wrt", "w1", "--ascii"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0
    assert "sum     dL/dw1 = -w2*x1 - w3*x2 = -8" in result.stdout


def test_check_before_the_file_is_not_taken_for_a_kind_of_check(capsys):
    code, out, _ = run(capsys, "explain", "--check", "seed", "--wrt", "w1", "--ascii")
    assert code == 0 and "sympy.diff of the loss: equal" in out


def test_check_all_without_pytorch_still_checks_with_sympy(capsys, monkeypatch):
    from pathgrad import torch_bridge

    monkeypatch.setattr(torch_bridge, "torch_available", lambda: False)
    code, out, _ = run(capsys, "explain", "seed", "--wrt", "w1", "--check", "all", "--ascii")
    assert code == 0 and "sympy.diff of the loss: equal" in out
    assert "PyTorch is not installed" in out
