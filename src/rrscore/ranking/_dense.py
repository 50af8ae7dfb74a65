"""Full dense ranks and positions of every gene of every row (GSVA, RSI).

Each function ranks the genes of every row (sample) of a ``(n_samples, n_genes)`` float64
array independently:

* :func:`descending_positions` — 1-based position in a *stable* descending order: tied genes
  keep their column order (R's ``order(x, decreasing=TRUE)``).
* :func:`average_ranks` — ascending ranks, ties get the mean rank (R ``rank(ties="average")``).
* :func:`positions_and_average_ranks` — both from one sort per row.
* :func:`fast_descending_positions` — :func:`descending_positions` from NumPy's SIMD argsort
  on threads (GSVA).

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
