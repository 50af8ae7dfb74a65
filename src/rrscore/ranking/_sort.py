"""Small in-kernel sorts and searches that compile in a fraction of numba's own.

numba compiles ``np.sort``, ``np.argsort`` and ``np.searchsorted`` from generic templates
(quicksort/mergesort with their partition, insertion and comparison functions, each its own
compiled function), and every kernel that calls them links and optimises that code again:
seconds per kernel on a cold cache (``benchmarks/bench_first_call.py``). The kernels here
are single loops — a heapsort, a stable index heapsort, a binary search — that compile in
well under a second and give the same results:

* :func:`sort_prefix` sorts values ascending; a sorted array of values is unique whatever
  the algorithm (``-0.0`` and ``0.0`` compare equal and are interchangeable in every caller);
* :func:`stable_argsort_prefix` orders indices by value, equal values by index: exactly
  ``np.argsort(kind="mergesort")`` (a stable sort) for values without NaN;
* :func:`search_left` and :func:`search_right` are ``np.searchsorted(a[:n], x)`` with side
  ``"left"`` and ``"right"``.

None of them handles NaN (the input layer rejects it).
"""

from __future__ import annotations

from rrscore._numba import numba


@numba.njit(nogil=True, cache=True, inline="always")
def _sift_down(a, root, end, v):
    """Place ``v`` at ``root`` of the max-heap ``a[:end]``, moving larger children up."""
    while True:
        child = 2 * root + 1
        if child >= end:
            break
        if child + 1 < end and a[child] < a[child + 1]:
            child += 1
        if not v < a[child]:
            break
        a[root] = a[child]
        root = child
    a[root] = v


@numba.njit(nogil=True, cache=True)
def sort_prefix(a, n):
    """Sort ``a[:n]`` ascending in place (heapsort: O(n log n), no extra memory)."""
    # build a max-heap, then move the largest to the end n - 1 times
    for top in range(n // 2 - 1, -1, -1):
        _sift_down(a, top, n, a[top])
    for end in range(n - 1, 0, -1):
        v = a[end]
        a[end] = a[0]
        _sift_down(a, 0, end, v)


@numba.njit(nogil=True, cache=True)
def stable_argsort_prefix(keys, n, order):
    """``order[:n]`` = indices of ``keys[:n]`` ascending by key, equal keys by index.

    The order a stable sort gives (``np.argsort(keys[:n], kind="mergesort")``), by a heapsort
    of the indices on ``(key, index)``, which no two indices share.
    """
    for i in range(n):
        order[i] = i
    for phase in range(2):
        size = n
        first = n // 2 - 1 if phase == 0 else n - 1
        last = -1 if phase == 0 else 0
        for t in range(first, last, -1):
            if phase == 0:
                root = t
            else:
                size = t
                tmp = order[t]
                order[t] = order[0]
                order[0] = tmp
                root = 0
            j = order[root]
            kj = keys[j]
            while True:
                child = 2 * root + 1
                if child >= size:
                    break
                c = order[child]
                if child + 1 < size:
                    d = order[child + 1]
                    if keys[c] < keys[d] or (keys[c] == keys[d] and c < d):
                        child += 1
                        c = d
                if not (kj < keys[c] or (kj == keys[c] and j < c)):
                    break
                order[root] = c
                root = child
            order[root] = j


@numba.njit(nogil=True, cache=True)
def search_left(a, n, x):
    """First ``i`` in ``0 .. n`` with ``a[i] >= x`` for ascending ``a[:n]``."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@numba.njit(nogil=True, cache=True)
def search_right(a, n, x):
    """First ``i`` in ``0 .. n`` with ``a[i] > x`` for ascending ``a[:n]``
    (``np.searchsorted(a[:n], x, side="right")``)."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if x < a[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo
