"""Scoring methods and their registry (``rrscore methods`` lists them)."""

from rrscore.methods import aucell, gsva, mean, plage, score_genes, singscore, ssgsea, ucell, zscore
from rrscore.methods.registry import MethodSpec, get_method, list_methods, register

register(ssgsea.SPEC)
register(zscore.SPEC)
register(plage.SPEC)
register(singscore.SPEC)
register(mean.SPEC)
register(ucell.SPEC)
register(aucell.SPEC)
register(score_genes.SPEC)
register(gsva.SPEC)

__all__ = ["MethodSpec", "get_method", "list_methods", "register"]
