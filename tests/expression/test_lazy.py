"""Backed h5ad and Dask input: scored by blocks of cells, with the in-memory results."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import InputDataError, RRScoreError
from rrscore.expression._lazy import LazyAccessError, lazy_expression

sc = pytest.importorskip("scanpy")
da = pytest.importorskip("dask.array")

MARKERS = {
    "T_cell": ["CD3D", "CD3E", "IL7R", "CD2", "LCK"],
    "B_cell": ["CD79A", "CD79B", "MS4A1", "CD74", "HLA-DRA"],
    "monocyte": ["LYZ", "S100A8", "S100A9", "FCN1", "CST3"],
    "NK": ["GNLY", "NKG7", "GZMB", "PRF1", "GZMA"],
    "signed": ["CD3D", "CD3E", "CD79A-", "MS4A1-"],
}

#: (method, parameters): cell-independent ones, ssGSEA normalised over all scores, and
#: score_genes (a first pass for the gene means).
CASES = [
    ("ucell", {}),
    ("aucell", {}),
    ("aucell", {"ties": "random", "random_state": 7}),
    ("ssgsea", {"normalize": False}),
    ("ssgsea", {}),
    ("singscore", {}),
    ("score_genes", {"ctrl_size": 30}),
]
#: how each case runs on Dask: map_blocks, or blocks scored one after the other
DASK_ENGINE = ["dask-blockwise", "dask-blockwise", "dask-streaming", "dask-blockwise",
               "dask-streaming", "dask-blockwise", "dask-streaming"]


@pytest.fixture(scope="module")
def pbmc_log():
    """pbmc68k_reduced's log1p matrix (.raw: 700 cells × 765 genes, CSR float32)."""
    full = sc.datasets.pbmc68k_reduced()
    return ad.AnnData(full.raw.X.copy(), obs=full.obs[["bulk_labels"]].copy(),
                      var=pd.DataFrame(index=full.raw.var_names.copy()))


@pytest.fixture(scope="module")
def files(pbmc_log, tmp_path_factory):
    folder = tmp_path_factory.mktemp("backed")
    sparse_path, dense_path = folder / "sparse.h5ad", folder / "dense.h5ad"
    pbmc_log.write_h5ad(sparse_path)
    dense = pbmc_log.copy()
    dense.X = dense.X.toarray()
    dense.write_h5ad(dense_path)
    return {"sparse": (sparse_path, pbmc_log), "dense": (dense_path, dense)}


def _scores(adata, method, params, **kw):
    return rrscore.tl.score(adata, MARKERS, method, inplace=False, **params, **kw)


@pytest.mark.parametrize("storage", ["sparse", "dense"])
@pytest.mark.parametrize(("method", "params"), CASES)
def test_backed_equals_in_memory(files, storage, method, params):
    path, memory = files[storage]
    backed = ad.read_h5ad(path, backed="r")
    got = _scores(backed, method, params, chunk_size=97)  # blocks that do not divide 700
    expected = _scores(memory, method, params)
    assert got.attrs["rrscore"]["engine"] == "backed"
    assert "backed" in got.attrs["rrscore"]["input"]["source"]
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    backed.file.close()


def test_backed_never_loads_the_matrix(files, monkeypatch):
    path, memory = files["sparse"]
    backed = ad.read_h5ad(path, backed="r")
    seen = []
    dataset_type = type(backed.X)

    def no_to_memory(self, *a, **k):
        raise AssertionError("the whole matrix was loaded")

    original = dataset_type.__getitem__

    def spy(self, key):
        seen.append(key)
        return original(self, key)

    monkeypatch.setattr(dataset_type, "to_memory", no_to_memory)
    monkeypatch.setattr(dataset_type, "__getitem__", spy)
    rrscore.tl.score(backed, MARKERS, "ucell", chunk_size=200)
    blocks = [k for k in seen if isinstance(k, slice)]
    assert [(k.start, k.stop) for k in blocks] == [(0, 200), (200, 400), (400, 600),
                                                   (600, 700)]
    # inplace on a backed AnnData: small results in memory, file untouched
    assert backed.obsm["rrscore"].shape == (700, len(MARKERS))
    with pytest.raises(RRScoreError, match="copy=True cannot copy a backed AnnData"):
        rrscore.tl.score(backed, MARKERS, copy=True)
    backed.file.close()


def test_column_sums_are_exactly_the_in_memory_sums(files):
    for storage in ("sparse", "dense"):
        path, memory = files[storage]
        backed = ad.read_h5ad(path, backed="r")
        lazy = lazy_expression(backed, chunk_size=64)
        in_memory = rrscore.expression.as_expression(memory)
        assert lazy.is_lazy and not in_memory.is_lazy
        # float32 CSR sums accumulate in float32, as scipy (and scanpy) do
        np.testing.assert_array_equal(lazy.column_sums(), in_memory.column_sums())
        np.testing.assert_array_equal(np.sum(lazy.values, axis=0), in_memory.column_sums())
        for a, b in ((0, 64), (650, 700)):
            got, want = lazy.rows(a, b), in_memory.rows(a, b)
            assert sp.issparse(got) == sp.issparse(want) == (storage == "sparse")
            np.testing.assert_array_equal(lazy.dense_rows(a, b), in_memory.dense_rows(a, b))
            np.testing.assert_array_equal(lazy.sparse_rows(a, b).toarray(),
                                          in_memory.dense_rows(a, b))
        with pytest.raises(LazyAccessError, match="whole expression matrix"):
            np.asarray(lazy.values)
        with pytest.raises(LazyAccessError, match="column indexing"):
            lazy.values[:, [1, 2]]
        backed.file.close()


@pytest.mark.parametrize("storage", ["sparse", "dense"])
def test_dask_blockwise_and_streaming(pbmc_log, storage):
    x = pbmc_log.X if storage == "sparse" else pbmc_log.X.toarray()
    memory = ad.AnnData(x, obs=pbmc_log.obs.copy(), var=pbmc_log.var.copy())
    lazy = ad.AnnData(da.from_array(x, chunks=(128, 300)), obs=pbmc_log.obs.copy(),
                      var=pbmc_log.var.copy())
    for (method, params), engine in zip(CASES, DASK_ENGINE, strict=True):
        got = _scores(lazy, method, params, progress=method == "ucell")
        np.testing.assert_array_equal(got.to_numpy(), _scores(memory, method, params).to_numpy())
        assert got.attrs["rrscore"]["engine"] == engine, (method, params)


def test_dask_on_a_distributed_cluster(pbmc_log):
    distributed = pytest.importorskip("distributed")
    lazy = ad.AnnData(da.from_array(pbmc_log.X, chunks=(150, -1)), obs=pbmc_log.obs.copy(),
                      var=pbmc_log.var.copy())
    expected = _scores(pbmc_log, "ucell", {})
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  protocol="tcp", host="127.0.0.1",
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        assert client.scheduler.address.startswith("tcp://127.0.0.1")
        got = _scores(lazy, "ucell", {})
        streamed = _scores(lazy, "score_genes", {"ctrl_size": 30})
    assert got.attrs["rrscore"]["engine"] == "dask-blockwise"
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    np.testing.assert_array_equal(streamed.to_numpy(),
                                  _scores(pbmc_log, "score_genes", {"ctrl_size": 30}).to_numpy())


def _toy(values, genes):
    obs = pd.DataFrame(index=[f"cell{i}" for i in range(values.shape[0])])
    return ad.AnnData(values, obs=obs, var=pd.DataFrame(index=genes))


SMALL_SETS = {"A": ["G0", "G1", "G2"], "B": ["G3", "G4", "G5"]}


@pytest.mark.parametrize("storage", ["dense", "sparse", "dask"])
def test_non_finite_values_name_the_cell_and_gene(tmp_path, storage):
    rng = np.random.default_rng(0)
    x = rng.random((50, 8)) * (rng.random((50, 8)) > 0.3)
    x[37, 5] = np.nan
    genes = [f"G{j}" for j in range(8)]
    if storage == "dask":
        adata = _toy(da.from_array(x, chunks=(10, 8)), genes)
    else:
        _toy(sp.csr_matrix(x) if storage == "sparse" else x, genes).write_h5ad(tmp_path / "n.h5ad")
        adata = ad.read_h5ad(tmp_path / "n.h5ad", backed="r")
    with pytest.raises(InputDataError, match=r"NaN\) in cell 'cell37' \(row 37\), gene 'G5'"):
        rrscore.tl.score(adata, SMALL_SETS, "ucell", inplace=False, chunk_size=10)
    # drop_genes: a first pass finds G5; the result is the in-memory one without G5
    got = rrscore.tl.score(adata, SMALL_SETS, "ucell", inplace=False, nan_policy="drop_genes",
                           progress=True)
    expected = rrscore.score(_toy(x, genes), SMALL_SETS, "ucell", nan_policy="drop_genes")
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())
    assert got.attrs["rrscore"]["input"]["notes"] == "\n".join(
        expected.attrs["rrscore"]["input"]["notes"])
    x[12, 2] = -np.inf
    y = da.from_array(x, chunks=(10, 8)) if storage == "dask" else x
    if storage != "dask":
        _toy(sp.csr_matrix(x) if storage == "sparse" else x, genes).write_h5ad(tmp_path / "i.h5ad")
        adata = ad.read_h5ad(tmp_path / "i.h5ad", backed="r")
    else:
        adata = _toy(y, genes)
    with pytest.raises(InputDataError, match=r"infinite value in cell 'cell12' \(row 12\), "
                                             r"gene 'G2'"):
        rrscore.tl.score(adata, SMALL_SETS, "ucell", inplace=False, nan_policy="drop_genes")


@pytest.mark.filterwarnings("ignore:Variable names are not unique")
@pytest.mark.parametrize("policy", ["highest_mean", "first", "mean", "max"])
def test_duplicated_genes_collapse_as_in_memory(tmp_path, policy):
    rng = np.random.default_rng(3)
    x = np.round(rng.random((40, 9)) * 3 * (rng.random((40, 9)) > 0.4), 1)
    genes = ["G0", "G1", "G2", "G1", "G3", "G4", "g5", "G5", "G1"]  # G1 three times
    _toy(sp.csr_matrix(x), genes).write_h5ad(tmp_path / "dup.h5ad")
    backed = ad.read_h5ad(tmp_path / "dup.h5ad", backed="r")
    lazy = lazy_expression(backed, duplicates=policy, chunk_size=7)
    memory = rrscore.expression.as_expression(_toy(sp.csr_matrix(x), genes), duplicates=policy)
    assert list(lazy.genes) == list(memory.genes)
    np.testing.assert_array_equal(lazy.dense_rows(0, 40), memory.dense_rows(0, 40))
    assert lazy.report.notes == memory.report.notes
    with pytest.raises(InputDataError, match="more than once"):
        lazy_expression(backed, duplicates="error")


def test_methods_that_need_all_cells_say_so(files, tmp_path):
    path, memory = files["sparse"]
    backed = ad.read_h5ad(path, backed="r")
    for method in ("zscore", "mean", "plage"):
        with pytest.raises(InputDataError, match=f"method '{method}' needs every cell"):
            rrscore.tl.score(backed, MARKERS, method, inplace=False)
    backed.file.close()
    csc = memory.copy()
    csc.X = sp.csc_matrix(csc.X)
    csc.write_h5ad(tmp_path / "csc.h5ad")
    with pytest.raises(InputDataError, match="CSC"):
        rrscore.tl.score(ad.read_h5ad(tmp_path / "csc.h5ad", backed="r"), MARKERS)


def test_rrscore_score_reads_backed_and_dask_by_blocks(files, pbmc_log):
    path, memory = files["sparse"]
    backed = ad.read_h5ad(path, backed="r")
    dask_backed = ad.AnnData(da.from_array(pbmc_log.X, chunks=(256, -1)),
                             obs=pbmc_log.obs.copy(), var=pbmc_log.var.copy())
    expected = rrscore.score(memory, MARKERS, "aucell").to_numpy()
    for adata in (backed, dask_backed):
        got = rrscore.score(adata, MARKERS, "aucell")
        assert "read by blocks of cells" in got.attrs["rrscore"]["input"]["source"]
        np.testing.assert_array_equal(got.to_numpy(), expected)
    backed.file.close()


def test_score_on_backed_data_names_methods_that_need_memory(tmp_path):
    import anndata as ad
    import scanpy as sc

    import rrscore

    adata = sc.datasets.pbmc68k_reduced()
    path = tmp_path / "pbmc.h5ad"
    ad.AnnData(adata.raw.X.copy(), obs=adata.obs[[]], var=adata.raw.var[[]]).write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    sets = {"t": ["CD3D", "CD3E", "CD2", "IL7R"]}
    with pytest.raises(rrscore.InputDataError, match="'zscore' needs every cell in memory"):
        rrscore.score(backed, sets, "zscore")
    got = rrscore.score(backed, sets, "ucell")
    assert got.attrs["rrscore"]["engine"] == "backed"
