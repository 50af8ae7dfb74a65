"""The one internal representation of expression data that every method receives."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.expression._sums import column_sums


def canonical_csr(values) -> sp.csr_matrix:
    """``values`` as a CSR matrix in canonical form: sorted indices, no duplicate entries.

    Duplicate ``(row, column)`` entries are summed, as scipy defines them. The caller's
    arrays are shared when they already are canonical and copied otherwise (never sorted or
    summed in place: ``csr_matrix(x)`` shares its arrays with, e.g., ``adata.raw.X``).

    Parameters
    ----------
    values
        A scipy sparse matrix or array of any format.

    Returns
    -------
    scipy.sparse.csr_matrix
    """
    # csr_matrix() of a CSR matrix shares its arrays but not its cached format flags, so
    # has_canonical_format is computed from the arrays here.
    m = sp.csr_matrix(values)
    if not m.has_canonical_format:
        m = m.copy()
        m.sum_duplicates()  # sorts the indices too
    return m


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
    id_types
        Number of labels of each identifier type when one index mixes several (e.g.
        ``{"symbol": 900, "ensembl": 100}``); empty when they are of one type.
    species
        The species the identifiers look like (``"human"``, ``"mouse"``,
        ``"mouse or rat"``, ...; ``"unknown"`` when they do not tell), see
        :func:`rrscore.ids.detect_species`.
    """

    source: str = ""
    orientation: str = ""
    id_type: str = ""
    n_genes_input: int = 0
    n_samples_input: int = 0
    notes: list[str] = field(default_factory=list)
    dropped_genes: list[str] = field(default_factory=list)
    id_mapping: dict = field(default_factory=dict)
    id_types: dict = field(default_factory=dict)
    species: str = ""

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
            "id_types": dict(self.id_types),
            "species": self.species,
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
    source_dtype
        The dtype of the values as given, before the input layer converted them (dense
        float32 input is stored as float64; float32 → float64 is exact). Methods that
        reproduce a tool which computes in the input's precision (score_genes: scanpy
        averages dense float32 data in float32) read it.
    """

    values: np.ndarray | sp.csr_matrix
    genes: pd.Index
    samples: pd.Index
    report: InputReport = field(default_factory=InputReport)
    row_offset: int = 0
    source_dtype: np.dtype = field(default_factory=lambda: np.dtype(np.float64))

    def __post_init__(self) -> None:
        n, g = self.values.shape
        if len(self.samples) != n or len(self.genes) != g:
            raise ValueError(
                f"values have shape {self.values.shape} but there are {len(self.samples)} "
                f"samples and {len(self.genes)} genes"
            )
        if sp.issparse(self.values):
            # whoever built it: kernels read the stored entries of each row
            self.values = canonical_csr(self.values)
        self.source_dtype = np.dtype(self.source_dtype)

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
            # a CSR matrix is kept as it is: csr_matrix() of it would drop its cached
            # has_sorted_indices, and checking a block of a backed file again cost ~5 ms per
            # 4,096 cells (8 % stored), ~1.3 s per million cells
            if not isinstance(block, sp.csr_matrix):
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

    @property
    def is_sparse_storage(self) -> bool:
        """Whether the values are stored sparse (in memory, or lazy blocks that come as CSR)."""
        if self.is_lazy:
            return bool(self.values.is_sparse_storage)
        return self.is_sparse

    def column_sums(self) -> np.ndarray:
        """Sum of every gene (column) over all samples, float64.

        Added row after row whatever the storage, layout or block size
        (:mod:`rrscore.expression._sums`): equal to scipy's ``sum(axis=0,
        dtype=float64)`` of a sparse matrix (float32 data added in float32) and to
        ``numpy.sum(axis=0)`` of a C-contiguous dense matrix — in float32 when the source
        values were float32, as numpy sums float32 data. Lazy values reproduce the same
        additions in one streaming pass, so the sums are identical to the last bit.
        """
        values = self.values
        if self.is_lazy:
            return values.column_sums()
        dtype = np.float32 if self.source_dtype == np.float32 else None
        return column_sums(values, dtype)
