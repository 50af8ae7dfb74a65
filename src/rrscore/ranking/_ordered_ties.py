"""Tie blocks of selected genes with ties broken by column order (ssGSEA on single cells).

R's ``order(x, decreasing=TRUE)`` is stable: genes with equal values keep their row order.
A gene's position in that order follows from its tie block (:mod:`._ties`: ``start``
genes with a larger value, ``size`` with an equal one) and ``after``, the number of genes
with an equal value at later columns: the 0-based position is ``start + size - 1 - after``.

A cell of a CSR matrix is handled from its stored entries alone. For a queried gene whose
value is zero (stored or not), ``after`` is the number of columns after it minus the
non-zero stored entries after it; those entries are counted per gap between consecutive
queried genes (one increment per stored entry, then one cumulative sum over the queried
genes), so the zeros are never scanned. For a queried gene with a non-zero value, only
stored values can tie with it: with few distinct queried values (log-normalised counts),
one branch-free pass over the stored values per distinct value counts the values above,
equal, and equal after each queried gene holding it; with many (continuous data), a
backward walk places each stored value among them by binary search.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import kernel_over_rows, numba
from rrscore.ranking._common import gene_slots, row_arrays
from rrscore.ranking._sort import search_left, sort_prefix, stable_argsort_prefix
from rrscore.ranking._ties import _LINEAR_COUNT_MAX


def slots_below(slot_genes: np.ndarray, n_genes: int) -> np.ndarray:
    """``below[c]`` = the number of queried genes (``slot_genes``, ascending) before column c."""
    return np.searchsorted(slot_genes, np.arange(n_genes, dtype=np.int64)).astype(np.int64)


@numba.njit(nogil=True, cache=True)
def _zero_after(data, indices, n_genes, slot_genes, below, after):
    """``after`` of every slot as if its gene were zero: zeros at later columns."""
    m = len(slot_genes)
    gap = np.zeros(m + 1, dtype=np.int64)  # non-zero stored entries per gap
    n_nonzero = 0
    for q in range(len(data)):
        if data[q] != 0.0:
            gap[below[indices[q]]] += 1
            n_nonzero += 1
    # entries in gap k lie after slot k - 1 and at or before slot k's column
    upto = 0
    for k in range(m):
        upto += gap[k]
        g = slot_genes[k]
        after[k] = (n_genes - 1 - g) - (n_nonzero - upto)


@numba.njit(nogil=True, cache=True)
def row_ordered_tie_blocks(data, indices, n_genes, slot_of, slot_genes, below, start, size,
                           after):
    """Tie blocks and tied genes at later columns of the queried genes in one row.

    Parameters
    ----------
    data, indices
        The row's stored values (no NaN; explicit zeros and negative values allowed) and
        their columns, ascending; the ``n_genes - len(data)`` columns not stored are zero.
    n_genes
        Columns of the row.
    slot_of, slot_genes
        :func:`rrscore.ranking._common.gene_slots` of the queried genes.
    below
        :func:`slots_below` of ``slot_genes``.
    start, size, after
        ``(len(slot_genes),)`` int64 outputs: per slot, genes with a strictly larger value,
        genes with an equal value (itself included), and genes with an equal value at a
        later column.
    """
    nnz = len(data)
    n_implicit = n_genes - nnz
    m = min(nnz, len(slot_genes))
    # the stored entries of queried genes, in column order
    pslot = np.empty(m, dtype=np.int64)
    ppos = np.empty(m, dtype=np.int64)
    pvals = np.empty(m)
    n_present = 0
    for q in range(nnz):
        s = slot_of[indices[q]]
        if s >= 0:
            pslot[n_present] = s
            ppos[n_present] = q
            pvals[n_present] = data[q]
            n_present += 1
    # grouped by value (stable: column order within a group); the distinct values with 0
    # (rrscore's stable index sort and binary search: numba's argsort/searchsorted give the
    # same order but cost seconds to compile)
    order = np.empty(n_present, dtype=np.int64)
    stable_argsort_prefix(pvals, n_present, order)
    qs = np.empty(n_present + 1)
    first = np.empty(n_present + 2, dtype=np.int64)  # group i: order[first[i]:first[i + 1]]
    nq = 0
    for t in range(n_present):
        v = pvals[order[t]]
        if nq == 0 or qs[nq - 1] != v:
            qs[nq] = v
            first[nq] = t
            nq += 1
    first[nq] = n_present
    z = search_left(qs, nq, 0.0)
    if z == nq or qs[z] != 0.0:
        # 0 is a queried value even where no queried gene stores it: an empty group
        for i in range(nq, z - 1, -1):
            first[i + 1] = first[i]
        for i in range(nq - 1, z - 1, -1):
            qs[i + 1] = qs[i]
        qs[z] = 0.0
        nq += 1

    _zero_after(data, indices, n_genes, slot_genes, below, after)
    greater = np.empty(nq, dtype=np.int64)
    eq = np.zeros(nq, dtype=np.int64)
    if nq <= _LINEAR_COUNT_MAX:
        # one pass over the stored values per distinct value, cut at the columns of the
        # queried genes holding it (from the last): branch-free loops the compiler vectorises
        for i in range(nq):
            v = qs[i]
            g = 0
            e = 0
            hi = nnz
            for u in range(first[i + 1] - 1, first[i] - 1, -1):
                j = order[u]
                pos = ppos[j]
                for q in range(pos + 1, hi):
                    x = data[q]
                    g += np.int64(x > v)
                    e += np.int64(x == v)
                if v != 0.0:
                    after[pslot[j]] = e
                hi = pos + 1
            for q in range(hi):
                x = data[q]
                g += np.int64(x > v)
                e += np.int64(x == v)
            greater[i] = g + (n_implicit if v < 0.0 else 0)
            eq[i] = e + (n_implicit if v == 0.0 else 0)
    else:
        # many distinct values: place each stored value among them by binary search, from
        # the last column, so equal values counted so far lie after the current one
        above = np.zeros(nq + 1, dtype=np.int64)
        for q in range(nnz - 1, -1, -1):
            x = np.float64(data[q])  # one compiled search for float32 and float64 data
            p = search_left(qs, nq, x)
            if p < nq and qs[p] == x:
                if x != 0.0:
                    s = slot_of[indices[q]]
                    if s >= 0:
                        after[s] = eq[p]
                eq[p] += 1
            else:
                above[p] += 1
        eq[z] += n_implicit
        acc = above[nq]
        for i in range(nq - 1, -1, -1):
            greater[i] = acc
            acc += eq[i] + above[i]
    # most queried genes are zero in a cell: every slot gets the zeros' block, then the
    # slots of stored non-zero values their own
    g0 = greater[z]
    e0 = eq[z]
    for s in range(len(start)):
        start[s] = g0
        size[s] = e0
    for i in range(nq):
        if qs[i] != 0.0:
            for u in range(first[i], first[i + 1]):
                s = pslot[order[u]]
                start[s] = greater[i]
                size[s] = eq[i]


@numba.njit(nogil=True, cache=True)
def _ordered_tie_blocks(r0, r1, data, indices, indptr, shared, n_genes, slot_of, slot_genes,
                        below, start, size, after):
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        row_ordered_tie_blocks(data[a:b], indices if shared else indices[a:b], n_genes,
                               slot_of, slot_genes, below, start[r], size[r], after[r])


def ordered_tie_blocks(values, genes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Descending tie blocks of the columns ``genes`` plus their tied genes at later columns.

    Parameters
    ----------
    values
        ``(n_rows, n_genes)`` dense array or scipy CSR matrix without NaN. A sparse row is
        ranked from its stored entries; the zeros not stored share one tie block.
    genes
        Column indices to report (any order, repeats allowed).

    Returns
    -------
    start, size, after : ndarray
        ``(n_rows, len(genes))`` int64: genes of the row with a strictly larger value, with
        an equal value (the gene itself included), and with an equal value at a later
        column. The 0-based position in the descending order with ties in column order (R's
        stable ``order(x, decreasing=TRUE)``) is ``start + size - 1 - after``.
    """
    data, indices, indptr, shared, n_genes = row_arrays(values)
    genes = np.asarray(genes, dtype=np.int64)
    slot_of, slot_genes = gene_slots(genes, n_genes)
    n_rows = len(indptr) - 1
    start, size, after = (np.empty((n_rows, len(slot_genes)), dtype=np.int64) for _ in range(3))
    kernel_over_rows(_ordered_tie_blocks, n_rows, data, indices, indptr, shared, n_genes,
                     slot_of, slot_genes, slots_below(slot_genes, n_genes), start, size, after)
    cols = slot_of[genes]
    return start[:, cols], size[:, cols], after[:, cols]


# --------------------------------------------------------------------------------------
# Tied values at later columns of a dense row (ssGSEA on bulk input): only rows where a
# selected gene ties with another gene need it, and only those rows are scanned.
# --------------------------------------------------------------------------------------


@numba.njit(nogil=True, cache=True)
def _equal_after_rows(r0, r1, x, cols, col_order, below, not_above, out):
    n = x.shape[1]
    m = len(cols)
    tied = np.empty(m)
    seen = np.empty(m, dtype=np.int64)
    for r in range(r0, r1):
        n_tied = 0
        for j in range(m):
            out[r, j] = 0
            if not_above[r, j] - below[r, j] > 1:
                tied[n_tied] = x[r, cols[j]]
                n_tied += 1
        if n_tied == 0:
            continue  # the usual case for continuous data
        # the distinct values shared by a requested gene and another gene; one scan of the
        # row from the right counts, for each, how many equal values lie at later columns
        sort_prefix(tied, n_tied)
        nt = 0
        for i in range(n_tied):
            if nt == 0 or tied[i] != tied[nt - 1]:
                tied[nt] = tied[i]
                nt += 1
        for i in range(nt):
            seen[i] = 0
        q = 0
        for c in range(n - 1, -1, -1):
            v = x[r, c]
            k = search_left(tied, nt, v)
            hit = k < nt and tied[k] == v
            while q < m and cols[col_order[q]] == c:
                if hit:
                    out[r, col_order[q]] = seen[k]
                q += 1
            if hit:
                seen[k] += 1


def dense_equal_after(x: np.ndarray, cols: np.ndarray, below: np.ndarray,
                      not_above: np.ndarray) -> np.ndarray:
    """Per row, how many values equal to ``x[r, cols[j]]`` lie at columns after ``cols[j]``.

    Parameters
    ----------
    x
        ``(n_rows, n)`` float64 values without NaN.
    cols
        int64 column indices (any order, repeats allowed).
    below, not_above
        ``(n_rows, len(cols))`` counts of values below / not above each selected value
        (:func:`rrscore.ranking._selected.selected_counts`); a row where no selected value
        ties with another (``not_above - below == 1`` throughout) is not scanned.

    Returns
    -------
    numpy.ndarray
        ``(n_rows, len(cols))`` int64; with ``below`` and ``not_above - below`` it gives the
        position in R's stable ``order(x, decreasing=TRUE)``: ``n - (below + equal_after)``.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    out = np.empty((x.shape[0], len(cols)), dtype=np.int64)
    # requested columns, last column first
    col_order = np.ascontiguousarray(np.argsort(cols, kind="stable")[::-1])
    kernel_over_rows(_equal_after_rows, x.shape[0], x, cols, col_order,
                     np.ascontiguousarray(below, dtype=np.int64),
                     np.ascontiguousarray(not_above, dtype=np.int64), out)
    return out
