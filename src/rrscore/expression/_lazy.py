"""Expression data that stays on disk or in Dask, read and validated one block of cells at a time.

AnnData can hold its matrix outside memory: ``anndata.read_h5ad(path, backed="r")`` leaves
``X`` in the HDF5 file (an ``h5py.Dataset`` when dense, a backed CSR/CSC dataset when
sparse), and a Dask-backed AnnData has a ``dask.array.Array`` as ``X`` (dense or
scipy-sparse blocks). :func:`lazy_expression` wraps such a matrix in an
:class:`~rrscore.expression._matrix.ExpressionMatrix` whose ``values`` is a
:class:`LazyRows`: a row reader that hands out one block of cells at a time — already
put through the input layer — and refuses any access to the whole matrix.

What the input layer does to the genes (identifier cleaning, Ensembl/Entrez → symbol
mapping, duplicate grouping) is decided from the gene labels alone by the same
:class:`~rrscore.expression._genes.GenePlan` the in-memory adapters use, so lazy input gets
exactly the genes and report notes in-memory input would get. Applying the plan to a block
is a column selection (and, for ``duplicates="mean"|"sum"|"max"``, a row-wise combination
of the duplicated columns).

Two input-layer steps need every cell and are done in one streaming pass before scoring,
only when asked for: ``nan_policy="drop_genes"`` (which genes have a missing value) and
``duplicates="highest_mean"`` when some gene identifier is duplicated (the mean of each
duplicated column). Otherwise nothing is read before scoring.

Validation of values happens per block, as the block is read: a NaN (with
``nan_policy="error"``) or an infinite value raises an :class:`InputDataError` naming the
cell, its row and the gene — possibly after earlier blocks were scored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import InputDataError
from rrscore.expression._anndata import lazy_kind, select_matrix
from rrscore.expression._collapse import check_duplicates_policy
from rrscore.expression._genes import GenePlan, check_enough_genes, plan_genes
from rrscore.expression._matrix import ExpressionMatrix, InputReport
from rrscore.expression._sums import accumulate
from rrscore.expression._values import (
    as_float,
    check_finite,
    check_nan_policy,
    check_real_dtype,
)
from rrscore.ids import MapIds

#: Rows read per block by the streaming passes of this module (a method reading the
#: matrix chooses its own block size).
DEFAULT_LAZY_CHUNK = 4096

_LOAD_HINT = (
    "load the matrix into memory first (backed: adata = adata.to_memory(); "
    "Dask: adata.X = adata.X.compute())"
)


class LazyAccessError(InputDataError):
    """Whole-matrix access to values that are read one block of rows at a time."""


# --------------------------------------------------------------------------------------
# The gene plan, applied to a block
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BlockPlan:
    """A :class:`~rrscore.expression._genes.GenePlan` as lazy input applies it: to one stored
    block of cells at a time, checking the values on the way (picklable, for Dask workers).

    Attributes
    ----------
    genes_plan
        The plan decided from the gene labels.
    """

    genes_plan: GenePlan

    @property
    def genes(self) -> pd.Index:
        """The output genes."""
        return self.genes_plan.genes

    @property
    def n_input(self) -> int:
        """Columns of the stored matrix."""
        return self.genes_plan.n_input

    def apply(self, block, row_start: int, names: Sequence[object]
              ) -> np.ndarray | sp.csr_matrix:
        """Put one stored block of rows through the input layer.

        Converts (CSR keeps its float dtype, dense becomes float64), selects the read
        columns, checks that every value is finite (naming the cell and gene otherwise),
        combines duplicated genes, and sorts CSR indices.

        Parameters
        ----------
        block
            Rows of the stored matrix (dense or sparse), all stored columns.
        row_start
            Position of the block's first row in the whole data set (for messages).
        names
            The block's row names (for messages).

        Returns
        -------
        numpy.ndarray or scipy.sparse.csr_matrix
            ``(n_rows, len(genes))``: CSR with sorted indices, or C-contiguous float64.
        """
        plan = self.genes_plan
        block = as_float(block)
        if sp.issparse(block) or plan.reads_all:
            block = plan.select(block)
        else:
            # the same columns as plan.select, written in C order whatever the block's layout
            # (a genes x samples table's block of samples is a Fortran-ordered view): the
            # ascontiguousarray below then copies nothing (one block copy, not two)
            block = np.take(block, plan.read, axis=1)
        check_finite(block, row_start, names, plan.labels)
        block = plan.collapse(block)
        if sp.issparse(block):
            if not isinstance(block, sp.csr_matrix):
                block = sp.csr_matrix(block)  # (of a CSR matrix: drops its cached flags)
            if not block.has_sorted_indices:
                block = block.sorted_indices()  # a copy: the block may share user arrays
            return block
        return np.ascontiguousarray(block, dtype=np.float64)


# --------------------------------------------------------------------------------------
# The lazy row reader
# --------------------------------------------------------------------------------------


def _read_stored(source, kind: str, start: int, stop: int):
    block = source[start:stop]  # kind "memory": rows of an in-memory array or CSR matrix
    if kind == "dask":
        block = block.compute()  # the active scheduler (a distributed Client if one is set)
    return block


def row_ranges(n: int, chunk_size: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive blocks of ``chunk_size`` rows covering ``n`` rows."""
    size = max(1, int(chunk_size))
    for start in range(0, n, size):
        yield start, min(start + size, n)


class LazyRows:
    """Rows of a backed or Dask matrix, read and put through the input layer on demand.

    Supports what chunked methods need — ``shape``, ``values[start:stop]`` (a CSR block
    with sorted indices for sparse storage, a float64 array for dense storage) and
    :meth:`column_sums` (also reached through ``numpy.sum(values, axis=0)``) — and raises
    :class:`LazyAccessError` for anything that needs the whole matrix at once
    (``numpy.asarray``, column indexing, fancy row indexing).

    Parameters
    ----------
    source
        The stored matrix: an ``h5py.Dataset``, an anndata backed CSR dataset, or a Dask
        array (cells × stored columns).
    kind
        ``"backed_dense"``, ``"backed_sparse"``, ``"dask"``, or ``"memory"``: an in-memory
        matrix whose gene plan drops or combines columns, applied block by block instead of
        to a whole-matrix copy (:func:`rrscore.expression._adapters.expression_by_blocks`).
    plan
        The :class:`BlockPlan` from stored columns to genes.
    samples
        Row names (for error messages).
    chunk_size
        Rows per block for the streaming passes (:meth:`column_sums`).
    """

    is_lazy = True
    ndim = 2
    dtype = np.dtype(np.float64)

    def __init__(self, source, kind: str, plan: BlockPlan, samples: pd.Index,
                 chunk_size: int | None = None) -> None:
        self.source = source
        self.kind = kind
        self.plan = plan
        self.samples = samples
        self.chunk_size = int(chunk_size or DEFAULT_LAZY_CHUNK)
        self.shape = (int(source.shape[0]), len(plan.genes))
        self.source_dtype = np.dtype(getattr(source, "dtype", np.float64))

    @property
    def is_sparse_storage(self) -> bool:
        """Whether blocks come out as CSR (sparse storage) rather than dense arrays."""
        if self.kind == "backed_sparse":
            return True
        if self.kind == "memory":
            return sp.issparse(self.source)
        if self.kind == "dask":
            return sp.issparse(getattr(self.source, "_meta", None))
        return False

    def __len__(self) -> int:
        return self.shape[0]

    def __repr__(self) -> str:
        return (f"<LazyRows {self.kind} {self.shape[0]} × {self.shape[1]} "
                f"({self.plan.n_input} stored columns)>")

    def read(self, start: int, stop: int) -> np.ndarray | sp.csr_matrix:
        """Rows ``start:stop``, read from the store, converted and validated."""
        start, stop = max(0, int(start)), min(self.shape[0], int(stop))
        if stop <= start:
            empty = sp.csr_matrix((0, self.shape[1]))
            return empty if self.is_sparse_storage else empty.toarray()
        block = _read_stored(self.source, self.kind, start, stop)
        return self.plan.apply(block, start, self.samples[start:stop])

    @property
    def in_memory(self) -> bool:
        """Whether the stored matrix is in memory (kind ``"memory"``): read by blocks only to
        spare a whole-matrix copy, so scored, recorded and judged as in-memory input is."""
        return self.kind == "memory"

    def copy_rows(self, index=None) -> np.ndarray | sp.spmatrix:
        """Rows at positions ``index`` (all rows: None) of an in-memory source, through the
        gene plan exactly as the whole-matrix copy of the input layer applies it
        (:meth:`GenePlan.apply`, values as stored: no conversion, no check).

        Used for what needs the copy's values themselves rather than blocks of them: the
        spread-out rows the input-scale check reads, and the whole matrix for a method that
        needs it in memory.

        Raises
        ------
        LazyAccessError
            For backed or Dask storage (kind other than ``"memory"``).
        """
        if not self.in_memory:
            raise LazyAccessError(
                f"rows by position are read from in-memory sources only, not {self.kind} "
                f"data: {_LOAD_HINT}"
            )
        source = self.source if index is None else self.source[np.asarray(index, np.int64)]
        return self.plan.genes_plan.apply(source)

    def blocks(self, chunk_size: int | None = None
               ) -> Iterator[tuple[int, int, np.ndarray | sp.csr_matrix]]:
        """``(start, stop, block)`` over all rows."""
        for start, stop in row_ranges(self.shape[0], chunk_size or self.chunk_size):
            yield start, stop, self.read(start, stop)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            if len(key) == 2 and isinstance(key[1], slice) and key[1] == slice(None):
                key = key[0]
            else:
                raise LazyAccessError(
                    "backed/Dask expression data are read by blocks of cells; column "
                    f"indexing ({key!r}) would read the whole matrix: {_LOAD_HINT}"
                )
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise LazyAccessError(
                "backed/Dask expression data are read by contiguous blocks of cells "
                f"(values[start:stop]), not {key!r}: {_LOAD_HINT}"
            )
        start, stop, _ = key.indices(self.shape[0])
        return self.read(start, stop)

    def __array__(self, dtype=None, copy=None):
        raise LazyAccessError(
            "this step needs the whole expression matrix in memory, but backed/Dask data "
            f"are read one block of cells at a time: {_LOAD_HINT}"
        )

    def column_sums(self) -> np.ndarray:
        """Sum of every gene over all rows in one streaming pass, float64.

        The additions happen in the order the in-memory matrix would add them, so the
        result equals :meth:`ExpressionMatrix.column_sums` of the loaded data exactly.
        """
        slot = np.arange(self.shape[1], dtype=np.int64)
        # float32 storage: dense blocks are added in float32 as the in-memory matrix's
        # column sums are (sparse blocks stay float32 and are added in their dtype)
        dtype = np.float32 if self.source_dtype == np.float32 else None
        acc = None
        for _, _, block in self.blocks():
            acc = accumulate(acc, block, slot, dtype)
        if acc is None:
            return np.zeros(self.shape[1])
        return acc.astype(np.float64)

    def sum(self, axis=None, dtype=None, out=None):
        """``numpy.sum(values, axis=0)``: :meth:`column_sums` (only ``axis=0``)."""
        if axis not in (0, -2) or out is not None:
            raise LazyAccessError(
                f"only column sums (axis=0) stream over backed/Dask data, not axis={axis}: "
                f"{_LOAD_HINT}"
            )
        sums = self.column_sums()
        return sums if dtype is None else sums.astype(dtype)


def blocks_of_memory(expr: ExpressionMatrix) -> bool:
    """Whether ``expr`` is in-memory input read by blocks (a :class:`LazyRows` of kind
    ``"memory"``, see :func:`rrscore.expression._adapters.expression_by_blocks`) rather than
    backed or Dask data: the engine runs it, and the record names it, as in-memory input."""
    return expr.is_lazy and bool(getattr(expr.values, "in_memory", False))


def copy_of_blocks(expr: ExpressionMatrix) -> ExpressionMatrix:
    """In-memory input read by blocks (:func:`blocks_of_memory`) as the input layer's
    whole-matrix copy: the same values, genes, samples and report object; other input as it
    is. For a method that needs every sample in memory at once."""
    if not blocks_of_memory(expr):
        return expr
    return ExpressionMatrix(expr.values.copy_rows(), expr.genes, expr.samples, expr.report,
                            source_dtype=expr.source_dtype)


# --------------------------------------------------------------------------------------
# Building the lazy expression matrix
# --------------------------------------------------------------------------------------


def _scan(source, kind: str, plan: GenePlan, samples: pd.Index, *, need_nan: bool,
          mean_cols: np.ndarray, chunk_size: int, progress: bool):
    """One streaming pass: NaN count per read column, sums of the ``mean_cols``."""
    n = int(source.shape[0])
    nan_count = np.zeros(len(plan.read), dtype=np.int64)
    slot = np.full(len(plan.read), -1, dtype=np.int64)
    slot[mean_cols] = np.arange(len(mean_cols))
    sums = None
    ranges = row_ranges(n, chunk_size)
    if progress:
        from tqdm.auto import tqdm

        ranges = tqdm(list(ranges), desc="checking genes", unit="chunk", leave=False,
                      disable=None)
    for start, stop in ranges:
        block = plan.select(as_float(_read_stored(source, kind, start, stop)))
        names = samples[start:stop]
        check_finite(block, start, names, plan.labels, allow_nan=need_nan)
        data = block.data if sp.issparse(block) else block
        nan = np.isnan(data)
        if need_nan and nan.any():
            if sp.issparse(block):
                mask = sp.csr_matrix((nan.astype(np.int64), block.indices, block.indptr),
                                     shape=block.shape)
                per_row = np.asarray(mask.sum(axis=1)).ravel()
                nan_count += np.asarray(mask.sum(axis=0)).ravel()
            else:
                per_row = nan.sum(axis=1)
                nan_count += nan.sum(axis=0)
            full = np.flatnonzero(per_row == block.shape[1])
            if len(full):
                raise InputDataError(
                    f"{len(full)} samples have no values at all (all NaN): "
                    f"{list(map(str, names[full[:5]]))}"
                )
        if len(mean_cols):
            if need_nan and nan.any():
                block = block.copy()
                (block.data if sp.issparse(block) else block)[nan] = 0.0  # nan-sum
            sums = accumulate(sums, block, slot)
    return nan_count, sums


def lazy_gene_plan(
    source, kind: str, var_names, samples: pd.Index, report: InputReport, *,
    gene_universe=None, duplicates: str = "highest_mean", nan_policy: str = "error",
    map_ids: MapIds = "auto", chunk_size: int | None = None, progress: bool = False,
) -> GenePlan:
    """The :class:`GenePlan` of a stored matrix; fills ``report`` as the in-memory layer does.

    The plan comes from the gene labels (:func:`~rrscore.expression._genes.plan_genes`);
    the two steps that need values — genes with missing values for
    ``nan_policy="drop_genes"``, column means for ``duplicates="highest_mean"`` with
    duplicated genes — share one streaming pass, run only when one of them is needed.
    """
    check_nan_policy(nan_policy)
    check_duplicates_policy(duplicates)  # before a pass over the data, not after
    plan = plan_genes(var_names, map_ids=map_ids, gene_universe=gene_universe)
    plan.fill_report(report)
    need_nan = nan_policy == "drop_genes"
    mean_cols = plan.mean_columns(duplicates)
    means = None
    if need_nan or len(mean_cols):
        nan_count, sums = _scan(
            source, kind, plan, samples, need_nan=need_nan, mean_cols=mean_cols,
            chunk_size=chunk_size or DEFAULT_LAZY_CHUNK, progress=progress,
        )
        n_obs = int(source.shape[0])
        if sums is not None:
            means = np.full(len(plan.read), np.nan)
            means[mean_cols] = sums.astype(np.float64) / n_obs
        has_nan = nan_count > 0
        if need_nan and has_nan.any():
            report.notes.append(
                f"nan_policy='drop_genes': dropped {int(has_nan.sum())} genes with missing "
                f"values ({int((nan_count == n_obs).sum())} of them entirely NaN)"
            )
            report.dropped_genes.extend(map(str, plan.labels[has_nan]))
            plan = plan.without(has_nan)
            means = means[~has_nan] if means is not None else None
    plan = plan.grouped(duplicates, means)
    report.notes.extend(plan.collapse_notes)
    check_enough_genes(plan.genes)
    return plan


def lazy_expression(
    adata, *, layer: str | None = None, use_raw: bool | None = None, gene_universe=None,
    duplicates: str = "highest_mean", nan_policy: str = "error",
    map_ids: MapIds = "auto", chunk_size: int | None = None, progress: bool = False,
) -> ExpressionMatrix | None:
    """An :class:`ExpressionMatrix` over a backed or Dask AnnData matrix, or None.

    Returns None when the matrix picked by ``layer``/``use_raw`` is in memory (use
    :func:`rrscore.as_expression` for it).

    Parameters
    ----------
    adata
        An AnnData whose matrix may be backed or Dask.
    layer, use_raw, gene_universe, duplicates, nan_policy, map_ids
        As in :func:`rrscore.as_expression`.
    chunk_size
        Cells per block of the streaming passes (default: the Dask row chunks, or
        :data:`DEFAULT_LAZY_CHUNK`).
    progress
        Progress bar for the pass that checks genes (``nan_policy="drop_genes"``).

    Returns
    -------
    ExpressionMatrix or None
        Its ``values`` are a :class:`LazyRows`.

    Raises
    ------
    InputDataError
        For a backed CSC matrix (reading blocks of cells from it would read the whole file
        for every block: rewrite it as CSR) and for the usual input problems.
    """
    source, var_names, where = select_matrix(adata, layer, use_raw)
    kind = lazy_kind(source)
    if kind is None:
        return None
    if getattr(source, "format", None) == "csc":
        raise InputDataError(
            f"{where} is a backed CSC matrix, which cannot be read by blocks of cells "
            "without reading the whole file for each block; store it as CSR "
            "(adata.X = adata.X.tocsr() before writing) or load it into memory"
        )
    if len(source.shape) != 2:
        raise InputDataError(f"{where} must be 2-D, got shape {source.shape}")
    check_real_dtype(np.dtype(getattr(source, "dtype", np.float64)), where)
    n_obs, n_vars = (int(s) for s in source.shape)
    if n_obs == 0 or n_vars == 0:
        raise InputDataError(f"expression data is empty ({n_vars} genes × {n_obs} samples)")
    samples = pd.Index(adata.obs_names).map(str)
    dup = samples[samples.duplicated()].unique()
    if len(dup):
        raise InputDataError(
            f"{len(dup)} duplicated sample names, e.g. {list(map(str, dup[:5]))}; "
            "sample names must be unique"
        )
    if kind == "dask" and chunk_size is None:
        chunk_size = int(source.chunks[0][0])  # read along the Dask blocks
    how = {"backed_dense": "backed, dense", "backed_sparse": "backed, sparse",
           "dask": "Dask"}[kind]
    report = InputReport(
        source=f"AnnData ({where}, {how}; read by blocks of cells)",
        orientation="genes_columns", n_genes_input=n_vars, n_samples_input=n_obs,
    )
    plan = lazy_gene_plan(
        source, kind, list(var_names), samples, report, gene_universe=gene_universe,
        duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids, chunk_size=chunk_size,
        progress=progress,
    )
    rows = LazyRows(source, kind, BlockPlan(plan), samples, chunk_size)
    return ExpressionMatrix(rows, plan.genes, samples, report, source_dtype=rows.source_dtype)
