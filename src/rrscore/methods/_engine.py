"""Running a registered method on in-memory, backed or Dask expression data.

:func:`run_method` is what the scanpy-style interface (:mod:`rrscore.tl`) calls instead of
``spec.run``; it runs any registered method and chooses how the cells are read:

* **in memory** — ``spec.run`` as :func:`rrscore.score` does;
* **backed h5ad** — ``spec.run`` on an :class:`~rrscore.expression._matrix.ExpressionMatrix`
  whose values are a :class:`~rrscore.expression._lazy.LazyRows`: the method's own chunk
  loop reads one block of cells at a time from the file, and memory stays bounded by the
  block size plus the (cells × sets) output;
* **Dask, cell-independent scores** — ``dask.array.map_blocks`` over blocks of cells: each
  block is put through the input layer and scored where it lives (threads, processes or a
  ``dask.distributed`` cluster, whichever scheduler is active); only the scores come back;
* **Dask, scores that need every cell** — as backed: blocks are computed one after
  the other (by the active scheduler) and scored in this process.

Which methods can read their input by blocks (:func:`lazy_mode`):

* ``"blockwise"`` (a cell's score depends on that cell only): ucell, aucell (default
  ``ties="expected"``), singscore, ssgsea with ``normalize=False``.
* ``"streaming"``: score_genes (one pass for the gene means, i.e. the expression bins, then
  one pass to score); ssgsea with ``normalize=True`` (the range normalisation runs on the
  in-memory output after every block is scored); aucell with ``ties="random"`` (its seeded
  tie order is keyed by the cell's row in the whole matrix).
* ``"memory"``: zscore and mean (each gene standardised over all samples), plage (an SVD
  per set over all samples), gsva (a kernel estimate of each gene's distribution over all
  samples, on a dense matrix). Load the data into memory; these are bulk methods — for
  cells use ucell, aucell or score_genes.

A method registered later is tried as ``"streaming"`` (``"blockwise"`` when its spec says
it is sample-independent); if it reaches for the whole matrix, the
:class:`~rrscore.expression._lazy.LazyAccessError` is re-raised naming the method.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from rrscore.errors import InputDataError
from rrscore.expression._lazy import LazyAccessError
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._registry import MethodSpec

#: Methods that need every sample in memory at once, and why.
IN_MEMORY_ONLY = {
    "zscore": "it standardises every gene over all samples",
    "mean": "it standardises every gene over all samples",
    "plage": "it takes a singular value decomposition of each set over all samples",
    "gsva": "it estimates every gene's distribution over all samples",
}


def lazy_mode(spec: MethodSpec, params) -> str:
    """How ``spec`` with ``params`` can read backed/Dask data.

    Returns
    -------
    str
        ``"blockwise"`` (each cell's score depends on that cell only: Dask blocks are
        scored independently with ``map_blocks``), ``"streaming"`` (blocks are read one
        after the other by the method, which may combine them: a first pass for gene
        statistics, a normalisation over all scores) or ``"memory"`` (the method needs the
        whole matrix).
    """
    if spec.name in IN_MEMORY_ONLY:
        return "memory"
    if spec.name == "ssgsea":
        return "streaming" if params.normalize else "blockwise"
    if spec.name == "score_genes":
        return "streaming"
    if spec.name == "aucell" and getattr(params, "ties", None) == "random":
        # Its random tie order is keyed by the cell's row in the whole matrix; a Dask block
        # would need aucell to add ExpressionMatrix.row_offset to its row index. Streaming
        # keeps the global row numbers.
        return "streaming"
    return "blockwise" if spec.sample_independent else "streaming"


def run_method(
    spec: MethodSpec, expr: ExpressionMatrix, sets: AlignedSets, params, *,
    chunk_size: int | None = None, progress: bool = False,
) -> tuple[np.ndarray, str]:
    """Score ``sets`` with ``spec``, reading lazy input as its :func:`lazy_mode` allows.

    Returns
    -------
    values, engine
        The ``(n_cells, n_sets)`` scores and how they were computed: ``"in-memory"``,
        ``"backed"`` (or ``"dask-streaming"``) or ``"dask-blockwise"``.

    Raises
    ------
    InputDataError
        For lazy input and a method that needs the whole matrix in memory.
    """
    if not expr.is_lazy:
        return spec.run(expr, sets, params, chunk_size=chunk_size, progress=progress), \
            "in-memory"
    rows = expr.values
    mode = lazy_mode(spec, params)
    if mode == "memory":
        raise InputDataError(
            f"method {spec.name!r} needs every cell in memory at once "
            f"({IN_MEMORY_ONLY[spec.name]}), but the input, {expr.report.source}, is not "
            "in memory. Load it first (backed: adata = adata.to_memory(); Dask: adata.X = "
            "adata.X.compute()), or use a method that scores each cell on its own "
            "(ucell, aucell, singscore, ssgsea with normalize=False) or score_genes"
        )
    if mode == "blockwise" and rows.kind == "dask":
        return _dask_blockwise(spec, expr, sets, params, chunk_size=chunk_size,
                               progress=progress), "dask-blockwise"
    try:
        values = spec.run(expr, sets, params, chunk_size=chunk_size or rows.chunk_size,
                          progress=progress)
    except LazyAccessError as err:
        raise InputDataError(f"method {spec.name!r} cannot read backed/Dask data: {err}") \
            from err
    return values, ("dask-streaming" if rows.kind == "dask" else "backed")


def _score_block(block, names, *, spec, params, sets, plan, chunk_size, block_info=None):
    """Score one Dask block of cells (runs on a worker)."""
    start = int(block_info[0]["array-location"][0][0]) if block_info else 0
    samples = pd.Index(np.asarray(names)[:, 0]).map(str)
    values = plan.apply(block, start, samples)
    expr = ExpressionMatrix(values, plan.genes, samples, row_offset=start)
    with warnings.catch_warnings():
        # warnings were raised once, in the client, by the probe in _dask_blockwise
        warnings.simplefilter("ignore")
        return spec.run(expr, sets, params, chunk_size=chunk_size, progress=False)


def _dask_blockwise(spec, expr, sets, params, *, chunk_size, progress) -> np.ndarray:
    import dask.array as da

    rows = expr.values
    x = rows.source
    if x.numblocks[1] > 1:
        x = x.rechunk({1: -1})  # a block must hold whole cells
    # Score the first cell here first: argument errors (a set longer than max_rank, ...)
    # and warnings surface once, in this process, before the cluster does any work.
    first = ExpressionMatrix(rows.read(0, 1), expr.genes, expr.samples[:1], expr.report)
    spec.run(first, sets, params, chunk_size=chunk_size, progress=False)
    names = da.from_array(
        np.asarray(expr.samples, dtype=object).reshape(-1, 1), chunks=(x.chunks[0], (1,))
    )
    scores = da.map_blocks(
        _score_block, x, names, dtype=np.float64, chunks=(x.chunks[0], (len(sets),)),
        meta=np.empty((0, 0), dtype=np.float64), spec=spec, params=params, sets=sets,
        plan=rows.plan, chunk_size=chunk_size,
    )
    if progress:
        from dask.diagnostics import ProgressBar  # local schedulers; distributed: dashboard

        with ProgressBar():
            return np.asarray(scores.compute())
    return np.asarray(scores.compute())
