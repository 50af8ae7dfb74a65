"""Gene-set collections shipped with rrscore (the top-level ``genesets/`` folder).

``collections.tsv`` lists each collection with its GMT file, version, SHA-256 and whether its
``X_UP``/``X_DN`` lines pair into signed sets; the folder is found by
:func:`rrscore._resources.bundled_dir`.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import pandas as pd

from rrscore._resources import bundled_dir
from rrscore.errors import GeneSetError
from rrscore.genesets._gmt import read_gmt
from rrscore.genesets._model import GeneSetCollection


@lru_cache(maxsize=1)
def _index() -> pd.DataFrame:
    table = pd.read_csv(bundled_dir() / "collections.tsv", sep="\t", dtype=str).fillna("")
    return table.set_index("name", drop=False)


def is_bundled(name: str) -> bool:
    """Whether ``name`` names a bundled collection."""
    return name in _index().index


def list_collections() -> pd.DataFrame:
    """The bundled collections and their versions and sizes.

    Returns
    -------
    pandas.DataFrame
        One row per collection: ``name``, ``version`` (changes whenever a set of the
        collection changes), ``n_sets`` (after pairing ``_UP``/``_DN`` lines into signed
        sets), ``n_signed`` (signed sets), ``n_genes`` (distinct genes), ``title``,
        ``licence``, ``citation``, ``docs`` (the provenance files beside the GMT, in the
        ``genesets/`` folder) and ``file``.
    """
    rows = []
    for name, row in _index().iterrows():
        coll = load(name)
        rows.append(
            {
                "name": name,
                "version": row["version"],
                "n_sets": len(coll),
                "n_signed": sum(gs.signed for gs in coll),
                "n_genes": len(coll.genes),
                "title": row["title"],
                "licence": row["licence"],
                "citation": row["citation"],
                "docs": row.get("docs", ""),
                "file": row["file"],
            }
        )
    return pd.DataFrame(rows)


def collection_path(name: str) -> Path:
    """The GMT file of a bundled collection."""
    index = _index()
    if name not in index.index:
        raise GeneSetError(
            f"no bundled gene-set collection {name!r}; available: {', '.join(index.index)}"
        )
    return bundled_dir() / index.loc[name, "file"]


def collection_checksum(name: str) -> str:
    """SHA-256 of a bundled collection's GMT file, with line ends normalised to LF.

    ``collections.tsv`` stores this next to the collection's version; the test suite fails
    when they disagree, so that no set can change without a new version.
    """
    data = collection_path(name).read_bytes()
    # LF-normalised so that a CRLF checkout (git autocrlf) keeps the same checksum.
    return hashlib.sha256(data.replace(b"\r\n", b"\n")).hexdigest()


def verify_collection(name: str) -> None:
    """Raise :class:`~rrscore.errors.GeneSetError` unless the GMT matches its stored checksum.

    A mismatch means the file was edited without recording a new version in
    ``collections.tsv`` (or the installation is damaged).
    """
    actual = collection_checksum(name)
    row = _index().loc[name]
    if actual != row["sha256"]:
        raise GeneSetError(
            f"bundled collection {name!r} ({row['file']}) does not match the checksum "
            f"recorded for version {row['version']!r} in collections.tsv: give the changed "
            f"collection a new version and record sha256 {actual}"
        )


@lru_cache(maxsize=32)
def _load_cached(name: str, pair_signed: bool) -> GeneSetCollection:
    row = _index().loc[name]
    return read_gmt(
        bundled_dir() / row["file"], pair_signed=pair_signed, name=name, version=row["version"]
    )


def load(name: str, *, pair_signed: bool | None = None) -> GeneSetCollection:
    """Load a bundled collection by name.

    Parameters
    ----------
    name
        Collection name, as listed by :func:`list_collections`.
    pair_signed
        Pair ``X_UP``/``X_DN`` lines into signed sets. Default: the collection's own setting
        (on for the directional radioresistance collections).
    """
    index = _index()
    if name not in index.index:
        raise GeneSetError(
            f"no bundled gene-set collection {name!r}; available: {', '.join(index.index)}"
        )
    if pair_signed is None:
        pair_signed = index.loc[name, "pair_signed"].strip().lower() == "true"
    return _load_cached(name, bool(pair_signed))
