"""Combined z-score (Lee et al. 2008) exactly as R GSVA 1.46 ``gsva(method="zscore")``.

1. Genes whose standard deviation across samples is below ``1e-10`` are removed (GSVA
   ``.filterFeatures``); rrscore removes them from the sets and warns, naming them.
2. Every gene is standardised across samples: ``Z = (x - mean) / sd`` (sd with ``n - 1``,
   R's ``t(scale(t(X)))``).
3. ``ES = Σ_{g∈set} Z_g / sqrt(k)`` per sample, ``k`` the number of (non-constant) set genes.

Scores depend on the other samples (through the per-gene mean and sd).

Signed sets (GSVA has none): ``ES = (Σ_up Z - Σ_down Z) / sqrt(k_up + k_down)``, the
combined z-score of the set with its down genes' z-scores negated. Constant genes are
left out of the sets before the size filter, as GSVA does, so a set of only constant genes
is not scored and ``min_size``/``max_size`` count the genes that are scored.
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
class ZscoreParams:
    """The combined z-score has no parameters."""


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: ZscoreParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Combined z-scores of all sets, ``(n_samples, n_sets)``.

    One pass of the membership product over the standardised data
    (:func:`~rrscore.methods._set_sums.standardised_set_scores`): both parts' sums at once,
    the matrix never standardised as a whole.
    """
    scaling = gene_scaling(expr)
    sets = drop_constant_genes(sets, scaling, expr.genes, "zscore")
    return standardised_set_scores(expr.values, scaling.mean, scaling.sd, sets, "zscore",
                                   chunk_size=chunk_size, progress=progress, desc="zscore")


SPEC = MethodSpec(
    name="zscore",
    summary="combined z-score: sum of per-gene z-scores over the set / sqrt(set size)",
    reference="R GSVA 1.46 gsva(method='zscore'); Lee et al. PLoS Comput Biol 2008",
    params=ZscoreParams,
    run=run,
    sample_independent=False,
    signed_sets="(Σ z(up) - Σ z(down)) / sqrt(k_up + k_down)",
    read_mode=ReadMode("memory", "it standardises every gene over all samples"),
    excluded_genes=constant_genes,
    input_scale=STANDARDISED_SCALE,
)
