"""The composite on sparse cells: chunks sized by stored values (``chunk_size="auto"``), one
scoring run for every mechanism and confounder, the same scores whatever the chunking and
whether the cells come sparse or dense."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore._runner as runner
from rrscore.errors import RRScoreError
from rrscore.radiation import radioresistance


@pytest.fixture(scope="module")
def cells(complete) -> pd.DataFrame:
    """60 sparse 'cells' (samples × genes) resampled from the Agilent cohort: the 65 % lowest
    values of each cell are set to 0 (stored sparse), so ties at zero are common."""
    rng = np.random.default_rng(5)
    base = complete.T.to_numpy()
    picks = base[rng.integers(0, base.shape[0], 60)] + rng.normal(0, 0.3, (60, base.shape[1]))
    cut = np.quantile(picks, 0.65, axis=1, keepdims=True)
    picks = np.where(picks > cut, picks - cut + 0.1, 0.0)
    return pd.DataFrame(picks, index=[f"cell{i:02d}" for i in range(60)],
                        columns=complete.index)


def _adata(frame: pd.DataFrame, sparse: bool):
    import anndata as ad

    x = sp.csr_matrix(frame.to_numpy()) if sparse else frame.to_numpy()
    return ad.AnnData(x, obs=pd.DataFrame(index=frame.index),
                      var=pd.DataFrame(index=frame.columns))


def test_auto_chunk_holds_about_the_target_number_of_stored_values(cells):
    from rrscore._prepare import prepare

    x = sp.csr_matrix(cells.to_numpy())
    expr = prepare(_adata(cells, True), {"S": list(cells.columns[:5])}).expr
    per_cell = x.nnz / x.shape[0]
    low, high = runner.AUTO_CHUNK_BOUNDS
    assert runner.auto_chunk_size(expr) == int(min(high, max(low, runner.AUTO_CHUNK_VALUES
                                                              // per_cell)))
    # dense input keeps the method's own chunk
    assert runner.auto_chunk_size(prepare(cells, {"S": list(cells.columns[:5])}).expr) is None


def test_sparse_cells_score_the_same_in_any_chunks_and_as_dense(cells, monkeypatch):
    seen = []
    original = runner.run_method

    def spy(*args, **kwargs):
        seen.append(kwargs["chunk_size"])
        return original(*args, **kwargs)

    monkeypatch.setattr(runner, "run_method", spy)
    # small automatic chunks, so that the 60 cells are scored in several of them
    monkeypatch.setattr(runner, "AUTO_CHUNK_VALUES", 60_000)
    monkeypatch.setattr(runner, "AUTO_CHUNK_BOUNDS", (1, 16_384))
    auto = radioresistance(_adata(cells, True))
    n_stored = sp.csr_matrix(cells.to_numpy()).nnz
    # one scoring run for every mechanism's parts and the confounders, in chunks
    assert seen == [int(60_000 // (n_stored / 60))]
    assert 1 < seen[0] < 60
    whole = radioresistance(_adata(cells, True), chunk_size=1_000)
    dense = radioresistance(_adata(cells, False))
    frame = radioresistance(cells.T)
    for other in (whole, dense, frame):
        pd.testing.assert_frame_equal(auto, other, check_exact=True, check_names=False)
    assert seen[1:] == [1_000, None, None]  # an explicit chunk is kept; dense: the method's


def test_chunk_size_text_other_than_auto_is_refused(cells):
    with pytest.raises(RRScoreError, match="'auto'"):
        radioresistance(cells.T, chunk_size="big")
