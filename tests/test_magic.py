"""The %%pathgrad cell magic, driven through a real IPython shell."""

import pytest

IPython = pytest.importorskip("IPython", reason="the cell magic needs IPython (test extra)")

SEED = """x1 = 1
x2 = 2
w1 = 1
w2 = 2
w3 = 3
x3 = w1 * x1
x4 = w1 * x2
x5 = w2 * x3 + w3 * x4
L = 1 - x5
"""


@pytest.fixture(scope="module")
def shell():
    from IPython.testing.globalipapp import start_ipython

    ip = start_ipython()
    ip.run_line_magic("load_ext", "pathgrad")
    return ip


def test_magic_explains_the_cell(shell):
    result = shell.run_cell("%%pathgrad --wrt w1\n" + SEED).result
    gradient = result.gradients["w1"]
    assert str(gradient.closed_form) == "-w2*x1 - w3*x2"
    assert gradient.value == -8.0
    assert gradient.path_count == 2
    assert list(result.gradients) == ["w1"]
    html = result._repr_html_()
    assert "<svg" in html and "∂L/∂w1" in html  # the picture and the ledger


def test_magic_takes_explain_options(shell):
    result = shell.run_cell("%%pathgrad --method reverse --loss x5\n" + SEED).result
    assert result.loss == "x5"
    assert result.gradients["w2"].value == 1.0  # ∂x5/∂w2 = x3 = w1*x1 = 1
    assert result.gradients["w2"].method == "reverse"


@pytest.mark.parametrize("view, kind", [("steps", "Steps"), ("graph", "Drawing")])
def test_magic_pictures(shell, view, kind):
    result = shell.run_cell(f"%%pathgrad {view} --wrt w1 --values\n" + SEED).result
    assert type(result).__name__ == kind
    assert "<svg" in (result._repr_html_() if view == "steps" else result._repr_svg_())


def test_magic_reports_a_bad_cell_in_one_line(shell, capsys):
    result = shell.run_cell("%%pathgrad\nx = 2\nL = x *\n").result
    assert result is None
    err = capsys.readouterr().err
    assert "pathgrad: <cell>:2: syntax error" in err
    assert "Traceback" not in err


def test_magic_safe_refuses_imports(shell, capsys):
    result = shell.run_cell("%%pathgrad --safe\nimport os\nL = 1\n").result
    assert result is None
    assert "not allowed in --safe mode" in capsys.readouterr().err


@pytest.mark.parametrize("direction", ["TB", "lr"])
def test_magic_pictures_take_a_direction(shell, direction):
    result = shell.run_cell(f"%%pathgrad graph --wrt w1 --direction {direction}\n" + SEED).result
    assert result.direction == direction.upper()
    assert f'data-direction="{direction.upper()}"' in result._repr_svg_()


def test_magic_player_in_presenter_mode(shell):
    result = shell.run_cell("%%pathgrad steps --present --direction TB\n" + SEED).result
    html = result._repr_html_()
    assert result.present and 'data-present="true"' in html and 'data-direction="TB"' in html
