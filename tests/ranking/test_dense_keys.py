"""GSVA's per-sample positions from sorted 64-bit keys (``rrscore.ranking._dense``).

The common kernel places every gene and counts the runs of *unequal* values that share a
truncated key; only those need the rare kernel (``_order_runs``). Runs of equal values
(ties, ``-0.0`` and ``0.0``, NaN) are already in column order, R's stable order.
"""

from __future__ import annotations

import numpy as np

from rrscore.ranking._dense import (
    _column_keys,
    _positions_from_keys,
    descending_positions,
    fast_descending_positions,
)


def common_kernel(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Positions and the count of unequal runs from the common kernel alone."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.shape[1]
    shift = max(1, (n - 1).bit_length())
    keys = np.empty(x.shape, dtype=np.uint64)
    _column_keys(x, x.view(np.uint64), shift, keys)
    keys.sort(axis=1)
    pos = np.zeros(x.shape, dtype=np.int32)
    unequal = _positions_from_keys(keys, x, shift, pos)
    return pos, int(unequal)


def test_runs_of_equal_values_need_no_reordering():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(5, 300)), 1)  # many ties
    x[0, :10] = -0.0
    x[0, 10:20] = 0.0
    x[1, rng.random(300) < 0.1] = np.nan
    x[2, :4] = np.inf
    pos, unequal = common_kernel(x)
    assert unequal == 0
    assert np.array_equal(pos, descending_positions(x))


def test_values_apart_only_in_low_bits_are_counted_and_reordered():
    near = 1.0 + np.arange(40) * 2.2e-16  # equal truncated keys, different values
    x = np.vstack([near[::-1], np.random.default_rng(4).permutation(near)])
    pos, unequal = common_kernel(x)
    assert unequal > 0
    assert not np.array_equal(pos, descending_positions(x))  # the common kernel alone
    assert np.array_equal(fast_descending_positions(x), descending_positions(x))
