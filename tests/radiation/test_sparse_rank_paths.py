"""Ranks of selected genes of CSR cells (the composite's singscore on cells): both kernel paths.

``selected_ranks_csr`` counts a cell's few selected non-zero values against its stored values
directly, and sorts the stored values when many are selected; both must give R's ``rank()`` of
the dense row (scipy's ``rankdata``) whatever the index and value dtypes, repeated columns,
negative values, explicit zeros and duplicate entries (summed, as scipy defines them).
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
