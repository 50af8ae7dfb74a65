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
# need a full argsort: sorting each row's values (numpy's SIMD sort, which releases the
# GIL, run on several threads) and binary-searching the selected values gives every R
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
def _search_ranks(sorted_rows, x, cols, tie_code, out, median, want_median):
    n_rows, n = sorted_rows.shape
    for r in range(n_rows):
        srow = sorted_rows[r]
        for j in range(len(cols)):
            out[r, j] = _rank_in_sorted(srow, x[r, cols[j]], tie_code)
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
    other columns: each row is sorted once and the selected values are binary-searched.

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
        # np.sort releases the GIL and the search kernel is nogil: threads run in parallel
        srt = np.sort(x[start:stop], axis=1)
        _search_ranks(srt, x[start:stop], cols, tie_code, out[start:stop],
                      median[start:stop], with_median)

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
