"""rrscore.pl.forest, volcano, km and running_sum draw the numbers of the stats tables."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import rrscore.pl as pl  # noqa: E402
from rrscore.stats import compare, kaplan_meier, running_sum, survival  # noqa: E402


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _points(ax) -> np.ndarray:
    from matplotlib.collections import PathCollection

    return np.concatenate([c.get_offsets() for c in ax.collections
                           if isinstance(c, PathCollection) and len(c.get_offsets())])


def test_forest_draws_each_effect_and_interval(rr, tmp_path):
    table = compare(rr, "driver_KEAP1_NFE2L2")
    ax = pl.forest(table, show=False, save=tmp_path / "forest.png")
    points = _points(ax)
    assert sorted(points[:, 0]) == pytest.approx(sorted(table["difference"]))
    segments = [s for c in ax.collections if hasattr(c, "get_segments") for s in c.get_segments()]
    lows = sorted(seg[0][0] for seg in segments if len(seg) == 2 and seg[0][1] == seg[1][1])
    assert lows == pytest.approx(sorted(table["ci_low"]))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1].startswith("RR_DRIVER_NRF2_TARGETS")  # largest difference on top
    assert (tmp_path / "forest.png").stat().st_size > 5_000


def test_forest_of_hazard_ratios_and_of_scores_with_groups(rr, samples):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cox = survival(rr, samples, sets=["composite", "RR_HYPOXIA"])
    ax = pl.forest(cox, show=False)
    assert ax.get_xscale() == "log"
    assert sorted(_points(ax)[:, 0]) == pytest.approx(sorted(cox.loc[cox.term == "score", "hr"]))
    # scores with groups: compare runs first
    ax = pl.forest(rr, "driver_KEAP1_NFE2L2", effect="hedges_g", show=False)
    assert len(_points(ax)) == len(compare(rr, "driver_KEAP1_NFE2L2"))


def test_volcano_positions(rr):
    table = compare(rr, "driver_KEAP1_NFE2L2")
    ax = pl.volcano(table, show=False)
    points = _points(ax)
    expected = np.c_[table["difference"], -np.log10(table["pvalue"])]
    assert sorted(map(tuple, np.round(points, 10))) == sorted(map(tuple, np.round(expected, 10)))


def test_km_steps_follow_the_curves(samples):
    curves = kaplan_meier(samples, samples["mut_TP53"])
    fig = pl.km(curves, return_fig=True)
    ax = fig.axes[0]
    lines = [ln for ln in ax.get_lines() if ln.get_drawstyle() == "steps-post"]
    assert len(lines) == curves["group"].nunique()
    for line, (_, part) in zip(lines, curves.groupby("group", sort=False), strict=True):
        np.testing.assert_allclose(line.get_ydata(), part["survival"])
    assert any("log-rank p" in t.get_text() for t in ax.texts)


def test_running_sum_plot(expr):
    walk = running_sum(expr.dropna(), "mechanisms", "RR_EMT", expr.columns[0])
    ax = pl.running_sum(walk, show=False)
    lines = ax.get_lines()
    up = walk[walk["part"] == "up"]
    np.testing.assert_allclose(lines[0].get_ydata(), up["running_sum"])
    assert "RR_EMT" in ax.get_title()
