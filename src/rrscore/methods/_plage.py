"""PLAGE (Tomfohr et al. 2005) as R GSVA 1.46 ``gsva(method="plage")``, with a fixed sign.

1. Genes with standard deviation below ``1e-10`` are removed (GSVA ``.filterFeatures``);
   rrscore removes them from the sets and warns.
2. Every gene is standardised across samples (``Z = (x - mean) / sd``, sd with ``n - 1``).
3. A set's scores are the first right singular vector of its ``k × N`` block of ``Z``
   (GSVA: ``svd(Z[set, ])$v[, 1]``): one value per sample, unit Euclidean norm over the
   samples, so scores depend on all the samples of the call.

The vector is computed from the smaller Gram matrix of the block (``k × k`` or ``N × N``)
with a symmetric eigensolver, which is much cheaper than a full SVD and equal to it to
rounding for the leading vector.

**Orientation (deviation, documented).** A singular vector's sign is arbitrary; R returns
whatever LAPACK gives. rrscore orients it so that the score correlates positively with the
set's mean z-score per sample (for a signed set, with mean z(up) - mean z(down)): a high
score then means high expression of the set. If that correlation is 0 (to 1e-9), the
largest-magnitude entry is made positive (both tests robust to rounding: see :func:`orient`).
Compare to R up to the sign of each set.

**Signed sets.** Negating genes does not change the singular vectors, so the up and down
genes form one block; the sign of the down genes only enters the orientation above.

**Size-1 sets (deviation).** R drops the 1-row block to a vector, takes the SVD of that
``N × 1`` column and returns the constant ±1 for every sample. rrscore uses the SVD of the
``1 × N`` block, which is the gene's z-scores scaled to unit norm, ``z / ||z||`` (oriented
with ``z``).

A set left without genes after the constant-gene removal is scored NaN (GSVA drops it).
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import scipy.linalg
import scipy.sparse as sp

from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._registry import MethodSpec, ReadMode
from rrscore.methods._standardize import (
    STANDARDISED_SCALE,
    constant_genes,
    drop_constant_genes,
    gene_scaling,
    standardized_columns,
)


@dataclass(frozen=True)
class PlageParams:
    """PLAGE has no parameters (the orientation rule is fixed, see the module docs)."""


def leading_right_vector(z: np.ndarray) -> np.ndarray:
    """First right singular vector of ``z.T`` (unit norm), i.e. of the ``k × N`` block.

    ``z`` is ``(N, k)`` (samples × genes). Uses the eigenvector of the largest eigenvalue
    of the smaller Gram matrix. The sign is not fixed here.
    """
    n, k = z.shape
    if k <= n:
        gram = z.T @ z
        _, u = scipy.linalg.eigh(gram, subset_by_index=[k - 1, k - 1])
        v = z @ u[:, 0]
    else:
        gram = z @ z.T
        _, vv = scipy.linalg.eigh(gram, subset_by_index=[n - 1, n - 1])
        v = vv[:, 0]
    norm = np.linalg.norm(v)
    return v / norm if norm > 0 else np.full(n, np.nan)


#: A dot product this small relative to the norms is a tie (rounding noise, not a sign).
_ORTHOGONAL = 1e-9


def orient(v: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """``v`` or ``-v``: the one with a positive dot product with ``direction``.

    Both are centred over samples (z-scores are), so the dot product has the sign of their
    correlation. When ``v`` is orthogonal to ``direction`` — exactly so for a 2-gene set whose
    genes are anti-correlated: ``v ∝ z1 - z2`` and ``direction ∝ z1 + z2``, whose dot product
    is ``|z1|² - |z2|² = 0`` up to rounding — the rounding noise must not decide the sign
    (dense and sparse input would get opposite scores). A dot product within
    ``1e-9 × |v| × |direction|`` of 0 is a tie, and a tie makes positive the first sample
    (in row order) among those whose ``|v|`` is within ``1e-9`` of the largest: a rule on the
    data, not on the last bits of the arithmetic.
    """
    dot = float(v @ direction)
    scale = float(np.linalg.norm(v) * np.linalg.norm(direction))
    if abs(dot) > _ORTHOGONAL * scale:
        return -v if dot < 0 else v
    magnitude = np.abs(v)
    top = magnitude.max() if magnitude.size else 0.0
    first = int(np.flatnonzero(magnitude >= top * (1 - _ORTHOGONAL))[0]) if top > 0 else 0
    return -v if magnitude.size and v[first] < 0 else v


def _one_blas_thread():
    """Limit BLAS/LAPACK to one thread while sets are scored in parallel threads.

    The per-set products and eigenproblems are small (k ≤ a few hundred); multi-threaded
    OpenBLAS is slower on them than one thread, and collapses when the cores are busy
    (measured 40× slower on a loaded 2-core machine). Uses ``threadpoolctl`` when it is
    installed; without it BLAS keeps its own setting.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with the scientific stack
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: PlageParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """PLAGE scores of all sets, ``(n_samples, n_sets)``, oriented as documented."""
    scaling = gene_scaling(expr)
    sets = drop_constant_genes(sets, scaling, expr.genes, "plage")
    n = expr.shape[0]
    out = np.full((n, len(sets)), np.nan)
    source = None
    position = None
    if expr.is_sparse and len(sets):
        # one pass over the sparse matrix for the union of the sets' genes, then cheap
        # per-set column gathers from that (smaller) column-major copy
        union = np.unique(np.concatenate([np.concatenate([s.up, s.down]) for s in sets]))
        source = sp.csc_matrix(expr.values[:, union.astype(np.int64)])
        position = np.full(expr.shape[1], -1, dtype=np.int64)
        position[union] = np.arange(len(union))

    def score_set(j: int) -> None:
        s = sets.sets[j]
        if s.size == 0:
            return
        cols = np.concatenate([s.up, s.down]).astype(np.int64)
        local = position[cols] if position is not None else None
        z = standardized_columns(expr, scaling, cols, source, local)
        v = leading_right_vector(z)
        n_up = len(s.up)
        direction = z[:, :n_up].mean(axis=1) if n_up else np.zeros(n)
        if len(s.down):
            direction = direction - z[:, n_up:].mean(axis=1)
        out[:, j] = orient(v, direction)

    n_workers = max(1, min(numba.get_num_threads(), len(sets)))
    with _one_blas_thread(), ThreadPoolExecutor(n_workers) as pool:
        done = pool.map(score_set, range(len(sets)))  # NumPy/LAPACK release the GIL
        if progress:
            from tqdm.auto import tqdm

            done = tqdm(done, total=len(sets), desc="plage", unit="set", leave=False)
        for _ in done:
            pass
    return out


SPEC = MethodSpec(
    name="plage",
    summary="PLAGE: first right singular vector of the set's standardised expression",
    reference="R GSVA 1.46 gsva(method='plage'), sign fixed; Tomfohr et al. BMC Bioinf. 2005",
    params=PlageParams,
    run=run,
    sample_independent=False,
    signed_sets="SVD of up and down genes together; oriented with mean z(up) - mean z(down)",
    read_mode=ReadMode(
        "memory", "it takes a singular value decomposition of each set over all samples"
    ),
    excluded_genes=constant_genes,
    input_scale=STANDARDISED_SCALE,
)
