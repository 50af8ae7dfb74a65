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


def _random_sets(rng, n_genes, n_sets):
    from rrscore.genesets._matching import AlignedSet, AlignedSets

    sets = []
    for i in range(n_sets):
        genes = rng.choice(n_genes, size=int(rng.integers(1, 12)), replace=False)
        cut = int(rng.integers(0, len(genes) + 1)) if i % 3 else len(genes)
        sets.append(AlignedSet(f"s{i}", genes[:cut].astype(np.int64),
                               genes[cut:].astype(np.int64)))
    return AlignedSets(tuple(sets), n_genes, pd.DataFrame())


@pytest.mark.parametrize("how", ["zscore", "mean"])
def test_membership_product_equals_a_plain_loop_in_every_layout(how):
    """The blocked kernel (8 samples at a time, a chunk size that is no multiple of 8, dense
    C/Fortran/strided and CSR with float32 data) gives, to the last bit, a per-sample loop
    adding (x - mean) / sd over each part in the set's order."""
    from rrscore.methods._set_sums import standardised_set_scores

    rng = np.random.default_rng(7)
    x = rng.normal(5, 2, size=(29, 40)).astype(np.float32).astype(np.float64)
    x[rng.random(x.shape) < 0.5] = 0.0
    mean, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
    sets = _random_sets(rng, 40, 25)
    expected = np.empty((29, len(sets)))
    for r in range(29):
        for j, s in enumerate(sets):
            up = down = 0.0
            for g in s.up:
                up += (x[r, g] - mean[g]) / sd[g]
            for g in s.down:
                down += (x[r, g] - mean[g]) / sd[g]
            if how == "zscore":
                expected[r, j] = (up - down) / np.sqrt(s.size)
            else:
                expected[r, j] = ((up / len(s.up) if len(s.up) else 0.0)
                                  - (down / len(s.down) if len(s.down) else 0.0))
    layouts = [x, np.asfortranarray(x), np.repeat(x, 2, axis=1)[:, ::2],
               sp.csr_matrix(x.astype(np.float32)), sp.csr_matrix(x)]
    for values in layouts:
        for chunk in (None, 11):
            got = standardised_set_scores(values, mean, sd, sets, how, chunk_size=chunk)
            np.testing.assert_array_equal(got, expected)


def test_gene_scaling_is_read_once_per_matrix_and_equal_in_both_layouts():
    from rrscore.expression._matrix import ExpressionMatrix
    from rrscore.methods._standardize import gene_scaling

    rng = np.random.default_rng(3)
    x = rng.normal(size=(13, 50))
    genes, samples = pd.Index([f"g{i}" for i in range(50)]), pd.Index(range(13))
    c = ExpressionMatrix(np.ascontiguousarray(x), genes, samples)
    f = ExpressionMatrix(np.asfortranarray(x), genes, samples)
    first = gene_scaling(c)
    assert gene_scaling(c) is first  # remembered for this matrix
    np.testing.assert_array_equal(gene_scaling(f).mean, first.mean)
    np.testing.assert_array_equal(gene_scaling(f).sd, first.sd)
    np.testing.assert_allclose(first.sd, x.std(axis=0, ddof=1), rtol=1e-13)
    c.values = np.ascontiguousarray(x * 2)  # new values: not the remembered scaling
    np.testing.assert_allclose(gene_scaling(c).sd, 2 * first.sd, rtol=1e-13)
