"""GSVA (Hänzelmann et al. 2013) exactly as R GSVA 1.46 ``gsva(method="gsva")`` computes it.

Steps (GSVA 1.46 ``R/gsva.R``, ``src/kernel_estimation.c``, ``src/ks_test.c``):

1. **Constant genes removed.** Genes with a standard deviation below ``1e-10`` across the
   samples are deleted from the data *before* anything else (``.filterFeatures``), so they
   are neither ranked nor in any set. rrscore warns, names the affected sets and notes the
   count in the input report; a set left with no gene is dropped, as GSVA drops it (a
   ``DroppedSetsWarning``, and the coverage report's reason).
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
order (over the density samples in column order) to give the same doubles, because the log-odds
are then ranked across genes and a reordered sum could flip a near-tie. rrscore keeps that sum
and its order exactly but looks the table up once per *unordered* pair of samples: GSVA's table
is symmetric, ``Φ̃(-v) = 1 - Φ̃(v)`` exactly (table values lie in [0.5, 1], where ``1 - t`` is
exact), so the term of sample i for test j gives the term of j for test i. Density samples are
taken in strips of 16: the pairs inside a strip, then for every later sample j (vectorised over
j) the 16 terms, added to j's sum in strip order while their complements go to the 16 strip
samples' running sums (held in registers, 8 at a time) in the order of j — each sum receives its
terms in R's order. The table index comes from one multiplication and the 2^52 floor trick;
where two floors ``1e-11`` apart disagree (the product lies within ``1e-11`` of an integer,
where R's two divisions could truncate differently) the row is recomputed with R's operations.
Genes go to a thread pool in tasks of ~2^24 sample pairs. Measured on one core of this (shared)
machine: ~0.7 ns per sample pair at 300 and 1,000 samples, against 1.2-1.4 ns for the previous
all-pairs kernel (``benchmarks/bench_gsva_kernel.py``) and ~5 ns for R's C loop. Skipping pairs
whose table value is exactly 0 or 1 (the table reaches 1.0 at index 8,293, 2.07 sd) was measured
and rejected: only 6-14 % of pairs on log-normal and real data, and R's order forbids counting
them. The bandwidths' long-double sums (C ``sd()``) run over column blocks on threads; the
per-sample ranks come from one SIMD sort of 64-bit keys (value order bits, gene index in the low
bits) per sample. The walk needs only the positions of the set's genes: its maximum is at a hit
and its minimum just before one, so one pass over a sample's order visits every set's hits in
order, O(genes + Σ set sizes) per sample, with no genes × samples × sets intermediate; each
set's running state is one cache line and a hit costs one multiply-subtract (no division),
~1.5-2 ms per sample for 5,000 C2-sized sets (404,000 memberships) on one core of this machine,
against ~6 ms before (:mod:`rrscore.methods._gsva_walk`). Memory: the input (not copied when it
is a float64 array, such as a genes × samples DataFrame), the log-odds (one float64 per kept
gene and sample) and one chunk of samples' positions.

**When to use** ``kcdf="none"``. The empirical CDF costs one sort per gene, O(genes ×
samples · log samples): ~40× less than the Gaussian kernel at 1,000 samples and the gap grows
with the cohort. It is a different estimator, so its scores are not GSVA 1.46's Gaussian
scores: on synthetic log-normal data (20,000 genes, 60 sets) they correlate with them at
r = 0.991 (50 samples), 0.997 (200) and 0.999 (1,000), mean |difference| 0.011, 0.007 and
0.004. Prefer it for large cohorts (GSVA ≥ 2 switches to it from 200 samples) when parity with
GSVA 1.x is not needed, and for thousands of samples, where the Gaussian kernel's
samples² cost dominates; keep ``"gaussian"`` for small cohorts (the ECDF moves in steps of
1/N and ties many genes) and to reproduce GSVA 1.46 / published GSVA 1.x results.

**Sparse cells** (:mod:`rrscore.methods._gsva_sparse`). With ``kcdf="none"`` — or
``"auto"``, which picks it from 200 cells — an in-memory sparse matrix (CSR or CSC, or an
AnnData holding one) is never densified. The ECDF log-odds are a strictly increasing function
of the integer count ``#{x_i <= x}``, so a cell's order of decreasing log-odds is its order of
decreasing count, ties in gene order; within a gene every zero has the same count. rrscore
therefore keeps one int32 order key per *stored* value (the rank of its count's log-odds
double, so equal doubles tie exactly as in the dense path) and one key per gene for its
zeros, and builds the positions of only the genes in some set (the walk reads no other), each
among all kept genes, from one pass over the cell's stored values binned against the set
genes' zero keys (no per-cell sort, never O(genes) per cell). The walk is the dense path's
(``n_ranked`` = the kept genes), so the scores
are **bit-identical** to those of the densified matrix (tested on synthetic cells with ties,
negative values, explicit zeros and the constant-gene edge, on the mixology and pbmc68k
cells). The constant-gene filter uses the sparse moments' float64 sd and computes C
``sd()`` exactly only for the genes whose float64 sd lies near the threshold (or whose values
could overflow it): the removed genes are the dense path's. Memory beyond the input and the
scores: 4 bytes per stored value, a few arrays per gene, ~1 byte per stored value while the
keys are built (blocks of genes), and one chunk of cells' positions (chunk × genes int32),
against two cells × genes float64 arrays (24 GB at 50,000 × 30,000) for the dense path.
Measured at 50,000 cells × 30,000 genes (8 % stored, float32 CSR) × 2,000 sets
(``benchmarks/bench_singlecell.py --cells 50000 --genes 30000 --sets 2000 --no-peers
--methods gsva``): 45-62 s (runs under varying load), the call's extra memory 1.27 GB =
1.67 × its output (goal ≤ 2 × + one chunk); the walk over 2,000 sets takes most of the time.
20,000 cells × 20,000 genes × 20 sets: 4.0-4.6 s and +144 MB, against 53 s and +6.1 GB
densified (same scores); 200,000 cells × 20,000 genes × 20 sets: 32-61 s, +1.46 GB, peak RSS
1.75 × the input (densified: two 32 GB arrays); 31.8 s (load ~1.3) once the walk stopped
scattering the genes in no set (:func:`~rrscore.methods._gsva_walk._walk_rows`); 29.2-29.5 s
(CPU 53.4-53.7 s) with the positions of the set genes only, against 34.2-38.5 s (CPU
60.8-66.1 s) before, alternated in one run (``benchmarks/bench_trees.py``, load ~2), peak RSS
1.74 × the input. Quiet machine, in-process phases (wall / CPU s): keys 10.4 / 19.5,
positions 8.3 / 14.7, walk 7.5 / 12.6, the rest ~2.7. Memory row after it: +1,269 MB.
Then the walk visited only the marked positions of the set genes (a bitmap per cell instead
of all 20,000 positions; walk CPU −38 % at 2,000 set genes): 26.4 s (load ~1.4), peak RSS
1.75 × the input.
``kcdf="gaussian"`` and ``"poisson"`` on sparse input keep the dense path (their kernels
compare every pair of samples of a gene, O(N²): bulk methods, not for cells).

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
part with no gene contributes 0. Zeros of sparse input are values, as in GSVA 1.46
(GSVA 2's sparse mode, which ranks the non-zero values only, is not reproduced); sparse input
with ``kcdf="gaussian"``/``"poisson"`` is densified, and lazily read input (backed h5ad, Dask)
is refused with a one-line error (GSVA needs every cell at once: load it first). ``kcdf="poisson"``
rejects negative values (R returns NaN for them).

Default ``kcdf="gaussian"``: it is GSVA 1.46's default and what the reference fixtures
use; GSVA 2 switched its default to ``"auto"`` because R's kernel is too slow beyond ~200
samples, which does not hold here, and ``"auto"`` changes the estimator (and so every
score) when a cohort crosses 200 samples.

Code: step 2 (CDFs, log-odds, the ``pnorm`` table) is in :mod:`rrscore.methods._gsva_kcdf`,
step 4 (the walk) in :mod:`rrscore.methods._gsva_walk`, steps 1-3 for sparse cells with the
ECDF in :mod:`rrscore.methods._gsva_sparse`; this module holds the parameters, the driver
:func:`run` (steps 1 and 3, chunking, the choice of the sparse path) and ``SPEC``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rrscore._numba import numba
from rrscore.errors import (
    ConstantGenesWarning,
    InputDataError,
    MethodWarning,
    RRScoreError,
    warn,
)
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._chunks import DEFAULT_CHUNK_SIZE, flatten_sets
from rrscore.methods._gsva_kcdf import (
    KCDF_CHOICES,
    c_sd,
    gene_log_odds,
    rescale_overflowing_genes,
    resolve_kcdf,
)
from rrscore.methods._gsva_sparse import SparseEcdfRanks, resolve_sparse_kcdf
from rrscore.methods._gsva_walk import _walk_scores, gene_set_index
from rrscore.methods._registry import MethodSpec, ReadMode, ScaleRule
from rrscore.methods._standardize import (
    CONSTANT_SD,
    GeneScaling,
    constant_genes,
    drop_constant_genes,
)
from rrscore.ranking._dense import fast_descending_positions


@dataclass(frozen=True)
class GsvaParams:
    """Parameters of GSVA (R GSVA 1.46 names in snake case).

    Parameters
    ----------
    kcdf
        ``"gaussian"`` (default; continuous data such as log expression; GSVA 1.46's scores
        bit for bit, cost genes × samples²), ``"poisson"`` (integer counts), ``"none"``
        (empirical CDF, no kernel: genes × samples·log samples, ~40× faster at 1,000
        samples; a different estimator whose scores correlate with the Gaussian ones at
        r ≈ 0.997 from 200 samples — prefer it for large cohorts when GSVA 1.x parity is not
        needed; the one for sparse single-cell input, which it scores without densifying)
        or ``"auto"`` (GSVA ≥ 2's rule, see the module notes). Case-insensitive.
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


def _note(expr: ExpressionMatrix, text: str) -> None:
    notes = expr.report.notes
    if text not in notes:
        notes.append(text)


def _remapped(sets: AlignedSets, part: str, new_index: np.ndarray):
    ptr, idx = flatten_sets(sets, part)
    return ptr, np.ascontiguousarray(new_index[idx], dtype=np.int64)


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: GsvaParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """GSVA scores ``(n_samples, n_sets)``: CDF over genes in blocks, walk over sample chunks.

    Sparse input with ``kcdf`` resolved to ``"none"`` takes the sparse path
    (:class:`~rrscore.methods._gsva_sparse.SparseEcdfRanks`: same positions, no dense copy).
    """
    n, n_genes = expr.shape
    if n < 2:
        raise InputDataError(f"GSVA estimates each gene's CDF across samples: needs at "
                             f"least 2 samples, got {n}")
    # sparse cells with the ECDF stay sparse (_gsva_sparse: same ranks, never densified);
    # "auto" is resolved on the stored values, so it densifies nothing either
    kcdf = resolve_sparse_kcdf(params.kcdf, expr.values) if expr.is_sparse else None
    sparse = kcdf == "none" and expr.is_sparse
    if not sparse:
        x = _dense_values(expr)
        kcdf = resolve_kcdf(params.kcdf, x)
    if params.kcdf == "auto":
        _note(expr, f"gsva: kcdf='auto' chose {kcdf!r} ({n} samples)")
    if sparse:
        ranks = SparseEcdfRanks(expr)
        sd = ranks.gene_sd()  # the dense path's constant genes, C sd() only where it decides
    else:
        if kcdf == "poisson" and np.any(x < 0):
            raise InputDataError("kcdf='poisson' needs non-negative counts; the data have "
                                 "negative values (use kcdf='gaussian' for log-scale data)")
        # GSVA 1.46 drops genes with rowSds < 1e-10 (matrixStats sums in long double too);
        # the C sd is needed anyway for the Gaussian bandwidths
        sd = c_sd(x)
        if kcdf != "poisson":  # counts never reach ~1e154; the other kernels are scale-free
            x, sd = rescale_overflowing_genes(x, sd)
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
        warn(text, ConstantGenesWarning)  # points at the user's line, an rrscore category
        scaling = GeneScaling(mean=np.full(n_genes, np.nan), sd=sd, constant=constant)
        sets = drop_constant_genes(sets, scaling, expr.genes, "gsva")
    cols = np.flatnonzero(~constant).astype(np.int64)
    new_index = np.full(n_genes, -1, dtype=np.int64)
    new_index[cols] = np.arange(len(cols))

    n_kept = len(cols)
    if sparse:
        ranks.prepare(cols, progress=progress)
        # the walk reads only the genes in some set: positions of those alone (among all
        # kept genes), in the columns of the sparse ranks' own order
        members = new_index[np.concatenate([flatten_sets(sets, "up")[1],
                                            flatten_sets(sets, "down")[1]])]
        ranks.select(members[members >= 0])
        new_index[cols] = ranks.column
        positions = ranks.positions
        n_columns = len(ranks.selcol)
    else:
        if kcdf == "gaussian":
            _warn_gaussian_cost(len(cols), n)
        z = gene_log_odds(x, cols, kcdf, sd=sd, progress=progress)
        del x  # the input itself or a dense copy; only the log-odds are needed from here

        def positions(start: int, stop: int) -> np.ndarray:
            return fast_descending_positions(z[start:stop])

        n_columns = n_kept

    up_ptr, up_idx = _remapped(sets, "up", new_index)
    up_genes = gene_set_index(up_ptr, up_idx, n_columns)
    signed = any(s.signed for s in sets)
    if signed:
        dn_ptr, dn_idx = _remapped(sets, "down", new_index)
        dn_genes = gene_set_index(dn_ptr, dn_idx, n_columns)
    out = np.empty((n, len(sets)))
    size = max(1, int(chunk_size or DEFAULT_CHUNK_SIZE))
    if sparse and not chunk_size:
        # the sparse positions hold only the set genes: more cells per chunk in the same
        # memory as a chunk of every gene's (fewer thread-pool rounds of positions and walk)
        size = max(size, DEFAULT_CHUNK_SIZE * n_kept // max(n_columns, 1))
    starts = range(0, n, size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=(n + size - 1) // size, unit="chunk",
                      desc="gsva walk", leave=False)
    tau = float(params.tau)
    for start in starts:
        stop = min(n, start + size)
        pos = positions(start, stop)
        up = out[start:stop]  # rows of a C-ordered array: the walk writes in place
        _walk_scores(pos, up_ptr, up_idx, *up_genes, tau, bool(params.max_diff),
                     bool(params.abs_ranking), up, n_ranked=n_kept)
        if signed:
            down = np.empty_like(up)
            _walk_scores(pos, dn_ptr, dn_idx, *dn_genes, tau, bool(params.max_diff),
                         bool(params.abs_ranking), down, n_ranked=n_kept)
            # a part without genes contributes 0; a set without any gene stays NaN
            both_empty = np.isnan(up) & np.isnan(down)
            up[:] = np.where(np.isnan(up), 0.0, up) - np.where(np.isnan(down), 0.0, down)
            up[both_empty] = np.nan
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


#: Unordered sample pairs (genes × samples² / 2) above which the Gaussian kernel warns: at
#: ~1.5 ns per pair per thread (``benchmarks/README.md``) this is minutes on a laptop.
GAUSSIAN_WARN_PAIRS = 2e11


def _warn_gaussian_cost(n_genes: int, n_samples: int) -> None:
    """A :class:`MethodWarning` when the Gaussian kernel's pair count means a long wait."""
    pairs = n_genes * n_samples * (n_samples - 1) / 2.0
    if pairs <= GAUSSIAN_WARN_PAIRS:
        return
    threads = max(1, numba.get_num_threads())
    minutes = pairs * 1.5e-9 / threads / 60.0
    warn(f"gsva: the Gaussian kernel compares every pair of samples for each gene: "
         f"{pairs:.1e} sample pairs for {n_genes:,} genes × {n_samples:,} samples, roughly "
         f"{minutes:,.0f} minute(s) on {threads} thread(s). kcdf='none' (the empirical CDF, "
         "GSVA >= 2's choice from 200 samples) takes seconds and keeps sparse input sparse; "
         "kcdf='gaussian' is for GSVA 1.x parity on bulk cohorts.", MethodWarning)


def _working_memory(expr: ExpressionMatrix, sets: AlignedSets,
                    params: GsvaParams) -> tuple[int, str]:
    """Bytes GSVA holds beyond its input and output at its peak, and what they are."""
    n, g = expr.shape
    values = expr.values
    chunk = 4 * DEFAULT_CHUNK_SIZE * g  # one chunk of samples' int32 positions
    if expr.is_sparse and resolve_sparse_kcdf(params.kcdf, values) == "none":
        # one int32 order key per stored value, a gene block's sort buffers
        return (4 * values.nnz + values.nnz + chunk,
                "ECDF order keys of the stored values and one chunk of positions")
    dense = isinstance(values, np.ndarray) and values.dtype == np.float64
    copy = 0 if dense else 8 * n * g
    return (copy + 8 * n * g + chunk,
            ("a dense float64 copy of the input, " if copy else "")
            + "every gene's log-odds in every sample (samples × genes float64) and one chunk "
            "of positions")


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
    working_memory=_working_memory,
)
