"""The safe-mode interpreter: it walks a validated tree itself, never ``exec``.

:func:`pathgrad.safe.sandbox.validate` decides what a file may contain;
:class:`Interpreter` gives it meaning, binding names exactly as normal mode
does and counting every traced value, loop iteration, list item and second
against :class:`pathgrad.safe.sandbox.Limits`. Use it through :func:`pathgrad.safe.sandbox.interpret`.
"""

import ast
import sys
import time
from dataclasses import dataclass

from pathgrad.errors import LoadError, PathgradError
from pathgrad.render.escaping import visible_lines
from pathgrad.safe.limits import stopped_error
from pathgrad.safe.subset import (
    BINARY_OPERATORS,
    COMPARE_OPERATORS,
    FUNCTIONS,
    INPLACE_OPERATORS,
    MAX_STRING,
    METHODS,
    UNARY_OPERATORS,
    checked_format_spec,
    is_zip,
    literal_int,
    refused_error,
)
from pathgrad.trace import traced
from pathgrad.trace.running import BIND, EXPORTS, describe_error, is_number_expression
from pathgrad.trace.traced import Tensor


class _Known(ast.expr):
    """A value already computed, standing in a tree still to evaluate (chained comparisons)."""

    _fields = ("value",)


@dataclass
class _Then:
    """A continuation: the result is the value of this node (the rest of ``a < b < c``)."""

    node: ast.AST


@dataclass
class _Combine:
    node: ast.AST
    count: int


@dataclass
class _Method:
    """``receiver.name``, looked up and about to be called."""

    receiver: object
    name: str


class _Function:
    """A function the file defined: its ``def``, and its defaults (evaluated at ``def``)."""

    __slots__ = ("defaults", "local_names", "name", "node", "parameters", "positional_only")

    def __init__(self, node, defaults):
        self.name, self.node, self.defaults = node.name, node, defaults
        arguments = node.args
        self.parameters = [a.arg for a in (*arguments.posonlyargs, *arguments.args)]
        self.positional_only = len(arguments.posonlyargs)
        self.local_names = frozenset(self.parameters) | _assigned_names(node.body)

    def __repr__(self):
        return f"<function {self.name}>"

    def bind(self, positional, keywords):
        """The parameters' values, or the TypeError Python raises for these arguments."""
        name, parameters = self.name, self.parameters
        values = dict(zip(parameters, positional))
        early = parameters[: self.positional_only]
        for keyword, value in keywords.items():  # keywords first, as CPython checks them
            if keyword not in parameters[self.positional_only :]:
                # CPython: at the first keyword no parameter takes, name every positional-only
                # parameter passed by keyword, if any (ceval.c, positional_only_passed_as_keyword)
                passed = ", ".join(k for k in early if k in keywords)  # in parameter order
                if passed:
                    raise TypeError(
                        f"{name}() got some positional-only arguments passed as "
                        f"keyword arguments: '{passed}'"
                    )
                raise TypeError(f"{name}() got an unexpected keyword argument '{keyword}'")
            if keyword in values:
                raise TypeError(f"{name}() got multiple values for argument '{keyword}'")
            values[keyword] = value
        if len(positional) > len(parameters):
            least = len(parameters) - len(self.defaults)
            takes = (
                f"from {least} to {len(parameters)}"
                if least < len(parameters)
                else str(len(parameters))
            )
            raise TypeError(
                f"{name}() takes {takes} positional argument"
                f"{'' if takes == '1' else 's'} but {len(positional)} "
                f"{'was' if len(positional) == 1 else 'were'} given"
            )
        first_default = len(parameters) - len(self.defaults)
        for i, parameter in enumerate(parameters[first_default:]):
            values.setdefault(parameter, self.defaults[i])
        missing = [p for p in parameters if p not in values]
        if missing:
            quoted = [f"'{p}'" for p in missing]
            listed = (
                quoted[0]
                if len(quoted) == 1
                else " and ".join(quoted)
                if len(quoted) == 2
                else ", ".join(quoted[:-1]) + ", and " + quoted[-1]
            )
            raise TypeError(
                f"{name}() missing {len(missing)} required positional argument"
                f"{'' if len(missing) == 1 else 's'}: {listed}"
            )
        return values


def _assigned_names(statements):
    """Names a function body binds (its local variables); a comprehension's are its own."""
    names, stack = set(), list(statements)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ListComp):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        stack.extend(ast.iter_child_nodes(node))
    return names


class _Print:
    """Python's ``print``, as the file calls it; written out by :meth:`Interpreter._print`."""

    def __repr__(self):
        return "<built-in function print>"


_PRINT = _Print()
_BREAK, _CONTINUE, _RETURN = "break", "continue", "return"
#: Whether CPython's compiler threads the jumps of nested ``and``/``or`` (before 3.12).
_THREADED_JUMPS = sys.version_info < (3, 12)
_SCALARS = (int, float, str, type(None), Tensor)
_UNBOUND = (
    "cannot access local variable '{name}' where it is not associated with a value"
    if sys.version_info >= (3, 11)
    else "local variable '{name}' referenced before assignment"
)


def _spec(part):
    """An f-string part's format specification (validated: literal and small)."""
    return "" if part.format_spec is None else checked_format_spec(part.format_spec)


def _plain_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, Tensor)


def _kind(x):
    return "None" if x is None else f"a {type(x).__name__}"


class Interpreter:
    """Runs a validated tree; variables live in ``namespace``; nothing is executed as Python."""

    def __init__(self, namespace, file, limits):
        self.namespace, self.file, self.limits = namespace, file, limits
        self.bind = namespace[BIND]
        self.functions = {id(EXPORTS[name]) for name in FUNCTIONS}
        self.deadline = time.monotonic() + limits.wall_time_seconds
        self.newest = Tensor(None, line=0).id  # values made from here on are the file's
        self.operations = self.iterations = self.items = self.steps = 0
        self.scopes = []  # comprehension variables, innermost last
        self.locals, self.local_names = None, frozenset()  # a running function's variables
        self.depth = self.printed = 0
        self.returned = None

    # -- bounds ----------------------------------------------------------------------
    def _stop(self, what, field):
        raise stopped_error(what, field, self.limits, self.file)

    def _tick(self):
        if time.monotonic() > self.deadline:
            self._stop(
                f"still running after {self.limits.wall_time_seconds:g} s", "wall_time_seconds"
            )

    def _iterate(self):
        self.iterations += 1
        if self.iterations > self.limits.max_loop_iterations:
            self._stop(
                f"more than {self.limits.max_loop_iterations} loop iterations",
                "max_loop_iterations",
            )
        self._tick()

    def _visit(self, *values):
        """Count the items a comparison or a print walks (shared sublists each time, as
        Python does), against the same total as the items made: ``[b] == [f]`` of lists
        of lists is one step of the file but billions of Python's."""
        stack = list(values)
        while stack:
            value = stack.pop()
            if isinstance(value, (list, tuple)):
                self._allocate(len(value))
                stack.extend(value)

    def _allocate(self, count):
        self.items += max(count, 0)
        if self.items > self.limits.max_list_items:
            self._stop(
                f"lists of more than {self.limits.max_list_items} items in all", "max_list_items"
            )

    def _adopt(self, value, line):
        """Count the traced values the last step created, and give them the file's line.

        A step may create more than its result (``10.0 / f`` is ``10.0 * (1/f)``);
        the new values are those numbered after every value seen so far.
        """
        if not isinstance(value, Tensor) or value.id <= self.newest:
            return value
        new, stack = {}, [value]
        while stack:
            t = stack.pop()
            new[t.id] = t
            stack.extend(
                x
                for x in t.operands
                if isinstance(x, Tensor) and x.id > self.newest and x.id not in new
            )
        for t in new.values():
            t.line = line
        self.newest = value.id
        self.operations += len(new)
        if self.operations > self.limits.max_graph_nodes:
            self._stop(f"more than {self.limits.max_graph_nodes} traced values", "max_graph_nodes")
        return value

    # -- statements --------------------------------------------------------------------
    def run(self, statements):
        for statement in statements:
            try:
                self._tick()
                signal = getattr(self, f"_{type(statement).__name__}")(statement)
            except PathgradError as err:
                raise err.located(self.file, statement.lineno) from None
            except Exception as err:  # noqa: BLE001 - the file's own mistake: say where and why
                raise LoadError(
                    describe_error(err), file=self.file, line=statement.lineno
                ) from None
            if signal:
                return signal
        return None

    def _Expr(self, statement):
        self.value(statement.value)

    def _Pass(self, statement):
        return None

    def _Break(self, statement):
        return _BREAK

    def _Continue(self, statement):
        return _CONTINUE

    def _If(self, statement):
        taken = self._condition(statement.test)
        return self.run(statement.body if taken else statement.orelse)

    def _For(self, statement):
        for i in self._iterable(statement.iter):
            self._iterate()
            self._store(statement.target, i)
            signal = self.run(statement.body)
            if signal == _BREAK:
                break
            if signal == _RETURN:
                return signal
        return None

    def _FunctionDef(self, statement):
        defaults = [self.value(d) for d in statement.args.defaults]
        self._set(statement.name, _Function(statement, defaults))

    def _Return(self, statement):
        self.returned = None if statement.value is None else self.value(statement.value)
        return _RETURN

    def _Assign(self, statement):
        value = self.value(statement.value)
        for target in statement.targets:
            self._store(target, value)
        names = [
            n.id
            for t in statement.targets
            for n in ast.walk(t)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        ]
        self._bind(statement, names, is_number_expression(statement.value))

    def _AnnAssign(self, statement):
        self._store(statement.target, self.value(statement.value))
        self._bind(statement, [statement.target.id], is_number_expression(statement.value))

    def _AugAssign(self, statement):
        target = statement.target
        if isinstance(target, ast.Name):
            current = self._lookup(target.id)
            result = self._arithmetic(statement.op, current, self.value(statement.value), True)
            self._set(target.id, self._adopt(result, statement.lineno))
            self._bind(statement, [target.id], False)
            return
        container, index = self.value(target.value), self.value(target.slice)
        current = self._item(container, index)
        result = self._arithmetic(statement.op, current, self.value(statement.value), True)
        self._set_item(container, index, self._adopt(result, statement.lineno))

    def _bind(self, statement, names, leaf_ok):
        """What normal mode inserts after an assignment: ``name = bind(name, ...)``.

        In a function, a number stays a number and the name is not a candidate loss.
        """
        top = self.locals is None
        for name in names:
            bound = self.bind(name, self._lookup(name), statement.lineno, leaf_ok and top, top)
            if isinstance(bound, Tensor) and bound.id > self.newest:
                self._adopt(bound, bound.line)
            self._set(name, bound)

    def _set(self, name, value):
        """Assign a variable: the running function's own, or the file's."""
        if self.locals is not None:
            self.locals[name] = value
        else:
            self.namespace[name] = value

    def _store(self, target, value, scope=None):
        """Assign ``value`` to a target; a comprehension's variables go to its ``scope``."""
        if isinstance(target, ast.Name) and scope is not None:
            scope[target.id] = value
        elif isinstance(target, ast.Name):
            self._set(target.id, value)
        elif isinstance(target, ast.Subscript):
            self._set_item(self.value(target.value), self.value(target.slice), value)
        else:  # a tuple or list of targets
            if not isinstance(value, (list, tuple)):
                raise TypeError(f"cannot unpack non-iterable {type(value).__name__} object")
            if len(value) != len(target.elts):
                few = len(value) < len(target.elts)
                raise ValueError(
                    f"not enough values to unpack (expected {len(target.elts)}, got {len(value)})"
                    if few
                    else f"too many values to unpack (expected {len(target.elts)})"
                )
            for element, item in zip(target.elts, value):
                self._store(element, item, scope)

    def _iterable(self, node):
        """What a loop runs over: ``range(literals)``, or ``zip`` of lists (as Python's zip)."""
        if not is_zip(node):
            return range(*[literal_int(a) for a in node.args])
        lists = [self.value(a) for a in node.args]
        for each in lists:
            if not isinstance(each, (list, tuple, str)):
                raise TypeError(f"'{type(each).__name__}' object is not iterable")
        return zip(*lists)

    # -- expressions, evaluated with an explicit stack (deep expressions are fine) ---------
    def value(self, node):
        tasks, values = [node], []
        notes = traced.recorder.get()
        while tasks:
            task = tasks.pop()
            self.steps += 1
            if self.steps % 1024 == 0:
                self._tick()
            if type(task) is ast.IfExp:  # the test is a condition, then one branch
                tasks.append(task.body if self._condition(task.test) else task.orelse)
                continue
            if type(task) is ast.BoolOp:
                values.append(self._boolop(task)[0])
                continue
            if not isinstance(task, _Combine):
                children = self._children(task)
                if children is None:
                    values.append(self._atom(task))
                else:
                    tasks.append(_Combine(task, len(children)))
                    tasks.extend(reversed(children))
                continue
            node = task.node
            arguments = values[len(values) - task.count :]
            del values[len(values) - task.count :]
            before = len(notes) if notes is not None else 0
            try:
                result = getattr(self, f"_{type(node).__name__}_value")(node, *arguments)
            except PathgradError as err:
                raise err.located(self.file, node.lineno) from None
            except Exception as err:  # noqa: BLE001 - the file's own mistake
                raise LoadError(describe_error(err), file=self.file, line=node.lineno) from None
            # a comparison is noted at this line, unless the file's own function (which
            # notes each at its own line) made it
            own = type(node) is ast.Call and isinstance(arguments[0], _Function)
            if notes is not None and len(notes) > before and not own:
                notes[before:] = [(kind, node.lineno, *rest) for kind, _, *rest in notes[before:]]
            if isinstance(result, _Then):
                tasks.append(result.node)
            else:
                values.append(self._adopt(result, node.lineno))
        return values[-1]

    def _children(self, node):
        """The subexpressions to evaluate first, or ``None`` for an atom."""
        kind = type(node)
        if kind is ast.BinOp:
            return [node.left, node.right]
        if kind is ast.UnaryOp:
            return [node.operand]
        if kind is ast.Call:  # the callee first, as Python does: a missing method fails early
            return [node.func, *node.args, *(k.value for k in node.keywords)]
        if kind is ast.Attribute:  # only ever a method being called (validated)
            return [node.value]
        if kind in (ast.List, ast.Tuple):
            return node.elts
        if kind is ast.Subscript:
            return [node.value, node.slice]
        if kind is ast.Compare:
            return [node.left, node.comparators[0]]
        if kind is ast.JoinedStr:
            return [p.value for p in node.values if isinstance(p, ast.FormattedValue)]
        return None

    def _atom(self, node):
        try:
            if isinstance(node, (ast.Constant, _Known)):
                return node.value
            if isinstance(node, ast.Name):
                return self._lookup(node.id)
            return self._ListComp(node)
        except PathgradError as err:
            raise err.located(self.file, node.lineno) from None
        except Exception as err:  # noqa: BLE001
            raise LoadError(describe_error(err), file=self.file, line=node.lineno) from None

    def _lookup(self, name):
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.local_names:
            if name in self.locals:
                return self.locals[name]
            raise UnboundLocalError(_UNBOUND.format(name=name))
        if name in self.namespace:
            return self.namespace[name]
        if name == "print":
            return _PRINT
        raise NameError(f"name {name!r} is not defined", name=name)

    def _truth(self, value, line):
        """``bool(value)``; a comparison it makes is noted at ``line``."""
        notes = traced.recorder.get()
        before = len(notes) if notes is not None else 0
        try:
            result = bool(value)
        except PathgradError as err:
            raise err.located(self.file, line) from None
        if notes is not None and len(notes) > before:
            notes[before:] = [(kind, line, *rest) for kind, _, *rest in notes[before:]]
        return result

    def _boolop(self, node):
        """``a or b``, ``a and b`` as values: the value, and its truth if it was tested.

        Exactly as often as Python tests the truth of an operand (a traced value
        notes each test): before 3.12 the compiler threads the jumps, so an
        operand that is itself ``and``/``or`` passes on the truth it found; from
        3.12 on, its value is tested again.
        """

        def operand(node):
            if isinstance(node, ast.BoolOp) and _THREADED_JUMPS:
                return self._boolop(node)
            return self.value(node), None

        stop = isinstance(node.op, ast.Or)  # or: the first true operand is the value
        for each in node.values[:-1]:
            value, truth = operand(each)
            if truth is None:
                truth = self._truth(value, each.lineno)
            if truth == stop:
                return value, truth
        return operand(node.values[-1])

    def _condition(self, node):
        """The truth of a test (``if``, ``... if ... else``, a comprehension's ``if``).

        As Python compiles a test into jumps, each operand of ``and``, ``or``
        and ``not`` is tested once, and its value is not tested again.
        """
        negate = False
        while True:
            if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
                negate, node = not negate, node.operand
            elif isinstance(node, ast.IfExp):
                node = node.body if self._condition(node.test) else node.orelse
            else:
                break
        if isinstance(node, ast.BoolOp):  # any() and all() stop where Python's jumps do
            tests = (self._condition(v) for v in node.values)
            return (any(tests) if isinstance(node.op, ast.Or) else all(tests)) != negate
        return self._truth(self.value(node), node.lineno) != negate

    def _BinOp_value(self, node, left, right):
        return self._arithmetic(node.op, left, right)

    def _UnaryOp_value(self, node, operand):
        if isinstance(node.op, ast.Not):
            return not self._truth(operand, node.lineno)
        if not (isinstance(operand, Tensor) or _plain_number(operand)):
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            raise TypeError(f"bad operand type for unary {sign}: '{type(operand).__name__}'")
        return UNARY_OPERATORS[type(node.op)](operand)

    def _arithmetic(self, op, left, right, inplace=False):
        if isinstance(left, list) or isinstance(right, list):
            return self._list_arithmetic(op, left, right, inplace)
        for x in (left, right):
            if not (isinstance(x, Tensor) or _plain_number(x)):
                raise refused_error(f"arithmetic on {_kind(x)}", None, self.file)
        ints = type(left) is int and type(right) is int
        bits = self.limits.max_int_bits
        if isinstance(op, ast.Pow) and _plain_number(right):
            if abs(right) > self.limits.max_exponent:
                self._stop(f"exponent {right!r}", "max_exponent")
            if ints and right > 0 and left.bit_length() * right > bits:
                self._stop(f"a whole number of more than {bits} bits", "max_int_bits")
        if isinstance(op, ast.Mult) and ints and left.bit_length() + right.bit_length() > bits:
            self._stop(f"a whole number of more than {bits} bits", "max_int_bits")
        result = (INPLACE_OPERATORS if inplace else BINARY_OPERATORS)[type(op)](left, right)
        if type(result) is int and result.bit_length() > bits:  # + and - grow too, in a loop
            self._stop(f"a whole number of more than {bits} bits", "max_int_bits")
        if isinstance(result, complex):
            raise refused_error(
                "a complex number (a negative number to a fractional power)", None, self.file
            )
        return result

    def _list_arithmetic(self, op, left, right, inplace):
        if isinstance(op, ast.Add) and isinstance(left, list) and isinstance(right, list):
            self._allocate(len(left) + len(right))
        elif isinstance(op, ast.Mult) and isinstance(left, list) and type(right) in (int, bool):
            self._allocate(len(left) * right)
        elif isinstance(op, ast.Mult) and isinstance(right, list) and type(left) in (int, bool):
            self._allocate(len(right) * left)
        else:
            raise refused_error(f"arithmetic on {_kind(left)} and {_kind(right)}", None, self.file)
        return (INPLACE_OPERATORS if inplace else BINARY_OPERATORS)[type(op)](left, right)

    def _Compare_value(self, node, left, right):
        self._visit(left, right)
        result = COMPARE_OPERATORS[type(node.ops[0])](left, right)
        if len(node.ops) == 1 or not self._truth(result, node.lineno):
            return result
        rest = ast.Compare(_Known(right), node.ops[1:], node.comparators[1:])
        return _Then(ast.copy_location(rest, node))

    def _List_value(self, node, *items):
        self._allocate(len(items))
        return list(items)

    def _Tuple_value(self, node, *items):
        self._allocate(len(items))
        return items

    def _Subscript_value(self, node, container, index):
        return self._item(container, index)

    def _item(self, container, index):
        if not isinstance(container, (list, tuple, str)):
            raise TypeError(f"'{type(container).__name__}' object is not subscriptable")
        return container[index]

    def _set_item(self, container, index, value):
        if not isinstance(container, list):
            raise TypeError(f"'{type(container).__name__}' object does not support item assignment")
        container[index] = value

    def _JoinedStr_value(self, node, *values):
        for value in values:
            if not isinstance(value, _SCALARS):
                raise refused_error(f"an f-string of {_kind(value)}", None, self.file)
        values = iter(values)
        text = "".join(
            format(next(values), _spec(p)) if isinstance(p, ast.FormattedValue) else p.value
            for p in node.values
        )
        if len(text) > MAX_STRING:  # each f-string is new text: keep what a loop can make small
            raise refused_error(
                f"an f-string of more than {MAX_STRING} characters", None, self.file
            )
        return text

    def _Attribute_value(self, node, receiver):
        """A method of a traced value or ``append`` of a list, looked up before its arguments."""
        if (node.attr == "append" and type(receiver) is list) or (
            node.attr in METHODS and type(receiver) is Tensor
        ):
            return _Method(receiver, node.attr)
        raise AttributeError(f"'{type(receiver).__name__}' object has no attribute '{node.attr}'")

    def _Call_value(self, node, function, *arguments):
        if isinstance(function, _Method):
            if function.name == "append":
                self._allocate(1)
                function.receiver.append(arguments[0])
                return None
            return getattr(Tensor, function.name)(function.receiver)
        positional = arguments[: len(node.args)]
        keywords = dict(zip((k.arg for k in node.keywords), arguments[len(node.args) :]))
        if isinstance(function, _Function):
            return self._call(function, positional, keywords)
        if function is _PRINT:
            return self._print(positional, keywords, node.lineno)
        if id(function) not in self.functions:
            if callable(function):  # cannot happen: only pathgrad's functions are reachable
                raise refused_error(f"call to {node.func.id}()", node, self.file)
            raise TypeError(f"'{type(function).__name__}' object is not callable")
        self._visit(*positional)  # max(d, d2) of lists of lists compares them all at once
        return function(*positional, **keywords)

    def _call(self, function, positional, keywords):
        """Run the file's own function in a new frame; its result."""
        values = function.bind(positional, keywords)
        if self.depth >= self.limits.max_call_depth:
            self._stop(
                f"functions calling functions more than {self.limits.max_call_depth} "
                "deep (recursion)",
                "max_call_depth",
            )
        saved = self.locals, self.local_names, self.scopes
        self.locals, self.local_names, self.scopes = values, function.local_names, []
        self.depth += 1
        try:
            signal = self.run(function.node.body)
        finally:
            self.locals, self.local_names, self.scopes = saved
            self.depth -= 1
        result, self.returned = (self.returned if signal == _RETURN else None), None
        return result

    def _print(self, arguments, keywords, line):
        """Write as Python's print would, to standard error, bounded in bytes in all."""
        sep, end = keywords.get("sep", " "), keywords.get("end", "\n")
        for name, value in (("sep", sep), ("end", end)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{name} must be None or a string, not {type(value).__name__}")
        limit = self.limits.max_print_bytes
        if self.printed > limit:  # already cut: nothing more is written (or formatted)
            return
        self._visit(*arguments)
        text = (" " if sep is None else sep).join(str(a) for a in arguments)
        text += "\n" if end is None else end
        data = text.encode("utf-8", "replace")
        if self.printed + len(data) > limit:
            kept = data[: limit - self.printed].decode("utf-8", "ignore")
            text = (
                f"{kept}\npathgrad: {self.file}:{line}: print output cut in --safe mode "
                f"after {limit} bytes (limit: max_print_bytes = {limit})\n"
            )
        self.printed += len(data)
        sys.stdout.write(visible_lines(text))  # someone else's text: it shows, never acts

    def _ListComp(self, node):
        result, scope = [], {}
        self.scopes.append(scope)
        try:
            self._generate(node, 0, scope, result)
        finally:
            self.scopes.pop()
        return result

    def _generate(self, node, depth, scope, result):
        if depth == len(node.generators):
            self._allocate(1)
            result.append(self.value(node.elt))
            return
        generator = node.generators[depth]
        for i in self._iterable(generator.iter):
            self._iterate()
            self._store(generator.target, i, scope)
            if all(self._condition(test) for test in generator.ifs):
                self._generate(node, depth + 1, scope, result)
