"""Full dense ranks and positions of every gene of every row (GSVA, RSI).

Each function ranks the genes of every row (sample) of a ``(n_samples, n_genes)`` float64
array independently:

* :func:`descending_positions` — 1-based position in a *stable* descending order: tied genes
  keep their column order (R's ``order(x, decreasing=TRUE)``).
* :func:`average_ranks` — ascending ranks, ties get the mean rank (R ``rank(ties="average")``).
* :func:`positions_and_average_ranks` — both from one sort per row.
* :func:`fast_descending_positions` — :func:`descending_positions` from one NumPy SIMD sort
  of 64-bit keys per row, on threads (GSVA).

The kernels are serial ``nogil`` loops over rows, run on threads; NaN come last.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import kernel_over_rows, numba, thread_pool
from rrscore.ranking._sort import stable_argsort_prefix


@numba.njit(nogil=True, cache=True)
def _positions_rows(r0, r1, x, want_avg, pos, avg):
    n = x.shape[1]
    neg = np.empty(n)
    cols = np.empty(n, dtype=np.int64)
    by_key = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    for r in range(r0, r1):
        row = x[r]
        # the values that are not NaN by descending value, ties in column order (a stable
        # sort of -value), then the NaN in column order: np.argsort(-row, kind="mergesort")
        m = 0
        for c in range(n):
            if row[c] == row[c]:
                neg[m] = -row[c]
                cols[m] = c
                m += 1
        stable_argsort_prefix(neg, m, by_key)
        for p in range(m):
            order[p] = cols[by_key[p]]
        t = m
        for c in range(n):
            if row[c] != row[c]:
                order[t] = c
                t += 1
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


def _positions_and_average_ranks(x: np.ndarray, want_avg: bool):
    # a serial kernel over blocks of rows on threads, with rrscore's stable index sort
    # (ranking._sort): the order of np.argsort(-row, kind="mergesort"), seconds less to
    # compile than numba's mergesort in a parallel loop
    n_rows, n = x.shape
    pos = np.empty((n_rows, n), dtype=np.int32)
    avg = np.empty((n_rows, n if want_avg else 0), dtype=np.float64)
    kernel_over_rows(_positions_rows, n_rows, x, bool(want_avg), pos, avg)
    return pos, avg


def descending_positions(x: np.ndarray) -> np.ndarray:
    """1-based positions of each gene in a stable descending order, per row (int32); NaN last."""
    pos, _ = _positions_and_average_ranks(np.ascontiguousarray(x, dtype=np.float64), False)
    return pos


def positions_and_average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both :func:`descending_positions` and :func:`average_ranks` from one sort per row."""
    return _positions_and_average_ranks(np.ascontiguousarray(x, dtype=np.float64), True)


def average_ranks(x: np.ndarray) -> np.ndarray:
    """Ascending ranks per row, ties averaged (1 = lowest)."""
    return positions_and_average_ranks(x)[1]


# --------------------------------------------------------------------------------------
# Stable descending positions from one NumPy SIMD sort of 64-bit keys (GSVA).
#
# Same result as :func:`descending_positions` (ties keep column order, NaN last, -0.0 ties
# with 0.0). Each value becomes an unsigned key whose order is the descending order of the
# values; its lowest ``shift`` bits are replaced by the column, so one ascending sort of
# the keys (NumPy's vectorised sort, ~2.5x faster than its argsort here, GIL released)
# gives the order with ties in column order. Values that differ only in those low bits
# (rare: about 2^-35 relative apart for 20,000 genes) form a run of equal truncated keys,
# which is re-ordered by the full value (:func:`_order_runs`); a run of equal values is
# already in column order.
# --------------------------------------------------------------------------------------

_SIGN = np.uint64(1 << 63)
_LOW63 = np.uint64((1 << 63) - 1)
_ALL_ONES = np.uint64((1 << 64) - 1)


@numba.njit(nogil=True, cache=True)
def _column_keys(x, bits, shift, keys):
    n_rows, n = x.shape
    low = np.uint64((1 << shift) - 1)
    for r in range(n_rows):
        for c in range(n):
            # an unsigned key that sorts ascending in the value's descending order, NaN last
            # (written out here: a separate kernel is one more to compile on a cold cache)
            b = bits[r, c]
            if x[r, c] != x[r, c]:
                key = _ALL_ONES
            elif b == _SIGN:  # -0.0 ties with 0.0, as in R
                key = _LOW63
            else:
                key = b if b >= _SIGN else b ^ _LOW63
            keys[r, c] = (key & ~low) | np.uint64(c)


@numba.njit(nogil=True, cache=True)
def _positions_from_keys(keys, x, shift, pos, unequal):
    """Positions from each row's sorted keys; ``unequal[r]``: row r has a run of unequal
    values, left to :func:`_order_runs`.

    A run of equal truncated keys is in column order, the stable order when its values are
    equal (ties, -0.0 and 0.0, NaN), so only runs of values that differ in the truncated
    bits (a few per hundred GSVA rows, at the extreme log-odds) need reordering.
    """
    n_rows, n = keys.shape
    low = np.uint64((1 << shift) - 1)
    high = np.uint64(shift)
    for r in range(n_rows):
        k = keys[r]
        flag = False
        for t in range(n):
            c = np.int64(k[t] & low)
            pos[r, c] = t + 1
            if t > 0 and (k[t] >> high) == (k[t - 1] >> high):  # in a run: equal values?
                a = x[r, c]
                b = x[r, np.int64(k[t - 1] & low)]
                if not (a == b or (a != a and b != b)):
                    flag = True
        unequal[r] = flag


def _order_runs(keys: np.ndarray, values: np.ndarray, shift: int, pos: np.ndarray) -> None:
    """One row's runs of equal truncated keys put in descending order of the full values,
    ties in column order (``keys``: the row's sorted keys, ``pos``: its positions).

    NumPy, not a kernel: few rows need it, and a kernel with a sort would cost ~1 s to
    compile on the first call after an install.
    """
    hi = keys >> np.uint64(shift)
    joined = hi[1:] == hi[:-1]  # t and t + 1 are in one run
    member = np.zeros(len(keys), dtype=bool)
    member[1:] |= joined
    member[:-1] |= joined
    starts = member.copy()
    starts[1:] &= ~joined
    at = np.flatnonzero(member)
    cols = (keys[at] & np.uint64((1 << shift) - 1)).astype(np.int64)
    # -value ascending is value descending (-0.0 ties with 0.0; NaN runs are all NaN),
    # lexsort is stable: equal values keep column order
    order = np.lexsort((cols, -values[cols], np.cumsum(starts[at])))
    pos[cols[order]] = at + 1


def fast_descending_positions(x: np.ndarray) -> np.ndarray:
    """1-based positions in a stable descending order per row (int32), like
    :func:`descending_positions`: tied values keep column order, NaN come last.

    Rows are ranked by one sort of 64-bit keys each (see the notes above), in blocks of
    rows on ``numba.get_num_threads()`` threads.

    Parameters
    ----------
    x
        ``(n_rows, n)`` values (float64 or castable).

    Returns
    -------
    numpy.ndarray
        ``(n_rows, n)`` int32 positions, 1 = largest.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    n_rows, n = x.shape
    pos = np.empty((n_rows, n), dtype=np.int32)
    if n_rows == 0 or n == 0:
        return pos
    shift = max(1, (n - 1).bit_length())
    bits = x.view(np.uint64)
    n_threads = max(1, min(numba.get_num_threads(), n_rows))
    # several small tasks per thread keep the threads busy to the end
    bounds = np.linspace(0, n_rows, min(n_rows, n_threads * 8) + 1).astype(int)

    def work(i: int) -> None:
        a, b = bounds[i], bounds[i + 1]
        keys = np.empty((b - a, n), dtype=np.uint64)
        _column_keys(x[a:b], bits[a:b], shift, keys)
        keys.sort(axis=1)
        unequal = np.empty(b - a, dtype=np.bool_)
        _positions_from_keys(keys, x[a:b], shift, pos[a:b], unequal)
        for r in np.flatnonzero(unequal):
            _order_runs(keys[r], x[a + r], shift, pos[a + r])

    if n_threads == 1:
        for i in range(len(bounds) - 1):
            work(i)
    else:
        with thread_pool(n_threads) as pool:
            list(pool.map(work, range(len(bounds) - 1)))
    return pos
