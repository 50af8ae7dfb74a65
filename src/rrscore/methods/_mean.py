"""Mean of standardised expression: the simplest gene-set score, a baseline.

Every gene is standardised across samples (``Z = (x - mean) / sd``, sd with ``n - 1``,
genes with sd below ``1e-10`` left out of the sets, with a warning — the same
standardisation as rrscore's ``zscore`` and ``plage``), and a set's score in a sample is
the mean of its genes' z-scores:

* unsigned set: ``mean_{g∈set} Z_g`` (= the combined z-score × ``sqrt(k) / k``);
* signed set: ``mean_{g∈up} Z_g - mean_{g∈down} Z_g`` (a part with no gene contributes 0).

There is no reference implementation to match; the definition is tested against a plain
pandas computation. Scores depend on the other samples (through the per-gene mean and sd).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._registry import MethodSpec, ReadMode
from rrscore.methods._set_sums import standardised_set_scores
from rrscore.methods._standardize import (
    STANDARDISED_SCALE,
    constant_genes,
    drop_constant_genes,
    gene_scaling,
)


@dataclass(frozen=True)
class MeanParams:
    """The mean score has no parameters."""


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: MeanParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Mean z-score of every set (up minus down for signed sets), ``(n_samples, n_sets)``.

    One pass of the membership product over the standardised data
    (:func:`~rrscore.methods._set_sums.standardised_set_scores`): both parts' sums at once,
    the matrix never standardised as a whole.
    """
    scaling = gene_scaling(expr)
    sets = drop_constant_genes(sets, scaling, expr.genes, "mean")
    return standardised_set_scores(expr.values, scaling.mean, scaling.sd, sets, "mean",
                                   chunk_size=chunk_size, progress=progress, desc="mean")


SPEC = MethodSpec(
    name="mean",
    summary="mean of the set genes' z-scores (genes standardised across samples)",
    reference="baseline, no reference implementation (standardisation as R GSVA 1.46 zscore)",
    params=MeanParams,
    run=run,
    sample_independent=False,
    signed_sets="mean z(up) - mean z(down)",
    read_mode=ReadMode("memory", "it standardises every gene over all samples"),
    excluded_genes=constant_genes,
    input_scale=STANDARDISED_SCALE,
)
