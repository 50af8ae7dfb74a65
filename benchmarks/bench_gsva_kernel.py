"""GSVA's CDF step alone: the shipped kernels against the previous all-pairs Gaussian kernel.

Run: ``python benchmarks/bench_gsva_kernel.py [--genes 20000] [--samples 300 1000]
[--threads 2]``.

For each sample count, on the same Gaussian-shaped log-scale matrix (and on heavy-tailed log
counts, where more pairs saturate), in one process:

* ``all-pairs``: the Gaussian kernel rrscore shipped before issue 14 (kept here as the
  baseline): for every density sample, the N table indices, look-ups and additions;
* ``strips``: the shipped kernel (``rrscore.methods._gsva_kcdf._gaussian_log_odds``): one
  table look-up per *unordered* pair (GSVA's table is symmetric: ``Φ̃(-v) = 1 - Φ̃(v)``
  exactly), R's summation order kept by strips of 16 density samples;
* ``ecdf``: ``kcdf="none"`` (the empirical CDF, one sort per gene), for scale.

It checks that the two Gaussian kernels give bit-identical log-odds and prints the wall time,
the CPU time and the ratio (> 1: the shipped kernel is faster). Timings are the best of
``--repeat`` runs.
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
    _gaussian_log_odds,
    c_sd_bandwidths,
    gene_log_odds,
)


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _exact_index(v, xi, h, k):
    """R's table index for every ``v[j] - xi``, with R's operations (two divisions)."""
    for j in range(len(v)):
        k[j] = np.uint32(min(abs(v[j] - xi) / h / 10.0 * 10000.0, 10000.0))


@numba.njit(parallel=True, cache=True, error_model="numpy")
def all_pairs_log_odds(x, cols, bw, tab, out):
    """The previous kernel (rrscore before issue 14), verbatim: for every density sample i
    (in column order, as R sums) the N terms in three vectorisable passes — table index
    (one multiplication, R's two divisions where within the margin of an integer), table
    look-up, signed accumulation."""
    n = x.shape[0]
    for c in numba.prange(len(cols)):
        g = cols[c]
        v = np.empty(n)
        for j in range(n):
            v[j] = x[j, g]
        h = bw[c]
        scale = 1000.0 / h
        acc = np.zeros(n)
        k = np.empty(n, dtype=np.uint32)
        t = np.empty(n)
        for i in range(n):
            xi = v[i]
            unsure = np.int32(0)
            for j in range(n):
                w = min(abs(v[j] - xi) * scale, 10000.0)
                low = np.int32(max(w - _INDEX_MARGIN, 0.0))
                high = np.int32(w + _INDEX_MARGIN)
                unsure += np.int32((low != high) & (low < _TABLE_ONE))
                k[j] = np.uint32(low)
            if unsure > 0:
                _exact_index(v, xi, h, k)
            for j in range(n):
                t[j] = tab[k[j]]
            for j in range(n):
                acc[j] += (1.0 - t[j]) if v[j] < xi else t[j]
        for j in range(n):
            lt = acc[j] / n
            out[j, c] = -math.log((1.0 - lt) / lt)


def _best(repeat: int, fn, *fn_args) -> tuple[float, float, np.ndarray]:
    wall = cpu = math.inf
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn(*fn_args)
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--genes", type=int, default=20000)
    ap.add_argument("--samples", type=int, nargs="+", default=[300, 1000])
    ap.add_argument("--threads", type=int, default=numba.get_num_threads())
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    numba.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    def gaussian(kernel, x, bw):
        out = np.empty(x.shape)
        kernel(x, np.arange(x.shape[1]), bw, PNORM_TABLE, out)
        return out

    tiny = np.asfortranarray(rng.normal(size=(20, 3)))  # compile (or load) every kernel first
    for kernel in (all_pairs_log_odds, _gaussian_log_odds):
        gaussian(kernel, tiny, c_sd_bandwidths(tiny))
    gene_log_odds(tiny, np.arange(3), "none")

    print(f"threads={numba.get_num_threads()}, best of {args.repeat}")
    print(f"{'data':>10} {'samples':>7} {'genes':>6} {'kernel':>9} {'wall_s':>7} {'cpu_s':>7} "
          f"{'vs all-pairs':>12} identical")
    for n in args.samples:
        normal = rng.normal(8.0, 1.5, size=(n, args.genes)) + rng.normal(0, 2, args.genes)
        counts = np.log2(1 + rng.negative_binomial(1, 0.02, size=(n, args.genes // 4)))
        for name, x in (("log-normal", normal), ("log-counts", counts)):
            x = np.asfortranarray(x)
            bw = c_sd_bandwidths(x)
            keep = bw > 0
            x, bw = np.asfortranarray(x[:, keep]), bw[keep]
            base = _best(args.repeat, gaussian, all_pairs_log_odds, x, bw)
            new = _best(args.repeat, gaussian, _gaussian_log_odds, x, bw)
            ecdf = _best(args.repeat, gene_log_odds, x, np.arange(x.shape[1]), "none")
            same = bool(np.array_equal(base[2], new[2]))
            for label, (wall, cpu, _) in (("all-pairs", base), ("strips", new), ("ecdf", ecdf)):
                print(f"{name:>10} {n:>7} {x.shape[1]:>6} {label:>9} {wall:>7.2f} {cpu:>7.2f} "
                      f"{base[0] / wall:>12.2f} {same if label == 'strips' else ''}",
                      flush=True)


if __name__ == "__main__":
    main()
