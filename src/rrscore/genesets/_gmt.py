"""Reading and writing GMT files (the Broad's gene-set format), signed sets included.

A GMT line is ``NAME<TAB>DESCRIPTION<TAB>GENE<TAB>GENE...``. How text is decoded (gzip,
byte-order marks, UTF-8/UTF-16/Windows-1252, line ends) is :mod:`._textfile`'s job.

Signed sets
-----------
rrscore writes a signed set ``X`` (an up and a down part) the way MSigDB writes its
directional signatures, as two lines ``X_UP`` and ``X_DN`` that other tools read as two sets,
and marks them so that :func:`read_gmt` restores the one signed set with its default
arguments: each line's description starts with ``[signed set X: up]`` (``down``). A set with
only down genes is one marked ``X_DN`` line. Files from elsewhere carry no mark:
``read_gmt(path, pair_signed=True)`` pairs their unmarked ``X_UP``/``X_DN`` (or ``X_DOWN``,
``X.UP``...) lines by name. Inside one line, ``GENE-`` is a down gene and ``GENE+`` an up gene
(the one-line form ``write_gmt(..., split_signed=False)`` writes).

So ``read_gmt(write_gmt(c))`` gives back ``c`` — names, genes, signs, order; descriptions up to
tabs and line breaks written as spaces — for every collection :func:`write_gmt` accepts.
``pair_signed=True`` on such a file additionally merges *unsigned* sets named ``A_UP`` and
``A_DN`` into one signed ``A``, as it does in any file: that is what the option asks for.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rrscore.errors import GeneSetError
from rrscore.genesets._model import (
    GeneSet,
    GeneSetCollection,
    one_duplicates_warning,
    split_signed_genes,
)
from rrscore.genesets._textfile import read_text_lines

_SIGN_SUFFIX = re.compile(r"^(?P<base>.+?)[_.](?P<dir>UP|DN|DOWN)$", re.IGNORECASE)
#: The suffixes write_gmt gives the two lines of a signed set.
_PART_SUFFIX = {"up": "_UP", "down": "_DN"}
#: Characters that cannot be written inside a GMT field (they end the field or the line; a
#: NUL makes the file look binary).
_UNWRITABLE = re.compile(r"[\t\n\r\x00]")


def _mark(base: str, part: str) -> str:
    """The description prefix of a line write_gmt split off signed set ``base``."""
    return f"[signed set {base}: {part}]"


def _split_mark(name: str, description: str) -> tuple[tuple[str, str] | None, str]:
    """``((base, part), description without the mark)`` for a marked line, else ``(None, d)``.

    A line is marked only when its name ends in the part's suffix and its description starts
    with the mark of exactly that base, so the mark cannot be met by chance.
    """
    for part, suffix in _PART_SUFFIX.items():
        if name.endswith(suffix) and len(name) > len(suffix):
            mark = _mark(name[: -len(suffix)], part)
            if description == mark or description.startswith(mark + " "):
                return (name[: -len(suffix)], part), description[len(mark):].strip()
    return None, description


@dataclass(frozen=True)
class _Record:
    name: str
    description: str
    genes: list[str]
    lineno: int
    mark: tuple[str, str] | None = None


def _parse_gmt_lines(lines: Iterable[str], source: str) -> list[_Record]:
    """GMT lines → records; comments and blank lines skipped, names checked.

    A line starting with ``#`` is a comment unless it has a gene field (a set named ``#x``
    is a set: GSEABase and gseapy read such lines as sets too). Linear in the number of lines.
    """
    records: list[_Record] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        genes = [g.strip() for g in fields[2:] if g.strip()]
        if line.lstrip().startswith("#") and not genes:
            continue
        name = fields[0].strip()
        if not name:
            raise GeneSetError(f"{source}, line {lineno}: empty gene-set name")
        if len(fields) == 1:
            raise GeneSetError(
                f"{source}, line {lineno}: no tab in {line[:60]!r}: GMT fields are separated "
                "by tabs (NAME<TAB>DESCRIPTION<TAB>GENE...), not spaces"
            )
        if not genes:
            raise GeneSetError(f"{source}, line {lineno}: gene set {name!r} lists no genes")
        mark, description = _split_mark(name, fields[1].strip())
        records.append(_Record(name, description, genes, lineno, mark))
    counts = Counter(r.name for r in records)
    dup = sorted(n for n, c in counts.items() if c > 1)
    if dup:
        raise GeneSetError(f"{source}: duplicated gene-set names: {dup}")
    return records


def _signed_groups(records: list[_Record], pair_signed: bool) -> dict[str, dict[str, int]]:
    """``base -> {"up": row, "down": row}`` for the lines that form signed sets.

    Marked lines always; with ``pair_signed``, complete ``X_UP``/``X_DN`` pairs of unmarked
    lines whose base name is not itself a set (or a marked set) in the file.
    """
    groups: dict[str, dict[str, int]] = {}
    for i, r in enumerate(records):
        if r.mark is not None:
            groups.setdefault(r.mark[0], {})[r.mark[1]] = i
    if pair_signed:
        taken = {r.name for r in records} | set(groups)
        by_name: dict[str, dict[str, int]] = {}
        for i, r in enumerate(records):
            m = _SIGN_SUFFIX.match(r.name) if r.mark is None else None
            if m and m.group("base") not in taken:
                part = "up" if m.group("dir").upper() == "UP" else "down"
                by_name.setdefault(m.group("base"), {})[part] = i
        groups.update({base: idx for base, idx in by_name.items() if len(idx) == 2})
    return groups


def _build_sets(
    records: list[_Record], source: str, pair_signed: bool, where: str
) -> list[GeneSet]:
    """Records → gene sets in file order; a signed set takes the place of its first line.

    ``source`` is the sets' source tag, ``where`` the file named in errors.
    """
    try:
        return _build(records, source, pair_signed)
    except GeneSetError as exc:  # e.g. a gene in both parts of a set: say in which file
        raise GeneSetError(f"{where}: {exc}") from None


def _build(records: list[_Record], source: str, pair_signed: bool) -> list[GeneSet]:
    groups = _signed_groups(records, pair_signed)
    first_row = {min(idx.values()): base for base, idx in groups.items()}
    in_group = {i for idx in groups.values() for i in idx.values()}
    sets: list[GeneSet] = []
    for i, r in enumerate(records):
        if i not in in_group:
            up, down = split_signed_genes(r.genes)
            sets.append(GeneSet(r.name, up, down, description=r.description, source=source))
            continue
        if i not in first_row:
            continue
        base = first_row[i]
        idx = groups[base]
        up_rec = records[idx["up"]] if "up" in idx else None
        dn_rec = records[idx["down"]] if "down" in idx else None
        # In a paired line the line gives the direction, whatever a gene's suffix.
        up = [g for part in split_signed_genes(up_rec.genes) for g in part] if up_rec else []
        down = [g for part in split_signed_genes(dn_rec.genes) for g in part] if dn_rec else []
        up_desc = up_rec.description if up_rec else ""
        dn_desc = dn_rec.description if dn_rec else ""
        if up_rec is None or up_desc == dn_desc or not dn_desc:
            desc = up_desc or dn_desc
        else:
            desc = f"{up_desc} | {dn_desc}" if up_desc else dn_desc
        sets.append(GeneSet(base, up, down, description=desc, source=source))
    return sets


def read_gmt(
    path: str | os.PathLike, *, pair_signed: bool = False, name: str | None = None,
    version: str = "",
) -> GeneSetCollection:
    """Read a GMT file (optionally gzipped).

    Decodes UTF-8 (with or without a byte-order mark), UTF-16 with its mark and, line by
    line, Windows-1252/latin-1 text; tolerates LF/CRLF/CR line ends, trailing tabs, empty
    fields, whitespace around fields and blank lines. Lines starting with ``#`` that list no
    gene are comments. Duplicated genes inside a set are removed with a warning; duplicated
    set names are an error. Reading is linear in the size of the file.

    Parameters
    ----------
    path
        The ``.gmt`` (or gzipped) file.
    pair_signed
        Also pair unmarked ``X_UP`` and ``X_DN`` (or ``X_DOWN``) lines into one signed set
        ``X`` (MSigDB-style files), when ``X`` is not itself a set of the file. Signed sets
        written by :func:`write_gmt` are restored without it (see the module docstring).
        Inside a paired line the line gives the direction; elsewhere ``GENE-`` is a down
        gene and ``GENE+`` an up gene.
    name
        Collection name (default: the file name up to its first dot).
    version
        Collection version string.

    Returns
    -------
    GeneSetCollection

    Raises
    ------
    GeneSetError
        For a missing, binary or corrupt file, a directory, a line without tabs, a set
        without genes or name, duplicated set names, or no set at all.
    """
    path = Path(path)
    if path.is_dir():
        raise GeneSetError(f"gene-set path {path} is a directory; give a GMT file (or a "
                           "bundled collection name)")
    if not path.is_file():
        raise GeneSetError(f"gene-set file not found: {path}")
    records = _parse_gmt_lines(read_text_lines(path), str(path))
    if not records:
        raise GeneSetError(f"{path}: no gene sets found")
    label = name if name is not None else path.name.split(".")[0]
    with one_duplicates_warning():
        sets = _build_sets(records, label, pair_signed, str(path))
    return GeneSetCollection(tuple(sets), name=label, version=version)


def _one_line(text: str) -> str:
    """A description as one GMT field: tabs, line breaks and NULs become spaces."""
    return _UNWRITABLE.sub(" ", text).strip()


def _check_writable(gs: GeneSet) -> None:
    if _UNWRITABLE.search(gs.name):
        raise GeneSetError(
            f"gene-set name {gs.name!r} contains a tab, line break or NUL, which GMT cannot "
            "hold; rename the set"
        )
    for gene in gs.genes:
        if _UNWRITABLE.search(gene):
            raise GeneSetError(
                f"gene set {gs.name!r}: gene {gene!r} contains a tab, line break or NUL, "
                "which GMT cannot hold"
            )
        if gene.endswith(("+", "-")):
            raise GeneSetError(
                f"gene set {gs.name!r}: gene {gene!r} ends in '+' or '-', which a GMT line "
                "reads as a direction; rename the gene"
            )


def write_gmt(
    collection: GeneSetCollection, path: str | os.PathLike, *, split_signed: bool = True
) -> None:
    """Write a collection as GMT (UTF-8, one set per line, LF line ends), atomically.

    :func:`read_gmt` with its default arguments gives the collection back (see the module
    docstring for what is written and why).

    Parameters
    ----------
    collection
        The gene sets.
    path
        The file to write (replaced only once the whole file is written).
    split_signed
        Write a signed set ``X`` as two marked lines ``X_UP`` and ``X_DN`` (only ``X_DN``
        when it has no up genes), which other tools read as two sets; when the collection
        already holds a set named ``X_UP`` or ``X_DN``, or with ``split_signed=False``, as
        one line ``X`` with down genes suffixed ``-``.

    Raises
    ------
    GeneSetError
        For a set name or gene containing a tab, line break or NUL, a gene ending in ``+``
        or ``-`` (read back as a direction), or an unsigned set whose description starts
        with the signed-set mark of its own name.
    """
    names = set(collection.names)
    lines = []
    for gs in collection:
        _check_writable(gs)
        desc = _one_line(gs.description)
        parts = {p: f"{gs.name}{s}" for p, s in _PART_SUFFIX.items()}
        if gs.signed and split_signed and not names & set(parts.values()):
            if gs.up:
                lines.append("\t".join([parts["up"], f"{_mark(gs.name, 'up')} {desc}".strip(),
                                        *gs.up]))
            lines.append("\t".join([parts["down"], f"{_mark(gs.name, 'down')} {desc}".strip(),
                                    *gs.down]))
            continue
        mark = _split_mark(gs.name, desc)[0]
        if mark is not None:
            raise GeneSetError(
                f"gene set {gs.name!r}: its description starts with {_mark(*mark)!r}, the "
                "mark of a split signed set, so it would be read back as part of one; change "
                "the description"
            )
        lines.append("\t".join([gs.name, desc, *gs.up, *(f"{g}-" for g in gs.down)]))
    _write_atomically(Path(path), "\n".join(lines) + "\n")


def _write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
