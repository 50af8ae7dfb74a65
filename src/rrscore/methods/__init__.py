"""Scoring methods and their registry (``rrscore methods`` lists them)."""

from rrscore.methods import ssgsea
from rrscore.methods.registry import MethodSpec, get_method, list_methods, register

register(ssgsea.SPEC)

__all__ = ["MethodSpec", "get_method", "list_methods", "register"]
