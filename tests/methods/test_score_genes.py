"""Control-gene score: the same controls and scores as ``scanpy.tl.score_genes``."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError
from rrscore.methods._score_genes import draw_controls, expression_bins, gene_means
from tests.methods.sc_fixtures import MIXOLOGY_SETS, PBMC_SETS, mixology, pbmc68k

sc = pytest.importorskip("scanpy")

UNSIGNED = {k: v for k, v in PBMC_SETS.items() if k != "NK_not_T"}


def scanpy_scores(adata, sets, **kwargs) -> np.ndarray:
    """One ``sc.tl.score_genes`` call per set (up genes only), on a copy."""
    b = adata.copy()
    for name, genes in sets.items():
        sc.tl.score_genes(b, [g for g in genes if g in b.var_names], score_name=name,
                          **kwargs)
    return b.obs[list(sets)].to_numpy()


@pytest.fixture(scope="module")
def pbmc64():
    """pbmc68k_reduced.raw in float64 (scanpy then also sums in float64)."""
    raw = pbmc68k()
    raw.X = raw.X.astype(np.float64)
    return raw


@pytest.fixture(scope="module")
def random_sets(pbmc64):
    rng = np.random.default_rng(0)
    genes = list(pbmc64.var_names)
    return {f"random_{k}": list(rng.choice(genes, size=k, replace=False)) for k in (1, 12, 90)}


@pytest.mark.parametrize("seed", [0, 1, 2024])
@pytest.mark.parametrize(
    "kwargs",
    [{}, {"ctrl_size": 20, "n_bins": 10}, {"ctrl_as_ref": False}, {"ctrl_size": 300}],
)
def test_identical_to_scanpy(pbmc64, random_sets, seed, kwargs):
    sets = {**UNSIGNED, **random_sets}
    ours = rrscore.score(pbmc64, sets, "score_genes", random_state=seed, low_coverage=0,
                         **kwargs)
    theirs = scanpy_scores(pbmc64, sets, random_state=seed, **kwargs)
    assert np.abs(ours.to_numpy() - theirs).max() <= 1e-10


def test_gene_pool_as_scanpy(pbmc64):
    genes = list(pbmc64.var_names)
    pool = genes[::-3] + [g for s in UNSIGNED.values() for g in s if g in genes]
    ours = rrscore.score(pbmc64, UNSIGNED, "score_genes", gene_pool=pool, low_coverage=0)
    theirs = scanpy_scores(pbmc64, UNSIGNED, gene_pool=pool)
    assert np.abs(ours.to_numpy() - theirs).max() <= 1e-10
    default = rrscore.score(pbmc64, UNSIGNED, "score_genes", low_coverage=0)
    assert np.abs(ours.to_numpy() - default.to_numpy()).max() > 1e-3  # the pool matters


def test_dense_input_identical_to_scanpy_dense(pbmc64):
    dense = ad.AnnData(pbmc64.X.toarray(), obs=pbmc64.obs[[]], var=pbmc64.var[[]])
    ours = rrscore.score(dense, UNSIGNED, "score_genes", random_state=3, low_coverage=0)
    theirs = scanpy_scores(dense, UNSIGNED, random_state=3)
    assert np.abs(ours.to_numpy() - theirs).max() <= 1e-10


def test_float32_data_differs_only_by_scanpys_float32_sums():
    # scanpy's sparse path sums a cell's float32 values in float32 (scipy's sum keeps the
    # data type before casting to float64); rrscore sums in float64 with the same controls
    raw = pbmc68k()
    theirs = scanpy_scores(raw, UNSIGNED)
    ours = rrscore.score(raw, UNSIGNED, "score_genes", low_coverage=0)
    diff = np.abs(ours.to_numpy() - theirs).max()
    assert diff <= 2e-6


def test_controls_are_the_ones_scanpy_draws(pbmc64):
    from scanpy.tools._score_genes import _score_genes_bins

    expr = rrscore._prepare.prepare(pbmc64, UNSIGNED, low_coverage=0).expr
    bins = expression_bins(gene_means(expr), np.arange(expr.shape[1]), 25)
    var = pbmc64.var_names
    for seed in (0, 9):
        for genes in UNSIGNED.values():
            gene_list = pd.Index([g for g in genes if g in var])
            np.random.seed(seed)  # noqa: NPY002 - scanpy draws from the legacy global generator
            expected = pd.Index([], dtype="string")
            for r_genes in _score_genes_bins(
                gene_list, var.astype("string"), ctrl_as_ref=True, ctrl_size=50, n_bins=25,
                get_subset=lambda g: pbmc64[:, g].X,
            ):
                expected = expected.union(r_genes)
            controls, _ = draw_controls(np.asarray(var.get_indexer(gene_list)), bins, 50,
                                        True, seed)
            assert sorted(var[controls]) == sorted(expected)
            assert len(controls) > 20


def test_each_set_gets_the_controls_of_its_own_call(pbmc64):
    together = rrscore.score(pbmc64, UNSIGNED, "score_genes", low_coverage=0)
    alone = rrscore.score(pbmc64, {"NK": UNSIGNED["NK"]}, "score_genes")
    np.testing.assert_array_equal(together["NK"].to_numpy(), alone["NK"].to_numpy())


def test_signed_set_is_up_minus_down(pbmc64):
    ours = rrscore.score(pbmc64, {"s": PBMC_SETS["NK_not_T"]}, "score_genes", random_state=4)
    parts = scanpy_scores(pbmc64, {"up": ["NKG7", "GNLY", "GZMB", "PRF1"],
                                   "down": ["CD3D", "CD3E", "IL7R"]}, random_state=4)
    assert np.abs(ours["s"].to_numpy() - (parts[:, 0] - parts[:, 1])).max() <= 1e-10


def test_unseeded_draw_runs(pbmc64):
    result = rrscore.score(pbmc64, UNSIGNED, "score_genes", random_state=None, low_coverage=0)
    assert np.isfinite(result.to_numpy()).all()


def test_errors(pbmc64):
    with pytest.raises(RRScoreError, match="not in gene_pool"):
        rrscore.score(pbmc64, UNSIGNED, "score_genes", gene_pool=["CD3D", "CD3E"],
                      low_coverage=0)
    with pytest.raises(RRScoreError, match="no control genes"):
        rrscore.score(pbmc64, {"t": ["CD3D", "CD3E"]}, "score_genes",
                      gene_pool=["CD3D", "CD3E"])
    for bad in ({"ctrl_size": 0}, {"n_bins": 1}, {"random_state": -1},
                {"gene_pool": "CD3D"}, {"ctrl_as_ref": 1}):
        with pytest.raises(RRScoreError):
            rrscore.score(pbmc64, UNSIGNED, "score_genes", low_coverage=0, **bad)


@pytest.mark.parametrize("seed", [0, 7])
def test_mixology_identical_to_scanpy(seed):
    adata = mixology()
    sets = {k: v for k, v in MIXOLOGY_SETS.items() if not k.startswith("signed")}
    ours = rrscore.score(adata, sets, "score_genes", random_state=seed, low_coverage=0)
    theirs = scanpy_scores(adata, sets, random_state=seed)
    assert np.abs(ours.to_numpy() - theirs).max() <= 1e-10
    by_line = ours.groupby(adata.obs["cell_line_demuxlet"].to_numpy()).mean()
    assert by_line["NRF2"].idxmax() == "A549"
    assert by_line["EGFR_epithelial"].idxmax() == "HCC827"
