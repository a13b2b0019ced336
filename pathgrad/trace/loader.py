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
import difflib
from dataclasses import dataclass, field

from pathgrad.errors import LoadError, NameNotFound
from pathgrad.safe.sandbox import interpret, validate
from pathgrad.trace.autograd import collect
from pathgrad.trace.loss import choose_loss
from pathgrad.trace.reading import read_source
from pathgrad.trace.running import BIND, EXPORTS, LOOP, is_number_expression, loop_targets, run


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
    tree = _parse(text, file)
    if safe:
        validate(tree, file)
    symbolic = _check_names(tree, file)
    program = Program(file=file, lines=text.split("\n"), namespace={})
    program.constants = frozenset(constants)
    program.branch_lines = _branch_lines(tree)
    if safe:
        run(lambda namespace: interpret(tree, namespace, file), program, symbolic)
    else:
        try:
            code = compile(_Binder().rewrite(_wrap_loops(tree)), file, "exec")
        except SyntaxError as err:  # what the parser lets through: `return` outside a function
            raise LoadError(f"syntax error: {err.msg}", file=file, line=err.lineno) from None
        run(lambda namespace: exec(code, namespace), program, symbolic)
    _check_constants(program, symbolic)
    program.loss_name = choose_loss(program, loss)
    return program


def _wrap_loops(tree):
    """Each ``for`` and comprehension runs over ``loop(iterable, names)`` (running.LOOP).

    Walked, not visited recursively: an expression 600 operations deep is fine.
    """
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)):
            call = ast.Call(
                ast.Name(LOOP, ast.Load()), [node.iter, ast.Constant(loop_targets(node.target))], []
            )
            node.iter = ast.fix_missing_locations(ast.copy_location(call, node.iter))
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


def _located(new, old):
    """``new`` (and every node in it) at ``old``'s place in the file."""
    return ast.fix_missing_locations(ast.copy_location(new, old))


def _check_names(tree, file):
    """Symbolic leaves (used, never assigned) in order of first use; refuse unknown calls."""
    bound = _bound_names(tree) | set(EXPORTS) | set(dir(builtins))
    called, uses = set(), []
    for n in ast.walk(tree):  # one walk: a long file's tree is large
        if isinstance(n, ast.Call):
            called.add(id(n.func))
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and n.id not in bound:
            uses.append(n)
    uses.sort(key=lambda n: (n.lineno, n.col_offset))
    symbolic = {}
    for use in uses:
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
        leaf_ok = number and self.depth == 0
        binds = [
            _located(
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
