"""``python -m pathgrad`` runs the command line."""

from pathgrad.cli import entry

entry()
