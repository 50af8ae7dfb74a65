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
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from rrscore.errors import MethodWarning, RRScoreError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._chunks import flatten_sets, sample_chunks
from rrscore.methods._registry import MethodSpec, ReadMode, ScaleRule
from rrscore.ranking._selected import column_rank_counts


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


@numba.njit(parallel=True, cache=True)
def _enrichment(lt, eq, eq_after, n, ptr, idx, alpha):
    n_rows = lt.shape[0]
    n_sets = len(ptr) - 1
    out = np.zeros((n_rows, n_sets))
    half = n * (n + 1) / 2.0
    for r in numba.prange(n_rows):
        for s in range(n_sets):
            a = ptr[s]
            b = ptr[s + 1]
            k = b - a
            if k == 0:
                continue
            sw = 0.0
            swa = 0.0
            sa = 0.0
            for q in range(a, b):
                j = idx[q]
                # n - p + 1 for the stable descending position p
                asc = lt[r, j] + eq_after[r, j] + 1.0
                # GSVA truncates the average rank lt + (eq + 1) / 2 to an integer
                w = float(lt[r, j] + (eq[r, j] + 1) // 2) ** alpha
                sw += w
                swa += w * asc
                sa += asc
            out[r, s] = swa / sw - (half - sa) / (n - k)
    return out


def enrichment_scores(block: np.ndarray, sets: AlignedSets, alpha: float) -> np.ndarray:
    """Unnormalised ssGSEA scores of a dense ``(samples, genes)`` block: up minus down.

    Only the genes that belong to some set are ranked (see
    :func:`rrscore.ranking.column_rank_counts`).
    """
    up_ptr, up_idx = flatten_sets(sets, "up")
    dn_ptr, dn_idx = flatten_sets(sets, "down")
    used, inverse = np.unique(np.concatenate([up_idx, dn_idx]), return_inverse=True)
    lt, eq, eq_after = column_rank_counts(block, used)
    n = block.shape[1]
    up_local = inverse[: len(up_idx)]
    es = _enrichment(lt, eq, eq_after, n, up_ptr, up_local, float(alpha))
    if len(dn_idx):
        es -= _enrichment(lt, eq, eq_after, n, dn_ptr, inverse[len(up_idx):], float(alpha))
    return es


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: SsgseaParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Score all sets on all samples; rank each sample once, in chunks of samples."""
    out = np.empty((expr.shape[0], len(sets)))
    for start, stop, block in sample_chunks(expr, chunk_size, progress=progress, desc="ssgsea"):
        out[start:stop] = enrichment_scores(block, sets, params.alpha)
    whole = whole_panel_sets(sets, expr.shape[1])
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
