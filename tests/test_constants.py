"""Constants are not leaves that train (issue 15): --const, const(), and the notes that
suggest them. PyTorch's equivalent is a tensor without requires_grad."""

import pytest

from pathgrad.cli import main
from pathgrad.errors import NameNotFound
from pathgrad.explanation import explain, explain_program
from pathgrad.trace.loader import load_source

POWER = "x = -2.0\np = 2\nL = x ** p + 3 * x\n"


def test_a_const_name_gets_no_gradient_and_keeps_its_symbol():
    e = explain_program(load_source(POWER, "f.py", constants=["p"]))
    assert set(e.gradients) == {"x"}
    g = e.gradients["x"]
    assert (str(g.closed_form), g.value) == ("p*x**(p - 1) + 3", -1.0)


def test_const_in_the_file_is_the_same_as_the_option():
    text = POWER.replace("p = 2", "p = const(2)")
    for safe in (False, True):
        e = explain_program(load_source(text, "f.py", safe=safe))
        assert set(e.gradients) == {"x"} and str(e.gradients["x"].closed_form) == "p*x**(p - 1) + 3"


def test_substituted_constants_give_the_closed_form_a_student_writes():
    e = explain_program(load_source(POWER, "f.py", constants=["p"]), substitute_constants=True)
    assert str(e.gradients["x"].closed_form) == "2*x + 3"


def test_gradients_with_a_constant_are_pytorchs():
    torch = pytest.importorskip("torch")
    x = torch.tensor(-2.0, dtype=torch.float64, requires_grad=True)
    p = torch.tensor(2.0, dtype=torch.float64)  # no requires_grad: a constant
    (x**p + 3 * x).backward()
    e = explain_program(load_source(POWER, "f.py", constants=["p"]))
    assert e.gradients["x"].value == float(x.grad) and p.grad is None


def test_a_symbolic_leaf_can_be_a_constant():
    e = explain_program(load_source("L = a * x * x\n", "f.py", constants=["a"]))
    assert set(e.gradients) == {"x"} and str(e.gradients["x"].closed_form) == "2*a*x"


def test_an_unknown_const_name_is_refused_with_what_to_do():
    with pytest.raises(NameNotFound, match="--const q: q is not a number the file assigns"):
        load_source(POWER, "f.py", constants=["q"])


def test_cli_const_and_substitute(tmp_path, capsys):
    path = tmp_path / "f.py"
    path.write_text(POWER, encoding="utf-8")
    assert main(["explain", str(path), "--const", "p", "--substitute-constants"]) == 0
    out = capsys.readouterr().out
    assert "∂L/∂x = 2·x + 3 = -1" in out and "∂L/∂p" not in out
    assert main(["explain", str(path), "--const", "p", "--safe", "--format", "json"]) == 0
    assert '"p"' in capsys.readouterr().out


def test_a_name_used_only_as_an_exponent_is_noted_unless_constant():
    said = [n.text for n in explain_program(load_source(POWER, "f.py")).notes]
    assert (
        "p is used only as an exponent, so it gets a gradient too; if it is a constant, "
        "write p = const(2) or pass --const p"
    ) in said
    quiet = [n.text for n in explain_program(load_source(POWER, "f.py", constants=["p"])).notes]
    assert not any("exponent" in text for text in quiet)


def test_a_number_assigned_in_a_branch_is_noted():
    text = "x = 2.0\nif x > 1:\n    r = 3.0\nelse:\n    r = 1.0\nL = r * x * x\n"
    notes = explain_program(load_source(text, "f.py")).notes
    assert any(
        n.line == 3
        and n.text.startswith("r is a number assigned inside an if/else branch")
        and "r = const(3) or pass --const r" in n.text
        for n in notes
    )
    constant = explain_program(load_source(text, "f.py", constants=["r"])).notes
    assert not any("if/else branch" in n.text for n in constant)


def test_the_seed_is_unchanged():
    assert str(explain("seed").gradients["w1"].closed_form) == "-w2*x1 - w3*x2"


def test_check_accepts_an_answer_equal_once_constants_take_their_values(tmp_path, capsys):
    path = tmp_path / "f.py"
    path.write_text(POWER, encoding="utf-8")
    args = ["check", str(path), "--wrt", "x", "--answer", "2*x + 3"]
    assert main(args) == 3  # p is a leaf that trains: 2*x is not p*x**(p - 1)
    assert "partial" in capsys.readouterr().out
    assert main([*args, "--const", "p"]) == 0
    out = capsys.readouterr().out
    assert "right (1)" in out and "(equal once the constants take their values: p = 2)" in out
    assert main([*args[:-1], "p*x**(p - 1) + 3", "--const", "p"]) == 0
    assert "equal once" not in capsys.readouterr().out  # right as written: nothing to say


def test_a_class_folder_with_constants(tmp_path, capsys):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ada.py").write_text(POWER, encoding="utf-8")
    (folder / "bob.py").write_text(POWER.replace("p = 2", "p = const(2)"), encoding="utf-8")
    assert main(["check", str(folder), "--wrt", "x", "--answer", "2*x+3", "--const", "p"]) == 0
    assert capsys.readouterr().out.count("right (1)") == 2
