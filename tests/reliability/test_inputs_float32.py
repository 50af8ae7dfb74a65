"""score_genes on dense float32 data equals scanpy's (the same expression bins, the same controls).

scanpy averages a dense float32 matrix in float32 (``numpy.nanmean`` keeps the dtype), so its
expression bins come from float32 means; the input layer used to turn dense float32 into
float64 first, and genes near a bin boundary were binned differently (issue 10: up to 3e-3).
The right value is scanpy's own score, one call per set.
"""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import rrscore

sc = pytest.importorskip("scanpy")


def _scanpy_scores(adata, sets: dict, **kw) -> pd.DataFrame:
    adata = adata.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, genes in sets.items():
            sc.tl.score_genes(adata, genes, score_name=name, **kw)
    return adata.obs[list(sets)]


def _rrscore(adata, sets: dict, **kw) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rrscore.score(adata, sets, "score_genes", **kw)


def _random_sets(genes, n_sets, size, seed):
    rng = np.random.default_rng(seed)
    return {f"S{i}": list(rng.choice(genes, size, replace=False)) for i in range(n_sets)}


@pytest.fixture(scope="module")
def pbmc():
    return sc.datasets.pbmc68k_reduced()


@pytest.mark.parametrize("which", ["log1p (raw, densified)", "scaled (X)"])
def test_pbmc68k_dense_float32_equals_scanpy(pbmc, which):
    if which.startswith("log1p"):
        x, var = pbmc.raw.X.toarray(), pbmc.raw.var[[]]
    else:
        x, var = np.array(pbmc.X), pbmc.var[[]]
    assert x.dtype == np.float32 and x.flags.c_contiguous
    adata = ad.AnnData(x, obs=pbmc.obs[[]], var=var)
    sets = _random_sets(list(adata.var_names), 25, 20, seed=1)
    expected = _scanpy_scores(adata, sets)
    got = _rrscore(adata, sets)
    np.testing.assert_allclose(got[list(sets)].to_numpy(), expected.to_numpy(), rtol=0,
                               atol=1e-12)


def _tied_means_matrix() -> np.ndarray:
    """float32 cells × genes whose genes share their exact mean in groups (columns are
    permutations of one column, scaled): float64 means tie, float32 sums do not."""
    rng = np.random.default_rng(3)
    base = rng.gamma(2.0, 1.0, 60).astype(np.float32)
    x = np.empty((60, 400), dtype=np.float32)
    for j in range(400):
        x[:, j] = rng.permutation(base) * np.float32(1 + (j % 40) * 0.01)
    return x


def test_float32_bins_equal_scanpys_where_float64_bins_differ():
    x = _tied_means_matrix()
    n_items = int(np.round(x.shape[1] / 24))
    bins32 = pd.Series(np.nanmean(x, axis=0).astype(np.float64)).rank(method="min") // n_items
    bins64 = pd.Series(x.astype(np.float64).mean(axis=0)).rank(method="min") // n_items
    assert (bins32 != bins64).sum() > 10  # the data do tell float32 from float64 means

    adata = ad.AnnData(x)
    adata.var_names = [f"G{i}" for i in range(x.shape[1])]
    sets = _random_sets(list(adata.var_names), 20, 10, seed=4)
    expected = _scanpy_scores(adata, sets, ctrl_size=10)
    got = _rrscore(adata, sets, ctrl_size=10)
    np.testing.assert_allclose(got[list(sets)].to_numpy(), expected.to_numpy(), rtol=0,
                               atol=1e-12)
    # the same values in float64 get float64 bins: other controls, other scores
    as64 = ad.AnnData(x.astype(np.float64), var=adata.var)
    other = _rrscore(as64, sets, ctrl_size=10)
    assert np.abs(other.to_numpy() - expected.to_numpy()).max() > 1e-4
    # and every container of the float32 values agrees: a float32 DataFrame, a Fortran copy
    frame = pd.DataFrame(x, index=adata.obs_names, columns=adata.var_names)
    for data in (frame, ad.AnnData(np.asfortranarray(x), var=adata.var)):
        pd.testing.assert_frame_equal(_rrscore(data, sets, ctrl_size=10), got,
                                      check_names=False)
