"""Caches and one-pass sweeps give the same output as doing the work again every time.

Each cache here is keyed by a sympy expression or a graph; the tests are the cases where
such a key could confuse two things that print or simplify differently.
"""

import json

import pytest
import sympy
from sympy.printing.str import StrPrinter

from pathgrad.explanation import explain
from pathgrad.render import json as json_renderer
from pathgrad.render import text as text_renderer
from pathgrad.render.text import SharedPrinter

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
