"""GSVA step 2: each gene's CDF across samples and its log-odds, exactly as R GSVA 1.46.

Gaussian kernel with GSVA's ``pnorm`` lookup table (:data:`PNORM_TABLE`, shipped as
``gsva_pnorm_table.npy`` next to this module) and C ``sd()`` bandwidths (:func:`c_sd`),
Poisson kernel (:mod:`._gsva_poisson`) and the empirical CDF (:mod:`._gsva_ecdf`); ``kcdf="auto"``
is resolved by :func:`resolve_kcdf`. :func:`gene_log_odds` runs them over blocks of genes.
The method, its exactness and its speed are described in :mod:`rrscore.methods._gsva`.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from rrscore._numba import numba, thread_pool
from rrscore.methods._gsva_ecdf import ecdf_log_odds
from rrscore.methods._gsva_poisson import poisson_log_odds

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
    over the rows (samples), as in C: ``np.add.reduce`` along axis 0 of a C-ordered block
    adds row after row (NumPy sums pairwise only along the contiguous axis). Column blocks
    of ~32k values reuse one long-double buffer (allocating and paging in large long-double
    temporaries cost more than the sums) and are shared out to threads (the ufunc loops
    release the GIL).

    Parameters
    ----------
    x
        ``(n_samples, n_genes)`` values, any memory layout.

    Returns
    -------
    numpy.ndarray
        ``(n_genes,)`` float64 standard deviations (``n - 1`` denominator).
    """
    n, g = x.shape
    ld = np.longdouble
    out = np.empty(g)
    if g == 0:
        return out
    width = max(16, (1 << 15) // max(n, 1))

    def work(lo: int, hi: int) -> None:
        # squares above ~1.3e154 overflow to inf as in C (no warning: the caller rescales
        # such genes, rescale_overflowing_genes); errstate is per thread, so it is set here
        with np.errstate(over="ignore", invalid="ignore"):
            _work(lo, hi)

    def _work(lo: int, hi: int) -> None:
        big = np.empty((n, width), dtype=ld)
        block = np.empty((n, width))
        for a in range(lo, hi, width):
            w = min(width, hi - a)
            values, wide = block[:, :w], big[:, :w]
            values[...] = x[:, a : a + w]
            wide[...] = values
            mean_ld = np.add.reduce(wide, axis=0) / ld(n)
            finite = np.isfinite(mean_ld.astype(np.float64))
            wide -= mean_ld
            mean_ld = np.where(finite, mean_ld + np.add.reduce(wide, axis=0) / ld(n), mean_ld)
            values -= mean_ld.astype(np.float64)
            values *= values
            wide[...] = values
            squares = np.add.reduce(wide, axis=0)
            out[a : a + w] = np.sqrt((squares / ld(n - 1)).astype(np.float64))

    n_threads = max(1, min(numba.get_num_threads(), -(-g // width)))
    per = -(-g // (n_threads * width)) * width
    bounds = [(lo, min(g, lo + per)) for lo in range(0, g, per)]
    if len(bounds) <= 1:
        for lo, hi in bounds:
            work(lo, hi)
    else:
        with thread_pool(len(bounds)) as pool:
            list(pool.map(lambda b: work(*b), bounds))
    return out


def rescale_overflowing_genes(x: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, sd)`` with every gene whose :func:`c_sd` overflowed divided by a power of two.

    Values above ~1.3e154 overflow the squares of the C ``sd()`` (R GSVA then gives every
    sample of the gene the same kernel CDF, silently). The Gaussian kernel compares
    ``(x_j - x_i) / h`` with ``h = sd / 4`` and the ECDF only orders values, so dividing a
    gene by ``2**k`` (exact in binary floating point) leaves its log-odds bit-identical to
    those of data that never overflowed. Only such genes are scaled, on a copy of ``x``.

    Parameters
    ----------
    x
        ``(n_samples, n_genes)`` finite values.
    sd
        ``(n_genes,)`` :func:`c_sd` of ``x``.

    Returns
    -------
    tuple of numpy.ndarray
        ``x`` itself and ``sd`` when every sd is finite, else a copy of ``x`` with the
        overflowing genes scaled and their recomputed sd.
    """
    bad = np.flatnonzero(~np.isfinite(sd))
    if len(bad) == 0:
        return x, sd
    x = np.array(x, dtype=np.float64, order="F")  # a copy: the caller's data stay as given
    sd = sd.copy()
    for g in bad:
        top = float(np.max(np.abs(x[:, g])))
        if not math.isfinite(top) or top == 0.0:
            continue
        x[:, g] = np.ldexp(x[:, g], -math.frexp(top)[1])  # |values| < 1 after this
    sd[bad] = c_sd(x[:, bad])
    return x, sd


def c_sd_bandwidths(x: np.ndarray) -> np.ndarray:
    """GSVA's Gaussian kernel bandwidths ``sd / 4`` per column (``SIGMA_FACTOR``)."""
    return c_sd(x) / 4.0


#: First table index whose value is exactly 1.0 (tab[8293:] == 1.0).
_TABLE_ONE = int(np.argmax(PNORM_TABLE == 1.0))
#: Bound on |fl(|d| * fl(1000 / h)) - R's fl(fl(fl(|d| / h) / 10) * 10000)| for results
#: up to 10000: five roundings of relative size 2^-53 give 5.6e-12.
_INDEX_MARGIN = 1e-11

# The Gaussian kernel's table codes. For a pair at distance |d| the fast scaled distance is
# w = fl(|d| * fl(1000 / h)), clamped to [2 margin, _CAP]; floor(w + 1 ± margin) is formed
# by adding 2^52 - 1/2 (the sum is rounded to an integer in [2^52, 2^53)), so the double's
# low bits hold table index + 1 and no float -> int conversion is needed. The two floors
# agree, except within the margin of an integer, exactly when truncating R's own quotient
# gives the same index (margin 1e-11 > 5.6e-12 + 0.9e-12 for the additions' rounding); a row
# where they disagree anywhere is recomputed with R's two divisions. The clamp from below
# keeps ties (|d| = 0, index 0) out of that test; the clamp above (8293.5 -> index 8293,
# the first 1.0 of the table) keeps every fast code inside the table.
_CAP = _TABLE_ONE + 0.5
_MAGIC = 2.0**52
_FLOOR_MAGIC = _MAGIC - 0.5
_TWO_MARGINS = 2.0 * _INDEX_MARGIN
_ONE_UP = 1.0 + _INDEX_MARGIN
_ONE_DOWN = 1.0 - _INDEX_MARGIN
_LOW16 = np.uint64(0xFFFF)
#: Density samples per strip (their running sums are held in registers, 8 at a time).
_STRIP = 16
#: Test samples per pass of a strip (its buffer: 16 × 256 doubles = 32 KiB).
_CHUNK = 256


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _gaussian_run(x, cols, bw, tab, out, v, acc, code, bits):
    """Kernel CDF log-odds of the genes ``cols`` of ``x`` into ``out`` (one thread).

    R's ``left_tail`` sums of each gene go to ``acc``: every test sample's N terms added in
    the order of the density samples, as R's ``row_d`` does, with one table look-up per
    *unordered* pair outside the 16 × 16 blocks on the diagonal.

    ``v`` holds the gene's N values padded with +inf to a multiple of ``_STRIP``. Strips of
    16 density samples are taken in sample order; for the strip's own tests and every later
    test j (chunks of ``_CHUNK`` from the strip on), the 16 terms ``T[j, r]`` are computed
    once (vectorised over j) and j's sum gets them in strip order. For a later test,
    ``1 - T[j, r]`` (the term of density j for test r, exact) then goes to strip sample r's
    running sum, in the order of j. So each sum receives densities < strip, the strip, then
    the later ones: R's order. A pad density's row is 1.0 (a term of exactly 0.0 for every
    real test, which leaves its sum bit for bit; the pads' own sums are ignored).

    ``code`` holds the 16 rows of a chunk (row r at ``r * _CHUNK``) and ``bits`` is ``code``
    viewed as uint64 (both from :func:`_gaussian_task`: allocating and viewing them here
    would be more to compile). One function, no helpers: on a cold cache each inlined or
    separately compiled helper costs compile time (~0.5 s on the first call after an
    install), and each loop below is used once.
    """
    n = x.shape[0]
    npad = len(v)
    for c in range(len(cols)):
        g = cols[c]
        for j in range(n):
            v[j] = x[j, g]
        # plain loops, not slice assignments: each of those compiles a broadcasting
        # setitem (~0.5 s more on the first call after an install), for 2 × npad stores
        for j in range(n, npad):
            v[j] = np.inf
        for j in range(npad):
            acc[j] = 0.0
        h = bw[c]
        scale = 1000.0 / h
        for i0 in range(0, npad, _STRIP):
            for j0 in range(i0, npad, _CHUNK):
                m = npad - j0 if npad - j0 < _CHUNK else _CHUNK
                va = v[j0:j0 + m]  # views everywhere: plain loop indices vectorise
                for r in range(_STRIP):
                    row = code[r * _CHUNK:r * _CHUNK + m]
                    if i0 + r >= n:  # a pad density
                        for j in range(m):
                            row[j] = 1.0
                        continue
                    # table codes 2^52 + 1 + R's index of va[j] - xi (see _CAP); min/max
                    # here (as conditional expressions the loop ran 16 % slower)
                    xi = v[i0 + r]
                    unsure = np.uint64(0)
                    for j in range(m):
                        w = min(max(abs(va[j] - xi) * scale, _TWO_MARGINS), _CAP)
                        cj = (w + _ONE_UP) + _FLOOR_MAGIC
                        row[j] = cj
                        unsure |= np.uint64(cj != (w + _ONE_DOWN) + _FLOOR_MAGIC)
                    if unsure != 0:  # R's operations; |v| > 10 saturates, tab[10000] == 1.0
                        for j in range(m):
                            e = abs(va[j] - xi) / h / 10.0 * 10000.0
                            row[j] = math.floor(e if e < 10000.0 else 10000.0) + (_MAGIC + 1.0)
                    # in place: the table value of every code
                    rb = bits[r * _CHUNK:r * _CHUNK + m]
                    for j in range(m):
                        row[j] = tab[(rb[j] & _LOW16) - np.uint64(1)]
                # tests va get the terms of densities x0..x3 in that order; in place of
                # each table value goes the term of test x_q against density va[j], which
                # is exactly 1 - term (table values lie in [0.5, 1], so 1 - t and
                # 1 - (1 - t) are exact)
                aj = acc[j0:j0 + m]
                for q in range(_STRIP // 4):
                    o = 4 * q * _CHUNK
                    ta, tb = code[o:o + m], code[o + _CHUNK:o + _CHUNK + m]
                    tc = code[o + 2 * _CHUNK:o + 2 * _CHUNK + m]
                    td = code[o + 3 * _CHUNK:o + 3 * _CHUNK + m]
                    x0, x1 = v[i0 + 4 * q], v[i0 + 4 * q + 1]
                    x2, x3 = v[i0 + 4 * q + 2], v[i0 + 4 * q + 3]
                    for j in range(m):
                        vj = va[j]
                        t0 = (1.0 - ta[j]) if vj < x0 else ta[j]
                        t1 = (1.0 - tb[j]) if vj < x1 else tb[j]
                        t2 = (1.0 - tc[j]) if vj < x2 else tc[j]
                        t3 = (1.0 - td[j]) if vj < x3 else td[j]
                        s = aj[j]
                        s += t0
                        s += t1
                        s += t2
                        s += t3
                        aj[j] = s
                        ta[j] = 1.0 - t0
                        tb[j] = 1.0 - t1
                        tc[j] = 1.0 - t2
                        td[j] = 1.0 - t3
                # later tests' complements go to the strip samples' sums in the order of
                # j, 8 sums at a time held as scalars (8 chains keep the adds busy); the
                # strip's own tests (the first 16 of its first chunk) are done above
                first = _STRIP if j0 == i0 else 0
                for half in range(2):
                    b = i0 + 8 * half
                    o = 8 * half * _CHUNK
                    c0, c1, c2, c3 = acc[b], acc[b + 1], acc[b + 2], acc[b + 3]
                    c4, c5, c6, c7 = acc[b + 4], acc[b + 5], acc[b + 6], acc[b + 7]
                    for j in range(first, m):
                        u = np.uint64(o + j)  # unsigned: no negative-index code
                        c0 += code[u]
                        c1 += code[u + np.uint64(_CHUNK)]
                        c2 += code[u + np.uint64(2 * _CHUNK)]
                        c3 += code[u + np.uint64(3 * _CHUNK)]
                        c4 += code[u + np.uint64(4 * _CHUNK)]
                        c5 += code[u + np.uint64(5 * _CHUNK)]
                        c6 += code[u + np.uint64(6 * _CHUNK)]
                        c7 += code[u + np.uint64(7 * _CHUNK)]
                    acc[b], acc[b + 1], acc[b + 2], acc[b + 3] = c0, c1, c2, c3
                    acc[b + 4], acc[b + 5], acc[b + 6], acc[b + 7] = c4, c5, c6, c7
        for j in range(n):
            lt = acc[j] / n
            out[j, c] = -math.log((1.0 - lt) / lt)


def _gaussian_log_odds(x: np.ndarray, cols: np.ndarray, bw: np.ndarray, tab: np.ndarray,
                       out: np.ndarray) -> None:
    """Kernel CDF log-odds of the genes ``cols`` of ``x`` (samples × genes) into ``out``.

    ``tab`` is :data:`PNORM_TABLE`; ``bw`` the bandwidths of ``cols``. Runs the nogil kernel
    :func:`_gaussian_run` over tasks of a few genes on a thread pool (see
    :func:`_gaussian_tasks`); the sums are bit-identical to R's.
    """
    with thread_pool(max(1, numba.get_num_threads())) as pool:
        for task in _gaussian_tasks(pool, x, cols, bw, tab, out):
            task.result()


def _gaussian_tasks(pool, x: np.ndarray, cols: np.ndarray, bw: np.ndarray, tab: np.ndarray,
                    out: np.ndarray) -> list:
    """Submit the genes ``cols`` to ``pool`` in tasks of ~2^24 sample pairs (16 genes at
    1,000 samples): threads take the next task when done, so a thread the machine slows
    down holds no one up (one task per thread and block would), and the pool is started
    once per call (starting threads per block cost ~1 ms each under load). Returns the
    futures in gene order."""
    n = x.shape[0]
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    bw = np.ascontiguousarray(bw, dtype=np.float64)
    size = int(min(1024, max(1, (1 << 24) // max(n * n, 1))))
    return [pool.submit(_gaussian_task, x, cols[a : a + size], bw[a : a + size], tab,
                        out[:, a : a + size]) for a in range(0, len(cols), size)]


def _gaussian_task(x: np.ndarray, cols: np.ndarray, bw: np.ndarray, tab: np.ndarray,
                   out: np.ndarray) -> None:
    """:func:`_gaussian_run` of one task, with its buffers (a few KiB, allocated per task)."""
    npad = (x.shape[0] + _STRIP - 1) // _STRIP * _STRIP  # padded to whole strips
    code = np.empty(_STRIP * _CHUNK)
    _gaussian_run(x, cols, bw, tab, out, np.empty(npad), np.empty(npad), code,
                  code.view(np.uint64))


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

    The Gaussian kernel runs as tasks of a few genes on one thread pool; the ECDF and the
    Poisson kernel in blocks of genes, each shared out to threads. Each task or block
    writes a column slice of the output.

    Parameters
    ----------
    x
        Dense ``(n_samples, n_genes)`` float64 matrix (any memory layout; a column-major one
        reads each gene contiguously).
    cols
        Indices of the genes (columns of ``x``) to transform.
    kcdf
        ``"gaussian"``, ``"poisson"`` or ``"none"`` (resolved, see :func:`resolve_kcdf`).
    sd
        Optional :func:`c_sd` of every column of ``x`` (the Gaussian bandwidths are
        ``sd / 4``); computed when not given.
    progress
        Show a tqdm progress bar.

    Returns
    -------
    numpy.ndarray
        ``(n_samples, len(cols))`` float64 log-odds ``-log((1 - F) / F)`` (``±inf``
        possible), column c for gene ``cols[c]``.
    """
    n = x.shape[0]
    z = np.empty((n, len(cols)))
    if len(cols) == 0:
        return z
    if kcdf == "gaussian":
        bw = (c_sd(x) if sd is None else sd)[cols] / 4.0  # GSVA's SIGMA_FACTOR
        with thread_pool(max(1, numba.get_num_threads())) as pool:
            tasks = _gaussian_tasks(pool, x, cols, bw, PNORM_TABLE, z)
            if progress:
                from tqdm.auto import tqdm

                tasks = tqdm(tasks, unit="task", desc="gsva CDF (gaussian)", leave=False)
            for task in tasks:
                task.result()
        return z
    if kcdf == "none":  # O(N log N) per gene: large blocks, each sorted on threads
        size = int(max(64, (1 << 21) // max(n, 1)))
    else:
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
        if kcdf == "none":
            ecdf_log_odds(x, block_cols, block)
        else:
            poisson_log_odds(x, block_cols, block)
    return z
