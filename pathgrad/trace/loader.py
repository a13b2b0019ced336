"""Reading an expression file and running it with traced values.

The file is real Python, run define-by-run: every arithmetic operation on a
traced value is recorded. Before it runs, the loader reads it once to find
the names it uses but never assigns (they become symbolic leaves), refuses
calls to unknown functions, and rewrites each assignment so that

* a name assigned a plain number (``x1 = 1``) at the top level becomes a leaf,
* a traced result takes the name of the variable it is assigned to.

>>> program = load_source("x1 = 1\\nw1 = 2\\nL = (w1 * x1 - y) ** 2\\n")
>>> program.loss_name, [t.name for t in program.leaves]
('L', ['y', 'x1', 'w1'])
>>> program.namespace["y"].value is None
True
"""

import ast
import builtins
import contextlib
import difflib
import os
import stat
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path

from pathgrad.errors import LoadError, NameNotFound, PathgradError, TraceError
from pathgrad.trace import functions
from pathgrad.trace.autograd import collect, no_grad
from pathgrad.trace.concrete import is_number, recorder
from pathgrad.trace.traced import Tensor, leaf

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BIND = "__pathgrad_bind__"

#: What a file can call without importing anything.
EXPORTS = {
    "exp": functions.exp,
    "log": functions.log,
    "sqrt": functions.sqrt,
    "sin": functions.sin,
    "cos": functions.cos,
    "tanh": functions.tanh,
    "sigmoid": functions.sigmoid,
    "relu": functions.relu,
    "max": functions.max,
    "min": functions.min,
    "abs": builtins.abs,
    "leaf": leaf,
    "no_grad": no_grad,
}


@dataclass
class Program:
    """A file that has run: its final variables, its leaves and its loss."""

    file: str
    lines: list
    namespace: dict
    assigned: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    symbolic: list = field(default_factory=list)
    loss_name: str | None = None

    @property
    def loss(self):
        return self.namespace[self.loss_name]

    @property
    def leaves(self):
        return [t for t in collect([self.loss]) if t.is_leaf]


#: The largest expression file read, in bytes: 1 MiB (a page of maths is a few kB).
MAX_SOURCE_BYTES = 1 << 20


def entry_problem(mode):
    """What a file system entry that is not a regular file is, from its ``lstat`` mode.

    ``None`` for a regular file. Shared by every place that reads other people's files.

    >>> import stat
    >>> entry_problem(stat.S_IFIFO), entry_problem(stat.S_IFREG)
    ('a named pipe (FIFO), not a file; not read', None)
    """
    if stat.S_ISLNK(mode):
        return "a symbolic link (not followed; copy the file itself into the folder)"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file; not read"
    return None if stat.S_ISREG(mode) else "not a regular file; not read"


def read_source(path, safe=False):
    """The text of a file, ``-`` for standard input, or a bundled example's name.

    Only a regular file is read (a FIFO or a device would hang or never end), and at
    most :data:`MAX_SOURCE_BYTES`. With ``safe`` (someone else's file), a symbolic
    link is refused too, as in a folder: nothing outside what was named is read.

    Raises
    ------
    LoadError
        No such file, not a regular file, too large, or unreadable.
    """
    if path == "-":
        data, name = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1), "<stdin>"
    else:
        file = Path(path)
        if not os.path.lexists(file) and (EXAMPLES / f"{path}.py").exists():
            file = EXAMPLES / f"{path}.py"
        data, name = read_regular(file, path, safe), path
    if len(data) > MAX_SOURCE_BYTES:
        raise LoadError(
            f"larger than {MAX_SOURCE_BYTES >> 20} MiB: not an expression file", file=name
        )
    return _decode(data, name), name


def read_regular(file, path, safe, limit=MAX_SOURCE_BYTES):
    """The bytes of ``file`` (named ``path`` in messages), at most ``limit`` + 1 of them,
    if it is a regular file: never a FIFO or a device, and with ``safe`` never through a
    symbolic link. Shared by everything that reads someone else's file."""
    try:
        mode = (os.lstat if safe else os.stat)(file).st_mode
    except OSError:
        raise LoadError(
            "no such file (bundled examples: " + ", ".join(example_names()) + ")", file=path
        ) from None
    problem = entry_problem(mode)
    if problem == entry_problem(stat.S_IFDIR):
        raise LoadError("is a directory, not an expression file", file=path)
    if problem:
        raise LoadError(f"refused: {problem}", file=path)
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (getattr(os, "O_NOFOLLOW", 0) if safe else 0)
    )
    try:  # opened without following or blocking: the entry may change after the look
        handle = os.open(file, flags)
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise LoadError("refused: not a regular file; not read", file=path)
            return stream.read(limit + 1)
    except OSError as err:
        raise LoadError(f"cannot read: {err.strerror}", file=path) from err


def example_names():
    return sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


def _decode(data, name):
    if b"\0" in data:
        raise LoadError("looks like a binary file, not Python text", file=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoadError("is not UTF-8 text; save it as UTF-8", file=name) from err
    return text.replace("\r\n", "\n").replace("\r", "\n")


def load(path, loss=None, safe=False):
    """Run the expression file at ``path`` (``-`` for standard input) and return its Program.

    With ``safe=True`` the file is validated and interpreted by
    :mod:`pathgrad.safe.sandbox`, never executed as Python.
    """
    text, name = read_source(path, safe)
    return load_source(text, name, loss, safe)


def load_source(text, file="<string>", loss=None, safe=False):
    """Run expression-file text and return its :class:`Program`."""
    tree = _parse(text, file)
    if safe:
        from pathgrad.safe import sandbox as sandbox

        sandbox.validate(tree, file)
    symbolic = _check_names(tree, file)
    program = Program(file=file, lines=text.split("\n"), namespace={})
    if safe:
        _run(lambda namespace: sandbox.interpret(tree, namespace, file), program, symbolic)
    else:
        try:
            code = compile(_Binder().rewrite(tree), file, "exec")
        except SyntaxError as err:  # what the parser lets through: `return` outside a function
            raise LoadError(f"syntax error: {err.msg}", file=file, line=err.lineno) from None
        _run(lambda namespace: exec(code, namespace), program, symbolic)
    program.loss_name = _choose_loss(program, loss)
    return program


def _parse(text, file):
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.split("\n")
    ):
        raise LoadError(
            "the file is empty; write assignments such as `x = 2` and `y = x * x`", file=file
        )
    try:
        return ast.parse(text, file)
    except SyntaxError as err:
        raise LoadError(f"syntax error: {err.msg}", file=file, line=err.lineno) from None
    except (MemoryError, RecursionError):
        raise LoadError(
            "an expression is too long or too deeply nested for Python to parse; "
            "split it over several assignments",
            file=file,
        ) from None
    except ValueError as err:
        raise LoadError(f"cannot parse: {err}", file=file) from None


# -- before running: names --------------------------------------------------
def _bound_names(tree):
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
    return bound


def _check_names(tree, file):
    """Symbolic leaves (used, never assigned) in order of first use; refuse unknown calls."""
    bound = _bound_names(tree) | set(EXPORTS) | set(dir(builtins))
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    uses = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    symbolic = {}
    for use in uses:
        if use.id in bound:
            continue
        if id(use) in called:
            known = sorted(set(EXPORTS) | (_bound_names(tree)))
            close = difflib.get_close_matches(use.id, known, n=1)
            hint = (
                f"; did you mean {close[0]}?"
                if close
                else ("; functions available without import: " + ", ".join(sorted(EXPORTS)))
            )
            raise LoadError(f"unknown function {use.id}(){hint}", file=file, line=use.lineno)
        symbolic.setdefault(use.id, use.lineno)
    return symbolic


# -- rewriting assignments ----------------------------------------------------
def is_number_expression(node):
    """True for a right-hand side made of numbers and operators only (``-4.0``, ``1e-3``)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Constant):
            if isinstance(n.value, bool) or not isinstance(n.value, (int, float)):
                return False
        elif not isinstance(
            n, (ast.UnaryOp, ast.BinOp, ast.Tuple, ast.Load, ast.operator, ast.unaryop)
        ):
            return False
    return True


class _Binder(ast.NodeTransformer):
    """After each assignment to a plain name, insert ``name = __pathgrad_bind__(...)``.

    Only statements are visited (never expressions), so a very long expression
    cannot exhaust the recursion limit here.
    """

    BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")

    def generic_visit(self, node):
        for block in self.BLOCKS:
            statements = getattr(node, block, None)
            if not isinstance(statements, list):
                continue
            new = []
            for statement in statements:
                result = self.visit(statement)
                new.extend(result if isinstance(result, list) else [result])
            setattr(node, block, new)
        return node

    def rewrite(self, tree):
        self.depth = 0
        return ast.fix_missing_locations(self.visit(tree))

    def _scope(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def _bind(self, node, names, number):
        leaf_ok = number and self.depth == 0
        binds = [
            ast.copy_location(
                ast.Assign(
                    targets=[ast.Name(name, ast.Store())],
                    value=ast.Call(
                        ast.Name(BIND, ast.Load()),
                        [
                            ast.Constant(name),
                            ast.Name(name, ast.Load()),
                            ast.Constant(node.lineno),
                            ast.Constant(leaf_ok),
                            ast.Constant(self.depth == 0),
                        ],
                        [],
                    ),
                ),
                node,
            )
            for name in names
        ]
        return [node, *binds]

    def visit_Assign(self, node):
        names = [
            n.id
            for t in node.targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        ]
        return self._bind(node, names, is_number_expression(node.value))

    def visit_AnnAssign(self, node):
        if node.value is None or not isinstance(node.target, ast.Name):
            return node
        return self._bind(node, [node.target.id], is_number_expression(node.value))

    def visit_AugAssign(self, node):
        if not isinstance(node.target, ast.Name):
            return node
        return self._bind(node, [node.target.id], False)


# -- running ------------------------------------------------------------------
def _traced_math():
    """``import math`` inside a file: traced functions where pathgrad has them."""
    import math

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


def _namespace(program, symbolic):
    def bind(name, value, line, leaf_ok, module_level):
        if isinstance(value, Tensor):
            if value.name is None:
                value.name = name
        elif leaf_ok and is_number(value) and not isinstance(value, bool):
            value = leaf(name, value)
            value.line = line
        if module_level:
            program.assigned.append((name, line))
        return value

    namespace = {"__name__": "__pathgrad__", "__builtins__": dict(vars(builtins)), BIND: bind}
    namespace["__builtins__"]["__import__"] = _import
    namespace.update(EXPORTS)
    for name, line in symbolic.items():
        namespace[name] = leaf(name)
        namespace[name].line = line
    return namespace


def _run(runner, program, symbolic):
    """Run the file (``runner(namespace)``), turning any failure into a located LoadError."""
    namespace = _namespace(program, symbolic)
    token = recorder.set(program.notes)
    try:
        with contextlib.redirect_stdout(sys.stderr):
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
    if isinstance(err, NameError) and getattr(err, "name", None):
        return f"name {err.name!r} is used before it is assigned"
    if isinstance(err, ZeroDivisionError):
        return "division by zero in plain Python numbers"
    text = str(err).replace("'Tensor'", "traced value").replace("Tensor", "traced value")
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


def _choose_loss(program, loss):
    line = None
    if loss is not None:
        if loss not in program.namespace:
            names = ", ".join(
                sorted(n for n, v in program.namespace.items() if isinstance(v, Tensor))
            )
            raise NameNotFound(
                f"--loss {loss}: no variable named {loss} (traced: {names})", file=program.file
            )
        name = loss
        line = next((n_line for n, n_line in reversed(program.assigned) if n == loss), None)
    elif program.assigned:
        # The value the file called backward() on is its loss. Otherwise a training loop ends
        # with bookkeeping: weights updated in place, a learning rate or a momentum buffer
        # computed under no_grad(), plain numbers. None of them is a loss.
        called = [
            (n, n_line)
            for n, n_line in program.assigned
            if getattr(program.namespace.get(n), "backward_calls", 0)
        ]
        computed = [
            (n, n_line)
            for n, n_line in program.assigned
            if not _bookkeeping(program.namespace.get(n))
        ]
        name, line = (called or computed or program.assigned)[-1]
        last = (computed or program.assigned)[-1][0]
        if called and name != last:
            program.notes.append(("loss", line, name, last))
    else:
        raise LoadError(
            "nothing is assigned, so there is no loss; end with e.g. `L = ...`", file=program.file
        )
    how = "--loss" if loss else "the loss is the last assigned name, and"
    if name not in program.namespace:
        raise LoadError(
            f"{how} {name} no longer exists (was it deleted?); choose the loss with --loss NAME",
            file=program.file,
            line=line,
        )
    value = program.namespace[name]
    if not isinstance(value, Tensor):
        raise LoadError(
            f"{how} {name} is {_kind(value)}, which depends on no leaf; "
            "choose a traced result with --loss NAME",
            file=program.file,
            line=line,
        )
    if value.is_leaf:
        raise LoadError(
            f"{how} {name} is a leaf, not a computation; choose a computed result with --loss NAME",
            file=program.file,
            line=line or value.line,
        )
    return name


def _bookkeeping(value):
    """Whether a value can never be the loss by default: a weight updated in place, a value
    that stops gradients (computed under ``no_grad()``, detached, or from constants only),
    or a plain number."""
    if not isinstance(value, Tensor):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return (value.op is None and value.version > 0) or value.cut is not None


def _kind(value):
    """A short description of a plain Python value: "the number 3", "a list"."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"the number {value!r}"
    if isinstance(value, (str, bool)) or value is None:
        return f"{type(value).__name__} {value!r:.30}"
    return f"a {type(value).__name__}"
