"""Writing pictures to files: atomically, and through Graphviz for PNG and PDF.

A file is written to a temporary file in the same folder, then moved into
place with ``os.replace``: a reader never sees half a file, and a failed
write leaves the old file as it was. PNG and PDF come from Graphviz's
``dot``, when it is installed; without it, the error says how to install it
(SVG and HTML never need it).

>>> format_of("slides/seed.svg"), format_of("seed.MMD")
('svg', 'mermaid')
"""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from pathgrad.errors import PathgradError

#: Output formats by file suffix.
SUFFIXES = {
    ".svg": "svg",
    ".html": "html",
    ".htm": "html",
    ".dot": "dot",
    ".gv": "dot",
    ".mmd": "mermaid",
    ".png": "png",
    ".pdf": "pdf",
}
NO_GRAPHVIZ = (
    "{kind} output needs Graphviz's `dot`, which is not installed: "
    "apt-get install graphviz (Debian, Ubuntu) or brew install graphviz (macOS); "
    "or save as .svg or .html, which need nothing"
)


def may_write(path, inputs=(), force=False):
    """Refuse to write ``path`` where that would lose what the user had.

    Never the file being read, nor a ``.py`` file inside the folder being read, even
    with ``force``: a report written over a student's file would replace it. An
    existing file only with ``force`` (``--force``).

    Raises
    ------
    PathgradError
        ``path`` is an input, is inside an input folder, or exists without ``force``.
    """
    target = Path(path).resolve()
    for given in inputs:
        source = Path(given).resolve()
        inside = (
            source.is_dir() and source in target.parents and target.suffix.lower() == ".py"
        )  # BOB.PY is bob.py on macOS and Windows
        if target == source or inside:
            raise PathgradError(
                "is what is being read (or a .py file in its folder); write the output elsewhere",
                file=str(path),
            )
    if os.path.lexists(path) and not force:
        raise PathgradError(
            "already exists; pass --force to replace it, or choose another name", file=str(path)
        )


def write_atomic(path, data):
    """Write bytes or text to ``path`` through a temporary file and ``os.replace``.

    A reader never sees a half-written file, and a failed write leaves the
    old file as it was.
    """
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        mode = path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    temporary = None
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as err:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise PathgradError(f"cannot write it: {err.strerror or err}", file=str(path)) from err
    return path


def graphviz(dot_text, kind, path=None):
    """Run Graphviz's ``dot`` on DOT text; the output as bytes (``kind``: png, pdf, svg)."""
    executable = shutil.which("dot")
    if executable is None:
        raise PathgradError(NO_GRAPHVIZ.format(kind=kind.upper()), file=path)
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")  # honoured by newer cairo versions
    try:
        result = subprocess.run(
            [executable, f"-T{kind}"],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=600,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        raise PathgradError(f"Graphviz dot did not run: {err}", file=path) from err
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise PathgradError(
            f"Graphviz dot failed: {reason[0] if reason else result.returncode}", file=path
        )
    return _fixed_dates(result.stdout) if kind == "pdf" else result.stdout


def _fixed_dates(pdf):
    """The PDF with its creation date set to 1970, byte for byte the same length.

    >>> _fixed_dates(b"<< /CreationDate (D:20261126064837Z) >>")
    b'<< /CreationDate (D:19700101000000Z) >>'
    """

    def epoch(match):
        digits = iter(b"19700101000000")
        return bytes(next(digits, ord("0")) if 48 <= c <= 57 else c for c in match.group(0))

    return re.sub(rb"(?<=/CreationDate \(D:)[^)]*", epoch, pdf)


def format_of(path):
    """The output format a file name asks for, from its suffix."""
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(sorted(set(SUFFIXES) - {".htm", ".gv"}))
        raise PathgradError(
            f"cannot tell the picture format from {Path(path).name!r}: use {known}", file=str(path)
        )
    return SUFFIXES[suffix]
