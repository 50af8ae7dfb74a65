"""Per-gene standardisation across samples, shared by the z-score, PLAGE and mean methods.

GSVA 1.46 standardises every gene across samples with R's ``t(scale(t(X)))``: centre by the
mean, divide by the standard deviation with the ``n - 1`` denominator. Before that it
removes genes whose standard deviation is below ``1e-10`` (``.filterFeatures``: "genes with
constant expression values"). This module computes the per-gene mean and sd in two passes
(mean, then the sum of squared deviations: no ``E[x²] - E[x]²`` cancellation), reading the
values in their own layout (a genes × samples table arrives as a Fortran-ordered samples ×
genes view: no copy), once per matrix (:func:`gene_scaling` remembers the last matrices it
scaled, so the constant-gene filter before matching and the method reuse one pass).
Genes whose squared deviations overflow float64 (values above ~1.3e154) are computed again
on a copy divided by a power of two (exact), so their z-scores are right rather than 0; only
values within a factor ~2 of the largest float are refused (:func:`gene_scaling`).

Sparse (CSR) input stays sparse: the moments come from sums over the stored values plus the
implicit zeros. The zeros are treated as values (the dense definition); GSVA's provisional
dgCMatrix mode, which standardises the non-zero values only, is not reproduced.

The set sums of z-score and mean are in :mod:`rrscore.methods._set_sums`; PLAGE reads the
standardised rows of one set at a time through :class:`rrscore.methods._set_rows.SetRows`.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rrscore._numba import kernel_over_rows, numba
from rrscore.errors import ConstantGenesWarning, InputDataError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSet, AlignedSets
from rrscore.methods._registry import ScaleRule

#: The input scale the methods built on gene standardisation (z-score, mean, PLAGE) assume.
STANDARDISED_SCALE = ScaleRule(
    frozenset({"log", "log_ratio", "scaled"}),
    "it standardises genes across samples, which on counts or linear values is driven by "
    "a few outlying samples; log-transform first (e.g. log2(CPM + 1)) or use a rank-based "
    "method (ssgsea, singscore)",
)

#: Genes with a standard deviation below this are constant (GSVA 1.46 ``.filterFeatures``).
CONSTANT_SD = 1e-10


@dataclass(frozen=True)
class GeneScaling:
    """Per-gene mean and standard deviation across samples.

    Attributes
    ----------
    mean
        ``(n_genes,)`` mean of each gene.
    sd
        ``(n_genes,)`` standard deviation with the ``n - 1`` denominator.
    constant
        ``(n_genes,)`` bool, ``sd < CONSTANT_SD``: genes left out of every set.
    """

    mean: np.ndarray
    sd: np.ndarray
    constant: np.ndarray


#: Genes per block of :func:`_dense_moments`: contiguous within each sample row.
_WIDTH = 256


# The dense moments are serial ``nogil`` kernels over blocks of genes, run on threads
# (rrscore._numba.kernel_over_rows), not ``parallel=True`` loops: numba compiles a parallel
# kernel twice, ~1 s more CPU each on the first call after an install, and the threads run
# them as fast. Every gene's sums are added in the same order whatever the blocks.
@numba.njit(nogil=True, cache=True)
def _dense_moment_blocks(b0, b1, x, mean, ss):
    # blocks b0 .. b1 - 1 of _WIDTH genes; mean and ss start at 0
    n, g = x.shape
    for b in range(b0, b1):
        lo = b * _WIDTH
        hi = min(g, lo + _WIDTH)
        for i in range(n):
            for j in range(lo, hi):
                mean[j] += x[i, j]
        for j in range(lo, hi):
            mean[j] /= n
        for i in range(n):
            for j in range(lo, hi):
                d = x[i, j] - mean[j]
                ss[j] += d * d


def _dense_moments(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and sum of squared deviations of a C-contiguous float64 matrix."""
    g = x.shape[1]
    mean = np.zeros(g)
    ss = np.zeros(g)
    kernel_over_rows(_dense_moment_blocks, (g + _WIDTH - 1) // _WIDTH, x, mean, ss)
    return mean, ss


@numba.njit(nogil=True, cache=True)
def _gene_major_rows(j0, j1, xt, mean, ss):
    # genes j0 .. j1 - 1 of xt (genes × samples): the same additions, in the same order, as
    # _dense_moment_blocks, so bit-identical moments
    n = xt.shape[1]
    for j in range(j0, j1):
        acc = 0.0
        for i in range(n):
            acc += xt[j, i]
        m = acc / n
        acc = 0.0
        for i in range(n):
            d = xt[j, i] - m
            acc += d * d
        mean[j] = m
        ss[j] = acc


def _gene_major_moments(xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row mean and sum of squared deviations of a C-contiguous genes × samples matrix
    (a genes × samples table's own layout)."""
    g = xt.shape[0]
    mean = np.empty(g)
    ss = np.empty(g)
    kernel_over_rows(_gene_major_rows, g, xt, mean, ss)
    return mean, ss


@numba.njit(nogil=True, cache=True)
def _sparse_part_sums(p0, p1, indptr, indices, data, n, n_parts, sums, counts):
    # parts p0 .. p1 - 1 of the rows (part p: rows p·n/n_parts .. (p+1)·n/n_parts - 1), each
    # into its own row of sums/counts (zeros on entry): no races on the gene arrays
    for p in range(p0, p1):
        r0 = p * n // n_parts
        r1 = (p + 1) * n // n_parts
        for q in range(indptr[r0], indptr[r1]):
            sums[p, indices[q]] += data[q]
            counts[p, indices[q]] += 1


@numba.njit(nogil=True, cache=True)
def _sparse_part_squares(p0, p1, indptr, indices, data, n, n_parts, mean, ss_parts):
    # the stored values' squared deviations, per part as in _sparse_part_sums
    for p in range(p0, p1):
        r0 = p * n // n_parts
        r1 = (p + 1) * n // n_parts
        for q in range(indptr[r0], indptr[r1]):
            d = data[q] - mean[indices[q]]
            ss_parts[p, indices[q]] += d * d


def _sparse_moments(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, n: int, g: int,
                    n_parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and sum of squared deviations of canonical CSR arrays (int32/int64
    indptr and indices, float32/float64 data read as stored: the sums are float64; ``n``
    rows, ``g`` columns), the implicit zeros included.

    The rows are split into ``n_parts`` parts summed on threads (serial ``nogil`` kernels,
    :func:`rrscore._numba.kernel_over_rows`: numba compiles a ``parallel=True`` kernel
    twice on the first call), and the parts' sums are added in part order: the same
    additions in the same order for a given ``n_parts``.
    """
    sums = np.zeros((n_parts, g))
    counts = np.zeros((n_parts, g), dtype=np.int64)
    kernel_over_rows(_sparse_part_sums, n_parts, indptr, indices, data, n, n_parts, sums,
                     counts)
    mean = np.zeros(g)
    nnz = np.zeros(g, dtype=np.int64)
    for p in range(n_parts):
        mean += sums[p]
        nnz += counts[p]
    mean /= n
    ss_parts = np.zeros((n_parts, g))
    kernel_over_rows(_sparse_part_squares, n_parts, indptr, indices, data, n, n_parts, mean,
                     ss_parts)
    ss = (n - nnz) * mean * mean  # the implicit zeros
    for p in range(n_parts):
        ss += ss_parts[p]
    return mean, ss


#: CSR value types the moment kernels read as stored: a float32 value converts to float64
#: exactly, so the sums are those of a float64 copy, bit for bit, without the copy.
_STORED_FLOATS = (np.float32, np.float64)
#: Index types read as stored (AnnData/scipy write int32 for up to 2**31 stored values).
_STORED_INDICES = (np.int32, np.int64)


def _canonical_csr(values: sp.csr_matrix) -> sp.csr_matrix:
    """CSR without duplicate entries, its float32/float64 data as stored (a copy only
    when duplicates must be summed or the values are of another type, made float64).

    A float64 copy of a float32 matrix (and int64 copies of its int32 indices) cost 1.6×
    the input at 50,000 cells × 30,000 genes, the largest part of zscore/mean/PLAGE's
    memory on cells; the kernels read float32 and int32 arrays as they are.
    """
    if not values.has_canonical_format:
        values = values.copy()
        values.sum_duplicates()
    if values.dtype not in _STORED_FLOATS:
        values = values.astype(np.float64)
    return values


def _stored_index(a: np.ndarray) -> np.ndarray:
    return a if a.dtype in _STORED_INDICES else a.astype(np.int64)


#: The matrices scaled last: ``id(expr) -> (weakref to expr, weakref to its values, scaling)``.
#: prepare() asks for the constant genes and the method then scales the same matrix; an entry
#: goes when its matrix is garbage-collected.
_SCALED: dict[int, tuple[weakref.ref, weakref.ref, GeneScaling]] = {}
_SCALED_LOCK = threading.Lock()


def _remembered(expr: ExpressionMatrix) -> GeneScaling | None:
    with _SCALED_LOCK:
        hit = _SCALED.get(id(expr))
    if hit is not None and hit[0]() is expr and hit[1]() is expr.values:
        return hit[2]
    return None


def _remember(expr: ExpressionMatrix, scaling: GeneScaling) -> None:
    key = id(expr)

    def forget(_ref, key=key):
        with _SCALED_LOCK:
            _SCALED.pop(key, None)

    try:
        entry = (weakref.ref(expr, forget), weakref.ref(expr.values), scaling)
    except TypeError:  # values without weak references: not remembered
        return
    with _SCALED_LOCK:
        _SCALED[key] = entry


def _moments(values) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and sum of squared deviations of a canonical CSR or dense matrix."""
    n, g = values.shape
    if sp.issparse(values):
        n_parts = max(1, min(numba.get_num_threads() * 4, n))
        return _sparse_moments(_stored_index(values.indptr), _stored_index(values.indices),
                               values.data, n, g, n_parts)
    if values.dtype == np.float64 and values.flags.f_contiguous \
            and not values.flags.c_contiguous:
        return _gene_major_moments(values.T)
    return _dense_moments(np.ascontiguousarray(values, dtype=np.float64))


def _rescaled_moments(values, cols: np.ndarray, mean: np.ndarray, sd: np.ndarray,
                      genes) -> None:
    """Mean and sd of the columns ``cols`` whose moments overflowed, computed on a copy of
    each column divided by a power of two at least its largest ``|x|`` (in place).

    Squares of values above ~1.3e154 (and sums of values near 1.8e308) overflow float64:
    the sd became ``inf`` and every z-score 0. A power of two scales exactly (no rounding
    but for values under ~1e-300 of the largest), so the mean and the sd come out as the
    unscaled arithmetic would give them without overflow, and the z-scores equal those of
    the data divided by any constant to rounding.

    Raises
    ------
    InputDataError
        When even the rescaled sd is not a float64 (values within a factor ~2 of the
        largest float).
    """
    if sp.issparse(values):
        sub = values[:, cols].tocsr()  # a copy of the few columns
        sub.data = sub.data.astype(np.float64, copy=True)
        largest = np.zeros(len(cols))
        np.maximum.at(largest, sub.indices, np.abs(sub.data))
        exponent = np.frexp(largest)[1]  # largest = m * 2**e with 0.5 <= m < 1
        sub.data = np.ldexp(sub.data, -exponent[sub.indices])
    else:
        sub = np.array(values[:, cols], dtype=np.float64)  # C-ordered copy
        largest = np.abs(sub).max(axis=0)
        exponent = np.frexp(largest)[1]
        sub = np.ldexp(sub, -exponent)
    m, ss = _moments(sub)
    n = values.shape[0]
    with np.errstate(over="ignore"):
        mean[cols] = np.ldexp(m, exponent)
        sd[cols] = np.ldexp(np.sqrt(ss / (n - 1)), exponent)
    bad = cols[~(np.isfinite(mean[cols]) & np.isfinite(sd[cols]))]
    if len(bad):
        worst = float(largest.max())
        raise InputDataError(
            f"{len(bad)} gene(s) have values too large to standardise in float64 (up to "
            f"{worst:.3g}; the largest float is {np.finfo(np.float64).max:.3g}), e.g. "
            f"{', '.join(str(genes[j]) for j in bad[:5])}; divide the data by a constant "
            "(z-scores do not change) or log-transform it"
        )


def gene_scaling(expr: ExpressionMatrix) -> GeneScaling:
    """Mean and sample standard deviation of every gene across the samples of ``expr``.

    Computed once per matrix: a second call with the same :class:`ExpressionMatrix` (same
    values object) returns the same result without reading the values again. The values
    are read in their own layout (C- or Fortran-ordered; other strides are copied first).

    Parameters
    ----------
    expr
        In-memory expression, ``(n_samples, n_genes)``.

    Returns
    -------
    GeneScaling

    Raises
    ------
    InputDataError
        With fewer than 2 samples (a standard deviation needs two), and for values whose
        standard deviation is not a float64 even after rescaling (near 1.8e308).
    """
    n, g = expr.shape
    if n < 2:
        raise InputDataError(
            f"this method compares each gene across samples (its mean and standard "
            f"deviation over them): it needs at least 2 samples, got {n}"
        )
    known = _remembered(expr)
    if known is not None:
        return known
    values = expr.values
    if expr.is_sparse:
        values = _canonical_csr(values)
    mean, ss = _moments(values)
    sd = np.sqrt(ss / (n - 1))
    overflow = ~(np.isfinite(mean) & np.isfinite(sd))
    if overflow.any():
        _rescaled_moments(values, np.flatnonzero(overflow), mean, sd, expr.genes)
    scaling = GeneScaling(mean=mean, sd=sd, constant=sd < CONSTANT_SD)
    _remember(expr, scaling)
    return scaling


def constant_genes(expr: ExpressionMatrix, params=None) -> np.ndarray | None:
    """Genes constant across samples (sd < 1e-10), or None: a :class:`MethodSpec` hook.

    The ``excluded_genes`` capability of gsva, zscore, plage and mean: GSVA 1.46 removes
    these genes before it matches the sets (``.filterFeatures``), so set sizes, ``min_size``
    and the sets scored are GSVA's. ``params`` is unused (the rule has no parameter).
    """
    constant = gene_scaling(expr).constant
    return constant if constant.any() else None


def drop_constant_genes(
    sets: AlignedSets, scaling: GeneScaling, genes, method: str,
) -> AlignedSets:
    """Remove constant genes from every set, as GSVA 1.46 removes them from the data.

    Through :func:`rrscore.score` the sets arrive without constant genes already
    (:func:`rrscore.prepare` excludes them before the size filter, as GSVA does), so this
    is a no-op there; called directly on other aligned sets it warns when a set contained
    constant genes (naming them and the sets) and when a set is left without genes (its
    scores are then NaN).
    """
    const = scaling.constant
    if not const.any():
        return sets
    kept: list[AlignedSet] = []
    touched: list[str] = []
    emptied: list[str] = []
    removed: set[int] = set()
    for s in sets:
        up_c = const[s.up]
        dn_c = const[s.down]
        if up_c.any() or dn_c.any():
            removed.update(s.up[up_c].tolist())
            removed.update(s.down[dn_c].tolist())
            s = AlignedSet(s.name, s.up[~up_c], s.down[~dn_c])
            (emptied if s.size == 0 else touched).append(s.name)
        kept.append(s)
    if removed:
        names = [str(genes[i]) for i in sorted(removed)]
        msg = (
            f"{method}: {len(names)} gene(s) of the gene sets are constant across samples "
            f"(sd < {CONSTANT_SD:g}) and were left out, as GSVA does: "
            f"{', '.join(names[:10])}{' ...' if len(names) > 10 else ''}"
        )
        if touched:
            more = " ..." if len(touched) > 10 else ""
            msg += f"; sets affected: {', '.join(touched[:10])}{more}"
        if emptied:
            msg += f"; sets with no gene left (scored NaN): {', '.join(emptied)}"
        warn(msg, ConstantGenesWarning)
    return AlignedSets(tuple(kept), sets.n_genes, sets.coverage)
