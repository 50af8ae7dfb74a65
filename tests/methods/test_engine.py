"""The engine: one path for in-memory, backed and Dask input, for every output of a method."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import RRScoreError
from rrscore.methods import get_method
from rrscore.methods._engine import _kernel

GENES = [f"G{i}" for i in range(30)]
SETS = {"a": GENES[:6], "b": GENES[10:14] + [g + "-" for g in GENES[20:23]], "c": GENES[25:]}


@pytest.fixture(scope="module")
def cells():
    rng = np.random.default_rng(3)
    x = rng.poisson(1.5, size=(41, len(GENES))).astype(float)
    return ad.AnnData(sp.csr_matrix(x), var=pd.DataFrame(index=GENES),
                      obs=pd.DataFrame(index=[f"c{i}" for i in range(41)]))


def test_dispersion_is_the_same_in_memory_backed_and_dask(cells, tmp_path):
    da = pytest.importorskip("dask.array")
    score_mem, disp_mem = rrscore.score_with_dispersion(cells, SETS)
    path = tmp_path / "c.h5ad"
    cells.write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    score_bk, disp_bk = rrscore.score_with_dispersion(backed, SETS, chunk_size=8)
    backed.file.close()
    lazy = ad.AnnData(da.from_array(cells.X.toarray(), chunks=(10, len(GENES))),
                      var=cells.var.copy(), obs=cells.obs.copy())
    score_dk, disp_dk = rrscore.score_with_dispersion(lazy, SETS)
    assert disp_bk.attrs["rrscore"]["engine"] == "backed"
    assert disp_dk.attrs["rrscore"]["engine"] == "dask-blockwise"
    for got in (score_bk, score_dk):
        np.testing.assert_array_equal(got.to_numpy(), score_mem.to_numpy())
    for got in (disp_bk, disp_dk):
        np.testing.assert_array_equal(got.to_numpy(), disp_mem.to_numpy())
    assert np.isfinite(disp_mem.to_numpy()).all() and (disp_mem.to_numpy() > 0).any()


def test_an_output_the_method_does_not_have_is_a_clear_error():
    with pytest.raises(RRScoreError, match="no output.*dispersion.*score"):
        _kernel(get_method("ucell"), ("dispersion",))
