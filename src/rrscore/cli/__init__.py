"""The ``rrscore`` command line: one click group, one module per family of commands."""

from rrscore.cli import _radiation, _report, _score, _stats, _warmup  # noqa: F401 (commands)
from rrscore.cli._app import main

__all__ = ["main"]
