"""What every statistic starts from: a score table, labels aligned to its rows, the unit.

A score table is a DataFrame with samples (or cells) as rows — rrscore's or anyone's — or an
AnnData whose scores :func:`rrscore.tl.score` stored in ``adata.obsm[key]``. Labels (groups,
pairs, donors, clinical fields) come as a column name (looked up in the annotations, then in
the score table), a Series, or an array in row order; they are aligned to the rows by label,
with TCGA barcodes matched at the sample (``TCGA-05-4244-01``) or patient (``TCGA-05-4244``)
level when the labels differ only by their aliquot suffix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError, StatisticsWarning, warn

#: Columns of a :func:`rrscore.radioresistance` table that are not scores (driver calls) or
#: that re-express another score (percentiles of the composite): not tested by default.
_NOT_SCORES_PREFIX = ("driver_",)
_NOT_SCORES_SUFFIX = ("_percentile", "_null_z")

_TCGA = re.compile(r"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4})(-\d{2})?", re.IGNORECASE)


def is_anndata(data) -> bool:
    return hasattr(data, "obsm") and hasattr(data, "obs_names") and hasattr(data, "uns")


def score_table(scores, *, key: str = "rrscore") -> tuple[pd.DataFrame, pd.DataFrame | None,
                                                           bool]:
    """(score table, annotations or None, whether the rows are cells of an AnnData).

    ``scores`` is a DataFrame (samples × scores), a Series (one score) or an AnnData with
    the scores in ``adata.obsm[key]``. A DataFrame whose rrscore record says it was scored
    from an AnnData (``rrscore.tl.score(..., inplace=False)``) counts as cells.
    """
    if is_anndata(scores):
        if key not in scores.obsm:
            raise RRScoreError(
                f"adata.obsm has no {key!r}: score first with rrscore.tl.score(adata, "
                f"key_added={key!r}) (obsm keys: {list(scores.obsm.keys())})"
            )
        stored = scores.obsm[key]
        if isinstance(stored, pd.DataFrame):
            table = stored.copy()
        else:
            names = list(scores.uns.get(key, {}).get("sets", []))
            if len(names) != np.shape(stored)[1]:
                names = [f"{key}_{i}" for i in range(np.shape(stored)[1])]
            table = pd.DataFrame(np.asarray(stored), index=scores.obs_names, columns=names)
        table.index = pd.Index(scores.obs_names)
        return table, scores.obs.copy(), True
    if isinstance(scores, pd.Series):
        return scores.to_frame(scores.name if scores.name is not None else "score"), None, False
    if not isinstance(scores, pd.DataFrame):
        raise RRScoreError(
            f"scores must be a DataFrame (samples × scores), a Series or an AnnData, got "
            f"{type(scores).__name__}"
        )
    record = scores.attrs.get("rrscore", {}) if isinstance(scores.attrs, dict) else {}
    from_cells = str(record.get("matrix", "") or "").startswith("adata")
    return scores, None, from_cells


def score_columns(table: pd.DataFrame, sets: Sequence[str] | str | None,
                  exclude: Sequence[str] = ()) -> list[str]:
    """The columns to analyse: ``sets`` as given, else every numeric score column.

    By default, columns that are not scores of their own are left out: the label columns in
    ``exclude`` (grouping, pairs, samples), driver calls (``driver_*``), percentiles
    (``*_percentile``, a monotone copy of another column) and the composite's per-sample
    significance columns (``*_null_z``, ``*_p``).
    """
    if sets is not None:
        wanted = [sets] if isinstance(sets, str) else list(sets)
        missing = [s for s in wanted if s not in table.columns]
        if missing:
            raise RRScoreError(
                f"score column(s) {missing} not in the table; it has {list(table.columns)[:12]}"
            )
        return wanted
    skip = {str(c) for c in exclude}
    out = []
    for col in table.columns:
        name = str(col)
        if name in skip or name.startswith(_NOT_SCORES_PREFIX) or \
                name.endswith(_NOT_SCORES_SUFFIX):
            continue
        if name.endswith("_p") and f"{name[:-2]}_null_z" in table.columns:
            continue  # the p-value beside a composite mechanism's null z
        if pd.api.types.is_numeric_dtype(table[col]) and not pd.api.types.is_bool_dtype(
                table[col]):
            out.append(col)
    if not out:
        raise RRScoreError("the score table has no numeric score column to analyse")
    return out


def _tcga_keys(label: str) -> tuple[str | None, str | None]:
    """(sample key ``TCGA-XX-XXXX-NN`` or None, patient key ``TCGA-XX-XXXX`` or None)."""
    match = _TCGA.match(label)
    if match is None:
        return None, None
    patient = match.group(1).upper()
    sample = patient + match.group(2) if match.group(2) else None
    return sample, patient


def align_rows(annotation: pd.DataFrame | pd.Series, rows: pd.Index, *, what: str
               ) -> pd.DataFrame | pd.Series:
    """``annotation`` reindexed to ``rows`` (NaN where a row has no annotation).

    Exact labels first; then TCGA barcodes: an annotation labelled by sample
    (``TCGA-05-4244-01A``) matches rows of the same sample type of that patient, one
    labelled by patient (``TCGA-05-4244``) matches every sample of the patient. A key shared
    by several annotation rows is ambiguous and not used.

    Raises
    ------
    RRScoreError
        When no row finds an annotation.
    """
    labels = annotation.index.astype(str)
    exact = pd.Index(labels)
    rows_str = pd.Index(rows.astype(str))
    if exact.has_duplicates:
        dup = exact[exact.duplicated()].unique()[:5].tolist()
        raise RRScoreError(f"{what}: duplicated labels {dup}; give one row per sample")
    position = pd.Series(np.arange(len(labels)), index=exact)
    pos = position.reindex(rows_str).to_numpy()
    missing = np.isnan(pos)
    if missing.any():
        by_sample: dict[str, list[int]] = {}
        by_patient: dict[str, list[int]] = {}
        for i, label in enumerate(labels):
            sample, patient = _tcga_keys(label)
            if sample is not None:
                by_sample.setdefault(sample, []).append(i)
            elif patient is not None and len(label) == len(patient):
                by_patient.setdefault(patient, []).append(i)
        for r in np.flatnonzero(missing):
            sample, patient = _tcga_keys(rows_str[r])
            hits = by_sample.get(sample, []) if sample is not None else []
            if not hits and patient is not None:
                hits = by_patient.get(patient, [])
            if len(hits) == 1:
                pos[r] = hits[0]
    found = ~np.isnan(pos)
    if not found.any():
        raise RRScoreError(
            f"{what}: no row of the scores has a label there (score rows e.g. "
            f"{list(rows_str[:3])}; {what} labels e.g. {list(labels[:3])})"
        )
    take = np.where(found, pos, 0).astype(np.int64)
    values = annotation.iloc[take]
    values.index = rows
    if isinstance(values, pd.DataFrame):
        values = values.astype(object).where(pd.Series(found, index=rows), other=np.nan, axis=0)
        values = values.infer_objects()
    else:
        values = values.where(found)
    return values


def labels_for(spec, rows: pd.Index, *, table: pd.DataFrame, obs: pd.DataFrame | None,
               what: str) -> pd.Series:
    """One label per row from a column name (``obs`` first, then ``table``), a Series or an
    array in row order."""
    if isinstance(spec, str):
        if obs is not None and spec in obs.columns:
            return align_rows(obs[spec], rows, what=what)
        if spec in table.columns:
            return table[spec]
        have = list(obs.columns)[:15] if obs is not None else []
        raise RRScoreError(
            f"{what} {spec!r} is not a column of the annotations ({have}) or of the score "
            f"table; give the annotation table (obs=, or --groups/--clinical on the command "
            f"line) or a Series"
        )
    if isinstance(spec, pd.Series):
        return align_rows(spec, rows, what=what)
    values = np.asarray(spec)
    if values.ndim != 1 or len(values) != len(rows):
        raise RRScoreError(
            f"{what} must be a column name, a Series or one value per row ({len(rows)}); got "
            f"shape {values.shape}"
        )
    return pd.Series(values, index=rows)


def check_replicates(from_cells: bool, sample_key, replicates: str | None) -> str:
    """The unit of replication: ``"samples"``, ``"pseudobulk"`` or ``"cells"``.

    Cells of one sample are not independent replicates: with single-cell scores and no
    ``sample_key`` the caller must say ``replicates="cells"`` (a warning follows).
    """
    if replicates not in (None, "samples", "cells"):
        raise RRScoreError(f"replicates must be None, 'samples' or 'cells', got {replicates!r}")
    if sample_key is not None:
        if replicates == "cells":
            raise RRScoreError("sample_key aggregates cells per sample; it cannot go with "
                               "replicates='cells'")
        return "pseudobulk"
    if replicates == "cells":
        warn(
            "testing cells as replicates: cells of one donor, patient or cell line are not "
            "independent, so p-values overstate the evidence (pseudoreplication); give "
            "sample_key= to test samples",
            StatisticsWarning,
        )
        return "cells"
    if from_cells and replicates is None:
        raise RRScoreError(
            "these scores are per cell: cells are not independent replicates, so rrscore "
            "does not test them by default. Give sample_key=<donor/patient/cell-line column> "
            "to aggregate the scores per sample first (pseudobulk of scores), or "
            "replicates='cells' to test cells anyway (with a warning), or "
            "replicates='samples' if each row really is an independent sample"
        )
    return "samples"


def pseudobulk(table: pd.DataFrame, keys: pd.DataFrame, *, how: str = "mean"
               ) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """Scores aggregated per combination of ``keys`` (one row per sample, or per sample and
    group when the group varies within samples).

    Returns (aggregated scores, the keys of each aggregated row, number of cells per row).
    Rows with a missing key are left out.
    """
    if how not in ("mean", "median"):
        raise RRScoreError(f"aggregate must be 'mean' or 'median', got {how!r}")
    keep = keys.notna().all(axis=1).to_numpy()
    data = table.loc[keep].copy()
    cols = [f"__key{i}" for i in range(keys.shape[1])]
    for c, k in zip(cols, keys.columns, strict=True):
        data[c] = keys.loc[keep, k].astype(str).to_numpy()
    grouped = data.groupby(cols, sort=True, observed=True)
    agg = grouped[list(table.columns)].agg(how)
    counts = grouped.size()
    index_frame = agg.index.to_frame(index=False)
    index_frame.columns = list(keys.columns)
    labels = ["|".join(map(str, t)) if isinstance(t, tuple) else str(t) for t in agg.index]
    agg.index = pd.Index(labels, name="unit")
    index_frame.index = agg.index
    counts.index = agg.index
    return agg, index_frame, counts
