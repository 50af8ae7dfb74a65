"""Score distributions, overall or by group, with every sample shown (:func:`distributions`)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.pl._annotations import palette
from rrscore.pl._figure import SaveLike, check_kind, finish, grid, new_axes
from rrscore.pl._input import group_colors, groups, is_anndata, plot_data

#: Most samples drawn as points on top of a box or violin (more would hide it).
MAX_POINTS = 2000


def _draw(ax, arrays: list[np.ndarray], labels: list[str], colors: list, kind: str,
          points: bool, rng: np.random.Generator) -> None:
    positions = np.arange(1, len(arrays) + 1)
    nonempty = [i for i, a in enumerate(arrays) if len(a)]
    data = [arrays[i] for i in nonempty]
    where = positions[nonempty]
    if kind == "box":
        parts = ax.boxplot(data, positions=where, widths=0.6, patch_artist=True,
                           showfliers=not points, medianprops={"color": "black"})
        for patch, i in zip(parts["boxes"], nonempty, strict=True):
            patch.set_facecolor(colors[i])
            patch.set_alpha(0.55)
    else:
        parts = ax.violinplot(data, positions=where, widths=0.8, showmedians=True)
        for body, i in zip(parts["bodies"], nonempty, strict=True):
            body.set_facecolor(colors[i])
            body.set_alpha(0.55)
    if points:
        for i in nonempty:
            values = arrays[i]
            if len(values) > MAX_POINTS:
                continue
            jitter = rng.uniform(-0.15, 0.15, size=len(values))
            ax.scatter(positions[i] + jitter, values, s=9, color="black", alpha=0.6,
                       linewidths=0, zorder=3)
    ax.set_xticks(positions, labels, rotation=45 if len(labels) > 4 else 0,
                  ha="right" if len(labels) > 4 else "center", fontsize=8)
    ax.set_xlim(0.4, len(arrays) + 0.6)


def distributions(
    data, groupby=None, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    obs: pd.DataFrame | None = None, kind: str = "box", points: bool = True, ncols: int = 4,
    figsize=None, ax=None, show: bool | None = None, save: SaveLike = None,
    return_fig: bool = False, dpi: int = 100,
):
    """Distribution of each set's scores: box (or violin) plots with every sample as a point.

    Without ``groupby``: one box per set in one panel. With ``groupby``: one panel per set,
    one box per group (empty groups dropped).

    Parameters
    ----------
    data
        A score DataFrame (samples as rows) or an AnnData scored by :func:`rrscore.tl.score`.
    groupby
        The groups: a column of ``adata.obs``, of ``obs`` or of the score table, or a
        Series / array with one value per sample. Samples without a group are left out.
    key, sets, obs
        As in :func:`rrscore.pl.dotplot`.
    kind
        ``"box"`` (median, quartiles, whiskers at 1.5 IQR) or ``"violin"``.
    points
        Draw every sample as a jittered point (groups of more than 2,000 samples are not).
    ncols
        Panels per row when grouped.
    figsize, ax, show, save, return_fig, dpi
        As in :func:`rrscore.pl.dotplot`; with ``ax`` and several panels, the panels share
        its area.

    Returns
    -------
    Figure, Axes, dict of Axes or None
        The figure with ``return_fig=True``; with ``show=False`` the axes (one panel) or a
        dict ``set -> Axes``; otherwise None.
    """
    check_kind(kind, ("box", "violin"), "kind")
    pd_data = plot_data(data, key=key, sets=sets, obs=obs)
    scores = pd_data.scores
    rng = np.random.default_rng(0)  # the same jitter on every call
    if groupby is None:
        arrays = [scores[s].dropna().to_numpy() for s in scores.columns]
        fig, ax = new_axes(ax, figsize or (max(4.0, 0.55 * len(arrays) + 1.5), 4.0))
        _draw(ax, arrays, [str(s) for s in scores.columns], palette(1) * len(arrays), kind,
              points, rng)
        ax.axhline(0, color="0.6", linewidth=0.6, zorder=0)
        ax.set_ylabel("score")
        return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)
    group = groups(pd_data, groupby)
    keep = group.notna().to_numpy()
    group = group[keep].cat.remove_unused_categories()
    scores = scores.loc[keep]
    cats = list(group.cat.categories)
    colors = None
    if is_anndata(data) and isinstance(groupby, str) and groupby in data.obs.columns and \
            isinstance(data.obs[groupby].dtype, pd.CategoricalDtype):
        colors = group_colors(data, groupby, data.obs[groupby].cat.categories,
                              pd.Index(cats))
    colors = colors or palette(len(cats))
    n = scores.shape[1]
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    width = max(2.2, 0.5 * len(cats) + 1.2)
    if ax is not None and n == 1:
        fig, spec, panels = ax.figure, None, [ax]
    else:
        fig, spec = grid(ax, figsize or (width * ncols, 2.9 * nrows), nrows, ncols,
                         hspace=0.55, wspace=0.35)
        panels = [fig.add_subplot(spec[i // ncols, i % ncols]) for i in range(n)]
    axes = {}
    codes = group.cat.codes.to_numpy()
    for panel, name in zip(panels, scores.columns, strict=True):
        values = scores[name].to_numpy()
        arrays = [values[(codes == j) & np.isfinite(values)] for j in range(len(cats))]
        _draw(panel, arrays, [str(c) for c in cats], colors, kind, points, rng)
        panel.set_title(str(name), fontsize=9)
        axes[name] = panel
    panels[0].set_ylabel("score")
    result = panels[0] if n == 1 else axes
    return finish(fig, result, show=show, save=save, return_fig=return_fig, dpi=dpi)
