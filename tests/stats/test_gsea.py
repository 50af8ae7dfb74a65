"""Preranked GSEA: rrscore's ranking statistics against scipy and gseapy, the enrichment
scores against the weighted Kolmogorov-Smirnov statistic written out, offline on the bundled
cohort and sets."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import rrscore
from rrscore.errors import StatisticsWarning
from rrscore.stats import gsea_prerank, ranking_statistic

gseapy = pytest.importorskip("gseapy")


@pytest.fixture(scope="module")
def complete(expr) -> pd.DataFrame:
    return expr.dropna()


@pytest.fixture(scope="module")
def nrf2_mutant(samples) -> pd.Series:
    return samples[["mut_KEAP1", "mut_NFE2L2"]].max(axis=1).rename("KEAP1_NFE2L2")


@pytest.fixture(scope="module")
def keap1_gsea(complete, nrf2_mutant):
    return gsea_prerank(complete, nrf2_mutant, permutation_num=100, seed=7)


def test_welch_t_signal_to_noise_and_difference_per_gene(complete, samples):
    mutant = samples.loc[complete.columns, "mut_KEAP1"] == 1
    welch = ranking_statistic(complete, samples["mut_KEAP1"])
    ref = stats.ttest_ind(complete.loc[:, mutant], complete.loc[:, ~mutant], axis=1,
                          equal_var=False).statistic
    ref = pd.Series(ref, index=complete.index).dropna()
    assert len(welch) == len(ref)
    np.testing.assert_allclose(welch.to_numpy(), ref.reindex(welch.index).to_numpy(), rtol=1e-10)
    assert welch.is_monotonic_decreasing
    assert welch.attrs["rrscore_stats"]["n_group"] == 4

    from gseapy.gsea import GSEA

    classes = {k: ("mut" if v == 1 else "wt") for k, v in samples["mut_KEAP1"].items()}
    _, s2n = GSEA.calc_metric(None, complete, "signal_to_noise", "mut", "wt", classes, False)
    ours = ranking_statistic(complete, samples["mut_KEAP1"], metric="signal_to_noise")
    np.testing.assert_allclose(ours.to_numpy(), s2n.reindex(ours.index).to_numpy(), rtol=1e-10)
    diff = ranking_statistic(complete, samples["mut_KEAP1"], metric="difference")
    expected = complete.loc[:, mutant].mean(axis=1) - complete.loc[:, ~mutant].mean(axis=1)
    np.testing.assert_allclose(diff.to_numpy(), expected.reindex(diff.index).to_numpy())


def weighted_ks(ranking: pd.Series, genes: list[str]) -> float:
    """GSEA's enrichment score (weight 1) written out: the walk's largest deviation."""
    r = ranking.sort_values(ascending=False)
    hit = r.index.isin(genes)
    w = np.abs(r.to_numpy()) * hit
    walk = np.cumsum(w) / w.sum() - np.cumsum(~hit) / (~hit).sum()
    return float(walk[np.argmax(np.abs(walk))])


def test_prerank_runs_offline_with_nes_fdr_and_leading_edge(keap1_gsea):
    table = keap1_gsea.table
    assert {"es", "nes", "fdr", "pvalue", "leading_edge"} <= set(table.columns)
    top = table.iloc[0]
    assert top["set"] == "RR_DRIVER_NRF2_TARGETS_UP"
    assert top["nes"] > 1.5 and top["fdr"] < 0.05
    lead = top["leading_edge"].split(";")
    assert {"NQO1", "GCLM"} <= set(lead)
    assert set(lead) <= set(keap1_gsea.gene_sets[top["set"]])
    for row in table.itertuples():
        assert row.es == pytest.approx(weighted_ks(keap1_gsea.ranking,
                                                   keap1_gsea.gene_sets[row.set]), abs=1e-6)
    # a signed set's parts are run as two sets
    emt = table[table["parent"] == "RR_EMT"].set_index("part")
    assert set(emt.index) == {"up", "down"}
    assert set(emt["set"]) == {"RR_EMT_UP", "RR_EMT_DN"}
    assert not table["circular"].any()


def test_prerank_on_a_ready_ranking_and_gseapy_plots(keap1_gsea, tmp_path):
    again = gsea_prerank(keap1_gsea.ranking, permutation_num=100, seed=7)
    pd.testing.assert_frame_equal(again.table[["set", "es", "nes", "fdr"]],
                                  keap1_gsea.table[["set", "es", "nes", "fdr"]])
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    out = tmp_path / "nrf2.png"
    keap1_gsea.plot("RR_DRIVER_NRF2_TARGETS_UP", ofname=str(out))
    assert out.stat().st_size > 5_000
    axes = keap1_gsea.gseaplot("RR_DRIVER_NRF2_TARGETS_UP")
    assert axes is not None


def test_groups_cut_from_a_tested_score_are_flagged_circular(complete):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nrf2 = rrscore.score(complete, "mechanisms", method="singscore")["RR_HYPOXIA_UP"]
    high = rrscore.assign_groups(nrf2, quantiles=(0.5,))
    with pytest.warns(StatisticsWarning, match="perfectly separated by the score of RR_HYPOXIA_UP"):
        gsea_prerank(complete, high, permutation_num=20, seed=1)
    with pytest.warns(StatisticsWarning, match="circular"):
        marked = gsea_prerank(complete, high, permutation_num=20, seed=1,
                              derived_from="RR_HYPOXIA_UP")
    circular = marked.table.set_index("set")["circular"]
    assert circular["RR_HYPOXIA_UP"]
    assert not circular["RR_DRIVER_NRF2_TARGETS_UP"]
