"""Two-group statistics of one score: effect sizes, tests, and the Benjamini–Hochberg q-value.

Every test is scipy's (``scipy.stats.mannwhitneyu``, ``ttest_ind(equal_var=False)``,
``wilcoxon``, ``ttest_rel``, ``false_discovery_control``); this module only chooses among
them and names the choice. Effect sizes:

* ``auc`` — P(group > reference) + ½ P(tie) = U / (n₁n₂), the Mann–Whitney U of the group;
  0.5 is no difference.
* ``cliff_delta`` — P(group > reference) − P(group < reference) = 2·AUC − 1.
* ``hedges_g`` — (mean₁ − mean₂) / pooled SD, times the exact small-sample correction
  J = Γ(ν/2) / (√(ν/2) Γ((ν−1)/2)), ν = n₁ + n₂ − 2 (Hedges 1981); its CI uses the normal
  approximation SE = √((n₁+n₂)/(n₁n₂) + g²/(2(n₁+n₂))) (Hedges & Olkin 1985).
* ``difference`` — mean₁ − mean₂ with the Welch (unpaired) or paired-t confidence interval,
  whichever test is run.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special, stats

from rrscore.errors import RRScoreError

#: Largest group for which the Mann–Whitney / Wilcoxon p-value is exact (when there are no
#: ties): scipy's exact null distribution is cheap up to this size and the normal
#: approximation is poor well below it.
EXACT_MAX_N = 50

TESTS = ("mannwhitney", "welch")
ALTERNATIVES = ("two-sided", "greater", "less")


def check_test(test: str, alternative: str) -> None:
    if test not in TESTS:
        raise RRScoreError(f"test must be one of {list(TESTS)}, got {test!r}")
    if alternative not in ALTERNATIVES:
        raise RRScoreError(f"alternative must be one of {list(ALTERNATIVES)}, got "
                           f"{alternative!r}")


def hedges_g(x: np.ndarray, y: np.ndarray, ci: float = 0.95) -> tuple[float, float, float]:
    """(g, CI low, CI high) of ``x`` vs ``y``; NaN when a group has < 2 values or SD is 0."""
    n1, n2 = len(x), len(y)
    df = n1 + n2 - 2
    if n1 < 2 or n2 < 2:
        return math.nan, math.nan, math.nan
    pooled = math.sqrt(((n1 - 1) * np.var(x, ddof=1) + (n2 - 1) * np.var(y, ddof=1)) / df)
    if pooled == 0:
        return math.nan, math.nan, math.nan
    j = math.exp(special.gammaln(df / 2) - 0.5 * math.log(df / 2)
                 - special.gammaln((df - 1) / 2)) if df > 1 else math.nan
    g = j * (float(np.mean(x)) - float(np.mean(y))) / pooled
    se = math.sqrt((n1 + n2) / (n1 * n2) + g * g / (2 * (n1 + n2)))
    z = stats.norm.ppf(0.5 + ci / 2)
    return g, g - z * se, g + z * se


def _has_ties(values: np.ndarray) -> bool:
    return len(np.unique(values)) < len(values)


def unpaired(x: np.ndarray, y: np.ndarray, *, test: str, alternative: str, ci: float) -> dict:
    """Statistics of group ``x`` against reference ``y`` (1-D float arrays without NaN)."""
    n1, n2 = len(x), len(y)
    row = _describe(x, y)
    row["n_pairs"] = math.nan
    if n1 == 0 or n2 == 0:
        return {**row, "test": "", "statistic": math.nan, "pvalue": math.nan}
    u = stats.mannwhitneyu(x, y, alternative=alternative, method="asymptotic")
    row["auc"] = float(u.statistic) / (n1 * n2)
    row["cliff_delta"] = 2 * row["auc"] - 1
    row["hedges_g"], row["hedges_g_ci_low"], row["hedges_g_ci_high"] = hedges_g(x, y, ci)
    if n1 >= 2 and n2 >= 2 and (np.var(x) > 0 or np.var(y) > 0):
        welch = stats.ttest_ind(x, y, equal_var=False, alternative="two-sided")
        low, high = welch.confidence_interval(ci)
        row["ci_low"], row["ci_high"] = float(low), float(high)
    if test == "mannwhitney":
        exact = not _has_ties(np.concatenate([x, y])) and max(n1, n2) <= EXACT_MAX_N
        result = stats.mannwhitneyu(x, y, alternative=alternative,
                                    method="exact" if exact else "asymptotic")
        name = "mannwhitney-exact" if exact else "mannwhitney-asymptotic"
    else:
        if n1 < 2 or n2 < 2:
            return {**row, "test": "welch", "statistic": math.nan, "pvalue": math.nan}
        result = stats.ttest_ind(x, y, equal_var=False, alternative=alternative)
        name = "welch"
    return {**row, "test": name, "statistic": float(result.statistic),
            "pvalue": float(result.pvalue)}


def paired(x: np.ndarray, y: np.ndarray, *, test: str, alternative: str, ci: float) -> dict:
    """Statistics of matched pairs ``x[i]`` (group) and ``y[i]`` (reference)."""
    n = len(x)
    row = _describe(x, y)
    row["n_pairs"] = n
    if n == 0:
        return {**row, "test": "", "statistic": math.nan, "pvalue": math.nan}
    u = stats.mannwhitneyu(x, y, method="asymptotic")
    row["auc"] = float(u.statistic) / (n * n)
    row["cliff_delta"] = 2 * row["auc"] - 1
    row["hedges_g"], row["hedges_g_ci_low"], row["hedges_g_ci_high"] = hedges_g(x, y, ci)
    d = x - y
    if n >= 2 and np.var(d) > 0:
        low, high = stats.ttest_rel(x, y).confidence_interval(ci)
        row["ci_low"], row["ci_high"] = float(low), float(high)
    if test == "mannwhitney":
        if np.all(d == 0):
            return {**row, "test": "wilcoxon", "statistic": math.nan, "pvalue": math.nan}
        exact = n <= EXACT_MAX_N and not np.any(d == 0) and not _has_ties(np.abs(d))
        result = stats.wilcoxon(d, alternative=alternative,
                                method="exact" if exact else "asymptotic")
        name = "wilcoxon-exact" if exact else "wilcoxon-asymptotic"
    else:
        if n < 2 or np.var(d) == 0:
            return {**row, "test": "paired-t", "statistic": math.nan, "pvalue": math.nan}
        result = stats.ttest_rel(x, y, alternative=alternative)
        name = "paired-t"
    return {**row, "test": name, "statistic": float(result.statistic),
            "pvalue": float(result.pvalue)}


def _describe(x: np.ndarray, y: np.ndarray) -> dict:
    nan = math.nan
    m1 = float(np.mean(x)) if len(x) else nan
    m2 = float(np.mean(y)) if len(y) else nan
    return {
        "n_group": len(x), "n_reference": len(y),
        "mean_group": m1, "mean_reference": m2,
        "median_group": float(np.median(x)) if len(x) else nan,
        "median_reference": float(np.median(y)) if len(y) else nan,
        "difference": m1 - m2, "ci_low": nan, "ci_high": nan,
        "auc": nan, "cliff_delta": nan,
        "hedges_g": nan, "hedges_g_ci_low": nan, "hedges_g_ci_high": nan,
    }


def bh_qvalues(pvalues) -> np.ndarray:
    """Benjamini–Hochberg q-values (``scipy.stats.false_discovery_control``) over the finite
    p-values; NaN stays NaN and does not count as a test."""
    p = np.asarray(pvalues, dtype=float)
    q = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q
