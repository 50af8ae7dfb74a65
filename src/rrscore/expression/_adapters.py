"""Input adapters: DataFrame, NumPy array + gene names, AnnData → :class:`ExpressionMatrix`.

All validation of expression input lives in the input layer, so that methods can trust what
they get. Every adapter ends in the same steps: the gene plan from the labels
(:mod:`rrscore.expression._genes`), the value checks (:mod:`rrscore.expression._values`),
the plan applied to the matrix.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import InputDataError
from rrscore.expression._anndata import is_anndata, lazy_kind, load_matrix, select_matrix
from rrscore.expression._collapse import column_means
from rrscore.expression._genes import check_enough_genes, plan_genes
from rrscore.expression._lazy import BlockPlan, LazyRows, lazy_expression
from rrscore.expression._matrix import ExpressionMatrix, InputReport
from rrscore.expression._values import (
    as_float,
    check_frame_dtypes,
    check_real_dtype,
    check_values,
)
from rrscore.ids import (
    MapIds,
    check_map_ids,
    clean_gene_ids,
    gene_reference,
    wants_symbol_mapping,
)

ORIENTATIONS = ("auto", "genes_rows", "genes_columns")

#: Values per block of an in-memory matrix read by blocks (:func:`expression_by_blocks`):
#: ~32 MB of float64, 200 samples of 20,000 genes.
BLOCK_VALUES = 4_000_000


def _is_positional(labels: Iterable[object]) -> bool:
    """Labels ``0..n-1`` or ``1..n`` (a default index, not Entrez IDs)."""
    text = [str(x).strip() for x in labels]
    if not text or not all(t.isdigit() for t in text):
        return False
    values = np.array([int(t) for t in text])
    start = values.min()
    return start in (0, 1) and np.array_equal(np.sort(values), np.arange(start, start + len(text)))


def _match_count(
    labels: Iterable[object], universe_upper: set[str] | None, map_ids: MapIds = "off"
) -> int:
    if not universe_upper or _is_positional(labels):
        return 0
    cleaned = clean_gene_ids(labels)
    ids = cleaned.ids[cleaned.keep]
    if wants_symbol_mapping(map_ids, cleaned.id_type, universe_upper):
        # Ensembl/Entrez labels would be mapped to symbols: count what they will match.
        mapped = gene_reference().to_symbol(ids, cleaned.id_type)
        ids = [m if m is not None else i for i, m in zip(ids, mapped, strict=True)]
    return int(sum(1 for x in ids if str(x).upper() in universe_upper))


def _decide_orientation(
    row_labels: Sequence[object], col_labels: Sequence[object], universe: set[str] | None,
    orient: str, map_ids: MapIds = "off",
) -> str:
    """Pick ``genes_rows`` or ``genes_columns`` for a labelled 2-D table."""
    if orient not in ORIENTATIONS:
        raise InputDataError(f"orient must be one of {ORIENTATIONS}, got {orient!r}")
    if orient != "auto":
        return orient
    if not universe:
        return "genes_rows"
    upper = {g.upper() for g in universe}
    in_rows = _match_count(row_labels, upper, map_ids)
    in_cols = _match_count(col_labels, upper, map_ids)
    if in_rows == 0 and in_cols == 0:
        # Leave the error to gene-set matching, which can say what the IDs look like.
        return "genes_rows"
    if in_rows and in_cols and max(in_rows, in_cols) < 3 * min(in_rows, in_cols):
        raise InputDataError(
            f"cannot tell the orientation: {in_rows} row labels and {in_cols} column labels "
            "match gene-set genes; pass orient='genes_rows' or orient='genes_columns'"
        )
    return "genes_rows" if in_rows >= in_cols else "genes_columns"


def _check_labels_unique(labels: pd.Index, what: str) -> None:
    dup = labels[labels.duplicated()].unique()
    if len(dup):
        raise InputDataError(
            f"{len(dup)} duplicated {what} names, e.g. {list(map(str, dup[:5]))}; "
            f"{what} names must be unique"
        )


def _finish(
    values: np.ndarray | sp.spmatrix, raw_genes: Sequence[object], samples: pd.Index,
    report: InputReport, duplicates: str, nan_policy: str,
    map_ids: MapIds = "off", gene_universe: set[str] | None = None,
    source_dtype: np.dtype | None = None, by_blocks: bool = False,
) -> ExpressionMatrix:
    """Shared tail of every adapter: the gene plan from the labels, value checks, the plan applied.

    ``values`` is samples × stored columns, one column per label of ``raw_genes``;
    ``source_dtype`` the dtype the user's values had (default: ``values.dtype``).
    ``by_blocks``: when the plan drops or combines stored columns (``nan_policy=
    "drop_genes"``, duplicated genes), apply it to each block of samples as it is read
    (:func:`_by_blocks`) rather than to a copy of the whole matrix.
    """
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise InputDataError(
            f"expression data is empty ({values.shape[1]} genes × {values.shape[0]} samples)"
        )
    samples = pd.Index(samples).map(str)
    _check_labels_unique(samples, "sample")
    first = plan_genes(raw_genes, map_ids=map_ids, gene_universe=gene_universe)
    first.fill_report(report)
    source_dtype = np.dtype(values.dtype if source_dtype is None else source_dtype)
    # No contiguous copy here: a genes × samples table arrives as a transposed view, and
    # methods copy one chunk of samples at a time (ExpressionMatrix.dense_rows).
    values = as_float(values)
    selected = first.select(values)
    plan = first
    keep = check_values(selected, first.labels, samples, nan_policy, report)
    if keep is not None:
        plan = first.without(~keep)
    # means as of the stored columns: the same columns, hence the same means, as the
    # selected matrix has
    read = plan.read
    plan = plan.grouped(duplicates, lambda cols: column_means(values, read[cols]))
    report.notes.extend(plan.collapse_notes)
    check_enough_genes(plan.genes)
    copies = len(plan.read) != len(first.read) or plan.combine is not None
    if by_blocks and copies and first.reads_all:
        return _by_blocks(values, plan, samples, report, source_dtype)
    # select once: the checked selection when no column left it since, else from the store
    values = plan.collapse(selected) if len(plan.read) == len(first.read) else plan.apply(values)
    # ExpressionMatrix puts sparse values in canonical form (on a copy when needed)
    return ExpressionMatrix(values, plan.genes, samples, report, source_dtype=source_dtype)


def _by_blocks(values, plan, samples: pd.Index, report: InputReport,
               source_dtype: np.dtype) -> ExpressionMatrix:
    """An expression matrix over the stored ``values`` that applies ``plan`` block by block.

    Each block of samples is selected (and its duplicated genes combined) as a method reads
    it, with the same values the whole-matrix copy would have: no copy of the matrix.
    """
    n_samples, n_stored = values.shape
    per_row = values.nnz / max(1, n_samples) if sp.issparse(values) else n_stored
    rows = LazyRows(values, "memory", BlockPlan(plan), samples,
                    chunk_size=int(max(1, min(n_samples, BLOCK_VALUES // max(1.0, per_row)))))
    rows.source_dtype = np.dtype(source_dtype)
    return ExpressionMatrix(rows, plan.genes, samples, report, source_dtype=source_dtype)


def _frame_dtype(df: pd.DataFrame) -> np.dtype:
    """The one NumPy dtype of a frame's columns (float32 stays float32), float64 otherwise."""
    dtypes = [d for d in df.dtypes if isinstance(d, np.dtype)]
    if len(dtypes) != df.shape[1]:
        return np.dtype(np.float64)  # nullable extension dtypes become float64
    return np.result_type(*dtypes) if dtypes else np.dtype(np.float64)


def _numeric_frame(df: pd.DataFrame, gene_axis: str) -> np.ndarray:
    # dtypes by position: df[label] of a repeated label is a DataFrame, not a column
    check_frame_dtypes(df, gene_axis)
    return df.to_numpy(dtype=np.float64, na_value=np.nan)


def from_dataframe(
    df: pd.DataFrame, *, orient: str = "auto", gene_universe: set[str] | None = None,
    duplicates: str = "highest_mean", nan_policy: str = "error", map_ids: MapIds = "auto",
    by_blocks: bool = False,
) -> ExpressionMatrix:
    """Adapt a pandas DataFrame (genes as rows or as columns); ``by_blocks`` as in
    :func:`expression_by_blocks`."""
    if df.shape[0] == 0 or df.shape[1] == 0:
        raise InputDataError(f"expression table is empty (shape {df.shape})")
    map_ids = check_map_ids(map_ids)
    orientation = _decide_orientation(df.index, df.columns, gene_universe, orient, map_ids)
    report = InputReport(source="DataFrame", orientation=orientation)
    sample_axis = df.columns if orientation == "genes_rows" else df.index
    _check_labels_unique(pd.Index(sample_axis).map(str), "sample")
    if orientation == "genes_rows":
        report.n_genes_input, report.n_samples_input = df.shape
        values, genes, samples = _numeric_frame(df, "rows").T, list(df.index), df.columns
    else:
        report.n_samples_input, report.n_genes_input = df.shape
        values, genes, samples = _numeric_frame(df, "columns"), list(df.columns), df.index
    return _finish(values, genes, pd.Index(samples), report, duplicates, nan_policy,
                   map_ids, gene_universe, source_dtype=_frame_dtype(df), by_blocks=by_blocks)


def from_array(
    array: np.ndarray | sp.spmatrix,
    genes: Sequence[object],
    samples: Sequence[object] | None = None,
    *, orient: str = "auto", duplicates: str = "highest_mean", nan_policy: str = "error",
    gene_universe: set[str] | None = None, map_ids: MapIds = "auto", by_blocks: bool = False,
) -> ExpressionMatrix:
    """Adapt a 2-D NumPy array or scipy sparse matrix with gene names.

    With ``orient="auto"`` the gene axis is the one whose length equals ``len(genes)``; a
    square matrix needs an explicit ``orient``. ``by_blocks`` as in
    :func:`expression_by_blocks`.
    """
    if not sp.issparse(array):
        array = np.asarray(array)
    check_real_dtype(array.dtype, "the expression array")
    if array.ndim != 2:
        raise InputDataError(f"expression array must be 2-D, got {array.ndim}-D")
    genes = list(genes)
    n0, n1 = array.shape
    if orient not in ORIENTATIONS:
        raise InputDataError(f"orient must be one of {ORIENTATIONS}, got {orient!r}")
    if orient == "auto":
        if n0 == len(genes) and n1 == len(genes):
            raise InputDataError(
                "the array is square, so the gene axis is ambiguous: pass orient='genes_rows' "
                "or orient='genes_columns'"
            )
        if n0 == len(genes):
            orient = "genes_rows"
        elif n1 == len(genes):
            orient = "genes_columns"
        else:
            raise InputDataError(
                f"{len(genes)} gene names but the array has shape {array.shape}"
            )
    if orient == "genes_rows":
        values = array.T
    else:
        values = array
    if values.shape[1] != len(genes):
        raise InputDataError(
            f"{len(genes)} gene names do not fit a {array.shape} array with orient={orient!r}"
        )
    n_samples = values.shape[0]
    if samples is None:
        samples = [f"sample_{i}" for i in range(n_samples)]
    elif len(samples) != n_samples:
        raise InputDataError(f"{len(samples)} sample names for {n_samples} samples")
    report = InputReport(
        source="ndarray" if not sp.issparse(array) else "sparse matrix", orientation=orient,
        n_genes_input=len(genes), n_samples_input=n_samples,
    )
    if sp.issparse(values):
        values = values.tocsr()
    return _finish(values, genes, pd.Index(samples), report, duplicates, nan_policy,
                   check_map_ids(map_ids), gene_universe, by_blocks=by_blocks)


def from_anndata(
    adata, *, layer: str | None = None, use_raw: bool | None = None,
    gene_universe: set[str] | None = None, duplicates: str = "highest_mean",
    nan_policy: str = "error", map_ids: MapIds = "auto", by_blocks: bool = False,
) -> ExpressionMatrix:
    """Adapt an AnnData object (observations × variables).

    ``use_raw=None`` follows scanpy: use ``adata.raw`` when it exists and no ``layer`` is
    given. A backed (h5ad, CSR or dense) or Dask matrix is not loaded: the result reads it
    by blocks of cells (:mod:`rrscore.expression._lazy`); a backed CSC matrix is loaded.
    """
    X, var_names, where = select_matrix(adata, layer, use_raw)
    if X is None:
        raise InputDataError(f"{where} is empty (None)")
    if lazy_kind(X) is not None and getattr(X, "format", None) != "csc":
        return lazy_expression(adata, layer=layer, use_raw=use_raw, gene_universe=gene_universe,
                               duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids)
    X = load_matrix(X)  # a backed CSC matrix: read whole (blocks of cells would re-read it)
    map_ids = check_map_ids(map_ids)
    if gene_universe:
        upper = {g.upper() for g in gene_universe}
        # the observation names (a million cells, perhaps) are looked at only when no
        # variable name matches: cleaning them costs ~0.7 s per 100,000 cells
        in_var = _match_count(var_names, upper, map_ids)
        in_obs = _match_count(adata.obs_names, upper, map_ids) if in_var == 0 else 0
        if in_obs > 0:
            raise InputDataError(
                f"no variable name matches a gene-set gene but {in_obs} observation names do: "
                "the AnnData looks transposed (genes as observations); use adata.T"
            )
    report = InputReport(
        source=f"AnnData ({where})", orientation="genes_columns",
        n_genes_input=X.shape[1], n_samples_input=X.shape[0],
    )
    if not sp.issparse(X):
        X = np.asarray(X)
    check_real_dtype(X.dtype, where)
    return _finish(X, list(var_names), adata.obs_names, report, duplicates, nan_policy,
                   map_ids, gene_universe, by_blocks=by_blocks)


def as_expression(
    data, *, genes: Sequence[object] | None = None, samples: Sequence[object] | None = None,
    orient: str = "auto", layer: str | None = None, use_raw: bool | None = None,
    gene_universe: set[str] | None = None, duplicates: str = "highest_mean",
    nan_policy: str = "error", map_ids: MapIds = "auto",
) -> ExpressionMatrix:
    """Turn any supported expression input into an :class:`ExpressionMatrix`.

    Parameters
    ----------
    data
        pandas DataFrame (genes × samples or samples × genes), 2-D NumPy array or scipy
        sparse matrix (with ``genes=``), AnnData, or an :class:`ExpressionMatrix`.
    genes, samples
        Labels for array input.
    orient
        ``"auto"`` decides which axis holds genes from which one matches ``gene_universe``
        (and errors when both do comparably); ``"genes_rows"`` / ``"genes_columns"`` force it.
    layer, use_raw
        AnnData source, scanpy conventions.
    gene_universe
        Genes of the gene sets to be scored, used by ``orient="auto"``.
    duplicates
        Policy for duplicated gene identifiers (after cleaning): ``highest_mean`` (default),
        ``mean``, ``sum``, ``max``, ``first`` or ``error``.
    nan_policy
        ``"error"`` (default) or ``"drop_genes"`` (drop genes with any missing value).
    map_ids
        ``"auto"`` (default): data indexed by Ensembl or Entrez gene IDs is mapped to
        approved symbols when ``gene_universe`` uses symbols (counts in the report's notes
        and ``id_mapping``; unmapped IDs keep their label; IDs mapping to one symbol are
        collapsed by ``duplicates``). ``"symbol"``: map even without ``gene_universe``.
        ``"off"``: use the identifiers as given. See :mod:`rrscore.ids`.

    Returns
    -------
    ExpressionMatrix
    """
    map_ids = check_map_ids(map_ids)
    if isinstance(data, ExpressionMatrix):
        return data
    if isinstance(data, pd.DataFrame):
        if genes is not None or samples is not None:
            raise InputDataError("genes=/samples= are for array input; a DataFrame has labels")
        return from_dataframe(
            data, orient=orient, gene_universe=gene_universe, duplicates=duplicates,
            nan_policy=nan_policy, map_ids=map_ids,
        )
    if is_anndata(data):
        return from_anndata(
            data, layer=layer, use_raw=use_raw, gene_universe=gene_universe,
            duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids,
        )
    if isinstance(data, pd.Series):
        raise InputDataError(
            "a single Series is one sample: wrap it as a DataFrame (series.to_frame())"
        )
    if isinstance(data, np.ndarray) or sp.issparse(data):
        if genes is None:
            raise InputDataError(
                "array input needs genes= (the gene identifier of each row/column)"
            )
        return from_array(
            data, genes, samples, orient=orient, duplicates=duplicates, nan_policy=nan_policy,
            gene_universe=gene_universe, map_ids=map_ids,
        )
    raise InputDataError(
        f"unsupported expression input of type {type(data).__name__}: give a DataFrame, "
        "a NumPy/scipy matrix with genes=, or an AnnData"
    )



def expression_by_blocks(
    data, *, genes: Sequence[object] | None = None, samples: Sequence[object] | None = None,
    orient: str = "auto", layer: str | None = None, use_raw: bool | None = None,
    gene_universe: set[str] | None = None, duplicates: str = "highest_mean",
    nan_policy: str = "error", map_ids: MapIds = "auto",
) -> ExpressionMatrix | None:
    """A table, array or in-memory AnnData as :func:`as_expression` adapts it, with no copy
    of the matrix.

    When the gene plan drops or combines columns (``nan_policy="drop_genes"`` with genes
    that have missing values, duplicated gene identifiers), :func:`as_expression` copies
    the selected columns of the whole matrix; here the plan is applied to each block of
    samples as it is read (the values' :class:`~rrscore.expression._lazy.LazyRows` of kind
    ``"memory"``), so memory stays one block above the input. The blocks hold exactly the
    values of the copy. Such a matrix is read like backed data: by methods that read blocks
    of samples (``MethodSpec.read_mode_for`` other than ``"memory"``). Without a plan
    that copies, the result is :func:`as_expression`'s.

    Parameters
    ----------
    data
        A pandas DataFrame, a 2-D NumPy array or a scipy sparse matrix (with ``genes=``), or
        an AnnData whose matrix is in memory.
    genes, samples, orient, layer, use_raw, gene_universe, duplicates, nan_policy, map_ids
        As in :func:`as_expression`.

    Returns
    -------
    ExpressionMatrix or None
        None for other inputs (backed or Dask AnnData, an ExpressionMatrix): adapt them with
        :func:`as_expression` or :func:`~rrscore.expression._lazy.lazy_expression`.
    """
    map_ids = check_map_ids(map_ids)
    if is_anndata(data):
        X = select_matrix(data, layer, use_raw)[0]
        if X is None or lazy_kind(X) is not None:
            return None
        return from_anndata(data, layer=layer, use_raw=use_raw, gene_universe=gene_universe,
                            duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids,
                            by_blocks=True)
    if isinstance(data, pd.DataFrame):
        if genes is not None or samples is not None:
            raise InputDataError("genes=/samples= are for array input; a DataFrame has labels")
        return from_dataframe(data, orient=orient, gene_universe=gene_universe,
                              duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids,
                              by_blocks=True)
    if (isinstance(data, np.ndarray) or sp.issparse(data)) and genes is not None:
        return from_array(data, genes, samples, orient=orient, duplicates=duplicates,
                          nan_policy=nan_policy, gene_universe=gene_universe, map_ids=map_ids,
                          by_blocks=True)
    return None
