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

from rrscore._numba import numba
from rrscore.ranking._common import csr_row, gene_slots, row_arrays
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
    order = np.argsort(pvals[:n_present], kind="mergesort")
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
    z = np.searchsorted(qs[:nq], 0.0)
    if z == nq or qs[z] != 0.0:
        # 0 is a queried value even where no queried gene stores it: an empty group
        for i in range(nq, z - 1, -1):
            first[i + 1] = first[i]
        for i in range(nq - 1, z - 1, -1):
            qs[i + 1] = qs[i]
        qs[z] = 0.0
        nq += 1
    qs = qs[:nq]

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
            x = data[q]
            p = np.searchsorted(qs, x)
            if p < nq and qs[p] == x:
                if x != 0.0:
                    s = slot_of[indices[q]]
                    if s >= 0:
                        after[s] = eq[p]
                eq[p] += 1
            else:
                above[p] += 1
        eq[np.searchsorted(qs, 0.0)] += n_implicit
        acc = above[nq]
        for i in range(nq - 1, -1, -1):
            greater[i] = acc
            acc += eq[i] + above[i]
    # most queried genes are zero in a cell: every slot gets the zeros' block, then the
    # slots of stored non-zero values their own
    z = np.searchsorted(qs, 0.0)
    start[:] = greater[z]
    size[:] = eq[z]
    for i in range(nq):
        if qs[i] != 0.0:
            for u in range(first[i], first[i + 1]):
                s = pslot[order[u]]
                start[s] = greater[i]
                size[s] = eq[i]


@numba.njit(parallel=True, cache=True)
def _ordered_tie_blocks(data, indices, indptr, shared, n_genes, slot_of, slot_genes, below):
    n_rows = len(indptr) - 1
    n_slots = len(slot_genes)
    start = np.empty((n_rows, n_slots), dtype=np.int64)
    size = np.empty((n_rows, n_slots), dtype=np.int64)
    after = np.empty((n_rows, n_slots), dtype=np.int64)
    for r in numba.prange(n_rows):
        d, idx = csr_row(data, indices, indptr, shared, r)
        row_ordered_tie_blocks(d, idx, n_genes, slot_of, slot_genes, below, start[r],
                               size[r], after[r])
    return start, size, after


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
    start, size, after = _ordered_tie_blocks(data, indices, indptr, shared, n_genes, slot_of,
                                             slot_genes, slots_below(slot_genes, n_genes))
    cols = slot_of[genes]
    return start[:, cols], size[:, cols], after[:, cols]
