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
