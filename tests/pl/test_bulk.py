"""rrscore.pl bulk plots: sample heatmap, contributions, coverage, distributions.

Each test renders a PNG and checks what it shows: the plotted values against the scores
(computed by the library or by pandas/scipy), and colours in the rendered image.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError
from tests.pl.png import colour_fraction, read_png

matplotlib = pytest.importorskip("matplotlib")
import matplotlib.pyplot as plt  # noqa: E402


def _mesh(ax):
    meshes = [c for c in ax.collections if isinstance(c, matplotlib.collections.QuadMesh)]
    assert len(meshes) == 1
    return meshes[0]


def _tick_labels(ax, axis="x"):
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    return [t.get_text() for t in ticks]


# --- sample_heatmap ----------------------------------------------------------------------


def test_sample_heatmap_shows_every_score_with_driver_bars(cohort, tmp_path):
    scores, _ = cohort
    axes = rrscore.pl.sample_heatmap(scores, show=False, save=tmp_path / "h.png")
    heat = axes["heatmap"]
    samples = _tick_labels(heat, "x")
    rows = _tick_labels(heat, "y")
    mechanisms = scores.attrs["rrscore"]["mechanisms"]
    assert rows == [*mechanisms, "composite"]  # no percentile, no driver column
    # samples ordered by composite, highest first
    assert samples == list(scores["composite"].sort_values(ascending=False).index)
    plotted = np.asarray(_mesh(heat).get_array()).reshape(len(rows), len(samples))
    np.testing.assert_allclose(plotted, scores.loc[samples, rows].to_numpy().T, rtol=0)
    # one bar per driver call; mutated samples drawn black
    titles = [a.get_yticklabels()[0].get_text() for a in axes["annotations"]]
    assert titles == ["driver_KEAP1_NFE2L2", "driver_STK11", "driver_KRAS", "driver_EGFR",
                      "driver_TP53"]
    kras = axes["annotations"][titles.index("driver_KRAS")].get_images()[0].get_array()
    black = np.all(np.asarray(kras)[0, :, :3] < 0.2, axis=1)
    np.testing.assert_array_equal(black, scores.loc[samples, "driver_KRAS"].to_numpy() == 1)
    image = read_png(tmp_path / "h.png")
    assert colour_fraction(image, (0.133, 0.133, 0.133), tol=0.01) > 0  # the black calls


def test_sample_heatmap_colours_in_the_png():
    """A +2 row and a -2 row render as the two ends of the map, in equal areas."""
    table = pd.DataFrame({"UP": [2.0] * 8, "DOWN": [-2.0] * 8},
                         index=[f"s{i}" for i in range(8)])
    fig = rrscore.pl.sample_heatmap(table, return_fig=True)
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    buf.seek(0)
    image = matplotlib.image.imread(buf)[..., :3]
    cmap = matplotlib.colormaps["RdBu_r"]
    red = colour_fraction(image, cmap(1.0), tol=0.02)
    blue = colour_fraction(image, cmap(0.0), tol=0.02)
    assert red > 0.05 and blue > 0.05
    assert abs(red - blue) / red < 0.2  # the colour bar adds a little of each


def test_sample_heatmap_clusters_like_scipy(cohort):
    from scipy.cluster.hierarchy import leaves_list, linkage

    scores, _ = cohort
    mechs = scores.attrs["rrscore"]["mechanisms"]
    axes = rrscore.pl.sample_heatmap(scores, cluster="both", show=False)
    rows = _tick_labels(axes["heatmap"], "y")
    values = scores[[*mechs, "composite"]]
    expected_rows = [mechs[i] for i in leaves_list(linkage(values[mechs].to_numpy().T,
                                                           method="average"))]
    assert rows == [*expected_rows, "composite"]
    expected_cols = values.index[leaves_list(linkage(values.to_numpy(), method="average"))]
    assert _tick_labels(axes["heatmap"], "x") == list(expected_cols)
    assert "row_dendrogram" in axes and "col_dendrogram" in axes


def test_sample_heatmap_groups_on_anndata_in_given_axes(cohort_adata, tmp_path):
    fig, ax = plt.subplots(figsize=(12, 6))
    out = rrscore.pl.sample_heatmap(cohort_adata, key="rrscore_radioresistance",
                                    groupby="stage", ax=ax, return_fig=True)
    assert out is fig
    heat = [a for a in fig.axes if any(isinstance(c, matplotlib.collections.QuadMesh)
                                       for c in a.collections)][0]
    # inside the area of the given axes
    box, inner = ax.get_position(), heat.get_position()
    eps = 1e-9
    assert box.x0 - eps <= inner.x0 and inner.x1 <= box.x1 + eps and box.y0 - eps <= inner.y0
    stage = cohort_adata.obs["stage"]
    samples = _tick_labels(heat, "x")
    assert len(samples) == int(stage.notna().sum())  # the sample without a stage is left out
    ordered = stage.loc[samples].astype(str).tolist()
    # grouped in category order; composite descending within each group
    assert ordered == sorted(ordered, key=list(stage.cat.categories).index)
    composite = cohort_adata.obsm["rrscore_radioresistance"]["composite"].loc[samples]
    for group in stage.cat.categories:
        block = composite[[s == group for s in ordered]]
        assert block.is_monotonic_decreasing


def test_sample_heatmap_errors():
    table = pd.DataFrame({"A": [1.0, -1.0, 0.5]}, index=["a", "b", "c"])
    with pytest.raises(RRScoreError, match="cluster"):
        rrscore.pl.sample_heatmap(table, cluster="rows")
    with pytest.raises(RRScoreError, match="sort_by"):
        rrscore.pl.sample_heatmap(table, sort_by="nope")
    with pytest.raises(RRScoreError, match="groupby"):
        rrscore.pl.sample_heatmap(table, annotations=["missing_column"])


# --- contributions -----------------------------------------------------------------------


def test_waterfall_adds_up_to_the_composite(cohort, tmp_path):
    scores, contributions = cohort
    sample = scores["composite"].idxmax()
    ax = rrscore.pl.contributions(scores, sample, show=False, save=tmp_path / "w.png")
    read_png(tmp_path / "w.png")
    bars = [p for p in ax.patches]
    labels = _tick_labels(ax, "y")
    assert labels[-1] == "composite"
    widths = {lab: b.get_width() for lab, b in zip(labels, bars, strict=True)}
    # contributions plotted from the scores' z and weights equal the library's own table
    for mech in contributions.columns:
        assert widths[mech] == pytest.approx(contributions.at[sample, mech], abs=1e-12)
    assert widths["composite"] == pytest.approx(scores.at[sample, "composite"], abs=1e-12)
    # each bar starts where the previous ended; the last ends at the composite
    for prev, nxt in zip(bars[:-2], bars[1:-1], strict=True):
        assert nxt.get_x() == pytest.approx(prev.get_x() + prev.get_width())
    assert bars[-2].get_x() + bars[-2].get_width() == pytest.approx(widths["composite"])
    # largest contributions first
    sizes = np.abs([widths[m] for m in labels[:-1]])
    assert np.all(np.diff(sizes) <= 1e-15)


def test_stacked_contributions_of_top_and_bottom(cohort, cohort_adata, tmp_path):
    scores, contributions = cohort
    for data in (contributions, cohort_adata):
        ax = rrscore.pl.contributions(data, top=3, show=False, save=tmp_path / "c.png")
        read_png(tmp_path / "c.png")
        samples = _tick_labels(ax, "y")
        ranked = scores["composite"].sort_values(ascending=False).index
        assert samples == [*ranked[:3], *ranked[-3:]]
        totals = np.zeros(len(samples))
        for patch in ax.patches:
            totals[int(round(patch.get_y() + patch.get_height() / 2))] += patch.get_width()
        np.testing.assert_allclose(totals, scores.loc[samples, "composite"], atol=1e-12)
        plt.close("all")
    with pytest.raises(RRScoreError, match="waterfall"):
        rrscore.pl.contributions(scores, kind="waterfall")
    stripped = scores.copy()
    stripped.attrs = {}
    with pytest.raises(RRScoreError, match="weights"):
        rrscore.pl.contributions(stripped)


# --- coverage ----------------------------------------------------------------------------


def test_coverage_bars_count_found_and_missing_genes(cohort_expr, tmp_path):
    table = rrscore.coverage(cohort_expr, "mechanisms", nan_policy="drop_genes")
    ax = rrscore.pl.coverage(table, show=False, save=tmp_path / "cov.png")
    image = read_png(tmp_path / "cov.png")
    n = len(table)
    up, down, missing = (ax.patches[i * n:(i + 1) * n] for i in range(3))
    np.testing.assert_array_equal([p.get_width() for p in up], table["n_up"])
    np.testing.assert_array_equal([p.get_width() for p in down], table["n_down"])
    np.testing.assert_array_equal([p.get_width() for p in missing],
                                  table["n_listed"] - table["n_found"])
    texts = [t.get_text() for t in ax.texts]
    lnc = list(table.index).index("RR_NONCODING_LNCRNA_UP")
    assert "not scored" in texts[lnc] and texts[lnc].strip().startswith("0/4")
    assert colour_fraction(image, matplotlib.colors.to_rgb("#b2182b")) > 0.01


def test_coverage_of_scores_and_anndata_records(scored):
    scores = rrscore.score(scored, {"T": ["CD3D", "CD3E", "NOT_A_GENE"]}, "ucell")
    ax = rrscore.pl.coverage(scores, fraction=True, show=False)
    assert ax.patches[0].get_width() == pytest.approx(2 / 3)
    assert ax.patches[2].get_width() == pytest.approx(1 / 3)
    ax = rrscore.pl.coverage(scored, show=False)
    assert [t.get_text().strip() for t in ax.texts] == ["5/5", "5/5", "5/5"]
    with pytest.raises(RRScoreError, match="rrscore.coverage"):
        rrscore.pl.coverage(pd.DataFrame({"x": [1.0]}))


# --- distributions -----------------------------------------------------------------------


def test_distributions_by_group_show_medians_and_every_sample(cohort, tmp_path):
    scores, _ = cohort
    sets = ["RR_HYPOXIA", "RR_DRIVER_NRF2_TARGETS"]
    axes = rrscore.pl.distributions(scores, "driver_KEAP1_NFE2L2", sets=sets, show=False,
                                    save=tmp_path / "d.png")
    read_png(tmp_path / "d.png")
    assert list(axes) == sets
    group = scores["driver_KEAP1_NFE2L2"]
    for name, ax in axes.items():
        assert _tick_labels(ax, "x") == ["0", "1"]
        # medians: the horizontal lines as wide as the boxes (0.6; caps are half as wide)
        medians = [line.get_ydata()[0] for line in ax.lines
                   if line.get_ydata()[0] == line.get_ydata()[-1]
                   and np.ptp(line.get_xdata()) == pytest.approx(0.6)]
        expected = scores[name].groupby(group).median()
        np.testing.assert_allclose(medians, expected.to_numpy())
        points = np.concatenate([c.get_offsets()[:, 1] for c in ax.collections])
        np.testing.assert_allclose(np.sort(points), np.sort(scores[name].to_numpy()))


def test_distributions_ungrouped_and_colours_of_the_data(scored):
    ax = rrscore.pl.distributions(scored, show=False, kind="violin")
    assert _tick_labels(ax, "x") == list(scored.obsm["rrscore"].columns)
    adata = scored.copy()
    adata.obs["grp"] = pd.Categorical(np.where(adata.obs["louvain"] == "0", "a", "b"),
                                      categories=["a", "b", "empty"])
    adata.uns["grp_colors"] = ["#ff0000", "#00ff00", "#0000ff"]
    ax = rrscore.pl.distributions(adata, "grp", sets="B_cell", show=False)
    assert _tick_labels(ax, "x") == ["a", "b"]  # the empty category is dropped
    faces = [matplotlib.colors.to_hex(p.get_facecolor(), keep_alpha=False)
             for p in ax.patches]
    assert faces == ["#ff0000", "#00ff00"]  # the data's own colours, for the groups kept


# --- scanpy's figure conventions on every bulk plot ----------------------------------------


@pytest.mark.parametrize("plot", ["sample_heatmap", "contributions", "coverage",
                                  "distributions"])
def test_ax_show_save_and_return_fig(plot, cohort, cohort_expr, tmp_path, monkeypatch):
    scores, _ = cohort
    data = rrscore.coverage(cohort_expr, "mechanisms", nan_policy="drop_genes") \
        if plot == "coverage" else scores
    kwargs = {"sets": ["RR_HYPOXIA"]} if plot == "distributions" else {}
    func = getattr(rrscore.pl, plot)
    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6))
    assert func(data, ax=right, return_fig=True, save=tmp_path / "p.png", **kwargs) is fig
    read_png(tmp_path / "p.png")
    drawn = [a for a in fig.axes if a is not left and (a.patches or a.collections)]
    assert drawn and not left.patches and not left.collections  # only in the given area
    box = right.get_position()
    for a in drawn:
        inner = a.get_position()
        assert inner.x0 >= box.x0 - 1e-9 and inner.x1 <= box.x1 + 1e-9
    calls = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(1))
    assert func(data, **kwargs) is None and calls == [1]
    assert func(data, show=False, **kwargs) is not None and calls == [1]
