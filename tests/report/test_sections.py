"""The report's computed sections: group comparisons (rrscore.stats.compare or the plain
Mann–Whitney + BH fallback) against scipy, and the confounder section."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from rrscore.report import _compare, _sections


@pytest.fixture
def table():
    rng = np.random.default_rng(7)
    index = [f"s{i}" for i in range(24)]
    scores = pd.DataFrame({"A": rng.normal(size=24), "composite": rng.normal(size=24)},
                          index=index)
    scores.loc[index[:8], "A"] += 1.5  # group "x" is higher on A
    groups = pd.Series(pd.Categorical(["x"] * 8 + ["y"] * 8 + ["z"] * 8,
                                      categories=["x", "y", "z", "empty"]),
                       index=index, name="grp")
    return scores, groups


def _bh(p: np.ndarray) -> np.ndarray:
    """Benjamini–Hochberg written out: p_(i) m / i, made monotone from the top."""
    order = np.argsort(p)
    ranked = p[order] * len(p) / np.arange(1, len(p) + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1].clip(max=1)
    out = np.empty_like(q)
    out[order] = q
    return out


def test_fallback_matches_scipy_and_bh(table):
    scores, groups = table
    result = _compare.mann_whitney_bh(scores, groups)
    assert list(result.columns) == list(_compare.COLUMNS)
    assert list(result["group"].unique()) == ["x", "y", "z"]  # the empty category is gone
    for row in result.itertuples():
        inside = (groups == row.group).to_numpy()
        a, b = scores[row.score].to_numpy()[inside], scores[row.score].to_numpy()[~inside]
        test = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
        assert row.p == pytest.approx(test.pvalue, rel=1e-12)
        assert row.auc == pytest.approx(test.statistic / (len(a) * len(b)), rel=1e-12)
        assert row.difference == pytest.approx(a.mean() - b.mean(), rel=1e-12)
        pooled = np.sqrt(((len(a) - 1) * a.var(ddof=1) + (len(b) - 1) * b.var(ddof=1))
                         / (len(a) + len(b) - 2))
        j = 1 - 3 / (4 * (len(a) + len(b)) - 9)
        assert row.hedges_g == pytest.approx((a.mean() - b.mean()) / pooled * j, rel=1e-12)
    np.testing.assert_allclose(result["q"], _bh(result["p"].to_numpy()), rtol=1e-12)
    top = result.sort_values("p").iloc[0]
    assert (top["score"], top["group"]) == ("A", "x")


def test_compare_groups_gives_the_report_columns_either_way(table, monkeypatch):
    scores, groups = table
    used, how = _compare.compare_groups(scores, groups)
    for column in ("score", "group", "n_group", "n_rest", "mean_group", "mean_rest",
                   "difference", "auc", "p", "q"):
        assert column in used.columns
    # both implementations answer the same one-vs-rest question with the same test
    monkeypatch.setitem(sys.modules, "rrscore.stats", None)  # as if it were not installed
    fallback, how_fallback = _compare.compare_groups(scores, groups)
    assert "Mann–Whitney" in how_fallback
    merged = used.merge(fallback, on=["score", "group"], suffixes=("", "_fallback"))
    assert len(merged) == len(fallback)
    np.testing.assert_allclose(merged["p"], merged["p_fallback"], rtol=1e-10)
    np.testing.assert_allclose(merged["auc"], merged["auc_fallback"], rtol=1e-12)


def test_confounders_section_only_when_columns_exist(table):
    scores, _ = table
    assert _sections.confounders_section(scores) is None
    rng = np.random.default_rng(1)
    with_conf = scores.assign(proliferation=rng.normal(size=len(scores)),
                              confounder_purity=rng.uniform(size=len(scores)))
    section = _sections.confounders_section(with_conf)
    rows = {r[0]: r for r in section["table"]["rows"]}
    assert set(rows) == {"proliferation", "confounder_purity"}
    rho = stats.spearmanr(with_conf["proliferation"], with_conf["composite"]).statistic
    assert rows["proliferation"][3] == f"{rho:.3g}"


def test_cells_are_formatted_with_three_significant_digits():
    assert _sections.fmt(0.000123456) == "0.000123"
    assert _sections.fmt(123456.0) == "1.23e+05"
    assert _sections.fmt(np.nan) == "–"
    assert _sections.fmt(np.int64(7)) == "7"
    assert _sections.fmt(True) == "yes"
