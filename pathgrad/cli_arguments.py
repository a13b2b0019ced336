"""The kinds of value the command line reads: names, counts, a picture's direction.

Each is an ``argparse`` type: it returns the value, or raises ``ArgumentTypeError`` with
what to write instead, which argparse prints on one line (exit status 2).
"""

import argparse
import re
import unicodedata

#: ``--direction`` of a picture: Graphviz's names, or auto.
DIRECTIONS = ("LR", "TB", "auto")


def name(text):
    """A name as Python reads it (NFKC: a fullwidth ｗ1 is w1), as leaf and variable names are."""
    return unicodedata.normalize("NFKC", text.strip())


def names(text):
    """Names separated by commas; a comma inside brackets is an element's (``W[0,1],b``)."""
    names = [name(n) for n in re.split(r",(?![^\[]*\])", text) if n.strip()]
    if not names:
        raise argparse.ArgumentTypeError("give one or more leaf names, e.g. --wrt w1,w2")
    return names


def direction(text):
    """A direction in any case: ``tb`` is TB, ``AUTO`` is auto."""
    return {d.lower(): d for d in DIRECTIONS}.get(text.strip().lower(), text)


def count(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return n


#: ``graph --level``: which graph to draw.
LEVEL = dict(
    choices=("auto", "scalar", "tensor"),
    default="auto",
    help="scalar: one node per number, every path real; tensor: one node per tensor "
    "operation with its shape, each edge labelled with its vector-Jacobian product (δ·xᵀ); "
    "auto: tensor for a file with tensors and no --wrt (default: auto)",
)


def paths(text):
    """``--paths``: auto, all (any case), or how many of the largest paths to show.

    >>> paths("ALL"), paths("auto"), paths("3")
    ('all', 'auto', 3)
    """
    word = text.strip().lower()
    if word in ("auto", "all"):
        return word
    try:
        return count(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give auto, all, or how many of the largest paths to show"
        ) from None
