"""Per-sample ranking, shared by every rank-based method.

Each function ranks the genes of every row (sample) of a ``(n_samples, n_genes)`` float64
array independently. The tie rules are the ones the reference implementations use, named
explicitly so that a method states which one it needs:

* :func:`descending_positions` — 1-based position in a *stable* descending order: tied genes
  keep their column order (R's ``order(x, decreasing=TRUE)``).
* :func:`average_ranks` — ascending ranks, ties get the mean rank (R ``rank(ties="average")``).
* :func:`min_ranks` — ascending ranks, ties get the lowest rank (``ties="min"``).

The kernels run in parallel over rows with numba.
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


@numba.njit(parallel=True, cache=True)
def _min_ranks(x: np.ndarray):
    n_rows, n = x.shape
    out = np.empty((n_rows, n), dtype=np.float64)
    for r in numba.prange(n_rows):
        row = x[r]
        order = np.argsort(row, kind="mergesort")
        start = 0
        while start < n:
            stop = start + 1
            v = row[order[start]]
            while stop < n and row[order[stop]] == v:
                stop += 1
            for q in range(start, stop):
                out[r, order[q]] = start + 1
            start = stop
    return out


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


def min_ranks(x: np.ndarray) -> np.ndarray:
    """Ascending ranks per row, ties get the minimum rank (1 = lowest)."""
    return _min_ranks(np.ascontiguousarray(x, dtype=np.float64))


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
def _merge_ranks(sorted_rows, vals, order, tie_code, out, median, want_median):
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
            if tie_code == 0:
                out[r, j] = below + 1.0
            elif tie_code == 2:
                out[r, j] = float(not_above)
            else:
                out[r, j] = (below + 1.0 + not_above) / 2.0
        if want_median:
            # ranks are non-decreasing along the sorted row, so the median of the rank
            # vector is the mean of the ranks at the two middle sorted positions
            a = _rank_in_sorted(srow, srow[(n - 1) // 2], tie_code)
            b = _rank_in_sorted(srow, srow[n // 2], tie_code)
            median[r] = (a + b) / 2.0


def selected_ranks(
    x: np.ndarray, cols: np.ndarray, ties: str = "min", *, with_median: bool = False,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Ascending ranks (1 = lowest) of the columns ``cols`` within each row of ``x``.

    Equal to ``min_ranks(x)[:, cols]`` (or the "average"/"max" rule) without ranking the
    other columns: each row is sorted once and the selected values, in ascending order,
    are located by one walk along it.

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
    tie_code = TIES_METHODS.index(ties)
    x = np.ascontiguousarray(x, dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    n_rows = x.shape[0]
    out = np.empty((n_rows, len(cols)), dtype=np.float64)
    median = np.empty(n_rows, dtype=np.float64)
    if n_rows == 0:
        return out, (median if with_median else None)

    def work(start: int, stop: int) -> None:
        # NumPy's sorts release the GIL and the merge kernel is nogil: threads run in
        # parallel (NumPy's sorts are faster than numba's)
        block = x[start:stop]
        srt = np.sort(block, axis=1)
        vals = np.ascontiguousarray(block[:, cols])
        order = np.argsort(vals, axis=1)
        _merge_ranks(srt, vals, order, tie_code, out[start:stop], median[start:stop],
                     with_median)

    n_threads = max(1, min(numba.get_num_threads(), n_rows))
    bounds = np.linspace(0, n_rows, n_threads + 1).astype(np.int64)
    if n_threads == 1:
        work(0, n_rows)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads) as pool:
            futures = [pool.submit(work, int(a), int(b))
                       for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
            for f in futures:
                f.result()
    return out, (median if with_median else None)


@numba.njit(parallel=True, cache=True)
def _counts_by_merge(x, sorted_x, cols, sub_order):
    n_rows, n = x.shape
    m = len(cols)
    lt = np.empty((n_rows, m), dtype=np.int32)
    eq = np.empty((n_rows, m), dtype=np.int32)
    eq_after = np.zeros((n_rows, m), dtype=np.int32)
    for r in numba.prange(n_rows):
        row = x[r]
        srow = sorted_x[r]
        # Walk the requested values in ascending order along the sorted row: O(n + m),
        # sequential memory access and predictable branches (a binary search per value is
        # several times slower here).
        i = 0
        tied = False
        for t in range(m):
            j = sub_order[r, t]
            v = row[cols[j]]
            while i < n and srow[i] < v:
                i += 1
            k = i
            while k < n and srow[k] == v:
                k += 1
            lt[r, j] = i
            eq[r, j] = k - i
            if k - i > 1:
                tied = True
        if tied:
            # Only rows with ties among the requested genes pay for a stable sort, which
            # says how many equal values lie at later columns.
            order = np.argsort(row, kind="mergesort")
            asc_pos = np.empty(n, dtype=np.int32)
            for q in range(n):
                asc_pos[order[q]] = q
            for j in range(m):
                if eq[r, j] > 1:
                    eq_after[r, j] = lt[r, j] + eq[r, j] - 1 - asc_pos[cols[j]]
    return lt, eq, eq_after


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
    order) ``n - (lt + eq_after)``. Cost: one (SIMD) sort of each row and of the requested
    values, then one linear merge; NaN must not occur (the input layer rejects it).
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    sub_order = np.argsort(x[:, cols], axis=1)
    return _counts_by_merge(x, np.sort(x, axis=1), cols, sub_order)


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
