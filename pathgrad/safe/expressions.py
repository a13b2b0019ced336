"""Expressions in safe mode, evaluated with an explicit stack (deep expressions are fine).

:class:`Expressions` is the part of the :class:`~pathgrad.safe.interpreter.Interpreter`
that computes values: a task stack in :meth:`Expressions.value`, one ``_<Node>_value``
method per kind of node, tests of truth noted at the file's line, arithmetic checked
against the bounds before it runs, and list comprehensions.
"""

import ast
import sys
from dataclasses import dataclass

from pathgrad.errors import LoadError, PathgradError
from pathgrad.safe.calls import PRINT, FileFunction
from pathgrad.safe.subset import (
    BINARY_OPERATORS,
    COMPARE_OPERATORS,
    INPLACE_OPERATORS,
    MAX_STRING,
    UNARY_OPERATORS,
    checked_format_spec,
    refused_error,
)
from pathgrad.trace.concrete import recorder
from pathgrad.trace.elements import Elements
from pathgrad.trace.running import describe_error, loop_targets
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


#: Whether CPython's compiler threads the jumps of nested ``and``/``or`` (before 3.12).
_THREADED_JUMPS = sys.version_info < (3, 12)
_SCALARS = (int, float, str, type(None), Tensor)
_UNBOUND = (
    "cannot access local variable '{name}' where it is not associated with a value"
    if sys.version_info >= (3, 11)
    else "local variable '{name}' referenced before assignment"
)


#: Operators as Python's TypeError names them.
_SYMBOLS = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "** or pow()",
}


def _spec(part):
    """An f-string part's format specification (validated: literal and small)."""
    return "" if part.format_spec is None else checked_format_spec(part.format_spec)


def _plain_number(x):
    return isinstance(x, (int, float)) and not isinstance(x, Tensor)


def _kind(x):
    return "None" if x is None else f"a {type(x).__name__}"


class Expressions:
    """Mixed into the interpreter: values of expressions, tests and comprehensions.

    Uses the interpreter's counters (``_tick``, ``_iterate``, ``_allocate``,
    ``_visit``, ``_adopt``, ``_stop``), its loop wrapper (``loop``) and ``_store`` and
    ``_iterable`` of its statements.
    """

    # -- expressions, evaluated with an explicit stack (deep expressions are fine) ---------
    def value(self, node):
        tasks, values = [node], []
        notes = recorder.get()
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
            own = type(node) is ast.Call and isinstance(arguments[0], FileFunction)
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
        if kind is ast.Slice:  # W[:, 0] (validated: no step)
            return [node.lower or _Known(None), node.upper or _Known(None)]
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
            return PRINT
        raise NameError(f"name {name!r} is not defined", name=name)

    def _truth(self, value, line):
        """``bool(value)``; a comparison it makes is noted at ``line``."""
        notes = recorder.get()
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
        if not (isinstance(operand, (Tensor, Elements)) or _plain_number(operand)):
            sign = "-" if isinstance(node.op, ast.USub) else "+"
            raise TypeError(f"bad operand type for unary {sign}: '{type(operand).__name__}'")
        return UNARY_OPERATORS[type(node.op)](operand)

    def _arithmetic(self, op, left, right, inplace=False):
        if isinstance(left, list) or isinstance(right, list):
            return self._list_arithmetic(op, left, right, inplace)
        numbers = [x is None or isinstance(x, Tensor) or _plain_number(x) for x in (left, right)]
        if all(numbers) and (left is None or right is None):  # w.grad before any backward()
            symbol = _SYMBOLS[type(op)] + ("=" if inplace else "")
            raise TypeError(
                f"unsupported operand type(s) for {symbol}: "
                f"'{type(left).__name__}' and '{type(right).__name__}'"
            )
        for x in (left, right):
            if not (isinstance(x, (Tensor, Elements)) or _plain_number(x)):
                raise refused_error(f"arithmetic on {_kind(x)}", None, self.file)
        if isinstance(op, ast.MatMult) and not (
            isinstance(left, Elements) or isinstance(right, Elements)
        ):
            raise refused_error("operator @", None, self.file)  # of numbers: tensors only
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

    def _Slice_value(self, node, lower, upper):
        return slice(lower, upper)

    def _item(self, container, index):
        if isinstance(container, Elements):  # W[0, 1], W[1], W[:, 0]
            return container[index]
        if not isinstance(container, (list, tuple, str)):
            raise TypeError(f"'{type(container).__name__}' object is not subscriptable")
        if isinstance(index, slice) or (
            isinstance(index, tuple) and any(isinstance(i, slice) for i in index)
        ):
            raise refused_error("slice", None, self.file)
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
        for i in self.loop(self._iterable(generator.iter), loop_targets(generator.target)):
            self._iterate()
            self._store(generator.target, i, scope)
            if all(self._condition(test) for test in generator.ifs):
                self._generate(node, depth + 1, scope, result)
