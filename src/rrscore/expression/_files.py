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
* a plain file whose last line stops short of the header's fields was cut off
  (:func:`check_last_line`).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import lzma
import os
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


def check_last_line(path: Path, compression: str | None, sep: str, n_fields: int) -> None:
    """Raise when a plain file's last line stops short of ``n_fields`` (a cut-off file).

    Only plain files are checked here (a cut-off compressed stream fails to decompress).

    Parameters
    ----------
    path, compression
        The file and its compression.
    sep
        The field separator.
    n_fields
        Fields of a complete data line.

    Raises
    ------
    InputDataError
        When the file does not end with a line end and its last line has fewer fields.
    """
    if compression is not None:
        return
    size = os.path.getsize(path)
    with open(path, "rb") as fh:
        fh.seek(max(0, size - _TAIL))
        tail = fh.read()
    if tail.endswith((b"\n", b"\r")):
        return
    last = tail.rsplit(b"\n", 1)[-1]
    fields = last.count(sep.encode()) + 1
    if fields < n_fields:
        raise InputDataError(
            f"{path}: the file is cut off: its last line has {fields} of {n_fields} fields and "
            "no line end (an interrupted download or copy?)"
        )
