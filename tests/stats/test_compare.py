"""rrscore.compare against scipy on the bundled TCGA cohort and the shared STAR counts."""

from __future__ import annotations

import math
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

import rrscore
from rrscore.errors import RRScoreError, StatisticsWarning
from rrscore.stats import compare

MECHANISMS = ["RR_DNA_REPAIR", "RR_HYPOXIA", "RR_EMT", "RR_DRIVER_NRF2_TARGETS", "composite"]


def bh(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg written out: p * m / rank, cumulative minimum from the top."""
    p = np.asarray(p, dtype=float)
    m = len(p)
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1)
    return out


def hedges(x, y):
    n1, n2 = len(x), len(y)
    df = n1 + n2 - 2
    s = math.sqrt(((n1 - 1) * np.var(x, ddof=1) + (n2 - 1) * np.var(y, ddof=1)) / df)
    j = special.gamma(df / 2) / (math.sqrt(df / 2) * special.gamma((df - 1) / 2))
    return j * (np.mean(x) - np.mean(y)) / s


def test_keap1_mutants_every_mechanism_equals_scipy_and_nrf2_comes_first(rr):
    result = compare(rr, "driver_KEAP1_NFE2L2")
    mutant = rr["driver_KEAP1_NFE2L2"] == 1
    assert mutant.sum() == 4
    expected_cols = [c for c in rr.columns if c.startswith("RR_") or c in (
        "composite", "proliferation", "stromal", "immune")]
    assert list(result["score"]) == expected_cols
    assert set(result["group"]) == {"1"} and set(result["reference"]) == {"0"}
    for row in result.itertuples():
        x = rr.loc[mutant, row.score].to_numpy()
        y = rr.loc[~mutant, row.score].to_numpy()
        ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
        assert row.test == "mannwhitney-exact"
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
        assert row.statistic == ref.statistic
        pairs = np.sign(x[:, None] - y[None, :])
        assert row.auc == pytest.approx(((pairs > 0).sum() + 0.5 * (pairs == 0).sum()) / pairs.size)
        assert row.cliff_delta == pytest.approx(pairs.mean())
        assert row.hedges_g == pytest.approx(hedges(x, y), rel=1e-10)
        assert row.difference == pytest.approx(x.mean() - y.mean())
        # Welch interval written out
        v1, v2 = np.var(x, ddof=1) / len(x), np.var(y, ddof=1) / len(y)
        df = (v1 + v2) ** 2 / (v1 ** 2 / (len(x) - 1) + v2 ** 2 / (len(y) - 1))
        half = stats.t.ppf(0.975, df) * math.sqrt(v1 + v2)
        assert (row.ci_low, row.ci_high) == pytest.approx((x.mean() - y.mean() - half,
                                                           x.mean() - y.mean() + half))
    np.testing.assert_allclose(result["qvalue"], bh(result["pvalue"].to_numpy()), rtol=1e-12)
    top = result.sort_values("pvalue").iloc[0]
    assert top["score"] == "RR_DRIVER_NRF2_TARGETS" and top["difference"] > 1


def test_welch_and_one_sided_tests_equal_scipy(rr, samples):
    result = compare(rr, samples["mut_TP53"], test="welch", alternative="greater",
                     sets=MECHANISMS)
    mutant = samples.loc[rr.index, "mut_TP53"] == 1
    for row in result.itertuples():
        ref = stats.ttest_ind(rr.loc[mutant, row.score], rr.loc[~mutant, row.score],
                              equal_var=False, alternative="greater")
        assert row.test == "welch"
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
        assert row.statistic == pytest.approx(ref.statistic, rel=1e-12)


def test_ties_use_the_asymptotic_test_with_tie_correction(rr):
    rounded = rr[MECHANISMS].round(0)
    result = compare(rounded, rr["driver_KEAP1_NFE2L2"])
    mutant = rr["driver_KEAP1_NFE2L2"] == 1
    for row in result.itertuples():
        x, y = rounded.loc[mutant, row.score], rounded.loc[~mutant, row.score]
        assert row.test == "mannwhitney-asymptotic"
        ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-12)


def test_one_vs_rest_mutation_table_and_patient_level_labels(rr, samples):
    # a mutation table: one grouping per column
    table = samples[["mut_KRAS", "mut_STK11"]]
    result = compare(rr, table, sets=["composite"])
    assert list(result["grouping"]) == ["mut_KRAS", "mut_STK11"]
    # labels indexed by patient (12 characters) reach the sample rows
    stage = samples.set_index("patient")["pathologic_stage"]
    by_stage = compare(rr, stage, sets=["composite"])
    assert set(by_stage["reference"]) == {"rest"}
    labels = samples.loc[rr.index, "pathologic_stage"]
    for row in by_stage.itertuples():
        x = rr.loc[labels == row.group, "composite"]
        y = rr.loc[labels.notna() & (labels != row.group), "composite"]
        assert (row.n_group, row.n_reference) == (len(x), len(y))
        method = "exact" if row.test.endswith("exact") else "asymptotic"
        assert row.pvalue == pytest.approx(stats.mannwhitneyu(x, y, method=method).pvalue)
    contrast = compare(rr, stage, sets=MECHANISMS, fdr="contrast")
    for _, part in contrast.groupby("group"):
        np.testing.assert_allclose(part["qvalue"], bh(part["pvalue"].to_numpy()))


def test_tumour_vs_normal_unpaired_and_paired_on_star_counts(star):
    counts, annotation = star
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = rrscore.score(counts, "mechanisms", method="singscore")
    sets = list(scores.columns[:6])
    unpaired = compare(scores, annotation["sample_type"], group="tumor", sets=sets)
    tumour = annotation.loc[scores.index, "sample_type"] == "tumor"
    for row in unpaired.itertuples():
        ref = stats.mannwhitneyu(scores.loc[tumour, row.score], scores.loc[~tumour, row.score],
                                 method="exact")
        assert (row.n_group, row.n_reference) == (16, 16)
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-12)
    paired = compare(scores, annotation["sample_type"], group="tumor", sets=sets,
                     pair_key=annotation["patient"])
    both = annotation.groupby("patient")["sample_type"].nunique()
    patients = both.index[both == 2]
    assert len(patients) == 4
    for row in paired.itertuples():
        t = annotation[(annotation.patient.isin(patients)) & (annotation.sample_type == "tumor")]
        n = annotation[(annotation.patient.isin(patients)) & (annotation.sample_type == "normal")]
        d = (scores.loc[t.index, row.score].to_numpy() -
             scores.loc[n.set_index("patient").loc[t.patient].index.map(
                 dict(zip(n.patient, n.index, strict=True))), row.score].to_numpy())
        assert row.n_pairs == 4
        assert row.test == "wilcoxon-exact"
        assert row.pvalue == pytest.approx(stats.wilcoxon(d, method="exact").pvalue)
        assert row.difference == pytest.approx(d.mean())


@pytest.fixture(scope="module")
def cells(rr) -> ad.AnnData:
    """A toy single-cell layout over real scores: each tumour's scores as 3 'cells' with
    small offsets, tumours as samples, KEAP1 status as the grouping."""
    rng = np.random.default_rng(0)
    table = rr[MECHANISMS]
    rows = np.repeat(np.arange(len(table)), 3)
    values = table.to_numpy()[rows] + rng.normal(0, 0.1, (len(rows), len(MECHANISMS)))
    obs = pd.DataFrame({"patient": table.index[rows],
                        "keap1": rr["driver_KEAP1_NFE2L2"].to_numpy()[rows].astype(int)},
                       index=[f"cell{i}" for i in range(len(rows))])
    adata = ad.AnnData(np.zeros((len(rows), 1)), obs=obs)
    adata.obsm["rrscore"] = pd.DataFrame(values, index=obs.index, columns=MECHANISMS)
    return adata


def test_cells_are_not_replicates_unless_asked(cells):
    with pytest.raises(RRScoreError, match="sample_key"):
        compare(cells, "keap1")
    with pytest.warns(StatisticsWarning, match="pseudoreplication"):
        as_cells = compare(cells, "keap1", replicates="cells")
    assert as_cells["n_group"].iloc[0] == 12 and set(as_cells["unit"]) == {"cells"}


def test_sample_key_tests_the_mean_score_of_each_sample(cells):
    result = compare(cells, "keap1", sample_key="patient")
    table = cells.obsm["rrscore"].assign(patient=cells.obs["patient"], keap1=cells.obs["keap1"])
    means = table.groupby("patient").mean()
    for row in result.itertuples():
        x = means.loc[means.keap1 == 1, row.score]
        y = means.loc[means.keap1 == 0, row.score]
        assert (row.n_group, row.n_reference, row.unit) == (4, 28, "pseudobulk")
        assert row.pvalue == pytest.approx(stats.mannwhitneyu(x, y, method="exact").pvalue)
        assert row.difference == pytest.approx(x.mean() - y.mean())


def test_errors_name_the_problem(rr):
    with pytest.raises(RRScoreError, match="no level"):
        compare(rr, "driver_KEAP1_NFE2L2", group="mutant")
    with pytest.raises(RRScoreError, match="test must be"):
        compare(rr, "driver_KEAP1_NFE2L2", test="ttest")
    with pytest.raises(RRScoreError, match="two groups"):
        compare(rr, pd.Series("a", index=rr.index))


def test_rows_without_a_group_are_said_and_an_all_missing_grouping_is_named(rr):
    groups = pd.DataFrame({"grp": ["A", "B"] * 10 + [None] * (len(rr) - 20)}, index=rr.index)
    with pytest.warns(StatisticsWarning, match=rf"'grp': {len(rr) - 20} of {len(rr)} rows have "
                                               r"no group"):
        got = compare(rr, "grp", obs=groups, sets=["composite"])
    a = rr["composite"][groups["grp"] == "A"]
    b = rr["composite"][groups["grp"] == "B"]
    expected = stats.mannwhitneyu(b, a, method="exact").pvalue
    assert got["pvalue"].iloc[0] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(RRScoreError, match=r"'grp' has no group for any of its .* every value "
                                           r"is missing"):
        compare(rr, "grp", obs=groups.assign(grp=None), sets=["composite"])
