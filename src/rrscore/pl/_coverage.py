"""How many of each set's genes the data measured (:func:`coverage`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.pl._figure import SaveLike, finish, new_axes
from rrscore.pl._input import is_anndata

_FOUND_UP, _FOUND_DOWN, _MISSING = "#b2182b", "#2166ac", "#d9d9d9"


def coverage_table(data, *, key: str) -> pd.DataFrame:
    """The coverage report behind the plot, indexed by set.

    ``data`` is a coverage table (:func:`rrscore.coverage`, :func:`rrscore.coverage_report`:
    it has ``n_listed`` and ``n_found``), a score table carrying its record, or an AnnData
    scored by :func:`rrscore.tl.score` under ``key``.
    """
    import rrscore

    if isinstance(data, pd.DataFrame) and {"n_listed", "n_found"} <= set(data.columns):
        return data
    if is_anndata(data):
        if key not in data.uns:
            raise RRScoreError(f"adata.uns has no {key!r}: run rrscore.tl.score(adata, "
                               f"key_added={key!r}) first")
        holder = pd.DataFrame()
        holder.attrs["rrscore"] = dict(data.uns[key])
        data = holder
    if not isinstance(data, pd.DataFrame):
        raise RRScoreError(f"coverage plots a coverage table, a score table or an AnnData; "
                           f"got {type(data).__name__}")
    try:
        return rrscore.coverage_report(data)
    except RRScoreError as err:
        raise RRScoreError(
            f"{err}: plot rrscore.coverage(data, gene_sets) instead (the coverage table "
            "without scoring)"
        ) from None


def _column(table: pd.DataFrame, name: str, default) -> np.ndarray:
    if name in table.columns:
        return table[name].to_numpy()
    return np.asarray(default)


def coverage(
    data, *, key: str = "rrscore", sets: Sequence[str] | None = None, fraction: bool = False,
    threshold: float | None = 0.5, figsize=None, ax=None, show: bool | None = None,
    save: SaveLike = None, return_fig: bool = False, dpi: int = 100,
):
    """Genes of each set found in the data: up and down genes found, and those missing.

    One horizontal bar per set, as long as the set's listed genes: the found resistance
    (up) genes in red, the found sensitising (down) genes in blue, the missing ones in grey,
    with ``found/listed`` written beside it. Sets that were not scored say why.

    Parameters
    ----------
    data
        A coverage table (:func:`rrscore.coverage` or :func:`rrscore.coverage_report`), a
        score table carrying its record (:func:`rrscore.score` output), or an AnnData scored
        by :func:`rrscore.tl.score`.
    key
        ``key_added`` of :func:`rrscore.tl.score` (AnnData only).
    sets
        Sets to show (default all, in the table's order).
    fraction
        Bars as the fraction of the listed genes (all of length 1) instead of counts.
    threshold
        With ``fraction=True``, a dashed line at this fraction (default 0.5, below which
        rrscore warns of low coverage); None for none.
    figsize, ax, show, save, return_fig, dpi
        As in :func:`rrscore.pl.dotplot`.

    Returns
    -------
    Figure, Axes or None
        The figure with ``return_fig=True``; the axes with ``show=False``; otherwise None.
    """
    table = coverage_table(data, key=key)
    if sets is not None:
        sets = [sets] if isinstance(sets, str) else list(sets)
        missing = [s for s in sets if s not in table.index]
        if missing:
            raise RRScoreError(f"sets not in the coverage table: {missing[:5]}")
        table = table.loc[sets]
    listed = table["n_listed"].to_numpy(dtype=float)
    found = table["n_found"].to_numpy(dtype=float)
    found_down = _column(table, "n_down", np.zeros(len(table))).astype(float)
    found_up = _column(table, "n_up", found - found_down).astype(float)
    scale = np.where(listed > 0, listed, 1.0) if fraction else np.ones(len(table))
    parts = [(found_up / scale, _FOUND_UP, "up genes found"),
             (found_down / scale, _FOUND_DOWN, "down genes found"),
             ((listed - found) / scale, _MISSING, "missing")]
    fig, ax = new_axes(ax, figsize or (8.0, float(np.clip(0.8 + 0.28 * len(table), 2.5, 14))))
    y = np.arange(len(table))
    left = np.zeros(len(table))
    for widths, color, label in parts:
        ax.barh(y, widths, left=left, color=color, height=0.7, label=label)
        left = left + widths
    reasons = _column(table, "reason", [""] * len(table))
    for i in range(len(table)):
        text = f"{int(found[i])}/{int(listed[i])}"
        if isinstance(reasons[i], str) and reasons[i]:
            text += f"  not scored: {reasons[i]}"
        ax.text(left[i], i, "  " + text, va="center", fontsize=7)
    if fraction and threshold is not None:
        ax.axvline(threshold, color="black", linestyle="--", linewidth=0.8)
    ax.set_yticks(y, [str(s) for s in table.index], fontsize=8)
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, (1.0 if fraction else max(float(listed.max(initial=1)), 1.0)) * 1.35)
    ax.set_xlabel("fraction of the set's genes" if fraction else "genes")
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=3, fontsize=7, frameon=False)
    return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)
