"""The one scoring path: prepare → run → record.

:func:`run_scoring` is what every entry point calls — :func:`rrscore.score`,
:func:`rrscore.score_with_dispersion`, :func:`rrscore.tl.score` and the composite's
:class:`~rrscore.RadioresistanceScorer` — so that input handling, the engine and the record of
what was done are the same whichever way a user comes in. Entry points only place the result
(a DataFrame, ``adata.obsm``/``uns``, a composite).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from rrscore._prepare import GeneSetsLike, Prepared, prepare
from rrscore._records import ResultRecord
from rrscore.errors import InputScaleWarning, RRScoreError, warn
from rrscore.expression._lazy import blocks_of_memory
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.expression._scale import _MAX_ROWS, detect_scale, scale_of_block
from rrscore.genesets._matching import LOW_COVERAGE
from rrscore.methods import MethodSpec, get_method
from rrscore.methods._engine import run_method

#: Input-layer and matching options of :func:`run_scoring` (and of ``rrscore.score``).
INPUT_OPTIONS = frozenset({
    "min_size", "max_size", "genes", "samples", "orient", "layer", "use_raw", "duplicates",
    "nan_policy", "low_coverage", "map_ids",
})
#: Execution options (how, not what, is computed).
RUN_OPTIONS = frozenset({"chunk_size", "progress", "n_jobs"})

#: ``chunk_size="auto"``: stored values per chunk of in-memory sparse input. A chunk of
#: ~4 million stored values (~2,500 cells at 20,000 genes and 8 % non-zero) keeps a chunk's
#: CSR slice and the rank kernels' float64/int64 copies of it near 100 MB, and makes the
#: parallel kernels start a few dozen times for 100,000 cells instead of hundreds of times
#: over 256-cell chunks (each start waits for every thread; on a busy machine that wait
#: dominated the composite on cells, issue 14).
AUTO_CHUNK_VALUES = 4_000_000
#: Bounds of the automatic chunk, in samples (cells).
AUTO_CHUNK_BOUNDS = (256, 16_384)


@dataclass
class ScoringRun:
    """The outcome of one scoring run.

    Attributes
    ----------
    spec, params
        The method and its validated parameters.
    prepared
        The input after the input layer and matching (:class:`~rrscore._prepare.Prepared`).
    values
        ``{output: (n_samples, n_sets) float64 array}``.
    engine
        How the matrix was read (``in-memory``, ``backed``, ``dask-blockwise``,
        ``dask-streaming``).
    matrix
        Which AnnData matrix was scored (empty for tables and arrays).
    input_scale
        The detected scale of the values (``kind``, ``evidence``) and whether it fits the
        method's assumption (``fits_method``); see :mod:`rrscore.expression._scale`.
    """

    spec: MethodSpec
    params: object
    prepared: Prepared
    values: dict[str, np.ndarray]
    engine: str
    matrix: str = ""
    input_scale: dict | None = None

    @property
    def samples(self) -> pd.Index:
        """Sample (cell) names, in row order."""
        return self.prepared.expr.samples

    @property
    def set_names(self) -> list[str]:
        """Names of the scored sets, in column order."""
        return list(self.prepared.sets.names)

    def record(self, output: str = "score", **extra) -> ResultRecord:
        """The provenance record of ``output`` (see :class:`~rrscore._records.ResultRecord`)."""
        collection = self.prepared.collection
        return ResultRecord(
            method=self.spec.name, params=asdict(self.params), collection=collection.name,
            collection_version=collection.version, sets=self.set_names,
            coverage=self.prepared.sets.coverage, input=self.prepared.expr.report.to_dict(),
            engine=self.engine, matrix=self.matrix, output=output,
            input_scale=dict(self.input_scale or {}), extra=dict(extra),
        )

    def frame(self, output: str = "score", index=None) -> pd.DataFrame:
        """``output`` as a samples × sets DataFrame with its record in ``.attrs["rrscore"]``.

        Parameters
        ----------
        output
            One of the computed outputs.
        index
            Row labels to use instead of the prepared sample names (e.g. ``adata.obs_names``).
        """
        frame = pd.DataFrame(
            self.values[output],
            index=pd.Index(self.samples if index is None else index),
            columns=pd.Index(self.set_names),
        )
        if index is None:
            frame.index.name = "sample"
        frame.columns.name = "gene_set"
        frame.attrs["rrscore"] = self.record(output).to_attrs()
        return frame


def _check_scale(spec: MethodSpec, params, scale) -> str | None:
    """Warn when the data's scale does not fit the method; the reason, or None."""
    problem = spec.scale_problem(scale.kind, params)
    if problem is not None:
        warn(f"{problem} ({scale.evidence})", InputScaleWarning)
    return problem


def _observe_first_block(expr) -> dict | None:
    """For backed input, keep the first block the method reads (to judge the scale from it
    without reading the file once more); None for other input (in memory, read by blocks
    from memory, Dask)."""
    rows = expr.values
    if not expr.is_lazy or blocks_of_memory(expr) or getattr(rows, "kind", None) == "dask":
        return None
    seen: dict = {}
    read = rows.read

    def observing_read(start, stop):
        block = read(start, stop)
        if "block" not in seen and stop > start:
            seen["block"] = block
            del rows.read  # back to the class's method: nothing more to observe
        return block

    rows.read = observing_read
    return seen


def _detect_scale(expr):
    """:func:`detect_scale` of ``expr``; for in-memory input read by blocks, of the rows it
    reads from the input layer's copy (spread over all samples, not the first block), taken
    from the caller's matrix."""
    if not blocks_of_memory(expr):
        return detect_scale(expr)
    n = expr.shape[0]
    # the rows detect_scale samples from an in-memory matrix; it takes all of them when the
    # sample has at most _MAX_ROWS rows, and its columns from the genes as it would
    rows = (np.arange(n) if n <= _MAX_ROWS else
            np.unique(np.linspace(0, n - 1, _MAX_ROWS).astype(np.int64)))
    return detect_scale(ExpressionMatrix(expr.values.copy_rows(rows), expr.genes,
                                         expr.samples[rows]))


def anndata_matrix(data, layer: str | None, use_raw: bool | None) -> str:
    """Which matrix of an AnnData is scored, in words; empty for other inputs."""
    if not (hasattr(data, "obs_names") and hasattr(data, "var_names")):
        return ""
    if layer is not None:
        return f"adata.layers[{layer!r}]"
    if use_raw or (use_raw is None and getattr(data, "raw", None) is not None):
        return "adata.raw.X"
    return "adata.X"


def auto_chunk_size(expr) -> int | None:
    """Samples per chunk for ``chunk_size="auto"``: sized by stored values for sparse input.

    Parameters
    ----------
    expr
        The prepared :class:`~rrscore.expression.ExpressionMatrix`.

    Returns
    -------
    int or None
        For an in-memory sparse matrix (also one read by blocks), the number of rows holding
        about :data:`AUTO_CHUNK_VALUES` stored values (within :data:`AUTO_CHUNK_BOUNDS`);
        None (the method's own default) for dense and lazy (backed, Dask) input, whose chunk
        is bounded by dense block size or by the reader's block.
    """
    if blocks_of_memory(expr) and expr.is_sparse_storage:
        nnz = expr.values.source.nnz  # stored values of all columns: the plan's are fewer
    elif expr.is_lazy or not expr.is_sparse:
        return None
    else:
        nnz = expr.values.nnz
    n_rows = expr.shape[0]
    per_row = max(1.0, nnz / max(1, n_rows))
    low, high = AUTO_CHUNK_BOUNDS
    return int(min(high, max(low, AUTO_CHUNK_VALUES // per_row)))


def _check_chunk_size(chunk_size) -> None:
    # a whole number of samples >= 1, None or "auto": 0, negatives, fractions and booleans
    # used to be read as "the default" or truncated without a word
    if chunk_size is None or chunk_size == "auto" and isinstance(chunk_size, str):
        return
    whole = isinstance(chunk_size, (int, np.integer)) and not isinstance(chunk_size, bool)
    if not whole or chunk_size < 1:
        raise RRScoreError(
            f"chunk_size must be a whole number of samples >= 1, None (the method's default) "
            f"or 'auto', got {chunk_size!r}"
        )


def run_scoring(
    data, gene_sets: GeneSetsLike, method: str | MethodSpec, *,
    method_params: Mapping[str, object] | None = None,
    outputs: tuple[str, ...] = ("score",),
    min_size: int = 1, max_size: float = math.inf, genes=None, samples=None,
    orient: str = "auto", layer: str | None = None, use_raw: bool | None = None,
    duplicates: str = "highest_mean", nan_policy: str = "error",
    low_coverage: float = LOW_COVERAGE, map_ids: str = "auto",
    chunk_size: int | str | None = None, progress: bool = False, n_jobs: int | None = None,
) -> ScoringRun:
    """Prepare the input, run the method through the engine and keep what is needed to record.

    Parameters are those of :func:`rrscore.score`; ``method_params`` are the method's
    parameters (validated into its parameter object before any work) and ``outputs`` the
    method outputs to compute (``spec.outputs``). ``chunk_size="auto"`` sizes the chunks of
    in-memory sparse input by stored values (:func:`auto_chunk_size`) and leaves other input
    to the method's default (chunks change how, not what, is computed).

    Returns
    -------
    ScoringRun

    Raises
    ------
    RRScoreError
        For a ``chunk_size`` given as text other than ``"auto"``.
    """
    _check_chunk_size(chunk_size)
    spec = method if isinstance(method, MethodSpec) else get_method(method)
    params = spec.make_params(**dict(method_params or {}))
    auto = isinstance(chunk_size, str)  # "auto", checked above
    # by_blocks: a gene plan that drops or combines columns is applied to each block of
    # samples the method reads, not to a copy of the matrix (prepare ignores it for methods
    # that need the whole matrix); scores, record and warnings are the copy's
    prepared = prepare(
        data, gene_sets, min_size=min_size, max_size=max_size, genes=genes, samples=samples,
        orient=orient, layer=layer, use_raw=use_raw, duplicates=duplicates,
        nan_policy=nan_policy, low_coverage=low_coverage, map_ids=map_ids, spec=spec,
        params=params, chunk_size=None if auto else chunk_size, progress=progress,
        by_blocks=True,
    )
    if auto:
        chunk_size = auto_chunk_size(prepared.expr)
    first_block = _observe_first_block(prepared.expr)
    scale = None if first_block is not None else _detect_scale(prepared.expr)
    if scale is not None:
        problem = _check_scale(spec, params, scale)
    values, engine = run_method(
        spec, prepared.expr, prepared.sets, params, chunk_size=chunk_size, progress=progress,
        n_jobs=n_jobs, outputs=tuple(outputs),
    )
    if first_block is not None:  # backed input: judged from the first block the method read
        block = first_block.get("block")
        scale = scale_of_block(block) if block is not None else detect_scale(prepared.expr)
        problem = _check_scale(spec, params, scale)
    return ScoringRun(spec, params, prepared, values, engine,
                      matrix=anndata_matrix(data, layer, use_raw),
                      input_scale={"kind": scale.kind, "evidence": scale.evidence,
                                   "fits_method": problem is None})
