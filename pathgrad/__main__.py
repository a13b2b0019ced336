"""``python -m pathgrad`` runs the command line.

``python -m`` puts the current folder first on ``sys.path``, so a student's
``argparse.py`` beside the files being graded would be imported in its place. It is
taken off before anything else is imported. (A folder named ``pathgrad`` in the
current folder is imported before this file can run: for other people's folders, use
the ``pathgrad`` command, or ``python -I -m pathgrad``.)
"""

import os
import sys

sys.path[:] = [p for p in sys.path if p not in ("", os.getcwd())]

from pathgrad.cli import entry  # noqa: E402 - after the current folder is off the path

entry()
