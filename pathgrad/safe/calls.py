"""Calls in safe mode: the file's own functions, methods of traced values, and ``print``.

:class:`FileFunction` is a ``def`` of the file, its parameters bound as CPython binds
them (with CPython's messages for a wrong call); :class:`Calls` is the part of the
:class:`~pathgrad.safe.interpreter.Interpreter` that looks up a method, calls a
function and writes what ``print`` says, bounded in bytes.
"""

import ast
import sys
from dataclasses import dataclass

from pathgrad.escaping import visible_lines
from pathgrad.safe.subset import ATTRIBUTES, TENSOR_ATTRIBUTES, refused_error


@dataclass
class _Method:
    """``receiver.name``, looked up and about to be called."""

    receiver: object
    name: str


class FileFunction:
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
            raise TypeError(self._too_many(len(positional)))
        first_default = len(parameters) - len(self.defaults)
        for i, parameter in enumerate(parameters[first_default:]):
            values.setdefault(parameter, self.defaults[i])
        missing = [p for p in parameters if p not in values]
        if missing:
            raise TypeError(self._missing(missing))
        return values

    def _too_many(self, given):
        """CPython's message for ``given`` positional arguments, more than it takes."""
        parameters = self.parameters
        least = len(parameters) - len(self.defaults)
        takes = (
            f"from {least} to {len(parameters)}"
            if least < len(parameters)
            else str(len(parameters))
        )
        return (
            f"{self.name}() takes {takes} positional argument"
            f"{'' if takes == '1' else 's'} but {given} "
            f"{'was' if given == 1 else 'were'} given"
        )

    def _missing(self, missing):
        """CPython's message for required parameters not given: ``'a', 'b', and 'c'``."""
        quoted = [f"'{p}'" for p in missing]
        listed = (
            quoted[0]
            if len(quoted) == 1
            else " and ".join(quoted)
            if len(quoted) == 2
            else ", ".join(quoted[:-1]) + ", and " + quoted[-1]
        )
        return (
            f"{self.name}() missing {len(missing)} required positional argument"
            f"{'' if len(missing) == 1 else 's'}: {listed}"
        )


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
    """Python's ``print``, as the file calls it; written out by :meth:`Calls._print`."""

    def __repr__(self):
        return "<built-in function print>"


#: The file's ``print``: a name the interpreter resolves, never Python's own function.
PRINT = _Print()


class Calls:
    """Mixed into the interpreter: attribute lookups and calls.

    Uses the interpreter's counters (``_allocate``, ``_visit``), its ``_call``, which
    runs a :class:`FileFunction`'s body, and what :mod:`~pathgrad.safe.training` says a
    value has (``_attribute``, ``_method``, ``_method_call``).
    """

    def _Attribute_value(self, node, receiver):
        """``w.grad`` or ``w.data`` read, or a method looked up before its arguments
        (validated: an attribute is never called, a method never read)."""
        if node.attr in ATTRIBUTES or node.attr in TENSOR_ATTRIBUTES:
            return self._attribute(receiver, node.attr)
        return _Method(receiver, self._method(receiver, node.attr))

    def _Call_value(self, node, function, *arguments):
        positional = arguments[: len(node.args)]
        keywords = dict(zip((k.arg for k in node.keywords), arguments[len(node.args) :]))
        if isinstance(function, _Method):
            if function.name == "append" and type(function.receiver) is list:
                self._allocate(1)
            return self._method_call(function.receiver, function.name, positional, keywords)
        if isinstance(function, FileFunction):
            return self._call(function, positional, keywords)
        if function is PRINT:
            return self._print(positional, keywords, node.lineno)
        if id(function) not in self.functions:
            if callable(function):  # cannot happen: only pathgrad's functions are reachable
                raise refused_error(f"call to {node.func.id}()", node, self.file)
            raise TypeError(f"'{type(function).__name__}' object is not callable")
        self._visit(*positional)  # max(d, d2) of lists of lists compares them all at once
        return function(*positional, **keywords)

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
