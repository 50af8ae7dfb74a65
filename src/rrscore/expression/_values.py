"""Checks of expression values: numeric and finite, missing values under the NaN policy.

Two callers with the same rules: the in-memory input layer checks the whole matrix at once
(:func:`check_values`), lazy input one block of cells at a time as it is read
(:func:`check_finite`, naming the cell, its row and the gene).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import InputDataError
from rrscore.expression._matrix import InputReport

NAN_POLICIES = ("error", "drop_genes")


def check_nan_policy(nan_policy: str) -> str:
    """Return ``nan_policy`` if it is one of :data:`NAN_POLICIES`, else raise InputDataError."""
    if nan_policy not in NAN_POLICIES:
        raise InputDataError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    return nan_policy


def as_float(values) -> np.ndarray | sp.csr_matrix:
    """Values as the input layer stores them.

    Sparse: CSR keeping a floating dtype (float32 stays float32; integers become float64),
    sharing the caller's arrays where no conversion is needed. Dense: float64, a view where
    the values already are float64.

    Raises
    ------
    InputDataError
        For non-numeric dense values.
    """
    if sp.issparse(values):
        values = sp.csr_matrix(values)
        if not np.issubdtype(values.dtype, np.floating):
            values = values.astype(np.float64)
        return values
    values = np.asarray(values)
    if values.dtype.kind not in "biuf":
        raise InputDataError(f"expression values must be numeric, got dtype {values.dtype}")
    return np.asarray(values, dtype=np.float64)


def check_finite(
    block: np.ndarray | sp.csr_matrix, row_start: int, names: Sequence[object],
    genes: Sequence[object], *, allow_nan: bool = False,
) -> None:
    """Raise an :class:`InputDataError` naming the cell and gene of a non-finite value.

    Parameters
    ----------
    block
        One block of rows (cells × genes).
    row_start
        Position of the block's first row in the whole data set (for the message).
    names
        The block's row names.
    genes
        Gene identifier of each column.
    allow_nan
        Only infinite values raise (NaNs are counted elsewhere, for
        ``nan_policy="drop_genes"``).

    Raises
    ------
    InputDataError
        At the first non-finite value.
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


def check_values(
    values: np.ndarray | sp.csr_matrix, genes: np.ndarray, samples: pd.Index,
    nan_policy: str, report: InputReport,
) -> np.ndarray | None:
    """Check a whole in-memory matrix for infinite and missing values.

    Parameters
    ----------
    values
        ``(n_samples, n_genes)`` float matrix (dense or CSR).
    genes, samples
        Column and row labels (for messages).
    nan_policy
        ``"error"``: any NaN raises; ``"drop_genes"``: genes with a NaN are to be dropped
        (a note and the dropped genes go to ``report``).
    report
        The input report, extended in place.

    Returns
    -------
    numpy.ndarray or None
        Boolean mask of the genes to keep, or None when there is no missing value.

    Raises
    ------
    InputDataError
        For infinite values, samples that are entirely NaN, and NaNs under ``"error"``.
    """
    check_nan_policy(nan_policy)
    data = values.data if sp.issparse(values) else values
    if np.isinf(data).any():
        if sp.issparse(values):
            coo = values.tocoo()
            k = int(np.flatnonzero(np.isinf(coo.data))[0])
            r, c = int(coo.row[k]), int(coo.col[k])
            n_inf = int(np.isinf(coo.data).sum())
        else:
            rows, cols = np.nonzero(np.isinf(values))
            r, c, n_inf = int(rows[0]), int(cols[0]), len(rows)
        raise InputDataError(
            f"{n_inf} infinite values, e.g. gene {genes[c]!r} in sample {samples[r]!r}; "
            "remove or replace them (log of zero? use log1p)"
        )
    nan_mask = np.isnan(data)
    if not nan_mask.any():
        return None
    if sp.issparse(values):
        nan_cells = sp.csr_matrix(
            (nan_mask.astype(np.int8), values.indices, values.indptr), shape=values.shape
        )
        per_sample = np.asarray(nan_cells.sum(axis=1)).ravel()
        per_gene = np.asarray(nan_cells.sum(axis=0)).ravel()
    else:
        per_sample = nan_mask.sum(axis=1)
        per_gene = nan_mask.sum(axis=0)
    n_genes_total = values.shape[1]
    all_nan_samples = samples[per_sample == n_genes_total]
    if len(all_nan_samples):
        raise InputDataError(
            f"{len(all_nan_samples)} samples have no values at all (all NaN): "
            f"{list(map(str, all_nan_samples[:5]))}"
        )
    n_samples = values.shape[0]
    genes_with_nan = np.flatnonzero(per_gene > 0)
    all_nan_genes = np.flatnonzero(per_gene == n_samples)
    if nan_policy == "error":
        worst = genes_with_nan[np.argsort(-per_gene[genes_with_nan], kind="stable")][:5]
        raise InputDataError(
            f"{int(per_gene.sum())} missing values (NaN) in {len(genes_with_nan)} genes "
            f"({len(all_nan_genes)} entirely NaN), e.g. "
            + ", ".join(f"{genes[g]} ({per_gene[g]} samples)" for g in worst)
            + "; pass nan_policy='drop_genes' to drop those genes, or impute first"
        )
    keep = per_gene == 0
    report.notes.append(
        f"nan_policy='drop_genes': dropped {len(genes_with_nan)} genes with missing values "
        f"({len(all_nan_genes)} of them entirely NaN)"
    )
    report.dropped_genes.extend(map(str, genes[~keep]))
    return keep
