"""The safe subset as data: what a file may call, which operators it may use, what is refused.

The validator (:mod:`pathgrad.safe.validator`) checks a tree against these tables
and the interpreter (:mod:`pathgrad.safe.interpreter`) applies the same operators,
so what is allowed and what it means are written down once. A construct outside
the subset is reported by :func:`refused_error`, by the name in :data:`CONSTRUCTS`
or :data:`OPERATOR_TEXT`.
"""

import ast
import builtins
import operator
import re

from pathgrad.errors import LoadError
from pathgrad.trace.arrays import Array
from pathgrad.trace.autograd import Grad
from pathgrad.trace.running import EXPORTS
from pathgrad.trace.traced import Tensor

#: What every refusal says.
REFUSED = "not allowed in --safe mode"
#: The one context manager, and the only place its name may appear: ``with no_grad():``.
NO_GRAD = "no_grad"
#: What a file may call by name, and the objects those names must still hold when called.
FUNCTIONS = frozenset(EXPORTS) - {NO_GRAD}
#: Methods of a traced value that compute (all without arguments).
METHODS = frozenset({"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"})
#: Every method a file may call, with the positional arguments and keywords it takes:
#: the computing ones, a list's ``append``, and PyTorch's autograd as a training loop
#: uses it (``loss.backward()``, ``w.grad.zero_()``, ``x.detach()``; ``.item()`` of a
#: traced value is refused at run time, as in normal mode).
METHOD_ARGUMENTS = {
    **{name: (0, frozenset()) for name in METHODS},
    "append": (1, frozenset()),
    "backward": (0, frozenset({"retain_graph"})),
    "retain_grad": (0, frozenset()),
    "detach": (0, frozenset()),
    "item": (0, frozenset()),
    "zero_": (0, frozenset()),
    # a tensor's reductions (``W.sum()``, ``W.sum(0)``, ``h.mean(dim=1)``, ``z.max()``)
    "sum": ((0, 1), frozenset({"dim"})),
    "mean": ((0, 1), frozenset({"dim"})),
    "max": (0, frozenset()),
    "tolist": (0, frozenset()),
}
#: Attributes a file may read and assign (``w.grad``, ``w.data -= lr * w.grad``).
ATTRIBUTES = frozenset({"grad", "data"})
#: Attributes of a tensor a file may read only (``W.T``, ``W.shape``).
TENSOR_ATTRIBUTES = frozenset({"T", "shape"})
assert not (ATTRIBUTES | TENSOR_ATTRIBUTES) & set(METHOD_ARGUMENTS), "never also a method"
#: Functions that take a ``dim=`` keyword (``softmax(z, dim=1)``).
DIM_FUNCTIONS = frozenset({"sum", "mean", "softmax", "log_softmax", "stack", "cat"})
#: What each kind of value has, by its exact type: (methods, attributes it may read).
#: Only a traced value's attributes may be assigned (``w.grad = None``, ``w.data = ...``).
RECEIVERS = {
    Tensor: (METHODS | {"backward", "retain_grad", "detach", "item"}, ATTRIBUTES),
    Grad: (frozenset({"zero_", "item"}), frozenset({"data"})),  # w.grad: a float, and zero_()
    list: (frozenset({"append"}), frozenset()),
    Array: (
        METHODS | {"sum", "mean", "max", "tolist", "backward", "item"},
        TENSOR_ATTRIBUTES | {"grad"},
    ),
}
#: Keywords leaf() and print() take.
LEAF_KEYWORDS = {"name", "value", "requires_grad"}
PRINT_KEYWORDS = {"sep", "end"}
#: Names that always mean Python's own (a loop's iterable is checked by its name).
FIXED = ("range", "zip")
#: Annotations a parameter may carry (never evaluated).
ANNOTATIONS = frozenset({"float", "int", "bool", "str", "list", "tuple"})
#: Longest text an f-string may make (leaf names are short).
MAX_STRING = 1_000
#: Python's builtins: a file may not name one, unless it is in FUNCTIONS or the file binds it.
BUILTIN_NAMES = frozenset(dir(builtins))


def refused_error(construct, node, file):
    """``FILE:LINE: not allowed in --safe mode: <construct>``, at ``node``'s line if it has one."""
    return LoadError(f"{REFUSED}: {construct}", file=file, line=getattr(node, "lineno", None))


# -- the whitelist ----------------------------------------------------------------
BINARY_OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.MatMult: operator.matmul,  # of tensors only: a number's @ is Python's TypeError
}
INPLACE_OPERATORS = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.Pow: operator.ipow,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
    ast.MatMult: operator.imatmul,
}
UNARY_OPERATORS = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
COMPARE_OPERATORS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
#: Operators outside the subset, by how a student writes them.
OPERATOR_TEXT = {
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^ (write powers as **)",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
#: Constructs outside the subset, by how the message names them.
CONSTRUCTS = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.While: "while loop",
    ast.FunctionDef: "function definition (def)",
    ast.AsyncFunctionDef: "function definition",
    ast.Lambda: "lambda",
    ast.ClassDef: "class",
    ast.Return: "return",
    ast.Delete: "del",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.Try: "try",
    ast.Raise: "raise",
    ast.Assert: "assert",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.AsyncFor: "async for",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.DictComp: "dict comprehension",
    ast.SetComp: "set comprehension",
    ast.GeneratorExp: "generator expression",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Starred: "starred expression (*)",
    ast.Match: "match statement",
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    CONSTRUCTS[ast.TryStar] = "try"
#: Nodes allowed as they are (their children are checked in turn).
PLAIN = (
    ast.Module,
    ast.Expr,
    ast.Pass,
    ast.Break,
    ast.Continue,
    ast.If,
    ast.IfExp,
    ast.BoolOp,
    ast.List,
    ast.Tuple,
    ast.Load,
    ast.Store,
    ast.boolop,
)


def literal_int(node):
    """A whole-number literal (``3``, ``-2``), or ``None``."""
    sign = 1
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign, node = (-1 if isinstance(node.op, ast.USub) else 1), node.operand
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return sign * node.value
    return None


def is_zip(node):
    """Whether ``node`` is a call of ``zip(...)``."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip"


#: A format specification of the mini-language: fill, align, sign, z, #, 0, width,
#: grouping, precision, type (https://docs.python.org/3/library/string.html#formatspec).
_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[_,]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?", re.DOTALL)


def checked_format_spec(node):
    """The text of an f-string's literal format specification (``.3f``), or ``None``.

    ``None`` for a computed one (``{x:{w}}``) or one wider or more precise than
    :data:`MAX_STRING` (``{x:>1000000000}`` would make a gigabyte of text).

    >>> checked_format_spec(ast.parse('f"{x:>8.3f}"').body[0].value.values[0].format_spec)
    '>8.3f'
    >>> checked_format_spec(ast.parse('f"{x:>1000000000}"').body[0].value.values[0].format_spec)
    """
    if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in node.values):
        return None
    spec = "".join(p.value for p in node.values)
    match = _SPEC.fullmatch(spec)
    if match is None or any(len(n or "") > 4 or int(n or 0) > MAX_STRING for n in match.groups()):
        return None
    return spec
