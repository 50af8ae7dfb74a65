"""rrscore.pl: figures render to PNG and show the stored scores."""

from __future__ import annotations

import numpy as np
import pytest

import rrscore
from rrscore.errors import RRScoreError

sc = pytest.importorskip("scanpy")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.image as mpimg  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

MARKERS = {
    "T_cell": ["CD3D", "CD3E", "IL7R", "CD2", "LCK"],
    "B_cell": ["CD79A", "CD79B", "MS4A1", "CD74", "HLA-DRA"],
    "monocyte": ["LYZ", "S100A8", "S100A9", "FCN1", "CST3"],
}


@pytest.fixture(scope="module")
def scored():
    adata = sc.datasets.pbmc68k_reduced()
    rrscore.tl.score(adata, MARKERS, "ucell")
    return adata


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _check_png(path, min_side=150):
    assert path.stat().st_size > 5_000
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    image = mpimg.imread(path)
    h, w = image.shape[:2]
    assert min(h, w) >= min_side and max(h, w) <= 5_000
    assert image.std() > 0.01  # not a blank canvas


def _group_means(adata, groupby, sets):
    return adata.obsm["rrscore"][sets].groupby(adata.obs[groupby], observed=True).mean()


def test_heatmap_shows_group_means(scored, tmp_path):
    sets = ["B_cell", "monocyte"]
    fig = rrscore.pl.heatmap(scored, "bulk_labels", sets=sets, save=tmp_path / "h.png")
    _check_png(tmp_path / "h.png")
    means = _group_means(scored, "bulk_labels", sets)
    meshes = [c for ax in fig.axes for c in ax.collections
              if c.get_array() is not None and np.size(c.get_array()) == means.size]
    assert len(meshes) == 1
    plotted = np.asarray(meshes[0].get_array()).reshape(means.shape)
    np.testing.assert_allclose(plotted, means.to_numpy(), rtol=1e-12)


def test_dotplot_colours_are_group_means(scored, tmp_path):
    fig = rrscore.pl.dotplot(scored, "bulk_labels", save=tmp_path / "d.png")
    _check_png(tmp_path / "d.png")
    means = _group_means(scored, "bulk_labels", list(MARKERS)).to_numpy()
    dots = [c for ax in fig.axes for c in ax.collections
            if len(c.get_offsets()) == means.size]
    assert len(dots) == 1
    # scanpy colours each dot with its group mean through "Reds" scaled to min..max
    expected = matplotlib.colormaps["Reds"](matplotlib.colors.Normalize()(means.ravel()))
    np.testing.assert_allclose(dots[0].get_facecolors(), expected, atol=1e-12)


def test_violin_and_embedding_render(scored, tmp_path):
    rrscore.pl.violin(scored, "louvain", sets=["T_cell", "B_cell"], save=tmp_path / "v.png")
    _check_png(tmp_path / "v.png")
    fig = rrscore.pl.embedding(scored, "umap", sets=["B_cell"], save=tmp_path / "e.png")
    _check_png(tmp_path / "e.png")
    points = [c for ax in fig.axes for c in ax.collections
              if c.get_array() is not None and np.size(c.get_array()) == scored.n_obs]
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
