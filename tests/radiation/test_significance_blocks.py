"""The composite's significance on many samples: blocks of samples, each ranked once.

``significance=`` scores every random set on one block of samples at a time, so each sample
is ranked once for all random sets and memory is bounded by a block's scores. The null z and p
must not depend on the block size, must equal rrscore.stats' (independent code) on sparse
cells as on dense tables, and each sample must be ranked exactly once for the null.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
import rrscore.methods._singscore as singscore
import rrscore.radiation._significance as significance
from rrscore.radiation import radioresistance

SETS = {"REPAIR": ["RAD51", "BRCA2", "XRCC1", "PARP1", "ATM", "LIG4"],
        "HYPOXIA": ["VEGFA", "HIF1A", "CA9", "SLC2A1", "LDHA"]}
N_CELLS, N_PERM = 14, 25


@pytest.fixture(scope="module")
def cells():
    """Sparse log-normalised cells (20 % non-zero, ties at zero), the sets' genes included."""
    rng = np.random.default_rng(8)
    genes = [g for s in SETS.values() for g in s] + [f"FILL{i}" for i in range(189)]
    x = sp.random(N_CELLS, len(genes), density=0.2, random_state=9, format="csr",
                  data_rvs=lambda k: np.round(rng.lognormal(0.5, 0.6, k), 2))
    x = x.astype(np.float32).tolil()
    for j in range(len(genes) - 189):  # every set gene detected in some cell
        x[j % N_CELLS, j] = 1.5
    return sp.csr_matrix(x), genes, [f"cell{i}" for i in range(N_CELLS)]


def _score(data, genes, names, **kw):
    return radioresistance(data, gene_sets=SETS, confounders=False, significance=N_PERM,
                           seed=6, genes=genes, samples=names, map_ids="off", **kw)


@pytest.mark.parametrize("layout", ["csr", "dense_C", "dense_F"])
def test_blocks_of_any_size_give_the_same_null(monkeypatch, cells, layout):
    x, genes, names = cells
    data = {"csr": x, "dense_C": np.ascontiguousarray(x.toarray(), dtype=np.float64),
            "dense_F": np.asfortranarray(x.toarray(), dtype=np.float64)}[layout]
    whole = _score(data, genes, names)
    n_sets = 2 * N_PERM  # two part sizes (6, 0) and (5, 0), one part each
    for rows in (1, 3, N_CELLS - 1):
        monkeypatch.setattr(significance, "NULL_BATCH_VALUES", rows * n_sets)
        pd.testing.assert_frame_equal(_score(data, genes, names), whole, check_exact=True)


def test_sparse_cells_match_rrscore_stats(cells):
    x, genes, names = cells
    scores = _score(x, genes, names)
    stats = rrscore.stats.score_significance(x, SETS, "singscore", n_perm=N_PERM, seed=6,
                                             alternative="two-sided", genes=genes,
                                             samples=names, map_ids="off")
    for name in SETS:
        part = stats[stats["set"] == name].set_index("sample")
        np.testing.assert_allclose(scores[f"{name}_null_z"], part.loc[scores.index, "z"],
                                   atol=1e-12)
        np.testing.assert_allclose(scores[f"{name}_p"], part.loc[scores.index, "pvalue"],
                                   atol=1e-15)


def test_each_sample_is_ranked_once_for_the_null(monkeypatch, cells):
    x, genes, names = cells
    ranked = []
    rank = singscore.selected_ranks_csr

    def counting(block, *args, **kwargs):
        ranked.append(block.shape[0])
        return rank(block, *args, **kwargs)

    monkeypatch.setattr(singscore, "selected_ranks_csr", counting)
    monkeypatch.setattr(significance, "NULL_BATCH_VALUES", 4 * 2 * N_PERM)  # 4 cells a block
    radioresistance(x, gene_sets=SETS, confounders=False, genes=genes, samples=names,
                    map_ids="off")
    without = sum(ranked)
    ranked.clear()
    _score(x, genes, names)
    assert without == N_CELLS
    assert sum(ranked) == 2 * N_CELLS  # the mechanisms once, the null once
