"""Column sums in one fixed order of additions, whatever the storage or layout of the values.

Sums of floating-point numbers depend on the order they are added in. NumPy sums a
C-contiguous matrix down its columns row after row but a Fortran-ordered one by pairwise
summation, and scipy adds a CSR matrix's stored entries in storage order; a gene whose mean
falls on a boundary (score_genes' expression bins, ``duplicates="highest_mean"``) could then
change with the memory layout or with the reading in blocks. Every column sum of the input
layer goes through :func:`accumulate` instead: entries added row after row, in the order a
row-major reading of the matrix meets them — NumPy's order for a C-contiguous matrix and
scipy's for CSR, so the sums equal theirs to the last bit — in float32 when asked (scanpy
averages float32 data in float32), else in float64.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rrscore._numba import numba


@numba.njit(cache=True)
def _add_sparse(acc, data, indices, slot):
    # In storage order, one entry after the other: the order scipy's sum(axis=0) adds them in.
    for k in range(len(data)):
        s = slot[indices[k]]
        if s >= 0:
            acc[s] += data[k]


@numba.njit(cache=True)
def _add_dense(acc, block, slot):
    # Row after row: numpy's order for sum(axis=0) of a C-contiguous matrix (any layout
    # is read in this order, without a copy).
    for i in range(block.shape[0]):
        for j in range(block.shape[1]):
            s = slot[j]
            if s >= 0:
                acc[s] += block[i, j]


@numba.njit(cache=True)
def _add_dense_f32(acc, block, slot):
    # The same order in float32 arithmetic: float64 values that came from float32 data
    # convert back exactly, and float32 + float32 rounds as numpy's float32 sum does.
    for i in range(block.shape[0]):
        for j in range(block.shape[1]):
            s = slot[j]
            if s >= 0:
                acc[s] = np.float32(acc[s] + np.float32(block[i, j]))


def accumulate(acc: np.ndarray | None, block, slot: np.ndarray,
               dtype: np.dtype | type | None = None) -> np.ndarray:
    """Add a block's columns (those with ``slot >= 0``) into ``acc`` (slot ``slot[j]``).

    Parameters
    ----------
    acc
        The running sums (one per slot), or None for the first block.
    block
        ``(n_rows, n_columns)`` values, dense (any layout) or sparse.
    slot
        int64 slot of each column of ``block``, -1 for columns not summed.
    dtype
        Accumulator dtype for the first block. Default: the data type of a sparse block
        (scipy adds float32 data in float32 even with ``dtype=float64``), float64 for a
        dense one.

    Returns
    -------
    numpy.ndarray
        The updated sums (``acc`` itself when given).
    """
    if acc is None:
        if dtype is None:
            dtype = block.dtype if sp.issparse(block) else np.float64
        acc = np.zeros(int(slot.max()) + 1 if len(slot) else 0, dtype=dtype)
    if sp.issparse(block):
        block = sp.csr_matrix(block)
        _add_sparse(acc, block.data.astype(acc.dtype, copy=False), block.indices, slot)
    elif acc.dtype == np.float32:
        _add_dense_f32(acc, np.asarray(block), slot)
    else:
        _add_dense(acc, np.asarray(block, dtype=acc.dtype), slot)
    return acc


def column_sums(values, dtype: np.dtype | type | None = None) -> np.ndarray:
    """Sum of every column of an in-memory matrix, added row after row.

    Parameters
    ----------
    values
        ``(n_rows, n_columns)`` dense array (any layout) or sparse matrix.
    dtype
        Accumulator dtype (see :func:`accumulate`).

    Returns
    -------
    numpy.ndarray
        ``(n_columns,)`` float64 (the accumulator's values, converted exactly).
    """
    slot = np.arange(values.shape[1], dtype=np.int64)
    if values.shape[1] == 0:
        return np.zeros(0)
    return accumulate(None, values, slot, dtype).astype(np.float64)
