"""Mechanisms × samples heatmap with driver/group annotation bars (:func:`sample_heatmap`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.pl._annotations import annotation_colors, draw_bar, draw_legends
from rrscore.pl._figure import SaveLike, finish, grid, symmetric_limits
from rrscore.pl._input import annotation, group_colors, groups, is_anndata, plot_data

#: Most samples whose names are written under the heatmap.
MAX_SAMPLE_LABELS = 60
_CLUSTER = {False: (False, False), None: (False, False), True: (True, True),
            "both": (True, True), "sets": (True, False), "samples": (False, True)}


def _linkage(values: np.ndarray, metric: str, method: str) -> np.ndarray | None:
    """Hierarchical clustering of the rows of ``values`` (scipy); None for < 3 rows.

    Missing scores are replaced by the mean score, so they pull a row towards no side.
    """
    from scipy.cluster.hierarchy import linkage

    if values.shape[0] < 3:
        return None
    filled = np.where(np.isfinite(values), values, np.nanmean(values))
    return linkage(filled, method=method, metric=metric)


def _leaves(values: np.ndarray, metric: str, method: str) -> np.ndarray:
    """Leaf order of :func:`_linkage` (the input order for < 3 rows)."""
    from scipy.cluster.hierarchy import leaves_list

    tree = _linkage(values, metric, method)
    return np.arange(values.shape[0]) if tree is None else leaves_list(tree)


def _sample_order(scores, group, sort_by, cluster_samples, metric, method) -> np.ndarray:
    """Column order: by group (in category order), then clustered or sorted in each."""
    positions = np.arange(len(scores))
    blocks = ([positions] if group is None else
              [positions[(group == c).to_numpy()] for c in group.cat.categories])
    order = []
    for block in blocks:
        if cluster_samples:
            order.extend(block[_leaves(scores.to_numpy()[block], metric, method)])
        elif sort_by is not None:
            key = sort_by.to_numpy(dtype=float)[block]
            # highest first, missing last; stable so ties keep the input order
            order.extend(block[np.argsort(np.where(np.isnan(key), np.inf, -key),
                                          kind="stable")])
        else:
            order.extend(block)
    return np.asarray(order, dtype=int)


def _default_annotations(pd_data, groupby) -> list:
    drivers = [c for c in pd_data.table.columns if str(c).startswith("driver_")
               and c != "driver_score" and c not in pd_data.sets]
    return ([groupby] if groupby is not None else []) + drivers


def sample_heatmap(
    data, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    obs: pd.DataFrame | None = None, annotations: Sequence | None = None, groupby=None,
    sort_by: str | None = "composite", cluster: bool | str = False,
    metric: str = "euclidean", method: str = "average", cmap: str = "RdBu_r",
    vmin: float | None = None, vmax: float | None = None, figsize=None, ax=None,
    show: bool | None = None, save: SaveLike = None, return_fig: bool = False,
    dpi: int = 100,
):
    """Every sample's scores as a heatmap (sets as rows, samples as columns), annotated.

    Made for bulk cohorts: the mechanism z-scores of :func:`rrscore.radioresistance` with
    bars above for the driver calls and groups, samples ordered by group and then by
    composite (or clustered).

    Parameters
    ----------
    data
        A score DataFrame (samples as rows) or an AnnData scored by :func:`rrscore.tl.score`
        / :func:`rrscore.tl.radioresistance`.
    key, sets, obs
        As in :func:`rrscore.pl.dotplot`.
    annotations
        Annotations drawn as colour bars above the heatmap: names of columns of ``obs``
        (``adata.obs``) or of the score table, or Series indexed by sample. Default: the
        group (when ``groupby`` is given) and the ``driver_*`` calls of a radioresistance
        result. 0/1 calls are drawn light grey / black, missing values white; numeric
        annotations with more than 12 values as a ``viridis`` gradient.
    groupby
        Group the columns: a column name or a Series (as in :func:`rrscore.pl.dotplot`).
        Samples without a group are left out.
    sort_by
        Within each group, order samples by this column of the score table, highest first
        (default ``"composite"`` when present; None keeps the input order). Ignored when
        samples are clustered.
    cluster
        Hierarchical clustering (:func:`scipy.cluster.hierarchy.linkage`): ``"sets"``,
        ``"samples"`` (within each group when grouped), ``True``/``"both"`` or False.
        ``composite`` stays the last row.
    metric, method
        Distance and linkage of the clustering (default Euclidean, average linkage).
    cmap, vmin, vmax
        Colour map and limits; signed scores default to limits symmetric around 0
        (``±`` the largest absolute score). Missing scores are grey.
    figsize
        Figure size in inches (default grows with the number of samples and sets).
    ax, show, save, return_fig, dpi
        As in :func:`rrscore.pl.dotplot`.

    Returns
    -------
    Figure, dict of Axes or None
        The figure with ``return_fig=True``; with ``show=False`` a dict with the axes
        ``"heatmap"``, ``"annotations"`` (list, top to bottom), ``"colorbar"``,
        ``"legend"``, and ``"row_dendrogram"`` / ``"col_dendrogram"`` when clustered;
        otherwise None.

    Raises
    ------
    RRScoreError
        For an unknown ``cluster`` or ``sort_by``, or an annotation found nowhere.
    """
    import matplotlib
    from scipy.cluster.hierarchy import dendrogram

    if cluster not in _CLUSTER:
        raise RRScoreError(f"cluster must be False, True, 'both', 'sets' or 'samples', got "
                           f"{cluster!r}")
    cluster_sets, cluster_samples = _CLUSTER[cluster]
    pd_data = plot_data(data, key=key, sets=sets, obs=obs)
    scores = pd_data.scores
    group = None
    if groupby is not None:
        group = groups(pd_data, groupby)
        keep = group.notna().to_numpy()
        scores, group = scores.loc[keep], group[keep].cat.remove_unused_categories()
    if sort_by is not None and sort_by not in pd_data.table.columns:
        if sets is None and sort_by == "composite":
            sort_by = None  # the default only applies to radioresistance results
        else:
            raise RRScoreError(f"sort_by {sort_by!r} is not a column of {pd_data.source}")
    sort_values = pd_data.table.loc[scores.index, sort_by] if sort_by is not None else None

    row_names = list(scores.columns)
    tail = ["composite"] if "composite" in row_names and cluster_sets else []
    body = [r for r in row_names if r not in tail]
    if cluster_sets:
        body = [body[i] for i in _leaves(scores[body].to_numpy().T, metric, method)]
    rows = body + tail
    order = _sample_order(scores, group, sort_values, cluster_samples, metric, method)
    shown = scores.iloc[order][rows]
    values = shown.to_numpy().T  # sets × samples

    ann_specs = _default_annotations(pd_data, groupby) if annotations is None \
        else list(annotations)
    bars = []
    for spec in ann_specs:
        values_ann = (group if spec is groupby and group is not None
                      else annotation(pd_data, spec).reindex(scores.index))
        title = str(values_ann.name if values_ann.name is not None else spec)
        palette = None
        if is_anndata(data) and isinstance(spec, str) and spec in data.obs.columns and \
                isinstance(data.obs[spec].dtype, pd.CategoricalDtype):
            used = values_ann.astype("category").cat.remove_unused_categories().cat.categories
            palette = group_colors(data, spec, data.obs[spec].cat.categories, used)
        colors, legend, suffix = annotation_colors(values_ann, palette)
        bars.append(([colors[i] for i in order], legend, title + suffix))

    n_sets, n_samples = values.shape
    col_dendro = cluster_samples and group is None
    heights = ([1.0] if col_dendro else []) + [0.3] * len(bars) + [0.32 * n_sets]
    # heatmap, room for the set names written on its right, colour bar and legends
    widths = ([1.0] if cluster_sets else []) + [max(n_samples * 0.2, 4.0), 2.4, 1.8]
    if figsize is None:  # in inches: the panels, plus the bar titles and sample names
        figsize = (float(np.clip(sum(widths) + 1.6, 7, 24)),
                   float(np.clip(sum(heights) + 1.0, 3, 18)))
    fig, spec = grid(ax, figsize, len(heights), len(widths), height_ratios=heights,
                     width_ratios=widths, hspace=0.06, wspace=0.02)
    col0 = 1 if cluster_sets else 0
    row0 = 1 if col_dendro else 0
    axes: dict = {}
    heat_ax = fig.add_subplot(spec[row0 + len(bars), col0])
    lo, hi = symmetric_limits(values, vmin, vmax)
    colormap = matplotlib.colormaps[cmap].with_extremes(bad="0.75")
    mesh = heat_ax.pcolormesh(np.ma.masked_invalid(values), cmap=colormap, vmin=lo, vmax=hi)
    heat_ax.set_xlim(0, n_samples)
    heat_ax.set_ylim(n_sets, 0)
    heat_ax.set_yticks(np.arange(n_sets) + 0.5, rows, fontsize=8)
    heat_ax.yaxis.tick_right()
    if n_samples <= MAX_SAMPLE_LABELS:
        heat_ax.set_xticks(np.arange(n_samples) + 0.5, [str(s) for s in shown.index],
                           rotation=90, fontsize=7)
    else:
        heat_ax.set_xticks([])
        heat_ax.set_xlabel(f"{n_samples} samples")
    if group is not None:
        ordered = group.iloc[order].to_numpy()
        edges = np.flatnonzero(ordered[1:] != ordered[:-1]) + 1
        for x in edges:
            heat_ax.axvline(x, color="white", linewidth=2)
    if "composite" in rows and len(rows) > 1:
        at = rows.index("composite")  # set the composite apart from the mechanisms
        heat_ax.axhline(at if at > 0 else 1, color="white", linewidth=3)
    axes["heatmap"] = heat_ax
    axes["annotations"] = []
    legends = []
    for i, (colors, legend, title) in enumerate(bars):
        bar_ax = fig.add_subplot(spec[row0 + i, col0])
        draw_bar(bar_ax, colors, title)
        bar_ax.tick_params(labelbottom=False)
        axes["annotations"].append(bar_ax)
        if legend is not None:
            legends.append((title, legend))
    side = spec[row0:, col0 + 2].subgridspec(2, 2, height_ratios=[1, 3],
                                             width_ratios=[0.25, 1], hspace=0.15)
    cbar_ax = fig.add_subplot(side[0, 0])
    fig.colorbar(mesh, cax=cbar_ax)
    cbar_ax.set_title("score", fontsize=8, loc="left")
    cbar_ax.tick_params(labelsize=7)
    axes["colorbar"] = cbar_ax
    legend_ax = fig.add_subplot(side[1, :])
    draw_legends(legend_ax, legends)
    axes["legend"] = legend_ax
    row_tree = _linkage(scores[body].to_numpy().T, metric, method) if cluster_sets else None
    if row_tree is not None:
        den_ax = fig.add_subplot(spec[row0 + len(bars), 0])
        dendrogram(row_tree, ax=den_ax, orientation="left", no_labels=True,
                   color_threshold=0, above_threshold_color="0.3")
        den_ax.set_ylim(10 * n_sets, 0)  # dendrogram leaves sit at 5, 15, ...
        den_ax.set_axis_off()
        axes["row_dendrogram"] = den_ax
    col_tree = _linkage(scores.to_numpy(), metric, method) if col_dendro else None
    if col_tree is not None:
        top_ax = fig.add_subplot(spec[0, col0])
        dendrogram(col_tree, ax=top_ax, no_labels=True, color_threshold=0,
                   above_threshold_color="0.3")
        top_ax.set_xlim(0, 10 * n_samples)
        top_ax.set_axis_off()
        axes["col_dendrogram"] = top_ax
    return finish(fig, axes, show=show, save=save, return_fig=return_fig, dpi=dpi)
