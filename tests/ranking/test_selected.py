"""Selected-gene ranking (``rrscore.ranking._selected``) against brute-force definitions."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from rrscore.ranking._dense import descending_positions
from rrscore.ranking._selected import column_rank_counts, selected_counts


def test_column_rank_counts_match_the_definitions_with_heavy_ties():
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=(40, 300)).astype(float)  # count-like: many ties, many zeros
    x[::7] = rng.normal(size=(6, 300))  # and some tie-free rows
    cols = np.array(sorted(rng.choice(300, size=60, replace=False)))
    lt, eq, eq_after = column_rank_counts(x, cols)
    pos = descending_positions(x)
    for r in range(x.shape[0]):
        row = x[r]
        for j, c in enumerate(cols):
            assert lt[r, j] == np.sum(row < row[c])
            assert eq[r, j] == np.sum(row == row[c])
            assert eq_after[r, j] == np.sum(row[c + 1:] == row[c])
            # the stable descending position follows from the counts
            assert pos[r, c] == x.shape[1] - (lt[r, j] + eq_after[r, j])
        avg = rankdata(row, method="average")[cols]
        np.testing.assert_array_equal(lt[r] + (eq[r] + 1) / 2, avg)


def test_selected_counts_median_of_full_rank_vector():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 4, size=(5, 51)).astype(float)
    below, not_above, median = selected_counts(x, np.arange(51), median_ties="average")
    for r in range(5):
        assert median[r] == np.median(rankdata(x[r], method="average"))
        np.testing.assert_array_equal(not_above[r] - below[r],
                                      [np.sum(x[r] == v) for v in x[r]])
