"""The public scoring calls: :func:`score`, :func:`score_with_dispersion`, :func:`coverage`.

Each is a thin placement over the one scoring path (:func:`rrscore._runner.run_scoring`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from rrscore._prepare import GeneSetsLike, prepare
from rrscore._records import coverage_table, mark_unscored, warn_collapsed_duplicates
from rrscore._runner import INPUT_OPTIONS, RUN_OPTIONS, run_scoring
from rrscore.errors import RRScoreError
from rrscore.genesets._matching import LOW_COVERAGE
from rrscore.ids import MapIds


def coverage(data, gene_sets: GeneSetsLike, **kwargs) -> pd.DataFrame:
    """Per set: genes listed, found, the fraction found, missing genes, and whether it is kept.

    Parameters
    ----------
    data, gene_sets
        As in :func:`score`.
    **kwargs
        The input-layer and matching options of :func:`score` (``min_size``, ``max_size``,
        ``genes``, ``samples``, ``orient``, ``layer``, ``use_raw``, ``duplicates``,
        ``nan_policy``, ``low_coverage``, ``map_ids``).

    Returns
    -------
    pandas.DataFrame
        One row per set of the collection, indexed by set name (index name ``set``), with
        the columns, in this order: ``n_listed`` (genes the set lists), ``n_found`` (genes
        found in the data and scored), ``coverage`` (``n_found / n_listed``), ``n_up`` and
        ``n_down`` (found per part of a signed set; unsigned sets are all ``up``),
        ``n_up_listed`` and ``n_down_listed`` (listed per part), ``missing`` (set genes not
        in the data, joined by ``;``), ``excluded`` (found but not usable by the method:
        empty here, as no method is given; the coverage report of a gsva, zscore, plage or
        mean result lists the genes constant across samples), ``renamed``
        (``set gene->data gene`` for case-insensitive or synonym matches), ``kept`` (True
        when the set passes ``min_size``/``max_size`` and would be scored) and ``reason``
        (why a set is not kept; empty when it is).

    Raises
    ------
    RRScoreError
        For an option that is not an input or matching option, and for input the input
        layer refuses (see :func:`score`).
    """
    unknown = sorted(set(kwargs) - INPUT_OPTIONS)
    if unknown:
        raise RRScoreError(f"coverage() has no option(s) {unknown}; it accepts "
                           f"{sorted(INPUT_OPTIONS)}")
    prepared = prepare(data, gene_sets, **kwargs)
    warn_collapsed_duplicates(prepared.expr.report.notes)
    return prepared.sets.coverage


def coverage_report(result: pd.DataFrame) -> pd.DataFrame:
    """The coverage report of a :func:`score` result, as a DataFrame indexed by set name.

    Parameters
    ----------
    result
        A DataFrame returned by :func:`score` (or ``rrscore.tl.score(..., inplace=False)``).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`coverage`, one row per set of the collection (scored or not).

    Raises
    ------
    RRScoreError
        When ``result`` carries no rrscore record.
    """
    try:
        record = result.attrs["rrscore"]
    except (AttributeError, KeyError, TypeError):
        raise RRScoreError("this object carries no rrscore coverage report") from None
    return coverage_table(record)


def score(
    data,
    gene_sets: GeneSetsLike,
    method: str = "ssgsea",
    *,
    min_size: int = 1,
    max_size: float = math.inf,
    genes: Sequence[object] | None = None,
    samples: Sequence[object] | None = None,
    orient: str = "auto",
    layer: str | None = None,
    use_raw: bool | None = None,
    duplicates: str = "highest_mean",
    nan_policy: str = "error",
    low_coverage: float = LOW_COVERAGE,
    map_ids: MapIds = "auto",
    chunk_size: int | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
    **method_params,
) -> pd.DataFrame:
    """Score gene sets in every sample.

    Parameters
    ----------
    data
        Expression: a DataFrame (genes × samples or samples × genes), a NumPy array or scipy
        sparse matrix with ``genes=``, or an AnnData (``layer=``, ``use_raw=``).
    gene_sets
        A GMT path, a bundled collection name (``rrscore genesets list``), a dict
        ``name -> genes`` (``GENE-`` marks a down gene), a long DataFrame with ``source``,
        ``target`` and optional ``weight`` columns, or a :class:`GeneSetCollection`.
    method
        Method name, lower case; ``rrscore.list_methods()`` lists them.
    min_size, max_size
        Keep sets whose number of genes *found in the data* is in ``[min_size, max_size]``.
    genes, samples
        Labels for array input.
    orient
        ``"auto"``, ``"genes_rows"`` or ``"genes_columns"`` (DataFrame and array input).
    layer, use_raw
        AnnData source (scanpy conventions).
    duplicates
        Policy for duplicated gene identifiers: ``highest_mean`` (default), ``mean``,
        ``sum``, ``max``, ``first``, ``error``.
    nan_policy
        ``"error"`` (default) or ``"drop_genes"``.
    low_coverage
        Warn about sets with a smaller fraction of genes found.
    map_ids
        Gene-ID mapping through the bundled human gene reference. ``"auto"`` (default):
        when the gene sets use symbols, data indexed by Ensembl or Entrez gene IDs is
        mapped to approved symbols (IDs mapping to one symbol are collapsed by
        ``duplicates``; counts in the input report), and a set gene absent from the data
        is matched through an unambiguous previous symbol or alias (reported in the
        coverage's ``renamed`` column, e.g. ``MRGBP->C20orf20``). ``"off"``: identifiers
        as given, exact then case-insensitive matching only, as R GSVA does.
    chunk_size
        Samples per chunk (bounds memory; default 256).
    progress
        Show a progress bar on stderr.
    n_jobs
        Threads for the numba kernels: ``None`` or ``-1`` (default) all cores (numba's
        setting), else ``1 .. NUMBA_NUM_THREADS``.
    **method_params
        The method's parameters, with the reference implementation's names in snake case
        (ssGSEA: ``alpha``, ``normalize``).

    Returns
    -------
    pandas.DataFrame
        Samples as rows, gene sets as columns, whatever the input orientation. ``.attrs``
        holds ``"rrscore"``: the method, its parameters, the coverage report (plain lists,
        one per column, keyed by ``set``; :func:`coverage_report` turns it into a
        DataFrame: genes listed, found, missing per set) and the input report (what was
        cleaned, collapsed or dropped). Only plain Python data is stored there, so the
        result prints, concatenates and serialises like any DataFrame.

    Warns
    -----
    DuplicateGenesWarning
        When duplicated gene identifiers were collapsed by the ``duplicates`` policy (how
        many rows and genes, and the policy; also a note of the input report).
    DroppedSetsWarning, LowCoverageWarning
        For sets not scored (each named with its reason) and sets with few genes found.
    """
    options = dict(min_size=min_size, max_size=max_size, genes=genes, samples=samples,
                   orient=orient, layer=layer, use_raw=use_raw, duplicates=duplicates,
                   nan_policy=nan_policy, low_coverage=low_coverage, map_ids=map_ids,
                   chunk_size=chunk_size, progress=progress, n_jobs=n_jobs)
    run = run_scoring(data, gene_sets, method, method_params=method_params, **options)
    warn_collapsed_duplicates(run.prepared.expr.report.notes)
    mark_unscored(run.prepared.sets.coverage, run.set_names, run.values["score"],
                  run.spec.name)
    return run.frame("score")


def score_with_dispersion(
    data, gene_sets: GeneSetsLike, *, ties_method: str = "min", center_score: bool = True,
    known_direction: bool = True, **options,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """singscore scores and their dispersions (singscore's ``TotalDispersion``).

    :func:`score` with ``method="singscore"`` returns the same scores; use this function
    when the dispersion is wanted too (one ranking gives both).

    Parameters
    ----------
    data, gene_sets
        As in :func:`score`.
    ties_method, center_score, known_direction
        singscore's parameters (see ``rrscore.list_methods()``).
    **options
        Input, matching and run options of :func:`score` (``min_size``, ``max_size``,
        ``genes``, ``samples``, ``orient``, ``layer``, ``use_raw``, ``duplicates``,
        ``nan_policy``, ``low_coverage``, ``map_ids``, ``chunk_size``, ``progress``,
        ``n_jobs``).

    Returns
    -------
    scores, dispersion : pandas.DataFrame
        Samples × sets each. ``dispersion`` is the MAD of the set genes' ranks (1.4826 ×
        median absolute deviation, R's ``mad``); for a signed set the mean of the up and
        down MADs. Both carry ``.attrs["rrscore"]`` as :func:`score` does, with
        ``output`` = ``"score"`` or ``"dispersion"``.

    Notes
    -----
    Source: Foroutan et al., BMC Bioinformatics 2018; R singscore ``simpleScore``.
    """
    unknown = sorted(set(options) - INPUT_OPTIONS - RUN_OPTIONS)
    if unknown:
        raise RRScoreError(
            f"score_with_dispersion() has no option(s) {unknown}; it accepts singscore's "
            f"parameters and {sorted(INPUT_OPTIONS | RUN_OPTIONS)}"
        )
    run = run_scoring(
        data, gene_sets, "singscore", outputs=("score", "dispersion"),
        method_params=dict(ties_method=ties_method, center_score=center_score,
                           known_direction=known_direction),
        **options,
    )
    warn_collapsed_duplicates(run.prepared.expr.report.notes)
    mark_unscored(run.prepared.sets.coverage, run.set_names, run.values["score"],
                  run.spec.name)
    return run.frame("score"), run.frame("dispersion")
