"""GSVA (Hänzelmann et al. 2013) exactly as R GSVA 1.46 ``gsva(method="gsva")`` computes it.

Steps (GSVA 1.46 ``R/gsva.R``, ``src/kernel_estimation.c``, ``src/ks_test.c``):

1. **Constant genes removed.** Genes with a standard deviation below ``1e-10`` across the
   samples are deleted from the data *before* anything else (``.filterFeatures``), so they
   are neither ranked nor in any set. rrscore warns, names the affected sets, notes the
   count in the input report and scores a set left with no gene NaN (GSVA drops it).
2. **Per-gene CDF across samples**, then log-odds ``z = -log((1 - F) / F)``:

   * ``kcdf="gaussian"``: ``F_gj = (1/N) Σ_i Φ̃((x_gj - x_gi) / h_g)`` with ``h_g = sd_g / 4``
     (C ``sd()``: ``n - 1`` denominator, a corrected two-pass mean, sums in x87 ``long
     double``, reproduced with NumPy's ``longdouble``) and GSVA's lookup table
     ``Φ̃(v) = tab[(int)(|v| / 10 * 10000)]`` (``1 - tab[...]`` for ``v < 0``, 0/1 beyond
     ±10), ``tab[i] = pnorm(10 i / 10000)``. The table is R's own ``pnorm`` output, shipped
     as ``gsva_pnorm_table.npy`` (``scipy.special.ndtr`` differs from it in 393 of the
     10,001 entries by 1-2 ulp, enough to change a table sum's last bit).
   * ``kcdf="poisson"``: ``F_gj = (1/N) Σ_i ppois(x_gj, λ = x_gi + 0.5)`` (for counts).
   * ``kcdf="none"``: the empirical CDF ``F_gj = #{i: x_gi <= x_gj} / N`` and R's
     ``log(F / (1 - F))``.
   * ``kcdf="auto"`` (GSVA ≥ 2's rule, offered explicitly): ``"none"`` with 200 samples
     or more, otherwise ``"poisson"`` when every value is a non-negative whole number and
     ``"gaussian"`` else. GSVA 2 tests R's storage type (``is.integer``), which a float
     matrix does not have; rrscore tests the values. The choice is noted in the report.
3. **Ranks per sample**: genes ordered by decreasing ``z``, ties in gene (row) order
   (R's stable ``order(decreasing=TRUE)``); position ``p`` gives the symmetric rank
   statistic ``s = |n/2 - p + 1|``. Tied genes get *different* statistics, as in R.
4. **Random walk** per set and sample: the running sum
   ``D(t) = Σ_{hits ≤ t} s^tau / Σ_set s^tau - #{misses ≤ t} / (n - k)``;
   ``E+ = max(0, max D)``, ``E- = min(0, min D)``. ``max_diff=True``: ``E+ + E-``
   (``abs_ranking=True``: ``E+ - E-``); ``max_diff=False``: ``E+`` if ``E+ > |E-|`` else
   ``E-`` (``abs_ranking`` has no effect then, as in GSVA 1.46's C code).

**Speed.** The Gaussian CDF costs O(genes × samples²) in R too. Its sum must be added in R's
order (over the density samples in column order) to give the same doubles, because the
log-odds are then ranked across genes and a reordered sum could flip a near-tie. rrscore
keeps that sum and its order exactly, and evaluates it as three vectorisable passes per
density sample (table index, table lookup, signed accumulation into the N sums), in parallel
over genes: about 0.55 ns per sample pair on one core here, against about 5 ns for R's C
loop (20,000 genes × 1,000 samples: R 102 s on one core). The index comes from one
multiplication; where that could truncate differently from R's two divisions (a product
within 1e-11 of an integer), the row is recomputed with R's operations. Two shortcuts were
measured and rejected: skipping pairs whose table value is exactly 0 or 1 (the table reaches
1.0 at index 8,293, i.e. 2.07 sd) would save 14 % of the pairs on real data (leukemia, TCGA
log counts) and 6 % on log-normal values, at the cost of a sorted, permuted layout; reusing
``Φ̃(-v) = 1 - Φ̃(v)`` (exact) needs an N × N store per gene whose memory traffic cancelled
the saving. The walk needs only the positions of the set's genes: its maximum is at a hit
and its minimum just before one, so one pass over a sample's order visits every set's hits
in order, O(genes + Σ set sizes) per sample, with no genes × samples × sets intermediate.
Ranks come from NumPy's SIMD argsort on threads. Memory: the input (not copied when it is a
float64 array, such as a genes × samples DataFrame), the log-odds (one float64 per kept gene
and sample) and one chunk of samples' positions.

**Exactness.** The Gaussian and ECDF log-odds are bit-identical to GSVA 1.46's (checked
against R's own ``.C("matrix_density_R")`` on real and synthetic data, including ties and
twin genes), so the ranks are identical. The walk is evaluated in closed form instead of
R's running sum over all n genes; the scores then differ only by that running sum's
rounding, which grows with n. Where ``max_diff=False`` compares ``E+`` with ``|E-|`` and
the two are within 1e-9, the walk is replayed exactly as R's C code does it, so the branch
taken is R's. Measured against the R GSVA 1.46.0 fixtures: ≤ 3e-13 absolute (9,052 genes),
≤ 2e-14 (300 genes); tests use 1e-8. **Poisson** uses SciPy's ``pdtr`` for R's ``ppois``
(R's ``floor(x + 1e-7)`` applied first); the two differ by up to ~5e-14 relative, so the
Poisson log-odds are not bit-identical (within 2e-14 of R's, measured) and a near-tie
between two genes can rank differently. On the committed TCGA counts fixture (genes with
mean count ≥ 10) and on simulated negative-binomial counts no rank differed and scores
match to ≤ 4e-14. On the *full* TCGA LUAD STAR counts (51,825 genes incl. many genes with
a few reads in one sample, where ``1 - F`` is tiny) the log-odds differ in the last bits
for ~14 % of entries, near-tied genes swap places and scores differ by up to 5e-4
(measured with ``benchmarks/bench_bulk.py --workload tcga_counts``). So the Poisson
tolerance is 1e-8 for genes with adequate counts and 1e-3 in general; filter genes with
very low counts (as one should for a kernel CDF anyway) for exact parity.

**Deviations (documented).** Duplicated genes in a set are removed when the set is read
(GSVA 1.46 counted a duplicate twice in ``Σ s^tau`` and in ``n - k``, but only once in the
walk). Constant genes are left out of the sets before the size filter (``rrscore.score`` and
``rrscore.tl.score`` pass ``method`` to :func:`rrscore.prepare`), so ``min_size``,
``max_size`` and the sets scored are GSVA's. **Signed sets** (GSVA has none): ``ES(up) -
ES(down)``, each part scored as an ordinary set with the chosen
``max_diff``/``abs_ranking``, so with ``max_diff=True`` the score lies in ``[-2, 2]``; a
part with no gene contributes 0. Sparse or lazily read input is densified (GSVA 1.46
semantics: zeros are values; GSVA 2's sparse mode is not reproduced). ``kcdf="poisson"``
rejects negative values (R returns NaN for them).

Default ``kcdf="gaussian"``: it is GSVA 1.46's default and what the reference fixtures
use; GSVA 2 switched its default to ``"auto"`` because R's kernel is too slow beyond ~200
samples, which does not hold here, and ``"auto"`` changes the estimator (and so every
score) when a cohort crosses 200 samples.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path

import numba
import numpy as np
from scipy.special import pdtr

from rrscore.errors import InputDataError, RRScoreError
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._chunks import DEFAULT_CHUNK_SIZE, flatten_sets
from rrscore.methods._registry import MethodSpec, ReadMode, ScaleRule
from rrscore.methods._standardize import (
    CONSTANT_SD,
    GeneScaling,
    constant_genes,
    drop_constant_genes,
)
from rrscore.ranking import fast_descending_positions

#: Accepted values of ``kcdf``.
KCDF_CHOICES = ("gaussian", "poisson", "none", "auto")
#: GSVA ≥ 2 ``kcdfNoneMinSampleSize``: ``kcdf="auto"`` uses the ECDF from this many samples.
AUTO_ECDF_MIN_SAMPLES = 200
#: |E+| and |E-| closer than this (max_diff=False) → replay the walk as R's C code does.
_TIE = 1e-9


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


@dataclass(frozen=True)
class GsvaParams:
    """Parameters of GSVA (R GSVA 1.46 names in snake case).

    Parameters
    ----------
    kcdf
        ``"gaussian"`` (default; continuous data such as log expression), ``"poisson"``
        (integer counts), ``"none"`` (empirical CDF, no kernel) or ``"auto"`` (GSVA ≥ 2's
        rule, see the module notes). Case-insensitive.
    max_diff
        GSVA ``mx.diff``: score ``E+ + E-`` (True) or the larger deviation (False).
    abs_ranking
        GSVA ``abs.ranking``: with ``max_diff=True``, score ``E+ - E-`` (deviations in
        either direction count as enrichment).
    tau
        Exponent of the rank-statistic weights in the walk (GSVA ``tau``, default 1).
    """

    kcdf: str = "gaussian"
    max_diff: bool = True
    abs_ranking: bool = False
    tau: float = 1.0

    def __post_init__(self) -> None:
        kcdf = str(self.kcdf).lower() if isinstance(self.kcdf, str) else self.kcdf
        if kcdf not in KCDF_CHOICES:
            raise RRScoreError(f"kcdf must be one of {KCDF_CHOICES}, got {self.kcdf!r}")
        object.__setattr__(self, "kcdf", kcdf)
        for name in ("max_diff", "abs_ranking"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise RRScoreError(f"{name} must be True or False, got {getattr(self, name)!r}")
        if isinstance(self.tau, (bool, np.bool_)) or not isinstance(
            self.tau, (int, float, np.integer, np.floating)
        ):
            raise RRScoreError(f"tau must be a number, got {self.tau!r}")
        if not np.isfinite(self.tau) or self.tau < 0:
            raise RRScoreError(f"tau must be a finite number >= 0, got {self.tau}")
        object.__setattr__(self, "tau", float(self.tau))


# ----------------------------------------------------------------------------- step 2: CDFs


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
            unsure = np.uint32(0)
            for j in range(n):
                w = min(abs(v[j] - xi) * scale, 10000.0)
                low = np.uint32(max(w - _INDEX_MARGIN, 0.0))
                high = np.uint32(w + _INDEX_MARGIN)
                unsure += np.uint32((low != high) & (low < _TABLE_ONE))
                k[j] = low
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


# ----------------------------------------------------------------------------- step 4: walk


@numba.njit(cache=True, error_model="numpy")
def _replay_walk(order, member, total, k, tau, unit):
    """R's C ``ks_sample`` running sum over all n positions: ``(E+, E-)``.

    Used where the closed form could decide differently from R (a near-tie of ``E+`` and
    ``|E-|`` with ``max_diff=False``) or is undefined (zero weight total, ``k == n``):
    NaN and infinite steps then propagate exactly as in C.
    """
    n = len(order)
    half = n / 2.0
    dec = 1.0 / (n - k)
    cum = 0.0
    e_pos = 0.0
    e_neg = 0.0
    for t in range(n):
        if member[order[t]]:
            w = abs(half - t)  # position t + 1
            cum += (w if unit else w**tau) / total
        else:
            cum -= dec
        if cum > e_pos:
            e_pos = cum
        if cum < e_neg:
            e_neg = cum
    return e_pos, e_neg


@numba.njit(parallel=True, cache=True, error_model="numpy")
def _walk_scores(pos, ptr, idx, gptr, gset, tau, max_diff, abs_ranking, out):
    """GSVA enrichment scores of every set (CSR ``ptr``/``idx``) in every row of ``pos``.

    ``pos`` holds 1-based positions in the decreasing order of the log-odds; ``gptr``/
    ``gset`` list the sets of each gene. The running sum rises only at hits, so its
    maximum is at a hit and its minimum just before one, where ``D = cum_w - misses /
    (n - k)``. One pass over the positions visits every set's hits in order (no sort per
    set): O(n + Σk) per sample. The weight totals are summed in each set's own order, as
    C does. Near-ties of ``E+`` and ``|E-|`` (``max_diff=False``), a zero weight total
    and ``k == n`` are replayed with the C code's running sum.
    """
    n_rows, n = pos.shape
    n_sets = len(ptr) - 1
    half = n / 2.0
    unit = tau == 1.0  # C's pow(x, 1.0) is x: skip the call
    dec = np.empty(n_sets)
    for s in range(n_sets):
        dec[s] = 1.0 / (n - (ptr[s + 1] - ptr[s]))
    for r in numba.prange(n_rows):
        order = np.empty(n, dtype=np.int64)
        for gene in range(n):
            order[pos[r, gene] - 1] = gene
        total = np.zeros(n_sets)
        for s in range(n_sets):
            acc = 0.0
            for q in range(ptr[s], ptr[s + 1]):  # the set's order, as C sums the weights
                w = abs(half - pos[r, idx[q]] + 1.0)
                acc += w if unit else w**tau
            total[s] = acc
        cum = np.zeros(n_sets)
        hits = np.zeros(n_sets, dtype=np.int64)
        e_pos = np.zeros(n_sets)
        e_neg = np.zeros(n_sets)
        for t in range(n):  # position t + 1
            gene = order[t]
            if gptr[gene] == gptr[gene + 1]:
                continue
            w = abs(half - t)
            wt = w if unit else w**tau
            for q in range(gptr[gene], gptr[gene + 1]):
                s = gset[q]
                miss = (t - hits[s]) * dec[s]
                low = cum[s] - miss  # just before this hit
                if low < e_neg[s]:
                    e_neg[s] = low
                cum[s] += wt / total[s]
                high = cum[s] - miss  # at this hit
                if high > e_pos[s]:
                    e_pos[s] = high
                hits[s] += 1
        member = np.zeros(0, dtype=np.bool_)
        for s in range(n_sets):
            k = ptr[s + 1] - ptr[s]
            if k == 0:
                out[r, s] = np.nan
                continue
            ep = e_pos[s]
            en = e_neg[s]
            if not (total[s] > 0.0) or k == n or (not max_diff and abs(ep + en) <= _TIE):
                if len(member) == 0:
                    member = np.zeros(n, dtype=np.bool_)
                for q in range(ptr[s], ptr[s + 1]):
                    member[idx[q]] = True
                ep, en = _replay_walk(order, member, total[s], k, tau, unit)
                for q in range(ptr[s], ptr[s + 1]):
                    member[idx[q]] = False
            if max_diff:
                out[r, s] = ep - en if abs_ranking else ep + en
            else:
                out[r, s] = ep if ep > abs(en) else en


def gene_set_index(ptr: np.ndarray, idx: np.ndarray, n_genes: int):
    """The transpose of a set → genes CSR: ``(gptr, gset)``, the sets of every gene."""
    owner = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    by_gene = np.argsort(idx, kind="stable")
    gptr = np.zeros(n_genes + 1, dtype=np.int64)
    gptr[1:] = np.cumsum(np.bincount(idx, minlength=n_genes))
    return gptr, np.ascontiguousarray(owner[by_gene])


# ----------------------------------------------------------------------------- driver


def _dense_values(expr: ExpressionMatrix) -> np.ndarray:
    """The whole matrix as a float64 array: the input itself when it is one (any memory
    layout: a genes × samples DataFrame gives gene columns that are contiguous, which
    suits the per-gene CDF), else densified block by block (sparse, lazy)."""
    if isinstance(expr.values, np.ndarray):
        return np.asarray(expr.values, dtype=np.float64)
    n, g = expr.shape
    out = np.empty((n, g), order="F")
    step = max(1, (1 << 24) // max(g, 1))
    for start in range(0, n, step):
        stop = min(n, start + step)
        out[start:stop] = expr.dense_rows(start, stop)
    return out


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


def _note(expr: ExpressionMatrix, text: str) -> None:
    notes = expr.report.notes
    if text not in notes:
        notes.append(text)


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


def _remapped(sets: AlignedSets, part: str, new_index: np.ndarray):
    ptr, idx = flatten_sets(sets, part)
    return ptr, np.ascontiguousarray(new_index[idx], dtype=np.int64)


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: GsvaParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """GSVA scores ``(n_samples, n_sets)``: CDF over genes in blocks, walk over sample chunks."""
    n, n_genes = expr.shape
    if n < 2:
        raise InputDataError(f"GSVA estimates each gene's CDF across samples: needs at "
                             f"least 2 samples, got {n}")
    x = _dense_values(expr)
    kcdf = resolve_kcdf(params.kcdf, x)
    if params.kcdf == "auto":
        _note(expr, f"gsva: kcdf='auto' chose {kcdf!r} ({n} samples)")
    if kcdf == "poisson" and np.any(x < 0):
        raise InputDataError("kcdf='poisson' needs non-negative counts; the data have "
                             "negative values (use kcdf='gaussian' for log-scale data)")

    # GSVA 1.46 drops genes with rowSds < 1e-10 (matrixStats sums in long double too);
    # the C sd is needed anyway for the Gaussian bandwidths
    sd = c_sd(x)
    constant = ~(sd >= CONSTANT_SD)  # NaN sd counts as constant, as in GSVA
    n_constant = int(constant.sum())
    if n_genes - n_constant < 2:
        raise InputDataError(f"GSVA needs at least 2 non-constant genes; {n_genes - n_constant}"
                             f" of {n_genes} genes vary across the samples")
    if n_constant:
        names = [str(expr.genes[i]) for i in np.flatnonzero(constant)[:10]]
        text = (f"gsva: {n_constant} gene(s) constant across samples (sd < {CONSTANT_SD:g}) "
                f"removed before ranking, as GSVA does: {', '.join(names)}"
                f"{' ...' if n_constant > 10 else ''}")
        _note(expr, text)
        warnings.warn(text, UserWarning, stacklevel=3)
        scaling = GeneScaling(mean=np.full(n_genes, np.nan), sd=sd, constant=constant)
        sets = drop_constant_genes(sets, scaling, expr.genes, "gsva")
    cols = np.flatnonzero(~constant).astype(np.int64)
    new_index = np.full(n_genes, -1, dtype=np.int64)
    new_index[cols] = np.arange(len(cols))

    z = gene_log_odds(x, cols, kcdf, sd=sd, progress=progress)
    del x  # the input itself or a dense copy; only the log-odds are needed from here

    n_kept = len(cols)
    up_ptr, up_idx = _remapped(sets, "up", new_index)
    up_genes = gene_set_index(up_ptr, up_idx, n_kept)
    signed = any(s.signed for s in sets)
    if signed:
        dn_ptr, dn_idx = _remapped(sets, "down", new_index)
        dn_genes = gene_set_index(dn_ptr, dn_idx, n_kept)
    out = np.empty((n, len(sets)))
    size = max(1, int(chunk_size or DEFAULT_CHUNK_SIZE))
    starts = range(0, n, size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=(n + size - 1) // size, unit="chunk",
                      desc="gsva walk", leave=False)
    tau = float(params.tau)
    for start in starts:
        stop = min(n, start + size)
        pos = fast_descending_positions(z[start:stop])
        up = np.empty((stop - start, len(sets)))
        _walk_scores(pos, up_ptr, up_idx, *up_genes, tau, bool(params.max_diff),
                     bool(params.abs_ranking), up)
        if signed:
            down = np.empty_like(up)
            _walk_scores(pos, dn_ptr, dn_idx, *dn_genes, tau, bool(params.max_diff),
                         bool(params.abs_ranking), down)
            # a part without genes contributes 0; a set without any gene stays NaN
            both_empty = np.isnan(up) & np.isnan(down)
            up = np.where(np.isnan(up), 0.0, up) - np.where(np.isnan(down), 0.0, down)
            up[both_empty] = np.nan
        out[start:stop] = up
    return out


def _input_scale(params: GsvaParams) -> ScaleRule | None:
    if params.kcdf == "gaussian":
        return ScaleRule(
            frozenset({"log", "log_ratio", "scaled"}),
            "the Gaussian kernel is for continuous log-scale values; use kcdf='poisson' for "
            "integer counts, or log-transform (e.g. log2(CPM + 1))",
        )
    if params.kcdf == "poisson":
        return ScaleRule(
            frozenset({"counts"}),
            "kcdf='poisson' is for integer counts; use kcdf='gaussian' on log-scale values",
        )
    return None  # "none" (empirical CDF) and "auto" fit any scale


SPEC = MethodSpec(
    name="gsva",
    summary="GSVA: per-gene kernel CDF across samples, then a KS-like rank walk per sample",
    reference="R GSVA 1.46 gsva(method='gsva'); Hänzelmann et al. BMC Bioinformatics 2013",
    params=GsvaParams,
    run=run,
    sample_independent=False,
    signed_sets="ES(up) - ES(down), each part with the chosen max_diff/abs_ranking",
    read_mode=ReadMode("memory", "it estimates every gene's distribution over all samples"),
    excluded_genes=constant_genes,
    input_scale=_input_scale,
)
