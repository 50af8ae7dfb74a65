"""What every plot starts from: a score table, the samples' annotations and the run's record.

A plot accepts either a score DataFrame (samples × sets, as :func:`rrscore.score` and
:func:`rrscore.radioresistance` return it) with optional annotations, or an AnnData whose
scores :func:`rrscore.tl.score` / :func:`rrscore.tl.radioresistance` stored under ``key``
(``adata.obsm[key]``, record in ``adata.uns[key]``). :func:`plot_data` turns both into one
:class:`PlotData`, so the drawing code never asks which it got.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError

#: Columns of a radioresistance result that are not scores on the z scale: plotted with the
#: z-scores they would set the colour range (0-100 percentiles, 0/1 driver calls).
_NOT_SCORES_SUFFIX = ("_percentile",)
_NOT_SCORES_PREFIX = ("driver_",)


@dataclasses.dataclass
class PlotData:
    """Scores and annotations of one plot, aligned on the samples.

    Attributes
    ----------
    table
        Every column of the score table (samples × columns), annotations included when the
        table carries them (driver calls of :func:`rrscore.radioresistance`).
    sets
        The score columns to plot, in order.
    obs
        Sample annotations (``adata.obs``, or the ``obs`` table given with a DataFrame),
        indexed like ``table``.
    record
        The rrscore record of the run (``.attrs["rrscore"]`` or ``adata.uns[key]``); may
        be empty.
    source
        Words for error messages: where the scores came from.
    """

    table: pd.DataFrame
    sets: list[str]
    obs: pd.DataFrame
    record: dict
    source: str

    @property
    def scores(self) -> pd.DataFrame:
        """The plotted score columns as float64 (samples × sets)."""
        return self.table[self.sets].astype(np.float64)


def is_anndata(data) -> bool:
    return hasattr(data, "obsm") and hasattr(data, "obs_names") and hasattr(data, "uns")


def _stored_table(adata, key: str) -> pd.DataFrame:
    if key not in adata.obsm:
        raise RRScoreError(
            f"adata.obsm has no {key!r}: run rrscore.tl.score(adata, key_added={key!r}) "
            f"(or rrscore.tl.radioresistance) first (obsm keys: {list(adata.obsm.keys())})"
        )
    table = adata.obsm[key]
    if isinstance(table, pd.DataFrame):
        return table
    names = list(adata.uns.get(key, {}).get("sets", []))
    if len(names) != np.shape(table)[1]:
        names = [f"{key}_{i}" for i in range(np.shape(table)[1])]
    return pd.DataFrame(np.asarray(table), index=adata.obs_names, columns=names)


def default_sets(table: pd.DataFrame, record: dict) -> list[str]:
    """The columns plotted when the caller names none.

    A radioresistance result (its record lists ``mechanisms``) plots the mechanism z-scores
    and the composite; a score table plots its recorded sets; anything else its float
    columns, less percentiles and driver calls, which are on other scales.
    """
    mechanisms = record.get("mechanisms")
    if isinstance(mechanisms, (list, tuple)) and mechanisms:
        chosen = [m for m in mechanisms if m in table.columns]
        return chosen + (["composite"] if "composite" in table.columns else [])
    recorded = record.get("sets")
    if isinstance(recorded, (list, tuple)) and recorded and all(s in table.columns
                                                                 for s in recorded):
        return list(recorded)
    return [
        c for c in table.columns
        if pd.api.types.is_float_dtype(table[c].dtype)
        and not str(c).endswith(_NOT_SCORES_SUFFIX) and not str(c).startswith(_NOT_SCORES_PREFIX)
    ]


def plot_data(data, *, key: str, sets: Sequence[str] | str | None = None,
              obs: pd.DataFrame | None = None) -> PlotData:
    """Scores, annotations and record from a score DataFrame or an AnnData.

    Parameters
    ----------
    data
        A score DataFrame (samples as rows) or an AnnData with scores in ``obsm[key]``.
    key
        The ``key_added`` of :func:`rrscore.tl.score` (AnnData only).
    sets
        Score columns to plot (default: :func:`default_sets`).
    obs
        Sample annotations for a DataFrame (rows matched to its index); ignored for AnnData,
        whose ``obs`` is used.

    Raises
    ------
    RRScoreError
        For another input type, a missing ``key`` or set, or annotations sharing no sample
        with the scores.
    """
    if is_anndata(data):
        table = _stored_table(data, key)
        table = table.set_axis(pd.Index(data.obs_names), axis=0)
        annotations = data.obs
        record = dict(data.uns.get(key, {}))
        source = f"adata.obsm[{key!r}]"
    elif isinstance(data, pd.DataFrame):
        table = data
        record = dict(data.attrs.get("rrscore", {}) or {})
        source = "the score table"
        annotations = _aligned_obs(obs, table.index)
    else:
        raise RRScoreError(
            f"rrscore.pl plots a score DataFrame (samples × sets) or an AnnData scored by "
            f"rrscore.tl.score; got {type(data).__name__}"
        )
    if table.columns.has_duplicates:
        dup = table.columns[table.columns.duplicated()].unique()
        raise RRScoreError(f"{source} has duplicated columns {list(dup[:5])}")
    if sets is None:
        chosen = default_sets(table, record)
        if not chosen:
            raise RRScoreError(f"{source} has no float score column to plot; "
                               f"columns: {list(table.columns[:10])}")
    else:
        chosen = [sets] if isinstance(sets, str) else list(sets)
        missing = [s for s in chosen if s not in table.columns]
        if missing:
            where = f"adata.obsm[{key!r}]" if is_anndata(data) else "the score table"
            raise RRScoreError(
                f"sets not in {where}: {missing[:5]}; its columns: "
                f"{list(table.columns[:10])}{' ...' if table.shape[1] > 10 else ''}"
            )
        bad = [s for s in chosen if not pd.api.types.is_numeric_dtype(table[s].dtype)]
        if bad:
            raise RRScoreError(f"columns {bad} of {source} are not numeric scores")
    return PlotData(table=table, sets=chosen, obs=annotations, record=record, source=source)


def _aligned_obs(obs, index: pd.Index) -> pd.DataFrame:
    if obs is None:
        return pd.DataFrame(index=index)
    if isinstance(obs, pd.Series):
        obs = obs.to_frame()
    if not isinstance(obs, pd.DataFrame):
        raise RRScoreError(f"obs must be a DataFrame of sample annotations, got "
                           f"{type(obs).__name__}")
    shared = index.intersection(obs.index)
    if len(shared) == 0:
        raise RRScoreError(
            f"obs shares no sample with the score table (scores: {list(index[:3])}, "
            f"obs: {list(obs.index[:3])}); index both by sample name"
        )
    return obs.reindex(index)


def annotation(pd_data: PlotData, column) -> pd.Series:
    """One sample annotation: a name (of ``obs`` or the score table) or values per sample.

    Raises
    ------
    RRScoreError
        When a name is found nowhere, or values do not match the samples.
    """
    index = pd_data.table.index
    if isinstance(column, pd.Series):
        if column.index.equals(index) or len(index.intersection(column.index)) > 0:
            return column.reindex(index)
        raise RRScoreError(f"groupby Series {column.name!r} shares no sample with the scores")
    if isinstance(column, str):
        if column in pd_data.obs.columns:
            return pd_data.obs[column]
        if column in pd_data.table.columns:
            return pd_data.table[column]
        where = ("adata.obs" if pd_data.source.startswith("adata")
                 else "obs or the score table")
        raise RRScoreError(
            f"groupby {column!r} is not a column of {where}: "
            f"{list(pd_data.obs.columns[:15])}"
        )
    values = np.asarray(column)
    if values.ndim != 1 or len(values) != len(index):
        raise RRScoreError(f"groupby values must be one per sample ({len(index)}), got "
                           f"shape {values.shape}")
    return pd.Series(values, index=index, name="group")


def groups(pd_data: PlotData, groupby) -> pd.Series:
    """A grouping as a categorical Series without empty categories; samples without a group
    are NaN (left out of the plots). Numbers and booleans become sorted string categories."""
    column = annotation(pd_data, groupby)
    name = column.name if column.name is not None else "group"
    if isinstance(column.dtype, pd.CategoricalDtype):
        # empty categories would draw empty rows and shift scanpy's colours
        cat = column.cat.remove_unused_categories()
    else:
        present = column.dropna()
        order = sorted(present.unique(), key=_sort_key)
        labels = [_label(v) for v in order]
        cat = pd.Categorical(
            [None if pd.isna(v) else _label(v) for v in column], categories=labels,
            ordered=False,
        )
        cat = pd.Series(cat, index=column.index)
    if len(cat.cat.categories) == 0:
        raise RRScoreError(f"groupby {name!r} has no value for any plotted sample")
    return cat.rename(name)


def _sort_key(value):
    return (0, float(value), "") if isinstance(value, (int, float, np.number, bool)) \
        else (1, 0.0, str(value))


def _label(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def group_colors(adata, name: str, categories: pd.Index, used: pd.Index) -> list | None:
    """The colours scanpy stored for ``name`` (``uns[name + "_colors"]``), for the categories
    kept; None when there are none or they do not match the stored categories."""
    if adata is None:
        return None
    colors = adata.uns.get(f"{name}_colors")
    if colors is None or len(colors) != len(categories):
        return None
    lookup = dict(zip(map(str, categories), colors, strict=True))
    return [lookup[str(c)] for c in used]
