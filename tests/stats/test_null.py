"""Per-sample significance against size-matched random gene sets: the documented procedure
reproduced step by step (random sets drawn with the seeded Generator, scored by
rrscore.score), the empirical p and z by hand; batching does not change them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError
from rrscore.genesets import GeneSet, GeneSetCollection
from rrscore.stats import _null, score_significance

N_PERM = 40


@pytest.fixture(scope="module")
def complete(expr) -> pd.DataFrame:
    return expr.dropna()


@pytest.fixture(scope="module")
def sets() -> GeneSetCollection:
    mechanisms = rrscore.genesets.load("mechanisms")
    return GeneSetCollection(tuple(mechanisms[n] for n in (
        "RR_DRIVER_NRF2_TARGETS_UP", "RR_EMT", "RR_HYPOXIA_UP", "RR_IMMUNE_UP")))


def by_hand(data: pd.DataFrame, sets, seed: int, n_perm: int, method="singscore", **params):
    """The null as the module describes it, one size at a time."""
    observed = rrscore.score(data, sets, method, **params)
    coverage = rrscore.coverage_report(observed)
    genes = np.asarray(data.index.astype(str))
    sizes = sorted({(int(r.n_up), int(r.n_down)) for r in coverage.itertuples()})
    rng = np.random.default_rng(seed)
    null = {}
    for n_up, n_down in sizes:
        draws = [rng.choice(len(genes), size=n_up + n_down, replace=False)
                 for _ in range(n_perm)]
        random_sets = GeneSetCollection(tuple(
            GeneSet(f"r{j}", tuple(genes[d[:n_up]]), tuple(genes[d[n_up:]]))
            for j, d in enumerate(draws)))
        null[(n_up, n_down)] = rrscore.score(data, random_sets, method, **params).to_numpy()
    rows = []
    for name in observed.columns:
        key = (int(coverage.loc[name, "n_up"]), int(coverage.loc[name, "n_down"]))
        values = null[key]
        obs = observed[name].to_numpy()
        p = (1 + (values >= obs[:, None]).sum(axis=1)) / (1 + n_perm)
        z = (obs - values.mean(axis=1)) / values.std(axis=1, ddof=1)
        rows.append(pd.DataFrame({"sample": observed.index, "set": name, "score": obs,
                                  "z": z, "pvalue": p}))
    return pd.concat(rows, ignore_index=True)


def test_empirical_p_and_z_equal_the_procedure_by_hand(complete, sets, samples, monkeypatch):
    # a small batch forces several scoring calls that mix set sizes
    monkeypatch.setattr(_null, "NULL_BATCH_VALUES", complete.shape[1] * 57)
    result = score_significance(complete, sets, n_perm=N_PERM, seed=11)
    expected = by_hand(complete, sets, seed=11, n_perm=N_PERM)
    assert result.attrs["rrscore_stats"]["n_genes_drawn_from"] == len(complete)
    np.testing.assert_allclose(result["score"], expected["score"])
    np.testing.assert_allclose(result["pvalue"], expected["pvalue"], rtol=0, atol=0)
    np.testing.assert_allclose(result["z"], expected["z"], rtol=1e-9)
    assert result["pvalue"].min() >= 1 / (N_PERM + 1)
    # NRF2 targets stand out from random sets more in the KEAP1/NFE2L2-mutant tumours
    mutant = samples.index[(samples["mut_KEAP1"] == 1) | (samples["mut_NFE2L2"] == 1)]
    nrf2 = result[result["set"] == "RR_DRIVER_NRF2_TARGETS_UP"].set_index("sample")
    wild = nrf2.drop(index=mutant)
    assert (nrf2.loc[mutant, "z"] > wild["z"].max()).sum() >= 2
    assert nrf2.loc[mutant, "z"].mean() > wild["z"].mean() + 1
    # q-values: BH across the samples of each set
    from scipy.stats import false_discovery_control

    np.testing.assert_allclose(nrf2["qvalue"], false_discovery_control(nrf2["pvalue"]))


def test_one_batch_or_many_give_the_same_null(complete, sets):
    whole = score_significance(complete, sets, n_perm=15, seed=3)
    _null_batch = _null.NULL_BATCH_VALUES
    try:
        _null.NULL_BATCH_VALUES = complete.shape[1] * 23
        pieces = score_significance(complete, sets, n_perm=15, seed=3)
    finally:
        _null.NULL_BATCH_VALUES = _null_batch
    pd.testing.assert_frame_equal(whole, pieces)


def test_only_sample_independent_methods(complete, sets):
    with pytest.raises(RRScoreError, match="sample-independent"):
        score_significance(complete, sets, method="gsva", n_perm=5)
    with pytest.raises(RRScoreError, match="normalize=False"):
        score_significance(complete, sets, method="ssgsea", n_perm=5)
    ok = score_significance(complete, sets, method="ssgsea", normalize=False, n_perm=5)
    expected = by_hand(complete, sets, seed=0, n_perm=5, method="ssgsea", normalize=False)
    np.testing.assert_allclose(ok["pvalue"], expected["pvalue"])
