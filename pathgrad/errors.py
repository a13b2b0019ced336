"""One small error hierarchy; every message a user sees comes from here.

>>> str(PathgradError("log of a non-positive number", file="f.py", line=3))
'f.py:3: log of a non-positive number'
>>> str(PathgradError("no such file", file="g.py"))
'g.py: no such file'
"""


class PathgradError(Exception):
    """A problem with the user's input: reported in one line, exit status 2."""

    exit_status = 2

    def __init__(self, message, file=None, line=None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.line = line

    def located(self, file, line=None):
        """Fill in where the problem is, unless it is already known."""
        self.file = self.file or file
        self.line = self.line or line
        return self

    def __str__(self):
        where = ":".join(str(part) for part in (self.file, self.line) if part is not None)
        return f"{where}: {self.message}" if where else self.message


class TraceError(PathgradError):
    """A traced value was used in a way that would drop it from the graph."""


class ShapeError(TraceError):
    """Tensors whose shapes do not fit the operation; worded as PyTorch words it."""


class LoadError(PathgradError):
    """The expression file cannot be read or run."""


class Disagreement(PathgradError):
    """pathgrad's number is not PyTorch's (``--check torch``): a bug in pathgrad, exit status 1."""

    exit_status = 1


class NameNotFound(PathgradError):
    """A ``--loss`` or ``--wrt`` name that the graph does not have."""


class Stopped(LoadError):
    """A bound of safe mode stopped the file: ``kind`` is "time", "memory" or "limit".

    "limit" is one of Python's own limits, reached from a legal file: the
    recursion limit, or the digits Python prints of a whole number."""

    def __init__(self, message, kind="limit", file=None, line=None):
        super().__init__(message, file=file, line=line)
        self.kind = kind


class AnswerError(PathgradError):
    """An answer that cannot be read (syntax, unknown names, numbers too large)."""
