"""Statements in safe mode: each kind of statement the subset allows, run by the interpreter.

:class:`Statements` is the part of the :class:`~pathgrad.safe.interpreter.Interpreter`
that runs statements: assignments (bound as normal mode binds them), ``if``, ``for``,
``def`` and ``return``, and a call of the file's own function in a new frame
(``with no_grad():`` is :mod:`~pathgrad.safe.training`'s).
"""

import ast

from pathgrad.errors import LoadError, PathgradError
from pathgrad.safe.calls import FileFunction
from pathgrad.safe.subset import is_zip, literal_int
from pathgrad.trace.elements import Elements
from pathgrad.trace.running import describe_error, is_number_expression, loop_targets
from pathgrad.trace.traced import Tensor

#: How a block ends early: the signal ``run`` passes up.
_BREAK, _CONTINUE, _RETURN = "break", "continue", "return"


class Statements:
    """Mixed into the interpreter: one method per kind of statement, named after it.

    Uses the interpreter's counters (``_tick``, ``_iterate``, ``_adopt``), its loop
    wrapper (``loop``, so that a value named in a loop knows its iteration), its
    expressions (``value``, ``_condition``, ``_arithmetic``, ``_lookup``, ``_item``, ``_set_item``)
    and its training part (``_attribute``, ``_set_attribute``, ``_in_place``).
    """

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
        for i in self.loop(self._iterable(statement.iter), loop_targets(statement.target)):
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
        self._set(statement.name, FileFunction(statement, defaults))

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
        """``w -= lr * w.grad``: in place on a leaf under ``no_grad()`` (as Python calls
        ``__isub__``), else a new value; on a name, a list item or ``w.data``/``w.grad``."""
        target, line = statement.target, statement.lineno
        if isinstance(target, ast.Attribute):  # w.data -= ...: read, compute, assign
            receiver = self.value(target.value)
            current = self._attribute(receiver, target.attr)
            result = self._arithmetic(statement.op, current, self.value(statement.value), True)
            self._set_attribute(receiver, target.attr, result, line)
            return
        if isinstance(target, ast.Name):
            current = self._lookup(target.id)
        else:
            container, index = self.value(target.value), self.value(target.slice)
            current = self._item(container, index)
        operand = self.value(statement.value)
        result = self._in_place(
            current, line, lambda: self._arithmetic(statement.op, current, operand, True)
        )
        if isinstance(target, ast.Name):
            self._set(target.id, self._adopt(result, line))
            self._bind(statement, [target.id], False)
        else:
            self._set_item(container, index, self._adopt(result, line))

    def _bind(self, statement, names, leaf_ok):
        """What normal mode inserts after an assignment: ``name = bind(name, ...)``.

        In a function, a number stays a number and the name is not a candidate loss.
        """
        top = self.locals is None
        for name in names:
            try:
                bound = self.bind(name, self._lookup(name), statement.lineno, leaf_ok and top, top)
            except PathgradError as err:  # a list that is no tensor (ragged, > 2-D)
                raise err.located(self.file, statement.lineno) from None
            if isinstance(bound, Elements) and bound.is_leaf:
                self._adopt(bound, statement.lineno)
            elif isinstance(bound, Tensor) and bound.id > self.newest:
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
        elif isinstance(target, ast.Attribute):  # w.grad = None (validated: .grad or .data)
            self._set_attribute(self.value(target.value), target.attr, value, target.lineno)
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
        lists = [list(x) if isinstance(x, Elements) else x for x in lists]  # zip(W, x) too
        for each in lists:
            if not isinstance(each, (list, tuple, str)):
                raise TypeError(f"'{type(each).__name__}' object is not iterable")
        return zip(*lists)

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
