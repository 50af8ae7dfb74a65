"""Which mechanisms the composite scores: the catalogue's selection, names and weights.

The bundled ``"mechanisms"`` collection (``genesets/MECHANISMS.md``) holds the review's
radioresistance mechanisms; a mechanism with resistance-promoting (``_UP``) and sensitising
(``_DN``) genes is one signed set once the collection is read with ``pair_signed=True``.

Mechanisms in the default composite (:data:`DEFAULT_MECHANISMS`) are the parent sets of the
catalogue: DNA repair as one mechanism (not its SSB/HR/NHEJ sub-sets, which are contained in it),
metabolism as one (not its six sub-sets), immune escape without the IRDS sub-set (the IRDS is
a published interferon signature listed under the same review section, 3.3.3, and would count
the interferon axis twice). The lncRNA set is left out because mRNA arrays do not measure
lncRNAs (:data:`EXCLUDED_BY_DEFAULT` lists each left-out set and why). Any set of the collection
can be chosen with ``mechanisms=``.

This module selects and names; it never scores (that is :mod:`rrscore.radiation._scorer`).
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from rrscore._prepare import GeneSetsLike
from rrscore.errors import GeneMatchError, RRScoreError
from rrscore.genesets._coerce import as_collection
from rrscore.genesets._model import GeneSet, GeneSetCollection

#: Mechanisms of the bundled ``"mechanisms"`` collection that enter the default composite.
DEFAULT_MECHANISMS: tuple[str, ...] = (
    "RR_DNA_REPAIR",
    "RR_CELL_CYCLE_CHECKPOINT",
    "RR_APOPTOSIS",
    "RR_HYPOXIA",
    "RR_CAF",
    "RR_IMMUNE",
    "RR_CANCER_STEM_CELL",
    "RR_AUTOPHAGY",
    "RR_METABOLISM",
    "RR_EXOSOME",
    "RR_NONCODING_EFFECTORS",
    "RR_FERROPTOSIS",
    "RR_EMT",
    "RR_DRIVER_NRF2_TARGETS",
)

#: Sets of the bundled collection left out of the default composite, and why.
EXCLUDED_BY_DEFAULT: dict[str, str] = {
    "RR_DNA_REPAIR_SSB": "sub-set of RR_DNA_REPAIR",
    "RR_DNA_REPAIR_HR": "sub-set of RR_DNA_REPAIR",
    "RR_DNA_REPAIR_NHEJ": "sub-set of RR_DNA_REPAIR",
    "RR_METABOLISM_GLYCOLYSIS": "sub-set of RR_METABOLISM",
    "RR_METABOLISM_PENTOSE_PHOSPHATE": "sub-set of RR_METABOLISM (one gene)",
    "RR_METABOLISM_GLUTAMINE": "sub-set of RR_METABOLISM (one gene)",
    "RR_METABOLISM_FATTY_ACID": "sub-set of RR_METABOLISM",
    "RR_METABOLISM_IRON": "sub-set of RR_METABOLISM (one gene)",
    "RR_METABOLISM_NUCLEOTIDE": "sub-set of RR_METABOLISM (one gene)",
    "RR_IMMUNE_IRDS": "interferon sub-signature of the immune section (3.3.3); would count "
                      "the interferon axis twice",
    "RR_NONCODING_LNCRNA": "lncRNAs: not measured by mRNA arrays",
}

#: Default minimum number of a mechanism's genes (up + down) found in the reference data.
MIN_GENES = 3

_SIGN_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<dir>UP|DN|DOWN)$", re.IGNORECASE)


def mechanism_name(gene_set: GeneSet) -> str:
    """Name of the mechanism a set scores: an unpaired ``X_UP`` line is mechanism ``X``.

    Parameters
    ----------
    gene_set
        One set of the mechanism collection.

    Returns
    -------
    str
        The mechanism's name (a signed or unsuffixed set keeps its own name).

    Raises
    ------
    GeneMatchError
        For an unpaired ``X_DN`` set: it holds only sensitising genes, so it cannot be a
        radioresistance mechanism on its own.
    """
    match = _SIGN_SUFFIX.match(gene_set.name)
    if match is None or gene_set.signed:
        return gene_set.name
    if match.group("dir").upper() == "UP":
        return match.group("base")
    raise GeneMatchError(
        f"gene set {gene_set.name!r} holds only sensitising genes: a radioresistance "
        f"mechanism needs resistance-promoting genes; pair it with an "
        f"{match.group('base')}_UP set or leave it out with mechanisms="
    )


def select_mechanisms(
    gene_sets: GeneSetsLike, mechanisms: Sequence[str] | None = None,
) -> tuple[GeneSetCollection, list[str], dict[str, str]]:
    """The sets to score, their mechanism names, and accepted aliases of those names.

    Parameters
    ----------
    gene_sets
        The mechanism collection: a bundled name or GMT path (read with ``_UP``/``_DN`` lines
        paired into signed sets), a dict, a long table or a :class:`~rrscore.GeneSetCollection`.
    mechanisms
        Mechanism names or set names to score, in the order wanted. ``None``:
        :data:`DEFAULT_MECHANISMS` for the bundled ``"mechanisms"`` collection, every set for
        any other collection.

    Returns
    -------
    collection
        The selected sets, each renamed to its mechanism name, in the selection's order
        (with the source collection's name and version).
    names
        The mechanism names, in the same order.
    aliases
        Every accepted spelling (set name or mechanism name) → mechanism name, for all sets
        of the source collection (``weights=`` keys are resolved through it).

    Raises
    ------
    RRScoreError
        For a name that is not in the collection, a mechanism listed twice, or an empty
        selection.
    GeneMatchError
        When a selected set holds only sensitising genes (see :func:`mechanism_name`).
    """
    if isinstance(gene_sets, (str, os.PathLike)):
        collection = as_collection(gene_sets, pair_signed=True)
    else:
        collection = as_collection(gene_sets)
    names = {gs.name: None for gs in collection}
    by_mechanism: dict[str, GeneSet] = {}
    aliases: dict[str, str] = {}
    for gs in collection:
        try:
            mech = mechanism_name(gs)
        except GeneMatchError:
            mech = None  # a lone _DN set is only an error if it is selected
        if mech is None or (mech != gs.name and mech in names):
            mech = gs.name  # stripping _UP would collide with another set's name
        by_mechanism[mech] = gs
        aliases[gs.name] = mech
        aliases[mech] = mech
    if mechanisms is not None:
        wanted = [aliases.get(str(m)) for m in mechanisms]
        unknown = [str(m) for m, w in zip(mechanisms, wanted, strict=True) if w is None]
        if unknown:
            raise RRScoreError(
                f"mechanisms not in the gene sets: {unknown}; available: "
                f"{list(by_mechanism)}"
            )
        if len(set(wanted)) != len(wanted):
            raise RRScoreError(f"mechanisms lists a mechanism twice: {mechanisms}")
    elif collection.name == "mechanisms":
        wanted = [m for m in DEFAULT_MECHANISMS if m in by_mechanism]
    else:
        wanted = list(by_mechanism)
    for mech in wanted:
        mechanism_name(by_mechanism[mech])  # raises for a selected lone _DN set
    if not wanted:
        raise RRScoreError("no mechanism to score")
    renamed = tuple(
        dataclasses.replace(by_mechanism[m], name=m) for m in wanted
    )
    sub = GeneSetCollection(renamed, name=collection.name, version=collection.version)
    return sub, wanted, aliases


def validate_weights(
    weights, mechanisms: Sequence[str], aliases: Mapping[str, str],
) -> pd.Series:
    """Composite weights as a Series over ``mechanisms`` summing to 1.

    Parameters
    ----------
    weights
        ``None`` (equal weights), or a dict / Series ``mechanism -> weight``; keys may be any
        alias of a mechanism (e.g. the GMT line name ``"RR_HYPOXIA_UP"``). Mechanisms it does
        not name get weight 0.
    mechanisms
        The selected mechanisms (the index of the result, in order).
    aliases
        Accepted spellings → mechanism name (from :func:`select_mechanisms`).

    Returns
    -------
    pandas.Series
        float64 weights indexed by ``mechanisms``, >= 0, summing to 1.

    Raises
    ------
    RRScoreError
        For a non-mapping, a weight that is not a finite number >= 0, unknown mechanism
        names, or no positive weight.
    """
    if weights is None:
        return pd.Series(1.0 / len(mechanisms), index=list(mechanisms), dtype=float)
    if isinstance(weights, pd.Series):
        weights = weights.to_dict()
    if not isinstance(weights, Mapping):
        raise RRScoreError(
            f"weights must be a dict mechanism -> weight, got {type(weights).__name__}"
        )
    out = pd.Series(0.0, index=list(mechanisms), dtype=float)
    unknown = []
    for key, value in weights.items():
        name = aliases.get(str(key), str(key))
        if name not in out.index:
            unknown.append(str(key))
            continue
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise RRScoreError(f"weight of {key!r} is not a number: {value!r}") from None
        if not math.isfinite(w) or w < 0:
            raise RRScoreError(f"weight of {key!r} must be finite and >= 0, got {value!r}")
        out[name] = w
    if unknown:
        raise RRScoreError(
            f"weights name unknown mechanisms {unknown}; the mechanisms are {list(mechanisms)}"
        )
    total = float(out.sum())
    if total <= 0:
        raise RRScoreError("weights must give at least one mechanism a positive weight")
    return out / total
