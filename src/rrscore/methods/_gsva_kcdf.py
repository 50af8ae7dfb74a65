"""GSVA step 2: each gene's CDF across samples and its log-odds, exactly as R GSVA 1.46.

Gaussian kernel with GSVA's ``pnorm`` lookup table (:data:`PNORM_TABLE`, shipped as
``gsva_pnorm_table.npy`` next to this module) and C ``sd()`` bandwidths (:func:`c_sd`),
Poisson kernel (SciPy's ``pdtr`` for R's ``ppois``) and the empirical CDF; ``kcdf="auto"``
is resolved by :func:`resolve_kcdf`. :func:`gene_log_odds` runs them over blocks of genes.
The method, its exactness and its speed are described in :mod:`rrscore.methods._gsva`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numba
import numpy as np
from scipy.special import pdtr

#: Accepted values of ``kcdf``.
KCDF_CHOICES = ("gaussian", "poisson", "none", "auto")
#: GSVA ≥ 2 ``kcdfNoneMinSampleSize``: ``kcdf="auto"`` uses the ECDF from this many samples.
AUTO_ECDF_MIN_SAMPLES = 200


def _load_pnorm_table() -> np.ndarray:
    """GSVA's ``precomputed_cdf``: R 4.2.2 ``pnorm(10 * (0:10000) / 10000)``, exact doubles.

    Made with ``Rscript -e 'writeLines(sprintf("%a", pnorm(10 * (0:10000) / 10000)))'``
    and parsed with ``float.fromhex``; ``tests/methods/test_gsva.py`` checks it against R
    when R is installed and against ``scipy.special.ndtr`` (≤ 2 ulp) always.
    """
    table = np.load(Path(__file__).with_name("gsva_pnorm_table.npy"), allow_pickle=False)
    if table.shape != (10001,) or table.dtype != np.float64 or table[-1] != 1.0:
        raise RuntimeError("rrscore installation is broken: gsva_pnorm_table.npy is invalid")
    return np.ascontiguousarray(table)


PNORM_TABLE = _load_pnorm_table()


def c_sd(x: np.ndarray) -> np.ndarray:
    """Standard deviation of every column of ``x`` exactly as GSVA 1.46's C ``sd()``.

    The C code accumulates in ``long double`` (x87, 64-bit mantissa on x86-64 Linux):
    ``mean = Σx / n`` refined by ``+ Σ(x - mean) / n``, rounded to double; then
    ``Σ (x - mean)²`` with the squares in double; ``sqrt((double)(sum / (n - 1)))``.
    NumPy's ``longdouble`` is the same C type, so the result is the same double (where
    ``long double`` is plain double, both R and NumPy use double). Sums run sequentially
    over the rows (samples), as in C; columns are processed in C-ordered blocks.
    """
    n, g = x.shape
    ld = np.longdouble
    out = np.empty(g)
    width = max(256, (1 << 22) // max(n, 1))
    for a in range(0, g, width):
        block = np.array(x[:, a : a + width], dtype=np.float64, order="C")
        total = np.zeros(block.shape[1], dtype=ld)
        for i in range(n):
            total += block[i].astype(ld)
        mean_ld = total / ld(n)
        finite = np.isfinite(mean_ld.astype(np.float64))
        corr = np.zeros(block.shape[1], dtype=ld)
        for i in range(n):
            corr += block[i].astype(ld) - mean_ld
        mean_ld = np.where(finite, mean_ld + corr / ld(n), mean_ld)
        mean = mean_ld.astype(np.float64)
        squares = np.zeros(block.shape[1], dtype=ld)
        for i in range(n):
            d = block[i] - mean
            squares += (d * d).astype(ld)
        out[a : a + block.shape[1]] = np.sqrt((squares / ld(n - 1)).astype(np.float64))
    return out


def c_sd_bandwidths(x: np.ndarray) -> np.ndarray:
    """GSVA's Gaussian kernel bandwidths ``sd / 4`` per column (``SIGMA_FACTOR``)."""
    return c_sd(x) / 4.0


#: First table index whose value is exactly 1.0 (tab[8293:] == 1.0): an index that is
#: uncertain only between values >= this one cannot change a term.
_TABLE_ONE = int(np.argmax(PNORM_TABLE == 1.0))
#: Bound on |fl(|d| * fl(1000 / h)) - R's fl(fl(fl(|d| / h) / 10) * 10000)| for results
#: up to 10000: five roundings of relative size 2^-53 give 5.6e-12.
_INDEX_MARGIN = 1e-11


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _exact_index(v, xi, h, k):
    """R's table index for every ``v[j] - xi``, with R's operations (two divisions)."""
    for j in range(len(v)):
        # |v| > 10 saturates to 0 or 1; tab[10000] == 1.0, so clamping the index to 10000
        # gives exactly the saturated values
        k[j] = np.uint32(min(abs(v[j] - xi) / h / 10.0 * 10000.0, 10000.0))


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _gaussian_log_odds(x, cols, bw, tab, out):
    """Kernel CDF log-odds of the genes ``cols`` of ``x`` (samples × genes) into ``out``.

    For every density sample i (in column order, as R sums) the N terms are produced in
    three vectorisable passes: table index, table lookup, signed accumulation. The index
    is first computed with one multiplication; it is R's exactly unless the product lies
    within ``_INDEX_MARGIN`` of an integer (where the two could truncate differently and
    the table values differ), and then that row is recomputed with R's operations.
    """
    n = x.shape[0]
    for c in numba.prange(len(cols)):
        g = cols[c]
        v = np.empty(n)
        for j in range(n):
            v[j] = x[j, g]
        h = bw[c]
        scale = 1000.0 / h
        acc = np.zeros(n)
        k = np.empty(n, dtype=np.uint32)  # unsigned: no negative-index wraparound code
        t = np.empty(n)
        for i in range(n):
            xi = v[i]
            unsure = np.int32(0)
            for j in range(n):
                w = min(abs(v[j] - xi) * scale, 10000.0)
                # 0 <= w <= 10000: converting to int32 is exact and, unlike double ->
                # uint32, one vector instruction on x86 (~1.2x for the whole kernel)
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


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _ecdf_log_odds(x, cols, out):
    """Empirical-CDF log-odds ``log(F / (1 - F))``, ``F = #{x_i <= x_j} / N`` (R ``ecdf``)."""
    n = x.shape[0]
    by_count = np.empty(n + 1)  # the log-odds of F = count / N, as R computes them
    for count in range(1, n + 1):
        f = count / n
        by_count[count] = math.log(f / (1.0 - f))
    for c in numba.prange(len(cols)):
        g = cols[c]
        v = np.empty(n)
        for j in range(n):
            v[j] = x[j, g]
        order = np.argsort(v)
        z = np.empty(n)
        start = 0
        while start < n:
            stop = start + 1
            while stop < n and v[order[stop]] == v[order[start]]:
                stop += 1
            for q in range(start, stop):
                z[order[q]] = by_count[stop]
            start = stop
        for j in range(n):
            out[j, c] = z[j]


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _poisson_sums(inv, table, out):
    """``out[j] = -log((1 - F_j) / F_j)``, ``F_j = Σ_i table[inv[j], inv[i]] / N`` in R's order."""
    n = len(inv)
    for j in range(n):
        row = inv[j]
        acc = 0.0
        for i in range(n):
            acc += table[row, inv[i]]
        lt = acc / n
        out[j] = -math.log((1.0 - lt) / lt)


def _poisson_log_odds(x: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
    """Poisson-kernel log-odds; R ``ppois(x, λ)`` floors ``x + 1e-7`` and is ``pdtr``.

    One ``pdtr`` per pair of *distinct* values of a gene (rows: evaluation points,
    columns: kernels), summed in R's order. Genes are shared out to threads (SciPy's
    ufunc and the summing kernel release the GIL).
    """
    from concurrent.futures import ThreadPoolExecutor

    def work(lo: int, hi: int) -> None:
        column = np.empty(x.shape[0])
        for c in range(lo, hi):
            values, inv = np.unique(x[:, cols[c]], return_inverse=True)
            table = pdtr(np.floor(values + 1e-7)[:, None], (values + 0.5)[None, :])
            _poisson_sums(inv.astype(np.int64).ravel(), np.ascontiguousarray(table), column)
            out[:, c] = column

    n_threads = max(1, min(numba.get_num_threads(), len(cols)))
    bounds = np.linspace(0, len(cols), n_threads + 1).astype(int)
    if n_threads == 1:
        work(0, len(cols))
        return
    with ThreadPoolExecutor(n_threads) as pool:
        list(pool.map(work, bounds[:-1], bounds[1:]))


def resolve_kcdf(kcdf: str, values: np.ndarray) -> str:
    """The kernel ``kcdf`` stands for; ``"auto"`` applies GSVA ≥ 2's rule to ``values``.

    ``"auto"``: ``"none"`` (ECDF) with at least 200 samples (rows), else ``"poisson"``
    when every value is a non-negative whole number, else ``"gaussian"``.
    """
    if kcdf != "auto":
        return kcdf
    if values.shape[0] >= AUTO_ECDF_MIN_SAMPLES:
        return "none"
    width = max(1, (1 << 22) // max(values.shape[0], 1))
    for a in range(0, values.shape[1], width):  # column blocks: no full-size temporaries
        block = values[:, a : a + width]
        if not (np.all(block >= 0) and np.all(np.floor(block) == block)):
            return "gaussian"
    return "poisson"


def gene_log_odds(
    x: np.ndarray, cols: np.ndarray, kcdf: str, *, sd: np.ndarray | None = None,
    progress: bool = False,
) -> np.ndarray:
    """``(n_samples, len(cols))`` CDF log-odds of the genes ``cols`` (GSVA step 2).

    ``x`` is the dense samples × genes matrix; ``sd`` optionally its :func:`c_sd` (all
    genes). Genes are processed in blocks (numba in parallel over the genes of a block),
    each a column slice of the output.
    """
    n = x.shape[0]
    z = np.empty((n, len(cols)))
    if len(cols) == 0:
        return z
    if kcdf == "gaussian":
        bw = (c_sd(x) if sd is None else sd)[cols] / 4.0  # GSVA's SIGMA_FACTOR
    size = int(min(4096, max(64, (1 << 24) // max(n * n, 1))))
    starts = range(0, len(cols), size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=(len(cols) + size - 1) // size, unit="block",
                      desc=f"gsva CDF ({kcdf})", leave=False)
    for start in starts:
        stop = min(len(cols), start + size)
        block_cols = np.ascontiguousarray(cols[start:stop], dtype=np.int64)
        block = z[:, start:stop]  # a view: the kernels write the log-odds in place
        if kcdf == "gaussian":
            _gaussian_log_odds(x, block_cols, bw[start:stop], PNORM_TABLE, block)
        elif kcdf == "none":
            _ecdf_log_odds(x, block_cols, block)
        else:
            _poisson_log_odds(x, block_cols, block)
    return z
