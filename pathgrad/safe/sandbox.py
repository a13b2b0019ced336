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
  ``*args``/``**kwargs``, no ``global`` or ``nonlocal``, no function in a function;
* a training loop as PyTorch writes it (:mod:`~pathgrad.safe.training`): ``with
  no_grad():`` (the only ``with``, without ``as``), ``.backward()`` (and
  ``retain_graph=``), ``.grad`` and ``.data`` read and assigned, in-place updates,
  ``.detach()``, ``.retain_grad()``, ``.zero_()`` and ``.item()`` of a ``.grad``.

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
>>> validate(ast.parse("with no_grad() as f:\\n    pass\\n"), "f.py")
Traceback (most recent call last):
...
pathgrad.errors.LoadError: f.py:1: not allowed in --safe mode: with no_grad() as NAME (write with no_grad():)

The interpreter binds names exactly as normal mode does (a number assigned at
the top level becomes a leaf, a traced result takes its variable's name, the
loss is the last assigned name), so both modes give the same explanation.
Resource bounds (:class:`~pathgrad.safe.limits.Limits`) stop a file that grows
too large or runs too long, with a message naming the bound. In-process, the
interpreter checks the wall time as it runs, and memory is bounded through the
number of traced values, list items and the size of whole numbers.
:func:`~pathgrad.safe.worker.run_bounded` runs a whole job (interpreting,
explaining, rendering) in a fresh process with the wall time for the whole run
and ``memory_mib`` as its address space (``RLIMIT_AS``, POSIX):
:mod:`pathgrad.grade` checks each student file so.

This module is safe mode's door; the rooms behind it are :mod:`~pathgrad.safe.subset`
(what is allowed, as data), :mod:`~pathgrad.safe.validator`,
:mod:`~pathgrad.safe.interpreter`, :mod:`~pathgrad.safe.limits` and
:mod:`~pathgrad.safe.worker`.
"""

import sys

from pathgrad.safe.interpreter import Interpreter
from pathgrad.safe.limits import Limits, active
from pathgrad.safe.subset import refused_error
from pathgrad.safe.validator import Validator
from pathgrad.safe.worker import run_bounded

#: ``Limits`` and ``run_bounded`` live in ``limits`` and ``worker``; README names them here.
__all__ = ["Limits", "interpret", "run_bounded", "validate"]

#: Python frames the interpreter may use for one call of a file's function (measured: about
#: 10 for a call in a comprehension in a loop in a function); room is made for max_call_depth.
_FRAMES_PER_CALL = 30


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
    >>> import ast
    >>> validate(ast.parse("x = 2.0\\nfor i in range(3):\\n    x = x * x\\n"))
    >>> validate(ast.parse("while True:\\n    pass\\n"), "f.py")
    Traceback (most recent call last):
    ...
    pathgrad.errors.LoadError: f.py:1: not allowed in --safe mode: while loop
    """
    problems = Validator(tree, limits or active()).run(tree)
    if problems:
        _, node, construct = min(problems, key=lambda p: p[0])
        raise refused_error(construct, node, file)


def interpret(tree, namespace, file="<string>", limits=None):
    """Run a tree that :func:`validate` accepted, with variables in ``namespace``.

    ``namespace`` is built by the loader: the symbolic leaves, pathgrad's
    functions, and the binder under ``running.BIND``, called after every
    assignment to a plain name exactly as in normal mode, and (optional) the loop
    wrapper under ``running.LOOP`` that every loop and comprehension runs over.

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
    limits = limits or active()
    before = sys.getrecursionlimit()  # each call of the file's functions takes ~10 frames here
    sys.setrecursionlimit(before + _FRAMES_PER_CALL * limits.max_call_depth)
    try:
        Interpreter(namespace, file, limits).run(tree.body)
    finally:
        sys.setrecursionlimit(before)
