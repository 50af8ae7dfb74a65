"""Reading and writing GMT files (the Broad's gene-set format), signed sets included."""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterable
from pathlib import Path

from rrscore.errors import GeneSetError
from rrscore.genesets._model import GeneSet, GeneSetCollection, split_signed_genes

_SIGN_SUFFIX = re.compile(r"^(?P<base>.+?)[_.](?P<dir>UP|DN|DOWN)$", re.IGNORECASE)


def _open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def _parse_gmt_lines(lines: Iterable[str], source: str) -> list[tuple[str, str, list[str]]]:
    records: list[tuple[str, str, list[str]]] = []
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        name = fields[0].strip()
        if not name:
            raise GeneSetError(f"{source}, line {lineno}: empty gene-set name")
        description = fields[1].strip() if len(fields) > 1 else ""
        genes = [g.strip() for g in fields[2:] if g.strip()]
        records.append((name, description, genes))
    names = [r[0] for r in records]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise GeneSetError(f"{source}: duplicated gene-set names: {dup}")
    return records


def _pair_records(
    records: list[tuple[str, str, list[str]]], source: str, pair_signed: bool
) -> list[GeneSet]:
    """Turn GMT records into gene sets, pairing ``X_UP``/``X_DN`` into a signed ``X``.

    Only complete pairs are merged; a lone ``X_UP`` (or a base name that is itself a set)
    keeps its own line as an ordinary set.
    """
    directions: dict[str, dict[str, int]] = {}
    if pair_signed:
        plain_names = {r[0] for r in records}
        for i, (name, _, _) in enumerate(records):
            m = _SIGN_SUFFIX.match(name)
            if m and m.group("base") not in plain_names:
                d = "up" if m.group("dir").upper() == "UP" else "down"
                directions.setdefault(m.group("base"), {})[d] = i
    pairs = {base: idx for base, idx in directions.items() if len(idx) == 2}
    paired_rows = {i: base for base, idx in pairs.items() for i in idx.values()}

    sets: list[GeneSet] = []
    for i, (name, desc, genes) in enumerate(records):
        if i not in paired_rows:
            up, down = split_signed_genes(genes)
            sets.append(GeneSet(name, up, down, description=desc, source=source))
            continue
        base = paired_rows[i]
        if pairs[base]["up"] != i and pairs[base]["down"] != i:
            continue
        if min(pairs[base].values()) != i:
            continue  # the pair is emitted at its first line
        up_desc, up_genes = records[pairs[base]["up"]][1:]
        down_desc, down_genes = records[pairs[base]["down"]][1:]
        up_u, up_d = split_signed_genes(up_genes)
        dn_u, dn_d = split_signed_genes(down_genes)
        desc = up_desc if (up_desc == down_desc or not down_desc) else (
            f"{up_desc} | {down_desc}" if up_desc else down_desc
        )
        # In an X_DN line a gene is a down gene whatever its suffix.
        sets.append(GeneSet(base, up_u + up_d, dn_u + dn_d, description=desc, source=source))
    return sets


def read_gmt(
    path: str | os.PathLike, *, pair_signed: bool = False, name: str | None = None,
    version: str = "",
) -> GeneSetCollection:
    """Read a GMT file (optionally gzipped).

    Tolerates CRLF line ends, trailing tabs, empty fields and blank lines; lines starting
    with ``#`` are comments. Duplicated genes inside a set are removed with a warning;
    duplicated set names are an error.

    Parameters
    ----------
    path
        The ``.gmt`` (or ``.gmt.gz``) file.
    pair_signed
        Pair ``X_UP`` and ``X_DN`` (or ``X_DOWN``) lines into one signed set ``X``. Genes
        written ``GENE-`` always go to the down part, ``GENE+`` to the up part.
    name
        Collection name (default: the file stem).
    version
        Collection version string.

    Returns
    -------
    GeneSetCollection
    """
    path = Path(path)
    if not path.exists():
        raise GeneSetError(f"gene-set file not found: {path}")
    with _open_text(path) as fh:
        records = _parse_gmt_lines(fh, str(path))
    if not records:
        raise GeneSetError(f"{path}: no gene sets found")
    label = name if name is not None else path.name.split(".")[0]
    return GeneSetCollection(
        tuple(_pair_records(records, label, pair_signed)), name=label, version=version
    )


def write_gmt(
    collection: GeneSetCollection, path: str | os.PathLike, *, split_signed: bool = True
) -> None:
    """Write a collection as GMT (UTF-8, one set per line, LF line ends).

    Parameters
    ----------
    collection
        The gene sets.
    path
        The file to write (overwritten).
    split_signed
        Write a signed set as ``X_UP`` and ``X_DN`` lines (read back with
        ``read_gmt(path, pair_signed=True)``); otherwise as one line with down genes
        suffixed ``-``.
    """
    lines = []
    for gs in collection:
        desc = gs.description.replace("\t", " ").replace("\n", " ")
        if gs.signed and split_signed:
            if gs.up:
                lines.append("\t".join([f"{gs.name}_UP", desc, *gs.up]))
            lines.append("\t".join([f"{gs.name}_DN", desc, *gs.down]))
        else:
            genes = list(gs.up) + [f"{g}-" for g in gs.down]
            lines.append("\t".join([gs.name, desc, *genes]))
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
