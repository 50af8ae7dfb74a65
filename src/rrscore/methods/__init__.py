"""Scoring methods and their registry (``rrscore methods`` lists them)."""

from rrscore.methods import (
    _aucell,
    _gsva,
    _mean,
    _plage,
    _score_genes,
    _singscore,
    _ssgsea,
    _ucell,
    _zscore,
)
from rrscore.methods._registry import MethodSpec, get_method, list_methods, register

register(_ssgsea.SPEC)
register(_zscore.SPEC)
register(_plage.SPEC)
register(_singscore.SPEC)
register(_mean.SPEC)
register(_ucell.SPEC)
register(_aucell.SPEC)
register(_score_genes.SPEC)
register(_gsva.SPEC)

__all__ = ["MethodSpec", "get_method", "list_methods", "register"]
