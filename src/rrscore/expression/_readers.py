"""Expression file readers used by the command line: TSV/CSV (compressed too), GCT, parquet, h5ad.

Every reader keeps what the file says and fails in one line:

* column names are taken from the header line as written (:mod:`rrscore.expression._files`):
  a repeated gene or sample name stays repeated, so the input layer applies its duplicates
  policy (genes) or refuses it (samples) exactly as for a DataFrame or an AnnData — pandas
  would rename the second ``TBCE`` to ``TBCE.1`` and rank it as another gene;
* an empty file, a ``.gz`` that is not gzip, a corrupt or cut-off compressed stream, a
  corrupt h5ad or parquet file, a GCT with fewer rows or columns than its header declares,
  a file (plain or compressed) whose last line is cut off, and a label that is not UTF-8
  text are each an :class:`~rrscore.errors.InputDataError` that names the file and says
  what is wrong;
* labels are kept as written: a sample ``001`` stays ``001`` (not 1), a gene or sample
  ``NA``, ``None`` or ``NULL`` stays a label (values still read ``NA`` and empty cells as
  missing);
* a separator at the end of every line (or of the header, or of the data rows only) is
  dropped as GMT reading drops it, and R's ``write.table`` layout (a header one field
  short) is recognised only where the field counts say so; a layout the file cannot decide
  is an error, never labels shifted by one column
  (:func:`~rrscore.expression._files.column_names`);
* a value that is not a number is named with its row and column (:func:`check_numbers`),
  with a hint when it is a decimal comma;
* a UTF-8 byte-order mark is removed; a latin-1 GCT *description* column (dropped anyway)
  is read, a latin-1 label is an error that says how to re-encode the file;
* anndata's own file-format warnings on reading an h5ad are not passed on (they buried
  rrscore's warnings).
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import pandas as pd

from rrscore.errors import InputDataError
from rrscore.expression._files import (
    check_last_line,
    column_names,
    compression_of,
    head_lines,
    header_fields,
    utf8_label,
)

TABLE_SUFFIXES = (".tsv", ".txt", ".csv", ".tab")
_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_PARQUET_MAGIC = b"PAR1"
#: A number written with a decimal comma (``1,5``, ``-0,25``, ``1.234,5``).
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?(\d{1,3}(\.\d{3})*|\d*),\d+([eE][-+]?\d+)?\s*$")


def _base_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".bz2", ".xz", ".zip"):
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def _pandas_read(path: Path, sep: str, skip: int, compression: str | None,
                 encoding: str, **options) -> pd.DataFrame:
    try:
        return pd.read_csv(path, sep=sep, header=None, skiprows=skip, compression=compression,
                           encoding=encoding, **options)
    except pd.errors.EmptyDataError:
        raise InputDataError(f"{path}: no data rows after the header") from None
    except pd.errors.ParserError as exc:
        raise InputDataError(f"{path}: malformed table ({str(exc).strip()})") from None
    except (EOFError, OSError) as exc:  # cut-off or corrupt compressed stream
        raise InputDataError(f"{path}: cannot read the file ({exc})") from None


def _label_text(table: pd.DataFrame, path: Path, sep: str, skip: int,
                compression: str | None, encoding: str) -> pd.Index:
    """The row labels exactly as written (``001`` stays ``001``, ``NA`` stays ``NA``).

    The table was read with the label column converted by ``str`` (so ``001`` is not the
    integer 1), but pandas still reads ``NA``/``nan``/``None``/``NULL`` and empty labels as
    missing. Values must keep that NA parsing, so only when a label came back missing is
    the label column read again, alone and as text.
    """
    index = table.index
    if not index.hasnans:
        return index
    labels = _pandas_read(path, sep, skip, compression, encoding, usecols=[0], dtype=str,
                          na_filter=False).iloc[:, 0]
    if len(labels) != len(index):
        raise InputDataError(f"{path}: malformed table (the label column has {len(labels)} "
                             f"rows, the table {len(index)})")
    return pd.Index(labels.to_numpy(dtype=object), dtype=object)


def read_delimited(path: str | os.PathLike, sep: str, *, header_line: int = 0,
                   skip: int | None = None, label_named: bool = False) -> pd.DataFrame:
    """Read a delimited table whose first column holds row labels, keeping labels as written.

    Parameters
    ----------
    path
        The file (plain or gzip/bz2/xz/zip-compressed, recognised from its bytes).
    sep
        Field separator.
    header_line
        0-based line of the header (column names); the lines before it are skipped.
    skip
        Lines before the first data row (default ``header_line + 1``).
    label_named
        The header's first field always names the label column (GCT).

    Returns
    -------
    pandas.DataFrame
        Rows labelled by the first column and columns named by the header, both as text
        exactly as written (repeated names kept, ``001`` and ``NA`` kept). A trailing
        separator on every line, or on the data rows only, is dropped; a header one field
        shorter than the rows, as R's ``write.table`` writes it, names the data columns only
        (:func:`~rrscore.expression._files.column_names`). Values are not checked here
        (:func:`check_numbers`): a GCT's description column is text.

    Raises
    ------
    InputDataError
        For every unreadable file (see the module), a header that fits the rows in no
        layout, and one that fits in two (which file is meant cannot be told).
    """
    path = Path(path)
    skip = header_line + 1 if skip is None else skip
    compression = compression_of(path)
    lines = head_lines(path, compression, max(header_line, skip) + 1)
    if len(lines) <= header_line:
        raise InputDataError(f"{path}: the file ends before its header line {header_line + 1}")
    header = header_fields(lines[header_line], sep, path, header_line + 1)
    first_row = lines[skip] if len(lines) > skip else b""
    encoding = "utf-8"
    # labels as text: pandas would read the sample 001 as the integer 1
    options = {"index_col": 0, "converters": {0: str}}
    try:
        table = _pandas_read(path, sep, skip, compression, encoding, **options)
    except UnicodeDecodeError:
        # not all UTF-8: read byte for byte, then insist that the labels kept are UTF-8
        encoding = "latin-1"
        table = _pandas_read(path, sep, skip, compression, encoding, **options)
    if compression is None or (table.size and pd.isna(table.iat[-1, -1])):
        # a cut-off last line lacks its last field (pandas pads it with NaN): only then is a
        # compressed file decompressed a second time to read its end
        check_last_line(path, compression, sep, table.shape[1] + 1)
    index = _label_text(table, path, sep, skip, compression, encoding)
    if encoding == "latin-1":
        index = pd.Index([utf8_label(x, path, "row label") for x in index], dtype=object)
    table.index = index
    return column_names(table, header, first_row, sep, path, header_line + 1,
                        label_named=label_named)


def check_numbers(table: pd.DataFrame, path: Path, *, what: str = "") -> pd.DataFrame:
    """Raise unless every column of a table read from a file holds numbers; name the cell.

    pandas reads a column with one bad cell (a typo ``1.2e``, an Excel decimal comma
    ``1,5``) as text; the input layer could then only name the column. Here the first
    offending value is named with its row and column labels, a decimal comma is pointed
    out as such, and a column of text (a description) is named as one.

    Parameters
    ----------
    table
        The table as read (row labels in the index, value columns only).
    path
        The file, for messages.
    what
        What the table is, for messages (``" after the GCT description"``).

    Returns
    -------
    pandas.DataFrame
        ``table``, with text columns that are all numbers after all (``pandas.to_numeric``
        reads more spellings than the C parser) converted.

    Raises
    ------
    InputDataError
        Naming the first value that is not a number, its row and its column.
    """
    types = pd.api.types
    text = [i for i, dtype in enumerate(table.dtypes)
            if types.is_object_dtype(dtype) or types.is_string_dtype(dtype)]
    problems = []  # (position, first bad value, its row, whether the column has numbers)
    for i in text:
        column = table.iloc[:, i]
        try:
            numbers = pd.to_numeric(column, errors="coerce")
        except TypeError:  # objects that are not text (a parquet column of lists)
            continue  # left to the input layer's dtype rule
        bad = numbers.isna().to_numpy() & column.notna().to_numpy()
        if not bad.any():
            table.isetitem(i, numbers.astype(float))
            continue
        at = int(bad.argmax())
        problems.append((i, str(column.iloc[at]), table.index[at], bool(numbers.notna().any())))
    if not problems:
        return table
    commas = [p for p in problems if _DECIMAL_COMMA.match(p[1])]
    i, value, row, has_numbers = (commas or problems)[0]
    cell = f"{value!r} in row {str(row)!r}, column {str(table.columns[i])!r}"
    more = (f" ({len(problems)} columns hold such values, e.g. "
            f"{[str(table.columns[p[0]]) for p in problems[:5]]})" if len(problems) > 1 else "")
    if commas:
        raise InputDataError(
            f"{path}: {cell} is not a number: it looks like a decimal comma (a spreadsheet "
            f"saved in a European locale){more}; save the file with '.' as the decimal "
            "separator, e.g. sed 's/,/./g' on a tab-separated file"
        )
    if not has_numbers:
        raise InputDataError(
            f"{path}: column {str(table.columns[i])!r} holds text, not numbers (e.g. "
            f"{value!r} in row {str(row)!r}){more}{what}; an expression table has one column "
            "of labels (genes or samples) and numbers in every other: remove the text columns"
        )
    raise InputDataError(
        f"{path}: {cell} is not a number{more}; correct it, or leave the cell empty (or NA) "
        "for a missing value"
    )


def read_gct(path: str | os.PathLike) -> pd.DataFrame:
    """Read a GCT 1.2 or 1.3 file into a genes × samples DataFrame (row metadata dropped).

    Parameters
    ----------
    path
        The file (optionally compressed).

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    InputDataError
        For a file that is not GCT 1.2/1.3, a malformed dimension line, and a table whose
        size differs from the one the dimension line declares (a cut-off file).
    """
    path = Path(path)
    lines = head_lines(path, compression_of(path), 2)
    version = lines[0].decode("utf-8", "replace").lstrip("\ufeff").strip() if lines else ""
    if version not in ("#1.2", "#1.3"):
        raise InputDataError(f"{path}: not a GCT 1.2/1.3 file (first line {version!r})")
    dims = lines[1].decode("utf-8", "replace").strip().split("\t") if len(lines) > 1 else []
    try:
        if version == "#1.2":
            (n_rows, n_cols), n_row_meta, n_col_meta = (int(x) for x in dims[:2]), 1, 0
        else:
            n_rows, n_cols, n_row_meta, n_col_meta = (int(x) for x in dims[:4])
    except ValueError:
        raise InputDataError(f"{path}: malformed GCT {version[1:]} dimension line {dims}") \
            from None
    table = read_delimited(path, "\t", header_line=2, skip=3 + n_col_meta, label_named=True)
    if version == "#1.2":
        if table.shape[1] and str(table.columns[0]).lower() == "description":
            table = table.iloc[:, 1:]
        elif table.shape[1] == n_cols + 1:
            table = table.iloc[:, 1:]  # an unnamed description column
    else:
        table = table.iloc[:, n_row_meta:]
    if table.shape != (n_rows, n_cols):
        raise InputDataError(
            f"{path}: GCT header says {n_rows} × {n_cols}, "
            f"found {table.shape[0]} × {table.shape[1]}"
            + (" (the file is cut off?)" if table.shape[0] < n_rows else "")
        )
    return check_numbers(table, path, what=" besides the GCT's name and description columns")


def _read_h5ad(path: Path):
    import anndata

    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise InputDataError(f"{path}: the file is empty")
    if head != _HDF5_SIGNATURE:
        raise InputDataError(f"{path}: not an h5ad file (no HDF5 signature; it starts with "
                             f"{head[:4]!r})")
    try:
        with warnings.catch_warnings():
            # anndata's notes on old file formats and non-unique names are not the user's
            # business here; rrscore reports what matters (duplicated genes) itself
            warnings.simplefilter("ignore")
            return anndata.read_h5ad(path)
    except Exception as exc:  # h5py/anndata raise many types for a damaged file
        raise InputDataError(f"{path}: cannot read the h5ad file ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else 'corrupt'})") \
            from None


def _read_parquet(path: Path) -> pd.DataFrame:
    size = os.path.getsize(path)
    if size == 0:
        raise InputDataError(f"{path}: the file is empty")
    with open(path, "rb") as fh:
        head = fh.read(4)
        fh.seek(max(0, size - 4))
        tail = fh.read(4)
    if head != _PARQUET_MAGIC or tail != _PARQUET_MAGIC:
        raise InputDataError(f"{path}: not a parquet file, or a cut-off one (no PAR1 marker "
                             "at its start and end)")
    try:
        import pyarrow.parquet as pq

        # ParquetFile (not the dataset reader pandas uses) keeps repeated column names
        table = pq.ParquetFile(path).read().to_pandas()
    except ImportError as exc:
        raise InputDataError(f"reading parquet needs pyarrow: pip install 'rrscore[io]' "
                             f"({exc})") from None
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError, ... for damaged files
        raise InputDataError(f"{path}: cannot read the parquet file ({type(exc).__name__}: "
                             f"{str(exc).splitlines()[0] if str(exc) else 'corrupt'})") \
            from None
    if isinstance(table.index, pd.RangeIndex) and table.shape[1] and \
            not pd.api.types.is_numeric_dtype(table.dtypes.iloc[0]):
        index = pd.Index(table.iloc[:, 0], name=table.columns[0])
        table = table.iloc[:, 1:]
        table.index = index
    return check_numbers(table, path)


def read_expression(path: str | os.PathLike):
    """Read an expression file by its extension.

    ``.tsv``/``.txt``/``.tab`` (tab) and ``.csv`` (comma), optionally compressed: first column
    is the row label (genes as rows; ``orient`` can override later). ``.gct``: GCT 1.2/1.3.
    ``.parquet``: a table whose index or first column holds the row labels. ``.h5ad``:
    AnnData. Repeated column names are kept as written.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    pandas.DataFrame or anndata.AnnData

    Raises
    ------
    InputDataError
        For a missing, empty, corrupt, cut-off or mis-encoded file, in one line.
    """
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"input file not found: {path}")
    if path.is_dir():
        raise InputDataError(f"{path} is a folder, not an expression file")
    suffix = _base_suffix(path)
    if suffix == ".h5ad":
        return _read_h5ad(path)
    if suffix == ".gct":
        return read_gct(path)
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix in TABLE_SUFFIXES:
        sep = "," if suffix == ".csv" else "\t"
        table = read_delimited(path, sep)
        if table.shape[1] == 0:
            raise InputDataError(
                f"{path}: no columns after the first; is the separator {sep!r} right?"
            )
        return check_numbers(table, path)
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

