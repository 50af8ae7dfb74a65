"""Sparse-aware tie blocks of selected genes (UCell, AUCell on single cells).

A cell of a CSR matrix stores its non-zero values; every other gene is zero, and all the
zeros form one tie block whose place in the ranking follows from counting the positive
and negative values. So a cell is ranked from its stored values alone, never densified.
What a method needs is, for each gene of its sets, its *tie block* in the descending
order: how many genes have a strictly larger value (``start``) and how many share its
value (``size``, the gene included). Every tie rule follows from the block: average rank
``start + (size + 1) / 2``, min rank ``start + 1``, max rank ``start + size``, and the
expected value of any function of the rank over all orders of the tie.

Per cell the distinct values of the queried genes are collected (a dozen for log counts, a
few hundred for continuous data) and the stored values are counted against them:
O(nnz · q) vectorised for few distinct values, O(nnz log q) by binary search for many,
instead of a sort of the whole cell. Dense input uses the same kernels with every value
"stored". UCell and AUCell rank with :func:`row_tie_blocks_few` (at most
``_LINEAR_COUNT_MAX`` distinct values: no sort, no search, no allocation, so little to
compile on the first call) and hand the rows it declines to :func:`row_tie_blocks`.

Rankings that break ties by column order (ssGSEA) use :mod:`._ordered_ties`.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import kernel_over_rows, numba, over_row_blocks
from rrscore.ranking._common import gene_slots, row_arrays
from rrscore.ranking._sort import search_left, sort_prefix, stable_argsort_prefix

#: Up to this many distinct queried values per row, :func:`row_tie_blocks` counts by linear
#: (vectorised) passes; above it, by binary search (measured crossover ~100 on 1600 values).
_LINEAR_COUNT_MAX = 96


@numba.njit(nogil=True, cache=True)
def _count_each(data, qs, nq, n_implicit, greater, eq):
    """For each of the ``nq`` values ``v = qs[i]``: ``greater[i]``, the row's values above
    ``v``, and ``eq[i]``, those equal to it, the ``n_implicit`` zeros not stored included.

    One branch-free pass over the stored values per queried value, which the compiler
    vectorises: the cheap way for few distinct values.
    """
    nnz = len(data)
    for i in range(nq):
        v = qs[i]
        g = 0
        e = 0
        for q in range(nnz):
            x = data[q]
            g += np.int64(x > v)
            e += np.int64(x == v)
        greater[i] = g + (n_implicit if v < 0.0 else 0)
        eq[i] = e + (n_implicit if v == 0.0 else 0)


@numba.njit(nogil=True, cache=True)
def row_tie_blocks(data, indices, n_genes, slot_of, n_slots, start, size):
    """Tie blocks of the queried genes in one row, from its stored entries only.

    ``data``/``indices`` are the row's stored values and columns (no NaN; explicit zeros
    and negative values allowed); the ``n_genes - len(data)`` columns not stored are zero.
    Fills ``start[s]`` (genes with a strictly larger value) and ``size[s]`` (genes with an
    equal value, itself included) for every slot ``s`` of ``slot_of``.
    """
    nnz = len(data)
    n_implicit = n_genes - nnz
    # the stored values of queried genes (all other queried genes are zero), and their
    # distinct values, ascending, with 0 (the value of every queried gene not stored).
    # Loops rather than slice assignments and rrscore's small sort and search instead of
    # numba's np.sort/np.searchsorted: the same results, seconds less to compile.
    m = min(nnz, n_slots)
    present = np.empty(m, dtype=np.int64)
    pvals = np.empty(m)
    cand = np.empty(m + 1)
    cand[0] = 0.0
    n_present = 0
    for q in range(nnz):
        s = slot_of[indices[q]]
        if s >= 0:
            present[n_present] = s
            pvals[n_present] = data[q]
            cand[n_present + 1] = data[q]
            n_present += 1
    sort_prefix(cand, n_present + 1)
    nq = 0
    for i in range(n_present + 1):
        if nq == 0 or cand[i] != cand[nq - 1]:
            cand[nq] = cand[i]
            nq += 1
    qs = cand
    greater = np.empty(nq, dtype=np.int64)
    eq = np.zeros(nq, dtype=np.int64)
    z = search_left(qs, nq, 0.0)
    if nq <= _LINEAR_COUNT_MAX:
        # Few distinct values (log-normalised counts take a dozen or so per cell)
        _count_each(data, qs, nq, n_implicit, greater, eq)
    else:
        # Many distinct values (continuous data): place each stored value among them by
        # binary search; above[p] counts stored values between qs[p - 1] and qs[p] (p = nq:
        # above every queried value).
        above = np.zeros(nq + 1, dtype=np.int64)
        for q in range(nnz):
            x = np.float64(data[q])  # one compiled search for float32 and float64 data
            p = search_left(qs, nq, x)
            if p < nq and qs[p] == x:
                eq[p] += 1
            else:
                above[p] += 1
        eq[z] += n_implicit
        acc = above[nq]
        for i in range(nq - 1, -1, -1):
            greater[i] = acc
            acc += eq[i] + above[i]
    # most queried genes are zero in a cell: fill every slot with the zeros' block, then
    # overwrite the slots of the stored values
    g0 = greater[z]
    e0 = eq[z]
    for s in range(n_slots):
        start[s] = g0
        size[s] = e0
    for k in range(n_present):
        x = pvals[k]
        if x != 0.0:
            i = search_left(qs, nq, x)
            start[present[k]] = greater[i]
            size[present[k]] = eq[i]


@numba.njit(nogil=True, cache=True)
def row_tie_blocks_few(data, indices, n_genes, slot_of, start, size, present, which, qs,
                       greater, eq):
    """:func:`row_tie_blocks` for a row whose queried genes take few distinct values.

    The common case of counts and log counts, and a kernel of its own because it needs no
    sort, no binary search and no allocation: the distinct values (0 first, then in the
    order met) are collected by linear search, and each is counted against the stored
    values in one branch-free pass. Compiles in a fraction of :func:`row_tie_blocks`, which
    a first call on such data then never compiles (issue 14).

    ``start``/``size`` (``(n_slots,)`` int64) are filled as by :func:`row_tie_blocks` and
    True is returned, or, when the queried genes hold more than ``len(qs)`` distinct values
    (0 included), False is returned and ``start``/``size`` are not filled: the caller ranks
    the row with :func:`row_tie_blocks`. ``present`` and ``which`` (``(n_slots,)`` int64),
    ``qs`` (float64) and ``greater``/``eq`` (int64, ``len(qs)``) are work space.
    """
    nnz = len(data)
    n_implicit = n_genes - nnz
    cap = len(qs)
    qs[0] = 0.0  # the value of every queried gene not stored
    nq = 1
    n_present = 0
    for q in range(nnz):
        s = slot_of[indices[q]]
        if s >= 0:
            x = np.float64(data[q])
            i = 0
            while i < nq and qs[i] != x:
                i += 1
            if i == nq:
                if nq == cap:
                    return False
                qs[nq] = x
                nq += 1
            present[n_present] = s
            which[n_present] = i
            n_present += 1
    _count_each(data, qs, nq, n_implicit, greater, eq)
    g0 = greater[0]
    e0 = eq[0]
    for s in range(len(start)):
        start[s] = g0
        size[s] = e0
    for k in range(n_present):
        i = which[k]
        start[present[k]] = greater[i]
        size[present[k]] = eq[i]
    return True


def few_work(n_slots: int) -> tuple[np.ndarray, ...]:
    """Fresh work arrays of :func:`row_tie_blocks_few` for ``n_slots`` queried genes:
    ``(start, size, present, which, qs, greater, eq)``, one set per thread's block of rows
    (allocated here, so the kernels compile no allocation)."""
    n = max(int(n_slots), 1)
    ints = np.empty((4, n), dtype=np.int64)
    counts = np.empty((2, _LINEAR_COUNT_MAX), dtype=np.int64)
    return (ints[0], ints[1], ints[2], ints[3], np.empty(_LINEAR_COUNT_MAX), counts[0],
            counts[1])


def rank_rows_few_first(few_kernel, general_kernel, data: np.ndarray, indices: np.ndarray,
                        indptr: np.ndarray, shared: bool, n_genes: int, slot_of: np.ndarray,
                        n_slots: int, args: tuple, out: np.ndarray) -> None:
    """Score a block of rows (``row_arrays`` form) into ``out`` with a pair of row kernels.

    ``few_kernel(r0, r1, data, indices, indptr, shared, n_genes, slot_of, *args, out,
    general, *few_work(n_slots))`` ranks rows with :func:`row_tie_blocks_few` and sets
    ``general[r]`` for the rows it declines; ``general_kernel(k0, k1, rows, data, ...,
    *args, out, start, size)`` ranks those ``rows`` with :func:`row_tie_blocks`, compiled
    only when some row needs it. A block whose rows mostly hold many distinct values
    (:func:`mostly_many_values`) goes straight to ``general_kernel``. Threads over blocks
    of rows, each with its own work arrays (allocated here: the kernels compile no
    allocation). UCell and AUCell use it.
    """
    n_rows = len(indptr) - 1
    if mostly_many_values(data, indices, indptr, shared, slot_of):
        general = np.ones(n_rows, dtype=np.bool_)  # continuous values: one kernel compiled
    else:
        general = np.zeros(n_rows, dtype=np.bool_)
        over_row_blocks(lambda a, b: few_kernel(
            a, b, data, indices, indptr, shared, n_genes, slot_of, *args, out, general,
            *few_work(n_slots)), n_rows)
    rows = np.flatnonzero(general)
    if len(rows):
        over_row_blocks(lambda a, b: general_kernel(
            a, b, rows, data, indices, indptr, shared, n_genes, slot_of, *args, out,
            *few_work(n_slots)[:2]), len(rows))


def mostly_many_values(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray,
                       shared: bool, slot_of: np.ndarray, n_check: int = 16) -> bool:
    """Whether most rows of a block are beyond :func:`row_tie_blocks_few` (a guess).

    Looks at up to ``n_check`` rows spread over the block (``row_arrays`` form) and says
    whether more than half of them hold more than ``_LINEAR_COUNT_MAX`` distinct values
    (0 included) at the queried genes (``slot_of >= 0``). Continuous data (dense bulk
    values) then go straight to :func:`row_tie_blocks` and only that kernel is compiled;
    every row gets the same tie blocks whichever kernel ranks it.
    """
    n_rows = len(indptr) - 1
    if n_rows <= 0:
        return False
    rows = np.unique(np.linspace(0, n_rows - 1, min(n_rows, n_check)).astype(np.int64))
    many = 0
    for r in rows:
        a, b = int(indptr[r]), int(indptr[r + 1])
        cols = indices if shared else indices[a:b]
        values = data[a:b][slot_of[cols] >= 0].astype(np.float64)
        many += len(np.unique(np.append(values, 0.0))) > _LINEAR_COUNT_MAX
    return 2 * many > len(rows)


@numba.njit(nogil=True, cache=True)
def csr_row_tie_blocks(data, indices, n_genes, slot_of, n_slots):
    """:func:`row_tie_blocks` of one row into new ``(start, size)`` arrays."""
    start = np.empty(n_slots, dtype=np.int64)
    size = np.empty(n_slots, dtype=np.int64)
    row_tie_blocks(data, indices, n_genes, slot_of, n_slots, start, size)
    return start, size


@numba.njit(nogil=True, cache=True)
def _tie_blocks(r0, r1, data, indices, indptr, shared, n_genes, slot_of, n_slots, start, size):
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        row_tie_blocks(data[a:b], indices if shared else indices[a:b], n_genes, slot_of,
                       n_slots, start[r], size[r])


def tie_blocks(values, genes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Descending tie blocks of the columns ``genes`` within each row of ``values``.

    Parameters
    ----------
    values
        ``(n_rows, n_genes)`` dense array or scipy CSR matrix without NaN. A sparse row is
        ranked from its stored entries; the zeros not stored share one tie block.
    genes
        Column indices to report (any order, repeats allowed).

    Returns
    -------
    start, size : ndarray
        ``(n_rows, len(genes))`` int64: the number of genes of the row with a strictly
        larger value, and the number with an equal value (the gene itself included). The
        descending average rank (1 = highest) is ``start + (size + 1) / 2``, the min rank
        ``start + 1``, the max rank ``start + size``.
    """
    data, indices, indptr, shared, n_genes = row_arrays(values)
    genes = np.asarray(genes, dtype=np.int64)
    slot_of, slot_genes = gene_slots(genes, n_genes)
    n_rows = len(indptr) - 1
    start = np.empty((n_rows, len(slot_genes)), dtype=np.int64)
    size = np.empty((n_rows, len(slot_genes)), dtype=np.int64)
    kernel_over_rows(_tie_blocks, n_rows, data, indices, indptr, shared, n_genes, slot_of,
                     len(slot_genes), start, size)
    cols = slot_of[genes]
    return start[:, cols], size[:, cols]


@numba.njit(nogil=True, cache=True)
def _csr_average_ranks(r0, r1, data, indptr, n_genes, out, zero_rank):
    order = np.empty(0, dtype=np.int64)
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        nnz = b - a
        if len(order) < nnz:
            order = np.empty(nnz, dtype=np.int64)
        # ascending; tie runs are found below (rrscore's stable index sort: any order of
        # the ties gives the same ranks)
        stable_argsort_prefix(data[a:b], nnz, order)
        n_neg = 0
        n_pos = 0
        for q in range(a, b):
            if data[q] < 0.0:
                n_neg += 1
            elif data[q] > 0.0:
                n_pos += 1
        n_zero = n_genes - n_pos - n_neg
        zero_rank[r] = n_pos + (n_zero + 1) / 2.0
        i = 0
        while i < nnz:
            v = data[a + order[i]]
            j = i + 1
            while j < nnz and data[a + order[j]] == v:
                j += 1
            # ascending stored positions i..j-1; count genes above v in descending order
            greater = nnz - j
            if v < 0.0:
                greater += n_genes - nnz  # the zeros that are not stored rank above v
            rank = zero_rank[r] if v == 0.0 else greater + (j - i + 1) / 2.0
            for q in range(i, j):
                out[a + order[q]] = rank
            i = j


def csr_descending_average_ranks(values) -> tuple[np.ndarray, np.ndarray]:
    """Descending average ranks (1 = highest) of a CSR matrix's stored entries, per row.

    Returns ``(ranks, zero_rank)``: ``ranks`` aligned with ``values.data`` (sorted-index
    CSR), and per row the average rank shared by all its zeros (stored or not), computed
    from the number of positive and negative values: ``n_pos + (n_zero + 1) / 2``. Equal
    to ``rankdata(-row, "average")`` of the dense row without building it.
    """
    import scipy.sparse as sp

    data, _, indptr, _, n_genes = row_arrays(sp.csr_matrix(values))
    n_rows = len(indptr) - 1
    out = np.empty(len(data))
    zero_rank = np.empty(n_rows)
    kernel_over_rows(_csr_average_ranks, n_rows, data, indptr, n_genes, out, zero_rank)
    return out, zero_rank
