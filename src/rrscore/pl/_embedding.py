"""Scores coloured on an embedding (UMAP, t-SNE, PCA, or coordinates given), via scanpy."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.pl._figure import SaveLike, finish, scanpy, symmetric_limits
from rrscore.pl._input import is_anndata, plot_data


def _coordinates(data, basis, index: pd.Index, obs: pd.DataFrame) -> tuple[np.ndarray, list]:
    """(n × 2 coordinates in the order of ``index``, axis labels)."""
    if isinstance(basis, str):
        if is_anndata(data):
            name = basis if basis in data.obsm else f"X_{basis}"
            if name not in data.obsm:
                raise RRScoreError(
                    f"no embedding {basis!r} in adata.obsm (looked for {basis!r} and "
                    f"'X_{basis}'; obsm keys: {list(data.obsm.keys())})"
                )
            coords = np.asarray(data.obsm[name])
            label = name[2:] if name.startswith("X_") else name
            return coords[:, :2], [f"{label.upper()}1", f"{label.upper()}2"]
        cols = [f"{basis}1", f"{basis}2"]
        if all(c in obs.columns for c in cols):
            return obs[cols].to_numpy(dtype=float), cols
        raise RRScoreError(
            f"no embedding {basis!r}: with a score DataFrame give the coordinates as basis= "
            f"(an array or DataFrame, samples × 2) or as obs columns {cols}"
        )
    if isinstance(basis, pd.DataFrame):
        frame = basis.reindex(index)
        if frame.iloc[:, :2].isna().any().any():
            raise RRScoreError("basis DataFrame lacks coordinates for some scored samples")
        return frame.iloc[:, :2].to_numpy(dtype=float), [str(c) for c in frame.columns[:2]]
    coords = np.asarray(basis, dtype=float)
    if coords.ndim != 2 or coords.shape[0] != len(index) or coords.shape[1] < 2:
        raise RRScoreError(f"basis must be samples × 2 coordinates ({len(index)} rows), got "
                           f"shape {coords.shape}")
    return coords[:, :2], ["dim1", "dim2"]


def embedding(
    data, basis="umap", *, key: str = "rrscore", sets: Sequence[str] | None = None,
    obs: pd.DataFrame | None = None, ax=None, show: bool | None = None,
    save: SaveLike = None, return_fig: bool = False, dpi: int = 100, **kwargs,
):
    """Scores coloured on an embedding, one panel per set (:func:`scanpy.pl.embedding`).

    Parameters
    ----------
    data
        An AnnData scored by :func:`rrscore.tl.score`, or a score DataFrame.
    basis
        With an AnnData: ``"umap"``, ``"tsne"``, ``"pca"``... (``adata.obsm["X_" + basis]``
        or ``adata.obsm[basis]``). With a DataFrame: the coordinates, samples × 2 (array,
        or DataFrame indexed by sample), or a name whose ``name1``/``name2`` columns are in
        ``obs`` (e.g. ``"PC"`` for ``PC1``, ``PC2``).
    key, sets, obs
        As in :func:`rrscore.pl.dotplot`.
    ax
        Draw into this axes (one set only).
    show, save, return_fig, dpi
        As in :func:`rrscore.pl.dotplot`.
    **kwargs
        Passed to :func:`scanpy.pl.embedding` (``ncols``, ``cmap``, ``vmax``, ``size``...).
        Signed scores default to ``RdBu_r`` centred on 0, others to ``viridis``.

    Returns
    -------
    Figure, Axes, list of Axes or None
        The figure with ``return_fig=True``; the axes (one per set) with ``show=False``;
        otherwise None.

    Raises
    ------
    RRScoreError
        When the embedding is missing, or ``ax`` is given with more than one set.
    """
    import anndata

    pd_data = plot_data(data, key=key, sets=sets, obs=obs)
    scores = pd_data.scores
    if ax is not None and scores.shape[1] != 1:
        raise RRScoreError(f"ax= draws one panel: choose one set (sets=[...]), got "
                           f"{scores.shape[1]}")
    coords, labels = _coordinates(data, basis, scores.index, pd_data.obs)
    tmp = anndata.AnnData(X=scores.to_numpy(dtype=np.float64),
                          var=pd.DataFrame(index=pd.Index([str(s) for s in scores.columns])))
    tmp.obsm["X_embedding"] = coords
    if not any(k in kwargs for k in ("vmin", "vmax", "vcenter", "norm")):
        vmin, vmax = symmetric_limits(scores.to_numpy())
        if vmin is not None:
            kwargs.update(vmin=vmin, vmax=vmax)
            kwargs.setdefault("cmap", "RdBu_r")
    kwargs.setdefault("cmap", "viridis")
    # scanpy's own return_fig fails with ax= (its figure is never bound), so take the figure
    # from the axes it returns
    axes = scanpy().pl.embedding(tmp, basis="embedding", color=list(tmp.var_names), ax=ax,
                                 show=False, **kwargs)
    axes_list = axes if isinstance(axes, list) else [axes]
    for panel in axes_list:
        panel.set_xlabel(labels[0])
        panel.set_ylabel(labels[1])
    return finish(axes_list[0].figure, axes, show=show, save=save, return_fig=return_fig,
                  dpi=dpi)
