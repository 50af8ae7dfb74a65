"""Scores by group, drawn by scanpy: :func:`dotplot`, :func:`heatmap`, :func:`violin`.

The scores become the variables of a small temporary AnnData (its ``X`` is the score table),
so they look and behave like genes in scanpy's grouped plots. Signed scores (z-scores of
:func:`rrscore.radioresistance`) get a diverging colour map centred on 0; percentiles and
driver calls are not plotted unless named, since their 0-100 and 0/1 scales would set the
colour range of every z-score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.pl._figure import SaveLike, finish, scanpy, symmetric_limits
from rrscore.pl._input import group_colors, groups, is_anndata, plot_data

#: Keyword arguments by which the caller sets the colour scale; any of them turns off the
#: diverging default.
_COLOUR_KW = ("vmin", "vmax", "vcenter", "norm", "standard_scale")


def _score_adata(data, groupby, *, key: str, sets, obs):
    """(temporary AnnData with scores as X and the grouping in obs, the grouping's name)."""
    import anndata

    pd_data = plot_data(data, key=key, sets=sets, obs=obs)
    column = groups(pd_data, groupby)
    keep = column.notna().to_numpy()
    name = str(column.name)
    scores = pd_data.scores.loc[keep]
    # values, not the Series: its index would be aligned against the string names
    tmp_obs = pd.DataFrame({name: column[keep].cat.remove_unused_categories().array},
                           index=scores.index.astype(str))
    uns = {}
    if is_anndata(data) and isinstance(groupby, str) and groupby in data.obs.columns \
            and isinstance(data.obs[groupby].dtype, pd.CategoricalDtype):
        colors = group_colors(data, groupby, data.obs[groupby].cat.categories,
                              tmp_obs[name].cat.categories)
        if colors is not None:
            uns[f"{name}_colors"] = colors  # the data's colours for the groups kept
    tmp = anndata.AnnData(
        X=np.asarray(scores.to_numpy(), dtype=np.float64), obs=tmp_obs,
        var=pd.DataFrame(index=pd.Index([str(s) for s in scores.columns])), uns=uns,
    )
    return tmp, name


def _grouped(plotter: str, data, groupby, *, key, sets, obs, ax, show, save, return_fig,
             dpi, kwargs):
    tmp, name = _score_adata(data, groupby, key=key, sets=sets, obs=obs)
    if not any(kwargs.get(k) is not None for k in _COLOUR_KW):
        # the colour shows each group's mean (median for violins): centre the map on 0
        # when those are signed
        by_group = pd.DataFrame(tmp.X, columns=tmp.var_names).groupby(
            tmp.obs[name].to_numpy(), observed=True)
        stat = by_group.median() if plotter == "stacked_violin" else by_group.mean()
        vmin, vmax = symmetric_limits(stat.to_numpy())
        if vmin is not None:
            kwargs.update(vmin=vmin, vmax=vmax)
            kwargs.setdefault("cmap", "RdBu_r")
    plot = getattr(scanpy().pl, plotter)(tmp, list(tmp.var_names), name, ax=ax,
                                         return_fig=True, **kwargs)
    plot.make_figure()
    return finish(plot.fig, plot.get_axes(), show=show, save=save, return_fig=return_fig,
                  dpi=dpi)


_SHARED_DOC = """
    Parameters
    ----------
    data
        A score DataFrame (samples as rows, e.g. :func:`rrscore.score` or
        :func:`rrscore.radioresistance` output) or an AnnData scored by
        :func:`rrscore.tl.score` / :func:`rrscore.tl.radioresistance`.
    groupby
        The groups: a column of ``adata.obs``, of ``obs`` or of the score table (e.g.
        ``"driver_KEAP1_NFE2L2"``), or a Series / array with one value per sample. Samples
        without a group are left out; empty categories are dropped.
    key
        ``key_added`` of :func:`rrscore.tl.score` (AnnData only).
    sets
        Score columns to show (default: the mechanisms and ``composite`` of a
        radioresistance result, the scored sets of a score table).
    obs
        Sample annotations for a DataFrame (a DataFrame indexed by sample).
    ax
        Draw inside this axes' area.
    show
        Show the figure (default: scanpy's ``settings.autoshow``) and return None.
    save
        Write the figure to this path (format from the suffix: ``.png``, ``.pdf``,
        ``.svg``).
    return_fig
        Return the :class:`~matplotlib.figure.Figure` instead of showing it.
    dpi
        Resolution of ``save``.
"""


def dotplot(
    data, groupby, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    obs: pd.DataFrame | None = None, standard_scale: str | None = None, ax=None,
    show: bool | None = None, save: SaveLike = None, return_fig: bool = False,
    dpi: int = 100, **kwargs,
):
    """Mean score per group (colour) and fraction of samples above a cut-off (dot size).

    Signed scores (both negative and positive group means) are coloured with ``RdBu_r``
    between ``-m`` and ``m`` (``m`` the largest absolute group mean); other scores with
    scanpy's ``Reds`` over their range.

    {shared}    standard_scale
        ``"var"`` scales each set's group means to [0, 1] (compare groups within a set),
        ``"group"`` each group's; None (default) shows the means themselves.
    **kwargs
        Passed to :func:`scanpy.pl.dotplot` (``expression_cutoff``: the score above which a
        sample counts for the dot size, default 0; ``cmap``, ``vmin``, ``vmax``,
        ``swap_axes``).

    Returns
    -------
    Figure, dict of Axes or None
        The figure with ``return_fig=True``; the axes (scanpy's ``get_axes()``) with
        ``show=False``; otherwise None.
    """
    kwargs.setdefault("size_title", "fraction with\nscore > cut-off")
    kwargs.setdefault("colorbar_title", "mean score")
    return _grouped("dotplot", data, groupby, key=key, sets=sets, obs=obs, ax=ax, show=show,
                    save=save, return_fig=return_fig, dpi=dpi,
                    kwargs={"standard_scale": standard_scale, **kwargs})


def heatmap(
    data, groupby, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    obs: pd.DataFrame | None = None, standard_scale: str | None = None, ax=None,
    show: bool | None = None, save: SaveLike = None, return_fig: bool = False,
    dpi: int = 100, **kwargs,
):
    """Heatmap of the mean score of each set in each group (:func:`scanpy.pl.matrixplot`).

    For one column per sample instead of per group, see :func:`sample_heatmap`.

    {shared}    standard_scale
        As in :func:`dotplot`.
    **kwargs
        Passed to :func:`scanpy.pl.matrixplot` (``cmap``, ``swap_axes``,
        ``colorbar_title``...).

    Returns
    -------
    Figure, dict of Axes or None
        As in :func:`dotplot`.
    """
    kwargs.setdefault("colorbar_title", "mean score")
    return _grouped("matrixplot", data, groupby, key=key, sets=sets, obs=obs, ax=ax,
                    show=show, save=save, return_fig=return_fig, dpi=dpi,
                    kwargs={"standard_scale": standard_scale, **kwargs})


def violin(
    data, groupby, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    obs: pd.DataFrame | None = None, ax=None, show: bool | None = None,
    save: SaveLike = None, return_fig: bool = False, dpi: int = 100, **kwargs,
):
    """Distribution of each set's scores per group (:func:`scanpy.pl.stacked_violin`).

    Violins are filled by the group's median score. For box plots with every sample
    shown, see :func:`distributions`.

    {shared}    **kwargs
        Passed to :func:`scanpy.pl.stacked_violin` (``swap_axes``, ``row_palette``,
        ``stripplot``...).

    Returns
    -------
    Figure, dict of Axes or None
        As in :func:`dotplot`.
    """
    kwargs.setdefault("colorbar_title", "median score")
    return _grouped("stacked_violin", data, groupby, key=key, sets=sets, obs=obs, ax=ax,
                    show=show, save=save, return_fig=return_fig, dpi=dpi, kwargs=kwargs)


for _func in (dotplot, heatmap, violin):
    _func.__doc__ = _func.__doc__.replace("{shared}", _SHARED_DOC.strip() + "\n")
