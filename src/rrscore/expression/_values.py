"""Checks of expression values: real numbers, finite, missing values under the NaN policy.

One rule for the type of values, whatever the container (DataFrame columns, NumPy arrays,
scipy sparse matrices, AnnData in memory, backed or Dask): **real numbers only**
(:func:`dtype_problem`). Booleans, complex numbers, text and other objects are refused with
a message that names the dtype; integers become float64, floats keep their precision where
the input layer stores them (sparse) and become float64 otherwise.

Sparse input is put in canonical form here
(:func:`~rrscore.expression._matrix.canonical_csr`): scipy allows duplicate ``(row,
column)`` entries (they sum) and unsorted column indices, which rank kernels that read the
stored entries would misread. The caller's matrix is never modified: a copy is made
when it is not canonical (``csr_matrix(x)`` shares its arrays with, e.g., ``adata.raw.X``).

Two callers with the same value rules: the in-memory input layer checks the whole matrix at
once (:func:`check_values`), lazy input one block of cells at a time as it is read
(:func:`check_finite`, naming the cell, its row and the gene). Both first add all the values
up (:func:`all_finite`: one read in memory order, no temporary of the data's size; a finite
sum means no NaN and no infinity); only when that sum is not finite do they look for the
offending values, block by block. :func:`check_sizes` validates
the ``min_size``/``max_size`` filter options before any work.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import GeneMatchError, InputDataError
from rrscore.expression._matrix import InputReport, canonical_csr

NAN_POLICIES = ("error", "drop_genes")

_DTYPE_ADVICE = {
    "boolean": "booleans are not expression values (if they are meant as 0/1, convert them "
               "with .astype(float))",
    "complex": "complex numbers are not expression values (take .real or abs() first)",
    "non-numeric": "expression values must be real numbers",
}


def check_nan_policy(nan_policy: str) -> str:
    """Return ``nan_policy`` if it is one of :data:`NAN_POLICIES`, else raise InputDataError."""
    if nan_policy not in NAN_POLICIES:
        raise InputDataError(f"nan_policy must be one of {NAN_POLICIES}, got {nan_policy!r}")
    return nan_policy


def dtype_problem(dtype) -> str | None:
    """Why values of ``dtype`` are not expression values, or None when they are real numbers.

    Parameters
    ----------
    dtype
        A NumPy dtype or a pandas extension dtype (nullable ``Int64``/``Float64`` count as
        real numbers; ``boolean``, ``category`` and ``string`` do not).

    Returns
    -------
    str or None
        ``"boolean"``, ``"complex"``, ``"non-numeric"`` (text, objects, dates,
        categories), or None for integers and floats.
    """
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_complex_dtype(dtype):
        return "complex"
    if isinstance(dtype, pd.CategoricalDtype) or not pd.api.types.is_numeric_dtype(dtype):
        return "non-numeric"
    if isinstance(dtype, np.dtype) and dtype.kind not in "iuf":
        return "non-numeric"  # e.g. timedelta64 counts as numeric for pandas
    return None


def check_real_dtype(dtype, where: str) -> None:
    """Raise an :class:`InputDataError` unless ``dtype`` holds real numbers.

    Parameters
    ----------
    dtype
        The dtype of the values (NumPy or pandas extension dtype).
    where
        What holds them, for the message (``"the expression array"``, ``"adata.X"``).

    Raises
    ------
    InputDataError
        For booleans, complex numbers, text and other objects; the message names the dtype.
    """
    problem = dtype_problem(dtype)
    if problem is not None:
        raise InputDataError(
            f"{where} must hold real numbers, got dtype {dtype}: {_DTYPE_ADVICE[problem]}"
        )


def _first_bad_cell(df: pd.DataFrame, columns: list) -> tuple[str, object, object] | None:
    """(value, row, column) of the first text cell in a column that otherwise holds numbers;
    None when the offending columns are text throughout (labels, descriptions)."""
    for position, column in enumerate(df.columns):
        if column not in columns:
            continue
        values = df.iloc[:, position]
        try:
            numbers = pd.to_numeric(values, errors="coerce")
        except TypeError:  # objects that are not text
            continue
        bad = numbers.isna().to_numpy() & values.notna().to_numpy()
        if bad.any() and not bad[values.notna().to_numpy()].all():
            i = int(np.argmax(bad))
            return str(values.iloc[i]), df.index[i], column
    return None


def check_frame_dtypes(df: pd.DataFrame, gene_axis: str) -> None:
    """Apply :func:`check_real_dtype`'s rule to every column of a DataFrame (by position).

    Parameters
    ----------
    df
        The expression table; its column labels may repeat.
    gene_axis
        ``"rows"`` or ``"columns"``: where the genes are (the message suggests making a text
        column the index only when the columns are samples).

    Raises
    ------
    InputDataError
        Naming the offending columns and their dtypes.
    """
    problem = {d: dtype_problem(d) for d in set(df.dtypes)}  # each dtype judged once
    bad = [(c, d, problem[d]) for c, d in zip(df.columns, df.dtypes, strict=True)
           if problem[d] is not None]
    if not bad:
        return
    names = [str(c) for c, _, _ in bad]
    dtypes = sorted({str(d) for _, d, _ in bad})
    problems = {p for _, _, p in bad}
    if problems == {"non-numeric"}:
        cell = _first_bad_cell(df, [c for c, _, _ in bad])
        if cell is not None:  # a column of numbers with a typo or a decimal comma in it
            value, row, column = cell
            comma = " (a decimal comma? use a point)" if "," in value else ""
            raise InputDataError(
                f"{value!r} in row {row!r}, column {column!r} of the expression table is not "
                f"a number{comma}"
            )
        hint = (
            f"; if {names[0]!r} holds gene identifiers, make it the index "
            f"(df.set_index({names[0]!r}))"
            if gene_axis == "rows" else ""
        )
        raise InputDataError(
            f"non-numeric columns in the expression table: {names[:5]}"
            f"{' ...' if len(names) > 5 else ''} (dtype {', '.join(dtypes)}){hint}"
        )
    advice = "; ".join(_DTYPE_ADVICE[p] for p in sorted(problems))
    raise InputDataError(
        f"{len(names)} columns of the expression table are not real numbers: {names[:5]}"
        f"{' ...' if len(names) > 5 else ''} (dtype {', '.join(dtypes)}); {advice}"
    )


def as_float(values) -> np.ndarray | sp.csr_matrix:
    """Values as the input layer stores them.

    Sparse: canonical CSR (:func:`canonical_csr`) keeping a floating dtype (float32 stays
    float32; integers become float64), sharing the caller's arrays where no conversion is
    needed. Dense: float64, a view where the values already are float64.

    Raises
    ------
    InputDataError
        For values that are not real numbers (:func:`check_real_dtype`).
    """
    if sp.issparse(values):
        check_real_dtype(values.dtype, "the sparse expression matrix")
        values = canonical_csr(values)
        if not np.issubdtype(values.dtype, np.floating):
            values = values.astype(np.float64)
        return values
    values = np.asarray(values)
    check_real_dtype(values.dtype, "the expression values")
    return np.asarray(values, dtype=np.float64)


def check_sizes(min_size, max_size) -> None:
    """Check the gene-set size filter options: numbers, not NaN, ``min_size`` whole.

    Parameters
    ----------
    min_size
        Smallest number of genes found for a set to be scored: a whole number (an ``int``
        or an integral float).
    max_size
        Largest number of genes found: a number (``math.inf`` for no limit).

    Raises
    ------
    GeneMatchError
        For booleans, text, None, NaN, or a fractional ``min_size`` (the range checks
        ``min_size >= 1`` and ``max_size >= min_size`` are the matching step's).
    """
    for name, value in (("min_size", min_size), ("max_size", max_size)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(
                value, (int, float, np.integer, np.floating)):
            raise GeneMatchError(
                f"{name} must be a number, got {value!r} ({type(value).__name__})"
            )
        if np.isnan(value):
            raise GeneMatchError(
                f"{name} must be a number, got NaN; use math.inf for no upper limit"
            )
    if np.isinf(min_size) or float(min_size) != int(min_size):
        raise GeneMatchError(f"min_size must be a whole number, got {min_size!r}")


#: Values per block of the exact scan for non-finite values (bounds its temporaries).
SCAN_BLOCK = 1 << 22


def all_finite(data: np.ndarray) -> bool:
    """Whether every value of ``data`` (any shape, layout and float dtype) is finite.

    One read, no temporary of the data's size: the float64 sum of all values is finite
    exactly when no value is NaN or infinite — or, rarely, when finite values overflow
    when added, which only sends the caller to the exact scan.
    """
    if data.size == 0:
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.add.reduce(data, axis=None, dtype=np.float64)
    return bool(np.isfinite(total))


def _dense_blocks(values: np.ndarray):
    """``(row0, col0, block)`` views covering ``values``, along its memory order."""
    n, g = values.shape
    if values.flags.f_contiguous and not values.flags.c_contiguous:
        step = max(1, SCAN_BLOCK // max(n, 1))
        for c0 in range(0, g, step):
            yield 0, c0, values[:, c0:c0 + step]
    else:
        step = max(1, SCAN_BLOCK // max(g, 1))
        for r0 in range(0, n, step):
            yield r0, 0, values[r0:r0 + step]


def _scan_dense(values: np.ndarray):
    """Infinite values (count, first in row-major order) and NaN counts per row/column."""
    n, g = values.shape
    n_inf, first = 0, None
    per_row = np.zeros(n, dtype=np.int64)
    per_col = np.zeros(g, dtype=np.int64)
    for r0, c0, block in _dense_blocks(values):
        if all_finite(block):
            continue
        inf = np.isinf(block)
        k = int(inf.sum())
        if k:
            n_inf += k
            rows, cols = np.nonzero(inf)  # row-major within the block
            here = (r0 + int(rows[0]), c0 + int(cols[0]))
            first = here if first is None else min(first, here)
        nan = np.isnan(block)
        per_row[r0:r0 + block.shape[0]] += nan.sum(axis=1)
        per_col[c0:c0 + block.shape[1]] += nan.sum(axis=0)
    return n_inf, first, per_row, per_col


def _scan_sparse(values: sp.csr_matrix):
    """As :func:`_scan_dense` over the stored values of a CSR matrix (storage order)."""
    n, g = values.shape
    data = values.data
    n_inf, first = 0, None
    per_row = np.zeros(n, dtype=np.int64)
    per_col = np.zeros(g, dtype=np.int64)
    for q0 in range(0, len(data), SCAN_BLOCK):
        block = data[q0:q0 + SCAN_BLOCK]
        if all_finite(block):
            continue
        inf = np.flatnonzero(np.isinf(block))
        if len(inf):
            if first is None:
                k = q0 + int(inf[0])
                first = (int(np.searchsorted(values.indptr, k, side="right") - 1),
                         int(values.indices[k]))
            n_inf += len(inf)
        nan = q0 + np.flatnonzero(np.isnan(block))
        if len(nan):
            rows = np.searchsorted(values.indptr, nan, side="right") - 1
            per_row += np.bincount(rows, minlength=n)
            per_col += np.bincount(values.indices[nan], minlength=g)
    return n_inf, first, per_row, per_col


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
    if data.size == 0 or all_finite(data):
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
             f"{_count(int(bad.sum()), 'such value')} in rows "
             f"{row_start}-{row_start + block.shape[0] - 1}")
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
    if all_finite(data):  # the usual case: one read of the values, nothing allocated
        return None
    scan = _scan_sparse if sp.issparse(values) else _scan_dense
    n_inf, first, per_sample, per_gene = scan(values)
    if n_inf:
        r, c = first
        raise InputDataError(
            f"{n_inf} infinite values, e.g. gene {genes[c]!r} in sample {samples[r]!r}; "
            "remove or replace them (log of zero? use log1p)"
        )
    if not per_gene.any():  # finite values whose sum overflowed
        return None
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
            f"{_count(int(per_gene.sum()), 'missing value')} (NaN) in "
            f"{_count(len(genes_with_nan), 'gene')} ({len(all_nan_genes)} entirely NaN), e.g. "
            + ", ".join(f"{genes[g]} ({_count(int(per_gene[g]), 'sample')})" for g in worst)
            + "; pass nan_policy='drop_genes' to drop those genes, or impute first"
        )
    keep = per_gene == 0
    report.notes.append(
        f"nan_policy='drop_genes': dropped {len(genes_with_nan)} genes with missing values "
        f"({len(all_nan_genes)} of them entirely NaN)"
    )
    report.dropped_genes.extend(map(str, genes[~keep]))
    return keep


def _count(n: int, noun: str) -> str:
    """``"1 gene"``, ``"3 genes"``: a count with its noun in the right number."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
