"""GSVA Gaussian kernel: the shipped all-pairs kernel against a sorted/saturation candidate.

Run: ``python benchmarks/bench_gsva_kernel.py [--genes 20000] [--samples 200 1000]``.

The candidate (issue 14) sorts each gene once and keeps R's summation order (so it is
bit-identical): pairs beyond the table's saturation (|d| >= 8294 h / 1000, table value
exactly 1.0) are found by binary search and add 0.0 (skipped) or 1.0 (one contiguous
vector add); only the window in between is looked up. Because R adds the 1.0 terms
interleaved with the looked-up ones in sample order, the 1.0s cannot be *counted* without
changing the last bits, so the work stays Θ(N²) per gene; and with GSVA's bandwidth
(sd / 4) only ~14% of pairs saturate for Gaussian-shaped genes. Both kernels run in the
same process on the same matrices (Gaussian-shaped genes, and heavy-tailed log counts
where more pairs saturate); the script checks bit-identity and prints the time ratio
(> 1: the candidate is faster).
"""

from __future__ import annotations

import argparse
import math
import time

import numba
import numpy as np

from rrscore.methods._gsva_kcdf import (
    _INDEX_MARGIN,
    _TABLE_ONE,
    PNORM_TABLE,
    _exact_index,
    _gaussian_log_odds,
    c_sd_bandwidths,
)

#: |d| * 1000 / h at or beyond this saturates: the fast index is then >= _TABLE_ONE even
#: after subtracting the margin, and R's index is too, so the term is exactly 1.0 (or 0.0).
_SATURATED = float(_TABLE_ONE + 1)


@numba.njit(nogil=True, cache=False, error_model="numpy")
def _first_unsaturated_below(s, mid, xi, scale):
    """Smallest p < mid with ``(xi - s[p]) * scale < _SATURATED`` (s ascending), else mid."""
    lo, hi = 0, mid
    while lo < hi:  # the predicate is monotone: fl(xi - s[p]) falls as s[p] rises
        m = (lo + hi) >> 1
        if (xi - s[m]) * scale >= _SATURATED:
            lo = m + 1
        else:
            hi = m
    return lo


@numba.njit(nogil=True, cache=False, error_model="numpy")
def _first_saturated_above(s, mid, xi, scale):
    """Smallest p >= mid with ``(s[p] - xi) * scale >= _SATURATED`` (s ascending), else N."""
    lo, hi = mid, len(s)
    while lo < hi:
        m = (lo + hi) >> 1
        if (s[m] - xi) * scale >= _SATURATED:
            hi = m
        else:
            lo = m + 1
    return lo


@numba.njit(nogil=True, cache=False, error_model="numpy")
def _fast_index(w, k):
    """``k = trunc(w)`` for ``w >= 0``; returns how many entries may differ from R's index.

    ``w`` is ``|d| * 1000 / h`` (one multiplication); R's index (two divisions) can
    truncate differently only within ``_INDEX_MARGIN`` of an integer, and only matters
    below ``_TABLE_ONE`` (all table entries from there on are 1.0).
    """
    unsure = np.uint32(0)
    for p in range(len(w)):
        low = np.uint32(max(w[p] - _INDEX_MARGIN, 0.0))
        high = np.uint32(w[p] + _INDEX_MARGIN)
        unsure += np.uint32((low != high) & (low < _TABLE_ONE))
        k[p] = low
    return unsure


@numba.njit(parallel=True, cache=False, error_model="numpy")
def _sorted_gaussian_log_odds(x, cols, bw, tab, out):
    """Candidate from issue 14 (sorted values, saturated pairs counted), bit-identical.

    Bit-identical to R's ``row_d``: every test sample j sums its N terms in the original
    sample order i, as R does. The speed comes from working on each gene's values sorted
    once (``s``; the sums ``acc`` are kept in sorted positions): for a density sample
    ``xi`` the terms of the values far below it are exactly 0.0 (skipped: adding +0.0
    changes nothing), those far above exactly 1.0 (one contiguous vector add), both ranges
    found by binary search; only the window in between is looked up, split at ``xi`` so
    that the sign needs no per-pair test. In the window the index is first computed with
    one multiplication; it is R's exactly unless the product lies within
    ``_INDEX_MARGIN`` of an integer (where the two could truncate differently and the
    table values differ), and then the window is recomputed with R's operations.
    """
    n = x.shape[0]
    for c in numba.prange(len(cols)):
        g = cols[c]
        v = np.empty(n)
        for j in range(n):
            v[j] = x[j, g]
        order = np.argsort(v, kind="mergesort")
        s = np.empty(n)
        for p in range(n):
            s[p] = v[order[p]]
        h = bw[c]
        scale = 1000.0 / h
        acc = np.zeros(n)  # acc[p]: the running sum of the test sample order[p]
        k = np.empty(n, dtype=np.uint32)  # unsigned: no negative-index wraparound code
        w = np.empty(n)
        for i in range(n):
            xi = v[i]
            mid = np.searchsorted(s, xi)  # s[:mid] < xi <= s[mid:]
            lo = _first_unsaturated_below(s, mid, xi, scale)
            hi = _first_saturated_above(s, mid, xi, scale)
            # |s[p] - xi| as R forms it; fl(a - b) == -fl(b - a), so no abs is needed
            for p in range(lo, mid):
                w[p] = (xi - s[p]) * scale
            for p in range(mid, hi):
                w[p] = (s[p] - xi) * scale
            if _fast_index(w[lo:hi], k[lo:hi]) > 0:
                _exact_index(s[lo:hi], xi, h, k[lo:hi])
            for p in range(lo, mid):
                acc[p] += 1.0 - tab[k[p]]
            for p in range(mid, hi):
                acc[p] += tab[k[p]]
            for p in range(hi, n):
                acc[p] += 1.0
        for p in range(n):
            lt = acc[p] / n
            out[order[p], c] = -math.log((1.0 - lt) / lt)


def _time(kernel, x, bw) -> tuple[float, np.ndarray]:
    cols = np.arange(x.shape[1], dtype=np.int64)
    out = np.empty(x.shape)
    t0 = time.perf_counter()
    kernel(x, cols, bw, PNORM_TABLE, out)
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--samples", type=int, nargs="+", default=[200, 1000])
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    # compile both on a tiny matrix first: timings below are warm
    tiny = rng.normal(size=(8, 3))
    for kernel in (_gaussian_log_odds, _sorted_gaussian_log_odds):
        _time(kernel, tiny, c_sd_bandwidths(tiny))
    print(f"threads={numba.get_num_threads()}")
    print(f"{'data':>10} {'samples':>7} {'genes':>6} {'shipped_s':>10} {'sorted_s':>8} "
          f"{'ratio':>6} identical")
    for n in args.samples:
        normal = rng.normal(8.0, 1.5, size=(n, args.genes)) + rng.normal(0, 2, args.genes)
        counts = np.log2(1 + rng.negative_binomial(1, 0.02, size=(n, args.genes // 4)))
        for name, x in (("log-normal", normal), ("log-counts", counts)):
            x = np.ascontiguousarray(x)
            bw = c_sd_bandwidths(x)
            t_old, z_old = _time(_gaussian_log_odds, x, bw)
            t_new, z_new = _time(_sorted_gaussian_log_odds, x, bw)
            same = bool(np.array_equal(z_old, z_new))
            print(f"{name:>10} {n:>7} {x.shape[1]:>6} {t_old:>10.2f} {t_new:>8.2f} "
                  f"{t_old / t_new:>6.2f} {same}", flush=True)


if __name__ == "__main__":
    main()
