"""UCell: R UCell ≥ 2.13.3 semantics on real single cells; pyUCell agreement and deviations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import rankdata

import rrscore
from rrscore.errors import DroppedSetsWarning, RRScoreError
from rrscore.ranking import csr_descending_average_ranks, tie_blocks
from tests.methods.sc_fixtures import MIXOLOGY_SETS, PBMC_SETS, mixology, pbmc68k


def r_ucell(x: np.ndarray, genes, sets, max_rank=1500, w_neg=1.0, missing="impute"):
    """R UCell's ``u_stat`` on ``frankv(-x, ties="average")`` of every full dense row."""
    mr = min(max_rank, x.shape[1])
    index = {g: i for i, g in enumerate(genes)}
    ranks = np.vstack([rankdata(-row, method="average") for row in x])
    out = {}
    for name, sig in sets.items():
        neg = [g[:-1] for g in sig if g.endswith("-")]
        pos = [g for g in sig if not g.endswith("-")]

        def u(part):
            idx = [index.get(g, -1) for g in part]
            if missing == "skip":
                idx = [i for i in idx if i >= 0]
            n = len(idx)
            if n == 0:
                return np.zeros(len(x))
            rank_sum = sum(np.minimum(ranks[:, i], mr) if i >= 0 else mr for i in idx)
            rmin = n * (n + 1) / 2
            return 1 - (rank_sum - rmin) / (n * mr - rmin)

        out[name] = np.maximum(0.0, u(pos) - w_neg * u(neg))
    return pd.DataFrame(out)


def pyucell_scores(adata, sets, max_rank):
    pyucell = pytest.importorskip("pyucell")
    b = adata.copy()
    pyucell.compute_ucell_scores(b, sets, max_rank=max_rank, n_jobs=1)
    return b.obs[[f"{n}_UCell" for n in sets]].to_numpy(dtype=np.float64)


@pytest.fixture(scope="module")
def pbmc():
    return pbmc68k()


@pytest.mark.parametrize(
    ("max_rank", "w_neg", "missing"),
    [(1500, 1.0, "impute"), (100, 1.0, "impute"), (765, 0.5, "skip"), (40, 2.0, "impute")],
)
def test_matches_r_ucell_definition_on_pbmc(pbmc, max_rank, w_neg, missing):
    result = rrscore.score(pbmc, PBMC_SETS, "ucell", max_rank=max_rank, w_neg=w_neg,
                           missing_genes=missing, low_coverage=0)
    ref = r_ucell(pbmc.X.toarray(), pbmc.var_names, PBMC_SETS, max_rank, w_neg, missing)
    assert list(result.columns) == list(PBMC_SETS)
    assert np.abs(result.to_numpy() - ref.to_numpy()).max() <= 1e-12
    assert result.to_numpy().std(axis=0).min() > 0.01  # scores vary across cells


def test_sparse_dense_and_chunking_give_identical_scores(pbmc):
    sparse = rrscore.score(pbmc, PBMC_SETS, "ucell", low_coverage=0)
    dense = rrscore.score(pd.DataFrame(pbmc.X.toarray(), index=pbmc.obs_names,
                                       columns=pbmc.var_names),
                          PBMC_SETS, "ucell", orient="genes_columns", low_coverage=0)
    chunked = rrscore.score(pbmc, PBMC_SETS, "ucell", chunk_size=37, low_coverage=0)
    np.testing.assert_array_equal(sparse.to_numpy(), dense.to_numpy())
    np.testing.assert_array_equal(sparse.to_numpy(), chunked.to_numpy())


def test_agrees_with_pyucell_where_zeros_rank_beyond_max_rank(pbmc):
    # every cell has >= 183 detected genes, so the zeros' average rank is >= 474 > 100:
    # R's rule and pyUCell's "zeros at max_rank" coincide; pyUCell computes in float32
    result = rrscore.score(pbmc, PBMC_SETS, "ucell", max_rank=100, low_coverage=0)
    assert np.abs(result.to_numpy() - pyucell_scores(pbmc, PBMC_SETS, 100)).max() <= 2e-6


def test_known_pyucell_deviation_zero_rank(pbmc):
    """pyUCell pins zeros at max_rank; R gives them their average rank (< 765 here)."""
    sets = {k: v for k, v in PBMC_SETS.items() if k != "NK_not_T"}
    result = rrscore.score(pbmc, sets, "ucell", low_coverage=0)  # max_rank -> 765 genes
    py = pyucell_scores(pbmc, sets, 765)
    x = pbmc.X.toarray()
    n_genes = x.shape[1]
    nnz = (x > 0).sum(axis=1)
    zero_rank = nnz + (n_genes - nnz + 1) / 2  # R's shared rank of a cell's zeros
    index = {g: i for i, g in enumerate(pbmc.var_names)}
    for j, (name, genes) in enumerate(sets.items()):
        idx = [index[g] for g in genes if g in index]
        n = len(genes)  # missing genes are imputed, so they count
        zeros_in_set = (x[:, idx] == 0).sum(axis=1)
        shift = zeros_in_set * (765 - zero_rank) / (n * 765 - n * (n + 1) / 2)
        assert np.abs(result[name].to_numpy() - shift - py[:, j]).max() <= 2e-6, name
    assert np.abs(result.to_numpy() - py).max() > 0.1  # the deviation is real and large


def test_signed_set_is_clipped_and_weighted(pbmc):
    up = {k: v for k, v in PBMC_SETS.items() if k == "NK_not_T"}
    signed = rrscore.score(pbmc, up, "ucell", low_coverage=0)["NK_not_T"]
    no_down = rrscore.score(pbmc, up, "ucell", w_neg=0.0, low_coverage=0)["NK_not_T"]
    up_only = rrscore.score(pbmc, {"up": ["NKG7", "GNLY", "GZMB", "PRF1"]}, "ucell")["up"]
    np.testing.assert_array_equal(no_down.to_numpy(), up_only.to_numpy())
    assert (signed == 0).sum() > 50  # T cells: down part wins, clipped at 0
    assert (signed > 0.2).sum() > 20  # NK cells
    assert (signed <= up_only + 1e-15).all()


def test_missing_genes_impute_versus_skip(pbmc):
    sets = {"with_missing": PBMC_SETS["with_missing"], "present": ["CD3D", "NKG7", "LYZ"]}
    impute = rrscore.score(pbmc, sets, "ucell", low_coverage=0)
    skip = rrscore.score(pbmc, sets, "ucell", missing_genes="skip", low_coverage=0)
    np.testing.assert_array_equal(skip["with_missing"], skip["present"])
    assert (impute["with_missing"] < impute["present"]).all()


def test_signature_longer_than_max_rank_is_an_error(pbmc):
    genes = list(pbmc.var_names[:4]) + ["MISSING_A", "MISSING_B"]  # 6 listed, 4 found
    with pytest.raises(RRScoreError, match=r"more genes \(found or not\) than max_rank=5: "
                                           r"long \(6\); increase max_rank \(up to the 765"):
        rrscore.score(pbmc, {"long": genes}, "ucell", max_rank=5, low_coverage=0)
    ok = rrscore.score(pbmc, {"long": genes}, "ucell", max_rank=6, low_coverage=0)
    assert ok.shape == (700, 1)


def test_only_the_sets_longer_than_max_rank_go(pbmc):
    # R refuses the whole call; rrscore scores the others as they score alone
    short = ["CD3D", "NKG7", "LYZ"]
    long = list(pbmc.var_names[:4]) + ["MISSING_A", "MISSING_B"]
    alone = rrscore.score(pbmc, {"T": short}, "ucell", max_rank=5, low_coverage=0)
    with pytest.warns(DroppedSetsWarning, match=r"long \(6\).*they are NaN"):
        both = rrscore.score(pbmc, {"long": long, "T": short}, "ucell", max_rank=5,
                             low_coverage=0)
    assert both["long"].isna().all()
    np.testing.assert_array_equal(both["T"].to_numpy(), alone["T"].to_numpy())
    cov = rrscore.coverage_report(both)
    assert not cov.loc["long", "kept"] and cov.loc["T", "kept"]


def test_a_set_longer_than_the_data_gets_advice_that_can_work(pbmc):
    small = pbmc[:, :30].copy()  # 30 genes: max_rank is capped at 30
    genes = list(small.var_names) + ["MISSING_A"]
    with pytest.raises(RRScoreError, match=r"than the 30 genes of the data \(max_rank=1500 is "
                                           r"capped there\).*another method"):
        rrscore.score(small, {"all": genes}, "ucell", low_coverage=0)


@pytest.mark.parametrize(
    "params",
    [{"max_rank": 1}, {"max_rank": 10.5}, {"w_neg": -1}, {"w_neg": float("nan")},
     {"missing_genes": "zero"}],
)
def test_invalid_parameters(pbmc, params):
    with pytest.raises(RRScoreError):
        rrscore.score(pbmc, PBMC_SETS, "ucell", low_coverage=0, **params)


def test_tie_blocks_and_average_ranks_match_rankdata():
    """The sparse ranking kernels against scipy on dense rows (negatives, stored zeros)."""
    rng = np.random.default_rng(7)
    for _ in range(30):
        n = int(rng.integers(2, 50))
        x = rng.integers(-2, 4, size=(5, n)) * rng.choice([1.0, 0.25])
        x[rng.random(x.shape) < 0.5] = 0.0
        genes = rng.integers(0, n, size=int(rng.integers(1, 12)))
        m = sp.csr_matrix(x)
        m.data[::3] = 0.0  # explicit zeros must join the zeros' tie block
        dense = m.toarray()
        for values in (dense, m):
            start, size = tie_blocks(values, genes)
            for r in range(5):
                assert np.array_equal(start[r] + 1, rankdata(-dense[r], "min")[genes])
                assert np.array_equal(start[r] + size[r], rankdata(-dense[r], "max")[genes])
        ranks, zero_rank = csr_descending_average_ranks(m)
        for r in range(5):
            full = rankdata(-dense[r], "average")
            a, b = m.indptr[r], m.indptr[r + 1]
            np.testing.assert_allclose(ranks[a:b], full[m.indices[a:b]], rtol=0, atol=0)
            zeros = np.flatnonzero(dense[r] == 0)
            if len(zeros):
                assert zero_rank[r] == full[zeros[0]]


def test_tie_blocks_with_many_distinct_values():
    """Continuous values: more distinct queried values than the linear-count path takes."""
    rng = np.random.default_rng(0)
    x = np.round(rng.normal(size=(6, 800)), 2)  # negatives, some ties
    x[rng.random(x.shape) < 0.4] = 0.0
    genes = rng.choice(800, 400, replace=False)
    for values in (x, sp.csr_matrix(x)):
        start, size = tie_blocks(values, genes)
        for r in range(6):
            assert np.array_equal(start[r] + 1, rankdata(-x[r], "min")[genes])
            assert np.array_equal(start[r] + size[r], rankdata(-x[r], "max")[genes])


def test_mixology_matches_r_definition_and_pyucell():
    adata = mixology()
    result = rrscore.score(adata, MIXOLOGY_SETS, "ucell", low_coverage=0)
    sub = adata[:60]
    ref = r_ucell(sub.X.toarray(), adata.var_names, MIXOLOGY_SETS)
    assert np.abs(result.to_numpy()[:60] - ref.to_numpy()).max() <= 1e-12
    # 15,665 genes: the zeros' rank is always beyond 1500, where pyUCell agrees with R
    assert np.abs(result.to_numpy() - pyucell_scores(adata, MIXOLOGY_SETS, 1500)).max() <= 2e-6
    # biology: NRF2 targets are highest in the KEAP1-mutant A549 line
    by_line = result.groupby(adata.obs["cell_line_demuxlet"].to_numpy()).mean()
    assert by_line["NRF2"].idxmax() == "A549"
