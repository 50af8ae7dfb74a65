"""Gene-set collections shipped with rrscore (the top-level ``genesets/`` folder)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

import pandas as pd

from rrscore.errors import GeneSetError
from rrscore.genesets.model import GeneSetCollection


def bundled_dir() -> Path:
    """The folder holding the bundled collections.

    In an installed wheel it is ``rrscore/_genesets`` (force-included from the repository's
    ``genesets/``); in a source checkout or editable install it is the repository folder.
    """
    packaged = Path(str(resources.files("rrscore"))) / "_genesets"
    if (packaged / "collections.tsv").exists():
        return packaged
    repo = Path(__file__).resolve().parents[3] / "genesets"
    if (repo / "collections.tsv").exists():
        return repo
    raise GeneSetError("bundled gene sets not found: the rrscore installation is incomplete")


@lru_cache(maxsize=1)
def _index() -> pd.DataFrame:
    table = pd.read_csv(bundled_dir() / "collections.tsv", sep="\t", dtype=str).fillna("")
    return table.set_index("name", drop=False)


def is_bundled(name: str) -> bool:
    """Whether ``name`` names a bundled collection."""
    return name in _index().index


def list_collections() -> pd.DataFrame:
    """The bundled collections: name, version, number of sets, title, licence, citation."""
    rows = []
    for name, row in _index().iterrows():
        coll = load(name)
        rows.append(
            {
                "name": name,
                "version": row["version"],
                "n_sets": len(coll),
                "n_genes": len(coll.genes),
                "title": row["title"],
                "licence": row["licence"],
                "citation": row["citation"],
            }
        )
    return pd.DataFrame(rows)


@lru_cache(maxsize=32)
def _load_cached(name: str, pair_signed: bool) -> GeneSetCollection:
    from rrscore.genesets.gmt import read_gmt

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
