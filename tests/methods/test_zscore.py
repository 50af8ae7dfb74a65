"""Combined z-score: parity with R GSVA 1.46 on real data, edge cases, signed and sparse sets."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import InputDataError
from tests.conftest import max_abs_diff, read_reference


@pytest.fixture(scope="module")
def leukemia(tests_data) -> pd.DataFrame:
    return read_reference(tests_data / "leukemia_small/expr.tsv.gz")


def test_parity_with_gsva_146_on_leukemia_200_sets(tests_data):
    d = tests_data / "leukemia_200sets"
    expr = read_reference(tests_data / "leukemia_small" / "expr.tsv.gz")
    ref = read_reference(d / "reference_GSVA1.46.0_zscore.tsv")
    result = rrscore.score(expr, d / "reference_genesets_symbols_200.gmt", "zscore")
    assert result.shape == (37, 200)
    assert max_abs_diff(result, ref) <= 1e-8


def test_parity_with_gsva_146_on_committed_leukemia(tests_data, leukemia):
    d = tests_data / "leukemia_small"
    ref = read_reference(d / "reference_GSVA1.46.0_zscore.tsv")
    result = rrscore.score(leukemia, d / "genesets.gmt", "zscore")
    assert result.shape == (37, 22)
    assert max_abs_diff(result, ref) <= 1e-8


def test_edge_cases_ties_constant_genes_small_sets(tests_data):
    d = tests_data / "edge_cases"
    expr = read_reference(d / "expr.tsv")
    ref = read_reference(d / "reference_GSVA1.46.0_zscore.tsv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = rrscore.score(expr, d / "genesets.gmt", "zscore", low_coverage=0)
    messages = " ".join(str(w.message) for w in caught)
    # the three constant rows are named, and the set that has only them is not scored (R)
    assert "3 gene(s)" in messages and "ONLY_CONSTANT" in messages
    assert list(result.columns) == list(ref.index)
    # rrscore de-duplicates set genes: WITH_DUPLICATE is R's de-duplicated control
    expected = ref.copy()
    expected.loc["WITH_DUPLICATE"] = ref.loc["WITH_DUPLICATE_DEDUP"]
    assert max_abs_diff(result, expected) <= 1e-8
    # SIZE1 reduces to the gene's own z-score
    gene = "PODXL"
    z = (expr.loc[gene] - expr.loc[gene].mean()) / expr.loc[gene].std(ddof=1)
    np.testing.assert_allclose(result["SIZE1"], z, atol=1e-12)


def test_signed_sets_negate_the_down_genes(leukemia):
    genes = list(leukemia.index)
    up, down = genes[100:130], genes[400:420]
    signed = rrscore.GeneSet("signed", up=up, down=down)
    result = rrscore.score(leukemia, rrscore.GeneSetCollection((signed,)), "zscore")
    z = leukemia.sub(leukemia.mean(axis=1), axis=0).div(leukemia.std(axis=1, ddof=1), axis=0)
    expected = (z.loc[up].sum() - z.loc[down].sum()) / np.sqrt(len(up) + len(down))
    np.testing.assert_allclose(result["signed"], expected, atol=1e-12)


def test_sparse_input_gives_the_dense_scores(tests_data):
    d = tests_data / "tcga_counts_small"
    expr = read_reference(d / "expr_log2p1.tsv.gz")  # real counts: many exact zeros
    assert (expr.to_numpy() == 0).mean() > 0.01
    sets = rrscore.read_gmt(d / "genesets.gmt")
    dense = rrscore.score(expr, sets, "zscore")
    x = sp.csr_matrix(expr.to_numpy().T)
    sparse = rrscore.score(x, sets, "zscore", genes=list(expr.index),
                           samples=list(expr.columns))
    assert np.isfinite(dense.to_numpy()).all()
    np.testing.assert_allclose(sparse.to_numpy(), dense.to_numpy(), atol=1e-10)


def test_one_sample_is_an_error(leukemia):
    with pytest.raises(InputDataError, match="at least 2 samples"):
        rrscore.score(leukemia.iloc[:, [0]], {"a": list(leukemia.index[:10])}, "zscore")
