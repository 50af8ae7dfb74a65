"""Expression data that stays on disk or in Dask, read and validated one block of cells at a time.

AnnData can hold its matrix outside memory: ``anndata.read_h5ad(path, backed="r")`` leaves
``X`` in the HDF5 file (an ``h5py.Dataset`` when dense, a backed CSR/CSC dataset when
sparse), and a Dask-backed AnnData has a ``dask.array.Array`` as ``X`` (dense or
scipy-sparse blocks). :func:`lazy_expression` wraps such a matrix in an
:class:`~rrscore.expression._matrix.ExpressionMatrix` whose ``values`` is a
:class:`LazyRows`: a row reader that hands out one block of cells at a time — already
put through the input layer — and refuses any access to the whole matrix.

What the input layer does to the genes (identifier cleaning, Ensembl/Entrez → symbol
mapping, duplicate grouping) is taken from the in-memory input layer itself: it is run on
an identity matrix of the genes (:func:`rrscore.expression._adapters.from_array`), whose
result says which input column ends up in which output gene. Lazy input therefore gets
exactly the genes in-memory input would get. Applying the plan to a block is then a column
selection (or, for ``duplicates="mean"|"sum"|"max"``, the in-memory collapse applied to
the block, which is row-wise).

Two input-layer steps need every cell and are done in one streaming pass before scoring,
only when asked for: ``nan_policy="drop_genes"`` (which genes have a missing value) and
``duplicates="highest_mean"`` when some gene identifier is duplicated (the mean of each
duplicated column). Otherwise nothing is read before scoring.

Validation of values happens per block, as the block is read: a NaN (with
``nan_policy="error"``) or an infinite value raises an :class:`InputDataError` naming the
cell, its row and the gene — possibly after earlier blocks were scored.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

import numba
import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import InputDataError
from rrscore.expression._collapse import DUPLICATE_POLICIES, collapse_duplicate_genes
from rrscore.expression._matrix import ExpressionMatrix, InputReport

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
# Detection and selection
# --------------------------------------------------------------------------------------


def _is_dask_array(x) -> bool:
    # Only look when dask is already imported: a Dask array cannot exist otherwise, and
    # importing dask here would cost every in-memory call.
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(x, da.Array)


def lazy_kind(x) -> str | None:
    """``"backed_dense"``, ``"backed_sparse"``, ``"dask"`` or None (an in-memory matrix)."""
    if x is None or isinstance(x, np.ndarray) or sp.issparse(x):
        return None
    if _is_dask_array(x):
        return "dask"
    if hasattr(x, "to_memory") and getattr(x, "format", None) in ("csr", "csc"):
        return "backed_sparse"  # anndata's backed CSR/CSC dataset (any anndata version)
    import h5py

    if isinstance(x, h5py.Dataset):
        return "backed_dense"
    return None


def select_matrix(adata, layer: str | None = None, use_raw: bool | None = None):
    """The matrix scanpy conventions pick: ``(X, var_names, where)``.

    ``use_raw=None`` uses ``adata.raw`` when it exists and no ``layer`` is given.
    """
    if use_raw is None:
        use_raw = adata.raw is not None and layer is None
    if use_raw and layer is not None:
        raise InputDataError("use_raw=True and layer= cannot be combined")
    if use_raw:
        if adata.raw is None:
            raise InputDataError("use_raw=True but adata.raw is None")
        return adata.raw.X, adata.raw.var_names, "adata.raw.X"
    if layer is not None:
        if layer not in adata.layers:
            raise InputDataError(
                f"layer {layer!r} not found; available layers: {list(adata.layers.keys())}"
            )
        return adata.layers[layer], adata.var_names, f"adata.layers[{layer!r}]"
    return adata.X, adata.var_names, "adata.X"


def is_lazy_anndata(adata, layer: str | None = None, use_raw: bool | None = None) -> bool:
    """Whether the matrix scanpy conventions pick from ``adata`` is backed or Dask."""
    if not hasattr(adata, "obs_names"):
        return False
    x, _, _ = select_matrix(adata, layer, use_raw)
    return lazy_kind(x) is not None


# --------------------------------------------------------------------------------------
# Block conversion, validation and streaming sums
# --------------------------------------------------------------------------------------


def _as_float_block(block) -> np.ndarray | sp.csr_matrix:
    """A block as the in-memory input layer stores it.

    Sparse: CSR keeping a floating dtype (float32 stays float32, as in memory; integers
    become float64). Dense: float64.
    """
    if sp.issparse(block):
        block = sp.csr_matrix(block)
        if not np.issubdtype(block.dtype, np.floating):
            block = block.astype(np.float64)
        return block
    block = np.asarray(block)
    if block.dtype.kind not in "biuf":
        raise InputDataError(f"expression values must be numeric, got dtype {block.dtype}")
    return np.asarray(block, dtype=np.float64)


def check_finite(
    block: np.ndarray | sp.csr_matrix, row_start: int, names: Sequence[object],
    genes: Sequence[object], *, allow_nan: bool = False,
) -> None:
    """Raise an :class:`InputDataError` naming the cell and gene of a non-finite value.

    ``names`` are the block's row names and ``row_start`` the position of its first row in
    the whole data set (for the message).
    """
    data = block.data if sp.issparse(block) else block
    if data.size == 0:
        return
    bad = np.isinf(data) if allow_nan else ~np.isfinite(data)
    if not bad.any():
        return
    if sp.issparse(block):
        k = int(np.flatnonzero(bad)[0])
        r = int(np.searchsorted(block.indptr, k, side="right") - 1)
        c = int(block.indices[k])
        value = block.data[k]
    else:
        r, c = (int(i) for i in np.argwhere(bad)[0])
        value = block[r, c]
    where = (f"cell {str(names[r])!r} (row {row_start + r}), gene {str(genes[c])!r}; "
             f"{int(bad.sum())} such values in rows {row_start}-{row_start + block.shape[0] - 1}")
    if np.isnan(value):
        raise InputDataError(
            f"missing value (NaN) in {where}. Backed and Dask data are validated one block "
            "of cells at a time as they are scored: pass nan_policy='drop_genes' (a first "
            "pass over the data finds the genes with missing values) or impute first"
        )
    raise InputDataError(
        f"infinite value in {where}; remove or replace infinite values (log of zero? use "
        "log1p)"
    )


@numba.njit(cache=True)
def _add_sparse(acc, data, indices, slot):
    # In storage order, one entry after the other: the order scipy's sum(axis=0) adds them
    # in, so the totals are identical to the in-memory ones to the last bit.
    for k in range(len(data)):
        s = slot[indices[k]]
        if s >= 0:
            acc[s] += data[k]


@numba.njit(cache=True)
def _add_dense(acc, block, slot):
    # Row after row, numpy's order for sum(axis=0) of a C-contiguous matrix.
    for i in range(block.shape[0]):
        for j in range(block.shape[1]):
            s = slot[j]
            if s >= 0:
                acc[s] += block[i, j]


def _accumulate(acc: np.ndarray | None, block, slot: np.ndarray) -> np.ndarray:
    """Add a block's columns (those with ``slot >= 0``) into ``acc`` in storage order."""
    if sp.issparse(block):
        if acc is None:
            # scipy sums a float32 matrix in float32 even with dtype=float64 (it multiplies
            # by a float32 vector of ones); do the same.
            acc = np.zeros(int(slot.max()) + 1 if len(slot) else 0, dtype=block.dtype)
        _add_sparse(acc, block.data.astype(acc.dtype, copy=False), block.indices, slot)
    else:
        if acc is None:
            acc = np.zeros(int(slot.max()) + 1 if len(slot) else 0, dtype=np.float64)
        _add_dense(acc, np.ascontiguousarray(block, dtype=np.float64), slot)
    return acc


# --------------------------------------------------------------------------------------
# The column plan
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnPlan:
    """How the columns of the stored matrix become the genes of the expression matrix.

    Attributes
    ----------
    n_input
        Columns of the stored matrix.
    read
        Stored columns to read, in order (int64).
    read_labels
        Gene identifier of each read column, after cleaning and mapping (for messages and
        the per-block collapse).
    genes
        The output genes.
    collapse
        None when ``read`` already gives one column per gene; otherwise the duplicates
        policy (``mean``, ``sum``, ``max``) applied to each block.
    """

    n_input: int
    read: np.ndarray
    read_labels: np.ndarray
    genes: pd.Index
    collapse: str | None = None

    @cached_property
    def identity(self) -> bool:
        """Whether blocks are used as stored (no column selection, no collapse)."""
        return (self.collapse is None and len(self.read) == self.n_input
                and bool(np.all(self.read == np.arange(self.n_input))))

    def apply(
        self, block, row_start: int, names: Sequence[object]
    ) -> np.ndarray | sp.csr_matrix:
        """Put one stored block of rows through the input layer.

        Converts (CSR keeps its float dtype, dense becomes float64), selects the read
        columns, checks that every value is finite (naming the cell and gene otherwise),
        collapses duplicated genes, and sorts CSR indices.
        """
        block = _as_float_block(block)
        if not self.identity:
            block = block[:, self.read]
        check_finite(block, row_start, names, self.read_labels)
        if self.collapse is not None:
            block, _, _ = collapse_duplicate_genes(block, self.read_labels, self.collapse)
        if sp.issparse(block):
            block = sp.csr_matrix(block)
            if not block.has_sorted_indices:
                block = block.sorted_indices()  # a copy: the block may share user arrays
            return block
        return np.ascontiguousarray(block, dtype=np.float64)


# --------------------------------------------------------------------------------------
# The lazy row reader
# --------------------------------------------------------------------------------------


def _read_stored(source, kind: str, start: int, stop: int):
    block = source[start:stop]
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
        ``"backed_dense"``, ``"backed_sparse"`` or ``"dask"``.
    plan
        The :class:`ColumnPlan` from stored columns to genes.
    samples
        Row names (for error messages).
    chunk_size
        Rows per block for the streaming passes (:meth:`column_sums`).
    """

    is_lazy = True
    ndim = 2
    dtype = np.dtype(np.float64)

    def __init__(self, source, kind: str, plan: ColumnPlan, samples: pd.Index,
                 chunk_size: int | None = None) -> None:
        self.source = source
        self.kind = kind
        self.plan = plan
        self.samples = samples
        self.chunk_size = int(chunk_size or DEFAULT_LAZY_CHUNK)
        self.shape = (int(source.shape[0]), len(plan.genes))

    @property
    def is_sparse_storage(self) -> bool:
        """Whether blocks come out as CSR (sparse storage) rather than dense arrays."""
        if self.kind == "backed_sparse":
            return True
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
        acc = None
        for _, _, block in self.blocks():
            acc = _accumulate(acc, block, slot)
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


# --------------------------------------------------------------------------------------
# Building the lazy expression matrix
# --------------------------------------------------------------------------------------


def _probe_genes(var_names, gene_universe, duplicates: str, id_options: dict):
    """Run the in-memory input layer on an identity matrix of the stored columns.

    Returns ``(group, labels, report)``: for each stored column the output gene it joins
    (-1 when dropped for an unusable identifier), the output labels, and the report with
    the identifier notes. Duplicated identifiers are grouped with the ``sum`` policy
    (each identity row then marks its group); the real policy is applied afterwards.
    """
    from rrscore.expression._adapters import from_array

    if duplicates not in DUPLICATE_POLICIES:
        raise InputDataError(
            f"unknown duplicate-gene policy {duplicates!r}; choose one of {DUPLICATE_POLICIES}"
        )
    n = len(var_names)
    probe = from_array(
        sp.identity(n, dtype=np.float64, format="csr"), list(var_names),
        [f"c{j}" for j in range(n)], orient="genes_columns", duplicates="sum",
        nan_policy="error", gene_universe=gene_universe, **id_options,
    )
    m = sp.csr_matrix(probe.values)
    m.eliminate_zeros()
    group = np.full(n, -1, dtype=np.int64)
    rows = np.repeat(np.arange(n), np.diff(m.indptr))
    group[rows] = m.indices
    report = probe.report
    # the probe's own collapse note names the 'sum' policy; the real note comes later
    report.notes = [note for note in report.notes if "by policy 'sum'" not in note]
    return group, np.asarray(probe.genes, dtype=object), report


def _scan(source, kind: str, read: np.ndarray, read_labels: np.ndarray, samples: pd.Index,
          *, need_nan: bool, mean_cols: np.ndarray, chunk_size: int, progress: bool):
    """One streaming pass: NaN count per read column, sums of the ``mean_cols``."""
    n = int(source.shape[0])
    nan_count = np.zeros(len(read), dtype=np.int64)
    slot = np.full(len(read), -1, dtype=np.int64)
    slot[mean_cols] = np.arange(len(mean_cols))
    sums = None
    ranges = row_ranges(n, chunk_size)
    if progress:
        from tqdm.auto import tqdm

        ranges = tqdm(list(ranges), desc="checking genes", unit="chunk", leave=False,
                      disable=None)
    for start, stop in ranges:
        block = _as_float_block(_read_stored(source, kind, start, stop))[:, read]
        names = samples[start:stop]
        check_finite(block, start, names, read_labels, allow_nan=need_nan)
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
            sums = _accumulate(sums, block, slot)
    return nan_count, sums


def build_plan(
    source, kind: str, var_names, samples: pd.Index, report: InputReport, *,
    gene_universe=None, duplicates: str = "highest_mean", nan_policy: str = "error",
    chunk_size: int | None = None, progress: bool = False, id_options: dict | None = None,
) -> ColumnPlan:
    """The :class:`ColumnPlan` of a stored matrix; fills ``report`` as the in-memory layer."""
    from rrscore.expression._adapters import NAN_POLICIES

    if nan_policy not in NAN_POLICIES:
        raise InputDataError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    group, labels, probe_report = _probe_genes(var_names, gene_universe, duplicates,
                                               dict(id_options or {}))
    report.id_type = probe_report.id_type
    report.notes.extend(probe_report.notes)
    report.dropped_genes.extend(probe_report.dropped_genes)
    if hasattr(probe_report, "id_mapping"):
        report.id_mapping = probe_report.id_mapping
    read = np.flatnonzero(group >= 0)
    read_labels = labels[group[read]]
    codes = pd.factorize(pd.Index(read_labels), sort=False)[0]
    duplicated = np.bincount(codes, minlength=1)[codes] > 1
    need_nan = nan_policy == "drop_genes"
    mean_cols = (np.flatnonzero(duplicated) if duplicates == "highest_mean"
                 else np.zeros(0, dtype=np.int64))
    means = None
    if need_nan or len(mean_cols):
        nan_count, sums = _scan(
            source, kind, read, read_labels, samples, need_nan=need_nan, mean_cols=mean_cols,
            chunk_size=chunk_size or DEFAULT_LAZY_CHUNK, progress=progress,
        )
        if sums is not None:
            means = np.full(len(read), np.nan)
            means[mean_cols] = sums.astype(np.float64) / int(source.shape[0])
        has_nan = nan_count > 0
        if need_nan and has_nan.any():
            report.notes.append(
                f"nan_policy='drop_genes': dropped {int(has_nan.sum())} genes with missing "
                f"values ({int((nan_count == int(source.shape[0])).sum())} of them entirely "
                "NaN)"
            )
            report.dropped_genes.extend(map(str, read_labels[has_nan]))
            keep = ~has_nan
            read, read_labels = read[keep], read_labels[keep]
            means = means[keep] if means is not None else None
            codes = pd.factorize(pd.Index(read_labels), sort=False)[0]
            duplicated = np.bincount(codes, minlength=1)[codes] > 1
    collapse = None
    if duplicated.any():
        # the in-memory collapse on a one-row stand-in: its note, and its error for 'error'
        _, out_genes, notes = collapse_duplicate_genes(
            np.zeros((1, len(read_labels))), read_labels, duplicates
        )
        report.notes.extend(notes)
        if duplicates in ("first", "highest_mean"):
            chosen = np.full(len(out_genes), -1, dtype=np.int64)
            best = np.full(len(out_genes), -np.inf)
            for j, c in enumerate(codes):
                if chosen[c] < 0:
                    chosen[c] = j  # first occurrence (also when every mean is NaN)
                    best[c] = -np.inf if means is None or np.isnan(means[j]) else means[j]
                elif (duplicates == "highest_mean" and means is not None
                      and not np.isnan(means[j]) and means[j] > best[c]):
                    chosen[c], best[c] = j, means[j]  # strictly higher: first one on ties
            read, read_labels = read[chosen], read_labels[chosen]
        else:
            collapse = duplicates
        genes = pd.Index(np.asarray(out_genes).astype(str))
    else:
        genes = pd.Index(read_labels.astype(str))
    if len(genes) < 2:
        raise InputDataError(f"need at least 2 genes, have {len(genes)}")
    return ColumnPlan(int(len(var_names)), read.astype(np.int64), read_labels, genes, collapse)


def lazy_expression(
    adata, *, layer: str | None = None, use_raw: bool | None = None, gene_universe=None,
    duplicates: str = "highest_mean", nan_policy: str = "error",
    chunk_size: int | None = None, progress: bool = False, **id_options,
) -> ExpressionMatrix | None:
    """An :class:`ExpressionMatrix` over a backed or Dask AnnData matrix, or None.

    Returns None when the matrix picked by ``layer``/``use_raw`` is in memory (use
    :func:`rrscore.as_expression` for it). Arguments are those of
    :func:`rrscore.as_expression`; ``id_options`` (``map_ids``) are passed to the
    in-memory input layer that decides the genes.

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
    dtype = np.dtype(getattr(source, "dtype", np.float64))
    if dtype.kind not in "biuf":
        raise InputDataError(f"{where} must be numeric, got dtype {dtype}")
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
    plan = build_plan(
        source, kind, list(var_names), samples, report, gene_universe=gene_universe,
        duplicates=duplicates, nan_policy=nan_policy, chunk_size=chunk_size,
        progress=progress, id_options=id_options,
    )
    rows = LazyRows(source, kind, plan, samples, chunk_size)
    return ExpressionMatrix(rows, plan.genes, samples, report)
