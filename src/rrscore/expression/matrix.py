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
        ``(n_samples, n_genes)`` float array, or a CSR sparse matrix for single-cell data.
    genes
        Unique gene identifiers (cleaned), one per column.
    samples
        Unique sample identifiers, one per row.
    report
        What the input layer did.
    """

    values: np.ndarray | sp.csr_matrix
    genes: pd.Index
    samples: pd.Index
    report: InputReport = field(default_factory=InputReport)

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
        """Whether values are a scipy sparse matrix."""
        return sp.issparse(self.values)

    def dense_rows(self, start: int, stop: int) -> np.ndarray:
        """Rows ``start:stop`` as a C-contiguous float64 array (a chunk of samples)."""
        block = self.values[start:stop]
        if sp.issparse(block):
            block = block.toarray()
        return np.ascontiguousarray(block, dtype=np.float64)
