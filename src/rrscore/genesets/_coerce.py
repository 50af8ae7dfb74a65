"""Any gene-set specification to a :class:`GeneSetCollection`: name, path, dict, long table.

The one place that decides what a ``gene_sets=`` argument means, for every entry point
(:func:`rrscore.score`, the composite, the command line).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from rrscore.errors import GeneSetError, MethodWarning, warn
from rrscore.genesets._bundled import is_bundled, list_collections, load
from rrscore.genesets._gmt import read_gmt
from rrscore.genesets._model import GeneSet, GeneSetCollection, one_duplicates_warning


def from_long_table(
    table: pd.DataFrame, *, source: str = "source", target: str = "target",
    weight: str = "weight", name: str = "",
) -> GeneSetCollection:
    """Build gene sets from a long table (decoupler's ``net``).

    rrscore's methods are unweighted, so only the sign of a weight is used: a negative weight
    makes a down gene, a positive one an up gene, and a gene with weight 0 (no effect in a
    weighted model) is left out. Unless every weight is +1 or -1, a
    :class:`~rrscore.errors.MethodWarning` says that the magnitudes are ignored and gives
    their range.

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
        When a column is missing, a (set, gene) pair repeats, a weight is missing or not a
        number, or a set is left without genes.
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
    w = _weights(table, weight)
    zero = w == 0
    if zero.any():
        empty = sorted(set(table.loc[zero, source].astype(str))
                       - set(table.loc[~zero, source].astype(str)))
        if empty:
            raise GeneSetError(
                f"long gene-set table: every gene of set(s) {empty[:5]} has weight 0 (no "
                "effect), so they have no genes; remove them or give the genes a weight"
            )
    _warn_ignored_magnitudes(w, int(zero.sum()))
    kept = table.loc[~zero]
    direction = np.sign(w[~zero])
    sets = []
    with one_duplicates_warning():  # e.g. "TP53" and " TP53" in one set
        for set_name, grp in kept.groupby(source, sort=False):
            sign = direction.loc[grp.index]
            up = grp.loc[sign > 0, target].astype(str).tolist()
            down = grp.loc[sign < 0, target].astype(str).tolist()
            sets.append(GeneSet(str(set_name), up, down, source=name))
    return GeneSetCollection(tuple(sets), name=name)


def _weights(table: pd.DataFrame, weight: str) -> pd.Series:
    """The weight column as float (1.0 when absent); errors name the offending values."""
    if weight not in table.columns:
        return pd.Series(1.0, index=table.index)
    raw = table[weight]
    if raw.isna().any():
        raise GeneSetError(f"long gene-set table: {weight!r} has missing values")
    types = pd.api.types
    numeric = pd.to_numeric(raw, errors="coerce") if raw.dtype == object else raw
    real = (types.is_numeric_dtype(numeric) and not types.is_bool_dtype(numeric)
            and not types.is_complex_dtype(numeric))
    if not real or numeric.isna().any():
        bad = raw[numeric.isna()].head(3).tolist() if real else raw.head(3).tolist()
        raise GeneSetError(
            f"long gene-set table: {weight!r} must be real numbers (negative: down gene), "
            f"got {raw.dtype} values such as {bad}"
        )
    return numeric.astype(float)


def _warn_ignored_magnitudes(w: pd.Series, n_zero: int) -> None:
    """Say that weights other than +1/-1 only count by their sign (rrscore is unweighted)."""
    values = w.to_numpy()
    if np.all(np.abs(values) == 1.0):
        return
    lo, hi = float(values.min()), float(values.max())
    warn(
        f"the gene-set table's weights range from {lo:g} to {hi:g}, but rrscore's methods are "
        "unweighted: only the sign is used (negative: down gene, positive: up gene)"
        + (f"; {n_zero} gene(s) with weight 0 left out" if n_zero else "")
        + "; for weighted scores use a weighted method (e.g. decoupler's ulm/wsum)",
        MethodWarning,
    )


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
        optional ``weight``: only its sign counts, see :func:`from_long_table`), the name of
        a bundled collection (see :func:`rrscore.genesets.list_collections`) or a path to a
        GMT file. A bundled name wins over a file of the same name.
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
