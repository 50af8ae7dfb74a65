"""Sparse input read as stored: float32 values and int32 indices are not copied to float64/int64.

zscore, mean and PLAGE standardise every gene over all samples. On a CSR matrix the per-gene
moments used to be computed on a float64 copy of the values and int64 copies of the indices
(1.6x the input at 50,000 cells x 30,000 genes); the kernels now read the stored arrays. A
float32 value converts to float64 exactly, so the scores must equal, bit for bit, those of
the same values stored as float64 with int64 indices. Real data: TCGA LUAD counts (log2 + 1,
many exact zeros), as float32.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.methods import _standardize
from rrscore.methods._set_rows import SetRows
from tests.conftest import read_reference


@pytest.fixture(scope="module")
def cells(tests_data):
    d = tests_data / "tcga_counts_small"
    expr = read_reference(d / "expr_log2p1.tsv.gz")
    x32 = sp.csr_matrix(expr.to_numpy().T.astype(np.float32))  # samples x genes
    assert x32.indices.dtype == np.int32 and x32.nnz < x32.shape[0] * x32.shape[1]
    x64 = sp.csr_matrix((x32.data.astype(np.float64), x32.indices.astype(np.int64),
                         x32.indptr.astype(np.int64)), shape=x32.shape)
    return expr, x32, x64, rrscore.read_gmt(d / "genesets.gmt")


def test_canonical_csr_keeps_float32_values_without_a_copy(cells):
    _, x32, _, _ = cells
    canonical = _standardize._canonical_csr(x32)
    assert canonical.dtype == np.float32
    assert np.shares_memory(canonical.data, x32.data)
    ints = sp.csr_matrix(np.array([[1, 0, 2], [0, 3, 0]], dtype=np.int16))
    assert _standardize._canonical_csr(ints).dtype == np.float64  # other types: float64


def test_gene_moments_of_float32_csr_equal_those_of_float64(cells):
    expr, x32, x64, _ = cells
    genes, samples = list(expr.index), list(expr.columns)
    a = _standardize.gene_scaling(ExpressionMatrix(x32, genes, samples))
    b = _standardize.gene_scaling(ExpressionMatrix(x64, genes, samples))
    np.testing.assert_array_equal(a.mean, b.mean)
    np.testing.assert_array_equal(a.sd, b.sd)
    # and both are the moments of the values (the implicit zeros included)
    dense = x64.toarray()
    np.testing.assert_allclose(a.mean, dense.mean(axis=0), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(a.sd, dense.std(axis=0, ddof=1), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("method", ["zscore", "mean", "plage"])
def test_scores_of_float32_csr_equal_float64_csr_to_the_bit(cells, method):
    expr, x32, x64, sets = cells
    kw = {"genes": list(expr.index), "samples": list(expr.columns)}
    a = rrscore.score(x32, sets, method, **kw)
    b = rrscore.score(x64, sets, method, **kw)
    assert np.isfinite(a.to_numpy()).any()
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


def test_plage_rows_from_the_whole_matrix_equal_rows_from_a_column_subset(cells):
    # SetRows converts the whole CSR matrix to CSC when the sets use most genes, else only
    # the union's columns: the same z-scores either way
    expr, x32, _, _ = cells
    m = ExpressionMatrix(x32, list(expr.index), list(expr.columns))
    scaling = _standardize.gene_scaling(m)
    g = x32.shape[1]
    rng = np.random.default_rng(0)
    few = np.sort(rng.choice(g, size=g // 4, replace=False)).astype(np.int64)
    most = np.sort(np.union1d(few, np.arange(0, g, 2))).astype(np.int64)
    assert 2 * len(few) < g <= 2 * len(most)
    cols = few[rng.choice(len(few), size=40, replace=False)]
    subset = SetRows(m, scaling, few).block(cols)
    whole = SetRows(m, scaling, most).block(cols)
    np.testing.assert_array_equal(subset, whole)
    expected = (x32[:, cols].toarray().astype(np.float64) - scaling.mean[cols]) / scaling.sd[cols]
    np.testing.assert_allclose(whole, expected.T, rtol=1e-12, atol=1e-12)
