"""rrscore's in-kernel sorts and searches (``rrscore.ranking._sort``) against NumPy's."""

from __future__ import annotations

import numpy as np
import pytest

from rrscore.ranking._sort import search_left, search_right, sort_prefix, stable_argsort_prefix


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 64, 1001])
@pytest.mark.parametrize("dtype", [np.float64, np.uint64])
def test_sorts_equal_numpy_with_and_without_ties(n, dtype):
    rng = np.random.default_rng(n)
    for values in (rng.normal(size=n) * 1e3, rng.integers(0, 4, size=n)):
        a = values.astype(dtype)
        s = a.copy()
        sort_prefix(s, n)
        np.testing.assert_array_equal(s, np.sort(a))
        order = np.empty(n, dtype=np.int64)
        stable_argsort_prefix(a, n, order)
        np.testing.assert_array_equal(order, np.argsort(a, kind="stable"))
        probes = np.concatenate([a[:5], np.array([0, 10**4], dtype=dtype)])
        for x in probes:
            assert search_left(s, n, x) == np.searchsorted(s, x, side="left")
            assert search_right(s, n, x) == np.searchsorted(s, x, side="right")


def test_only_the_prefix_is_sorted():
    a = np.array([3.0, -1.0, 2.0, 9.0, -5.0])
    sort_prefix(a, 3)
    np.testing.assert_array_equal(a, [-1.0, 2.0, 3.0, 9.0, -5.0])
    order = np.full(5, -1, dtype=np.int64)
    stable_argsort_prefix(np.array([2.0, 1.0, 2.0, 0.0, -9.0]), 3, order)
    np.testing.assert_array_equal(order[:3], [1, 0, 2])


def test_signed_zeros_tie_and_keep_their_order():
    a = np.array([0.0, -0.0, 1.0, -0.0, 0.0])
    order = np.empty(5, dtype=np.int64)
    stable_argsort_prefix(a, 5, order)
    np.testing.assert_array_equal(order, np.argsort(a, kind="stable"))
    s = a.copy()
    sort_prefix(s, 5)
    assert (s[:4] == 0.0).all() and s[4] == 1.0
