"""rrscore: lung-cancer radioresistance scores from gene expression.

Main entry point: :func:`rrscore.score` — any expression input, any gene sets, any method.
"""

from rrscore import genesets
from rrscore._api import coverage, coverage_report, prepare, score
from rrscore.errors import GeneMatchError, GeneSetError, InputDataError, RRScoreError
from rrscore.expression._adapters import as_expression
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets import GeneSet, GeneSetCollection, read_gmt, write_gmt
from rrscore.methods import get_method, list_methods
from rrscore.radiation import (
    RadioresistanceScorer,
    assign_groups,
    dose_for_gard,
    gard,
    radioresistance,
    rsi,
)

__version__ = "0.1.0.dev0"


def __getattr__(name: str):
    # rrscore.tl / rrscore.pl (scanpy-style interface) on first use: pl imports
    # matplotlib and scanpy, which plain scoring does not need.
    if name in ("tl", "pl"):
        import importlib

        return importlib.import_module(f"rrscore.{name}")
    raise AttributeError(f"module 'rrscore' has no attribute {name!r}")


__all__ = [
    "ExpressionMatrix",
    "GeneMatchError",
    "GeneSet",
    "GeneSetCollection",
    "GeneSetError",
    "InputDataError",
    "RRScoreError",
    "RadioresistanceScorer",
    "__version__",
    "as_expression",
    "assign_groups",
    "coverage",
    "coverage_report",
    "dose_for_gard",
    "gard",
    "genesets",
    "get_method",
    "list_methods",
    "prepare",
    "radioresistance",
    "read_gmt",
    "rsi",
    "score",
    "write_gmt",
]
