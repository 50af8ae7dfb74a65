"""rrscore.tl.score: scanpy conventions, what it stores, and the h5ad round trip."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError

sc = pytest.importorskip("scanpy")

#: Marker sets of the PBMC cell types in scanpy's pbmc68k_reduced (all genes in its .raw).
MARKERS = {
    "T_cell": ["CD3D", "CD3E", "IL7R", "CD2", "LCK"],
    "B_cell": ["CD79A", "CD79B", "MS4A1", "CD74", "HLA-DRA"],
    "monocyte": ["LYZ", "S100A8", "S100A9", "FCN1", "CST3"],
    "NK": ["GNLY", "NKG7", "GZMB", "PRF1", "GZMA"],
    "signed_T_vs_B": ["CD3D", "CD3E", "CD79A-", "MS4A1-"],
}


@pytest.fixture(scope="module")
def pbmc():
    """scanpy's pbmc68k_reduced: 700 cells, log1p data in .raw (765 genes), scaled .X."""
    return sc.datasets.pbmc68k_reduced()


def test_score_writes_obsm_obs_and_uns(pbmc):
    adata = pbmc.copy()
    assert rrscore.tl.score(adata, MARKERS, obs_columns=True) is None
    scores = adata.obsm["rrscore"]
    assert isinstance(scores, pd.DataFrame)
    assert list(scores.index) == list(adata.obs_names)
    assert list(scores.columns) == list(MARKERS)
    # the same numbers as the table API on the same matrix (adata.raw, scanpy's default)
    expected = rrscore.score(pbmc, MARKERS, method="ucell")
    np.testing.assert_array_equal(scores.to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(adata.obs["rrscore_B_cell"].to_numpy(),
                                  scores["B_cell"].to_numpy())
    # biology: each marker set is highest in its own sorted population
    means = scores.groupby(adata.obs["bulk_labels"], observed=True).mean()
    assert means["B_cell"].idxmax() == "CD19+ B"
    assert means["monocyte"].idxmax() == "CD14+ Monocyte"
    assert means["NK"].idxmax() == "CD56+ NK"
    rec = adata.uns["rrscore"]
    assert rec["method"] == "ucell"
    assert rec["params"] == {"max_rank": 1500, "w_neg": 1.0, "missing_genes": "impute"}
    assert rec["sets"] == list(MARKERS)
    assert rec["matrix"] == "adata.raw.X"
    assert rec["engine"] == "in-memory"
    assert rec["coverage"]["set"] == list(MARKERS)
    assert rec["coverage"]["n_found"] == [5, 5, 5, 5, 4]
    assert rec["coverage"]["n_down"] == [0, 0, 0, 0, 2]
    assert rec["obs_columns"] == [f"rrscore_{n}" for n in MARKERS]


def test_obs_prefix_key_added_and_method_params(pbmc):
    adata = pbmc.copy()
    rrscore.tl.score(adata, MARKERS, "ssgsea", key_added="ss", obs_columns="rr:",
                     normalize=False, alpha=0.5)
    assert "ss" in adata.obsm and "ss" in adata.uns and "rrscore" not in adata.obsm
    assert [c for c in adata.obs.columns if c.startswith("rr:")] == [f"rr:{n}" for n in MARKERS]
    expected = rrscore.score(pbmc, MARKERS, method="ssgsea", normalize=False, alpha=0.5)
    np.testing.assert_array_equal(adata.obsm["ss"].to_numpy(), expected.to_numpy())
    assert adata.uns["ss"]["params"] == {"alpha": 0.5, "normalize": False}


def test_inplace_false_and_copy_follow_scanpy(pbmc):
    adata = pbmc.copy()
    before = (set(adata.obsm), set(adata.uns), list(adata.obs.columns))
    df = rrscore.tl.score(adata, MARKERS, inplace=False, obs_columns=True)
    assert (set(adata.obsm), set(adata.uns), list(adata.obs.columns)) == before
    assert df.shape == (adata.n_obs, len(MARKERS))
    assert df.attrs["rrscore"]["method"] == "ucell"
    repr(df)  # the record holds plain lists, so printing a wide frame works

    out = rrscore.tl.score(adata, MARKERS, copy=True)
    assert isinstance(out, ad.AnnData) and out is not adata
    assert "rrscore" in out.obsm and "rrscore" not in adata.obsm
    pd.testing.assert_frame_equal(out.obsm["rrscore"], df, check_names=False)
    with pytest.raises(RRScoreError, match="copy=True"):
        rrscore.tl.score(adata, MARKERS, copy=True, inplace=False)


def test_layer_use_raw_and_n_jobs(pbmc):
    adata = pbmc.copy()
    adata.layers["log"] = pbmc.raw.to_adata()[:, adata.var_names].X
    by_layer = rrscore.tl.score(adata, MARKERS, layer="log", inplace=False)
    assert by_layer.attrs["rrscore"]["matrix"] == "adata.layers['log']"
    scaled = rrscore.tl.score(adata, MARKERS, use_raw=False, inplace=False, n_jobs=1)
    assert scaled.attrs["rrscore"]["matrix"] == "adata.X"
    # .X is scaled (negative values): a different matrix gives different scores
    assert not np.allclose(scaled.to_numpy(), by_layer.to_numpy())
    expected = rrscore.score(adata, MARKERS, method="ucell", use_raw=False)
    np.testing.assert_array_equal(scaled.to_numpy(), expected.to_numpy())
    with pytest.raises(RRScoreError, match="n_jobs"):
        rrscore.tl.score(adata, MARKERS, n_jobs=0)


def test_uns_and_obsm_survive_write_h5ad(pbmc, tmp_path):
    adata = pbmc.copy()
    rrscore.tl.score(adata, "hallmark", "score_genes", obs_columns=True, low_coverage=0.0,
                     ctrl_size=20)
    path = tmp_path / "scored.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    pd.testing.assert_frame_equal(back.obsm["rrscore"], adata.obsm["rrscore"],
                                  check_names=False)
    rec, rec_back = adata.uns["rrscore"], back.uns["rrscore"]
    assert rec_back["method"] == "score_genes"
    assert rec_back["collection"] == "hallmark"
    assert rec_back["collection_version"] == rec["collection_version"] != ""
    assert dict(rec_back["params"]) == rec["params"]
    assert rec["params"]["gene_pool"] == "None"  # None is stored as text
    assert list(rec_back["sets"]) == rec["sets"] == list(adata.obsm["rrscore"].columns)
    for col, values in rec["coverage"].items():
        assert list(rec_back["coverage"][col]) == values, col
    assert rec_back["input"]["n_samples_input"] == adata.n_obs


def test_default_collection_is_mechanisms(pbmc):
    from rrscore.genesets._bundled import is_bundled

    if not is_bundled("mechanisms"):
        pytest.skip("the mechanisms collection is not registered yet")
    df = rrscore.tl.score(pbmc, inplace=False, low_coverage=0.0)
    assert df.attrs["rrscore"]["collection"] == "mechanisms"


def test_errors_are_clear(pbmc):
    with pytest.raises(RRScoreError, match="takes an AnnData"):
        rrscore.tl.score(pbmc.to_df(), MARKERS)
    with pytest.raises(RRScoreError, match="no parameter"):
        rrscore.tl.score(pbmc, MARKERS, "ucell", alpha=1)
    with pytest.raises(RRScoreError, match="obs_columns"):
        rrscore.tl.score(pbmc.copy(), MARKERS, obs_columns=3)


def test_radioresistance_is_the_composite_wrapper():
    # AnnData placement lives in tl (issue 9): radiation knows nothing of AnnData
    assert rrscore.tl.radioresistance.__module__ == "rrscore.tl"
    assert not hasattr(rrscore.radiation, "radioresistance_anndata")


def test_tl_statistics_take_the_anndata_first(pbmc):
    adata = pbmc.copy()
    rrscore.tl.score(adata, MARKERS, "ucell")
    # cells are not replicates: refused without a sample key
    with pytest.raises(RRScoreError, match="replicates"):
        rrscore.tl.compare(adata, "louvain")
    i = np.arange(adata.n_obs)
    adata.obs["arm"] = np.where(i % 4 < 2, "a", "b")
    adata.obs["donor"] = adata.obs["arm"] + np.where(i % 8 < 4, "1", "2")  # nested in arm
    got = rrscore.tl.compare(adata, "arm", sample_key="donor")
    expected = rrscore.stats.compare(adata, "arm", sample_key="donor")
    pd.testing.assert_frame_equal(got, expected)
    # the test ran on 2 + 2 donors, not on 700 cells, with the donors' mean scores
    assert (got["n_group"] == 2).all() and (got["n_reference"] == 2).all()
    means = adata.obsm["rrscore"].groupby(adata.obs["donor"], observed=True).mean()
    b_cell = got.set_index("score").loc["B_cell"]
    assert b_cell["mean_group"] == pytest.approx(means.loc[["b1", "b2"], "B_cell"].mean())
    calls = rrscore.tl.binarize(adata, 0.1)
    np.testing.assert_array_equal(calls.to_numpy(), adata.obsm["rrscore"].to_numpy() > 0.1)
    with pytest.raises(RRScoreError, match="takes an AnnData"):
        rrscore.tl.compare(adata.obsm["rrscore"], "arm")


def test_scanpy_results_are_never_overwritten(pbmc):
    # pbmc68k_reduced carries scanpy's X_pca, X_umap, uns['pca'] and obs['louvain']
    adata = pbmc.copy()
    pca, louvain = adata.obsm["X_pca"].copy(), adata.obs["louvain"].copy()
    with pytest.raises(RRScoreError, match=r"adata\.obsm\['X_pca'\].*overwrite=True"):
        rrscore.tl.score(adata, MARKERS, key_added="X_pca")
    with pytest.raises(RRScoreError, match=r"adata\.uns\['pca'\]"):
        rrscore.tl.score(adata, MARKERS, key_added="pca")
    with pytest.raises(RRScoreError, match=r"adata\.obs\['louvain'\]"):
        rrscore.tl.score(adata, {"louvain": MARKERS["NK"]}, obs_columns="")
    np.testing.assert_array_equal(adata.obsm["X_pca"], pca)
    pd.testing.assert_series_equal(adata.obs["louvain"], louvain)
    assert "pca" in adata.uns and "X_pca" not in adata.uns and "rrscore" not in adata.obsm


def test_radioresistance_on_a_backed_anndata_says_what_to_do(tmp_path):
    """tl.radioresistance writes into the AnnData: a backed one is refused (also with
    inplace=False), and the message names the two ways to go on."""
    rng = np.random.default_rng(0)
    genes = [f"G{j}" for j in range(30)]
    path = tmp_path / "cells.h5ad"
    ad.AnnData(rng.poisson(1.0, (6, 30)).astype(np.float32),
               var=pd.DataFrame(index=genes),
               obs=pd.DataFrame(index=[f"c{i}" for i in range(6)])).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    with pytest.raises(RRScoreError, match=r"rrscore\.radioresistance\(adata\).*to_memory"):
        rrscore.tl.radioresistance(backed, inplace=False)
    assert "rrscore_radioresistance" not in backed.uns
