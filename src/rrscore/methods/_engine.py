"""The engine: runs a registered method on in-memory, backed or Dask expression data.

:func:`run_method` is the one place where a method's kernel is called. It asks the method's
spec how the input may be read (:meth:`~rrscore.methods.MethodSpec.read_mode_for`) and never
looks at method names:

* **in memory** — the kernel on the whole :class:`~rrscore.expression.ExpressionMatrix` (the
  method chunks samples itself); also in-memory input whose gene plan is applied block by
  block (a ``LazyRows`` of kind ``"memory"``, for methods that read blocks of samples): the
  same kernel call and engine name as the input layer's copy would get, in blocks of the
  reader's size unless a ``chunk_size`` is given;
* **backed h5ad** — the kernel on a matrix whose values are a ``LazyRows``: the method's own
  chunk loop reads one block of cells at a time from the file, and memory stays bounded by the
  block size plus the (cells × sets) output;
* **Dask, ``"blockwise"`` methods** — ``dask.array.map_blocks`` over blocks of cells: each
  block is put through the input layer and scored where it lives (threads, processes or a
  ``dask.distributed`` cluster, whichever scheduler is active); only the scores come back;
* **Dask, ``"streaming"`` methods** — as backed: blocks are computed one after the other (by
  the active scheduler) and scored in this process;
* **``"memory"`` methods** given lazy input — a clear error saying why (the spec's reason) and
  what to do.

A method registered without a read mode is ``"blockwise"`` when its spec says it is
sample-independent, else ``"streaming"``; if it reaches for the whole matrix, the
``LazyAccessError`` is re-raised naming the method.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from rrscore.errors import InputDataError, RRScoreError
from rrscore.expression._lazy import LazyAccessError, blocks_of_memory
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._memory import check_memory
from rrscore.methods._parallel import KERNEL_LOCK
from rrscore.methods._registry import MethodSpec


@contextlib.contextmanager
def numba_threads(n_jobs: int | None) -> Iterator[None]:
    """Run the numba kernels on ``n_jobs`` threads (None or -1: numba's setting, all cores).

    Raises
    ------
    RRScoreError
        For an ``n_jobs`` outside ``-1`` and ``1 .. NUMBA_NUM_THREADS``.
    """
    if n_jobs is None:
        yield
        return
    import numba

    n_max = numba.config.NUMBA_NUM_THREADS
    try:
        n = n_max if int(n_jobs) == -1 else int(n_jobs)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= n_max or isinstance(n_jobs, bool):
        raise RRScoreError(f"n_jobs must be -1 or between 1 and {n_max}, got {n_jobs!r}")
    before = numba.get_num_threads()
    numba.set_num_threads(n)
    try:
        yield
    finally:
        numba.set_num_threads(before)


def _kernel(spec: MethodSpec, outputs: tuple[str, ...]) -> Callable[..., np.ndarray]:
    """The function computing ``outputs``, side by side: ``(n, n_sets * len(outputs))``."""
    unknown = [o for o in outputs if o not in spec.outputs]
    if unknown or not outputs:
        raise RRScoreError(
            f"method {spec.name!r} has no output(s) {unknown or list(outputs)}; "
            f"it has {list(spec.outputs)}"
        )
    if outputs == ("score",):
        return spec.run

    def kernel(expr, sets, params, *, chunk_size=None, progress=False):
        parts = spec.run_outputs(expr, sets, params, outputs=outputs, chunk_size=chunk_size,
                                 progress=progress)
        return np.hstack([parts[o] for o in outputs])

    return kernel


def run_method(
    spec: MethodSpec, expr: ExpressionMatrix, sets: AlignedSets, params, *,
    chunk_size: int | None = None, progress: bool = False, n_jobs: int | None = None,
    outputs: tuple[str, ...] = ("score",),
) -> tuple[dict[str, np.ndarray], str]:
    """Score ``sets`` with ``spec``, reading lazy input as its read mode allows.

    Parameters
    ----------
    spec, params
        The method and its validated parameters.
    expr, sets
        The prepared input (:func:`rrscore._prepare.prepare`).
    chunk_size, progress
        Samples per chunk / cells per block, and a progress bar.
    n_jobs
        Threads for the numba kernels (None or -1: all cores).
    outputs
        Which of the method's outputs (``spec.outputs``) to compute.

    Returns
    -------
    values, engine
        ``{output: (n_samples, n_sets) array}`` and how they were computed:
        ``"in-memory"``, ``"backed"``, ``"dask-streaming"`` or ``"dask-blockwise"``.

    Raises
    ------
    InputDataError
        For lazy input and a method that needs the whole matrix in memory.
    InsufficientMemoryError
        When the output and the method's working arrays would not fit in the memory the
        process can still get (checked before any work; :mod:`rrscore.methods._memory`).
    """
    kernel = _kernel(spec, tuple(outputs))
    # lazy input: a method needing the whole matrix is refused below with its reason; the
    # others hold one block at a time
    working, what = (0, "") if expr.is_lazy else spec.working_memory_for(expr, sets, params)
    check_memory(spec.name, expr.shape[0], len(sets), len(outputs), working, what,
                 sample_independent=spec.is_sample_independent(params))
    with numba_threads(n_jobs):
        values, engine = _run(spec, kernel, expr, sets, params, chunk_size=chunk_size,
                              progress=progress)
    n_sets = len(sets)
    return {o: values[:, i * n_sets:(i + 1) * n_sets] for i, o in enumerate(outputs)}, engine


def _run(spec, kernel, expr, sets, params, *, chunk_size, progress) -> tuple[np.ndarray, str]:
    if not expr.is_lazy:
        with KERNEL_LOCK:
            return kernel(expr, sets, params, chunk_size=chunk_size, progress=progress), \
                "in-memory"
    rows = expr.values
    mode, reason = spec.read_mode_for(params)
    if blocks_of_memory(expr) and mode != "memory":
        # each block is a copy of the plan's columns: by default as many samples as the
        # reader's block holds (~4 million values), not the method's in-memory chunk
        # (2,048 cells for UCell: 330 MB a block at 20,000 genes, before the method's own
        # copies); chunks change how, not what, is computed
        try:
            with KERNEL_LOCK:
                return kernel(expr, sets, params, chunk_size=chunk_size or rows.chunk_size,
                              progress=progress), "in-memory"
        except LazyAccessError as err:  # a method that reads more than its read mode says
            raise RRScoreError(f"method {spec.name!r} (read mode {mode!r}) reached for the "
                               f"whole matrix of input read by blocks: {err}") from err
    if mode == "memory":
        raise InputDataError(
            f"method {spec.name!r} needs every cell in memory at once "
            f"({reason}), but the input, {expr.report.source}, is not "
            "in memory. Load it first (backed: adata = adata.to_memory(); Dask: adata.X = "
            "adata.X.compute()), or use a method that scores each cell on its own "
            "(ucell, aucell, singscore, ssgsea with normalize=False) or score_genes"
        )
    if mode == "blockwise" and rows.kind == "dask":
        return _dask_blockwise(kernel, expr, sets, params, chunk_size=chunk_size,
                               progress=progress), "dask-blockwise"
    try:
        # blocks are read (by a Dask scheduler, if any) inside the kernel's loop: the input
        # layer runs no parallel kernel, so its threads never need the lock held here
        with KERNEL_LOCK:
            values = kernel(expr, sets, params, chunk_size=chunk_size or rows.chunk_size,
                            progress=progress)
    except LazyAccessError as err:
        raise InputDataError(f"method {spec.name!r} cannot read backed/Dask data: {err}") \
            from err
    return values, ("dask-streaming" if rows.kind == "dask" else "backed")


def _score_block(block, names, *, kernel, params, sets, plan, chunk_size, block_info=None):
    """Score one Dask block of cells (runs on a worker)."""
    start = int(block_info[0]["array-location"][0][0]) if block_info else 0
    samples = pd.Index(np.asarray(names)[:, 0]).map(str)
    values = plan.apply(block, start, samples)
    expr = ExpressionMatrix(values, plan.genes, samples, row_offset=start)
    with warnings.catch_warnings():
        # warnings were raised once, in the client, by the probe in _dask_blockwise
        warnings.simplefilter("ignore")
        with KERNEL_LOCK:  # Dask's threaded scheduler scores blocks in several threads
            return kernel(expr, sets, params, chunk_size=chunk_size, progress=False)


def _dask_blockwise(kernel, expr, sets, params, *, chunk_size, progress) -> np.ndarray:
    import dask.array as da

    rows = expr.values
    x = rows.source
    if x.numblocks[1] > 1:
        x = x.rechunk({1: -1})  # a block must hold whole cells
    # Score the first cell here first: argument errors (a set longer than max_rank, ...)
    # and warnings surface once, in this process, before the cluster does any work.
    first = ExpressionMatrix(rows.read(0, 1), expr.genes, expr.samples[:1], expr.report)
    with KERNEL_LOCK:
        width = kernel(first, sets, params, chunk_size=chunk_size, progress=False).shape[1]
    names = da.from_array(
        np.asarray(expr.samples, dtype=object).reshape(-1, 1), chunks=(x.chunks[0], (1,))
    )
    scores = da.map_blocks(
        _score_block, x, names, dtype=np.float64, chunks=(x.chunks[0], (width,)),
        meta=np.empty((0, 0), dtype=np.float64), kernel=kernel, params=params, sets=sets,
        plan=rows.plan, chunk_size=chunk_size,
    )
    if progress:
        from dask.diagnostics import ProgressBar  # local schedulers; distributed: dashboard

        with ProgressBar():
            return np.asarray(scores.compute())
    return np.asarray(scores.compute())
