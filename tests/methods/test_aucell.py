"""AUCell: R AUCell's formula on real single cells; the tie rules; decoupler agreement."""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import rankdata

import rrscore
from rrscore.errors import RRScoreError
from rrscore.ranking import random_tie_positions
from tests.methods.sc_fixtures import MIXOLOGY_SETS, PBMC_SETS, mixology, pbmc68k

UNSIGNED = {k: v for k, v in PBMC_SETS.items() if k != "NK_not_T"}


def r_auc(ranks: np.ndarray, idx: list[int], t: int, norm: bool = True) -> float:
    """R AUCell ``.auc`` / ``.AUC.geneSet_norm`` for one cell, given its 1-based ranks."""
    x = np.sort(ranks[idx][ranks[idx] < t])
    auc = np.sum(np.diff(np.append(x, t)) * np.arange(1, len(x) + 1))
    if not norm:
        return auc / (t * len(idx))
    x_th = np.arange(1, len(idx) + 1)
    x_th = x_th[x_th < t]
    return auc / np.sum(np.diff(np.append(x_th, t)) * np.arange(1, len(x_th) + 1))


def expected_auc(x: np.ndarray, idx: list[int], t: int, norm: bool = True) -> float:
    """Mean AUC over all tie orders: a gene takes each rank of its tie block equally often."""
    lo = rankdata(-x, "min")
    hi = rankdata(-x, "max")
    auc = sum(np.mean(np.clip(t - np.arange(lo[g], hi[g] + 1), 0, None)) for g in idx)
    k = len(idx)
    c = min(k, t - 1)
    return auc / (c * t - c * (c + 1) / 2 if norm else t * k)


def tie_bounds(x: np.ndarray, idx: list[int], t: int) -> tuple[float, float]:
    """Smallest and largest AUC any tie order can give (all genes at max / at min rank)."""
    return (r_auc(rankdata(-x, "max"), idx, t), r_auc(rankdata(-x, "min"), idx, t))


def reference(x: np.ndarray, genes, sets, t: int, norm: bool = True) -> np.ndarray:
    index = {g: i for i, g in enumerate(genes)}
    out = np.empty((len(x), len(sets)))
    for j, members in enumerate(sets.values()):
        idx = [index[g] for g in members if g in index]
        out[:, j] = [expected_auc(row, idx, t, norm) for row in x]
    return out


def splitmix_key(seed: int, row: int, genes: np.ndarray) -> np.ndarray:
    """The documented random tie key, written independently in NumPy uint64 arithmetic."""
    def mix(z):
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))

    with np.errstate(over="ignore"):
        h = mix(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
        h = mix(h ^ (np.uint64(row) * np.uint64(0xD6E8FEB86659FD93)))
        return mix(h ^ (genes.astype(np.uint64) * np.uint64(0xA0761D6478BD642F)))


def decoupler_aucell(adata, sets, n_up=None) -> np.ndarray:
    dc = pytest.importorskip("decoupler")
    net = pd.DataFrame([(n, g) for n, s in sets.items() for g in s if g in adata.var_names],
                       columns=["source", "target"])
    b = adata.copy()
    kwargs = {} if n_up is None else {"n_up": n_up}
    dc.mt.aucell(b, net, tmin=1, verbose=False, **kwargs)
    return b.obsm["score_aucell"][list(sets)].to_numpy()


@pytest.fixture(scope="module")
def pbmc():
    return pbmc68k()


@pytest.fixture(scope="module")
def pbmc_dense(pbmc):
    return pbmc.X.toarray().astype(np.float64)


def test_threshold_is_ceiling_of_five_percent(pbmc, pbmc_dense):
    t = math.ceil(0.05 * 765)
    assert t == 39
    default = rrscore.score(pbmc, UNSIGNED, "aucell", low_coverage=0)
    absolute = rrscore.score(pbmc, UNSIGNED, "aucell", auc_max_rank=39, low_coverage=0)
    np.testing.assert_array_equal(default.to_numpy(), absolute.to_numpy())
    ten = rrscore.score(pbmc, UNSIGNED, "aucell", auc_max_rank=0.1, low_coverage=0)
    ref = reference(pbmc_dense[:100], pbmc.var_names, UNSIGNED, 77)  # ceil(76.5)
    assert np.abs(ten.to_numpy()[:100] - ref).max() <= 1e-12


@pytest.mark.parametrize("norm", [True, False])
def test_expected_auc_matches_the_average_over_tie_orders(pbmc, pbmc_dense, norm):
    result = rrscore.score(pbmc, UNSIGNED, "aucell", norm_auc=norm, low_coverage=0)
    ref = reference(pbmc_dense, pbmc.var_names, UNSIGNED, 39, norm)
    assert np.abs(result.to_numpy() - ref).max() <= 1e-12
    assert np.nanmax(result.to_numpy()) > 0.3


def test_equals_r_formula_with_any_tie_order_where_ties_do_not_matter(pbmc, pbmc_dense):
    result = rrscore.score(pbmc, UNSIGNED, "aucell", low_coverage=0).to_numpy()
    index = {g: i for i, g in enumerate(pbmc.var_names)}
    rng = np.random.default_rng(3)
    invariant = affected = 0
    for j, members in enumerate(UNSIGNED.values()):
        idx = [index[g] for g in members if g in index]
        for c, x in enumerate(pbmc_dense):
            lo, hi = tie_bounds(x, idx, 39)
            assert lo - 1e-12 <= result[c, j] <= hi + 1e-12  # the expectation lies between
            if lo == hi:
                # R: colRanks(-x, ties.method="random"); any draw gives the same AUC here
                ranks = np.empty(len(x))
                ranks[np.lexsort((rng.random(len(x)), -x))] = np.arange(1, len(x) + 1)
                assert abs(result[c, j] - r_auc(ranks, idx, 39)) <= 1e-12
                invariant += 1
            else:
                affected += 1
    assert invariant > 2000 and affected > 1000  # both cases are common in this real data


def test_expected_auc_is_the_exact_mean_over_all_permutations_of_a_tie():
    # one cell, 40 genes, T = 2 (5 %): a block of 5 tied genes straddles the threshold
    x = np.array([9.0, 8.0] + [3.0] * 5 + [0.0] * 33)
    sets = {"s": ["g2", "g4", "g10"]}
    genes = [f"g{i}" for i in range(40)]
    t = 3
    frame = pd.DataFrame(x[None, :], columns=genes)
    got = rrscore.score(frame, sets, "aucell", auc_max_rank=t, orient="genes_columns")
    tied = list(range(2, 7))
    aucs = []
    for perm in itertools.permutations(range(5)):
        ranks = np.arange(1, 41, dtype=float)
        ranks[tied] = 3 + np.array(perm)
        aucs.append(r_auc(ranks, [2, 4, 10], t))
    assert abs(got.iloc[0, 0] - np.mean(aucs)) <= 1e-15


def test_random_ties_reproduce_a_seeded_order(pbmc, pbmc_dense):
    a = rrscore.score(pbmc, UNSIGNED, "aucell", ties="random", random_state=5, low_coverage=0)
    b = rrscore.score(pbmc, UNSIGNED, "aucell", ties="random", random_state=5, chunk_size=50,
                      low_coverage=0)
    c = rrscore.score(pbmc, UNSIGNED, "aucell", ties="random", random_state=6, low_coverage=0)
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    assert (a.to_numpy() != c.to_numpy()).sum() > 20
    # the same draw by an independent implementation: order by (-x, documented hash key)
    index = {g: i for i, g in enumerate(pbmc.var_names)}
    for cell in range(0, 700, 7):
        x = pbmc_dense[cell]
        keys = splitmix_key(5, cell, np.arange(len(x)))
        ranks = np.empty(len(x))
        ranks[np.lexsort((keys, -x))] = np.arange(1, len(x) + 1)
        for j, members in enumerate(UNSIGNED.values()):
            idx = [index[g] for g in members if g in index]
            assert abs(a.iloc[cell, j] - r_auc(ranks, idx, 39)) <= 1e-12


def test_random_tie_positions_are_a_permutation_within_tie_blocks():
    rng = np.random.default_rng(11)
    for _ in range(25):
        n = int(rng.integers(2, 40))
        x = rng.integers(-1, 3, size=(4, n)).astype(float)
        x[rng.random(x.shape) < 0.5] = 0.0
        for values in (x, sp.csr_matrix(x)):
            pos = random_tie_positions(values, np.arange(n), seed=int(rng.integers(1000)),
                                       row_offset=3)
            for r in range(4):
                assert sorted(pos[r]) == list(range(1, n + 1))
                assert (pos[r] >= rankdata(-x[r], "min")).all()
                assert (pos[r] <= rankdata(-x[r], "max")).all()
    x = np.zeros((1, 30))
    x[0, :3] = 1.0
    limited = random_tie_positions(x, np.arange(30), seed=1, limit=2)
    assert (limited[0, 3:] == 4).all()  # the zeros' block starts beyond the limit


def test_sparse_and_dense_input_agree_in_both_tie_modes(pbmc, pbmc_dense):
    frame = pd.DataFrame(pbmc_dense, index=pbmc.obs_names, columns=pbmc.var_names)
    for kw in ({}, {"ties": "random", "random_state": 2}):
        sparse = rrscore.score(pbmc, UNSIGNED, "aucell", low_coverage=0, **kw)
        dense = rrscore.score(frame, UNSIGNED, "aucell", orient="genes_columns",
                              low_coverage=0, **kw)
        np.testing.assert_array_equal(sparse.to_numpy(), dense.to_numpy())


def test_agrees_with_decoupler_where_ties_do_not_matter(pbmc, pbmc_dense):
    ours = rrscore.score(pbmc, UNSIGNED, "aucell", low_coverage=0).to_numpy()
    theirs = decoupler_aucell(pbmc, UNSIGNED)
    index = {g: i for i, g in enumerate(pbmc.var_names)}
    same = np.zeros_like(ours, dtype=bool)
    for j, members in enumerate(UNSIGNED.values()):
        idx = [index[g] for g in members if g in index]
        same[:, j] = [np.subtract(*tie_bounds(x, idx, 39)) == 0 for x in pbmc_dense]
    assert same.mean() > 0.6
    assert np.abs(ours[same] - theirs[same]).max() <= 1e-12
    assert np.abs(ours[~same] - theirs[~same]).max() > 0  # decoupler's own tie order


def test_signed_set_is_up_minus_down(pbmc):
    signed = rrscore.score(pbmc, {"s": PBMC_SETS["NK_not_T"]}, "aucell")["s"]
    parts = rrscore.score(pbmc, {"up": ["NKG7", "GNLY", "GZMB", "PRF1"],
                                 "down": ["CD3D", "CD3E", "IL7R"]}, "aucell")
    np.testing.assert_allclose(signed, parts["up"] - parts["down"], rtol=0, atol=1e-15)
    assert signed.min() < -0.2 and signed.max() > 0.2


def test_sets_with_80_percent_missing_are_nan_as_in_r(pbmc):
    sets = {"ok": UNSIGNED["NK"], "four_of_five_missing": ["CD3D", "NA1", "NA2", "NA3", "NA4"],
            "three_of_five_missing": ["CD3D", "CD3E", "NA1", "NA2", "NA3"]}
    with pytest.warns(UserWarning, match="four_of_five_missing"):
        result = rrscore.score(pbmc, sets, "aucell", low_coverage=0)
    assert result["four_of_five_missing"].isna().all()
    assert result["three_of_five_missing"].notna().all()
    assert result["ok"].notna().all()
    with pytest.raises(RRScoreError, match="80%"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rrscore.score(pbmc, {"bad": sets["four_of_five_missing"]}, "aucell")


@pytest.mark.parametrize(
    "params",
    [{"auc_max_rank": 0}, {"auc_max_rank": -0.1}, {"auc_max_rank": 1}, {"ties": "first"},
     {"random_state": -1}, {"random_state": 1.5}, {"norm_auc": "yes"}],
)
def test_invalid_parameters(pbmc, params):
    with pytest.raises(RRScoreError):
        rrscore.score(pbmc, UNSIGNED, "aucell", low_coverage=0, **params)


def test_mixology_matches_reference_and_decoupler():
    adata = mixology()
    sets = {k: v for k, v in MIXOLOGY_SETS.items() if not k.startswith("signed")}
    t = math.ceil(0.05 * adata.n_vars)  # 784
    result = rrscore.score(adata, sets, "aucell", low_coverage=0)
    sub = adata[:40].X.toarray()
    assert np.abs(result.to_numpy()[:40] - reference(sub, adata.var_names, sets, t)).max() <= 1e-12
    # decoupler on cells where no tie reaches the top T for these sets
    cells = adata[:120]
    theirs = decoupler_aucell(cells, sets, n_up=t)
    ours = result.to_numpy()[:120]
    x = cells.X.toarray()
    index = {g: i for i, g in enumerate(adata.var_names)}
    same = np.zeros_like(ours, dtype=bool)
    for j, members in enumerate(sets.values()):
        idx = [index[g] for g in members if g in index]
        same[:, j] = [np.subtract(*tie_bounds(row, idx, t)) == 0 for row in x]
    assert same.sum() > 30
    assert np.abs(ours[same] - theirs[same]).max() <= 1e-12
    by_line = result.groupby(adata.obs["cell_line_demuxlet"].to_numpy()).mean()
    assert by_line["NRF2"].idxmax() == "A549"
