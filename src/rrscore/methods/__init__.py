"""Scoring methods and their registry (``rrscore methods`` lists them)."""

from rrscore.methods import mean, plage, singscore, ssgsea, zscore
from rrscore.methods.registry import MethodSpec, get_method, list_methods, register

register(ssgsea.SPEC)
register(zscore.SPEC)
register(plage.SPEC)
register(singscore.SPEC)
register(mean.SPEC)

__all__ = ["MethodSpec", "get_method", "list_methods", "register"]
