"""The validator: every node of a parsed file checked against the safe subset, before it runs.

:class:`Validator` walks the tree without recursion (a 10,000-deep expression is
fine), collects every construct outside the subset of :mod:`pathgrad.safe.subset`,
and checks what can be checked before running: literal loop sizes against
``max_loop_iterations`` and literal numbers against ``max_int_bits``. Use it through
:func:`pathgrad.safe.sandbox.validate`, which reports the first refusal in source order.
"""

import ast

from pathgrad.safe.subset import (
    ANNOTATIONS,
    ATTRIBUTES,
    BINARY_OPERATORS,
    BUILTIN_NAMES,
    COMPARE_OPERATORS,
    CONSTRUCTS,
    DIM_FUNCTIONS,
    FIXED,
    FUNCTIONS,
    LEAF_KEYWORDS,
    METHOD_ARGUMENTS,
    NO_GRAD,
    OPERATOR_TEXT,
    PLAIN,
    PRINT_KEYWORDS,
    TENSOR_ATTRIBUTES,
    UNARY_OPERATORS,
    checked_format_spec,
    is_zip,
    literal_int,
)


def _is_range(node):
    """Whether ``node`` is a call of ``range(...)``."""
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


def _is_no_grad(node):
    """Whether ``node`` is ``no_grad()``, the one context manager (no arguments)."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == NO_GRAD
        and not node.args
        and not node.keywords
    )


def _zipped(node):
    """The lists a ``zip(...)`` loop runs over (to check, then evaluate), or none."""
    return list(node.args) if is_zip(node) else []


def _position(node):
    """Where ``node`` starts and ends, to report the first refusal in source order."""
    return (
        getattr(node, "lineno", 0),
        getattr(node, "col_offset", 0),
        getattr(node, "end_lineno", 0),
        getattr(node, "end_col_offset", 0),
    )


class Validator:
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
        self.callable = (self.defined | (self.params - BUILTIN_NAMES)) - self.assigned
        self.problems = []

    def run(self, tree):
        stack = [(tree, 1)]
        while stack:
            node, iterations = stack.pop()
            check = getattr(self, f"_{type(node).__name__}", None)
            if check is not None:
                children = check(node, iterations)
            elif isinstance(node, PLAIN):
                children = [(c, iterations) for c in ast.iter_child_nodes(node)]
            else:
                self.refuse(node, CONSTRUCTS.get(type(node), type(node).__name__.lower()))
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
        if not isinstance(node.target, (ast.Name, ast.Subscript, ast.Attribute)):
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

    def _With(self, node, iterations):
        """Only ``with no_grad():`` (PyTorch's optimizer step), without ``as``."""
        if len(node.items) != 1:
            self.refuse(node, "with of several context managers")
        for item in node.items:
            if not _is_no_grad(item.context_expr):
                self.refuse(node, "with")
            elif item.optional_vars is not None:
                self.refuse(item.optional_vars, "with no_grad() as NAME (write with no_grad():)")
        return self._all(node.body, iterations)

    def _FunctionDef(self, node, iterations):
        if id(node) in self.in_function:
            self.refuse(node, "a function definition inside a function")
            return []
        for decorator in node.decorator_list:
            no_grad = isinstance(decorator, ast.Name) and decorator.id == NO_GRAD
            no_grad = no_grad or _is_no_grad(decorator)
            hint = " (write with no_grad(): inside the function)" if no_grad else ""
            self.refuse(decorator, f"decorator{hint}")
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
                isinstance(annotation, ast.Name) and annotation.id in ANNOTATIONS
            ):
                self.refuse(
                    annotation, "an annotation other than " + ", ".join(sorted(ANNOTATIONS))
                )
        return self._all([*arguments.defaults, *node.body], 1)  # the body runs when called

    def _binding(self, node, name):
        """A name a ``def`` binds (the function's, a parameter's)."""
        if "__" in name:
            self.refuse(node, f"dunder name {name}")
        elif name in FIXED or name == NO_GRAD:
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
        elif isinstance(node.ctx, ast.Store) and (name in FIXED or name == NO_GRAD):
            self.refuse(node, f"assignment to {name}")
        elif name == NO_GRAD:  # `with no_grad():` never reaches here: its call is not walked
            self.refuse(node, "no_grad other than in with no_grad():")
        elif (
            isinstance(node.ctx, ast.Load)
            and name in BUILTIN_NAMES
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
            self.refuse(node, f"operator {OPERATOR_TEXT.get(type(op), type(op).__name__)}")

    def _Subscript(self, node, iterations):
        return self._all([node.value, node.slice], iterations)

    def _Slice(self, node, iterations):
        """``W[:, 0]``, ``x[1:3]``: a tensor's slice, without a step (a list's is refused
        when the file runs)."""
        if node.step is not None:
            self.refuse(node, "slice with a step")
        return self._all([node.lower, node.upper], iterations)

    def _Attribute(self, node, iterations):  # not a method being called: .grad, .data, .T
        if node.attr not in ATTRIBUTES and node.attr not in TENSOR_ATTRIBUTES:
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
            if type(func) not in CONSTRUCTS:  # else the callee's own refusal says it better
                self.refuse(func, "a call of something other than a function name")
            return self._all([func, *arguments], iterations)
        name = func.id
        if name == NO_GRAD:
            self.refuse(func, "no_grad other than in with no_grad():")
            return self._all(arguments, iterations)
        if name in self.callable and name not in FIXED:  # the file's own function
            return self._all(arguments, iterations)
        if (
            "__" in name
            or name in FIXED
            or (
                name not in FUNCTIONS
                and name != "print"
                and (name in BUILTIN_NAMES or name in self.assigned)
            )
        ):
            where = " outside a for loop" if name in FIXED else ""
            self.refuse(func, f"call to {name}(){where}")
        elif name == "print" and any(k.arg not in PRINT_KEYWORDS for k in node.keywords):
            self.refuse(node, "keyword arguments to print() other than sep, end")
        elif name in DIM_FUNCTIONS and any(k.arg != "dim" for k in node.keywords):
            self.refuse(node, f"keyword arguments to {name}() other than dim")
        elif name in FUNCTIONS - DIM_FUNCTIONS and name != "leaf" and node.keywords:
            self.refuse(node, f"keyword arguments to {name}()")
        elif name == "leaf" and any(k.arg not in LEAF_KEYWORDS for k in node.keywords):
            self.refuse(node, "keyword arguments to leaf() other than name, value, requires_grad")
        # a name that is neither allowed nor known is left to the loader: "unknown function"
        return self._all(arguments, iterations)

    def _method(self, node, func, arguments, iterations):
        attr = func.attr
        if attr not in METHOD_ARGUMENTS:
            self.refuse(func, f"attribute .{attr}" if "__" in attr else f"method .{attr}()")
            return self._all([func.value, *arguments], iterations)
        wanted, keywords = METHOD_ARGUMENTS[attr]  # .tanh() takes nothing, .append(x) one value
        counts = wanted if isinstance(wanted, tuple) else (wanted,)  # .sum() or .sum(0)
        if len(node.args) not in counts or any(k.arg not in keywords for k in node.keywords):
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
