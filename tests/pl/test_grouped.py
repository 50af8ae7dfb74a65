"""rrscore.pl grouped plots (dotplot, heatmap, violin) and embedding: PNGs showing the scores,
on AnnData and DataFrames, with scanpy's ax/show/save/return_fig conventions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError
from tests.pl.conftest import MARKERS
from tests.pl.png import colour_fraction, read_png

sc = pytest.importorskip("scanpy")
matplotlib = pytest.importorskip("matplotlib")
import matplotlib.pyplot as plt  # noqa: E402


def _group_means(adata, groupby, sets):
    return adata.obsm["rrscore"][sets].groupby(adata.obs[groupby], observed=True).mean()


def _meshes(fig, size):
    return [c for ax in fig.axes for c in ax.collections
            if c.get_array() is not None and np.size(c.get_array()) == size]


def _dots(fig, n):
    return [c for ax in fig.axes for c in ax.collections if len(c.get_offsets()) == n]


def test_heatmap_shows_group_means(scored, tmp_path):
    sets = ["B_cell", "monocyte"]
    fig = rrscore.pl.heatmap(scored, "bulk_labels", sets=sets, save=tmp_path / "h.png",
                             return_fig=True)
    read_png(tmp_path / "h.png")
    means = _group_means(scored, "bulk_labels", sets)
    meshes = _meshes(fig, means.size)
    assert len(meshes) == 1
    plotted = np.asarray(meshes[0].get_array()).reshape(means.shape)
    np.testing.assert_allclose(plotted, means.to_numpy(), rtol=1e-12)


def test_dotplot_colours_are_group_means(scored, tmp_path):
    fig = rrscore.pl.dotplot(scored, "bulk_labels", save=tmp_path / "d.png", return_fig=True)
    read_png(tmp_path / "d.png")
    means = _group_means(scored, "bulk_labels", list(MARKERS)).to_numpy()
    dots = _dots(fig, means.size)
    assert len(dots) == 1
    # UCell scores are >= 0: scanpy's "Reds" scaled to min..max of the means
    expected = matplotlib.colormaps["Reds"](matplotlib.colors.Normalize()(means.ravel()))
    np.testing.assert_allclose(dots[0].get_facecolors(), expected, atol=1e-12)


def test_violin_and_embedding_render(scored, tmp_path):
    rrscore.pl.violin(scored, "louvain", sets=["T_cell", "B_cell"], save=tmp_path / "v.png",
                      show=False)
    read_png(tmp_path / "v.png")
    fig = rrscore.pl.embedding(scored, "umap", sets=["B_cell"], save=tmp_path / "e.png",
                               return_fig=True)
    read_png(tmp_path / "e.png")
    points = _meshes(fig, scored.n_obs)
    assert len(points) == 1  # one panel, coloured by the B-cell scores (drawn sorted)
    np.testing.assert_allclose(np.sort(np.asarray(points[0].get_array())),
                               np.sort(scored.obsm["rrscore"]["B_cell"].to_numpy()))


def test_plot_errors_name_what_is_missing(scored):
    with pytest.raises(RRScoreError, match="run rrscore.tl.score"):
        rrscore.pl.heatmap(scored, "bulk_labels", key="other")
    with pytest.raises(RRScoreError, match="not in adata.obsm"):
        rrscore.pl.dotplot(scored, "bulk_labels", sets=["nope"])
    with pytest.raises(RRScoreError, match="groupby"):
        rrscore.pl.violin(scored, "no_such_column")
    with pytest.raises(RRScoreError, match="no embedding"):
        rrscore.pl.embedding(scored, "tsne")
    with pytest.raises(RRScoreError, match="score DataFrame"):
        rrscore.pl.dotplot(np.zeros((3, 2)), "g")


# --- the defects of issue 13 -------------------------------------------------------------


def test_dataframe_input_gives_the_same_means_as_anndata(scored, tmp_path):
    """A score DataFrame plus a grouping Series plots like the AnnData (was AttributeError)."""
    table = scored.obsm["rrscore"]
    labels = scored.obs["bulk_labels"]
    sets = ["T_cell", "monocyte"]
    fig = rrscore.pl.heatmap(table, labels, sets=sets, save=tmp_path / "df.png",
                             return_fig=True)
    read_png(tmp_path / "df.png")
    means = _group_means(scored, "bulk_labels", sets)
    plotted = np.asarray(_meshes(fig, means.size)[0].get_array()).reshape(means.shape)
    np.testing.assert_allclose(plotted, means.to_numpy(), rtol=1e-12)
    # the grouping may also be a column of an obs table given beside the scores
    fig = rrscore.pl.dotplot(table, "bulk_labels", obs=scored.obs, return_fig=True)
    assert len(_dots(fig, means.shape[0] * len(MARKERS))) == 1


def test_radioresistance_dotplot_is_coloured_by_z_scores(cohort_adata, tmp_path):
    """The 0-100 percentile no longer sets the colour range: z-score dots are not white."""
    key = "rrscore_radioresistance"
    fig = rrscore.pl.dotplot(cohort_adata, "stage", key=key, save=tmp_path / "rr.png",
                             return_fig=True)
    stored = cohort_adata.obsm[key]
    record = cohort_adata.uns[key]
    plotted = [*record["mechanisms"], "composite"]
    means = stored[plotted].groupby(cohort_adata.obs["stage"], observed=True).mean()
    dots = _dots(fig, means.size)
    assert len(dots) == 1
    m = np.abs(means.to_numpy()).max()
    assert m < 5  # z-scores, not percentiles
    expected = matplotlib.colormaps["RdBu_r"](
        matplotlib.colors.Normalize(-m, m)(means.to_numpy().ravel()))
    np.testing.assert_allclose(dots[0].get_facecolors(), expected, atol=1e-12)
    white = np.all(dots[0].get_facecolors()[:, :3] > 0.9, axis=1)
    assert white.mean() < 0.5
    image = read_png(tmp_path / "rr.png")
    # the strongest group means are drawn in the map's dark red and dark blue ends
    reds = colour_fraction(image, matplotlib.colormaps["RdBu_r"](0.95), tol=0.08)
    blues = colour_fraction(image, matplotlib.colormaps["RdBu_r"](0.05), tol=0.08)
    assert reds > 0 and blues > 0


def test_show_returns_none_and_shows_once(scored, monkeypatch):
    calls = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: calls.append(1))
    assert rrscore.pl.dotplot(scored, "bulk_labels") is None
    assert calls == [1]
    axes = rrscore.pl.dotplot(scored, "bulk_labels", show=False)
    assert isinstance(axes, dict) and "mainplot_ax" in axes
    assert calls == [1]


def test_return_fig_and_ax_on_every_grouped_plot(scored, tmp_path):
    for func in (rrscore.pl.dotplot, rrscore.pl.heatmap, rrscore.pl.violin):
        fig, ax = plt.subplots(figsize=(6, 4))
        returned = func(scored, "bulk_labels", ax=ax, return_fig=True)
        assert returned is fig
        assert len(fig.axes) > 1  # scanpy drew its panels inside ax's area
        plt.close(fig)
    fig = rrscore.pl.embedding(scored, "umap", return_fig=True)  # was TypeError
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len([a for a in fig.axes if a.get_title() in MARKERS]) == len(MARKERS)


def test_embedding_draws_into_the_given_axes(scored, tmp_path):
    """``ax=`` used to crash inside scanpy (its figure is never bound with return_fig)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(8, 4))
    out = rrscore.pl.embedding(scored, "umap", sets="T_cell", ax=right, show=False,
                               save=tmp_path / "ax.png")
    assert out is right
    read_png(tmp_path / "ax.png")
    points = [c for c in right.collections if np.size(c.get_array()) == scored.n_obs]
    np.testing.assert_allclose(np.sort(np.asarray(points[0].get_array())),
                               np.sort(scored.obsm["rrscore"]["T_cell"].to_numpy()))
    assert not left.collections
    with pytest.raises(RRScoreError, match="one set"):
        rrscore.pl.embedding(scored, "umap", ax=left)


def test_embedding_of_a_dataframe_with_given_coordinates(scored):
    table = scored.obsm["rrscore"]
    coords = pd.DataFrame(scored.obsm["X_umap"][:, :2], index=scored.obs_names,
                          columns=["UMAP_1", "UMAP_2"]).iloc[::-1]  # order must not matter
    ax = rrscore.pl.embedding(table, coords, sets=["B_cell"], show=False)
    assert ax.get_xlabel() == "UMAP_1"
    points = [c for c in ax.collections if np.size(c.get_array()) == scored.n_obs][0]
    # each plotted point keeps its own score: match them through the coordinates
    offsets = points.get_offsets()
    by_xy = dict(zip(map(tuple, np.round(scored.obsm["X_umap"][:, :2], 6)),
                     table["B_cell"].to_numpy(), strict=False))
    got = [by_xy[tuple(np.round(xy, 6))] for xy in np.asarray(offsets)]
    np.testing.assert_allclose(np.asarray(points.get_array()), got)


def test_empty_categories_are_dropped(scored):
    adata = scored.copy()
    labels = adata.obs["bulk_labels"].cat.add_categories(["never_seen"])
    adata.obs["with_empty"] = labels
    palette = [matplotlib.colors.to_hex(matplotlib.colormaps["tab20"](i))
               for i in range(len(labels.cat.categories))]
    adata.uns["with_empty_colors"] = palette
    axes = rrscore.pl.heatmap(adata, "with_empty", show=False)
    rows = [t.get_text() for t in axes["mainplot_ax"].get_yticklabels()]
    assert "never_seen" not in rows
    assert rows == [c for c in labels.cat.categories if c != "never_seen"]
