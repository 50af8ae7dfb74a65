"""ssGSEA (Barbie et al. 2009) exactly as R GSVA 1.46 ``gsva(method="ssgsea")`` computes it.

Per sample (GSVA ``R/ssgsea.R``):

1. ascending ranks with ties averaged, then **truncated to integers** (GSVA's
   ``mode(R) <- "integer"``), ``w_g = R_g ** alpha``;
2. genes ordered by decreasing expression, ties in row order; ``p_g`` = 1-based position;
3. ``ES = Σ w_i (n - p_i + 1) / Σ w_i - (n(n+1)/2 - Σ (n - p_i + 1)) / (n - k)``, the *sum*
   of the running-sum difference over all positions;
4. with ``normalize=True``, every score is divided by the range (max - min) of the whole
   samples × sets output, so scores depend on the other samples and sets (GSVA #101, #221).
   ``normalize=False`` gives scores of one sample that depend on nothing else.

Deliberate deviations, documented: duplicated genes in a set are removed when the set is
read (GSVA ≤ 2.0 counted them twice, GSVA ≥ 2.2 removes them); a signed set is scored
``ES(up) - ES(down)`` before normalisation (GSVA has no signed sets).

How it is computed (:mod:`rrscore.methods._ssgsea_walk`): each sample is ranked once; every
set gene's weight and position term are computed once per sample (the power from a table of
``i ** alpha``, ranks being integers) and shared by all sets. Sparse input (cells) is
ranked from each cell's stored values: its zeros are one tie block (as
``colRanks`` ranks a ``dgCMatrix``), whose ranks and stable positions are counted, never
densified or scanned. Dense and sparse input give the same bits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rrscore._numba import kernel_over_rows
from rrscore.errors import MethodWarning, RRScoreError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._cells import DEFAULT_CELL_CHUNK, cell_blocks
from rrscore.methods._chunks import DEFAULT_CHUNK_SIZE, flatten_sets
from rrscore.methods._registry import MethodSpec, ReadMode, ScaleRule
from rrscore.methods._ssgsea_walk import dense_scores, sparse_scores, weight_table
from rrscore.ranking._common import row_arrays
from rrscore.ranking._ordered_ties import dense_equal_after, slots_below
from rrscore.ranking._selected import selected_counts


@dataclass(frozen=True)
class SsgseaParams:
    """Parameters of ssGSEA.

    Parameters
    ----------
    alpha
        Exponent of the rank weights (GSVA ``tau``/``alpha``, default 0.25).
    normalize
        Divide by the range of the whole output (GSVA ``ssgsea.norm``/``normalize``).
    """

    alpha: float = 0.25
    normalize: bool = True

    def __post_init__(self) -> None:
        if not np.isfinite(self.alpha) or self.alpha < 0:
            raise RRScoreError(f"alpha must be a finite number >= 0, got {self.alpha}")
        if not isinstance(self.normalize, (bool, np.bool_)):
            raise RRScoreError(f"normalize must be True or False, got {self.normalize!r}")


def _set_slots(sets: AlignedSets, n_genes: int):
    """The distinct set genes (ascending) as slots, a gene → slot look-up, and each part's
    members as slots in CSR form: ``(slot_of, slot_genes, up_ptr, up, dn_ptr, dn)``."""
    up_ptr, up_idx = flatten_sets(sets, "up")
    dn_ptr, dn_idx = flatten_sets(sets, "down")
    slot_genes, inverse = np.unique(np.concatenate([up_idx, dn_idx]), return_inverse=True)
    slot_of = np.full(n_genes, -1, dtype=np.int64)
    slot_of[slot_genes] = np.arange(len(slot_genes), dtype=np.int64)
    inverse = inverse.astype(np.int64)
    return (slot_of, slot_genes.astype(np.int64), up_ptr, inverse[: len(up_idx)], dn_ptr,
            inverse[len(up_idx):])


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: SsgseaParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Score all sets on all samples; rank each sample once, in chunks of samples.

    Dense input is ranked a chunk of samples at a time (one sort per sample); sparse input
    (in memory or backed) a block of CSR cells at a time, from each cell's stored values,
    never densified.
    """
    n_samples, n = expr.shape
    slot_of, slot_genes, up_ptr, up_idx, dn_ptr, dn_idx = _set_slots(sets, n)
    table = weight_table(n, float(params.alpha))
    out = np.empty((n_samples, len(sets)))
    sparse = expr.is_sparse_storage
    size = chunk_size or (DEFAULT_CELL_CHUNK if sparse else DEFAULT_CHUNK_SIZE)
    below = slots_below(slot_genes, n) if sparse else None
    for start, stop, block in cell_blocks(expr, size, progress=progress, desc="ssgsea"):
        part = out[start:stop]
        if sp.issparse(block):
            data, indices, indptr, shared, _ = row_arrays(block)
            if below is None:  # a CSR block of input not flagged as sparse storage
                below = slots_below(slot_genes, n)
            kernel_over_rows(sparse_scores, stop - start, data, indices, indptr, shared, n,
                             slot_of, slot_genes, below, table, up_ptr, up_idx, dn_ptr, dn_idx,
                             part)
        else:
            block = np.ascontiguousarray(block, dtype=np.float64)
            lt, not_above, _ = selected_counts(block, slot_genes)
            eq = not_above - lt
            # equal values at later columns matter only where a set gene ties with another
            # gene (rare in continuous data): those rows alone are scanned for them
            eq_after = (dense_equal_after(block, slot_genes, lt, not_above) if (eq > 1).any()
                        else np.zeros_like(eq))
            kernel_over_rows(dense_scores, stop - start, lt, eq, eq_after, n, table, up_ptr,
                             up_idx, dn_ptr, dn_idx, part)
    whole = whole_panel_sets(sets, n)
    if whole.any():
        # a part holding every gene has no gene outside it: the walk's miss step is 0/0 (R
        # GSVA gives NaN too); say so rather than leave an unexplained NaN column
        out[:, whole] = np.nan
        warn(f"ssgsea: {int(whole.sum())} set(s) hold every gene of the data, so there is no "
             "gene outside them to compare with; scored NaN: "
             + ", ".join(s.name for s, w in zip(sets, whole, strict=True) if w), MethodWarning)
    if params.normalize:
        finite = out[np.isfinite(out)]
        span = float(finite.max() - finite.min()) if finite.size else np.nan
        if not np.isfinite(span) or span == 0.0:
            raise RRScoreError(
                "ssGSEA normalisation divides by the range of all scores, which is 0 here "
                f"({out.shape[0]} samples × {out.shape[1]} sets); use normalize=False"
            )
        out /= span
    return out


def whole_panel_sets(sets: AlignedSets, n_genes: int) -> np.ndarray:
    """Mask of sets with an up or down part holding all ``n_genes`` genes of the data."""
    return np.array([len(s.up) == n_genes or len(s.down) == n_genes for s in sets],
                    dtype=bool)


def _sample_independent(params: SsgseaParams) -> bool:
    # the range normalisation divides by the range of the whole samples × sets output
    return not params.normalize


def _read_mode(params: SsgseaParams) -> ReadMode:
    if params.normalize:
        return ReadMode("streaming", "the range normalisation runs on all scores once every "
                        "block is scored")
    return ReadMode("blockwise", "without the range normalisation each sample is scored on "
                    "its own")


SPEC = MethodSpec(
    name="ssgsea",
    summary="single-sample GSEA: weighted rank walk, summed (GSVA's ssgsea)",
    reference="R GSVA 1.46 gsva(method='ssgsea'); Barbie et al. Nature 2009",
    params=SsgseaParams,
    run=run,
    sample_independent=_sample_independent,
    signed_sets="ES(up) - ES(down), then the range normalisation",
    read_mode=_read_mode,
    input_scale=ScaleRule(
        frozenset({"counts", "log", "linear", "log_ratio"}),
        "within-sample ranks of per-gene scaled (centred) values compare genes' deviations "
        "from their own means, not their expression; give the unscaled (log) values",
    ),
)
