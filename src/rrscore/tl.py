"""scanpy-style tools: put gene-set scores into an AnnData (``rrscore.tl.score``).

Follows scanpy's conventions: results go into the AnnData (``obsm``, optionally ``obs``,
and ``uns`` for the parameters), ``copy=True`` returns an annotated copy, and
``inplace=False`` returns the scores without touching the object. Backed (``backed="r"``)
and Dask-backed AnnData are scored by blocks of cells without loading the matrix (see
:mod:`rrscore.methods._engine` for which methods allow it).

``rrscore.tl.radioresistance`` is the per-cell composite radioresistance score
(:func:`rrscore.radiation.radioresistance_anndata`, from the composite-score work; in-memory
AnnData only).
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from dataclasses import asdict

import pandas as pd

from rrscore._api import GeneSetsLike, coverage_record, prepare
from rrscore._records import plain
from rrscore.errors import RRScoreError
from rrscore.expression._lazy import lazy_expression
from rrscore.genesets._gmt import as_collection
from rrscore.genesets._matching import LOW_COVERAGE
from rrscore.methods import get_method
from rrscore.methods._engine import run_method
from rrscore.radiation._composite import radioresistance_anndata as radioresistance

__all__ = ["radioresistance", "score"]


@contextlib.contextmanager
def _numba_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the numba kernels on ``n_jobs`` threads (None: numba's setting, all cores)."""
    if n_jobs is None:
        yield
        return
    import numba

    n_max = numba.config.NUMBA_NUM_THREADS
    n = n_max if n_jobs == -1 else int(n_jobs)
    if not 1 <= n <= n_max:
        raise RRScoreError(f"n_jobs must be -1 or between 1 and {n_max}, got {n_jobs!r}")
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _input_record(report: dict) -> dict:
    record = {}
    for key, value in report.items():
        if isinstance(value, dict):
            record[key] = {str(k): plain(v, for_h5ad=True) for k, v in value.items()}
        elif isinstance(value, (list, tuple)):
            # an empty list would come back from h5ad as a float array: store the text
            record[key] = "\n".join(map(str, value))
        else:
            record[key] = plain(value, for_h5ad=True)
    return record


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
        with the record of :attr:`adata.uns` in ``.attrs["rrscore"]``) with
        ``inplace=False``.

    Notes
    -----
    ``adata.uns[key_added]`` holds plain values that survive ``write_h5ad``: ``method``,
    ``params`` (None stored as the string ``"None"``; ``params_json`` has them exactly),
    ``collection`` and ``collection_version``, ``sets`` (scored, in column order),
    ``coverage`` (one list per column of the coverage report, keyed by ``set``), ``input``
    (what the input layer did), ``matrix`` (which matrix was scored), ``engine``
    (``in-memory``, ``backed``, ``dask-blockwise`` or ``dask-streaming``), ``obs_columns``
    and ``rrscore_version``.
    """
    from rrscore import __version__

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
    spec = get_method(method)
    params = spec.make_params(**method_params)
    if copy:
        if getattr(adata, "isbacked", False):
            raise RRScoreError(
                "copy=True cannot copy a backed AnnData (its matrix stays on disk); use "
                "inplace=True, which writes only small results into memory, or "
                "inplace=False"
            )
        adata = adata.copy()
    collection = as_collection(gene_sets)
    expr = lazy_expression(
        adata, layer=layer, use_raw=use_raw, gene_universe=collection.genes,
        duplicates=duplicates, nan_policy=nan_policy, chunk_size=chunk_size,
        progress=progress, map_ids=map_ids,
    )
    prep = prepare(
        adata if expr is None else expr, collection, min_size=min_size, max_size=max_size,
        layer=layer, use_raw=use_raw, duplicates=duplicates, nan_policy=nan_policy,
        low_coverage=low_coverage, map_ids=map_ids, method=spec.name,
    )
    with _numba_threads(n_jobs):
        values, engine = run_method(spec, prep.expr, prep.sets, params,
                                    chunk_size=chunk_size, progress=progress)
    names = prep.sets.names
    scores = pd.DataFrame(values, index=pd.Index(adata.obs_names), columns=pd.Index(names))
    scores.columns.name = "gene_set"

    if obs_columns is True:
        prefix = f"{key_added}_"
    elif obs_columns is False or obs_columns is None:
        prefix = None
    elif isinstance(obs_columns, str):
        prefix = obs_columns
    else:
        raise RRScoreError(f"obs_columns must be True, False or a prefix, got {obs_columns!r}")
    obs_names = [f"{prefix}{n}" for n in names] if prefix is not None else []

    if layer is not None:
        matrix = f"adata.layers[{layer!r}]"
    elif use_raw or (use_raw is None and adata.raw is not None):
        matrix = "adata.raw.X"
    else:
        matrix = "adata.X"
    record = {
        "method": spec.name,
        "params": {k: plain(v, for_h5ad=True) for k, v in asdict(params).items()},
        "params_json": json.dumps(asdict(params), default=str),
        "collection": collection.name or "",
        "collection_version": collection.version or "",
        "sets": list(names),
        "coverage": coverage_record(prep.sets.coverage),
        "input": _input_record(prep.expr.report.to_dict()),
        "matrix": matrix,
        "engine": engine,
        "obs_columns": obs_names,
        "rrscore_version": __version__,
    }
    if not inplace:
        scores.attrs["rrscore"] = record
        return scores
    adata.obsm[key_added] = scores
    if obs_names:
        for col, name in zip(obs_names, names, strict=True):
            adata.obs[col] = scores[name].to_numpy()
    adata.uns[key_added] = record
    return adata if copy else None
