"""Row access shared by the sparse-aware kernels (:mod:`._ties`, :mod:`._random_ties`).

A block of rows, dense or CSR, is seen as flat ``(data, indices, indptr)`` arrays
(:func:`row_arrays`), one row at a time inside a kernel (:func:`csr_row`); the queried genes
are numbered by slots (:func:`gene_slots`) so that a kernel's per-row output has one entry
per distinct queried gene.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import numba


def row_arrays(values) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool, int]:
    """Flat ``(data, indices, indptr, shared_indices, n_cols)`` views of a block of rows.

    For a CSR matrix these are its own arrays (float32 or float64 data, int32 or int64
    indices; other data types are converted to float64, indptr to int64); for a
    dense 2-D array ``data`` is the raveled block, ``indptr`` steps by ``n_cols`` and
    ``indices`` is ``arange(n_cols)``, shared by every row (``shared_indices=True``).
    """
    import scipy.sparse as sp

    if sp.issparse(values):
        m = values if values.format == "csr" else sp.csr_matrix(values)
        if not m.has_sorted_indices:
            m = m.copy()
            m.sort_indices()
        # float32 data and int32 indices are used as they are (the kernels compile for
        # them): converting a large block would cost more than ranking it
        data = m.data if m.data.dtype in (np.float32, np.float64) else m.data.astype(np.float64)
        return data, m.indices, np.ascontiguousarray(m.indptr, dtype=np.int64), False, m.shape[1]
    x = np.ascontiguousarray(values, dtype=np.float64)
    n_rows, n_cols = x.shape
    return (x.ravel(), np.arange(n_cols, dtype=np.int64),
            np.arange(0, n_rows * n_cols + 1, n_cols, dtype=np.int64)[: n_rows + 1], True,
            n_cols)


def gene_slots(genes: np.ndarray, n_genes: int) -> tuple[np.ndarray, np.ndarray]:
    """``(slot_of, slot_genes)``: the distinct queried genes and a gene → slot lookup.

    ``slot_genes`` are the distinct genes of ``genes`` in ascending order; ``slot_of`` has
    length ``n_genes`` with the slot of each queried gene and -1 elsewhere.
    """
    slot_genes = np.unique(np.asarray(genes, dtype=np.int64))
    slot_of = np.full(n_genes, -1, dtype=np.int64)
    slot_of[slot_genes] = np.arange(len(slot_genes), dtype=np.int64)
    return slot_of, slot_genes


@numba.njit(nogil=True, cache=True)
def csr_row(data, indices, indptr, shared, r):
    """Stored values and column indices of row ``r`` of the arrays from :func:`row_arrays`."""
    a = indptr[r]
    b = indptr[r + 1]
    return data[a:b], (indices if shared else indices[a:b])
