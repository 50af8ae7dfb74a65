"""GSVA's per-sample positions from sorted 64-bit keys (``rrscore.ranking._dense``).

The kernel places every gene and flags the rows with a run of *unequal* values that share a
truncated key; only those rows are reordered (``_order_runs``). Runs of equal values (ties,
``-0.0`` and ``0.0``, NaN) are already in column order, R's stable order.
"""

from __future__ import annotations

import numpy as np

from rrscore.ranking._dense import (
    _column_keys,
    _positions_from_keys,
    descending_positions,
    fast_descending_positions,
)


def kernel_alone(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and the rows flagged for reordering, from the kernel alone."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    n = x.shape[1]
    shift = max(1, (n - 1).bit_length())
    keys = np.empty(x.shape, dtype=np.uint64)
    _column_keys(x, x.view(np.uint64), shift, keys)
    keys.sort(axis=1)
    pos = np.zeros(x.shape, dtype=np.int32)
    unequal = np.ones(x.shape[0], dtype=bool)
    _positions_from_keys(keys, x, shift, pos, unequal)
    return pos, unequal


def test_runs_of_equal_values_need_no_reordering():
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=(5, 300)), 1)  # many ties
    x[0, :10] = -0.0
    x[0, 10:20] = 0.0
    x[1, rng.random(300) < 0.1] = np.nan
    x[2, :4] = np.inf
    pos, unequal = kernel_alone(x)
    assert not unequal.any()
    assert np.array_equal(pos, descending_positions(x))


def test_values_apart_only_in_low_bits_are_flagged_and_reordered():
    rng = np.random.default_rng(4)
    near = 1.0 + np.arange(40) * 2.2e-16  # equal truncated keys, different values
    tied = np.round(rng.normal(size=40), 1)
    mixed = near.copy()
    mixed[::3] = 1.0  # ties inside runs of unequal values
    x = np.vstack([rng.permutation(near), tied, rng.permutation(mixed), tied])
    pos, unequal = kernel_alone(x)
    assert unequal.tolist() == [True, False, True, False]
    assert not np.array_equal(pos[0], descending_positions(x)[0])  # the kernel alone
    assert np.array_equal(fast_descending_positions(x), descending_positions(x))
