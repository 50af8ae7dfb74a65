"""What makes up each sample's composite: waterfall (one sample) or stacked bars (several)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.pl._figure import SaveLike, check_kind, finish, new_axes
from rrscore.pl._input import is_anndata

_UP, _DOWN, _TOTAL = "#b2182b", "#2166ac", "#404040"


def contribution_table(data, *, key: str, weights: Mapping[str, float] | None = None
                       ) -> tuple[pd.DataFrame, pd.Series]:
    """(contributions, samples × mechanisms; composite per sample) from any accepted input.

    A radioresistance result (a ``composite`` column and its record's ``weights``, or the
    AnnData of :func:`rrscore.tl.radioresistance`) gives ``weight × z`` per mechanism; a
    table without ``composite`` is taken as the contributions themselves (the second value
    of ``rrscore.radioresistance(..., return_contributions=True)``), whose row sums are the
    composite.
    """
    if is_anndata(data):
        if key not in data.obsm:
            raise RRScoreError(
                f"adata.obsm has no {key!r}: run rrscore.tl.radioresistance(adata, "
                f"key_added={key!r}) first (obsm keys: {list(data.obsm.keys())})"
            )
        table = pd.DataFrame(data.obsm[key]).set_axis(pd.Index(data.obs_names), axis=0)
        record = dict(data.uns.get(key, {}))
    elif isinstance(data, pd.DataFrame):
        table, record = data, dict(data.attrs.get("rrscore", {}) or {})
    else:
        raise RRScoreError(f"contributions takes a radioresistance result (DataFrame or "
                           f"AnnData); got {type(data).__name__}")
    if "composite" not in table.columns:
        contrib = table.select_dtypes("number").astype(np.float64)
        if contrib.shape[1] == 0:
            raise RRScoreError("the contributions table has no numeric column")
        return contrib, contrib.sum(axis=1, min_count=1).rename("composite")
    w = weights if weights is not None else record.get("weights")
    if not isinstance(w, Mapping) or not w:
        raise RRScoreError(
            "this radioresistance result carries no weights (its record was lost): pass the "
            "contributions table (rrscore.radioresistance(..., return_contributions=True)) "
            "or weights="
        )
    missing = [m for m in w if m not in table.columns]
    if missing:
        raise RRScoreError(f"weighted mechanisms {missing[:5]} are not columns of the scores")
    z = table[list(w)].astype(np.float64)
    return z * pd.Series(w, dtype=np.float64), table["composite"].astype(np.float64)


def _choose(composite: pd.Series, samples, top: int | None, max_samples: int) -> list:
    if samples is not None:
        chosen = [samples] if isinstance(samples, str) or not isinstance(samples, Sequence) \
            else list(samples)
        missing = [s for s in chosen if s not in composite.index]
        if missing:
            raise RRScoreError(f"samples not in the scores: {missing[:5]}")
        return chosen
    ranked = composite.dropna().sort_values(ascending=False)
    if top is None and len(ranked) <= max_samples:
        return list(ranked.index)
    n = top if top is not None else max_samples // 2
    if 2 * n >= len(ranked):
        return list(ranked.index)
    return list(ranked.index[:n]) + list(ranked.index[-n:])


def _waterfall(ax, row: pd.Series, total: float, name) -> None:
    order = row.dropna().abs().sort_values(ascending=False).index
    running = 0.0
    labels = []
    for i, mech in enumerate(order):
        value = float(row[mech])
        ax.barh(i, value, left=running, color=_UP if value >= 0 else _DOWN, height=0.7)
        running += value
        labels.append(str(mech))
        if i + 1 < len(order):
            ax.plot([running, running], [i + 0.35, i + 0.65], color="0.4", linewidth=0.8)
    ax.barh(len(order), total, left=0, color=_TOTAL, height=0.7)
    labels.append("composite")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(labels)), labels, fontsize=8)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlabel("contribution to the composite (weight × z)")
    ax.set_title(f"{name}: composite {total:+.3f}", fontsize=10)


def _stacked(ax, contrib: pd.DataFrame, composite: pd.Series) -> None:
    import matplotlib

    mechs = list(contrib.columns)
    cmap = matplotlib.colormaps["tab20"]
    colors = {m: cmap(i % cmap.N) for i, m in enumerate(mechs)}
    for i, sample in enumerate(contrib.index):
        pos = neg = 0.0
        for mech in mechs:
            value = contrib.at[sample, mech]
            if not np.isfinite(value) or value == 0:
                continue
            left = pos if value > 0 else neg
            ax.barh(i, value, left=left, color=colors[mech], height=0.75,
                    label=mech if i == 0 else None)
            if value > 0:
                pos += value
            else:
                neg += value
    ax.scatter(composite.loc[contrib.index].to_numpy(), np.arange(len(contrib)), marker="D",
               color="black", s=18, zorder=3, label="composite")
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(contrib)), [str(s) for s in contrib.index], fontsize=7)
    ax.set_ylim(len(contrib) - 0.5, -0.5)
    ax.set_xlabel("contribution to the composite (weight × z)")
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7,
              frameon=False)


def contributions(
    data, samples=None, *, key: str = "rrscore_radioresistance", top: int | None = None,
    max_samples: int = 30, kind: str = "auto", weights: Mapping[str, float] | None = None,
    figsize=None, ax=None, show: bool | None = None, save: SaveLike = None,
    return_fig: bool = False, dpi: int = 100,
):
    """Each mechanism's contribution (weight × z) to the composite of some samples.

    The contributions of a sample add up to its composite exactly; this plot shows which
    mechanisms push it up (red in a waterfall) or down (blue).

    Parameters
    ----------
    data
        The result of :func:`rrscore.radioresistance` (scores with their record, or the
        contributions table returned with ``return_contributions=True``), or an AnnData
        scored by :func:`rrscore.tl.radioresistance`.
    samples
        One sample name (a waterfall) or several (stacked bars). Default: every sample when
        there are at most ``max_samples``, else the ``top`` highest and lowest composites.
    key
        ``key_added`` of :func:`rrscore.tl.radioresistance` (AnnData only).
    top
        Show the ``top`` samples with the highest and the ``top`` with the lowest composite.
    max_samples
        Most samples shown when neither ``samples`` nor ``top`` is given.
    kind
        ``"waterfall"`` (one sample: bars from the running sum, largest contributions
        first, then the composite), ``"bar"`` (one stacked bar per sample, positive
        contributions right of 0, negative left, a diamond at the composite) or ``"auto"``.
    weights
        Composite weights, when ``data`` lost its record.
    figsize, ax, show, save, return_fig, dpi
        As in :func:`rrscore.pl.dotplot`.

    Returns
    -------
    Figure, Axes or None
        The figure with ``return_fig=True``; the axes with ``show=False``; otherwise None.

    Raises
    ------
    RRScoreError
        When the weights are unknown, a sample is not scored, or a waterfall is asked for
        several samples.
    """
    check_kind(kind, ("auto", "waterfall", "bar"), "kind")
    contrib, composite = contribution_table(data, key=key, weights=weights)
    chosen = _choose(composite, samples, top, max_samples)
    if kind == "auto":
        kind = "waterfall" if len(chosen) == 1 else "bar"
    if kind == "waterfall" and len(chosen) != 1:
        raise RRScoreError(f"a waterfall shows one sample; got {len(chosen)}")
    if kind == "waterfall":
        size = figsize or (7.0, 1.0 + 0.3 * (contrib.shape[1] + 1))
        fig, ax = new_axes(ax, size)
        _waterfall(ax, contrib.loc[chosen[0]], float(composite.loc[chosen[0]]), chosen[0])
    else:
        size = figsize or (9.0, float(np.clip(1.2 + 0.25 * len(chosen), 3, 14)))
        fig, ax = new_axes(ax, size)
        _stacked(ax, contrib.loc[chosen], composite)
    return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)
