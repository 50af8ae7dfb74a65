"""Any gene-set specification to a :class:`GeneSetCollection`: name, path, dict, long table.

The one place that decides what a ``gene_sets=`` argument means, for every entry point
(:func:`rrscore.score`, the composite, the command line).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from rrscore.errors import GeneSetError
from rrscore.genesets._bundled import is_bundled, list_collections, load
from rrscore.genesets._gmt import read_gmt
from rrscore.genesets._model import GeneSet, GeneSetCollection


def from_long_table(
    table: pd.DataFrame, *, source: str = "source", target: str = "target",
    weight: str = "weight", name: str = "",
) -> GeneSetCollection:
    """Build gene sets from a long table (decoupler's ``net``).

    Rows with a negative ``weight`` go to the down part; the magnitude of the weight is
    not used by rrscore's methods (they are unweighted).

    Parameters
    ----------
    table
        One row per (set, gene) pair.
    source, target, weight
        Column names: the set's name, the gene, and the optional weight (all up when the
        column is absent).
    name
        Collection name.

    Returns
    -------
    GeneSetCollection
        One set per distinct ``source``, in order of first appearance.

    Raises
    ------
    GeneSetError
        When a column is missing, a (set, gene) pair repeats or a weight is missing.
    """
    missing = [c for c in (source, target) if c not in table.columns]
    if missing:
        raise GeneSetError(
            f"long gene-set table needs columns {source!r} and {target!r}; missing {missing}; "
            f"it has {list(table.columns)}"
        )
    dup = table.duplicated([source, target])
    if dup.any():
        pairs = table.loc[dup, [source, target]].head(5).values.tolist()
        raise GeneSetError(
            f"long gene-set table has duplicated (source, target) rows, e.g. {pairs}"
        )
    w = table[weight] if weight in table.columns else pd.Series(1.0, index=table.index)
    if w.isna().any():
        raise GeneSetError("long gene-set table: 'weight' has missing values")
    sets = []
    for set_name, grp in table.groupby(source, sort=False):
        ww = w.loc[grp.index]
        up = grp.loc[ww >= 0, target].astype(str).tolist()
        down = grp.loc[ww < 0, target].astype(str).tolist()
        sets.append(GeneSet(str(set_name), up, down, source=name))
    return GeneSetCollection(tuple(sets), name=name)


def as_collection(
    gene_sets: GeneSetCollection | Mapping[str, Iterable[str]] | pd.DataFrame | str | os.PathLike,
    *, pair_signed: bool | None = None,
) -> GeneSetCollection:
    """Coerce any supported gene-set specification into a :class:`GeneSetCollection`.

    Parameters
    ----------
    gene_sets
        A collection (returned as is), a single :class:`GeneSet`, a dict ``name -> genes``
        (a trailing ``-`` marks a down gene), a long DataFrame (``source``, ``target``,
        optional ``weight``), the name of a bundled collection (see
        :func:`rrscore.genesets.list_collections`) or a path to a GMT file. A bundled name
        wins over a file of the same name.
    pair_signed
        For a bundled name or a GMT path: pair ``X_UP``/``X_DN`` lines into signed sets.
        Default: the bundled collection's own setting; off for a file.

    Returns
    -------
    GeneSetCollection

    Raises
    ------
    GeneSetError
        For a string that is neither a bundled name nor an existing file, and for any other
        type.
    """
    if isinstance(gene_sets, GeneSetCollection):
        return gene_sets
    if isinstance(gene_sets, GeneSet):
        return GeneSetCollection((gene_sets,))
    if isinstance(gene_sets, pd.DataFrame):
        return from_long_table(gene_sets)
    if isinstance(gene_sets, Mapping):
        return GeneSetCollection.from_dict(gene_sets)
    if isinstance(gene_sets, (str, os.PathLike)):
        text = str(gene_sets)
        if is_bundled(text):
            return load(text) if pair_signed is None else load(text, pair_signed=pair_signed)
        path = Path(text)
        if path.exists():
            return read_gmt(path, pair_signed=bool(pair_signed))
        raise GeneSetError(
            f"{text!r} is neither a gene-set file nor a bundled collection "
            f"(bundled: {', '.join(list_collections()['name'])})"
        )
    raise GeneSetError(
        f"cannot use {type(gene_sets).__name__} as gene sets: give a GMT path, a bundled "
        "collection name, a dict name -> genes, a long DataFrame or a GeneSetCollection"
    )
