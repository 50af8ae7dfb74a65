"""The one internal representation of expression data that every method receives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp


@dataclass
class InputReport:
    """What the input layer did to the data: orientation, ID handling, what was dropped.

    Attributes
    ----------
    source
        Kind of input (``DataFrame``, ``ndarray``, ``AnnData``, file name).
    orientation
        ``genes_rows`` or ``genes_columns`` as the input was given (AnnData: ``genes_columns``).
    id_type
        Detected type of the gene identifiers.
    n_genes_input, n_samples_input
        Shape of the input before cleaning.
    notes
        Human-readable notes, in the order the steps ran.
    dropped_genes
        Identifiers of genes removed (NaN policy, missing identifiers), for inspection.
    id_mapping
        Counts of the Ensembl/Entrez → symbol mapping (``from``, ``to``, ``n_ids``,
        ``n_mapped``, ``n_unmapped``, ``n_ambiguous``, ``n_symbols``, ``reference``);
        empty when no mapping was done.
    """

    source: str = ""
    orientation: str = ""
    id_type: str = ""
    n_genes_input: int = 0
    n_samples_input: int = 0
    notes: list[str] = field(default_factory=list)
    dropped_genes: list[str] = field(default_factory=list)
    id_mapping: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain-dict form (for ``adata.uns`` and JSON)."""
        return {
            "source": self.source,
            "orientation": self.orientation,
            "id_type": self.id_type,
            "n_genes_input": self.n_genes_input,
            "n_samples_input": self.n_samples_input,
            "notes": list(self.notes),
            "n_dropped_genes": len(self.dropped_genes),
            "id_mapping": dict(self.id_mapping),
        }


@dataclass
class ExpressionMatrix:
    """Expression values with samples (or cells) as rows and genes as columns.

    Attributes
    ----------
    values
        ``(n_samples, n_genes)`` float array, or a CSR sparse matrix for single-cell data,
        or a lazy row reader of a backed h5ad or Dask matrix
        (:class:`rrscore.expression._lazy.LazyRows`) that hands out one block of rows at a
        time and refuses whole-matrix access. Methods that read their input through
        :meth:`rows` / :meth:`dense_rows` (or ``values[start:stop]``) and
        :meth:`column_sums` work on all three.
    genes
        Unique gene identifiers (cleaned), one per column.
    samples
        Unique sample identifiers, one per row.
    report
        What the input layer did.
    row_offset
        Position of the first row in the full data set when this matrix is one block of it
        (Dask ``map_blocks``), 0 otherwise. Methods whose per-row result depends on the
        row's position (AUCell's seeded random tie order) add it to their row index, so a
        block scores as the same rows of the whole matrix would.
    """

    values: np.ndarray | sp.csr_matrix
    genes: pd.Index
    samples: pd.Index
    report: InputReport = field(default_factory=InputReport)
    row_offset: int = 0

    def __post_init__(self) -> None:
        n, g = self.values.shape
        if len(self.samples) != n or len(self.genes) != g:
            raise ValueError(
                f"values have shape {self.values.shape} but there are {len(self.samples)} "
                f"samples and {len(self.genes)} genes"
            )

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_genes)``."""
        return self.values.shape

    @property
    def is_sparse(self) -> bool:
        """Whether values are an in-memory scipy sparse matrix (False for lazy values)."""
        return sp.issparse(self.values)

    @property
    def is_lazy(self) -> bool:
        """Whether values stay in a backing store (backed h5ad, Dask) and are read by rows."""
        return bool(getattr(self.values, "is_lazy", False))

    def rows(self, start: int, stop: int) -> np.ndarray | sp.csr_matrix:
        """Rows ``start:stop`` in the storage of the input, one block of samples.

        A CSR matrix with sorted indices for sparse input (only the stored entries, never
        densified), a float64 array for dense input. Lazy values are read from their
        backing store here, and validated.
        """
        block = self.values[start:stop]
        if sp.issparse(block):
            block = sp.csr_matrix(block)
            if not block.has_sorted_indices:
                block = block.sorted_indices()
            return block
        return np.asarray(block, dtype=np.float64)

    def sparse_rows(self, start: int, stop: int) -> sp.csr_matrix:
        """Rows ``start:stop`` as a CSR matrix with sorted indices (dense input converted)."""
        block = self.rows(start, stop)
        return block if sp.issparse(block) else sp.csr_matrix(block)

    def dense_rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` as a C-contiguous float64 array (a chunk of samples)."""
        block = self.values[start:stop]
        if sp.issparse(block):
            block = block.toarray()
        return np.ascontiguousarray(block, dtype=np.float64)

    def column_sums(self) -> np.ndarray:
        """Sum of every gene (column) over all samples, float64.

        Summed as the in-memory matrix sums: a sparse matrix through scipy's
        ``sum(axis=0, dtype=float64)`` (which accumulates float32 data in float32, as
        scanpy's gene means do), a dense one with ``numpy.sum(axis=0)``. Lazy values
        reproduce the same order of additions in one streaming pass, so the sums are
        identical to the last bit.
        """
        values = self.values
        if self.is_lazy:
            return values.column_sums()
        if sp.issparse(values):
            return np.asarray(values.sum(axis=0, dtype=np.float64)).ravel()
        return np.asarray(np.sum(values, axis=0), dtype=np.float64)
