"""Plots of statistical results: :func:`forest` (effects with CIs), :func:`volcano`
(mechanisms by effect and significance), :func:`km` (Kaplan–Meier curves) and
:func:`running_sum` (an ssGSEA/GSVA walk with its leading edge).

Each takes the table an :mod:`rrscore.stats` function returned; :func:`forest` and
:func:`volcano` also take scores (a DataFrame or an AnnData) with ``groups=`` and run
:func:`rrscore.compare` first, and :func:`km` takes a clinical table with ``groups=`` and
runs :func:`rrscore.stats.kaplan_meier`. Figure conventions as the rest of ``rrscore.pl``
(``ax``, ``show``, ``save``, ``return_fig``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.pl._figure import SaveLike, finish, new_axes

#: Effects :func:`forest` can draw: column → (CI low, CI high, reference line, log scale).
_EFFECTS = {
    "difference": ("ci_low", "ci_high", 0.0, False),
    "hedges_g": ("hedges_g_ci_low", "hedges_g_ci_high", 0.0, False),
    "hr": ("hr_ci_low", "hr_ci_high", 1.0, True),
}


def _results(data, groups, compare_options: dict) -> pd.DataFrame:
    """A compare/survival result table, computing :func:`rrscore.compare` when needed."""
    if isinstance(data, pd.DataFrame) and ("pvalue" in data.columns and "score" in data.columns):
        return data
    if groups is None:
        raise RRScoreError("give a result table of rrscore.compare / rrscore.survival, or "
                           "scores with groups= to compare")
    from rrscore.stats import compare

    return compare(data, groups, **compare_options)


def _label(row: pd.Series, with_grouping: bool = False) -> str:
    text = str(row["score"])
    if with_grouping and "grouping" in row.index:
        text = f"{row['grouping']}: {text}"
    if "term" in row.index and row["term"] not in ("score", None) and \
            isinstance(row["term"], str):
        text += f" [{row['term']}]"
    if "group" in row.index and isinstance(row.get("reference"), str):
        text += f" ({row['group']} vs {row['reference']})"
    return text


def forest(
    data, groups=None, *, effect: str | None = None, term: str | None = "score",
    sort: bool = True, q_threshold: float = 0.05, ax=None, figsize=None, show: bool | None = None,
    save: SaveLike = None, return_fig: bool = False, dpi: int = 150, **compare_options,
):
    """Forest plot: one effect with its confidence interval per row.

    Parameters
    ----------
    data
        A table of :func:`rrscore.compare` or :func:`rrscore.survival`, or scores
        (DataFrame, AnnData) to compare by ``groups`` (``**compare_options`` passed on).
    effect
        ``"difference"`` (default for comparisons), ``"hedges_g"``, or ``"hr"`` (default
        for survival tables; drawn on a log axis).
    term
        Survival tables: the term to draw (default ``"score"``; None draws every term).
    sort
        Order rows by effect.
    q_threshold
        Rows with ``qvalue`` below it are drawn filled, the others open.

    Returns
    -------
    As the other ``rrscore.pl`` plots (figure, axes or None).
    """
    table = _results(data, groups, compare_options)
    if effect is None:
        effect = "hr" if "hr" in table.columns else "difference"
    if effect not in _EFFECTS:
        raise RRScoreError(f"effect must be one of {list(_EFFECTS)}, got {effect!r}")
    low, high, ref, log = _EFFECTS[effect]
    if "term" in table.columns and term is not None:
        table = table[table["term"] == term]
    table = table.dropna(subset=[effect])
    if table.empty:
        raise RRScoreError(f"nothing to draw: no row has a finite {effect!r}")
    if sort:
        table = table.sort_values(effect, kind="stable")
    n = len(table)
    fig, ax = new_axes(ax, figsize or (6.0, 0.8 + 0.32 * n))
    y = np.arange(n)
    est = table[effect].to_numpy(float)
    lo = table[low].to_numpy(float)
    hi = table[high].to_numpy(float)
    q = table["qvalue"].to_numpy(float) if "qvalue" in table.columns else np.full(n, np.nan)
    strong = q < q_threshold
    ax.hlines(y, lo, hi, color="0.35", lw=1.2)
    ax.scatter(est[strong], y[strong], color="C3", zorder=3, s=28, label=f"q < {q_threshold}")
    ax.scatter(est[~strong], y[~strong], facecolor="white", edgecolor="0.2", zorder=3, s=28,
               label=f"q ≥ {q_threshold}" if np.isfinite(q).any() else None)
    ax.axvline(ref, color="0.5", lw=0.8, ls="--")
    several = "grouping" in table.columns and table["grouping"].nunique() > 1
    ax.set_yticks(y, [_label(r, several) for _, r in table.iterrows()], fontsize=8)
    if log:
        ax.set_xscale("log")
    ax.set_xlabel({"difference": "difference of means (group − reference)",
                   "hedges_g": "Hedges' g", "hr": "hazard ratio per SD"}[effect])
    for yi, qi in zip(y, q, strict=True):
        if np.isfinite(qi):
            ax.annotate(f"q={qi:.2g}", (1.01, yi), xycoords=("axes fraction", "data"),
                        fontsize=7, va="center")
    if strong.any() and (~strong).any():
        ax.legend(loc="lower right", fontsize=7, frameon=False)
    ax.set_ylim(-0.7, n - 0.3)
    return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)


def volcano(
    data, groups=None, *, x: str = "difference", y: str = "pvalue", q_threshold: float = 0.05,
    n_labels: int = 10, ax=None, figsize=(5.5, 4.5), show: bool | None = None,
    save: SaveLike = None, return_fig: bool = False, dpi: int = 150, **compare_options,
):
    """Volcano plot of mechanisms: effect against −log10 p, significant ones labelled.

    Parameters
    ----------
    data, groups, **compare_options
        As in :func:`forest`.
    x
        Effect column (``"difference"``, ``"hedges_g"``, ``"auc"``, ``"coef"``, ...).
    y
        ``"pvalue"`` or ``"qvalue"`` (drawn as −log10).
    q_threshold
        Points with ``qvalue`` below it are coloured.
    n_labels
        Label the most significant points (by ``y``).
    """
    table = _results(data, groups, compare_options)
    if "term" in table.columns:
        table = table[table["term"] == "score"]
    for col in (x, y):
        if col not in table.columns:
            raise RRScoreError(f"column {col!r} not in the result table")
    table = table.dropna(subset=[x, y])
    fig, ax = new_axes(ax, figsize)
    xs = table[x].to_numpy(float)
    ys = -np.log10(np.clip(table[y].to_numpy(float), 1e-300, 1))
    q = table["qvalue"].to_numpy(float) if "qvalue" in table.columns else np.full(len(xs), 1.0)
    hit = q < q_threshold
    ax.scatter(xs[~hit], ys[~hit], color="0.6", s=20)
    ax.scatter(xs[hit], ys[hit], color="C3", s=26, label=f"q < {q_threshold}")
    centre = 0.5 if x == "auc" else (1.0 if x == "hr" else 0.0)
    ax.axvline(centre, color="0.5", lw=0.8, ls="--")
    order = np.argsort(-ys)[: max(0, int(n_labels))]
    several = "grouping" in table.columns and table["grouping"].nunique() > 1
    for i in order:
        ax.annotate(_label(table.iloc[i], several), (xs[i], ys[i]), fontsize=7, xytext=(3, 2),
                    textcoords="offset points")
    ax.set_xlabel(x)
    ax.set_ylabel(f"−log10 {y}")
    if hit.any():
        ax.legend(loc="upper left", fontsize=7, frameon=False)
    return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)


def km(
    data, groups=None, *, time: str | None = None, event: str | None = None,
    ci: bool = True, censor_marks: bool = True, time_unit: str = "days", ax=None,
    figsize=(5.5, 4.2), show: bool | None = None, save: SaveLike = None,
    return_fig: bool = False, dpi: int = 150,
):
    """Kaplan–Meier curves per group, with the log-rank p-value.

    Parameters
    ----------
    data
        The table of :func:`rrscore.stats.kaplan_meier`, or a clinical table (with
        ``groups=``, ``time=``, ``event=`` passed to it).
    ci
        Draw the pointwise confidence bands.
    censor_marks
        Mark censored times with ``|``.
    time_unit
        Axis label of time.
    """
    if isinstance(data, pd.DataFrame) and {"survival", "n_at_risk", "group"} <= set(
            data.columns):
        curves = data
    else:
        from rrscore.stats import kaplan_meier

        curves = kaplan_meier(data, groups, time=time, event=event)
    meta = curves.attrs.get("rrscore_stats", {})
    fig, ax = new_axes(ax, figsize)
    for i, (name, part) in enumerate(curves.groupby("group", sort=False)):
        color = f"C{i % 10}"
        n = meta.get("n", {}).get(str(name))
        events = meta.get("n_events", {}).get(str(name))
        label = f"{name} (n={n}, {events} events)" if n is not None else str(name)
        ax.step(part["time"], part["survival"], where="post", color=color, label=label)
        if ci:
            ax.fill_between(part["time"], part["ci_low"], part["ci_high"], step="post",
                            color=color, alpha=0.15, lw=0)
        if censor_marks:
            cens = part[part["n_censored"] > 0]
            ax.plot(cens["time"], cens["survival"], "|", color=color, ms=7)
    test = meta.get("logrank")
    if test:
        ax.text(0.98, 0.04, f"log-rank p = {test['pvalue']:.2g}", transform=ax.transAxes,
                ha="right", fontsize=8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("survival probability")
    ax.legend(loc="lower left", fontsize=7, frameon=False)
    return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)


def running_sum(
    data, *, ax=None, figsize=(6.0, 3.8), show: bool | None = None, save: SaveLike = None,
    return_fig: bool = False, dpi: int = 150,
):
    """The running sum of :func:`rrscore.stats.running_sum`: the walk per part, the set
    genes as ticks below, the leading edge shaded.

    Parameters
    ----------
    data
        The table :func:`rrscore.stats.running_sum` returned.
    """
    if not isinstance(data, pd.DataFrame) or not {"running_sum", "position", "in_set"} <= set(
            data.columns):
        raise RRScoreError("running_sum plots the table of rrscore.stats.running_sum")
    meta = data.attrs.get("rrscore_stats", {})
    fig, ax = new_axes(ax, figsize)
    parts = list(dict.fromkeys(data["part"]))
    for i, part in enumerate(parts):
        sub = data[data["part"] == part]
        color = "C3" if part == "up" else "C0"
        info = meta.get(part, {})
        es = info.get("es", math.nan)
        ax.plot(sub["position"], sub["running_sum"], color=color, lw=1.2,
                label=f"{part}: ES = {es:.3g}")
        hits = sub[sub["in_set"]]
        in_lead = hits["gene"].isin(set(info.get("leading_edge", []))).to_numpy()
        # set genes as ticks under the axis, the leading edge solid, the rest faint
        for mask, alpha in ((in_lead, 1.0), (~in_lead, 0.35)):
            ax.vlines(hits["position"].to_numpy()[mask], 0.02 + 0.07 * i, 0.08 + 0.07 * i,
                      color=color, lw=0.8, alpha=alpha, transform=ax.get_xaxis_transform())
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel("gene position in the sample (1 = highest)")
    ax.set_ylabel("running sum  P_in − P_out")
    title = f"{meta.get('set', '')} in {meta.get('sample', '')} ({meta.get('walk', '')})"
    if "score" in meta:
        title += f"; score {meta['score']:.4g}"
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    return finish(fig, ax, show=show, save=save, return_fig=return_fig, dpi=dpi)
