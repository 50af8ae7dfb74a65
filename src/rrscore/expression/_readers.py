"""Expression file readers used by the command line: TSV/CSV (gzipped too), GCT, parquet, h5ad."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pandas as pd

from rrscore.errors import InputDataError

TABLE_SUFFIXES = (".tsv", ".txt", ".csv", ".tab")


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def read_gct(path: str | os.PathLike) -> pd.DataFrame:
    """Read a GCT 1.2 or 1.3 file into a genes × samples DataFrame (row metadata dropped)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        version = fh.readline().strip()
        dims = fh.readline().strip().split("\t")
    if version not in ("#1.2", "#1.3"):
        raise InputDataError(f"{path}: not a GCT 1.2/1.3 file (first line {version!r})")
    if version == "#1.2":
        table = pd.read_csv(path, sep="\t", skiprows=2, index_col=0)
        if table.columns[0].lower() == "description":
            table = table.drop(columns=table.columns[0])
        return table
    try:
        n_rows, n_cols, n_row_meta, n_col_meta = (int(x) for x in dims[:4])
    except ValueError as exc:
        raise InputDataError(f"{path}: malformed GCT 1.3 dimension line {dims}") from exc
    table = pd.read_csv(path, sep="\t", skiprows=2, index_col=0)
    table = table.iloc[n_col_meta:, n_row_meta:]
    if table.shape != (n_rows, n_cols):
        raise InputDataError(
            f"{path}: GCT header says {n_rows} × {n_cols}, "
            f"found {table.shape[0]} × {table.shape[1]}"
        )
    # the column-metadata rows made every column text: convert the values back to numbers
    return table.apply(pd.to_numeric, errors="coerce")


def read_expression(path: str | os.PathLike):
    """Read an expression file by its extension.

    ``.tsv``/``.txt``/``.tab`` (tab) and ``.csv`` (comma), optionally gzipped: first column is
    the gene identifier (genes as rows; ``orient`` can override later). ``.gct``: GCT 1.2/1.3.
    ``.parquet``: a table whose index or first column holds gene identifiers. ``.h5ad``: AnnData.

    Returns
    -------
    pandas.DataFrame or anndata.AnnData
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"input file not found: {path}")
    suffix = _base_suffix(path)
    if suffix == ".h5ad":
        import anndata

        return anndata.read_h5ad(path)
    if suffix == ".gct":
        return read_gct(path)
    if suffix == ".parquet":
        table = pd.read_parquet(path)
        if isinstance(table.index, pd.RangeIndex) and not pd.api.types.is_numeric_dtype(
            table.iloc[:, 0]
        ):
            table = table.set_index(table.columns[0])
        return table
    if suffix in TABLE_SUFFIXES:
        sep = "," if suffix == ".csv" else "\t"
        table = pd.read_csv(path, sep=sep, index_col=0)
        if table.shape[1] == 0:
            raise InputDataError(
                f"{path}: no columns after the first; is the separator {sep!r} right?"
            )
        return table
    raise InputDataError(
        f"{path}: unknown file type {suffix!r}; use .tsv/.csv(.gz), .gct, .parquet or .h5ad"
    )


def write_table(table: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a result table by extension: ``.tsv`` (default), ``.csv``, ``.parquet``."""
    path = Path(path)
    suffix = _base_suffix(path)
    if suffix == ".parquet":
        table.to_parquet(path)
    elif suffix == ".csv":
        table.to_csv(path)
    else:
        table.to_csv(path, sep="\t")
