"""Every input path gives the same scores: property tests over containers, storage and layout.

Issue 10: dense vs sparse, DataFrame vs AnnData, in memory vs backed vs Dask, any chunk size,
C vs Fortran order — identical scores, score_genes' control-gene draw included. hypothesis
draws small matrices (ties, zeros, a repeated gene label) and gene sets; the reference is the
in-memory C-ordered dense array, and every other path must give it (to 1e-12: dense and
sparse kernels may add in another order).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rrscore

da = pytest.importorskip("dask.array")

#: Examples per property (RRSCORE_HYPOTHESIS_EXAMPLES=500 for a longer search).
N_EXAMPLES = int(os.environ.get("RRSCORE_HYPOTHESIS_EXAMPLES", 20))
SETTINGS = settings(max_examples=N_EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
#: Methods that read cells one block at a time (backed and Dask input allowed).
STREAMING = {"ucell": {"max_rank": 10}, "aucell": {"auc_max_rank": 0.5}, "singscore": {},
             "ssgsea": {"normalize": False}, "score_genes": {"ctrl_size": 3, "n_bins": 4}}
#: Methods that need every sample in memory.
IN_MEMORY = {"zscore": {}, "gsva": {}, "plage": {}, "mean": {}, "ssgsea": {}}


@st.composite
def inputs(draw):
    """(values cells × genes float64, gene labels, gene sets)."""
    n_cells = draw(st.integers(3, 9))
    n_genes = draw(st.integers(8, 16))
    # small multiples of 1/4: ties and zeros, sums exact in float32 and float64
    cells = draw(st.lists(st.lists(st.integers(0, 12), min_size=n_genes, max_size=n_genes),
                          min_size=n_cells, max_size=n_cells))
    values = np.array(cells, dtype=np.float64) / 4
    values[:, 0] += np.arange(n_cells)  # no gene is constant in every draw of gsva's genes
    genes = [f"G{i}" for i in range(n_genes)]
    if draw(st.booleans()):  # a repeated label (the duplicates policy then applies)
        genes[-1] = genes[draw(st.integers(0, n_genes - 2))]
    names = sorted(set(genes))
    sets = {}
    for k in range(draw(st.integers(1, 3))):
        size = draw(st.integers(2, min(5, len(names) - 1)))
        sets[f"S{k}"] = draw(st.lists(st.sampled_from(names), min_size=size, max_size=size,
                                      unique=True))
    return values, genes, sets


def _score(data, sets, method, params, **kw) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = rrscore.score(data, sets, method, **params, **kw)
    return got.to_numpy()


def _adata(x, genes, cells) -> ad.AnnData:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # repeated var names
        return ad.AnnData(x, obs=pd.DataFrame(index=cells), var=pd.DataFrame(index=genes))


def _cells_rows(genes, cells) -> dict:
    return {"genes": genes, "samples": cells, "orient": "genes_columns"}


def _in_memory_paths(values, genes, cells) -> dict:
    frame = pd.DataFrame(values, index=cells, columns=genes)
    return {
        "frame cells x genes": (frame, {}),
        "frame genes x cells": (frame.T, {}),
        "array Fortran": (np.asfortranarray(values), _cells_rows(genes, cells)),
        "array genes x cells": (values.T.copy(), {"genes": genes, "samples": cells,
                                                   "orient": "genes_rows"}),
        "csr": (sp.csr_matrix(values), _cells_rows(genes, cells)),
        "csc": (sp.csc_matrix(values), _cells_rows(genes, cells)),
        "anndata dense": (_adata(values, genes, cells), {}),
        "anndata dense Fortran": (_adata(np.asfortranarray(values), genes, cells), {}),
        "anndata csr": (_adata(sp.csr_matrix(values), genes, cells), {}),
    }


def _same_on_every_path(paths: dict, sets: dict, method: str, params: dict, chunk: int,
                        reference) -> None:
    """Every path gives the reference's scores, or every path refuses the data alike."""
    data_ref, kw_ref = reference
    try:
        expected = _score(data_ref, sets, method, params, **kw_ref)
    except rrscore.errors.RRScoreError as err:  # e.g. no control gene in any bin
        for data_in, kw in paths.values():
            with pytest.raises(type(err)):
                _score(data_in, sets, method, params, chunk_size=chunk, **kw)
        return
    for name, (data_in, kw) in paths.items():
        got = _score(data_in, sets, method, params, chunk_size=chunk, **kw)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12,
                                   err_msg=f"{method} {name} chunk={chunk}")


@SETTINGS
@given(data=inputs(), method=st.sampled_from(sorted(STREAMING)), chunk=st.integers(1, 10),
       float32=st.booleans())
def test_streaming_methods_same_scores_on_every_path(data, method, chunk, float32):
    values, genes, sets = data
    cells = [f"c{i}" for i in range(values.shape[0])]
    if float32:
        values = values.astype(np.float32)
    paths = _in_memory_paths(values, genes, cells)
    with tempfile.TemporaryDirectory() as folder:
        backed = []
        for storage in ("dense", "csr"):
            path = Path(folder) / f"{storage}.h5ad"
            x = values if storage == "dense" else sp.csr_matrix(values)
            _adata(x, genes, cells).write_h5ad(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                backed.append(ad.read_h5ad(path, backed="r"))
            paths[f"backed {storage}"] = (backed[-1], {})
        dask_ad = _adata(np.zeros_like(values), genes, cells)
        dask_ad.X = da.from_array(values, chunks=(chunk, -1))
        paths["dask dense"] = (dask_ad, {})
        try:
            _same_on_every_path(paths, sets, method, STREAMING[method], chunk,
                                (np.ascontiguousarray(values), _cells_rows(genes, cells)))
        finally:
            for adata in backed:
                adata.file.close()


@SETTINGS
@given(data=inputs(), method=st.sampled_from(sorted(IN_MEMORY)), chunk=st.integers(1, 10))
def test_in_memory_methods_same_scores_on_every_path(data, method, chunk):
    values, genes, sets = data
    cells = [f"c{i}" for i in range(values.shape[0])]
    _same_on_every_path(_in_memory_paths(values, genes, cells), sets, method,
                        IN_MEMORY[method], chunk, (values, _cells_rows(genes, cells)))


def test_score_genes_controls_are_the_same_on_every_path():
    """One worked case: a duplicated gene, float32, odd chunks — the same controls (hence
    scores) on every path, and the controls scanpy would draw (see test_inputs_float32)."""
    rng = np.random.default_rng(9)
    values = (rng.integers(0, 12, size=(40, 60)) / 4).astype(np.float32)
    genes = [f"G{i}" for i in range(60)]
    genes[59] = "G3"
    cells = [f"c{i}" for i in range(40)]
    sets = {"A": ["G1", "G2", "G3", "G10"], "B": ["G20", "G30", "G40"]}
    params = {"ctrl_size": 5, "n_bins": 6}
    expected = _score(values, sets, "score_genes", params, **_cells_rows(genes, cells))
    for name, (data_in, kw) in _in_memory_paths(values, genes, cells).items():
        got = _score(data_in, sets, "score_genes", params, chunk_size=7, **kw)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12, err_msg=name)
