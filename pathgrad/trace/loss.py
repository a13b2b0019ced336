"""Choosing the loss of a file that has run: the name given, or the one the file means.

Without ``--loss``, the loss is the value the file called ``backward()`` on, or else a
computed value named ``loss`` or ``L``, or else the last assigned name that is not
bookkeeping (a weight updated in place, a value computed under ``no_grad()``, a plain
number). Whichever it is must be a traced computation; a note says so when it is not the
last name assigned.
"""

from pathgrad.errors import LoadError, NameNotFound
from pathgrad.trace.elements import Elements
from pathgrad.trace.traced import Tensor


def choose_loss(program, loss):
    """The name of ``program``'s loss: ``loss`` if given, else the one the file means.

    Raises
    ------
    NameNotFound
        ``loss`` names no variable of the file.
    LoadError
        Nothing is assigned, or the chosen name is gone, not traced, or a leaf.
    """
    if loss is not None:
        name, line = _given_loss(program, loss)
    elif program.assigned:
        name, line = _default_loss(program)
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
    if isinstance(value, Elements):
        raise LoadError(
            f"{how} {name} is a tensor of shape {list(value.shape)}, not one number; "
            f"reduce it (e.g. L = {name}.sum() or {name}.mean()) or choose another with --loss",
            file=program.file,
            line=line,
        )
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


def _given_loss(program, loss):
    """``--loss NAME``: the name, and the line it was last assigned at (or ``None``)."""
    if loss not in program.namespace:
        names = ", ".join(sorted(n for n, v in program.namespace.items() if isinstance(v, Tensor)))
        raise NameNotFound(
            f"--loss {loss}: no variable named {loss} (traced: {names})", file=program.file
        )
    return loss, next((n_line for n, n_line in reversed(program.assigned) if n == loss), None)


#: Names a reader takes for the loss when the file calls no backward().
LOSS_NAMES = ("loss", "L")


def _default_loss(program):
    """The name the file means as its loss, and its line; a note when that is not the last.

    In order: the value the file called backward() on; else a computed value named
    ``loss`` or ``L`` (its last version); else the last computed name. A training loop
    ends with bookkeeping — weights updated in place, a learning rate or a momentum buffer
    computed under no_grad(), plain numbers — and none of them is a loss.
    """
    called = [
        (n, n_line)
        for n, n_line in program.assigned
        if getattr(program.namespace.get(n), "backward_calls", 0)
    ]
    computed = [
        (n, n_line) for n, n_line in program.assigned if not _bookkeeping(program.namespace.get(n))
    ]
    named = [(n, n_line) for n, n_line in computed if n in LOSS_NAMES and _computed(program, n)]
    name, line = (called or named or computed or program.assigned)[-1]
    last = (computed or program.assigned)[-1][0]
    if name != last:
        why = "called backward() on" if called else "named " + name
        program.notes.append(("loss", line, name, (last, why)))
    return name, line


def _computed(program, name):
    value = program.namespace.get(name)
    return isinstance(value, Tensor) and not value.is_leaf


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
