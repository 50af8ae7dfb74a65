"""Plots of rrscore results, scanpy-style, for bulk cohorts and single cells.

Every plot takes a score DataFrame (samples as rows: :func:`rrscore.score`,
:func:`rrscore.radioresistance`) with its annotations, or an AnnData scored by
:func:`rrscore.tl.score` / :func:`rrscore.tl.radioresistance` (``key=``), and follows scanpy's
figure conventions: ``ax=`` draws into an existing axes, ``save=`` writes the figure to a
path, ``return_fig=True`` returns the figure, ``show=False`` returns the axes, and by
default the figure is shown and None returned (so Jupyter draws it once).

By group (drawn by scanpy): :func:`dotplot`, :func:`heatmap` (group means), :func:`violin`,
:func:`embedding` (scores on a UMAP, t-SNE, PCA or given coordinates).
Per sample (bulk cohorts): :func:`sample_heatmap` (sets × samples with driver and group
bars), :func:`contributions` (what makes up a sample's composite), :func:`coverage` (genes
found per set), :func:`distributions` (box or violin plots by group).
Statistical results (:mod:`rrscore.stats`): :func:`forest` (effects with confidence
intervals), :func:`volcano`, :func:`km` (Kaplan–Meier curves), :func:`running_sum` (an
enrichment walk).

Needs matplotlib (``pip install 'rrscore[plot]'``); the grouped plots and :func:`embedding`
also need scanpy (``'rrscore[sc,plot]'``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from rrscore.pl._contributions import contributions
from rrscore.pl._coverage import coverage
from rrscore.pl._distributions import distributions
from rrscore.pl._embedding import embedding
from rrscore.pl._grouped import dotplot, heatmap, violin
from rrscore.pl._heatmap import sample_heatmap
from rrscore.pl._input import plot_data
from rrscore.pl._stats import forest, km, running_sum, volcano

__all__ = [
    "contributions",
    "coverage",
    "distributions",
    "dotplot",
    "embedding",
    "forest",
    "heatmap",
    "km",
    "running_sum",
    "sample_heatmap",
    "scores",
    "violin",
    "volcano",
]


def scores(adata, key: str = "rrscore", sets: Sequence[str] | None = None) -> pd.DataFrame:
    """The scores stored in ``adata.obsm[key]`` (cells × sets), optionally some sets only.

    Parameters
    ----------
    adata
        An AnnData scored by :func:`rrscore.tl.score` (or a score DataFrame, returned as is).
    key
        ``key_added`` of :func:`rrscore.tl.score`.
    sets
        Sets to return (default: all stored columns, in order).

    Returns
    -------
    pandas.DataFrame
        Cells × sets.

    Raises
    ------
    RRScoreError
        When nothing is stored under ``key`` or a set is not stored.
    """
    data = plot_data(adata, key=key, sets=sets)
    return data.table if sets is None else data.table[data.sets]
