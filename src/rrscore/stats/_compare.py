"""Group comparison of scores: :func:`compare`.

Any score table (rrscore's or not; samples or cells as rows, or an AnnData scored by
:func:`rrscore.tl.score`) against one or several groupings: per score and contrast, the group
means, their difference with its CI, effect sizes (AUC, Cliff's δ, Hedges' g), a
Mann–Whitney or Welch test (Wilcoxon signed-rank or paired t with a pairing key) and the
Benjamini–Hochberg q-value over all tests of the table. Cells are aggregated per sample first
(``sample_key``) and never tested as replicates unless asked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError, StatisticsWarning, warn
from rrscore.stats._effects import bh_qvalues, check_test, paired, unpaired
from rrscore.stats._inputs import (
    check_replicates,
    labels_for,
    pseudobulk,
    score_columns,
    score_table,
)

REST = "rest"

#: Columns of :func:`compare`'s result, in order.
COLUMNS = (
    "grouping", "score", "group", "reference", "unit", "n_group", "n_reference", "n_pairs",
    "mean_group", "mean_reference", "median_group", "median_reference", "difference",
    "ci_low", "ci_high", "auc", "cliff_delta", "hedges_g", "hedges_g_ci_low",
    "hedges_g_ci_high", "test", "alternative", "statistic", "pvalue", "qvalue",
)

_TRUE = {"1", "1.0", "true", "yes", "mutant", "mutated"}
_FALSE = {"0", "0.0", "false", "no", "wild type", "wildtype", "wt"}


def _normalise_labels(values: pd.Series) -> tuple[pd.Series, list[str], bool]:
    """Labels as strings, their levels in order, and whether the grouping is binary (1/0).

    Binary groupings (0/1, True/False, yes/no) become "1"/"0"; categorical levels keep
    their category order, other levels are sorted.
    """
    present = values.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = [str(c) for c in values.cat.categories if (present == c).any()]
        return values.astype(object).where(values.notna()).map(
            lambda v: v if pd.isna(v) else str(v)), levels, False
    text = present.astype(str).str.strip()
    lowered = set(text.str.lower())
    if lowered and lowered <= (_TRUE | _FALSE):
        mapped = text.str.lower().map(lambda v: "1" if v in _TRUE else "0")
        out = pd.Series(np.nan, index=values.index, dtype=object)
        out[mapped.index] = mapped
        return out, [lv for lv in ("0", "1") if (mapped == lv).any()], True
    out = pd.Series(np.nan, index=values.index, dtype=object)
    out[text.index] = text
    try:
        levels = sorted(set(text), key=float)
    except ValueError:
        levels = sorted(set(text))
    return out, levels, False


def _contrasts(levels: list[str], binary: bool, group, reference, name: str
               ) -> list[tuple[str, str]]:
    """(group, reference) pairs to test; reference ``"rest"`` means all other levels."""
    group = None if group is None else str(group)
    reference = None if reference is None else str(reference)
    if binary:
        group = {"true": "1", "false": "0"}.get(str(group).lower(), group) if group else group
        reference = {"true": "1", "false": "0"}.get(str(reference).lower(), reference) \
            if reference else reference
    for label in (group, reference):
        if label is not None and label != REST and label not in levels:
            raise RRScoreError(f"grouping {name!r} has no level {label!r}; levels: {levels}")
    if len(levels) < 2:
        raise RRScoreError(f"grouping {name!r} needs two groups; it has {levels}")
    if group is not None:
        if reference is None:
            others = [lv for lv in levels if lv != group]
            reference = others[0] if len(others) == 1 else REST
        if reference == group:
            raise RRScoreError(f"group and reference are both {group!r}")
        return [(group, reference)]
    if len(levels) == 2:
        if reference is not None:
            return [(next(lv for lv in levels if lv != reference), reference)]
        return [("1", "0")] if binary else [(levels[1], levels[0])]
    if reference is not None and reference != REST:
        return [(lv, reference) for lv in levels if lv != reference]
    return [(lv, REST) for lv in levels]


def _groupings(groups, rows: pd.Index, table: pd.DataFrame, obs) -> list[tuple[str, pd.Series]]:
    if isinstance(groups, pd.DataFrame):
        return [(str(c), labels_for(groups[c], rows, table=table, obs=obs, what="groups"))
                for c in groups.columns]
    if isinstance(groups, (list, tuple)) and groups and all(isinstance(g, str) for g in groups):
        return [(g, labels_for(g, rows, table=table, obs=obs, what="groups")) for g in groups]
    if isinstance(groups, str):
        return [(groups, labels_for(groups, rows, table=table, obs=obs, what="groups"))]
    labels = labels_for(groups, rows, table=table, obs=obs, what="groups")
    name = getattr(groups, "name", None)
    return [(str(name) if name is not None else "group", labels)]


def _units(table, labels, rows, *, unit, sample_key, pair_key, aggregate, obs):
    """(scores per unit, group label per unit, pair label per unit or None, cells per unit)."""
    pairs = None
    if pair_key is not None:
        pairs = labels_for(pair_key, rows, table=table, obs=obs, what="pair_key")
    if unit != "pseudobulk":
        return table, labels, pairs
    samples = labels_for(sample_key, rows, table=table, obs=obs, what="sample_key")
    keys = {"sample": samples, "group": labels}
    if pairs is not None:
        keys["pair"] = pairs
    frame = pd.DataFrame(keys, index=rows)
    agg, key_frame, _ = pseudobulk(table, frame, how=aggregate)
    return agg, key_frame["group"], (key_frame["pair"] if pairs is not None else None)


def _paired_values(values, labels, pairs, group, reference):
    """Matched arrays (group, reference): the mean of each pair's units in each arm."""
    frame = pd.DataFrame({"v": values, "g": labels, "p": pairs}).dropna()
    in_group = frame["g"] == group
    in_ref = frame["g"] != group if reference == REST else frame["g"] == reference
    a = frame[in_group].groupby("p")["v"].mean()
    b = frame[in_ref].groupby("p")["v"].mean()
    both = a.index.intersection(b.index)
    return a[both].to_numpy(float), b[both].to_numpy(float)


def compare(
    scores,
    groups,
    *,
    group=None,
    reference=None,
    obs: pd.DataFrame | None = None,
    key: str = "rrscore",
    sets: Sequence[str] | str | None = None,
    test: str = "mannwhitney",
    pair_key=None,
    sample_key=None,
    replicates: str | None = None,
    aggregate: str = "mean",
    alternative: str = "two-sided",
    ci: float = 0.95,
    fdr: str = "all",
) -> pd.DataFrame:
    """Compare scores between groups: effect sizes, tests and BH q-values, one row per test.

    Parameters
    ----------
    scores
        Samples (or cells) × scores: a DataFrame (:func:`rrscore.score`,
        :func:`rrscore.radioresistance` or any table), a Series, or an AnnData with the
        scores in ``adata.obsm[key]`` (its ``obs`` holds the annotations).
    groups
        The grouping: a column name (of ``obs``/``adata.obs``, else of the score table, e.g.
        ``"driver_KEAP1_NFE2L2"``), a Series indexed by sample, one label per row, a list of
        column names, or a DataFrame whose every column is a grouping (a 1/0 mutation table
        gives one comparison per gene). Labels are aligned to the score rows by label; TCGA
        barcodes match at the sample or patient level. Missing labels leave the row out.
        Binary groupings (1/0, True/False, yes/no) compare 1 against 0.
    group, reference
        The contrast. Default: for two levels the second against the first (1 against 0 for
        binary groupings; sorted or categorical order otherwise); for more levels every
        level against the rest. ``group`` alone: against the only other level, or the rest.
        ``reference="rest"`` pools every other level.
    obs
        Annotation table (samples as rows) for column names in ``groups``, ``pair_key`` and
        ``sample_key``; default ``adata.obs`` for an AnnData.
    key
        ``adata.obsm`` key of the scores (AnnData input).
    sets
        Score columns to test; default every numeric column except label columns, driver
        calls (``driver_*``) and percentiles (``*_percentile``).
    test
        ``"mannwhitney"`` (default; the Wilcoxon signed-rank test when paired) or
        ``"welch"`` (Welch's t; the paired t-test when paired). Rank tests are exact
        (``method="exact"``) when there are no ties and no group exceeds 50, else asymptotic
        with the tie correction.
    pair_key
        Column/Series of pair labels (patient for tumour vs normal, cell line for treated vs
        parent): paired tests on the pairs present in both arms (several units of one pair
        in one arm are averaged); unpaired units are left out.
    sample_key
        Column/Series of the sample (donor, patient, cell line) of every cell: scores are
        aggregated per sample (``aggregate``) — per sample and group when the group varies
        within samples — and samples are tested, not cells.
    replicates
        ``None`` (default): single-cell scores (an AnnData, or a table scored from one) need
        ``sample_key``; ``"cells"`` tests cells as replicates anyway, with a warning;
        ``"samples"`` declares every row an independent sample.
    aggregate
        ``"mean"`` or ``"median"`` of the scores of a sample's cells.
    alternative
        ``"two-sided"``, ``"greater"`` (group higher) or ``"less"``.
    ci
        Confidence level of the difference and Hedges' g intervals.
    fdr
        ``"all"`` (default): BH over every test in the table; ``"contrast"``: within each
        grouping and contrast separately.

    Returns
    -------
    pandas.DataFrame
        One row per grouping × contrast × score, in that order, with the columns
        ``grouping``, ``score``, ``group``, ``reference`` (``"rest"`` for one-vs-rest),
        ``unit`` (``samples``, ``pseudobulk`` or ``cells``), ``n_group``, ``n_reference``,
        ``n_pairs`` (NaN unpaired), ``mean_group``, ``mean_reference``, ``median_group``,
        ``median_reference``, ``difference`` (mean group − mean reference), ``ci_low``,
        ``ci_high`` (Welch or paired-t interval of the difference), ``auc`` (P(group >
        reference) + ½P(tie)), ``cliff_delta`` (2·AUC − 1), ``hedges_g`` with
        ``hedges_g_ci_low``/``hedges_g_ci_high``, ``test`` (``mannwhitney-exact``,
        ``mannwhitney-asymptotic``, ``welch``, ``wilcoxon-exact``, ``wilcoxon-asymptotic``
        or ``paired-t``), ``alternative``, ``statistic`` (U of the group, t, or Wilcoxon's
        W), ``pvalue`` and ``qvalue`` (Benjamini–Hochberg, ``scipy.stats.
        false_discovery_control``). ``.attrs["rrscore_stats"]`` records the options.

    Raises
    ------
    RRScoreError
        Single-cell scores without ``sample_key`` or ``replicates``; a grouping with fewer
        than two groups; unknown options; labels that match no score row.
    """
    check_test(test, alternative)
    if fdr not in ("all", "contrast"):
        raise RRScoreError(f"fdr must be 'all' or 'contrast', got {fdr!r}")
    if not 0 < ci < 1:
        raise RRScoreError(f"ci must be in (0, 1), got {ci!r}")
    table, adata_obs, from_cells = score_table(scores, key=key)
    obs = adata_obs if obs is None else obs
    unit = check_replicates(from_cells, sample_key, replicates)
    rows = table.index
    groupings = _groupings(groups, rows, table, obs)
    # label columns taken from the score table itself are not scores to test
    exclude = [name for name, _ in groupings if obs is None or name not in obs.columns]
    for extra in (pair_key, sample_key):
        if isinstance(extra, str) and (obs is None or extra not in obs.columns):
            exclude.append(extra)
    columns = score_columns(table, sets, exclude)
    values_table = table[columns].apply(pd.to_numeric, errors="coerce").astype(float)

    out = []
    for name, raw in groupings:
        labels, levels, binary = _normalise_labels(raw)
        n_missing = int(labels.isna().sum())
        if n_missing and not levels:
            raise RRScoreError(f"grouping {name!r} has no group for any of its {len(labels)} "
                               "rows: every value is missing (empty, NA, None, nan)")
        if n_missing:  # said, not dropped silently
            warn(f"compare: grouping {name!r}: {n_missing} of {len(labels)} rows have no group "
                 "(a missing value or no row in the groups table) and are left out",
                 StatisticsWarning)
        units, unit_labels, unit_pairs = _units(
            values_table, labels, rows, unit=unit, sample_key=sample_key, pair_key=pair_key,
            aggregate=aggregate, obs=obs)
        for g, r in _contrasts(levels, binary, group, reference, name):
            for col in columns:
                v = units[col]
                if unit_pairs is not None:
                    x, y = _paired_values(v, unit_labels, unit_pairs, g, r)
                    stats_row = paired(x, y, test=test, alternative=alternative, ci=ci)
                else:
                    ok = v.notna() & unit_labels.notna()
                    lab = unit_labels[ok]
                    x = v[ok][lab == g].to_numpy(float)
                    y = v[ok][lab != g if r == REST else lab == r].to_numpy(float)
                    stats_row = unpaired(x, y, test=test, alternative=alternative, ci=ci)
                out.append({"grouping": name, "score": col, "group": g, "reference": r,
                            "unit": unit, "alternative": alternative, **stats_row})
    result = pd.DataFrame(out)
    if fdr == "all":
        result["qvalue"] = bh_qvalues(result["pvalue"])
    else:
        result["qvalue"] = np.nan
        for _, idx in result.groupby(["grouping", "group", "reference"], sort=False).groups.items():
            result.loc[idx, "qvalue"] = bh_qvalues(result.loc[idx, "pvalue"])
    result = result[list(COLUMNS)]
    result.attrs["rrscore_stats"] = {
        "analysis": "compare", "test": test, "alternative": alternative, "unit": unit,
        "fdr": f"Benjamini-Hochberg over {'all tests' if fdr == 'all' else 'each contrast'}",
        "paired": pair_key is not None, "aggregate": aggregate if unit == "pseudobulk" else "",
        "ci": ci,
    }
    return result
