"""Per-sample ranking, shared by every rank-based method.

Each function ranks the genes of every row (sample) of a ``(n_samples, n_genes)`` float64
array independently. The tie rules are the ones the reference implementations use, named
explicitly so that a method states which one it needs:

* :func:`descending_positions` — 1-based position in a *stable* descending order: tied genes
  keep their column order (R's ``order(x, decreasing=TRUE)``).
* :func:`average_ranks` — ascending ranks, ties get the mean rank (R ``rank(ties="average")``).
* :func:`selected_ranks` — R ``rank()`` (min/average/max) of the genes a method needs only.
* :func:`column_rank_counts` — counts below/equal/equal-after of selected genes (ssGSEA).
* sparse-aware tie blocks of selected genes for single cells (UCell, AUCell, …).

The kernels run in parallel over rows (numba ``prange`` or threads around ``nogil`` kernels).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, cache=True)
def _positions_and_average_ranks(x: np.ndarray, want_avg: bool):
    n_rows, n = x.shape
    pos = np.empty((n_rows, n), dtype=np.int32)
    avg = np.empty((n_rows, n if want_avg else 0), dtype=np.float64)
    for r in numba.prange(n_rows):
        row = x[r]
        order = np.argsort(-row, kind="mergesort")  # stable: ties keep column order
        for p in range(n):
            pos[r, order[p]] = p + 1
        if want_avg:
            start = 0
            while start < n:
                stop = start + 1
                v = row[order[start]]
                while stop < n and row[order[stop]] == v:
                    stop += 1
                # descending positions start+1..stop are ascending ranks n-stop+1..n-start
                mean_rank = n + 1 - (start + 1 + stop) / 2.0
                for q in range(start, stop):
                    avg[r, order[q]] = mean_rank
                start = stop
    return pos, avg


def descending_positions(x: np.ndarray) -> np.ndarray:
    """1-based positions of each gene in a stable descending order, per row (int32)."""
    pos, _ = _positions_and_average_ranks(np.ascontiguousarray(x, dtype=np.float64), False)
    return pos


def positions_and_average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both :func:`descending_positions` and :func:`average_ranks` from one sort per row."""
    return _positions_and_average_ranks(np.ascontiguousarray(x, dtype=np.float64), True)


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ascending ranks per row, ties averaged (1 = lowest)."""
    return positions_and_average_ranks(x)[1]


# --------------------------------------------------------------------------------------
# Ranks of selected genes from one sort per row (singscore).
#
# A method that needs the ranks of only the genes in its sets (out of all genes) does not
# need a full argsort: sorting each row's values (numpy's sort, which releases the GIL,
# run on several threads) and locating the selected values in it gives every R
# ``rank()`` tie rule exactly: the rank of v with ties "min" is 1 + #{values < v}, with
# ties "max" #{values <= v}, and "average" is their mean.
# --------------------------------------------------------------------------------------

#: Tie rules supported by :func:`selected_ranks` (R ``rank(ties.method=...)`` names).
TIES_METHODS = ("min", "average", "max")


@numba.njit(nogil=True, cache=True)
def _count_below(srow, v):
    """Number of values in the sorted row strictly smaller than ``v``."""
    lo = 0
    hi = len(srow)
    while lo < hi:
        mid = (lo + hi) >> 1
        if srow[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(nogil=True, cache=True)
def _count_not_above(srow, v):
    """Number of values in the sorted row smaller than or equal to ``v``."""
    lo = 0
    hi = len(srow)
    while lo < hi:
        mid = (lo + hi) >> 1
        if srow[mid] <= v:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(nogil=True, cache=True)
def _rank_in_sorted(srow, v, tie_code):
    if tie_code == 0:  # min
        return _count_below(srow, v) + 1.0
    if tie_code == 2:  # max
        return float(_count_not_above(srow, v))
    return (_count_below(srow, v) + 1.0 + _count_not_above(srow, v)) / 2.0


@numba.njit(nogil=True, cache=True)
def _merge_counts(sorted_rows, vals, order, below_out, not_above_out):
    n_rows, n = sorted_rows.shape
    m = vals.shape[1]
    for r in range(n_rows):
        srow = sorted_rows[r]
        # walk the sorted row once with the selected values in ascending order: two
        # monotone pointers count the values below and not above each (O(n + m), no
        # cache-missing binary searches)
        below = 0
        not_above = 0
        for q in range(m):
            j = order[r, q]
            v = vals[r, j]
            while below < n and srow[below] < v:
                below += 1
            if not_above < below:
                not_above = below
            while not_above < n and srow[not_above] <= v:
                not_above += 1
            below_out[r, j] = below
            not_above_out[r, j] = not_above


@numba.njit(nogil=True, cache=True)
def _row_medians(sorted_rows, tie_code, out):
    n = sorted_rows.shape[1]
    for r in range(sorted_rows.shape[0]):
        srow = sorted_rows[r]
        # ranks are non-decreasing along the sorted row, so the median of the rank vector
        # is the mean of the ranks at the two middle sorted positions
        a = _rank_in_sorted(srow, srow[(n - 1) // 2], tie_code)
        b = _rank_in_sorted(srow, srow[n // 2], tie_code)
        out[r] = (a + b) / 2.0


def _over_row_blocks(work, n_rows: int) -> None:
    """Run ``work(start, stop)`` on one block of rows per numba thread.

    NumPy's sorts release the GIL and the kernels are ``nogil``: threads run in parallel,
    and NumPy's (SIMD) sorts are faster than numba's.
    """
    n_threads = max(1, min(numba.get_num_threads(), n_rows))
    bounds = np.linspace(0, n_rows, n_threads + 1).astype(np.int64)
    if n_threads == 1:
        work(0, n_rows)
        return
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n_threads) as pool:
        futures = [pool.submit(work, int(a), int(b))
                   for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
        for f in futures:
            f.result()


def selected_counts(
    x: np.ndarray, cols: np.ndarray, *, median_ties: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Per row, how many values lie below and not above each selected column's value.

    ``below[r, j] = #{x[r] < x[r, cols[j]]}`` and ``not_above[r, j] = #{x[r] <= ...}``
    (int64), from one sort of each row and one walk along it; with ``median_ties`` also the
    median of the row's complete rank vector under that tie rule.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    n_rows = x.shape[0]
    below = np.empty((n_rows, len(cols)), dtype=np.int64)
    not_above = np.empty((n_rows, len(cols)), dtype=np.int64)
    median = np.empty(n_rows, dtype=np.float64) if median_ties is not None else None
    tie_code = TIES_METHODS.index(median_ties) if median_ties is not None else 0

    def work(start: int, stop: int) -> None:
        block = x[start:stop]
        srt = np.sort(block, axis=1)
        vals = np.ascontiguousarray(block[:, cols])
        _merge_counts(srt, vals, np.argsort(vals, axis=1), below[start:stop],
                      not_above[start:stop])
        if median is not None:
            _row_medians(srt, tie_code, median[start:stop])

    if n_rows:
        _over_row_blocks(work, n_rows)
    return below, not_above, median


def selected_ranks(
    x: np.ndarray, cols: np.ndarray, ties: str = "min", *, with_median: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Ascending ranks (1 = lowest) of the columns ``cols`` within each row of ``x``.

    Equal to R's ``rank(x[r, ], ties.method=ties)[cols]`` for every row without ranking
    the other columns (see :func:`selected_counts`).

    Parameters
    ----------
    x
        ``(n_rows, n)`` float array without NaN; every row is ranked separately.
    cols
        Column indices whose ranks are wanted (any order, repeats allowed).
    ties
        R ``rank()`` tie rule: ``"min"``, ``"average"`` or ``"max"``.
    with_median
        Also return, per row, the median of the row's *complete* rank vector (all ``n``
        columns), as R's ``median(rank(x, ties.method=ties))``.

    Returns
    -------
    ranks : ndarray
        ``(n_rows, len(cols))`` float64.
    median : ndarray or None
        ``(n_rows,)`` float64 when ``with_median``, else None.
    """
    if ties not in TIES_METHODS:
        raise ValueError(f"ties must be one of {TIES_METHODS}, got {ties!r}")
    below, not_above, median = selected_counts(
        x, cols, median_ties=ties if with_median else None
    )
    if ties == "min":
        ranks = below + 1.0
    elif ties == "max":
        ranks = not_above.astype(np.float64)
    else:
        ranks = (below + 1.0 + not_above) / 2.0
    return ranks, median


@numba.njit(parallel=True, cache=True)
def _equal_after(x, cols, below, not_above):
    n_rows, n = x.shape
    m = len(cols)
    out = np.zeros((n_rows, m), dtype=np.int64)
    col_order = np.argsort(cols)[::-1]  # requested columns, last column first
    for r in numba.prange(n_rows):
        n_tied = 0
        for j in range(m):
            if not_above[r, j] - below[r, j] > 1:
                n_tied += 1
        if n_tied == 0:
            continue  # the usual case for continuous data
        # Values shared by a requested gene and another gene; one scan of the row from the
        # right counts, for each, how many equal values lie at later columns.
        tied = np.empty(n_tied)
        t = 0
        for j in range(m):
            if not_above[r, j] - below[r, j] > 1:
                tied[t] = x[r, cols[j]]
                t += 1
        tied = np.unique(tied)
        seen = np.zeros(len(tied), dtype=np.int64)
        row = x[r]
        q = 0
        for c in range(n - 1, -1, -1):
            k = np.searchsorted(tied, row[c])
            hit = k < len(tied) and tied[k] == row[c]
            while q < m and cols[col_order[q]] == c:
                if hit:
                    out[r, col_order[q]] = seen[k]
                q += 1
            if hit:
                seen[k] += 1
    return out


def column_rank_counts(
    x: np.ndarray, cols: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rank statistics of selected columns within each row, without ranking every gene.

    For each row ``r`` and requested column ``c`` (value ``v = x[r, c]``) returns

    * ``lt``: number of values in the row smaller than ``v``;
    * ``eq``: number of values equal to ``v`` (``c`` included);
    * ``eq_after``: number of values equal to ``v`` in columns after ``c``.

    Every tie rule follows: average rank ``lt + (eq + 1) / 2``, min rank ``lt + 1``, max rank
    ``lt + eq``, and the 1-based position in a stable descending order (ties in column
    order) ``n - (lt + eq_after)``. Cost: :func:`selected_counts`, plus one scan of the
    rows where a selected gene ties with another; NaN must not occur (the input layer
    rejects it).
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    below, not_above, _ = selected_counts(x, cols)
    return below, not_above - below, _equal_after(x, cols, below, not_above)


# --------------------------------------------------------------------------------------
# Sparse-aware tie blocks of selected genes (UCell, AUCell on single cells).
#
# A cell of a CSR matrix stores its non-zero values; every other gene is zero, and all the
# zeros form one tie block whose place in the ranking follows from counting the positive
# and negative values. So a cell is ranked from its stored values alone, never densified.
# What a method needs is, for each gene of its sets, its *tie block* in the descending
# order: how many genes have a strictly larger value (``start``) and how many share its
# value (``size``, the gene included). Every tie rule follows from the block: average rank
# ``start + (size + 1) / 2``, min rank ``start + 1``, max rank ``start + size``, and the
# expected value of any function of the rank over all orders of the tie.
#
# Per cell the distinct values of the queried genes are sorted (a dozen for log counts, a
# few hundred for continuous data) and the stored values are counted against them:
# O(nnz · q) vectorised for few distinct values, O(nnz log q) by binary search for many,
# instead of a sort of the whole cell. Dense input uses the same kernels with every value
# "stored".
# --------------------------------------------------------------------------------------


def row_arrays(values) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, int]:
    """Flat ``(data, indices, indptr, shared_indices, n_cols)`` views of a block of rows.

    For a CSR matrix these are its own arrays (float32 or float64 data, int32 or int64
    indices; other data types are converted to float64, indptr to int64); for a
    dense 2-D array ``data`` is the raveled block, ``indptr`` steps by ``n_cols`` and
    ``indices`` is ``arange(n_cols)``, shared by every row (``shared_indices=True``).
    """
    import scipy.sparse as sp

    if sp.issparse(values):
        m = values if values.format == "csr" else sp.csr_matrix(values)
        if not m.has_sorted_indices:
            m = m.copy()
            m.sort_indices()
        # float32 data and int32 indices are used as they are (the kernels compile for
        # them): converting a large block would cost more than ranking it
        data = m.data if m.data.dtype in (np.float32, np.float64) else m.data.astype(np.float64)
        return data, m.indices, np.ascontiguousarray(m.indptr, dtype=np.int64), False, m.shape[1]
    x = np.ascontiguousarray(values, dtype=np.float64)
    n_rows, n_cols = x.shape
    return (x.ravel(), np.arange(n_cols, dtype=np.int64),
            np.arange(0, n_rows * n_cols + 1, n_cols, dtype=np.int64)[: n_rows + 1], True,
            n_cols)


def gene_slots(genes: np.ndarray, n_genes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(slot_of, slot_genes)``: the distinct queried genes and a gene → slot lookup.

    ``slot_genes`` are the distinct genes of ``genes`` in ascending order; ``slot_of`` has
    length ``n_genes`` with the slot of each queried gene and -1 elsewhere.
    """
    slot_genes = np.unique(np.asarray(genes, dtype=np.int64))
    slot_of = np.full(n_genes, -1, dtype=np.int64)
    slot_of[slot_genes] = np.arange(len(slot_genes), dtype=np.int64)
    return slot_of, slot_genes


#: Up to this many distinct queried values per row, :func:`row_tie_blocks` counts by linear
#: (vectorised) passes; above it, by binary search (measured crossover ~100 on 1600 values).
_LINEAR_COUNT_MAX = 96


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
    # the stored values of queried genes (all other queried genes are zero)
    m = min(nnz, n_slots)
    present = np.empty(m, dtype=np.int64)
    pvals = np.empty(m)
    n_present = 0
    for q in range(nnz):
        s = slot_of[indices[q]]
        if s >= 0:
            present[n_present] = s
            pvals[n_present] = data[q]
            n_present += 1
    # their distinct values, ascending, with 0 (the value of every queried gene not stored)
    cand = np.empty(n_present + 1)
    cand[0] = 0.0
    cand[1:] = pvals[:n_present]
    cand = np.sort(cand)
    nq = 0
    for i in range(n_present + 1):
        if nq == 0 or cand[i] != cand[nq - 1]:
            cand[nq] = cand[i]
            nq += 1
    qs = cand[:nq]
    greater = np.empty(nq, dtype=np.int64)
    eq = np.empty(nq, dtype=np.int64)
    if nq <= _LINEAR_COUNT_MAX:
        # Few distinct values (log-normalised counts take a dozen or so per cell): count
        # "larger than" and "equal to" each of them in one branch-free pass over the
        # stored values per value, which the compiler vectorises.
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
    else:
        # Many distinct values (continuous data): place each stored value among them by
        # binary search; above[p] counts stored values between qs[p - 1] and qs[p] (p = nq:
        # above every queried value).
        eq[:] = 0
        above = np.zeros(nq + 1, dtype=np.int64)
        for q in range(nnz):
            x = data[q]
            p = np.searchsorted(qs, x)
            if p < nq and qs[p] == x:
                eq[p] += 1
            else:
                above[p] += 1
        eq[np.searchsorted(qs, 0.0)] += n_implicit
        acc = above[nq]
        for i in range(nq - 1, -1, -1):
            greater[i] = acc
            acc += eq[i] + above[i]
    # most queried genes are zero in a cell: fill every slot with the zeros' block, then
    # overwrite the slots of the stored values
    z = np.searchsorted(qs, 0.0)
    start[:] = greater[z]
    size[:] = eq[z]
    for k in range(n_present):
        x = pvals[k]
        if x != 0.0:
            i = np.searchsorted(qs, x)
            start[present[k]] = greater[i]
            size[present[k]] = eq[i]


@numba.njit(nogil=True, cache=True)
def csr_row(data, indices, indptr, shared, r):
    """Stored values and column indices of row ``r`` of the arrays from :func:`row_arrays`."""
    a = indptr[r]
    b = indptr[r + 1]
    return data[a:b], (indices if shared else indices[a:b])


@numba.njit(nogil=True, cache=True)
def csr_row_tie_blocks(data, indices, n_genes, slot_of, n_slots):
    """:func:`row_tie_blocks` of one row into new ``(start, size)`` arrays."""
    start = np.empty(n_slots, dtype=np.int64)
    size = np.empty(n_slots, dtype=np.int64)
    row_tie_blocks(data, indices, n_genes, slot_of, n_slots, start, size)
    return start, size


@numba.njit(parallel=True, cache=True)
def _tie_blocks(data, indices, indptr, shared, n_genes, slot_of, n_slots):
    n_rows = len(indptr) - 1
    start = np.empty((n_rows, n_slots), dtype=np.int64)
    size = np.empty((n_rows, n_slots), dtype=np.int64)
    for r in numba.prange(n_rows):
        d, idx = csr_row(data, indices, indptr, shared, r)
        row_tie_blocks(d, idx, n_genes, slot_of, n_slots, start[r], size[r])
    return start, size


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
    start, size = _tie_blocks(data, indices, indptr, shared, n_genes, slot_of, len(slot_genes))
    cols = slot_of[genes]
    return start[:, cols], size[:, cols]


@numba.njit(parallel=True, cache=True)
def _csr_average_ranks(data, indptr, n_genes):
    n_rows = len(indptr) - 1
    out = np.empty(len(data))
    zero_rank = np.empty(n_rows)
    for r in numba.prange(n_rows):
        a = indptr[r]
        b = indptr[r + 1]
        nnz = b - a
        order = np.argsort(data[a:b])  # ascending; tie runs are found below
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
    return out, zero_rank


def csr_descending_average_ranks(values) -> tuple[np.ndarray, np.ndarray]:
    """Descending average ranks (1 = highest) of a CSR matrix's stored entries, per row.

    Returns ``(ranks, zero_rank)``: ``ranks`` aligned with ``values.data`` (sorted-index
    CSR), and per row the average rank shared by all its zeros (stored or not), computed
    from the number of positive and negative values: ``n_pos + (n_zero + 1) / 2``. Equal
    to ``rankdata(-row, "average")`` of the dense row without building it.
    """
    import scipy.sparse as sp

    data, _, indptr, _, n_genes = row_arrays(sp.csr_matrix(values))
    return _csr_average_ranks(data, indptr, n_genes)


@numba.njit(nogil=True, cache=True)
def _mix64(z):
    # splitmix64 finaliser: a bijective, well-mixed 64-bit hash
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(nogil=True, cache=True)
def tie_key(seed, row, gene):
    """The random sort key of ``gene`` among its ties in ``row`` (splitmix64 of all three)."""
    h = _mix64(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
    h = _mix64(h ^ (np.uint64(row) * np.uint64(0xD6E8FEB86659FD93)))
    return _mix64(h ^ (np.uint64(gene) * np.uint64(0xA0761D6478BD642F)))


@numba.njit(nogil=True, cache=True)
def _key_less(k1, g1, k2, g2):
    return k1 < k2 or (k1 == k2 and g1 < g2)


@numba.njit(nogil=True, cache=True)
def _add_member(x, g, rv, keys, rg, below, seed, row):
    """Count tie member ``g`` (value ``x``) below every sorted slot of value ``x`` after it."""
    lo = np.searchsorted(rv, x, side="left")
    hi = np.searchsorted(rv, x, side="right")
    if lo == hi:
        return
    kg = tie_key(seed, row, g)
    # first slot in [lo, hi) whose (key, gene) is not smaller than the member's, then skip
    # the member itself: only strictly larger slots count it as being below them
    a = lo
    b = hi
    while a < b:
        m = (a + b) >> 1
        if _key_less(keys[m], rg[m], kg, g) or (keys[m] == kg and rg[m] == g):
            a = m + 1
        else:
            b = m
    below[a] += 1
    below[hi] -= 1


@numba.njit(nogil=True, cache=True)
def row_random_positions(data, indices, n_genes, slot_of, slot_genes, seed, row, limit,
                         start, size, pos):
    """1-based descending positions of the queried genes under a seeded random tie order.

    Genes of one tie block are ordered by :func:`tie_key` ``(seed, row, gene)``: a random
    permutation of every tie, the same whichever other genes are queried. Only blocks that
    start before ``limit`` are resolved; a gene in a later block gets its block's first
    position (``start + 1 > limit``). ``start``/``size`` must hold :func:`row_tie_blocks`.
    ``indices`` must be sorted.
    """
    n_slots = len(slot_genes)
    nnz = len(data)
    val = np.zeros(n_slots)
    for q in range(nnz):
        s = slot_of[indices[q]]
        if s >= 0:
            val[s] = data[q]
    need = np.zeros(n_slots, dtype=np.bool_)
    n_need = 0
    any_zero = False
    for s in range(n_slots):
        pos[s] = start[s] + 1
        if size[s] > 1 and start[s] < limit:
            need[s] = True
            n_need += 1
            if val[s] == 0.0:
                any_zero = True
    if n_need == 0:
        return
    # resolution slots sorted by (value, key, gene): a member of a block is counted for
    # every slot of the same value whose key is larger
    rs = np.empty(n_need, dtype=np.int64)
    keys = np.empty(n_need, dtype=np.uint64)
    k = 0
    for s in range(n_slots):
        if need[s]:
            rs[k] = s
            keys[k] = tie_key(seed, row, slot_genes[s])
            k += 1
    o = np.argsort(keys, kind="mergesort")
    rs = rs[o]
    keys = keys[o]
    rv = np.empty(n_need)
    for i in range(n_need):
        rv[i] = val[rs[i]]
    o = np.argsort(rv, kind="mergesort")  # stable: keys stay ascending within a value
    rs = rs[o]
    keys = keys[o]
    rv = rv[o]
    rg = np.empty(n_need, dtype=np.int64)
    for i in range(n_need):
        rg[i] = slot_genes[rs[i]]
    below = np.zeros(n_need + 1, dtype=np.int64)  # difference array over sorted slots

    for q in range(nnz):
        _add_member(data[q], indices[q], rv, keys, rg, below, seed, row)
    if any_zero and nnz < n_genes:
        p = 0
        for g in range(n_genes):
            while p < nnz and indices[p] < g:
                p += 1
            if p < nnz and indices[p] == g:
                continue  # stored (a stored zero was counted above)
            _add_member(0.0, g, rv, keys, rg, below, seed, row)
    acc = 0
    for i in range(n_need):
        acc += below[i]
        pos[rs[i]] = start[rs[i]] + 1 + acc


@numba.njit(parallel=True, cache=True)
def _random_positions(data, indices, indptr, shared, n_genes, slot_of, slot_genes, seed,
                      row_offset, limit):
    n_rows = len(indptr) - 1
    n_slots = len(slot_genes)
    pos = np.empty((n_rows, n_slots), dtype=np.int64)
    for r in numba.prange(n_rows):
        d, idx = csr_row(data, indices, indptr, shared, r)
        start, size = csr_row_tie_blocks(d, idx, n_genes, slot_of, n_slots)
        row_random_positions(d, idx, n_genes, slot_of, slot_genes, seed,
                             row_offset + r, limit, start, size, pos[r])
    return pos


def random_tie_positions(
    values, genes: np.ndarray, seed: int, *, row_offset: int = 0, limit: int | None = None,
) -> np.ndarray:
    """1-based descending positions of ``genes`` per row, ties in a seeded random order.

    Within a tie block genes are ordered by a 64-bit hash of ``(seed, row_offset + row,
    gene)``: every order of a tie is equally likely, and a gene's position depends only on
    the seed, the row's index and the data, not on the chunking, the thread count or the
    other queried genes. With ``limit``, blocks starting at or after ``limit`` are not
    resolved and report their first position (which is then > ``limit``).
    """
    data, indices, indptr, shared, n_genes = row_arrays(values)
    genes = np.asarray(genes, dtype=np.int64)
    slot_of, slot_genes = gene_slots(genes, n_genes)
    lim = n_genes if limit is None else int(limit)
    pos = _random_positions(data, indices, indptr, shared, n_genes, slot_of, slot_genes,
                            np.uint64(seed), np.int64(row_offset), np.int64(lim))
    return pos[:, slot_of[genes]]


# --------------------------------------------------------------------------------------
# Ranks of selected genes of a CSR matrix (singscore on sparse input): only the stored
# values of a row are sorted; the implicit zeros are counted, never materialised.
# --------------------------------------------------------------------------------------


@numba.njit(nogil=True, cache=True)
def _count_in_row(d, n_zero, v, strict):
    """#{row values < v} (``strict``) or #{row values <= v} for a sparse row.

    ``d`` holds the stored values sorted ascending (explicit zeros included); the row
    also has ``n_zero`` implicit zeros.
    """
    if strict:
        c = _count_below(d, v)
        if v > 0.0:
            c += n_zero
    else:
        c = _count_not_above(d, v)
        if v >= 0.0:
            c += n_zero
    return c


@numba.njit(nogil=True, cache=True)
def _sparse_rank(d, n_zero, v, tie_code):
    if tie_code == 0:
        return _count_in_row(d, n_zero, v, True) + 1.0
    if tie_code == 2:
        return float(_count_in_row(d, n_zero, v, False))
    return (_count_in_row(d, n_zero, v, True) + 1.0
            + _count_in_row(d, n_zero, v, False)) / 2.0


@numba.njit(nogil=True, cache=True)
def _sparse_value_at(d, n_neg, n_zero, p):
    """The value at 0-based position ``p`` of the complete sorted row."""
    if p < n_neg:
        return d[p]
    if p < n_neg + n_zero:
        return 0.0
    return d[p - n_zero]


@numba.njit(parallel=True, cache=True)
def _csr_selected_ranks(indptr, indices, data, n, cols, tie_code, out, median,
                        want_median, n_parts):
    n_rows = len(indptr) - 1
    m = len(cols)
    for part in numba.prange(n_parts):
        r0 = part * n_rows // n_parts
        r1 = (part + 1) * n_rows // n_parts
        scratch = np.zeros(n)  # one dense row, reset after use
        for r in range(r0, r1):
            a = indptr[r]
            b = indptr[r + 1]
            d = np.sort(data[a:b])
            n_zero = n - (b - a)
            n_neg = _count_below(d, 0.0)
            zero_rank = _sparse_rank(d, n_zero, 0.0, tie_code)
            for q in range(a, b):
                scratch[indices[q]] = data[q]
            for j in range(m):
                v = scratch[cols[j]]
                # most selected genes are zero in a sparse row: their rank is shared
                out[r, j] = zero_rank if v == 0.0 else _sparse_rank(d, n_zero, v, tie_code)
            for q in range(a, b):
                scratch[indices[q]] = 0.0
            if want_median:
                lo = _sparse_value_at(d, n_neg, n_zero, (n - 1) // 2)
                hi = _sparse_value_at(d, n_neg, n_zero, n // 2)
                median[r] = (_sparse_rank(d, n_zero, lo, tie_code)
                             + _sparse_rank(d, n_zero, hi, tie_code)) / 2.0


def selected_ranks_csr(
    x, cols: np.ndarray, ties: str = "min", *, with_median: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """:func:`selected_ranks` of a scipy CSR matrix, without densifying it.

    The implicit zeros are values 0 (tied with each other and with stored zeros). Each row
    sorts only its stored values, so the cost follows the number of non-zeros.
    """
    import scipy.sparse as sp

    if ties not in TIES_METHODS:
        raise ValueError(f"ties must be one of {TIES_METHODS}, got {ties!r}")
    x = sp.csr_matrix(x)
    if not x.has_canonical_format:
        x = x.copy()
        x.sum_duplicates()
    n_rows, n = x.shape
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    out = np.empty((n_rows, len(cols)), dtype=np.float64)
    median = np.empty(n_rows, dtype=np.float64)
    n_parts = max(1, min(n_rows, numba.get_num_threads() * 4))
    if n_rows:
        _csr_selected_ranks(
            x.indptr.astype(np.int64), x.indices.astype(np.int64),
            np.asarray(x.data, dtype=np.float64), n, cols, TIES_METHODS.index(ties), out,
            median, with_median, n_parts,
        )
    return out, (median if with_median else None)


# --------------------------------------------------------------------------------------
# Stable descending positions from NumPy's SIMD argsort (GSVA).
#
# Same result as :func:`descending_positions` (ties keep column order, NaN last), but the
# per-row sort is NumPy's vectorised argsort (several times faster than numba's mergesort
# on wide rows), run on threads; that sort is not stable, so a second pass puts the
# columns of every run of equal values back in ascending column order.
# --------------------------------------------------------------------------------------


@numba.njit(nogil=True, cache=True)
def _positions_from_ascending(order, sorted_x, pos):
    n_rows, n = order.shape
    for r in range(n_rows):
        o = order[r]
        sv = sorted_x[r]
        # NaN sorts last in the ascending order: they take the last positions, in column
        # order (as -NaN does in a stable descending sort)
        top = n
        while top > 0 and np.isnan(sv[top - 1]):
            top -= 1
        if top < n:
            nan_cols = np.sort(o[top:])
            for q in range(n - top):
                pos[r, nan_cols[q]] = top + q + 1
        p = 1
        t = top - 1
        while t >= 0:  # from the largest value down
            a = t
            while a > 0 and sv[a - 1] == sv[t]:
                a -= 1
            if a == t:
                pos[r, o[t]] = p
                p += 1
            else:
                tied = np.sort(o[a : t + 1])  # a tie run: column order
                for q in range(t - a + 1):
                    pos[r, tied[q]] = p
                    p += 1
            t = a - 1


def fast_descending_positions(x: np.ndarray) -> np.ndarray:
    """1-based positions in a stable descending order per row (int32), like
    :func:`descending_positions`: tied values keep column order, NaN come last.

    Rows are argsorted by NumPy (SIMD, GIL released), then tie runs are put in column
    order by a nogil kernel, on ``numba.get_num_threads()`` threads.
    """
    from concurrent.futures import ThreadPoolExecutor

    x = np.asarray(x, dtype=np.float64)
    n_rows, n = x.shape
    pos = np.empty((n_rows, n), dtype=np.int32)
    if n_rows == 0 or n == 0:
        return pos
    n_threads = max(1, min(numba.get_num_threads(), n_rows))
    # several small tasks per thread keep the threads busy to the end
    bounds = np.linspace(0, n_rows, min(n_rows, n_threads * 8) + 1).astype(int)

    def work(i: int) -> None:
        a, b = bounds[i], bounds[i + 1]
        block = x[a:b]
        order = np.argsort(block, axis=1)
        _positions_from_ascending(order, np.take_along_axis(block, order, axis=1), pos[a:b])

    if n_threads == 1:
        for i in range(len(bounds) - 1):
            work(i)
    else:
        with ThreadPoolExecutor(n_threads) as pool:
            list(pool.map(work, range(len(bounds) - 1)))
    return pos
