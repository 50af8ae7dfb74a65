"""From single-cell scores to calls: the density and mixture pieces against scipy and
scikit-learn, the calls on five lung adenocarcinoma cell lines (A549 is KEAP1-mutant), and kNN
smoothing against the formula on scanpy's neighbour graph."""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy import stats

import rrscore
from rrscore.stats import binarize, score_thresholds, smooth_scores
from rrscore.stats._calls import bw_nrd0, density, gaussian_mixture

NRF2 = "RR_DRIVER_NRF2_TARGETS_UP"


@pytest.fixture(scope="module")
def celllines(shared_data) -> ad.AnnData:
    """571 singlet cells of 5 LUAD lines (CEL-seq2 UMI counts), AUCell mechanism scores."""
    folder = shared_data / "sc_mixology_luad_celllines_celseq2"
    counts = pd.read_csv(folder / "expr.tsv.gz", sep="\t", index_col=0)
    obs = pd.read_csv(folder / "samples.tsv", sep="\t", index_col=0)
    keep = (obs["demuxlet_cls"] == "SNG").to_numpy()
    adata = ad.AnnData(sp.csr_matrix(counts.loc[:, keep].T.to_numpy(np.float32)),
                       obs=obs.loc[keep, ["cell_line_demuxlet", "plate"]])
    adata.var_names = counts.index
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rrscore.tl.score(adata, "mechanisms", method="aucell")
    return adata


def test_bandwidth_and_density_equal_r_rule_and_scipy(celllines):
    x = celllines.obsm["rrscore"][NRF2].to_numpy(float)
    q75, q25 = np.percentile(x, [75, 25])  # R's quantile type 7 is NumPy's default
    h = 0.9 * min(np.std(x, ddof=1), (q75 - q25) / 1.34) * len(x) ** -0.2
    assert bw_nrd0(x) == pytest.approx(h, rel=1e-12)
    grid, y = density(x, adjust=2.0)
    kde = stats.gaussian_kde(x, bw_method=2 * h / np.std(x, ddof=1))
    np.testing.assert_allclose(y, kde(grid), rtol=1e-10)
    assert (grid[0], grid[-1], len(grid)) == (x.min(), x.max(), 512)
    # the binned density used for large data stays within 1e-4 of the exact one
    from rrscore.stats import _calls

    exact_limit = _calls.EXACT_DENSITY_POINTS
    try:
        _calls.EXACT_DENSITY_POINTS = 10
        _, binned = density(x, adjust=2.0)
    finally:
        _calls.EXACT_DENSITY_POINTS = exact_limit
    assert np.abs(binned - y).max() < 1e-4 * y.max()


def test_mixture_fit_equals_scikit_learn(celllines):
    mixture = pytest.importorskip("sklearn.mixture")
    x = celllines.obsm["rrscore"][NRF2].to_numpy(float)
    for k in (2, 3):
        w, mu, sd = gaussian_mixture(x, k)
        ref = mixture.GaussianMixture(k, tol=1e-12, max_iter=20_000, reg_covar=0,
                                      means_init=np.sort(mu)[:, None]).fit(x[:, None])
        order = np.argsort(ref.means_.ravel())
        np.testing.assert_allclose(mu, ref.means_.ravel()[order], rtol=1e-3)
        np.testing.assert_allclose(sd, np.sqrt(ref.covariances_.ravel()[order]), rtol=1e-3)
        np.testing.assert_allclose(w, ref.weights_[order], rtol=1e-3)


def test_thresholds_call_nrf2_on_in_the_keap1_mutant_line(celllines):
    table = score_thresholds(celllines, sets=[NRF2, "RR_HYPOXIA_UP", "RR_EMT", "RR_IMMUNE_UP"])
    row = table.loc[NRF2]
    assert row["selected"] == "minimum_density" and row["bimodal"]
    x = celllines.obsm["rrscore"][NRF2]
    assert row["n_on"] == int((x > row["threshold"]).sum())
    calls = binarize(celllines, table, key_added="rrscore_on")
    expected = celllines.obsm["rrscore"][table.index].gt(table["threshold"], axis=1)
    pd.testing.assert_frame_equal(calls, expected)
    assert celllines.uns["rrscore_on"]["thresholds"][NRF2] == row["threshold"]
    on = calls[NRF2].groupby(celllines.obs["cell_line_demuxlet"]).mean()
    assert on["A549"] > 0.9
    assert on[["H1975", "H838", "HCC827"]].max() < 0.05
    # a fixed threshold for every set
    fixed = binarize(celllines.obsm["rrscore"], 0.2)
    assert fixed.equals(celllines.obsm["rrscore"] > 0.2)


def test_knn_smoothing_is_the_weighted_mean_over_neighbours(shared_data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = ad.read_h5ad(shared_data / "scanpy_pbmc68k_reduced" / "pbmc68k_reduced.h5ad")
        rrscore.tl.score(adata, {"T": ["CD3D", "CD3E", "IL7R", "LCK"],
                                 "mono": ["LYZ", "S100A8", "S100A9", "FCN1"]}, method="ucell")
    smoothed = smooth_scores(adata, key_added="rrscore_knn", self_weight=1.0)
    w = adata.obsp["connectivities"].toarray()
    s = adata.obsm["rrscore"].to_numpy()
    expected = (w @ s + s) / (w.sum(axis=1) + 1)[:, None]
    np.testing.assert_allclose(smoothed.to_numpy(), expected, rtol=1e-12)
    assert adata.obsm["rrscore_knn"] is smoothed
    # smoothing keeps the cell types apart and narrows each one's spread
    labels = adata.obs["bulk_labels"]
    monocytes = labels.str.contains("CD14")
    assert smoothed.loc[monocytes, "mono"].std() < adata.obsm["rrscore"].loc[monocytes,
                                                                              "mono"].std()
    assert smoothed.loc[monocytes, "mono"].mean() > smoothed.loc[~monocytes, "mono"].mean()
