"""scanpy-style tools: put gene-set scores into an AnnData (``rrscore.tl.score``).

Follows scanpy's conventions: results go into the AnnData (``obsm``, optionally ``obs``,
and ``uns`` for the parameters), ``copy=True`` returns an annotated copy, and
``inplace=False`` returns the scores without touching the object. Backed (``backed="r"``)
and Dask-backed AnnData are scored by blocks of cells without loading the matrix (see
:mod:`rrscore.methods._engine` for which methods allow it).

``rrscore.tl.radioresistance`` is the per-cell composite radioresistance score
(:func:`rrscore.radioresistance` placed into the AnnData; in-memory AnnData only). All AnnData
placement lives here; :mod:`rrscore.get` reads results back.

**Keys.** Every function that writes into the AnnData writes over an existing key only when
a record of rrscore in ``adata.uns`` says rrscore wrote it (a re-run replaces its own
results); an ``obs`` column, ``obsm`` embedding or ``uns`` entry holding other data is
refused, naming the key, unless ``overwrite=True`` (scanpy writes over such keys silently;
a clustering or ``X_pca`` lost to a default key name is the fault this prevents). See
:func:`rrscore._records.check_keys_free`.
"""

from __future__ import annotations

import math

from rrscore._prepare import GeneSetsLike
from rrscore._records import check_keys_free, mark_unscored, warn_collapsed_duplicates
from rrscore._runner import run_scoring
from rrscore._version import __version__
from rrscore.errors import RRScoreError
from rrscore.genesets._matching import LOW_COVERAGE
from rrscore.methods import get_method
from rrscore.stats import binarize as _binarize
from rrscore.stats import compare as _compare
from rrscore.stats import score_thresholds as _score_thresholds
from rrscore.stats import smooth_scores as _smooth_scores

__all__ = ["binarize", "compare", "radioresistance", "score", "score_thresholds", "smooth_scores"]


def _obs_prefix(obs_columns: bool | str, key_added: str) -> str | None:
    """The prefix of the per-set ``adata.obs`` columns, or None for no columns."""
    if obs_columns is True:
        return f"{key_added}_"
    if obs_columns is False or obs_columns is None:
        return None
    if isinstance(obs_columns, str):
        return obs_columns
    raise RRScoreError(f"obs_columns must be True, False or a prefix, got {obs_columns!r}")


def score(
    adata,
    gene_sets: GeneSetsLike = "mechanisms",
    method: str = "ucell",
    *,
    layer: str | None = None,
    use_raw: bool | None = None,
    key_added: str = "rrscore",
    inplace: bool = True,
    copy: bool = False,
    obs_columns: bool | str = False,
    overwrite: bool = False,
    chunk_size: int | None = None,
    progress: bool = False,
    n_jobs: int | None = None,
    min_size: int = 1,
    max_size: float = math.inf,
    duplicates: str = "highest_mean",
    nan_policy: str = "error",
    low_coverage: float = LOW_COVERAGE,
    map_ids="auto",
    **method_params,
):
    """Score gene sets in every cell of an AnnData and store the result in it.

    Parameters
    ----------
    adata
        AnnData in memory (dense, CSR or CSC), backed (``anndata.read_h5ad(path,
        backed="r")``, dense or CSR on disk) or with a Dask array as its matrix. Backed and
        Dask matrices are read by blocks of cells and never loaded whole.
    gene_sets
        A bundled collection name (default ``"mechanisms"``: the radioresistance
        mechanisms; ``rrscore genesets list`` lists them), a GMT path, a dict
        ``name -> genes``, a long DataFrame or a :class:`~rrscore.GeneSetCollection`.
    method
        A registered method (``rrscore.list_methods()``); default ``"ucell"``.
    layer, use_raw
        Which matrix to score, as in scanpy: ``use_raw=None`` scores ``adata.raw`` when it
        exists and no ``layer`` is given.
    key_added
        Key of the results: ``adata.obsm[key_added]`` and ``adata.uns[key_added]``.
    inplace
        Store the results in ``adata`` (default). False returns the scores and leaves
        ``adata`` untouched.
    copy
        Annotate and return a copy of ``adata`` (not for backed AnnData).
    obs_columns
        Also write one ``adata.obs`` column per set: True names them
        ``f"{key_added}_{set}"``, a string is used as the prefix instead; False (default)
        writes none.
    overwrite
        Write over keys that rrscore did not write. By default a key that exists is written
        over only when a record of rrscore in ``adata.uns`` says rrscore wrote it (a re-run
        with the same ``key_added`` replaces its results); an ``obsm``, ``obs`` or ``uns``
        entry holding other data (``X_pca``, a clustering, another tool's parameters) is
        refused with an error naming it.
    chunk_size
        Cells per block (bounds memory; default: the method's, or the Dask block size).
    progress
        Show a progress bar (tqdm) over the blocks of cells; silent by default.
    n_jobs
        Threads for the numba kernels (-1 or None: all cores, numba's setting).
    min_size, max_size, duplicates, nan_policy, low_coverage, map_ids
        The input-layer and matching options of :func:`rrscore.score`.
    **method_params
        The method's parameters (``rrscore.list_methods()`` shows them).

    Returns
    -------
    None, AnnData or pandas.DataFrame
        None by default; the annotated copy with ``copy=True``; the scores (cells × sets,
        with the record ``adata.uns[key_added]`` would get in ``.attrs["rrscore"]``) with
        ``inplace=False``. ``rrscore.get.scores(adata, key)`` reads stored scores back with
        their record.

    Raises
    ------
    RRScoreError
        For an object that is not an AnnData, ``copy=True`` with ``inplace=False``, a backed
        AnnData with ``copy=True``, invalid parameters, and (without ``overwrite=True``)
        ``adata.obsm[key_added]``, ``adata.uns[key_added]`` or an ``obs`` column to be
        written that exists and was not written by rrscore; nothing is written then.

    Warns
    -----
    DuplicateGenesWarning
        When duplicated gene identifiers (``var_names``) were collapsed by ``duplicates``.

    Notes
    -----
    ``adata.uns[key_added]`` holds plain values that survive ``write_h5ad``: ``method``,
    ``params`` (None stored as the string ``"None"``; ``params_json`` has them exactly),
    ``collection`` and ``collection_version``, ``sets`` (scored, in column order),
    ``coverage`` (one list per column of the coverage report, keyed by ``set``), ``input``
    (what the input layer did), ``matrix`` (which matrix was scored), ``engine``
    (``in-memory``, ``backed``, ``dask-blockwise`` or ``dask-streaming``), ``output``,
    ``obs_columns`` and ``rrscore_version`` (:class:`rrscore._records.ResultRecord`).
    """
    if copy and not inplace:
        raise RRScoreError("copy=True returns an annotated copy; it cannot be combined with "
                           "inplace=False (which returns the scores only)")
    if not isinstance(key_added, str) or not key_added:
        raise RRScoreError(f"key_added must be a non-empty string, got {key_added!r}")
    if not hasattr(adata, "obs_names") or not hasattr(adata, "obsm"):
        raise RRScoreError(
            f"rrscore.tl.score takes an AnnData, got {type(adata).__name__}; "
            "use rrscore.score for tables and arrays"
        )
    prefix = _obs_prefix(obs_columns, key_added)
    get_method(method).make_params(**method_params)  # parameter errors before any copy
    if inplace:  # before the work; the obs columns, named by the sets scored, after it
        check_keys_free(adata, function="rrscore.tl.score", obsm=[key_added],
                        uns=[key_added], overwrite=overwrite)
    if copy:
        if getattr(adata, "isbacked", False):
            raise RRScoreError(
                "copy=True cannot copy a backed AnnData (its matrix stays on disk); use "
                "inplace=True, which writes only small results into memory, or "
                "inplace=False"
            )
        adata = adata.copy()
    run = run_scoring(
        adata, gene_sets, method, method_params=method_params, min_size=min_size,
        max_size=max_size, layer=layer, use_raw=use_raw, duplicates=duplicates,
        nan_policy=nan_policy, low_coverage=low_coverage, map_ids=map_ids,
        chunk_size=chunk_size, progress=progress, n_jobs=n_jobs,
    )
    warn_collapsed_duplicates(run.prepared.expr.report.notes)
    mark_unscored(run.prepared.sets.coverage, run.set_names, run.values["score"],
                  run.spec.name)
    names = run.set_names
    obs_names = [f"{prefix}{n}" for n in names] if prefix is not None else []
    record = run.record("score", obs_columns=obs_names)
    scores = run.frame("score", index=adata.obs_names)
    if not inplace:
        scores.attrs["rrscore"] = record.to_uns()
        return scores
    check_keys_free(adata, function="rrscore.tl.score", obs=obs_names, overwrite=overwrite,
                    obs_option="obs_columns= prefix")
    scores.attrs = {}
    adata.obsm[key_added] = scores
    if obs_names:
        for col, name in zip(obs_names, names, strict=True):
            adata.obs[col] = scores[name].to_numpy()
    adata.uns[key_added] = record.to_uns()
    return adata if copy else None


def radioresistance(
    adata,
    *,
    reference=None,
    method: str | None = None,
    weights: dict[str, float] | None = None,
    layer: str | None = None,
    use_raw: bool | None = None,
    key_added: str = "rrscore_radioresistance",
    obs_key: str = "rr_composite",
    inplace: bool = True,
    copy: bool = False,
    overwrite: bool = False,
    **kwargs,
):
    """Per-cell radioresistance score of an AnnData, stored in it scanpy-style.

    Runs :func:`rrscore.radioresistance` on the cells and stores the result:
    ``adata.obsm[key_added]`` (cells × mechanism z-scores, ``composite``,
    ``composite_percentile``, the confounder columns and any driver or significance columns),
    ``adata.obs[obs_key]`` (the composite) and ``adata.uns[key_added]`` (method, parameters,
    weights, mechanisms, their read-outs and part weights, confounders, adjustment, reference
    mean and SD — plain values that survive ``write_h5ad``). Without ``reference`` the cells
    are their own reference: scores are relative to the cells of this AnnData.

    Parameters
    ----------
    adata
        An in-memory AnnData (dense or sparse; ``layer``/``use_raw`` choose the matrix as in
        scanpy). Backed AnnData is not supported here.
    reference, method, weights
        As in :func:`rrscore.radioresistance` (e.g. a
        :class:`~rrscore.RadioresistanceScorer` fitted on a reference set of cells, or its
        JSON path).
    layer, use_raw
        Which matrix to score, as in scanpy and :func:`score`.
    key_added
        Key of the results: ``adata.obsm[key_added]`` (all columns) and
        ``adata.uns[key_added]`` (the record).
    obs_key
        Name of the one ``adata.obs`` column that receives the composite (default
        ``"rr_composite"``); it is always written with ``inplace=True``. This is the
        composite's counterpart of :func:`score`'s ``obs_columns`` (which writes one column
        per set, off by default); the per-mechanism columns stay in ``obsm[key_added]``.
    inplace, copy
        ``inplace=False`` returns the scores and leaves ``adata`` untouched; ``copy=True``
        annotates and returns a copy.
    overwrite
        Write over keys that rrscore did not write (see :func:`score`): by default an
        existing ``obs[obs_key]``, ``obsm[key_added]`` or ``uns[key_added]`` is replaced
        only when a record of rrscore in ``adata.uns`` says rrscore wrote it.
    **kwargs
        Other arguments of :func:`rrscore.radioresistance` (``mechanisms``, ``gene_sets``,
        ``confounders``, ``adjust``, ``significance``, ``seed``, ``mutations``,
        ``sequenced``, method parameters, ``nan_policy``, ...).

    Returns
    -------
    None, AnnData or pandas.DataFrame
        None by default; the annotated copy with ``copy=True``; the scores with
        ``inplace=False``.

    Raises
    ------
    RRScoreError
        For an object that is not an AnnData, a backed AnnData, ``copy=True`` with
        ``inplace=False``, and (without ``overwrite=True``) keys to be written that exist
        and were not written by rrscore (checked before any work; nothing is written then).
    """
    # Imported here so this function stays one self-contained block of the module.
    import pandas as pd

    from rrscore._records import plain
    from rrscore.radiation._composite import radioresistance as composite_radioresistance

    def h5ad_safe(value):
        # plain values h5ad can store: None becomes "None", an empty list empty text
        value = plain(value)
        if value is None:
            return "None"
        if isinstance(value, dict):
            return {k: h5ad_safe(v) for k, v in value.items()}
        if isinstance(value, list):
            return [h5ad_safe(v) for v in value] if value else ""
        return value

    if not hasattr(adata, "obs_names") or not hasattr(adata, "obsm"):
        raise RRScoreError(
            f"rrscore.tl.radioresistance takes an AnnData, got {type(adata).__name__}; "
            "use rrscore.radioresistance for tables and arrays"
        )
    if getattr(adata, "isbacked", False):
        raise RRScoreError(
            "rrscore.tl.radioresistance writes into the AnnData, so it needs one in memory; "
            "for a backed AnnData use rrscore.radioresistance(adata) (returns the scores, "
            "reading the cells block by block) or load it first with adata.to_memory()"
        )
    if copy and not inplace:
        raise RRScoreError("copy=True returns an annotated copy; it cannot be combined with "
                           "inplace=False (which returns the scores only)")
    for name, value in (("key_added", key_added), ("obs_key", obs_key)):
        if not isinstance(value, str) or not value:
            raise RRScoreError(f"{name} must be a non-empty string, got {value!r}")
    if inplace:
        check_keys_free(adata, function="rrscore.tl.radioresistance", obsm=[key_added],
                        obs=[obs_key], uns=[key_added], overwrite=overwrite,
                        obs_option="obs_key=")
    scores, _, scorer = composite_radioresistance(
        adata, reference=reference, method=method, weights=weights, layer=layer,
        use_raw=use_raw, return_contributions=True, **kwargs,
    )
    scores.index = pd.Index(adata.obs_names)
    if not inplace:
        return scores
    if copy:
        adata = adata.copy()
    meta = scores.attrs["rrscore"]
    record = {
        "method": meta["method"],
        "params": meta["params"],
        "collection": meta["collection"],
        "collection_version": meta["collection_version"],
        "mechanisms": meta["mechanisms"],
        "weights": meta["weights"],
        "reference": {**meta["reference"],
                      "mean": {m: float(scorer.mean_[m]) for m in scorer.mechanisms_},
                      "sd": {m: float(scorer.scale_[m]) for m in scorer.mechanisms_}},
        "standardisation": meta["standardisation"],
        "composite_version": meta["composite_version"],
        "readouts": meta["readouts"],
        "confounders": meta["confounders"],
        "adjustment": meta["adjustment"],
        "significance": meta["significance"],
        "obs_key": obs_key,
        "rrscore_version": __version__,  # marks the record (and its keys) as rrscore's
    }
    stored = scores.copy()
    stored.attrs = {}
    adata.obsm[key_added] = stored
    adata.obs[obs_key] = stored["composite"].to_numpy()
    adata.uns[key_added] = h5ad_safe(record)
    return adata if copy else None


# Statistics on AnnData (obs groups, obsm scores, sample_key pseudobulk, obsp neighbours) are
# implemented in rrscore.stats, which reads AnnData itself; tl offers them scanpy-style, with
# the AnnData first.


def _require_anndata(adata, name: str) -> None:
    if not hasattr(adata, "obs_names") or not hasattr(adata, "obsm"):
        raise RRScoreError(f"rrscore.tl.{name} takes an AnnData, got {type(adata).__name__}; "
                           f"use rrscore.stats.{name} for tables")


def compare(adata, groupby, *, key: str = "rrscore", sample_key=None, **options):
    """Compare the scores stored in ``adata.obsm[key]`` between groups of cells or samples.

    Parameters
    ----------
    adata
        An AnnData scored by :func:`score` or :func:`radioresistance`.
    groupby
        An ``adata.obs`` column (or a Series / list of columns; see
        :func:`rrscore.stats.compare`).
    key
        ``adata.obsm`` key of the scores.
    sample_key
        ``adata.obs`` column naming the sample (donor, patient, cell line) of each cell:
        scores are averaged per sample before testing. Without it, cells are refused as
        replicates unless ``replicates="cells"`` is passed (with a warning).
    **options
        Other arguments of :func:`rrscore.stats.compare` (``group``, ``reference``,
        ``test``, ``pair_key``, ``replicates``, ``alternative``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per score and contrast (see :func:`rrscore.stats.compare`).
    """
    _require_anndata(adata, "compare")
    return _compare(adata, groupby, key=key, sample_key=sample_key, **options)


def score_thresholds(adata, *, key: str = "rrscore", **options):
    """AUCell-style on/off threshold of every set's score distribution in ``adata.obsm[key]``.

    Parameters
    ----------
    adata
        An AnnData scored by :func:`score`.
    key
        ``adata.obsm`` key of the scores.
    **options
        ``sets``, ``thr_p``, ``smallest_pop``, ``dens_adjust`` of
        :func:`rrscore.stats.score_thresholds`.

    Returns
    -------
    pandas.DataFrame
        One row per set (see :func:`rrscore.stats.score_thresholds`).
    """
    _require_anndata(adata, "score_thresholds")
    return _score_thresholds(adata, key=key, **options)


def binarize(adata, thresholds=None, *, key: str = "rrscore", key_added: str | None = None,
             overwrite: bool = False, **options):
    """On/off calls per cell and set from the scores in ``adata.obsm[key]``.

    Parameters
    ----------
    adata
        An AnnData scored by :func:`score`.
    thresholds
        A number, a dict/Series per set, the table of :func:`score_thresholds`, or None to
        compute it.
    key, key_added
        Where the scores are, and where the calls go (``adata.obsm[key_added]``, thresholds
        in ``adata.uns[key_added]``); ``key_added=None`` stores nothing.
    overwrite
        Write over ``obsm[key_added]``/``uns[key_added]`` even when rrscore did not write
        them (see :func:`score`).
    **options
        Threshold options when ``thresholds`` is None.

    Returns
    -------
    pandas.DataFrame
        Cells × sets, boolean.

    Raises
    ------
    RRScoreError
        For an object that is not an AnnData, and (without ``overwrite=True``) a
        ``key_added`` whose ``obsm``/``uns`` entry exists and was not written by rrscore.
    """
    _require_anndata(adata, "binarize")
    return _binarize(adata, thresholds, key=key, key_added=key_added, overwrite=overwrite,
                     **options)


def smooth_scores(adata, *, key: str = "rrscore", key_added: str | None = None,
                  self_weight: float = 1.0, overwrite: bool = False):
    """Scores averaged over each cell's neighbours (``adata.obsp["connectivities"]``).

    Parameters
    ----------
    adata
        An AnnData scored by :func:`score`, with a neighbour graph (``sc.pp.neighbors``).
    key, key_added
        Where the scores are, and where the smoothed scores go (``adata.obsm[key_added]``,
        with a record in ``adata.uns[key_added]``: ``function``, ``source_key``,
        ``self_weight``, ``rrscore_version``).
    self_weight
        Weight of a cell's own score (see :func:`rrscore.stats.smooth_scores`).
    overwrite
        Write over ``obsm[key_added]``/``uns[key_added]`` even when rrscore did not write
        them (see :func:`score`).

    Returns
    -------
    pandas.DataFrame
        Smoothed cells × sets.

    Raises
    ------
    RRScoreError
        For an object that is not an AnnData, and (without ``overwrite=True``) a
        ``key_added`` whose ``obsm``/``uns`` entry exists and was not written by rrscore.
    """
    _require_anndata(adata, "smooth_scores")
    return _smooth_scores(adata, key=key, key_added=key_added, self_weight=self_weight,
                          overwrite=overwrite)
