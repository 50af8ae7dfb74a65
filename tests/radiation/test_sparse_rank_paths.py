"""Ranks of selected genes of CSR cells (the composite's singscore on cells): both kernel paths.

``selected_ranks_csr`` counts each distinct value of a cell's selected non-zero values once
against its stored values when they take at most 32 distinct values (counts), else counts
each selected value directly when they are few and sorts the stored values when many are
selected; every path must give R's ``rank()`` of the dense row (scipy's ``rankdata``)
whatever the index and value dtypes, repeated columns, negative values, explicit zeros and
duplicate entries (summed, as scipy defines them).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.stats import rankdata

import rrscore.ranking._selected as selected
from rrscore.ranking import selected_ranks_csr


def _cells(seed: int, dtype, index_dtype) -> sp.csr_matrix:
    rng = np.random.default_rng(seed)
    x = sp.random(30, 120, density=0.3, random_state=seed, format="csr")
    x.data = np.round(rng.normal(size=x.nnz) * 3)  # ties, negatives, explicit zeros
    x = x.astype(dtype)
    x.indices = x.indices.astype(index_dtype)
    x.indptr = x.indptr.astype(index_dtype)
    return x


@pytest.mark.parametrize("scan", [0.0, 1e9], ids=["sort", "scan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
def test_both_paths_give_r_ranks(monkeypatch, scan, dtype, index_dtype):
    monkeypatch.setattr(selected, "SCAN_PER_LOG2", scan)
    x = _cells(3, dtype, index_dtype)
    cols = np.array([5, 0, 119, 5, 60, 61, 7, 7, 100])  # repeats, any order
    dense = x.toarray().astype(np.float64)
    data_before = x.data.copy()
    for ties in ("min", "average", "max"):
        ranks, _ = selected_ranks_csr(x, cols, ties)
        np.testing.assert_array_equal(ranks, rankdata(dense, method=ties, axis=1)[:, cols])
        ranks, median = selected_ranks_csr(x, cols, ties, with_median=True)
        full = rankdata(dense, method=ties, axis=1)
        np.testing.assert_array_equal(ranks, full[:, cols])
        np.testing.assert_array_equal(median, np.median(full, axis=1))
    # the stored arrays are read as they are: not converted, not modified
    assert x.data.dtype == dtype and x.indices.dtype == index_dtype
    np.testing.assert_array_equal(x.data, data_before)


@pytest.mark.parametrize("scan", [0.0, 1e9], ids=["sort", "scan"])
def test_duplicate_and_unsorted_entries_are_summed(monkeypatch, scan):
    monkeypatch.setattr(selected, "SCAN_PER_LOG2", scan)
    # row 0: column 2 stored twice (1 + 2 = 3), indices unsorted; row 1: one negative value
    x = sp.csr_matrix((np.array([1.0, 2.0, 3.0, -1.0]), np.array([2, 2, 0, 1]),
                       np.array([0, 3, 4])), shape=(2, 4))
    indices_before = x.indices.copy()
    cols = [0, 1, 2, 3, 2]
    dense = np.array([[3.0, 0.0, 3.0, 0.0], [0.0, -1.0, 0.0, 0.0]])
    for ties in ("min", "average", "max"):
        ranks, _ = selected_ranks_csr(x, cols, ties)
        np.testing.assert_array_equal(ranks, rankdata(dense, method=ties, axis=1)[:, cols])
    np.testing.assert_array_equal(x.indices, indices_before)  # canonicalised on a copy


def test_empty_rows_and_no_rows():
    x = sp.csr_matrix((3, 5))
    ranks, median = selected_ranks_csr(x, [0, 4], "average", with_median=True)
    np.testing.assert_array_equal(ranks, np.full((3, 2), 3.0))  # five tied zeros
    np.testing.assert_array_equal(median, np.full(3, 3.0))
    ranks, _ = selected_ranks_csr(sp.csr_matrix((0, 5)), [1], "min")
    assert ranks.shape == (0, 1)


def _continuous_cells(seed: int, dtype) -> sp.csr_matrix:
    """Rows with ~100 stored values, all distinct except a few planted ties."""
    rng = np.random.default_rng(seed)
    x = sp.random(20, 200, density=0.5, random_state=seed, format="csr")
    x.data = rng.normal(size=x.nnz)
    x.data[::17] = x.data[1::17][: len(x.data[::17])]  # some equal values within rows
    x.data[::23] = 0.0  # explicit zeros
    return x.astype(dtype)


@pytest.mark.parametrize("scan", [0.0, 1e9], ids=["sort", "scan"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_many_distinct_selected_values_take_the_scan_or_the_sort(monkeypatch, scan, dtype):
    """More than 32 distinct selected values per row: the per-value paths."""
    monkeypatch.setattr(selected, "SCAN_PER_LOG2", scan)
    x = _continuous_cells(8, dtype)
    cols = np.concatenate([np.arange(0, 200, 2), [3, 3, 199]])
    dense = x.toarray().astype(np.float64)
    nonzero_selected = (dense[:, np.unique(cols)] != 0).sum(axis=1)
    assert nonzero_selected.min() > selected._FEW_VALUES  # really more than the few path takes
    for ties in ("min", "average", "max"):
        ranks, _ = selected_ranks_csr(x, cols, ties)
        np.testing.assert_array_equal(ranks, rankdata(dense, method=ties, axis=1)[:, cols])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_many_selected_values_of_few_distinct_values(dtype):
    """Counts: hundreds of selected non-zero values per row taking ~15 distinct values (the
    few-values path, whatever the scan threshold), negatives and explicit zeros included."""
    rng = np.random.default_rng(11)
    x = sp.random(25, 600, density=0.6, random_state=11, format="csr")
    x.data = rng.integers(-3, 12, size=x.nnz).astype(np.float64)  # 0 among them: explicit
    x = x.astype(dtype)
    cols = np.arange(600)[::-1]
    dense = x.toarray().astype(np.float64)
    assert (dense != 0).sum(axis=1).min() > 300
    for ties in ("min", "average", "max"):
        ranks, _ = selected_ranks_csr(x, cols, ties)
        np.testing.assert_array_equal(ranks, rankdata(dense, method=ties, axis=1)[:, cols])
