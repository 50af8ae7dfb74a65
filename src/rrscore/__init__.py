"""rrscore: lung-cancer radioresistance scores from gene expression.

Main entry point: :func:`rrscore.score` — any expression input, any gene sets, any method.
The scanpy-style interface is in :mod:`rrscore.tl` (compute into an AnnData),
:mod:`rrscore.pl` (plot) and :mod:`rrscore.get` (read results back out of an AnnData); they are
imported on first use.
"""

from rrscore import errors, genesets
from rrscore._api import coverage, coverage_report, score, score_with_dispersion
from rrscore._version import __version__
from rrscore.errors import (
    GeneMatchError,
    GeneSetError,
    InputDataError,
    RRScoreError,
    RRScoreWarning,
)
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

_LAZY_MODULES = ("tl", "pl", "get", "stats", "report")
#: Public functions defined in a lazily imported module (statistics load scipy.stats,
#: lifelines and gseapy parts that plain scoring does not need).
_LAZY_FUNCTIONS = {"compare": "stats", "survival": "stats", "gsea_prerank": "stats"}


def __getattr__(name: str):
    # rrscore.tl / pl / get / stats / report on first use: pl imports matplotlib and scanpy,
    # stats scipy.stats and lifelines, which plain scoring does not need. rrscore.report is
    # the report package, itself callable as its report() function.
    import importlib

    if name in _LAZY_FUNCTIONS:
        return getattr(importlib.import_module(f"rrscore.{_LAZY_FUNCTIONS[name]}"), name)
    if name in _LAZY_MODULES:
        return importlib.import_module(f"rrscore.{name}")
    raise AttributeError(f"module 'rrscore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*__all__, *_LAZY_MODULES})


__all__ = [
    "GeneMatchError",
    "GeneSet",
    "GeneSetCollection",
    "GeneSetError",
    "InputDataError",
    "RRScoreError",
    "RRScoreWarning",
    "RadioresistanceScorer",
    "__version__",
    "assign_groups",
    "compare",
    "coverage",
    "coverage_report",
    "dose_for_gard",
    "errors",
    "gard",
    "genesets",
    "get_method",
    "gsea_prerank",
    "list_methods",
    "radioresistance",
    "read_gmt",
    "rsi",
    "score",
    "score_with_dispersion",
    "survival",
    "write_gmt",
]
