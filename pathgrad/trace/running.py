"""Running a file's code with traced values, in either mode.

What the file sees (:data:`EXPORTS`, a traced ``math``, Python's builtins in normal
mode) and the binder called after every assignment to a plain name (under
:data:`BIND`): a name assigned a plain number at the top level becomes a leaf, and a
traced result takes its variable's name, and where in the running loops it was made
(each loop runs over the wrapper under :data:`LOOP`). The loader rewrites normal-mode code to call
the binder; the safe-mode interpreter calls it itself. Either way the file runs through
:func:`run`, and a failure becomes a :class:`~pathgrad.errors.LoadError` at the file's
line, worded by :func:`describe_error`.
"""

import ast
import builtins
import contextlib
import math
import sys
import types
from dataclasses import replace

from pathgrad.errors import LoadError, PathgradError, TraceError
from pathgrad.trace import array_functions as tensors
from pathgrad.trace.autograd import no_grad
from pathgrad.trace.concrete import is_number, recorder
from pathgrad.trace.elements import Elements, name_scope
from pathgrad.trace.traced import Tensor, leaf

#: Where a file's namespace holds the binder, called after each assignment to a plain name.
BIND = "__pathgrad_bind__"
#: Where it holds the loop wrapper: each ``for`` and comprehension runs over
#: ``loop(iterable, names)``, so that a value named inside a loop knows its iteration.
LOOP = "__pathgrad_loop__"

#: What a file can call without importing anything.
EXPORTS = {
    "exp": tensors.exp,
    "log": tensors.log,
    "sqrt": tensors.sqrt,
    "sin": tensors.sin,
    "cos": tensors.cos,
    "tanh": tensors.tanh,
    "sigmoid": tensors.sigmoid,
    "relu": tensors.relu,
    "max": tensors.max,
    "min": tensors.min,
    "abs": builtins.abs,
    "leaf": leaf,
    "no_grad": no_grad,
    "const": tensors.const,
    # tensors (issue 14): PyTorch's functions on small tensors
    "sum": tensors.sum,
    "mean": tensors.mean,
    "softmax": tensors.softmax,
    "log_softmax": tensors.log_softmax,
    "cross_entropy": tensors.cross_entropy,
    "mse": tensors.mse,
    "stack": tensors.stack,
    "cat": tensors.cat,
}


def is_number_expression(node):
    """True for a right-hand side made of numbers and operators only (``-4.0``, ``1e-3``),
    or a list display of them, nested (``[[1.0, 2.0], [3.0, -1.0]]``: a tensor leaf).

    A list made by an operator (``[0.0] * 3``), an empty one, or one of whole numbers only
    (``sizes = [3, 4, 1]``, class targets: PyTorch's integer tensors have no gradient) stays
    a Python list.
    """
    if isinstance(node, ast.List):
        floats = any(
            isinstance(n, ast.Constant) and isinstance(n.value, float) for n in ast.walk(node)
        )
        return floats and _number_list(node)
    for n in ast.walk(node):
        if isinstance(n, ast.Constant):
            if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
                return False
        elif not isinstance(
            n, (ast.UnaryOp, ast.BinOp, ast.Tuple, ast.Load, ast.operator, ast.unaryop)
        ):
            return False
    return True


def _number_list(node):
    """A non-empty list display (nested) of literals: numbers (a string or ``None`` among
    them is the tensor's error to report, not a reason to stay a list)."""
    if not isinstance(node, ast.List):
        literal = isinstance(node, ast.Constant) and not isinstance(node.value, (int, float))
        return literal or (not isinstance(node, ast.Tuple) and is_number_expression(node))
    return bool(node.elts) and all(_number_list(e) for e in node.elts)


def loop_targets(target):
    """A loop's target as names: ``j`` is "j", ``w, x`` is ("w", "x"), else None.

    >>> loop_targets(ast.parse("for w, (x, j) in z: pass").body[0].target)
    ('w', ('x', 'j'))
    """
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, (ast.Tuple, ast.List)):
        inner = tuple(loop_targets(t) for t in target.elts)
        return None if None in inner else inner
    return None


def _pairs(names, item):
    if isinstance(names, str):
        yield names, item
    elif names is not None and isinstance(item, (tuple, list)) and len(item) == len(names):
        for n, i in zip(names, item):
            yield from _pairs(n, i)


def iteration(stack):
    """Where the loops in ``stack`` are, outermost first: a whole-number loop variable by
    its value (``k=2``), another loop by its targets and its time round (``(w, x) #4``).

    >>> iteration([["k", 2, 2], [("w", "x"), (0.5, 1.0), 4], [None, 7, 1]])
    ('k=2', '(w, x) #4', '#1')
    """
    parts = []
    for names, item, count in stack:
        pairs = list(_pairs(names, item))
        whole = [f"{n}={v}" for n, v in pairs if type(v) is int]
        if whole:
            parts += whole
        elif not pairs:
            parts.append(f"#{count}")
        else:
            label = ", ".join(n for n, _ in pairs)
            parts.append(f"({label}) #{count}" if len(pairs) > 1 else f"{label} #{count}")
    return tuple(parts)


def _looper(stack):
    """The loop wrapper of one run: each item it yields is, until the next, the loop's."""

    def loop(iterable, names):
        entry = [names, None, 0]
        stack.append(entry)
        try:
            for item in iterable:
                entry[1], entry[2] = item, entry[2] + 1
                yield item
        finally:  # run when the loop ends, or is left (break, return: the wrapper is closed)
            for i in range(len(stack) - 1, -1, -1):
                if stack[i] is entry:
                    del stack[i]
                    break

    return loop


def _traced_math():
    """``import math`` inside a file: traced functions where pathgrad has them."""
    module = types.ModuleType("math", "math, with exp/log/sqrt/sin/cos/tanh/fabs traced")
    for name in dir(math):
        if not name.startswith("_"):
            value = getattr(math, name)
            setattr(
                module, name, _refuse_traced(f"math.{name}", value) if callable(value) else value
            )
    for name in ("exp", "log", "sqrt", "sin", "cos", "tanh"):
        setattr(module, name, EXPORTS[name])
    module.fabs = builtins.abs
    return module


def _refuse_traced(qualified, function):
    """A math function pathgrad does not trace: fine on numbers, an error on traced values."""

    def guarded(*args, **kwargs):
        if any(isinstance(a, Tensor) for a in (*args, *kwargs.values())):
            raise TraceError(
                f"{qualified}() of a traced value would drop it from the graph; "
                "pathgrad traces exp, log, sqrt, sin, cos, tanh and fabs"
            )
        return function(*args, **kwargs)

    guarded.__name__ = function.__name__
    return guarded


def _import(name, globals=None, locals=None, fromlist=(), level=0):
    if name == "math" and level == 0:
        return _traced_math()
    return builtins.__import__(name, globals, locals, fromlist, level)


def _rename_0d(value, name):
    """A 0-d tensor result takes the file's name, and so do the values made inside it."""
    old = value.part.tensor
    value.part = replace(value.part, tensor=name)
    stack = list(value.operands)
    while stack:
        x = stack.pop()
        if isinstance(x, Tensor) and x.part is not None and x.part.inside and x.part.tensor == old:
            x.part = replace(x.part, tensor=name)
            stack.extend(x.operands)


def _namespace(program, symbolic):
    loops = []  # the loops running now, outermost first

    def bind(name, value, line, leaf_ok, module_level):
        if isinstance(value, Elements):
            if not value.named:
                value.rename(name)
        elif isinstance(value, list) and leaf_ok and module_level:
            value = tensors.Array.leaf(name, value, name not in program.constants, line)
            program.number_leaves.append((name, line))
        elif isinstance(value, Tensor):
            if value.name is None and loops:
                value.made_in = iteration(loops)
            if value.name is None and value.part is not None and not value.part.index:
                _rename_0d(value, name)  # a 0-d result: L = x.sum()
            # a value named inside a function takes the caller's name when the file's top
            # level assigns it (out = neuron(...) is out, not the function's total)
            if value.name is None or (module_level and value.id in program.function_named):
                value.name = name
                (program.function_named.discard if module_level else program.function_named.add)(
                    value.id
                )
        elif leaf_ok and is_number(value) and not isinstance(value, bool):
            value = leaf(name, value, requires_grad=name not in program.constants)
            value.line = line
            program.number_leaves.append((name, line))
        if module_level:
            program.assigned.append((name, line))
        return value

    namespace = {"__name__": "__pathgrad__", "__builtins__": dict(vars(builtins)), BIND: bind}
    namespace[LOOP] = _looper(loops)
    namespace["__builtins__"]["__import__"] = _import
    namespace.update(EXPORTS)
    for name, line in symbolic.items():
        namespace[name] = leaf(name, requires_grad=name not in program.constants)
        namespace[name].line = line
    return namespace


def run(runner, program, symbolic):
    """Run the file (``runner(namespace)``), turning any failure into a located LoadError."""
    namespace = _namespace(program, symbolic)
    token = recorder.set(program.notes)
    try:
        with contextlib.redirect_stdout(sys.stderr), name_scope():
            runner(namespace)
    except PathgradError as err:
        raise err.located(program.file, _user_line(err, program.file)) from None
    except SystemExit as err:
        raise LoadError(
            "the file calls exit(); remove it",
            file=program.file,
            line=_user_line(err, program.file),
        ) from None
    except RecursionError as err:
        raise LoadError(
            "recursion too deep; is a function calling itself without end?",
            file=program.file,
            line=_user_line(err, program.file),
        ) from None
    except Exception as err:  # the user's own code failed: say where and why
        raise LoadError(
            describe_error(err), file=program.file, line=_user_line(err, program.file)
        ) from None
    finally:
        recorder.reset(token)
    program.namespace = {
        k: v for k, v in namespace.items() if k not in EXPORTS and not k.startswith("__")
    }
    program.symbolic = list(symbolic)


def _user_line(err, file):
    line, tb = None, err.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == file:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def describe_error(err):
    """A failure of the file's own code, worded for its author (in either mode)."""
    if isinstance(err, NameError) and getattr(err, "name", None):
        return f"name {err.name!r} is used before it is assigned"
    if isinstance(err, ZeroDivisionError):
        return "division by zero in plain Python numbers"
    text = str(err).replace("'Tensor'", "traced value").replace("Tensor", "traced value")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__
