"""The explanation as JSON: a stable contract for scripts.

Closed forms and products are strings that ``sympy.sympify`` reads back
(pass ``locals=pathgrad.SYMPY_NAMES`` for sigmoid and relu); values are
numbers, or ``null`` when unknown or undefined.

>>> import json
>>> from pathgrad.explanation import explain
>>> data = json.loads(render(explain("seed", wrt=["w1"])))
>>> data["value"], data["gradients"]["w1"]["closed_form"], data["gradients"]["w1"]["value"]
(-7.0, '-w2*x1 - w3*x2', -8.0)
>>> data["gradients"]["w1"]["paths"][0]["factors"]
['-1', '1', 'w2', 'x1']
"""

import json

from ..ops import special_name

#: 2: a value that is inf, -inf or nan is ``null`` with ``"special"`` naming it (schema 1
#: had ``null`` for "undefined"); ``undefined`` says why a value is special.
SCHEMA_VERSION = 2


def _number(x):
    """A value JSON can hold: a special (inf, nan) becomes ``null``; see :func:`special_name`."""
    return None if special_name(x) else x


def _path(p):
    return {
        "nodes": p.nodes,
        "factors": [str(f) for f in p.factors],
        "factor_values": [_number(v) for v in p.factor_values],
        "factor_specials": [special_name(v) for v in p.factor_values],
        "product": str(p.product),
        "value": _number(p.value),
        "special": special_name(p.value),
        "undefined": p.undefined,
        "lines": p.lines,
        "via": p.via,
    }


def _step(step):
    return {
        "node": step.node,
        "terms": [{"node": other, "local_derivative": str(f)} for other, f in step.terms],
        "total": str(step.total),
        "value": _number(step.value),
        "special": special_name(step.value),
    }


def _check(c):
    if c is None:
        return None
    return {
        "sympy_diff": None if c.sympy_diff is None else str(c.sympy_diff),
        "symbolic": c.symbolic,
        "finite_difference": c.finite_difference,
        "numeric": c.numeric,
    }


def _gradient(g):
    return {
        "closed_form": str(g.closed_form),
        "value": _number(g.value),
        "special": special_name(g.value),
        "undefined": g.undefined,
        "path_count": g.path_count,
        "paths": [_path(p) for p in g.paths],
        "paths_listed": g.paths_listed,
        "method": g.method,
        "costs": g.costs,
        "ledger": [_step(step) for step in g.ledger],
        "simplified": g.simplified,
        "in_terms_of": g.in_terms_of,
        "kinks": g.kinks,
        "check": _check(g.check),
    }


def as_dict(e):
    """The explanation as plain data (the JSON contract)."""
    return {
        "schema": SCHEMA_VERSION,
        "file": e.file,
        "loss": e.loss,
        "expression": str(e.loss_expr),
        "value": _number(e.loss_value),
        "special": special_name(e.loss_value),
        "undefined": e.loss_undefined,
        "leaves": e.leaves,
        "gradients": {name: _gradient(g) for name, g in e.gradients.items()},
        "notes": [{"line": n.line, "text": n.text} for n in e.notes],
        "torch": None if e.torch is None else [
            {"name": r.name, "pathgrad": _number(r.pathgrad), "torch": _number(r.torch),
             "pathgrad_special": special_name(r.pathgrad), "torch_special": special_name(r.torch),
             "agree": r.agree}
            for r in e.torch],
    }


def render(explanation):
    """The explanation as indented JSON text (standard JSON: no Infinity or NaN)."""
    return json.dumps(as_dict(explanation), indent=2, allow_nan=False)
