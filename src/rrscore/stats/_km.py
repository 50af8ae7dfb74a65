"""Kaplan–Meier curves by user-given groups and the log-rank test (lifelines).

Groups are the user's: a clinical column, or a Series such as
``rrscore.assign_groups(scores, quantiles=(0.5,))`` — rrscore invents no cut-off.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.stats._inputs import align_rows
from rrscore.stats._survival import _event_values, _time_event, lifelines

#: Columns of :func:`kaplan_meier`'s result, in order.
COLUMNS = ("group", "time", "n_at_risk", "n_events", "n_censored", "survival", "ci_low",
           "ci_high")


def _outcome(clinical: pd.DataFrame, groups, time, event) -> tuple[pd.DataFrame, str]:
    """``time``, ``event``, ``group`` per patient (rows with any of them missing dropped)."""
    if not isinstance(clinical, pd.DataFrame):
        raise RRScoreError(f"clinical must be a DataFrame, got {type(clinical).__name__}")
    frame, t, e, convention = _time_event(clinical, time, event)
    if groups is None:
        labels = pd.Series("all", index=frame.index)
    elif isinstance(groups, str):
        if groups not in frame.columns:
            raise RRScoreError(f"groups column {groups!r} not in the clinical table")
        labels = frame[groups]
    elif isinstance(groups, pd.Series):
        frame = align_rows(frame, groups.index, what="clinical")
        labels = groups
    else:
        labels = pd.Series(np.asarray(groups), index=frame.index)
        if len(labels) != len(frame):
            raise RRScoreError("groups must be a column name, a Series or one label per row")
    out = pd.DataFrame({"time": pd.to_numeric(frame[t], errors="coerce"),
                        "event": _event_values(frame[e]),
                        "group": labels.astype(object).where(labels.notna())})
    out = out.dropna()
    out = out[out["time"] > 0]
    if out.empty:
        raise RRScoreError("no patient has a positive time, an event status and a group")
    if isinstance(labels.dtype, pd.CategoricalDtype):
        order = [c for c in labels.cat.categories if (out["group"] == c).any()]
    else:
        order = sorted(out["group"].unique(), key=str)
    out["group"] = pd.Categorical(out["group"], categories=order, ordered=True)
    return out, convention


def logrank(clinical: pd.DataFrame, groups, *, time: str | None = None,
            event: str | None = None) -> pd.DataFrame:
    """Log-rank test of survival between groups (lifelines ``logrank_test`` for two groups,
    ``multivariate_logrank_test`` for more).

    Parameters
    ----------
    clinical
        Outcome table (see :func:`kaplan_meier`).
    groups
        A column of ``clinical`` or a Series of labels indexed by sample/patient.
    time, event
        As in :func:`kaplan_meier`.

    Returns
    -------
    pandas.DataFrame
        One row: ``groups`` (the labels, ``;``-joined), ``n``, ``n_events``,
        ``statistic`` (χ²), ``df``, ``pvalue``, ``test``.
    """
    lifelines()  # the clear error naming the extra when lifelines is missing
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    data, _ = _outcome(clinical, groups, time, event)
    levels = list(data["group"].cat.categories)
    if len(levels) < 2:
        raise RRScoreError(f"the log-rank test needs two groups; got {levels}")
    if len(levels) == 2:
        a, b = (data[data["group"] == lv] for lv in levels)
        res = logrank_test(a["time"], b["time"], event_observed_A=a["event"],
                           event_observed_B=b["event"])
        name = "logrank"
    else:
        res = multivariate_logrank_test(data["time"], data["group"].astype(str), data["event"])
        name = "multivariate logrank"
    return pd.DataFrame([{
        "groups": ";".join(map(str, levels)), "n": len(data),
        "n_events": int(data["event"].sum()), "statistic": float(res.test_statistic),
        "df": int(res.degrees_of_freedom), "pvalue": float(res.p_value), "test": name,
    }])


def kaplan_meier(clinical: pd.DataFrame, groups=None, *, time: str | None = None,
                 event: str | None = None, ci: float = 0.95) -> pd.DataFrame:
    """Kaplan–Meier survival curves per group (lifelines ``KaplanMeierFitter``).

    Parameters
    ----------
    clinical
        One row per patient/sample: ``time``/``event`` columns, or TCGA fields from which
        :func:`rrscore.stats.tcga_survival` derives them (days).
    groups
        A column of ``clinical`` or a Series of labels (e.g. from
        :func:`rrscore.assign_groups`), aligned by label (TCGA barcodes by sample or
        patient); None: one curve for everyone.
    time, event
        Outcome columns; default ``time``/``event`` or the TCGA derivation.
    ci
        Confidence level of the pointwise intervals (lifelines' exponential Greenwood).

    Returns
    -------
    pandas.DataFrame
        One row per group and time (0 and every observed time): ``group``, ``time``,
        ``n_at_risk``, ``n_events``, ``n_censored``, ``survival``, ``ci_low``, ``ci_high``.
        ``.attrs["rrscore_stats"]`` holds ``median`` (median survival per group, NaN when
        not reached), ``n``/``n_events`` per group, the ``logrank`` result (dict, with two
        or more groups) and the time/event ``convention``.
    """
    ll = lifelines()
    if not 0 < ci < 1:
        raise RRScoreError(f"ci must be in (0, 1), got {ci!r}")
    data, convention = _outcome(clinical, groups, time, event)
    parts, medians, counts, events = [], {}, {}, {}
    for level in data["group"].cat.categories:
        sub = data[data["group"] == level]
        kmf = ll.KaplanMeierFitter(alpha=1 - ci)
        kmf.fit(sub["time"], sub["event"], label=str(level))
        table = kmf.event_table
        bands = kmf.confidence_interval_survival_function_
        part = pd.DataFrame({
            "group": str(level), "time": table.index.to_numpy(float),
            "n_at_risk": table["at_risk"].to_numpy(int),
            "n_events": table["observed"].to_numpy(int),
            "n_censored": table["censored"].to_numpy(int),
            "survival": kmf.survival_function_.iloc[:, 0].reindex(table.index).to_numpy(),
            "ci_low": bands.iloc[:, 0].reindex(table.index).to_numpy(),
            "ci_high": bands.iloc[:, 1].reindex(table.index).to_numpy(),
        })
        parts.append(part)
        median = float(kmf.median_survival_time_)
        medians[str(level)] = median if math.isfinite(median) else math.nan
        counts[str(level)] = len(sub)
        events[str(level)] = int(sub["event"].sum())
    result = pd.concat(parts, ignore_index=True)[list(COLUMNS)]
    meta = {"analysis": "kaplan_meier", "median": medians, "n": counts, "n_events": events,
            "convention": convention, "ci": ci}
    if len(medians) >= 2:
        meta["logrank"] = logrank(data, "group", time="time", event="event").iloc[0].to_dict()
    result.attrs["rrscore_stats"] = meta
    return result
