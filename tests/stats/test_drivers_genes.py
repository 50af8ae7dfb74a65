"""Which genes drive a score: the running sums written from the definitions give back
rrscore.score's ssGSEA (sum of the walk) and GSVA (maximum deviation) values, and the per-gene
contributions add up to the ssGSEA score."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.stats import gene_contributions, running_sum

SETS = ("RR_DRIVER_NRF2_TARGETS_UP", "RR_EMT", "RR_APOPTOSIS", "RR_HYPOXIA_UP")


@pytest.fixture(scope="module")
def complete(expr) -> pd.DataFrame:
    return expr.dropna()


@pytest.fixture(scope="module")
def reference(complete):
    return {
        "ssgsea": rrscore.score(complete, "mechanisms", method="ssgsea", normalize=False),
        "gsva": rrscore.score(complete, "mechanisms", method="gsva"),
    }


@pytest.mark.parametrize("walk", ["ssgsea", "gsva"])
def test_the_walk_gives_back_the_score(complete, reference, walk):
    for name in SETS[:3]:
        for sample in complete.columns[[0, 31]]:
            walk_table = running_sum(complete, "mechanisms", name, sample, walk=walk)
            meta = walk_table.attrs["rrscore_stats"]
            expected = reference[walk].loc[sample, name]
            assert meta["score"] == pytest.approx(expected, rel=1e-10, abs=1e-10)
            parts = set(walk_table["part"])
            assert parts == ({"up", "down"} if name in ("RR_EMT", "RR_APOPTOSIS") else {"up"})
            up = walk_table[walk_table["part"] == "up"]
            assert len(up) == len(complete)  # no gene is constant across these samples
            d = up["running_sum"].to_numpy()
            if walk == "ssgsea":
                assert meta["up"]["es"] == pytest.approx(d.sum())
            else:
                assert meta["up"]["es"] == pytest.approx(max(d.max(), 0) + min(d.min(), 0))
            # the walk ends at 0 (all set genes and all others passed)
            assert d[-1] == pytest.approx(0, abs=1e-12)


def test_contributions_add_up_to_the_ssgsea_score(complete, reference):
    sample = complete.columns[5]
    for name in SETS:
        table = gene_contributions(complete, "mechanisms", name, sample)
        assert table["contribution"].sum() == pytest.approx(reference["ssgsea"].loc[sample, name],
                                                            rel=1e-10)
        walk = running_sum(complete, "mechanisms", name, sample)
        for part, rows in table.groupby("part"):
            steps = walk[(walk["part"] == part) & walk["in_set"]]
            assert list(rows.sort_values("position")["gene"]) == list(steps["gene"])
            lead = set(walk.attrs["rrscore_stats"][part]["leading_edge"])
            assert set(rows.loc[rows["in_leading_edge"], "gene"]) == lead
            assert rows["step"].sum() == pytest.approx(1.0)


def test_a_group_summary_is_the_mean_over_its_samples(complete, samples):
    mutant = list(samples.index[samples["mut_KEAP1"] == 1])
    long = gene_contributions(complete, "mechanisms", "RR_DRIVER_NRF2_TARGETS_UP", mutant)
    summary = gene_contributions(complete, "mechanisms", "RR_DRIVER_NRF2_TARGETS_UP", mutant,
                                 summarize=True).set_index("gene")
    expected = long.groupby("gene")[["position", "contribution", "in_leading_edge"]].mean()
    pd.testing.assert_frame_equal(summary.loc[expected.index, expected.columns].astype(float),
                                  expected.astype(float))
    assert summary["sample"].iloc[0] == "mean of 4"
    assert np.all(np.diff(summary["contribution"].to_numpy()) <= 0)
    # NQO1 ranks higher, and the set's genes contribute more, in the KEAP1 mutants
    wild = [s for s in complete.columns if s not in mutant]
    others = gene_contributions(complete, "mechanisms", "RR_DRIVER_NRF2_TARGETS_UP", wild,
                                summarize=True).set_index("gene")
    assert summary.loc["NQO1", "rank_fraction"] > others.loc["NQO1", "rank_fraction"] + 0.2
    assert summary["contribution"].sum() > others["contribution"].sum()
