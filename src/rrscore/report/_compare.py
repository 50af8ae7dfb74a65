"""Group comparisons for the report: each group against the rest, for every score column.

Uses :func:`rrscore.stats.compare` when that module exists; otherwise the same questions
answered plainly here: two-sided Mann–Whitney U (:func:`scipy.stats.mannwhitneyu`; exact
without ties when no group exceeds 50 samples, else asymptotic with the tie correction), the AUC
``U / (n_group * n_rest)`` (probability that a sample of the group scores above one of the
rest, ties counting one half), Hedges' g, and Benjamini–Hochberg q-values over all tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns of the comparison table shown in the report.
COLUMNS = ("score", "group", "n_group", "n_rest", "mean_group", "mean_rest", "difference",
           "auc", "hedges_g", "p", "q")
#: The same quantities under the names of :func:`rrscore.stats.compare`.
_SYNONYMS = {"n_rest": "n_reference", "mean_rest": "mean_reference", "p": "pvalue",
             "q": "qvalue"}


def _hedges_g(a: np.ndarray, b: np.ndarray) -> float:
    n1, n2 = len(a), len(b)
    if n1 < 2 or n2 < 2:
        return float("nan")
    pooled = ((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2)
    if pooled <= 0:
        return float("nan")
    correction = 1 - 3 / (4 * (n1 + n2) - 9)  # small-sample bias correction (Hedges 1981)
    return float((a.mean() - b.mean()) / np.sqrt(pooled) * correction)


def mann_whitney_bh(scores: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Each group against all other samples, per score column; BH q over the whole table.

    Parameters
    ----------
    scores
        Samples × score columns.
    groups
        One group label per sample (index matched to ``scores``); missing labels are left
        out.

    Returns
    -------
    pandas.DataFrame
        One row per (score, group): the columns of :data:`COLUMNS`. Groups with fewer than
        two samples, or with no other sample, get no test (p and q NaN).
    """
    from scipy.stats import false_discovery_control, mannwhitneyu

    labels = groups.reindex(scores.index)
    keep = labels.notna().to_numpy()
    labels = labels[keep]
    # categories in their own order; other labels sorted
    order = ([str(c) for c in labels.cat.categories if (labels == c).any()]
             if isinstance(labels.dtype, pd.CategoricalDtype)
             else sorted(labels.astype(str).unique()))
    labels = labels.astype(str)
    rows = []
    for column in scores.columns:
        values = scores.loc[keep, column].to_numpy(dtype=float)
        finite = np.isfinite(values)
        for group in order:
            inside = (labels.to_numpy() == group) & finite
            outside = (labels.to_numpy() != group) & finite
            a, b = values[inside], values[outside]
            row = {"score": column, "group": group, "n_group": len(a), "n_rest": len(b),
                   "mean_group": a.mean() if len(a) else np.nan,
                   "mean_rest": b.mean() if len(b) else np.nan}
            row["difference"] = row["mean_group"] - row["mean_rest"]
            if len(a) >= 2 and len(b) >= 2:
                ties = len(np.unique(np.concatenate([a, b]))) < len(a) + len(b)
                exact = not ties and max(len(a), len(b)) <= 50
                test = mannwhitneyu(a, b, alternative="two-sided",
                                    method="exact" if exact else "asymptotic")
                row.update(auc=float(test.statistic) / (len(a) * len(b)),
                           p=float(test.pvalue), hedges_g=_hedges_g(a, b))
            else:
                row.update(auc=np.nan, p=np.nan, hedges_g=np.nan)
            rows.append(row)
    table = pd.DataFrame(rows, columns=[c for c in COLUMNS if c != "q"])
    tested = table["p"].notna().to_numpy()
    table["q"] = np.nan
    if tested.any():
        table.loc[tested, "q"] = false_discovery_control(table.loc[tested, "p"].to_numpy(),
                                                         method="bh")
    return table


def compare_groups(scores: pd.DataFrame, groups: pd.Series) -> tuple[pd.DataFrame, str]:
    """(comparison table, words naming how it was computed)."""
    try:
        from rrscore.stats import compare
    except ImportError:
        return mann_whitney_bh(scores, groups), (
            "two-sided Mann–Whitney U per score and group (group vs all other samples), "
            "AUC = U / (n_group × n_rest), Hedges' g, Benjamini–Hochberg q over all tests"
        )
    table = compare(scores, groups)
    shown = pd.DataFrame(index=table.index)
    if "reference" in table.columns:  # one-vs-rest, or another group for two levels
        shown["versus"] = table["reference"]
    for column in COLUMNS:
        source = column if column in table.columns else _SYNONYMS.get(column)
        if source in table.columns:
            shown[column] = table[source]
    if "test" in table.columns:
        shown["test"] = table["test"]
    order = ["score", "group", *[c for c in shown.columns if c not in ("score", "group")]]
    return shown[order], (
        "rrscore.stats.compare: each group against the rest (or, for two groups, the second "
        "against the first), Mann–Whitney U, AUC, Hedges' g, Benjamini–Hochberg q over all "
        "tests"
    )
