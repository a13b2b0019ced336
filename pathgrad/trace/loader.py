"""Loading an expression file: parse it, find its leaves, run it, choose its loss.

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

Its neighbours do the parts: :mod:`~pathgrad.trace.reading` reads the text,
:mod:`~pathgrad.trace.running` runs the code with the binder, and
:mod:`~pathgrad.trace.loss` chooses the loss.
"""

import ast
import builtins
import contextlib
import difflib
from dataclasses import dataclass, field

from pathgrad.collector import collector_paused
from pathgrad.errors import LoadError, NameNotFound
from pathgrad.safe.sandbox import interpret, validate
from pathgrad.trace.autograd import collect
from pathgrad.trace.loss import choose_loss
from pathgrad.trace.reading import read_source
from pathgrad.trace.running import BIND, EXPORTS, LOOP, is_number_expression, loop_targets, run

#: What a file too deep for Python is told (to parse, or to compile).
TOO_DEEP = (
    "an expression is too long or too deeply nested for Python to {}; "
    "split it over several assignments"
)


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
    #: Names the command line made constants (``--const``): leaves without requires_grad.
    constants: frozenset = frozenset()
    #: ``(name, line)`` of each number the file assigned at the top level (a leaf).
    number_leaves: list = field(default_factory=list)
    #: Ids of traced values named inside a function (a caller's assignment renames them).
    function_named: set = field(default_factory=set)
    #: Lines of top-level assignments inside an ``if``/``else`` branch.
    branch_lines: frozenset = frozenset()

    @property
    def loss(self):
        return self.namespace[self.loss_name]

    @property
    def leaves(self):
        return [t for t in collect([self.loss]) if t.is_leaf]


def load(path, loss=None, safe=False, constants=()):
    """Run the expression file at ``path`` (``-`` for standard input) and return its Program.

    With ``safe=True`` the file is validated and interpreted by
    :mod:`pathgrad.safe.sandbox`, never executed as Python. ``constants`` names numbers
    of the file that get no gradient (``--const p,target``).
    """
    text, name = read_source(path, safe)
    return load_source(text, name, loss, safe, constants)


def load_source(text, file="<string>", loss=None, safe=False, constants=()):
    """Run expression-file text and return its :class:`Program`."""
    with collector_paused():  # reading and rewriting is pathgrad's; running is the file's
        tree = _parse(text, file)
        if safe:
            validate(tree, file)
        survey = _Survey(tree)
        symbolic = _check_names(survey, file)
        program = Program(file=file, lines=text.split("\n"), namespace={})
        program.constants = frozenset(constants)
        program.branch_lines = _branch_lines(tree)
        if not safe:  # the tree is let go before the file runs: a long file's tree is large
            rewritten = _Binder().rewrite(_wrap_loops(tree, survey.loops))
            # compile() is called here, not in a helper: Python counts the frames above it
            # against how deep an expression it compiles may be
            with _compile_errors(tree, file):
                code = compile(rewritten, file, "exec")
            runner = _runner(code)
            del tree, survey, rewritten
    if safe:
        runner = _interpreter(tree, file)
    run(runner, program, symbolic)
    _check_constants(program, symbolic)
    program.loss_name = choose_loss(program, loss)
    return program


def _runner(code):
    return lambda namespace: exec(code, namespace)


def _interpreter(tree, file):  # a lambda, as _runner: the same frames between run and the file
    return lambda namespace: interpret(tree, namespace, file)


@contextlib.contextmanager
def _compile_errors(tree, file):
    """Compiling's errors as one line each: what the parser lets through (``return``
    outside a function), and an expression the parser read but is too deep to compile
    (a sum of a thousand terms on one line), at the line of its deepest part."""
    try:
        yield
    except SyntaxError as err:
        raise LoadError(f"syntax error: {err.msg}", file=file, line=err.lineno) from None
    except (MemoryError, RecursionError):
        raise LoadError(TOO_DEEP.format("compile"), file=file, line=_deepest_line(tree)) from None


def _deepest_line(tree):
    """The line of the most deeply nested node of ``tree`` (walked with a stack)."""
    deepest, line, stack = -1, None, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest and getattr(node, "lineno", None):
            deepest, line = depth, node.lineno
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return line


def _wrap_loops(tree, loops):
    """Each ``for`` and comprehension of ``loops`` runs over ``loop(iterable, names)``
    (running.LOOP)."""
    for node in loops:
        at = _place(node.iter)  # the call stands where the iterable was
        targets = ast.Constant(loop_targets(node.target), **at)
        node.iter = ast.Call(ast.Name(LOOP, ast.Load(), **at), [node.iter, targets], [], **at)
    return tree


def _branch_lines(tree):
    """Lines of assignments at the top level of the file that sit inside an if/else."""
    lines, stack = set(), [(statement, False) for statement in tree.body]
    while stack:
        node, inside = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if inside and isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            lines.add(node.lineno)
        for block in ("body", "orelse", "finalbody", "handlers"):
            for child in getattr(node, block, ()):
                stack.append((child, inside or isinstance(node, ast.If)))
    return frozenset(lines)


def _check_constants(program, symbolic):
    """Every ``--const`` name is a number the file assigns (or a symbolic leaf)."""
    numbers = {name for name, _ in program.number_leaves} | set(symbolic)
    numbers |= {  # already a constant in the file (p = const(2)): nothing to change
        name
        for name, value in program.namespace.items()
        if getattr(value, "is_leaf", False) and not value.requires_grad
    }
    for name in sorted(program.constants - numbers):
        raise NameNotFound(
            f"--const {name}: {name} is not a number the file assigns at the top level "
            f"(write {name} = const(...) in the file for anything else)",
            file=program.file,
        )


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
        raise LoadError(TOO_DEEP.format("parse"), file=file) from None
    except ValueError as err:
        raise LoadError(f"cannot parse: {err}", file=file) from None


# -- before running: names --------------------------------------------------
class _Survey:
    """What the loader needs to know of a file's tree, from one walk of it: the names it
    binds, the names it reads, which of them are called, and its loops.

    Walked with a stack, not visited recursively: an expression 600 operations deep is
    fine. A 10,000-line file's tree is walked once here, where it was walked three times
    (its bound names, its uses and calls, its loops).
    """

    def __init__(self, tree):
        self.bound, self.loads, self.called, self.loops = set(), [], set(), []
        stack = [tree]
        while stack:
            node = stack.pop()
            self._note(node)
            for key in node._fields:
                value = getattr(node, key, None)
                if isinstance(value, ast.AST):
                    stack.append(value)
                elif isinstance(value, list):
                    stack.extend(v for v in value if isinstance(v, ast.AST))

    def _note(self, node):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                self.loads.append(node)
            else:  # a store or a del
                self.bound.add(node.id)
            return
        if isinstance(node, ast.Call):
            self.called.add(id(node.func))
        elif isinstance(node, (ast.For, ast.comprehension)):
            self.loops.append(node)
        self.bound.update(_names_bound_by(node))


def _names_bound_by(node):
    """The names a definition, an argument, an import, ``except ... as`` or a ``global``
    binds (a store to a plain name is found as the name itself)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return (node.name,)
    if isinstance(node, ast.arg):
        return (node.arg,)
    if isinstance(node, ast.alias):
        return ((node.asname or node.name).split(".")[0],)
    if isinstance(node, ast.ExceptHandler) and node.name:
        return (node.name,)
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return tuple(node.names)
    return ()


def _place(node):
    """Where ``node`` is in the file, as keywords for a new node built to stand there."""
    return {
        key: getattr(node, key) for key in ("lineno", "col_offset", "end_lineno", "end_col_offset")
    }


def _check_names(survey, file):
    """Symbolic leaves (used, never assigned) in order of first use; refuse unknown calls."""
    defined = survey.bound
    bound = defined | set(EXPORTS) | set(dir(builtins))
    uses = sorted(
        (n for n in survey.loads if n.id not in bound), key=lambda n: (n.lineno, n.col_offset)
    )
    symbolic = {}
    for use in uses:
        if id(use) in survey.called:
            known = sorted(set(EXPORTS) | defined)
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
        """The tree with its binds; each new node takes its statement's place in the file
        (located one by one: a pass over the whole tree was most of loading a long file)."""
        self.depth = 0
        return self.visit(tree)

    def _scope(self, node):
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1
        return node

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def _bind(self, node, names, number):
        # every new node is placed as it is built: walking each bind to place it took
        # most of the time of rewriting a 10,000-line file
        at, leaf_ok = _place(node), number and self.depth == 0
        flags = (node.lineno, leaf_ok, self.depth == 0)

        def bind(name):
            arguments = [ast.Constant(name, **at), ast.Name(name, ast.Load(), **at)]
            arguments += [ast.Constant(flag, **at) for flag in flags]
            call = ast.Call(ast.Name(BIND, ast.Load(), **at), arguments, [], **at)
            return ast.Assign([ast.Name(name, ast.Store(), **at)], call, **at)

        return [node, *map(bind, names)]

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
