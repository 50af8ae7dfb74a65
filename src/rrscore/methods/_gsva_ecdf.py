"""GSVA step 2 with ``kcdf="none"``: each gene's empirical CDF log-odds, as R GSVA 1.46.

R computes ``ecdf(x)(x)``: ``F_j = #{x_i <= x_j} / N``. Here one sort of 64-bit keys per gene
(O(N log N)), then one pass over the runs of equal values. Used by
:func:`rrscore.methods._gsva_kcdf.gene_log_odds`.
"""

from __future__ import annotations

import math

import numpy as np

from rrscore._numba import numba, thread_pool

_SIGN = np.uint64(1 << 63)


@numba.njit(nogil=True, cache=True)
def _ascending_bits(bits):
    """An unsigned key of a double's bits that sorts in the doubles' order (-0.0 = 0.0)."""
    if bits == _SIGN:
        return _SIGN
    return ~bits if bits >= _SIGN else bits | _SIGN


@numba.njit(nogil=True, cache=True)
def _ecdf_keys(bits, cols, shift, keys):
    """``keys[c, j]``: sample j's value key of gene ``cols[c]``, low ``shift`` bits = j."""
    low = np.uint64((1 << shift) - 1)
    for c in range(len(cols)):
        g = cols[c]
        for j in range(bits.shape[0]):
            keys[c, j] = (_ascending_bits(bits[j, g]) & ~low) | np.uint64(j)


@numba.njit(nogil=True, cache=True)
def _ecdf_from_keys(keys, bits, cols, shift, by_count, out):
    """Log-odds of every sample from its gene's sorted keys: a run of equal values ends at
    sorted position ``stop``, so each of them has ``#{x_i <= x_j} = stop``."""
    n = keys.shape[1]
    low = np.uint64((1 << shift) - 1)
    scratch_rows = np.empty(n, dtype=np.int64)
    scratch_full = np.empty(n, dtype=np.uint64)
    for c in range(len(cols)):
        g = cols[c]
        k = keys[c]
        p = 0
        while p < n:
            hi = k[p] >> np.uint64(shift)
            q = p + 1
            while q < n and (k[q] >> np.uint64(shift)) == hi:
                q += 1
            if q - p == 1:
                out[np.int64(k[p] & low), c] = by_count[q]
                p = q
                continue
            # [p, q): equal keys up to the low bits; usually equal values (ties)
            rows = scratch_rows[:q - p]
            full = scratch_full[:q - p]
            same = True
            for t in range(p, q):
                rows[t - p] = np.int64(k[t] & low)
                full[t - p] = _ascending_bits(bits[rows[t - p], g])
                same &= full[t - p] == full[0]
            if same:
                for t in range(q - p):
                    out[rows[t], c] = by_count[q]
            else:  # values a few units in the last place apart: order them exactly
                order = np.argsort(full)
                a = 0
                while a < q - p:
                    e = a + 1
                    while e < q - p and full[order[e]] == full[order[a]]:
                        e += 1
                    for t in range(a, e):
                        out[rows[order[t]], c] = by_count[p + e]
                    a = e
            p = q


def ecdf_log_odds(x: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
    """Empirical-CDF log-odds ``log(F / (1 - F))``, ``F = #{x_i <= x_j} / N`` (R ``ecdf``).

    Per gene one sort of 64-bit keys (the value's order bits, the sample in the low bits;
    NumPy's vectorised sort), then one pass over the runs of equal values: O(N log N) per
    gene. Blocks of genes are shared out to threads (the sort and the kernels release the
    GIL).
    """
    n = x.shape[0]
    by_count = np.full(n + 1, math.inf)  # the log-odds of F = count / N, as R computes them
    for count in range(1, n):
        by_count[count] = math.log((count / n) / (1.0 - count / n))
    shift = max(1, (n - 1).bit_length())
    bits = x.view(np.uint64)
    n_threads = max(1, min(numba.get_num_threads(), len(cols)))
    bounds = np.linspace(0, len(cols), min(len(cols), 4 * n_threads) + 1).astype(int)

    def work(i: int) -> None:
        part = np.ascontiguousarray(cols[bounds[i]:bounds[i + 1]], dtype=np.int64)
        keys = np.empty((len(part), n), dtype=np.uint64)
        _ecdf_keys(bits, part, shift, keys)
        keys.sort(axis=1)
        _ecdf_from_keys(keys, bits, part, shift, by_count, out[:, bounds[i]:bounds[i + 1]])

    with thread_pool(n_threads) as pool:
        list(pool.map(work, range(len(bounds) - 1)))
