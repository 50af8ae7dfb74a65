"""scanpy-style plots of gene-set scores stored by :func:`rrscore.tl.score`.

Each plot builds a small temporary AnnData whose variables are the scored sets (its ``X``
is ``adata.obsm[key]``) and draws it with scanpy's plotting functions, so scores look and
behave like genes in scanpy figures: :func:`dotplot` and :func:`heatmap` (group means),
:func:`violin` (distributions per group) and :func:`embedding` (scores on a UMAP, t-SNE
or PCA). Every function returns the matplotlib ``Figure`` and, with ``save=``, writes it
to that path (format from the suffix: ``.png``, ``.pdf``, ``.svg``).

Needs scanpy and matplotlib (``pip install rrscore[sc,plot]``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError

__all__ = ["dotplot", "embedding", "heatmap", "scores", "violin"]


def _scanpy():
    try:
        import scanpy as sc
    except ImportError as err:  # pragma: no cover - scanpy is in the test environment
        raise ImportError(
            "rrscore.pl draws with scanpy: pip install 'rrscore[sc,plot]'"
        ) from err
    return sc


def scores(adata, key: str = "rrscore", sets: Sequence[str] | None = None) -> pd.DataFrame:
    """The stored scores ``adata.obsm[key]`` (cells × sets), optionally some sets only."""
    if key not in adata.obsm:
        raise RRScoreError(
            f"adata.obsm has no {key!r}: run rrscore.tl.score(adata, key_added={key!r}) first "
            f"(obsm keys: {list(adata.obsm.keys())})"
        )
    table = adata.obsm[key]
    if not isinstance(table, pd.DataFrame):
        names = list(adata.uns.get(key, {}).get("sets", []))
        if len(names) != np.shape(table)[1]:
            names = [f"{key}_{i}" for i in range(np.shape(table)[1])]
        table = pd.DataFrame(np.asarray(table), index=adata.obs_names, columns=names)
    if sets is None:
        return table
    sets = [sets] if isinstance(sets, str) else list(sets)
    missing = [s for s in sets if s not in table.columns]
    if missing:
        raise RRScoreError(
            f"sets not in adata.obsm[{key!r}]: {missing[:5]}; scored sets: "
            f"{list(table.columns[:10])}{' ...' if table.shape[1] > 10 else ''}"
        )
    return table[sets]


def _score_adata(adata, key: str, sets, groupby: str | None = None, basis: str | None = None):
    """A temporary AnnData: the scores as ``X``, the grouping column, the embedding."""
    import anndata

    table = scores(adata, key, sets)
    obs = pd.DataFrame(index=pd.Index(adata.obs_names))
    uns = {}
    if groupby is not None:
        if groupby not in adata.obs.columns:
            raise RRScoreError(
                f"groupby {groupby!r} is not a column of adata.obs: {list(adata.obs.columns)}"
            )
        column = adata.obs[groupby]
        obs[groupby] = (column if isinstance(column.dtype, pd.CategoricalDtype)
                        else column.astype(str).astype("category"))
        colors = adata.uns.get(f"{groupby}_colors")
        if colors is not None and len(colors) == len(obs[groupby].cat.categories):
            uns[f"{groupby}_colors"] = colors  # keep the groups' colours of the data
    tmp = anndata.AnnData(
        X=np.asarray(table.to_numpy(), dtype=np.float64), obs=obs,
        var=pd.DataFrame(index=pd.Index(table.columns.astype(str))), uns=uns,
    )
    if basis is not None:
        tmp.obsm[basis] = np.asarray(adata.obsm[basis])
    return tmp


def _finish(fig, save: str | os.PathLike | None, dpi: int):
    if save is not None:
        fig.savefig(save, dpi=dpi, bbox_inches="tight")
    return fig


def _plot_object_figure(plot) -> object:
    plot.make_figure()
    return plot.fig


def _grouped(plotter: str, adata, groupby: str, key: str, sets, save, dpi: int, **kwargs):
    """A scanpy grouped plot (``sc.pl.<plotter>``) of the scores, as a Figure."""
    tmp = _score_adata(adata, key, sets, groupby)
    kwargs.setdefault("colorbar_title", "mean score")
    plot = getattr(_scanpy().pl, plotter)(tmp, list(tmp.var_names), groupby, return_fig=True,
                                          **kwargs)
    return _finish(_plot_object_figure(plot), save, dpi)


def dotplot(
    adata, groupby: str, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    standard_scale: str | None = None, save: str | os.PathLike | None = None,
    dpi: int = 100, **kwargs,
):
    """Mean score per group (colour) and fraction of cells above a cut-off (dot size).

    Parameters
    ----------
    adata
        AnnData with scores in ``adata.obsm[key]``.
    groupby
        Column of ``adata.obs`` with the groups (made categorical if it is not).
    key
        ``key_added`` of :func:`rrscore.tl.score`.
    sets
        Sets to show (default: all, in the stored order).
    standard_scale
        ``"var"`` scales each set's group means to [0, 1] (compare groups within a set),
        ``"group"`` each group's; None (default) shows the means themselves.
    save, dpi
        Write the figure to this path.
    **kwargs
        Passed to :func:`scanpy.pl.dotplot` (e.g. ``expression_cutoff``: the score above
        which a cell counts for the dot size, default 0; ``cmap``, ``swap_axes``).

    Returns
    -------
    matplotlib.figure.Figure
    """
    kwargs.setdefault("size_title", "fraction of cells\nwith score > cut-off")
    return _grouped("dotplot", adata, groupby, key, sets, save, dpi,
                    standard_scale=standard_scale, **kwargs)


def heatmap(
    adata, groupby: str, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    standard_scale: str | None = None, save: str | os.PathLike | None = None,
    dpi: int = 100, **kwargs,
):
    """Heatmap of the mean score of each set in each group (:func:`scanpy.pl.matrixplot`).

    Parameters are those of :func:`dotplot`; ``**kwargs`` go to
    :func:`scanpy.pl.matrixplot` (``cmap``, ``swap_axes``, ``colorbar_title``...).

    Returns
    -------
    matplotlib.figure.Figure
    """
    return _grouped("matrixplot", adata, groupby, key, sets, save, dpi,
                    standard_scale=standard_scale, **kwargs)


def violin(
    adata, groupby: str, *, key: str = "rrscore", sets: Sequence[str] | None = None,
    save: str | os.PathLike | None = None, dpi: int = 100, **kwargs,
):
    """Distribution of each set's scores per group (:func:`scanpy.pl.stacked_violin`).

    Parameters are those of :func:`dotplot`; ``**kwargs`` go to
    :func:`scanpy.pl.stacked_violin` (``swap_axes``, ``row_palette``, ``stripplot``...).

    Returns
    -------
    matplotlib.figure.Figure
    """
    kwargs.setdefault("colorbar_title", "median score")
    return _grouped("stacked_violin", adata, groupby, key, sets, save, dpi, **kwargs)


def embedding(
    adata, basis: str = "umap", *, key: str = "rrscore", sets: Sequence[str] | None = None,
    save: str | os.PathLike | None = None, dpi: int = 100, **kwargs,
):
    """Scores coloured on an embedding, one panel per set (:func:`scanpy.pl.embedding`).

    Parameters
    ----------
    adata
        AnnData with scores in ``adata.obsm[key]`` and the embedding in
        ``adata.obsm["X_" + basis]`` (or ``adata.obsm[basis]``).
    basis
        ``"umap"``, ``"tsne"``, ``"pca"``...
    key, sets, save, dpi
        As in :func:`dotplot`.
    **kwargs
        Passed to :func:`scanpy.pl.embedding` (``ncols``, ``cmap``, ``vmax``...).

    Returns
    -------
    matplotlib.figure.Figure
    """
    sc = _scanpy()
    name = basis if basis in adata.obsm else f"X_{basis}"
    if name not in adata.obsm:
        raise RRScoreError(
            f"no embedding {basis!r} in adata.obsm (looked for {basis!r} and 'X_{basis}'; "
            f"obsm keys: {list(adata.obsm.keys())})"
        )
    tmp = _score_adata(adata, key, sets, basis=name)
    kwargs.setdefault("cmap", "viridis")
    fig = sc.pl.embedding(tmp, basis=basis, color=list(tmp.var_names), return_fig=True,
                          show=False, **kwargs)
    return _finish(fig, save, dpi)
