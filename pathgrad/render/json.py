"""The explanation as JSON: a stable contract for scripts.

Closed forms and products are strings that ``sympy.sympify`` reads back to
the same expression with ``locals=pathgrad.sympy_names(doc)``: pathgrad's
sigmoid and relu, and every leaf as a real symbol, also one named like a
sympy constant (``I``, ``E``, ``S``, ``N``, ``beta``, ...). A number is
written with the digits that give back the same double, Euler's number as
``exp(1)``, and a leaf named like a Python keyword (``lambda``) as
``Symbol('lambda', real=True)``. Values are numbers, or ``null`` when
unknown or undefined.

>>> import json
>>> from pathgrad.explanation import explain
>>> data = json.loads(render(explain("seed", wrt=["w1"])))
>>> data["value"], data["gradients"]["w1"]["closed_form"], data["gradients"]["w1"]["value"]
(-7.0, '-w2*x1 - w3*x2', -8.0)
>>> data["gradients"]["w1"]["paths"][0]["factors"]
['-1', '1', 'w2', 'x1']
>>> import sympy
>>> closed = sympy.sympify(data["gradients"]["w1"]["closed_form"], locals=sympy_names(data))
>>> closed == explain("seed", wrt=["w1"]).gradients["w1"].closed_form
True
"""

import functools
import io
import json
import keyword
import math
import tokenize

import sympy

from pathgrad.collector import collector_paused
from pathgrad.explanation.tensors import tensor_gradients
from pathgrad.functions import SYMPY_NAMES
from pathgrad.kernels import special_name
from pathgrad.render.text import SharedPrinter
from pathgrad.trace.parts import element_of

#: 2: a value that is inf, -inf or nan is ``null`` with ``"special"`` naming it (schema 1
#: had ``null`` for "undefined"); ``undefined`` says why a value is special.
SCHEMA_VERSION = 2


def _number(x):
    """A value JSON can hold: a special (inf, nan) becomes ``null``; see :func:`special_name`."""
    return None if special_name(x) else x


class _Printer(SharedPrinter):
    """sympy's ``str``, with every atom written so that ``sympify`` reads it back as it was.

    One printer writes a whole document, each distinct expression once.
    """

    def _print_Float(self, expr):
        value = float(expr)
        if expr._prec == 53 and math.isfinite(value) and sympy.Float(value) == expr:
            return repr(value)  # the shortest digits that give back the same double
        # beyond a double's range (sympy's 1e-400): sympy's digits, never "0.0" or "inf"
        return super()._print_Float(expr)

    def _print_Exp1(self, expr):
        return "exp(1)"  # never "E", which may be a leaf

    def _print_ImaginaryUnit(self, expr):
        return "sqrt(-1)"  # never "I", which may be a leaf

    def _print_Pi(self, expr):
        return "acos(-1)"  # never "pi", which may be a leaf or a node

    def _print_UnevaluatedExpr(self, expr):
        # 1/0 kept unevaluated (max(x/0.0, 1)): written so, it is not read back as zoo
        return f"UnevaluatedExpr({self._print(expr.args[0])})"

    def _print_Symbol(self, expr):
        name = expr.name  # an adjoint name (∂L/∂x_3) is not an identifier: written so too
        if keyword.iskeyword(name) or is_call_name(name) or not name.isidentifier():
            return f"Symbol({expr.name!r}{', real=True' if expr.is_real else ''})"
        return super()._print_Symbol(expr)


#: Functions of sympy's that pathgrad never writes as a call: a leaf may be named so.
_NEVER_CALLED = frozenset({"beta", "gamma", "zeta", "N", "S", "O", "Q"})


@functools.cache
def is_call_name(name):
    """Whether a closed form may call ``name`` (``Heaviside``, ``Abs``, ``sign``, ``exp``,
    ``Symbol``, pathgrad's ``relu``): a leaf so named is written ``Symbol('Heaviside',
    real=True)``, so that ``Heaviside(Heaviside*sign, 0)`` cannot be misread.

    >>> is_call_name("Heaviside"), is_call_name("relu"), is_call_name("beta"), is_call_name("w")
    (True, True, False, False)
    """
    if name in SYMPY_NAMES or name == "sqrt":  # sqrt: how sympy writes x**(1/2)
        return True
    thing = getattr(sympy, name, None)
    return (
        name not in _NEVER_CALLED
        and isinstance(thing, type)
        and issubclass(thing, (sympy.Basic, sympy.Function))
    )


def expr_json(expr):
    """An expression as the JSON contract writes it (sympy's ``str``, read back exactly).

    >>> import sympy
    >>> e, lam = sympy.Symbol("E", real=True), sympy.Symbol("lambda", real=True)
    >>> expr_json(sympy.Float(1 / 3) * e + lam * sympy.E)
    "0.3333333333333333*E + exp(1)*Symbol('lambda', real=True)"
    """
    return _Printer().doprint(expr)


def _names_in(text):
    """The names a closed form uses as symbols (not called, not a keyword argument)."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(text).readline)
        if t.type in (tokenize.NAME, tokenize.OP)
    ]
    for before, token, after in zip([None, *tokens], tokens, [*tokens[1:], None]):
        if token.type != tokenize.NAME or keyword.iskeyword(token.string):
            continue
        if after is not None and after.string in ("(", "="):
            continue
        if before is not None and before.string == ".":
            continue
        yield token.string


def _expressions(doc):
    for g in doc.get("gradients", {}).values():
        yield g["closed_form"]
        for p in g.get("paths", []):
            yield p["product"]
            yield from p["factors"]
        for step in g.get("ledger", []):
            yield step["total"]
            yield from (term["local_derivative"] for term in step["terms"])
        if g.get("check") and g["check"].get("sympy_diff"):
            yield g["check"]["sympy_diff"]


def _double(digits, *args):
    """A number with a decimal point or exponent, read as the double it was written from.

    (``sympify`` would give ``2.718281828459045`` the 56 bits its 16 digits ask for.)
    """
    return sympy.Float(float(digits)) if not args else sympy.Float(digits, *args)


def sympy_names(doc):
    """The ``locals`` with which ``sympy.sympify`` reads every closed form, factor and
    product of a JSON document back to the same expression.

    pathgrad's ``sigmoid`` and ``relu``, and every name the document uses as a symbol
    as a real symbol (pathgrad's symbols are real): a leaf named ``I``, ``E``, ``S``,
    ``N``, ``O``, ``Q``, ``beta``, ``gamma`` or ``zeta`` is that leaf, not sympy's
    imaginary unit, Euler's number or function. A number is read as the double it
    was written from (``Float``).

    Parameters
    ----------
    doc : dict
        A document of ``pathgrad explain --format json``, as ``json.loads`` returns it.

    Returns
    -------
    dict
        Names to pass as ``locals`` to ``sympy.sympify``.

    Examples
    --------
    >>> import sympy
    >>> doc = {"leaves": {"I": 2.0, "beta": 1.0},
    ...        "gradients": {"beta": {"closed_form": "2*I", "paths": []}}}
    >>> sympy.sympify("2*I", locals=sympy_names(doc)).free_symbols
    {I}
    """
    names = dict(SYMPY_NAMES, Float=_double)
    # Leaves and nodes are symbols, whatever sympy calls them (a leaf I, a node pi); other
    # names a form uses are intermediates too, unless they are sympy's constants (pi).
    declared = {*doc.get("leaves", {}), *_node_names(doc)}
    used = {n for text in _expressions(doc) for n in _names_in(text)}
    for name in declared | {n for n in used if not _sympy_constant(n)}:
        if (
            name.isidentifier()
            and not keyword.iskeyword(name)
            and name not in names
            and not is_call_name(name)
        ):
            names[name] = sympy.Symbol(name, real=True)
    for name in declared:  # a tensor's elements: x[1] and W[0,1] read as those symbols
        element = element_of(name)
        if element:
            names[element[0]] = _Elements(element[0])
    return names


class _Elements:
    """``W[0, 1]`` in a form read by sympify: the symbol named ``W[0,1]``."""

    def __init__(self, tensor):
        self.tensor = tensor

    def __getitem__(self, index):
        index = index if isinstance(index, tuple) else (index,)
        return sympy.Symbol(f"{self.tensor}[{','.join(str(int(i)) for i in index)}]", real=True)


def _node_names(doc):
    for g in doc.get("gradients", {}).values():
        for p in g.get("paths", []):
            yield from p["nodes"]
        for step in g.get("ledger", []):
            yield step["node"]
            yield from (term["node"] for term in step["terms"])


def _sympy_constant(name):
    """``pi``, ``oo``, ``zoo``, ``nan``: sympy's names for numbers, as printed."""
    thing = getattr(sympy, name, None)
    return isinstance(thing, sympy.Expr) and thing.is_number


def _path(p, write):
    return {
        "nodes": p.nodes,
        "factors": [write(f) for f in p.factors],
        "factor_values": [_number(v) for v in p.factor_values],
        "factor_specials": [special_name(v) for v in p.factor_values],
        "product": write(p.product),
        "value": _number(p.value),
        "special": special_name(p.value),
        "undefined": p.undefined,
        "lines": p.lines,
        "via": p.via,
    }


def _step(step, write):
    return {
        "node": step.node,
        "terms": [{"node": other, "local_derivative": write(f)} for other, f in step.terms],
        "total": write(step.total),
        "value": _number(step.value),
        "special": special_name(step.value),
    }


def _check(c, write):
    if c is None:
        return None
    return {
        "sympy_diff": None if c.sympy_diff is None else write(c.sympy_diff),
        "symbolic": c.symbolic,
        "finite_difference": c.finite_difference,
        "numeric": c.numeric,
    }


def _gradient(g, write):
    return {
        "closed_form": write(g.closed_form),
        "value": _number(g.value),
        "special": special_name(g.value),
        "undefined": g.undefined,
        "path_count": g.path_count,
        "paths": [_path(p, write) for p in g.paths],
        "paths_listed": g.paths_listed,
        "method": g.method,
        "costs": g.costs,
        "ledger": [_step(step, write) for step in g.ledger],
        "simplified": g.simplified,
        "in_terms_of": g.in_terms_of,
        "kinks": g.kinks,
        "check": _check(g.check, write),
    }


def _adjoints(e, write):
    """``{"adjoints": {name: definition}}`` when a form uses adjoint names, else nothing."""
    return {"adjoints": {n: write(d) for n, d in e.adjoints.items()}} if e.adjoints else {}


def as_dict(e):
    """The explanation as plain data (the JSON contract)."""
    write = _Printer().doprint  # one printer: each distinct expression is printed once
    return {
        "schema": SCHEMA_VERSION,
        "file": e.file,
        "loss": e.loss,
        "expression": str(e.loss_expr),
        "value": _number(e.loss_value),
        "special": special_name(e.loss_value),
        "undefined": e.loss_undefined,
        "leaves": e.leaves,
        "gradients": {name: _gradient(g, write) for name, g in e.gradients.items()},
        "tensors": {
            name: {"shape": list(t.shape), "grad": t.grad, "matrix_form": t.matrix_form}
            for name, t in tensor_gradients(e).items()
        },
        "notes": [{"line": n.line, "text": n.text} for n in e.notes],
        **_adjoints(e, write),
        "torch": None
        if e.torch is None
        else [
            {
                "name": r.name,
                "pathgrad": _number(r.pathgrad),
                "torch": _number(r.torch),
                "pathgrad_special": special_name(r.pathgrad),
                "torch_special": special_name(r.torch),
                "agree": r.agree,
            }
            for r in e.torch
        ],
    }


@collector_paused()
def render(explanation):
    """The explanation as indented JSON text (standard JSON: no Infinity or NaN)."""
    return json.dumps(as_dict(explanation), indent=2, allow_nan=False)
