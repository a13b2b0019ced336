"""Safe mode: an expression file validated and interpreted, never executed as Python.

``pathgrad explain --safe`` and ``load(..., safe=True)`` hand the parsed file
to :func:`validate`, which checks every syntax node against a whitelist
before anything runs, and then to :func:`interpret`, which walks the
validated tree itself: no ``exec``, ``eval`` or ``compile``, and no Python
builtin is reachable. What a file may contain:

* assignments and augmented assignments to plain names (and to list items),
  numbers, strings (for leaf names; f-strings with a literal format specification),
  ``+ - * / ** // %``, unary ``- +`` and ``not``, comparisons, ``and``/``or``,
  ``if``/``else`` statements and expressions (a branch on a traced value, as
  in normal mode);
* calls to pathgrad's own functions (``exp log sqrt sin cos tanh sigmoid relu
  abs max min leaf``) and methods (``.exp() ... .relu() .abs()``, and
  ``.append(x)`` on a list);
* ``for NAME in range(...)`` with whole-number literal bounds, ``for a, b in
  zip(xs, ys)``, lists, tuples, indexing, and list comprehensions over either;
* ``print(...)`` (what it writes is bounded in bytes, and goes to standard
  error as in normal mode; keywords ``sep`` and ``end``);
* ``def`` at the top level with positional parameters (defaults allowed) and
  ``return``, called by name, recursion bounded in depth; no decorators, no
  ``*args``/``**kwargs``, no ``global`` or ``nonlocal``, no function in a function.

Everything else is refused before anything runs, naming the construct and the
line; the first refusal in source order is reported:

>>> import ast
>>> validate(ast.parse("x = 1.0\\nimport os\\n"), "f.py")
Traceback (most recent call last):
...
pathgrad.errors.LoadError: f.py:2: not allowed in --safe mode: import
>>> validate(ast.parse("L = ().__class__.__subclasses__()"), "f.py")
Traceback (most recent call last):
...
pathgrad.errors.LoadError: f.py:1: not allowed in --safe mode: attribute .__class__

The interpreter binds names exactly as normal mode does (a number assigned at
the top level becomes a leaf, a traced result takes its variable's name, the
loss is the last assigned name), so both modes give the same explanation.
Resource bounds (:data:`LIMITS`) stop a file that grows too large or runs too
long, with a message naming the bound. In-process, the interpreter checks the
wall time as it runs, and memory is bounded through the number of traced
values, list items and the size of whole numbers. :func:`run_bounded` runs a
whole job (interpreting, explaining, rendering) in a fresh process with the
wall time for the whole run and ``memory_mib`` as its address space
(``RLIMIT_AS``, POSIX): :mod:`pathgrad.grade` checks each student file so.
"""

import ast
import builtins
import operator
import re

from pathgrad.errors import LoadError
from pathgrad.safe.limits import active
from pathgrad.safe.worker import run_bounded  # noqa: F401 - named in README
from pathgrad.trace.running import EXPORTS

REFUSED = "not allowed in --safe mode"
#: What a file may call by name, and the objects those names must still hold when called.
FUNCTIONS = frozenset(EXPORTS) - {"no_grad"}  # it needs `with`, which is refused
#: Methods of a traced value (all without arguments).
METHODS = frozenset({"exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "relu", "abs"})
_LEAF_KEYWORDS = {"name", "value", "requires_grad"}
_PRINT_KEYWORDS = {"sep", "end"}
#: Names that always mean Python's own (a loop's iterable is checked by its name).
_FIXED = ("range", "zip")
#: Annotations a parameter may carry (never evaluated).
_ANNOTATIONS = frozenset({"float", "int", "bool", "str", "list", "tuple"})
#: Longest text an f-string may make (leaf names are short).
MAX_STRING = 1_000
_BUILTIN_NAMES = frozenset(dir(builtins))


def refused_error(construct, node, file):
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
}
INPLACE_OPERATORS = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.Pow: operator.ipow,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
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
_OPERATOR_TEXT = {
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^ (write powers as **)",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Is: "is",
    ast.IsNot: "is not",
    ast.In: "in",
    ast.NotIn: "not in",
}
#: Constructs outside the subset, by how the message names them.
_CONSTRUCTS = {
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
    ast.Slice: "slice",
    ast.Match: "match statement",
}
if hasattr(ast, "TryStar"):  # Python 3.11+
    _CONSTRUCTS[ast.TryStar] = "try"
#: Nodes allowed as they are (their children are checked in turn).
_PLAIN = (
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


def _is_range(node):
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"
    )


def _range_length(node):
    """The number of iterations of ``range(...)`` with literal bounds, or a refusal text."""
    bounds = [literal_int(a) for a in node.args]
    if node.keywords or not 1 <= len(bounds) <= 3 or None in bounds:
        return "range() whose bounds are not whole-number literals"
    start, stop, step = ([0, *bounds, 1] if len(bounds) == 1 else [*bounds, 1])[:3]
    if step == 0:
        return "range() with step 0"
    return max(0, (stop - start + step - (1 if step > 0 else -1)) // step)


def is_zip(node):
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "zip"


def _zipped(node):
    """The lists a ``zip(...)`` loop runs over (to check, then evaluate), or none."""
    return list(node.args) if is_zip(node) else []


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


def _position(node):
    return (
        getattr(node, "lineno", 0),
        getattr(node, "col_offset", 0),
        getattr(node, "end_lineno", 0),
        getattr(node, "end_col_offset", 0),
    )


class _Validator:
    """Walks the tree (without recursion) and collects every node outside the subset."""

    def __init__(self, tree, limits):
        self.limits = limits
        self.assigned, functions = set(), []
        for n in ast.walk(tree):  # one pass: a long file is walked few times
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                self.assigned.add(n.id)
            elif isinstance(n, ast.FunctionDef):
                functions.append(n)
        self.in_function = {id(n) for f in functions for s in f.body for n in ast.walk(s)}
        self.params = {a.arg for f in functions for a in (*f.args.posonlyargs, *f.args.args)}
        #: Names a call may be to: the file's functions, and parameters (a function passed in).
        self.defined = {f.name for f in functions}
        self.callable = (self.defined | (self.params - _BUILTIN_NAMES)) - self.assigned
        self.problems = []

    def run(self, tree):
        stack = [(tree, 1)]
        while stack:
            node, iterations = stack.pop()
            check = getattr(self, f"_{type(node).__name__}", None)
            if check is not None:
                children = check(node, iterations)
            elif isinstance(node, _PLAIN):
                children = [(c, iterations) for c in ast.iter_child_nodes(node)]
            else:
                self.refuse(node, _CONSTRUCTS.get(type(node), type(node).__name__.lower()))
                children = []
            stack.extend(children)
        return self.problems

    def refuse(self, node, construct, anchor=None):
        self.problems.append((_position(anchor or node), anchor or node, construct))

    def _all(self, nodes, iterations):
        return [(n, iterations) for n in nodes if n is not None]

    # -- statements --------------------------------------------------------------
    def _Assign(self, node, iterations):
        return self._all([*node.targets, node.value], iterations)

    def _AugAssign(self, node, iterations):
        self._operator(node.op, node)
        if not isinstance(node.target, (ast.Name, ast.Subscript)):
            self.refuse(node.target, "augmented assignment to something other than a name")
        return self._all([node.target, node.value], iterations)

    def _AnnAssign(self, node, iterations):  # the annotation is never evaluated
        if node.value is None or not isinstance(node.target, ast.Name):
            self.refuse(node, "annotation without a value")
            return []
        return self._all([node.target, node.value], iterations)

    def _For(self, node, iterations):
        if node.orelse:
            self.refuse(node.orelse[0], "for ... else")
        self._target(node.target, node.iter, "a for loop over several names")
        total = self._loop(node.iter, iterations, node)
        return self._all([node.target, *_zipped(node.iter), *node.body], total)

    def _target(self, target, iterable, construct):
        """A loop's variable: one name, or (over ``zip``) a tuple of names."""
        if isinstance(target, ast.Name):
            return
        if not (
            is_zip(iterable)
            and isinstance(target, (ast.Tuple, ast.List))
            and all(isinstance(e, ast.Name) for e in target.elts)
        ):
            self.refuse(target, construct)

    def _FunctionDef(self, node, iterations):
        if id(node) in self.in_function:
            self.refuse(node, "a function definition inside a function")
            return []
        for decorator in node.decorator_list:
            self.refuse(decorator, "decorator")
        arguments = node.args
        for extra in (arguments.vararg, arguments.kwarg, *arguments.kwonlyargs):
            if extra is not None:
                self.refuse(
                    extra, "a parameter other than a positional one (*, ** or keyword-only)"
                )
        if getattr(node, "type_params", None):  # Python 3.12+
            self.refuse(node, "type parameters")
        self._binding(node, node.name)
        for parameter in (*arguments.posonlyargs, *arguments.args):
            self._binding(parameter, parameter.arg)
        for annotation in (
            node.returns,
            *(a.annotation for a in arguments.args),
            *(a.annotation for a in arguments.posonlyargs),
        ):
            if annotation is not None and not (
                isinstance(annotation, ast.Name) and annotation.id in _ANNOTATIONS
            ):
                self.refuse(
                    annotation, "an annotation other than " + ", ".join(sorted(_ANNOTATIONS))
                )
        return self._all([*arguments.defaults, *node.body], 1)  # the body runs when called

    def _binding(self, node, name):
        """A name a ``def`` binds (the function's, a parameter's)."""
        if "__" in name:
            self.refuse(node, f"dunder name {name}")
        elif name in _FIXED:
            self.refuse(node, f"assignment to {name}")

    def _Return(self, node, iterations):
        if id(node) not in self.in_function:
            self.refuse(node, "return outside a function")
        return self._all([node.value], iterations)

    def _loop(self, iterable, iterations, anchor):
        """Check ``range(literals)`` or ``zip(...)`` as what a loop runs over; the iterations."""
        if is_zip(iterable):
            if (
                not iterable.args
                or iterable.keywords
                or any(isinstance(a, ast.Starred) for a in iterable.args)
            ):
                self.refuse(iterable, "zip() with these arguments")
            return iterations  # as many as the shortest list: counted while running
        if not _is_range(iterable):
            self.refuse(iterable, "a loop over something other than range(...) or zip(...)")
            return iterations
        length = _range_length(iterable)
        if isinstance(length, str):
            self.refuse(iterable, length)
            return iterations
        limit = self.limits.max_loop_iterations
        total = iterations * max(length, 1)
        if length > limit:
            self.refuse(
                iterable, f"a loop of {length} iterations (limit: max_loop_iterations = {limit})"
            )
        elif total > limit:
            self.refuse(
                iterable,
                f"nested loops of {total} iterations in all (limit: max_loop_iterations = {limit})",
            )
        return total

    # -- expressions ---------------------------------------------------------------
    def _Constant(self, node, iterations):
        value = node.value
        if isinstance(value, bytes):
            self.refuse(node, "bytes literal")
        elif isinstance(value, complex):
            self.refuse(node, f"complex number {value!r}")
        elif value is Ellipsis:
            self.refuse(node, "...")
        elif type(value) is int and value.bit_length() > self.limits.max_int_bits:
            self.refuse(
                node,
                f"a whole number of {value.bit_length()} bits (limit: "
                f"max_int_bits = {self.limits.max_int_bits})",
            )
        return []

    def _Name(self, node, iterations):
        name = node.id
        if "__" in name:
            self.refuse(node, f"dunder name {name}")
        elif isinstance(node.ctx, ast.Store) and name in _FIXED:
            self.refuse(node, f"assignment to {name}")
        elif (
            isinstance(node.ctx, ast.Load)
            and name in _BUILTIN_NAMES
            and name not in FUNCTIONS
            and name not in self.assigned
            and name not in self.defined
            and name not in self.params
        ):
            self.refuse(node, f"the Python builtin {name}")
        return []

    def _BinOp(self, node, iterations):
        self._operator(node.op, node)
        return self._all([node.left, node.right], iterations)

    def _UnaryOp(self, node, iterations):
        self._operator(node.op, node)
        return self._all([node.operand], iterations)

    def _Compare(self, node, iterations):
        for op in node.ops:
            self._operator(op, node)
        return self._all([node.left, *node.comparators], iterations)

    def _operator(self, op, node):
        if (
            type(op) not in BINARY_OPERATORS
            and type(op) not in UNARY_OPERATORS
            and type(op) not in COMPARE_OPERATORS
        ):
            self.refuse(node, f"operator {_OPERATOR_TEXT.get(type(op), type(op).__name__)}")

    def _Subscript(self, node, iterations):
        return self._all([node.value, node.slice], iterations)

    def _Attribute(self, node, iterations):  # reached only when not an allowed method call
        self.refuse(node, f"attribute .{node.attr}")
        return self._all([node.value], iterations)

    def _Call(self, node, iterations):
        func, arguments = node.func, [*node.args, *(k.value for k in node.keywords)]
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            self.refuse(node, "argument unpacking (* or **)")
        if isinstance(func, ast.Attribute):
            return self._method(node, func, arguments, iterations)
        if not isinstance(func, ast.Name):
            if type(func) not in _CONSTRUCTS:  # else the callee's own refusal says it better
                self.refuse(func, "a call of something other than a function name")
            return self._all([func, *arguments], iterations)
        name = func.id
        if name in self.callable and name not in _FIXED:  # the file's own function
            return self._all(arguments, iterations)
        if (
            "__" in name
            or name in _FIXED
            or (
                name not in FUNCTIONS
                and name != "print"
                and (name in _BUILTIN_NAMES or name in self.assigned)
            )
        ):
            where = " outside a for loop" if name in _FIXED else ""
            self.refuse(func, f"call to {name}(){where}")
        elif name == "print" and any(k.arg not in _PRINT_KEYWORDS for k in node.keywords):
            self.refuse(node, "keyword arguments to print() other than sep, end")
        elif name in FUNCTIONS and name != "leaf" and node.keywords:
            self.refuse(node, f"keyword arguments to {name}()")
        elif name == "leaf" and any(k.arg not in _LEAF_KEYWORDS for k in node.keywords):
            self.refuse(node, "keyword arguments to leaf() other than name, value, requires_grad")
        # a name that is neither allowed nor known is left to the loader: "unknown function"
        return self._all(arguments, iterations)

    def _method(self, node, func, arguments, iterations):
        attr = func.attr
        if attr not in METHODS and attr != "append":
            self.refuse(func, f"attribute .{attr}" if "__" in attr else f"method .{attr}()")
            return self._all([func.value, *arguments], iterations)
        wanted = 0 if attr in METHODS else 1  # .tanh() takes nothing, .append(x) one value
        if len(node.args) != wanted or node.keywords:
            self.refuse(func, f"method .{attr}() with these arguments")
        return self._all([func.value, *arguments], iterations)

    def _ListComp(self, node, iterations):
        children = []
        for generator in node.generators:
            if generator.is_async:
                self.refuse(node, "async comprehension")
            self._target(generator.target, generator.iter, "a comprehension over several names")
            iterations = self._loop(generator.iter, iterations, node)
            children += [generator.target, *_zipped(generator.iter), *generator.ifs]
        return self._all([*children, node.elt], iterations)

    def _JoinedStr(self, node, iterations):
        children = []
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                if part.format_spec is not None and checked_format_spec(part.format_spec) is None:
                    self.refuse(part, "format specification in an f-string")
                if part.conversion != -1:
                    self.refuse(part, "conversion (!r, !s, !a) in an f-string")
                children.append(part.value)
        return self._all(children, iterations)


def validate(tree, file="<string>", limits=None):
    """Refuse anything outside the safe subset, before anything runs.

    Parameters
    ----------
    tree : ast.Module
        The parsed file.
    file : str
        The file name, for messages.
    limits : Limits, optional
        Bounds checked before running (literal loop sizes, literal numbers);
        default :func:`active`.

    Raises
    ------
    LoadError
        ``FILE:LINE: not allowed in --safe mode: <construct>`` for the first
        construct (in source order) outside the subset.

    Examples
    --------
    >>> validate(ast.parse("x = 2.0\\nfor i in range(3):\\n    x = x * x\\n"))
    >>> validate(ast.parse("while True:\\n    pass\\n"), "f.py")
    Traceback (most recent call last):
    ...
    pathgrad.errors.LoadError: f.py:1: not allowed in --safe mode: while loop
    """
    problems = _Validator(tree, limits or active()).run(tree)
    if problems:
        _, node, construct = min(problems, key=lambda p: p[0])
        raise refused_error(construct, node, file)


def interpret(tree, namespace, file="<string>", limits=None):
    """Run a tree that :func:`validate` accepted, with variables in ``namespace``.

    ``namespace`` is built by the loader: the symbolic leaves, pathgrad's
    functions, and the binder under ``loader.BIND``, called after every
    assignment to a plain name exactly as in normal mode.

    Raises
    ------
    LoadError
        ``FILE:LINE: stopped in --safe mode: <what> (limit: <field> = <n>)``
        when a bound of ``limits`` (default :func:`active`) is exceeded, or
        the file's own mistake at its line, worded as in normal mode.

    Examples
    --------
    >>> from pathgrad.trace.loader import load_source
    >>> program = load_source("a = 3.0\\nfor i in range(2):\\n    a = a * a\\n", safe=True)
    >>> program.loss_name, program.loss.value
    ('a', 81.0)
    """
    import sys

    from pathgrad.safe.interpreter import Interpreter

    limits = limits or active()
    before = sys.getrecursionlimit()  # each call of the file's functions takes ~10 frames here
    sys.setrecursionlimit(before + _FRAMES_PER_CALL * limits.max_call_depth)
    try:
        Interpreter(namespace, file, limits).run(tree.body)
    finally:
        sys.setrecursionlimit(before)


#: Python frames the interpreter may use for one call of a file's function (measured: about
#: 10 for a call in a comprehension in a loop in a function); room is made for max_call_depth.
_FRAMES_PER_CALL = 30
