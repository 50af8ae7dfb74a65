"""rrscore: lung-cancer radioresistance scores from gene expression.

Main entry point: :func:`rrscore.score` — any expression input, any gene sets, any method.
The scanpy-style interface is in :mod:`rrscore.tl` (compute into an AnnData),
:mod:`rrscore.pl` (plot) and :mod:`rrscore.get` (read results back out of an AnnData); they are
imported on first use.
"""

from rrscore import errors
from rrscore._version import __version__
from rrscore.errors import (
    GeneMatchError,
    GeneSetError,
    InputDataError,
    RRScoreError,
    RRScoreWarning,
)

#: Public names and the module that defines each. They are imported on first use, so that
#: ``import rrscore`` costs next to nothing and a program (or the ``rrscore`` command) pays
#: only for what it calls: scoring imports pandas, scipy.sparse and numba (numba itself only
#: once a kernel runs), statistics scipy.stats, lifelines and gseapy, plots matplotlib.
_LAZY_ATTRIBUTES = {
    "coverage": "rrscore._api",
    "coverage_report": "rrscore._api",
    "score": "rrscore._api",
    "score_with_dispersion": "rrscore._api",
    "GeneSet": "rrscore.genesets",
    "GeneSetCollection": "rrscore.genesets",
    "read_gmt": "rrscore.genesets",
    "write_gmt": "rrscore.genesets",
    "get_method": "rrscore.methods",
    "list_methods": "rrscore.methods",
    "RadioresistanceScorer": "rrscore.radiation",
    "assign_groups": "rrscore.radiation",
    "dose_for_gard": "rrscore.radiation",
    "gard": "rrscore.radiation",
    "radioresistance": "rrscore.radiation",
    "rsi": "rrscore.radiation",
    "compare": "rrscore.stats",
    "survival": "rrscore.stats",
    "gsea_prerank": "rrscore.stats",
}
#: Subpackages reachable as attributes (``rrscore.tl``); rrscore.report is the report
#: package, itself callable as its report() function.
_LAZY_MODULES = ("genesets", "tl", "pl", "get", "stats", "report", "radiation", "methods",
                 "expression", "ids", "ranking")


def __getattr__(name: str):
    import importlib

    if name in _LAZY_ATTRIBUTES:
        value = getattr(importlib.import_module(_LAZY_ATTRIBUTES[name]), name)
    elif name in _LAZY_MODULES:
        value = importlib.import_module(f"rrscore.{name}")
    else:
        raise AttributeError(f"module 'rrscore' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_LAZY_MODULES})


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
