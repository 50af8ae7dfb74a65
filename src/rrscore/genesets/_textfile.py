"""Text of a gene-set file as lines, whatever its encoding, compression or line ends.

GMT files come from everywhere: MSigDB (UTF-8), Excel on Windows (UTF-8 with a byte-order
mark, Windows-1252, or UTF-16 "Unicode text"), ``cat a.gmt b.gmt`` (a byte-order mark in the
middle), old Macs (CR line ends). GSEABase's ``getGmt`` (R ``readLines``) and gseapy's
``read_gmt`` (Python ``open``) keep a byte-order mark in the first set name, so that ``X_UP``
no longer pairs with ``X_DN``; here the text is decoded the way a person reading the file
would see it:

* gzip is recognised from the file's first bytes (not its name);
* a UTF-16 byte-order mark selects UTF-16; otherwise UTF-8, with its byte-order mark removed;
* a line that is not valid UTF-8 is decoded as Windows-1252 (latin-1 plus the printable
  characters Windows puts in 0x80–0x9F; latin-1 where a byte is undefined there), line by
  line, so that one latin-1 description does not change how the other lines read;
* line ends are LF, CRLF or CR; a byte-order mark at the start of any line is removed.

A NUL byte outside UTF-16 means a binary file (or UTF-16 without its mark): that is an error.
"""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path

from rrscore.errors import GeneSetError

_GZIP_MAGIC = b"\x1f\x8b"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_BOM = "\ufeff"
_LINE_END = re.compile(r"\r\n|\r|\n")
_LINE_END_BYTES = re.compile(rb"\r\n|\r|\n")


def _decode_line(raw: bytes) -> str:
    """One line's bytes as text: UTF-8, else Windows-1252, else latin-1."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:  # a byte cp1252 leaves undefined: latin-1 maps every byte
            return raw.decode("latin-1")


def read_text_lines(path: Path) -> list[str]:
    """The lines of a text file (optionally gzipped), decoded as described in the module.

    Parameters
    ----------
    path
        The file.

    Returns
    -------
    list of str
        The lines, without line ends or leading byte-order marks.

    Raises
    ------
    GeneSetError
        When the file is a corrupt gzip stream, binary, or UTF-16 that does not decode.
    """
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise GeneSetError(f"{path}: not a readable gzip file ({exc})") from None
    if data.startswith(_UTF16_BOMS):
        try:
            text = data.decode("utf-16")  # the mark gives the byte order and is removed
        except UnicodeDecodeError as exc:
            raise GeneSetError(f"{path}: starts as UTF-16 but does not decode ({exc})") from None
        lines = _LINE_END.split(text)
    elif b"\x00" in data:
        raise GeneSetError(
            f"{path}: contains NUL bytes, so it is not a text file (or it is UTF-16 without a "
            "byte-order mark); save the gene sets as UTF-8 text"
        )
    else:
        try:
            lines = _LINE_END.split(data.decode("utf-8-sig"))
        except UnicodeDecodeError:  # not UTF-8 throughout: decide line by line
            lines = [_decode_line(raw) for raw in _LINE_END_BYTES.split(data)]
    return [line.lstrip(_BOM) for line in lines]
