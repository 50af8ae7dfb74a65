"""Set scores of z-score and mean: one membership-matrix product over standardised expression.

Both methods score a set from the sums of its genes' z-scores, ``Z = (x - mean) / sd``:
``S_up[r, s] = Σ_{g∈up(s)} Z[r, g]`` and the same over the down part, i.e. the product of the
standardised matrix with the (genes × sets) membership matrix of each part. The kernels here
compute that product for both parts in one pass and combine the two sums into the method's
score as the methods define it:

* ``"zscore"``: ``(S_up - S_down) / sqrt(k_up + k_down)`` (NaN for a set without genes);
* ``"mean"``: ``S_up / k_up - S_down / k_down`` (an empty part contributes 0; NaN when both
  are empty).

The membership matrix stays sparse (CSC-like ``ptr``/``idx`` arrays of each part) and the data
are never standardised as a whole: each task standardises a block of :data:`LANES` samples
of the genes the sets use into a small genes × lanes buffer (one cache line per gene), then
adds, for every set, the buffer rows of its genes — the ``LANES`` samples at once. The extra
memory is the output plus one buffer per thread, whatever the layout of the input (C- or
Fortran-ordered, strided, or CSR, whose implicit zeros standardise to ``-mean / sd``).

Every z-score is ``(x - mean) / sd`` and every sum adds the set's genes in their order, one
sample at a time, so the scores equal a per-sample loop over ``Σ (x - mean) / sd`` to the
last bit, for dense and sparse storage of the same values alike.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rrscore._numba import numba, over_row_blocks
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._chunks import DEFAULT_CHUNK_SIZE, progress_steps

#: Samples standardised and summed together: 8 doubles, one cache line per gene.
LANES = 8

#: Ways of combining the up and down sums (the ``how`` of :func:`standardised_set_scores`).
COMBINE = {"zscore": 0, "mean": 1}


# _add_sets is inlined into both kernels (numba IR): one function less to compile and link
# on the first call. The kernels allocate nothing: their work arrays come from Python
# (_work), one set per block of rows on a thread.
@numba.njit(nogil=True, cache=True, inline="always")
def _add_sets(zt, acc_up, acc_dn, w, row0, up_ptr, up_idx, dn_ptr, dn_idx, how, k_up, k_dn,
              out):
    # zt: (genes used × LANES) z-scores of rows row0 .. row0 + w - 1; acc_*: (LANES,)
    for s in range(len(up_ptr) - 1):
        for j in range(LANES):  # loops, not acc[:] = 0.0: no broadcasting setitem to compile
            acc_up[j] = 0.0
            acc_dn[j] = 0.0
        for q in range(up_ptr[s], up_ptr[s + 1]):
            g = up_idx[q]
            for j in range(LANES):
                acc_up[j] += zt[g, j]
        for q in range(dn_ptr[s], dn_ptr[s + 1]):
            g = dn_idx[q]
            for j in range(LANES):
                acc_dn[j] += zt[g, j]
        ku = k_up[s]
        kd = k_dn[s]
        for j in range(w):
            if how == 0:  # combined z-score: (Σ up - Σ down) / sqrt(k); 0 / 0 = NaN if empty
                out[row0 + j, s] = (acc_up[j] - acc_dn[j]) / np.sqrt(ku + kd)
            elif ku + kd == 0:
                out[row0 + j, s] = np.nan
            else:  # mean of each part, an empty part contributing 0
                mu = acc_up[j] / ku if ku > 0 else 0.0
                md = acc_dn[j] / kd if kd > 0 else 0.0
                out[row0 + j, s] = mu - md


@numba.njit(nogil=True, cache=True)
def _dense_scores(b0, b1, x, r0, r1, cols, mean, sd, up_ptr, up_idx, dn_ptr, dn_idx, how,
                  k_up, k_dn, out, zt, acc_up, acc_dn):
    # blocks b0 .. b1 - 1 of LANES rows each, from row r0 (rows up to r1)
    n_used = len(cols)
    for b in range(b0, b1):
        lo = r0 + b * LANES
        w = min(LANES, r1 - lo)
        if w < LANES:  # the last block: lanes past w are summed too, but never written
            for c in range(n_used):
                for j in range(w, LANES):
                    zt[c, j] = 0.0
        for c in range(n_used):
            g = cols[c]
            m = mean[g]
            s = sd[g]
            for j in range(w):
                # (x - mean) / sd, in R's order of operations (scale: sweep "-", then "/")
                zt[c, j] = (x[lo + j, g] - m) / s
        _add_sets(zt, acc_up, acc_dn, w, lo, up_ptr, up_idx, dn_ptr, dn_idx, how, k_up,
                  k_dn, out)


@numba.njit(nogil=True, cache=True)
def _sparse_scores(b0, b1, indptr, indices, data, r0, r1, cols, local, mean, sd, up_ptr,
                   up_idx, dn_ptr, dn_idx, how, k_up, k_dn, out, zt, acc_up, acc_dn):
    n_used = len(cols)
    for b in range(b0, b1):
        lo = r0 + b * LANES
        w = min(LANES, r1 - lo)
        if w < LANES:  # the last block: lanes past w are summed too, but never written
            for c in range(n_used):
                for j in range(w, LANES):
                    zt[c, j] = 0.0
        for c in range(n_used):
            g = cols[c]
            z0 = (0.0 - mean[g]) / sd[g]  # an implicit zero, standardised
            for j in range(w):
                zt[c, j] = z0
        for j in range(w):
            for q in range(indptr[lo + j], indptr[lo + j + 1]):
                c = local[indices[q]]
                if c >= 0:
                    g = cols[c]
                    zt[c, j] = (np.float64(data[q]) - mean[g]) / sd[g]
        _add_sets(zt, acc_up, acc_dn, w, lo, up_ptr, up_idx, dn_ptr, dn_idx, how, k_up,
                  k_dn, out)


def _work(n_used: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fresh work arrays of one block of rows: ``(zt, acc_up, acc_dn)``."""
    acc = np.empty((2, LANES))
    return np.empty((n_used, LANES)), acc[0], acc[1]


def _membership(sets: AlignedSets, part: str, local: np.ndarray):
    """``(ptr, idx)`` of one part, ``idx`` as positions among the genes used."""
    parts = [getattr(s, part) for s in sets]
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([len(p) for p in parts], out=ptr[1:])
    idx = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    return ptr, local[idx]


def standardised_set_scores(
    values: np.ndarray | sp.csr_matrix, mean: np.ndarray, sd: np.ndarray, sets: AlignedSets,
    how: str, *, chunk_size: int | None = None, progress: bool = False, desc: str = "scoring",
) -> np.ndarray:
    """Scores from the sums of each set's z-scores, ``(n_samples, n_sets)``.

    Parameters
    ----------
    values
        ``(n_samples, n_genes)`` expression: a dense array of any layout, or CSR.
    mean, sd
        ``(n_genes,)`` per-gene mean and standard deviation (:func:`gene_scaling`).
    sets
        The sets, as column indices of ``values`` (constant genes already left out).
    how
        ``"zscore"`` or ``"mean"`` (see the module docs).
    chunk_size, progress, desc
        Samples per kernel call (bounds nothing but the progress bar's step) and the bar.

    Returns
    -------
    numpy.ndarray
        ``(n_samples, n_sets)`` float64.
    """
    n, n_genes = values.shape
    n_sets = len(sets)
    used = np.zeros(n_genes, dtype=bool)
    for s in sets:
        used[s.up] = True
        used[s.down] = True
    cols = np.flatnonzero(used).astype(np.int64)
    local = np.full(n_genes, -1, dtype=np.int64)
    local[cols] = np.arange(len(cols))
    up_ptr, up_idx = _membership(sets, "up", local)
    dn_ptr, dn_idx = _membership(sets, "down", local)
    k_up = np.diff(up_ptr).astype(np.float64)
    k_dn = np.diff(dn_ptr).astype(np.float64)
    out = np.empty((n, n_sets))
    mean = np.ascontiguousarray(mean, dtype=np.float64)
    sd = np.ascontiguousarray(sd, dtype=np.float64)
    code = COMBINE[how]
    size = max(LANES, int(chunk_size or DEFAULT_CHUNK_SIZE))
    for r0, r1 in progress_steps(n, size, progress=progress, desc=desc):
        # serial kernels over blocks of LANES rows, on threads (kernel_over_rows)
        n_blocks = (r1 - r0 + LANES - 1) // LANES
        if sp.issparse(values):
            over_row_blocks(lambda b0, b1, r0=r0, r1=r1: _sparse_scores(
                b0, b1, values.indptr, values.indices, values.data, r0, r1, cols, local, mean,
                sd, up_ptr, up_idx, dn_ptr, dn_idx, code, k_up, k_dn, out,
                *_work(len(cols))), n_blocks)
        else:
            over_row_blocks(lambda b0, b1, r0=r0, r1=r1: _dense_scores(
                b0, b1, values, r0, r1, cols, mean, sd, up_ptr, up_idx, dn_ptr, dn_idx, code,
                k_up, k_dn, out, *_work(len(cols))), n_blocks)
    return out
