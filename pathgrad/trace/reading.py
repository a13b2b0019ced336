"""Reading an expression file's text: a regular file, standard input or a bundled example.

Every place that reads someone else's file goes through here: only a regular file is
opened (never a FIFO, a device or, in safe mode, a symbolic link), never more than
:data:`MAX_SOURCE_BYTES`, and the text must be UTF-8.
"""

import os
import stat
import sys
from pathlib import Path

from pathgrad.errors import LoadError

#: The bundled examples, readable by name (``pathgrad explain seed``).
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: The largest expression file read, in bytes: 1 MiB (a page of maths is a few kB).
MAX_SOURCE_BYTES = 1 << 20


def entry_problem(mode):
    """What a file system entry that is not a regular file is, from its ``lstat`` mode.

    ``None`` for a regular file. Shared by every place that reads other people's files.

    >>> import stat
    >>> entry_problem(stat.S_IFIFO), entry_problem(stat.S_IFREG)
    ('a named pipe (FIFO), not a file; not read', None)
    """
    if stat.S_ISLNK(mode):
        return "a symbolic link (not followed; copy the file itself into the folder)"
    if stat.S_ISDIR(mode):
        return "a folder, not a file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file; not read"
    return None if stat.S_ISREG(mode) else "not a regular file; not read"


def read_source(path, safe=False):
    """The text of a file, ``-`` for standard input, or a bundled example's name.

    Only a regular file is read (a FIFO or a device would hang or never end), and at
    most :data:`MAX_SOURCE_BYTES`. With ``safe`` (someone else's file), a symbolic
    link is refused too, as in a folder: nothing outside what was named is read.

    Raises
    ------
    LoadError
        No such file, not a regular file, too large, or unreadable.
    """
    if path == "-":
        data, name = sys.stdin.buffer.read(MAX_SOURCE_BYTES + 1), "<stdin>"
    else:
        file = Path(path)
        if not os.path.lexists(file) and (EXAMPLES / f"{path}.py").exists():
            file = EXAMPLES / f"{path}.py"
        data, name = read_regular(file, path, safe), path
    if len(data) > MAX_SOURCE_BYTES:
        raise LoadError(
            f"larger than {MAX_SOURCE_BYTES >> 20} MiB: not an expression file", file=name
        )
    return _decode(data, name), name


def read_regular(file, path, safe, limit=MAX_SOURCE_BYTES):
    """The bytes of ``file`` (named ``path`` in messages), at most ``limit`` + 1 of them,
    if it is a regular file: never a FIFO or a device, and with ``safe`` never through a
    symbolic link. Shared by everything that reads someone else's file."""
    try:
        mode = (os.lstat if safe else os.stat)(file).st_mode
    except OSError:
        raise LoadError(
            "no such file (bundled examples: " + ", ".join(example_names()) + ")", file=path
        ) from None
    problem = entry_problem(mode)
    if problem == entry_problem(stat.S_IFDIR):
        raise LoadError("is a directory, not an expression file", file=path)
    if problem:
        raise LoadError(f"refused: {problem}", file=path)
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (getattr(os, "O_NOFOLLOW", 0) if safe else 0)
    )
    try:  # opened without following or blocking: the entry may change after the look
        handle = os.open(file, flags)
        with os.fdopen(handle, "rb") as stream:
            if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
                raise LoadError("refused: not a regular file; not read", file=path)
            return stream.read(limit + 1)
    except OSError as err:
        raise LoadError(f"cannot read: {err.strerror}", file=path) from err


def example_names():
    return sorted(p.stem for p in EXAMPLES.glob("*.py") if not p.stem.startswith("_"))


def _decode(data, name):
    if b"\0" in data:
        raise LoadError("looks like a binary file, not Python text", file=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoadError("is not UTF-8 text; save it as UTF-8", file=name) from err
    return text.replace("\r\n", "\n").replace("\r", "\n")
