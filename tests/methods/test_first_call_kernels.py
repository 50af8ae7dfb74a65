"""Kernels that run as serial nogil loops over blocks on threads (issue 14, first call).

GSVA's walk, the per-gene moments and score_genes' sums used to be numba ``parallel=True``
loops; they now run on threads over blocks of rows (``rrscore._numba.kernel_over_rows``).
The results must not depend on the number of threads (the blocks), and must be what the
definitions give.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from rrscore._numba import numba
from rrscore.methods._gsva_walk import _walk_scores, gene_set_index
from rrscore.methods._score_genes import _inverted, _sums
from rrscore.methods._standardize import _dense_moments, _gene_major_moments, _sparse_moments
from rrscore.ranking._common import row_arrays


def _with_threads(n_threads: int, func, *args):
    before = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        return func(*args)
    finally:
        numba.set_num_threads(before)


def _thread_counts() -> list[int]:
    return sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})


def _running_sum_scores(pos_row: np.ndarray, genes: np.ndarray, tau: float) -> float:
    """GSVA's ``E+ + E-`` of one set from the running sum over all n positions (R's C loop)."""
    n = len(pos_row)
    order = np.argsort(pos_row)  # genes in position order
    member = np.zeros(n, dtype=bool)
    member[genes] = True
    weights = np.abs(n / 2.0 - np.arange(n)) ** tau  # position t + 1 -> |n/2 - t|
    total = weights[member[order]].sum()
    steps = np.where(member[order], weights / total, -1.0 / (n - len(genes)))
    cum = np.cumsum(steps)
    return max(0.0, cum.max()) + min(0.0, cum.min())


@pytest.mark.parametrize("tau", [1.0, 0.25])
def test_walk_scores_match_the_running_sum_whatever_the_threads(tau):
    rng = np.random.default_rng(3)
    n_rows, n, n_sets = 37, 400, 9
    pos = np.array([rng.permutation(n) + 1 for _ in range(n_rows)], dtype=np.int64)
    members = [rng.choice(n, size=int(rng.integers(3, 60)), replace=False)
               for _ in range(n_sets)]
    members.append(np.zeros(0, dtype=np.int64))  # a set without genes scores NaN
    ptr = np.zeros(len(members) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(m) for m in members])
    idx = np.concatenate(members).astype(np.int64)
    gptr, gset = gene_set_index(ptr, idx, n)

    outs = []
    for n_threads in _thread_counts():
        out = np.empty((n_rows, len(members)))
        _with_threads(n_threads, _walk_scores, pos, ptr, idx, gptr, gset, tau, True, False,
                      out)
        outs.append(out)
    for other in outs[1:]:
        np.testing.assert_array_equal(other, outs[0])  # bit for bit: rows are independent
    out = outs[0]
    assert np.all(np.isnan(out[:, -1]))
    expected = np.array([[_running_sum_scores(pos[r], members[s], tau) for s in range(n_sets)]
                         for r in range(n_rows)])
    np.testing.assert_allclose(out[:, :n_sets], expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(23, 700), (5, 3), (60, 256)])
def test_moments_are_the_same_in_both_layouts_and_any_thread_count(shape):
    rng = np.random.default_rng(4)
    x = rng.normal(5.0, 2.0, size=shape) * rng.lognormal(size=shape[1])
    results = []
    for n_threads in _thread_counts():
        results.append(_with_threads(n_threads, _dense_moments, np.ascontiguousarray(x)))
        results.append(_with_threads(n_threads, _gene_major_moments,
                                     np.ascontiguousarray(x.T)))
    for mean, ss in results[1:]:
        np.testing.assert_array_equal(mean, results[0][0])
        np.testing.assert_array_equal(ss, results[0][1])
    mean, ss = results[0]
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(ss, ((x - x.mean(axis=0)) ** 2).sum(axis=0), rtol=1e-12)


def test_score_genes_sums_are_the_membership_product_dense_or_sparse():
    rng = np.random.default_rng(5)
    n_rows, n_genes = 41, 300
    dense = rng.random((n_rows, n_genes))
    dense[dense < 0.7] = 0.0
    groups = [rng.choice(n_genes, size=int(rng.integers(1, 40)), replace=False)
              for _ in range(7)]
    groups.append(np.zeros(0, dtype=np.int64))  # an empty group sums to 0
    tgt_ptr, tgt_idx = _inverted(groups, n_genes)
    membership = np.zeros((n_genes, len(groups)))
    for j, g in enumerate(groups):
        membership[g, j] = 1.0

    outs = []
    for block in (dense, sp.csr_matrix(dense)):
        data, indices, indptr, shared, _ = row_arrays(block)
        for n_threads in _thread_counts():
            outs.append(_with_threads(n_threads, _sums, data, indices, indptr, shared,
                                      tgt_ptr, tgt_idx, len(groups)))
    # genes are added in column order in every layout; explicit zeros add nothing
    for other in outs[1:]:
        np.testing.assert_array_equal(other, outs[0])
    np.testing.assert_allclose(outs[0], dense @ membership, rtol=1e-13, atol=0)
    assert np.all(outs[0][:, -1] == 0.0)


@pytest.mark.parametrize("n_parts", [1, 3, 8])
def test_sparse_moments_add_the_parts_in_order_whatever_the_threads(n_parts):
    """CSR moments: row parts summed on threads, then added in part order (the zeros that
    are not stored count as values): the same bits as that order written out in NumPy."""
    rng = np.random.default_rng(6)
    n, g = 29, 150
    dense = rng.normal(3.0, 2.0, size=(n, g))
    dense[rng.random(dense.shape) < 0.6] = 0.0
    dense[:, 7] = 0.0  # a column with no stored value
    m = sp.csr_matrix(dense)
    indptr, indices = m.indptr.astype(np.int64), m.indices.astype(np.int64)
    outs = [_with_threads(t, _sparse_moments, indptr, indices, m.data, n, g, n_parts)
            for t in _thread_counts()]
    # the documented order: per part, entries in storage order (np.add.at is unbuffered)
    bounds = [indptr[p * n // n_parts] for p in range(n_parts + 1)]
    sums = np.zeros((n_parts, g))
    squares = np.zeros((n_parts, g))
    nnz = np.zeros(g, dtype=np.int64)
    for p in range(n_parts):
        a, b = bounds[p], bounds[p + 1]
        np.add.at(sums[p], indices[a:b], m.data[a:b])
        np.add.at(nnz, indices[a:b], 1)
    mean = np.zeros(g)
    for p in range(n_parts):
        mean += sums[p]
    mean /= n
    for p in range(n_parts):
        a, b = bounds[p], bounds[p + 1]
        np.add.at(squares[p], indices[a:b], (m.data[a:b] - mean[indices[a:b]]) ** 2)
    ss = (n - nnz) * mean * mean
    for p in range(n_parts):
        ss += squares[p]
    for got_mean, got_ss in outs:
        np.testing.assert_array_equal(got_mean, mean)
        np.testing.assert_array_equal(got_ss, ss)
    np.testing.assert_allclose(outs[0][0], dense.mean(axis=0), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(outs[0][1], ((dense - dense.mean(axis=0)) ** 2).sum(axis=0),
                               rtol=1e-12)
