"""The method registry: one record per scoring method, looked up by lower-case name.

Adding a method is one module that defines a parameter dataclass and a ``run`` function,
and one :func:`register` call in :mod:`rrscore.methods`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError


@dataclass(frozen=True)
class MethodSpec:
    """Description of a scoring method.

    Attributes
    ----------
    name
        Lower-case method name used in ``rrscore.score(..., method=name)``.
    summary
        One line: what the score is.
    reference
        The implementation rrscore reproduces and the paper.
    params
        Frozen dataclass of the method's parameters (reference names in snake case), with
        defaults; its ``__post_init__`` validates values.
    run
        ``run(expr, aligned_sets, params, *, chunk_size, progress) -> ndarray`` with shape
        ``(n_samples, n_sets)``. It receives an :class:`~rrscore.expression.ExpressionMatrix`
        and :class:`~rrscore.genesets._matching.AlignedSets`, never files or AnnData.
    sample_independent
        Whether one sample's score is independent of the other samples (with the default
        parameters).
    signed_sets
        How the method handles sets with an up and a down part.
    removes_constant_genes
        Whether the method drops genes that are constant across samples before the sets are
        matched (GSVA 1.46's ``.filterFeatures``), so that set sizes, ``min_size`` and the
        sets scored are those of the reference.
    """

    name: str
    summary: str
    reference: str
    params: type
    run: Callable[..., np.ndarray]
    sample_independent: bool
    signed_sets: str
    removes_constant_genes: bool = False

    def make_params(self, **kwargs):
        """Validate keyword parameters into the method's parameter object."""
        fields = {f.name for f in dataclasses.fields(self.params)}
        unknown = sorted(set(kwargs) - fields)
        if unknown:
            raise RRScoreError(
                f"method {self.name!r} has no parameter(s) {unknown}; "
                f"its parameters are {sorted(fields) or 'none'}"
            )
        return self.params(**kwargs)


_REGISTRY: dict[str, MethodSpec] = {}


def register(spec: MethodSpec) -> MethodSpec:
    """Add a method to the registry (names are unique)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"method {spec.name!r} is already registered")
    _REGISTRY[spec.name] = spec
    return spec


def get_method(name: str) -> MethodSpec:
    """Look a method up by name (case-insensitive)."""
    key = str(name).lower()
    if key not in _REGISTRY:
        raise RRScoreError(f"unknown method {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    return _REGISTRY[key]


def list_methods() -> pd.DataFrame:
    """A table of the registered methods with their parameters and defaults."""
    rows = []
    for spec in _REGISTRY.values():
        params = ", ".join(
            f"{f.name}={f.default!r}" if f.default is not dataclasses.MISSING else f.name
            for f in dataclasses.fields(spec.params)
        )
        rows.append(
            {
                "method": spec.name,
                "summary": spec.summary,
                "parameters": params,
                "sample_independent": spec.sample_independent,
                "signed_sets": spec.signed_sets,
                "reference": spec.reference,
            }
        )
    return pd.DataFrame(rows)
