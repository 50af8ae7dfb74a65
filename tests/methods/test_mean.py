"""mean: the mean z-score baseline against a plain pandas computation on real data."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from tests.conftest import read_reference


@pytest.fixture(scope="module")
def leukemia(tests_data) -> pd.DataFrame:
    return read_reference(tests_data / "leukemia_small/expr.tsv.gz")


def zscores(expr: pd.DataFrame) -> pd.DataFrame:
    """Genes × samples z-scores: centre by the mean, divide by the sd (n - 1)."""
    return expr.sub(expr.mean(axis=1), axis=0).div(expr.std(axis=1, ddof=1), axis=0)


def test_matches_pandas_on_real_data(tests_data, leukemia):
    sets = rrscore.read_gmt(tests_data / "leukemia_small/genesets.gmt")
    result = rrscore.score(leukemia, sets, "mean")
    z = zscores(leukemia)
    expected = pd.DataFrame({s.name: z.loc[list(s.up)].mean() for s in sets})
    assert result.shape == (37, 22)
    np.testing.assert_allclose(result[expected.columns], expected, atol=1e-12)


def test_signed_sets_are_mean_up_minus_mean_down(leukemia):
    genes = list(leukemia.index)
    up, down = genes[10:40], genes[2000:2011]
    sets = rrscore.GeneSetCollection((
        rrscore.GeneSet("signed", up=up, down=down),
        rrscore.GeneSet("down_only", up=(), down=down),
    ))
    result = rrscore.score(leukemia, sets, "mean")
    z = zscores(leukemia)
    np.testing.assert_allclose(result["signed"], z.loc[up].mean() - z.loc[down].mean(),
                               atol=1e-12)
    np.testing.assert_allclose(result["down_only"], -z.loc[down].mean(), atol=1e-12)


def test_constant_genes_are_left_out(tests_data):
    d = tests_data / "edge_cases"
    expr = read_reference(d / "expr.tsv")
    genes = list(expr.index)
    constant = genes[120]  # row 121 of the file is constant
    assert expr.loc[constant].nunique() == 1
    members = [constant] + genes[229:233]
    with pytest.warns(UserWarning, match="constant across samples"):
        result = rrscore.score(expr, {"s": members}, "mean")
    expected = zscores(expr.loc[genes[229:233]]).mean()
    np.testing.assert_allclose(result["s"], expected, atol=1e-12)


def test_sparse_input_gives_the_dense_scores(tests_data):
    d = tests_data / "tcga_counts_small"
    expr = read_reference(d / "expr_log2p1.tsv.gz")
    sets = rrscore.read_gmt(d / "genesets.gmt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = rrscore.score(expr, sets, "mean")
        sparse = rrscore.score(sp.csr_matrix(expr.to_numpy().T), sets, "mean",
                               genes=list(expr.index), samples=list(expr.columns))
    np.testing.assert_allclose(sparse.to_numpy(), dense.to_numpy(), atol=1e-10)
