"""rrscore.tl never writes over AnnData data it did not write (issue 10, F4).

A key rrscore wrote before (named by an rrscore record in ``adata.uns``) is a re-run and is
replaced; a key holding the user's data (an ``obs`` column, ``X_pca``, another tool's ``uns``
entry) is refused with an error naming it, and the object is left exactly as it was, unless
``overwrite=True``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import RRScoreError

ad = pytest.importorskip("anndata")

GENES = [f"G{i}" for i in range(50)]
SETS = {"A": GENES[:6], "B": GENES[10:20] + [g + "-" for g in GENES[30:34]]}


@pytest.fixture
def adata():
    rng = np.random.default_rng(3)
    x = np.log1p(rng.poisson(rng.uniform(0.5, 10, len(GENES)), size=(30, len(GENES))))
    a = ad.AnnData(x.astype(float), obs=pd.DataFrame(index=[f"c{i}" for i in range(30)]),
                   var=pd.DataFrame(index=GENES))
    a.obs["rrscore_A"] = np.arange(30, dtype=float)  # the user's column
    a.obs["leiden"] = pd.Categorical(np.where(np.arange(30) % 2, "0", "1"))
    a.obsm["X_pca"] = rng.normal(size=(30, 4))
    a.uns["mine"] = {"note": "the user's"}
    return a


def _snapshot(a):
    return (a.obs.copy(), {k: np.array(v, copy=True) if not isinstance(v, pd.DataFrame)
                           else v.copy() for k, v in a.obsm.items()}, dict(a.uns))


def _assert_unchanged(a, snap):
    obs, obsm, uns = snap
    pd.testing.assert_frame_equal(a.obs, obs)
    assert set(a.obsm) == set(obsm)
    for key, value in obsm.items():
        np.testing.assert_array_equal(np.asarray(a.obsm[key]), np.asarray(value))
    assert set(a.uns) == set(uns) and a.uns["mine"] == {"note": "the user's"}


@pytest.mark.parametrize(("kwargs", "named"), [
    ({"obs_columns": True}, r"adata\.obs\['rrscore_A'\].*obs_columns= prefix"),
    ({"key_added": "X_pca"}, r"adata\.obsm\['X_pca'\].*key_added="),
    ({"key_added": "mine"}, r"adata\.uns\['mine'\].*key_added="),
])
def test_score_refuses_user_keys_and_leaves_the_object_intact(adata, kwargs, named):
    snap = _snapshot(adata)
    with pytest.raises(RRScoreError, match=named + r".*overwrite=True"):
        rrscore.tl.score(adata, SETS, "zscore", **kwargs)
    _assert_unchanged(adata, snap)
    np.testing.assert_array_equal(adata.obs["rrscore_A"].to_numpy(), np.arange(30.0))
    assert "rrscore" not in adata.uns and "rrscore" not in adata.obsm


def test_user_uns_entry_under_the_default_key_is_refused(adata):
    adata.uns["rrscore"] = {"my": "settings"}
    with pytest.raises(RRScoreError, match=r"adata\.uns\['rrscore'\]"):
        rrscore.tl.score(adata, SETS, "zscore")
    assert adata.uns["rrscore"] == {"my": "settings"} and "rrscore" not in adata.obsm


def test_rerun_replaces_rrscores_own_keys(adata):
    rrscore.tl.score(adata, SETS, "ucell", key_added="rr", obs_columns=True)
    first = adata.obs["rr_A"].to_numpy().copy()
    rrscore.tl.score(adata, SETS, "zscore", key_added="rr", obs_columns=True)  # a re-run
    expected = rrscore.score(adata, SETS, "zscore")
    np.testing.assert_array_equal(adata.obsm["rr"].to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(adata.obs["rr_A"].to_numpy(), expected["A"].to_numpy())
    assert not np.allclose(first, adata.obs["rr_A"].to_numpy())
    assert adata.uns["rr"]["method"] == "zscore"
    # the user's column of the same shape stayed as it was
    np.testing.assert_array_equal(adata.obs["rrscore_A"].to_numpy(), np.arange(30.0))


def test_rerun_is_recognised_after_an_h5ad_round_trip(adata, tmp_path):
    del adata.obs["rrscore_A"]
    rrscore.tl.score(adata, SETS, "ucell", obs_columns=True)
    adata.write_h5ad(tmp_path / "a.h5ad")
    back = ad.read_h5ad(tmp_path / "a.h5ad")
    rrscore.tl.score(back, SETS, "zscore", obs_columns=True)
    expected = rrscore.score(adata, SETS, "zscore")
    np.testing.assert_array_equal(back.obs["rrscore_B"].to_numpy(), expected["B"].to_numpy())


def test_overwrite_true_replaces_user_data(adata):
    rrscore.tl.score(adata, SETS, "zscore", obs_columns=True, overwrite=True)
    expected = rrscore.score(adata, SETS, "zscore")
    np.testing.assert_array_equal(adata.obs["rrscore_A"].to_numpy(), expected["A"].to_numpy())


def test_inplace_false_and_copy(adata):
    snap = _snapshot(adata)
    df = rrscore.tl.score(adata, SETS, "zscore", obs_columns=True, inplace=False)
    _assert_unchanged(adata, snap)
    assert df.shape == (30, 2)
    with pytest.raises(RRScoreError, match=r"adata\.obs\['rrscore_A'\]"):
        rrscore.tl.score(adata, SETS, "zscore", obs_columns=True, copy=True)
    _assert_unchanged(adata, snap)


def test_obs_columns_of_another_rrscore_record_are_rrscores(adata):
    rrscore.tl.score(adata, SETS, "ucell", key_added="one", obs_columns="p_")
    rrscore.tl.score(adata, SETS, "zscore", key_added="two", obs_columns="p_")
    expected = rrscore.score(adata, SETS, "zscore")
    np.testing.assert_array_equal(adata.obs["p_A"].to_numpy(), expected["A"].to_numpy())


# --- tl.radioresistance: obs_key / key_added ------------------------------------------------

@pytest.fixture(scope="module")
def cells():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent/expr.tsv.gz"
    expr = pd.read_csv(path, sep="\t", index_col=0).dropna().iloc[:, :10]
    return ad.AnnData(expr.T.to_numpy().copy(), obs=pd.DataFrame(index=list(expr.columns)),
                      var=pd.DataFrame(index=list(expr.index)))


MECH = {"mechanisms": ["RR_EMT", "RR_HYPOXIA"]}


def test_radioresistance_refuses_a_user_obs_column_and_reruns(cells):
    a = cells.copy()
    a.obs["leiden"] = np.arange(a.n_obs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RRScoreError, match=r"adata\.obs\['leiden'\].*obs_key="):
            rrscore.tl.radioresistance(a, obs_key="leiden", **MECH)
        np.testing.assert_array_equal(a.obs["leiden"].to_numpy(), np.arange(a.n_obs))
        assert "rrscore_radioresistance" not in a.uns
        rrscore.tl.radioresistance(a, **MECH)
        first = a.obs["rr_composite"].to_numpy().copy()
        assert a.uns["rrscore_radioresistance"]["rrscore_version"] == rrscore.__version__
        # a re-run with other mechanisms replaces rrscore's own keys
        rrscore.tl.radioresistance(a, mechanisms=["RR_EMT"])
        expected = rrscore.radioresistance(cells, mechanisms=["RR_EMT"])
        np.testing.assert_allclose(a.obs["rr_composite"].to_numpy(),
                                   expected["composite"].to_numpy(), atol=1e-14)
        assert not np.allclose(first, a.obs["rr_composite"].to_numpy())
        # a record of an earlier version (no rrscore_version) is still rrscore's
        del a.uns["rrscore_radioresistance"]["rrscore_version"]
        rrscore.tl.radioresistance(a, **MECH)
        np.testing.assert_allclose(a.obs["rr_composite"].to_numpy(), first, atol=1e-14)
        rrscore.tl.radioresistance(a, obs_key="leiden", overwrite=True, **MECH)
    np.testing.assert_allclose(a.obs["leiden"].to_numpy(), first, atol=1e-14)


def test_radioresistance_refuses_a_user_embedding(cells):
    a = cells.copy()
    a.obsm["X_umap"] = np.zeros((a.n_obs, 2))
    with pytest.raises(RRScoreError, match=r"adata\.obsm\['X_umap'\].*key_added="):
        rrscore.tl.radioresistance(a, key_added="X_umap", **MECH)
    np.testing.assert_array_equal(a.obsm["X_umap"], np.zeros((a.n_obs, 2)))
    assert "rr_composite" not in a.obs


# --- tl.binarize / tl.smooth_scores: key_added ---------------------------------------------

def test_binarize_and_smooth_scores_keys(adata):
    del adata.obs["rrscore_A"]
    rrscore.tl.score(adata, SETS, "ucell")
    i = np.arange(adata.n_obs)
    adata.obsp["connectivities"] = sp.csr_matrix(
        (np.ones(adata.n_obs), (i, (i + 1) % adata.n_obs)), shape=(adata.n_obs,) * 2)
    with pytest.raises(RRScoreError, match=r"adata\.obsm\['X_pca'\]"):
        rrscore.tl.binarize(adata, 0.2, key_added="X_pca")
    with pytest.raises(RRScoreError, match=r"adata\.uns\['mine'\]"):
        rrscore.tl.smooth_scores(adata, key_added="mine")
    assert adata.obsm["X_pca"].shape == (30, 4) and adata.uns["mine"] == {"note": "the user's"}

    calls = rrscore.tl.binarize(adata, 0.2, key_added="on")
    np.testing.assert_array_equal(adata.obsm["on"].to_numpy(),
                                  adata.obsm["rrscore"].to_numpy() > 0.2)
    rrscore.tl.binarize(adata, 0.3, key_added="on")  # a re-run
    np.testing.assert_array_equal(adata.obsm["on"].to_numpy(),
                                  adata.obsm["rrscore"].to_numpy() > 0.3)
    assert adata.uns["on"]["thresholds"]["A"] == 0.3
    assert calls.shape == (30, 2)

    smooth = rrscore.tl.smooth_scores(adata, key_added="smooth", self_weight=1.0)
    s = adata.obsm["rrscore"].to_numpy()
    np.testing.assert_allclose(smooth.to_numpy(), (s + np.roll(s, -1, axis=0)) / 2,
                               rtol=1e-14)
    assert adata.uns["smooth"]["source_key"] == "rrscore"
    rrscore.tl.smooth_scores(adata, key_added="smooth", self_weight=3.0)  # a re-run
    np.testing.assert_allclose(adata.obsm["smooth"].to_numpy(),
                               (3 * s + np.roll(s, -1, axis=0)) / 4, rtol=1e-14)


@pytest.mark.parametrize("call", ["binarize", "smooth_scores"])
def test_the_stats_functions_on_an_anndata_keep_user_keys_too(adata, call):
    # rrscore.stats.binarize / smooth_scores store into an AnnData as the tl wrappers do
    del adata.obs["rrscore_A"]
    rrscore.tl.score(adata, SETS, "ucell")
    i = np.arange(adata.n_obs)
    adata.obsp["connectivities"] = sp.csr_matrix(
        (np.ones(adata.n_obs), (i, (i + 1) % adata.n_obs)), shape=(adata.n_obs,) * 2)
    run = {"binarize": lambda **kw: rrscore.stats.binarize(adata, 0.2, **kw),
           "smooth_scores": lambda **kw: rrscore.stats.smooth_scores(adata, **kw)}[call]
    pca = adata.obsm["X_pca"].copy()
    with pytest.raises(RRScoreError, match=r"adata\.obsm\['X_pca'\].*overwrite=True"):
        run(key_added="X_pca")
    np.testing.assert_array_equal(adata.obsm["X_pca"], pca)
    first = run(key_added="mine2")
    second = run(key_added="mine2")  # a re-run of rrscore's own key
    pd.testing.assert_frame_equal(first, second)
    np.testing.assert_array_equal(adata.obsm["mine2"].to_numpy(), second.to_numpy())
    assert adata.uns["mine2"]["rrscore_version"] == rrscore.__version__
    run(key_added="X_pca", overwrite=True)
    assert adata.obsm["X_pca"].shape == second.shape
