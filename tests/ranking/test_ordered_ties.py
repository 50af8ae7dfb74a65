"""Tie blocks with column-ordered ties (``rrscore.ranking._ordered_ties``) against brute force."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from rrscore.ranking._dense import descending_positions
from rrscore.ranking._ordered_ties import ordered_tie_blocks
from rrscore.ranking._ties import _LINEAR_COUNT_MAX, tie_blocks


def brute_force(x: np.ndarray, genes: np.ndarray):
    start = np.array([[np.sum(row > row[g]) for g in genes] for row in x])
    size = np.array([[np.sum(row == row[g]) for g in genes] for row in x])
    after = np.array([[np.sum(row[g + 1:] == row[g]) for g in genes] for row in x])
    return start, size, after


def sparse_rows(rng, n_rows, n_genes, kind):
    """Cells with the awkward cases: all-zero and zero-free rows, negatives, ties."""
    if kind == "counts":  # few distinct values: the linear-count branch
        x = rng.integers(0, 5, size=(n_rows, n_genes)) * 0.5
    elif kind == "continuous":  # more distinct values than the linear branch takes
        x = np.round(rng.normal(size=(n_rows, n_genes)), 2)
        x[rng.random(x.shape) < 0.4] = 0.0
    else:  # negative and positive values around the zeros
        x = rng.integers(-3, 4, size=(n_rows, n_genes)).astype(float)
    x[0] = 0.0
    x[1] = np.abs(x[1]) + 1.0
    return x


@pytest.mark.parametrize("kind", ["counts", "continuous", "signed"])
@pytest.mark.parametrize("seed", [0, 1])
def test_ordered_tie_blocks_match_brute_force_dense_and_csr(kind, seed):
    rng = np.random.default_rng(seed)
    n_genes = 300 if kind == "continuous" else 60
    x = sparse_rows(rng, 6, n_genes, kind)
    genes = rng.integers(0, n_genes, size=2 * n_genes)  # repeats, any order
    expected = brute_force(x, genes)
    if kind == "continuous":  # the binary-search branch is exercised
        assert len(np.unique(x[2])) > _LINEAR_COUNT_MAX
    csr = sp.csr_matrix(x)
    for values in (x, csr, sp.csr_matrix(x.astype(np.float32))):
        got = ordered_tie_blocks(values, genes)
        for a, b in zip(got, expected, strict=True):
            np.testing.assert_array_equal(a, b)
    # the tie blocks agree with the unordered kernel, and the positions with a stable sort
    start, size = tie_blocks(csr, genes)
    np.testing.assert_array_equal(start, expected[0])
    np.testing.assert_array_equal(size, expected[1])
    pos = descending_positions(x)  # 1-based, ties in column order
    np.testing.assert_array_equal(pos[:, genes] - 1, expected[0] + expected[1] - 1 - expected[2])


def test_stored_zeros_are_tied_with_the_implicit_ones():
    rng = np.random.default_rng(7)
    x = sparse_rows(rng, 5, 80, "counts")
    # store some zeros explicitly: a stored 0 and an absent entry are the same value
    rows, cols = np.nonzero(x)
    zr, zc = np.nonzero((x == 0) & (rng.random(x.shape) < 0.2))
    data = np.concatenate([x[rows, cols], np.zeros(len(zr))])
    explicit = sp.csr_matrix((data, (np.r_[rows, zr], np.r_[cols, zc])), shape=x.shape)
    explicit.sort_indices()
    assert (explicit.data == 0.0).sum() == len(zr) > 0
    genes = np.arange(80)
    for a, b in zip(ordered_tie_blocks(explicit, genes), brute_force(x, genes), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind", ["counts", "continuous", "signed"])
def test_dense_equal_after_matches_brute_force(kind):
    from rrscore.ranking._ordered_ties import dense_equal_after
    from rrscore.ranking._selected import selected_counts

    rng = np.random.default_rng(3)
    x = sparse_rows(rng, 7, 120, kind)
    x[2] = rng.normal(size=120)  # a row without ties: not scanned, all 0
    # any order, repeats allowed
    genes = np.array([5, 0, 119, 5, 40, 77, 3, 118, 60], dtype=np.int64)
    below, not_above, _ = selected_counts(x, genes)
    after = dense_equal_after(x, genes, below, not_above)
    np.testing.assert_array_equal(after, brute_force(x, genes)[2])
    assert after[2].sum() == 0 and after.sum() > 0
