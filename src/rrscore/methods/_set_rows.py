"""One set's standardised expression block, for PLAGE: read where rows are contiguous.

PLAGE needs, for every set, the dense ``k × N`` block of its genes' z-scores
``(x - mean) / sd`` (``k`` genes, ``N`` samples), as C-contiguous rows (one per gene) for
BLAS. How it is read depends on how the values lie:

* **genes × samples** (a DataFrame built from a genes × samples array: its values are a
  Fortran-ordered samples × genes view): each gene is already one contiguous row; the block
  is gathered and standardised row by row, with no copy of the matrix;
* **samples × genes** (AnnData, NumPy, and DataFrames read from files, which pandas stores
  column by column): a gene's values are ``N`` numbers one matrix row apart, and gathering
  them per set costs a cache miss each (measured 14 ns a value, 9 s for 5,000 sets × 1,000
  samples). The genes the sets use are standardised once into a genes × samples copy (at most
  the size of the input: a parallel blocked transposition, ~0.2 s for 20,000 × 1,000), from
  which each block is a row gather;
* **sparse (CSR)**: the columns the sets use, gathered once into a CSC matrix; each block is
  densified and standardised from it. PLAGE reads CSR input this way only for sets with more
  genes than cells; the others go through :mod:`rrscore.methods._plage_sparse`, which copies
  nothing input-sized.

Every value is ``(x - mean) / sd`` in that order, so the three give the same numbers.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from rrscore._numba import kernel_over_rows, numba
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.methods._standardize import GeneScaling

#: Genes × samples tile of the transposition (fits in L1/L2 while it is turned).
_TILE = 32


@numba.njit(cache=True, nogil=True)
def _transpose_standardised(b0, b1, x, cols, mean, sd, out):
    # out[c, i] = (x[i, cols[c]] - mean) / sd for the tiles b0 .. b1 - 1 of _TILE genes: each
    # reads _TILE columns of _TILE rows and writes _TILE contiguous runs
    n = x.shape[0]
    k = len(cols)
    for b in range(b0, b1):
        c0 = b * _TILE
        c1 = min(k, c0 + _TILE)
        for i0 in range(0, n, _TILE):
            i1 = min(n, i0 + _TILE)
            for c in range(c0, c1):
                g = cols[c]
                m = mean[g]
                s = sd[g]
                for i in range(i0, i1):
                    out[c, i] = (x[i, g] - m) / s


@numba.njit(cache=True, nogil=True)
def _gather_standardised(xt, cols, mean, sd, out):
    # xt: genes × samples (C-contiguous): each set gene is one contiguous row
    for c in range(len(cols)):
        g = cols[c]
        m = mean[g]
        s = sd[g]
        row = xt[g]
        dest = out[c]
        for i in range(row.shape[0]):
            dest[i] = (row[i] - m) / s
    return out


@numba.njit(cache=True, nogil=True)
def _take_rows(z, rows, out):
    for c in range(len(rows)):
        out[c, :] = z[rows[c]]
    return out


class SetRows:
    """Standardised rows of any set's genes, from the layout that makes them cheap.

    Parameters
    ----------
    expr, scaling
        In-memory expression (``n_samples × n_genes``) and its :func:`gene_scaling`.
    union
        int64 sorted column indices of every gene the sets use.

    Notes
    -----
    Building it may run a numba kernel on threads (no numba parallel region);
    :meth:`block` releases the GIL for its work and may be called from several threads at
    once.
    """

    def __init__(self, expr: ExpressionMatrix, scaling: GeneScaling, union: np.ndarray):
        self.n = expr.shape[0]
        self.mean = np.ascontiguousarray(scaling.mean, dtype=np.float64)
        self.sd = np.ascontiguousarray(scaling.sd, dtype=np.float64)
        self.position = np.full(expr.shape[1], -1, dtype=np.int64)
        self.position[union] = np.arange(len(union))
        values = expr.values
        self.gene_major = self.source = self.z = None
        if sp.issparse(values):
            # one pass over the sparse matrix for the union of the sets' genes, then cheap
            # per-set column gathers from that column-major copy. When the sets use most of
            # the genes, the whole matrix is converted at once: a column subset of a CSR
            # matrix is a CSR copy that the conversion copies again (two input-sized copies
            # alive together, 50,000 cells × 30,000 genes × 2,000 sets), one conversion is one
            if 2 * len(union) >= expr.shape[1]:
                self.source = values.tocsc()
                self.position = np.arange(expr.shape[1], dtype=np.int64)
            else:
                self.source = sp.csc_matrix(values[:, union])
        elif self.reads_in_place(values):
            self.gene_major = values.T  # genes × samples, C-contiguous: no copy
        else:
            cols = np.asarray(union, dtype=np.int64)
            self.z = np.empty((len(cols), self.n))
            # a serial kernel over tiles of genes, on threads
            kernel_over_rows(_transpose_standardised, (len(cols) + _TILE - 1) // _TILE, values,
                             cols, self.mean, self.sd, self.z)

    @staticmethod
    def reads_in_place(values) -> bool:
        """Whether ``values`` (samples × genes) are read as they are, with no gene-major copy:
        a float64 array whose gene columns are contiguous."""
        return (isinstance(values, np.ndarray) and values.dtype == np.float64
                and values.flags.f_contiguous)

    def block(self, cols: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``(len(cols), n_samples)`` C-contiguous z-scores of the genes ``cols``.

        Parameters
        ----------
        cols
            int64 column indices (genes of the union), in the set's order.
        out
            Optional C-contiguous float64 array of that shape to write into (a buffer reused
            set after set; sparse input allocates its own).

        Returns
        -------
        numpy.ndarray
        """
        cols = np.asarray(cols, dtype=np.int64)
        if out is None:
            out = np.empty((len(cols), self.n))
        if self.gene_major is not None:
            return _gather_standardised(self.gene_major, cols, self.mean, self.sd, out)
        if self.z is not None:
            return _take_rows(self.z, self.position[cols], out)
        block = self.source[:, self.position[cols]]
        rows = np.ascontiguousarray(block.T.toarray(), dtype=np.float64)
        rows -= self.mean[cols][:, None]
        rows /= self.sd[cols][:, None]
        return rows
