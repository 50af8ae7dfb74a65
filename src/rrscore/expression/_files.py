"""Low-level reading of expression files: compression from the first bytes, header lines, text.

What the readers (:mod:`rrscore.expression._readers`) need to turn every faulty file into one
clear :class:`~rrscore.errors.InputDataError` instead of a traceback:

* the compression is read from the file's first bytes (gzip, bzip2, xz, zip), not trusted
  from its name: a ``.gz`` file that is not gzip is an error that says so, a gzipped file
  without ``.gz`` is read;
* header lines are read and split here (:func:`header_fields`), so that repeated column names
  reach the input layer as they are written (``pandas.read_csv`` renames a repeated ``TBCE``
  to ``TBCE.1``, which would then be ranked as another gene);
* text is UTF-8; a UTF-8 byte-order mark is removed; a label that is not UTF-8 is an error
  naming it (:func:`utf8_label`);
* a file whose last line stops short of the header's fields was cut off
  (:func:`check_last_line`), compressed or not: a complete gzip stream of a table whose
  last line was cut (``head -c N expr.tsv | gzip``) decompresses without error, so the
  decompressed tail is read, streamed in bounded memory.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import lzma
import os
import re
import zipfile
from pathlib import Path

from rrscore.errors import InputDataError

#: First bytes of each compression format, and the file suffix that names it.
_MAGIC = {
    "gzip": (b"\x1f\x8b", ".gz"),
    "bz2": (b"BZh", ".bz2"),
    "xz": (b"\xfd7zXZ\x00", ".xz"),
    "zip": (b"PK\x03\x04", ".zip"),
}
_BOM = "\ufeff"
_TAIL = 1 << 16
_CHUNK = 1 << 20


def compression_of(path: Path) -> str | None:
    """The compression of ``path`` read from its first bytes (None for plain files).

    Parameters
    ----------
    path
        An existing file.

    Returns
    -------
    str or None
        ``"gzip"``, ``"bz2"``, ``"xz"``, ``"zip"`` (pandas' names) or None.

    Raises
    ------
    InputDataError
        For an empty file, and for a file whose suffix names a compression its bytes do not
        have (``expr.tsv.gz`` that is plain text).
    """
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise InputDataError(f"{path}: the file is empty")
    found = next((name for name, (magic, _) in _MAGIC.items() if head.startswith(magic)), None)
    suffix = path.suffix.lower()
    named = next((name for name, (_, s) in _MAGIC.items() if s == suffix), None)
    if named is not None and found != named:
        raise InputDataError(
            f"{path}: the name says {named} ({suffix}) but the file is not {named}-compressed "
            f"(it starts with {head[:4]!r}); rename it without {suffix} or compress it"
        )
    return found


def _open_binary(path: Path, compression: str | None):
    if compression == "gzip":
        return gzip.open(path, "rb")
    if compression == "bz2":
        return bz2.open(path, "rb")
    if compression == "xz":
        return lzma.open(path, "rb")
    if compression == "zip":
        archive = zipfile.ZipFile(path)
        names = [n for n in archive.namelist() if not n.endswith("/")]
        if len(names) != 1:
            raise InputDataError(f"{path}: a zip archive must hold one file, it holds "
                                 f"{len(names)}")
        return archive.open(names[0])
    return open(path, "rb")


def head_lines(path: Path, compression: str | None, n: int) -> list[bytes]:
    """The first ``n`` lines of a (possibly compressed) file, as bytes with line ends removed.

    Parameters
    ----------
    path
        The file.
    compression
        From :func:`compression_of`.
    n
        Lines wanted (fewer come back when the file is shorter).

    Returns
    -------
    list of bytes

    Raises
    ------
    InputDataError
        When the compressed stream is corrupt or cut off.
    """
    lines = []
    try:
        with _open_binary(path, compression) as fh:
            for _ in range(n):
                line = fh.readline()
                if not line:
                    break
                lines.append(line.rstrip(b"\r\n"))
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise InputDataError(f"{path}: cannot read the {compression} stream ({exc})") from None
    return lines


def decode_text(raw: bytes, path: Path, line: int, what: str) -> str:
    """UTF-8 text of a header line (its byte-order mark removed), or an error naming the bytes.

    Parameters
    ----------
    raw
        The line's bytes.
    path, line, what
        For the message: the file, the 1-based line number and what the line holds.

    Returns
    -------
    str

    Raises
    ------
    InputDataError
        When the line is not UTF-8 (a latin-1 file, typically).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[max(0, exc.start - 10):exc.end + 10]
        raise InputDataError(
            f"{path}: line {line} ({what}) is not UTF-8 text: byte {raw[exc.start]:#04x} in "
            f"{bad.decode('latin-1')!r} (the file looks latin-1/Windows-1252 encoded); "
            "re-save it as UTF-8, e.g. iconv -f latin1 -t utf-8"
        ) from None
    return text.lstrip(_BOM)


def header_fields(raw: bytes, sep: str, path: Path, line: int) -> list[str]:
    """The fields of a header line, split as pandas splits it (quotes honoured), unrenamed.

    Parameters
    ----------
    raw
        The header line's bytes.
    sep
        The field separator.
    path, line
        For messages.

    Returns
    -------
    list of str
    """
    text = decode_text(raw, path, line, "the header")
    return next(csv.reader([text], delimiter=sep, quotechar='"'), [])


def utf8_label(label: str, path: Path, what: str) -> str:
    """A label read as latin-1 (byte for byte) back as the UTF-8 text it was, or an error.

    The readers fall back to latin-1 when a file is not all UTF-8 (to read latin-1
    descriptions, which are dropped); a label must still be UTF-8 to be trusted.

    Parameters
    ----------
    label
        The label as decoded by latin-1.
    path, what
        For the message.

    Returns
    -------
    str

    Raises
    ------
    InputDataError
        When the label is not UTF-8.
    """
    raw = label.encode("latin-1")
    try:
        return raw.decode("utf-8").lstrip(_BOM)
    except UnicodeDecodeError as exc:
        raise InputDataError(
            f"{path}: the {what} {label!r} is not UTF-8 text (byte {raw[exc.start]:#04x}; the "
            "file looks latin-1/Windows-1252 encoded); re-save it as UTF-8, e.g. "
            "iconv -f latin1 -t utf-8"
        ) from None


def _tail_bytes(path: Path, compression: str | None) -> bytes:
    """The last :data:`_TAIL` bytes of the (decompressed) file, read in bounded memory."""
    if compression is None:
        size = os.path.getsize(path)
        with open(path, "rb") as fh:
            fh.seek(max(0, size - _TAIL))
            return fh.read()
    tail = b""
    try:
        with _open_binary(path, compression) as fh:
            # a compressed stream cannot seek from its end: decompress it all, keeping the tail
            while chunk := fh.read(_CHUNK):
                tail = (tail + chunk)[-_TAIL:]
    except (OSError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise InputDataError(f"{path}: cannot read the {compression} stream ({exc})") from None
    return tail


def check_last_line(path: Path, compression: str | None, sep: str, n_fields: int) -> None:
    """Raise when the file's last line stops short of ``n_fields`` (a cut-off file).

    Compressed files are checked on their decompressed text: a table cut mid-line and then
    compressed is a complete, valid stream, which only its last line shows to be cut off.

    Parameters
    ----------
    path, compression
        The file and its compression (from :func:`compression_of`).
    sep
        The field separator.
    n_fields
        Fields of a complete data line.

    Raises
    ------
    InputDataError
        When the file does not end with a line end and its last line has fewer fields, or
        when its compressed stream cannot be read.
    """
    tail = _tail_bytes(path, compression)
    if not tail or tail.endswith((b"\n", b"\r")):
        return
    last = tail.rsplit(b"\n", 1)[-1]
    fields = last.count(sep.encode()) + 1
    if fields < n_fields:
        raise InputDataError(
            f"{path}: the file is cut off: its last line has {fields} of {n_fields} fields and "
            "no line end (an interrupted download or copy?)"
        )


#: Words that name a row-label column (``gene``, ``Gene_Symbol``, ``ID_REF``, ``sample_id``,
#: R's ``X``, pandas' ``Unnamed: 0``), matched as whole words of the first header field.
_LABEL_WORDS = frozenset({
    "gene", "genes", "symbol", "symbols", "hugo", "id", "ids", "identifier", "name", "names",
    "ref", "probe", "probes", "probeset", "feature", "features", "transcript", "ensembl",
    "entrez", "accession", "description", "sample", "samples", "cell", "cells", "barcode",
    "barcodes", "row", "rownames", "index", "unnamed", "x",
})


def _words(text: str) -> list[str]:
    """Lower-case words of a label: split at non-letters and camelCase (``GeneSymbol``); a
    chunk holding digits stays whole (``ID1`` is a gene, not the word ``id``)."""
    words = []
    for chunk in re.findall(r"[A-Za-z0-9]+", text):
        if any(c.isdigit() for c in chunk):
            words.append(chunk.lower())
        else:
            words += [w.lower() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", chunk)]
    return words


def _shape(label: str) -> str:
    return re.sub(r"\d+", "0", label.strip())


def names_label_column(header: list[str]) -> bool:
    """Whether the first header field names the row-label column rather than a data column.

    True for an empty field, and for a field such as ``gene``, ``ID_REF`` or ``sample_id``
    whose shape (digits aside) differs from every other field's (``sample_1`` among
    ``sample_2``, ``sample_3`` names data).

    Parameters
    ----------
    header
        The header's fields.

    Returns
    -------
    bool
    """
    first = header[0].strip() if header else ""
    if not first:
        return True
    if not set(_words(first)) & _LABEL_WORDS:
        return False
    return _shape(first) not in {_shape(x) for x in header[1:]}


def _ambiguous(path: Path, line: int, seen: str, one: str, other: str) -> InputDataError:
    return InputDataError(
        f"{path}: {seen} (header on line {line}): either {one}, or {other}; the file does not "
        "say which, and the wrong reading would shift every column label by one"
    )


def column_names(table, header: list[str], first_row: bytes, sep: str, path: Path,
                 line: int, *, label_named: bool = False):
    """Name the value columns of a table read without its header, from the header's fields.

    The layouts, decided from the field counts and the empty last fields:

    * clean: the header has one field per column, the first naming the label column;
    * R's ``write.table``: the header is one field short (no name for the label column);
    * a separator at the end of every line (header too): that empty last field is dropped
      from both, as GMT reading does, and the file is read as the clean or R layout;
    * a separator at the end of the header only: its empty last field is dropped;
    * a separator at the end of the data rows only (``print(x, end="\\t")`` loops): the
      rows have one field more than the header and that field is empty on every row. The
      R layout with an all-empty last column looks the same; it is taken for a trailing
      separator only when the first header field names the label column
      (:func:`names_label_column`), and is otherwise an error — labels shifted by one
      column would give silently wrong scores. A separator at the end of the header of an R
      layout is told from an unnamed last column in the same way.

    Parameters
    ----------
    table
        The table as read (``pandas.read_csv(..., header=None, index_col=0)``).
    header
        The header's fields (:func:`header_fields`).
    first_row
        The first data line's bytes (does it end with the separator?).
    sep, path, line
        The separator; the file and the header's 1-based line, for messages.
    label_named
        The format's header always names the label column (GCT: ``Name``/``id``), so the
        first header field is never a data column's name.

    Returns
    -------
    pandas.DataFrame
        ``table`` with its columns named (and its empty last column dropped if it had one).

    Raises
    ------
    InputDataError
        When the header fits the rows in no layout, or in two.
    """
    n = table.shape[1]
    shown = sep.encode("unicode_escape").decode()
    empty_last = (n >= 2 and first_row.endswith(sep.encode())
                  and bool(table.iloc[:, -1].isna().all()))
    head_empty_last = bool(header) and not header[-1].strip()
    if empty_last and head_empty_last and len(header) in (n, n + 1):
        table, header, n = table.iloc[:, :-1], header[:-1], n - 1
    elif head_empty_last and len(header) == n + 2:
        header = header[:-1]
    elif empty_last and len(header) == n - 1:  # R layout and a trailing separator on the rows
        table, n = table.iloc[:, :-1], n - 1
    elif empty_last and len(header) == n:
        if not (label_named or names_label_column(header)):
            raise _ambiguous(
                path, line, "the data rows have one field more than the header and that last "
                "field is empty on every row",
                f"every row ends with a stray separator (then remove it, e.g. sed 's/{shown}$//')",
                "the header is one field short, as R's write.table writes it, and its last "
                f"column {header[-1]!r} has no values (then put a name for the label column, "
                "such as gene, at the start of the header)")
        table, n = table.iloc[:, :-1], n - 1
    elif (head_empty_last and len(header) == n + 1
          and not (label_named or names_label_column(header))):
        raise _ambiguous(
            path, line, "the header ends with an empty field",
            "the header is one field short, as R's write.table writes it, and ends with a stray "
            f"separator (then remove it, e.g. sed '{line}s/{shown}$//')",
            f"its first field {header[0]!r} names the label column and the last data column "
            "has no name (then name it)")
    if len(header) == n + 1:
        table.index.name = header[0] or None
        table.columns = header[1:]
    elif len(header) == n:
        table.index.name = None  # the R layout names no label column (pandas says 0)
        table.columns = header
    else:
        raise InputDataError(
            f"{path}: the header (line {line}) has {len(header)} fields but the data rows "
            f"have {n + 1}; is the separator {sep!r} right?"
        )
    return table
