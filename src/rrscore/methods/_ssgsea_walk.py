"""ssGSEA's closed-form walk over rank statistics, for dense and sparse blocks (kernels).

Per sample, every gene of some set needs two numbers: its weight ``w = R ** alpha`` (``R``
its ascending average rank truncated to an integer, as GSVA's ``mode(R) <- "integer"``)
and ``n - p + 1`` (``p`` its 1-based position in the stable descending order). Both are
computed once per sample and gene (:func:`row_walk_terms`), from the sample's rank counts,
and shared by every set holding the gene; the power itself comes from a table of
``i ** alpha`` for ``i = 0 .. n`` (:func:`weight_table`) built once per call, because a
truncated rank is an integer. A set then costs one look-up of the two numbers per member.

Dense blocks get their rank counts from :func:`rrscore.ranking._selected.selected_counts`
(one sort per row) and, only where a set gene ties with another gene,
:func:`rrscore.ranking._ordered_ties.dense_equal_after`; CSR blocks from
:func:`rrscore.ranking._ordered_ties.row_ordered_tie_blocks`
(only the stored values are placed; the zeros are one tie block). Both feed the same
per-sample scoring (:func:`_row_scores`), so dense and sparse input give the same bits.
The row kernels are serial ``nogil`` loops over a range of rows, run on threads by
:func:`rrscore._numba.kernel_over_rows` (they compile much faster than a parallel loop).
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import numba
from rrscore.ranking._ordered_ties import row_ordered_tie_blocks


def weight_table(n: int, alpha: float) -> np.ndarray:
    """``table[i] = float(i) ** alpha`` for ``i = 0 .. n`` (the same expression GSVA uses).

    Python's ``float ** float`` calls the C library's ``pow``, as numba's compiled ``**``
    does: the same bits (checked for several ``alpha`` over 60,000 ranks), a few
    milliseconds per call, and no kernel to compile on the first call.

    Returns
    -------
    numpy.ndarray
        ``(n + 1,)`` float64.
    """
    a = float(alpha)
    return np.fromiter((float(i) ** a for i in range(n + 1)), dtype=np.float64, count=n + 1)


@numba.njit(nogil=True, cache=True)
def row_walk_terms(lt, eq, eq_after, table, terms):
    """Fill ``terms[j] = (w, n - p + 1)`` of every slot ``j`` of one sample.

    ``lt``/``eq``/``eq_after``: values below, equal to (itself included) and equal at later
    columns. The truncated average rank is ``lt + (eq + 1) // 2`` and ``n - p + 1`` for the
    stable descending position ``p`` is ``lt + eq_after + 1``.
    """
    for j in range(len(lt)):
        terms[j, 0] = table[lt[j] + (eq[j] + 1) // 2]
        terms[j, 1] = lt[j] + eq_after[j] + 1.0


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _es(terms, idx, a, b, n, half):
    """``Σ w (n-p+1) / Σ w - (n(n+1)/2 - Σ (n-p+1)) / (n - k)`` of one set part.

    A part holding all ``n`` genes divides by 0 (NaN, as in R; the caller reports it).
    """
    k = b - a
    if k == 0:
        return 0.0
    sw = 0.0
    swa = 0.0
    sa = 0.0
    for q in range(a, b):
        j = idx[q]
        w = terms[j, 0]
        asc = terms[j, 1]
        sw += w
        swa += w * asc
        sa += asc
    return swa / sw - (half - sa) / (n - k)


@numba.njit(nogil=True, cache=True)
def _row_scores(terms, n, up_ptr, up_idx, dn_ptr, dn_idx, out_row):
    """Unnormalised scores of one sample, up minus down, for every set."""
    half = n * (n + 1) / 2.0
    has_down = len(dn_idx) > 0
    for s in range(len(up_ptr) - 1):
        es = _es(terms, up_idx, up_ptr[s], up_ptr[s + 1], n, half)
        if has_down:
            es -= _es(terms, dn_idx, dn_ptr[s], dn_ptr[s + 1], n, half)
        out_row[s] = es


@numba.njit(nogil=True, cache=True)
def dense_scores(r0, r1, lt, eq, eq_after, n, table, up_ptr, up_idx, dn_ptr, dn_idx, out):
    """Scores of rows ``r0 .. r1 - 1`` of a dense block from its rank counts (``(rows,
    slots)`` arrays; :func:`rrscore._numba.kernel_over_rows` runs it on threads)."""
    m = lt.shape[1]
    terms = np.empty((m, 2))
    for r in range(r0, r1):
        row_walk_terms(lt[r], eq[r], eq_after[r], table, terms)
        _row_scores(terms, n, up_ptr, up_idx, dn_ptr, dn_idx, out[r])


@numba.njit(nogil=True, cache=True)
def sparse_scores(r0, r1, data, indices, indptr, shared, n, slot_of, slot_genes, below, table,
                  up_ptr, up_idx, dn_ptr, dn_idx, out):
    """Scores of rows ``r0 .. r1 - 1`` of a CSR block (``row_arrays`` form), each row ranked
    from its stored values.

    ``below`` is :func:`rrscore.ranking._ordered_ties.slots_below` of ``slot_genes``.
    """
    m = len(slot_genes)
    start = np.empty(m, dtype=np.int64)
    size = np.empty(m, dtype=np.int64)
    after = np.empty(m, dtype=np.int64)
    lt = np.empty(m, dtype=np.int64)
    terms = np.empty((m, 2))
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        row_ordered_tie_blocks(data[a:b], indices if shared else indices[a:b], n, slot_of,
                               slot_genes, below, start, size, after)
        for j in range(m):
            lt[j] = n - start[j] - size[j]
        row_walk_terms(lt, size, after, table, terms)
        _row_scores(terms, n, up_ptr, up_idx, dn_ptr, dn_idx, out[r])
