"""The few-distinct-values tie-block kernel and the general kernel behind it (issue 14).

UCell and AUCell rank a cell with :func:`row_tie_blocks_few` (no sort: counts and log
counts hold a dozen distinct values per cell) and leave a row whose set genes hold more
distinct values than its work space to a second kernel (:func:`row_tie_blocks`). Both
must give the tie blocks the definition gives, and the scores must not depend on which
kernel ranked a row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import rankdata

import rrscore
from rrscore.ranking._common import gene_slots, row_arrays
from rrscore.ranking._ties import few_work, mostly_many_values, row_tie_blocks_few
from tests.methods.test_aucell import reference as aucell_reference
from tests.methods.test_ucell import r_ucell


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_few_kernel_gives_rankdata_blocks_or_declines(dtype):
    rng = np.random.default_rng(11)
    for _ in range(60):
        n = int(rng.integers(2, 60))
        row = (rng.integers(-3, 6, size=n) * rng.choice([1.0, 0.5])).astype(dtype)
        row[rng.random(n) < 0.5] = 0.0
        row[rng.random(n) < 0.05] = -0.0  # ties with the zeros
        genes = np.unique(rng.integers(0, n, size=int(rng.integers(1, 15))))
        slot_of, slot_genes = gene_slots(genes, n)
        stored = np.flatnonzero(rng.random(n) < 0.7)  # some zeros stored, others implicit
        stored = np.union1d(stored, np.flatnonzero(row != 0))
        data = np.ascontiguousarray(row[stored])
        indices = stored.astype(np.int32)
        # the distinct values the queried genes hold, 0 always among them
        n_distinct = len(np.unique(np.append(row[slot_genes].astype(np.float64), 0.0)))
        for cap in (1, 2, 3, 96):
            start, size, present, which, qs, greater, eq = few_work(len(slot_genes))
            qs, greater, eq = qs[:cap], greater[:cap], eq[:cap]
            done = row_tie_blocks_few(data, indices, n, slot_of, start, size, present, which,
                                      qs, greater, eq)
            assert done == (n_distinct <= cap)
            if done:
                dense = row.astype(np.float64)
                assert np.array_equal(start + 1, rankdata(-dense, "min")[slot_genes])
                assert np.array_equal(start + size, rankdata(-dense, "max")[slot_genes])


def _mixed_cells(seed: int, every: int = 2) -> pd.DataFrame:
    """Cells x genes: log counts (few distinct values), except every ``every``-th cell from
    the second, which holds continuous values (more distinct values among the set genes
    than the few-values kernel takes; ``every=1``: all cells)."""
    rng = np.random.default_rng(seed)
    n_cells, n_genes = 9, 700
    counts = np.log1p(rng.poisson(0.4, size=(n_cells, n_genes)).astype(np.float64))
    continuous = np.round(rng.lognormal(size=(n_cells, n_genes)), 3)
    continuous[rng.random(continuous.shape) < 0.3] = 0.0
    rows = np.arange(n_cells)
    x = np.where(((rows % every == 1) if every > 1 else rows >= 0)[:, None], continuous, counts)
    return pd.DataFrame(x, index=[f"c{i}" for i in range(n_cells)],
                        columns=[f"G{j:04d}" for j in range(n_genes)])


def _sets(genes, seed: int) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed)
    return {f"S{i}": list(rng.choice(genes, size=int(k), replace=False))
            for i, k in enumerate((150, 200, 12, 60))}


@pytest.mark.parametrize("every", [2, 1])
def test_ucell_and_aucell_rows_ranked_by_either_kernel_match_the_definitions(every):
    frame = _mixed_cells(3, every)
    sets = _sets(frame.columns, 4)
    x = frame.to_numpy()
    slot_of, slot_genes = gene_slots(
        np.concatenate([frame.columns.get_indexer(s) for s in sets.values()]), x.shape[1])
    # the continuous cells do need the general kernel, the log-count ones do not
    continuous = (np.arange(len(x)) % every == 1) if every > 1 else np.ones(len(x), bool)
    for r in range(len(x)):
        work = few_work(len(slot_genes))
        done = row_tie_blocks_few(x[r], np.arange(x.shape[1]), x.shape[1], slot_of, *work)
        assert done != continuous[r]
    # a block of mostly continuous cells goes straight to the general kernel
    data, indices, indptr, shared, _ = row_arrays(x)
    assert mostly_many_values(data, indices, indptr, shared, slot_of) == (every == 1)

    adata = pytest.importorskip("anndata").AnnData(
        X=sp.csr_matrix(x), obs=pd.DataFrame(index=frame.index),
        var=pd.DataFrame(index=frame.columns))
    expected_u = r_ucell(x, frame.columns, sets, max_rank=400).to_numpy()
    t = int(np.ceil(0.05 * x.shape[1]))
    expected_auc = aucell_reference(x, frame.columns, sets, t)
    for data, kw in ((frame, {"orient": "genes_columns"}), (adata, {})):
        u = rrscore.score(data, sets, "ucell", low_coverage=0, max_rank=400, **kw)
        np.testing.assert_allclose(u.to_numpy(), expected_u, rtol=0, atol=1e-12)
        auc = rrscore.score(data, sets, "aucell", low_coverage=0, **kw)
        np.testing.assert_allclose(auc.to_numpy(), expected_auc, rtol=0, atol=1e-12)
