"""Which mechanisms the composite scores: the read-out of each, their names and weights.

**Composite v2 (default).** The composite's mechanisms, and the gene set that reads out each,
come from the bundled ``genesets/composite.tsv`` (:mod:`rrscore.radiation._readouts`): where
the review's molecules do not read a mechanism's activity in expression data, a published,
cited read-out set is scored instead (hypoxia by its response genes, the NRF2 axis by NRF2
targets), and each gene shared by several read-outs counts in one mechanism only
(``genesets/gene_assignment.tsv``). :data:`DEFAULT_MECHANISMS` is that table's list.

**The review's effector sets** stay in the bundled ``"mechanisms"`` collection
(``genesets/MECHANISMS.md``); a mechanism with resistance-promoting (``_UP``) and sensitising
(``_DN``) genes is one signed set once the collection is read with ``pair_signed=True``. They
are scored with ``gene_sets="mechanisms"`` (default selection :data:`REVIEW_MECHANISMS`: DNA
repair as one mechanism, not its SSB/HR/NHEJ sub-sets; metabolism as one, not its six sub-sets;
immune escape without the IRDS sub-set, a published interferon signature of the same review
section, 3.3.3, that would count the interferon axis twice; the lncRNA set left out because mRNA
arrays do not measure lncRNAs — :data:`EXCLUDED_BY_DEFAULT`). Under the default definition,
``mechanisms=`` may also name any set of the catalogue that is not a mechanism of
``composite.tsv`` (e.g. ``RR_DNA_REPAIR_HR``): it is scored from its effector genes.

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
from rrscore.genesets._bundled import load
from rrscore.genesets._coerce import as_collection
from rrscore.genesets._model import GeneSet, GeneSetCollection
from rrscore.radiation._readouts import CompositeDefinition, bundled_definition

#: The review's mechanisms: the parent sets of the bundled ``"mechanisms"`` collection (its
#: default selection, and the composite's mechanisms when no ``composite.tsv`` is bundled).
REVIEW_MECHANISMS: tuple[str, ...] = (
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

#: Default minimum number of a mechanism's genes (up + down) found in the data, at fit and at
#: transform.
MIN_GENES = 3

#: Default minimum share of a mechanism's reference genes that a new sample must have for the
#: mechanism to be scored at transform (below it the mechanism is NaN, never scored from the
#: genes that remain and compared with the full-gene reference).
MIN_COVERAGE = 0.8


def _default_mechanisms() -> tuple[str, ...]:
    definition = bundled_definition()
    return tuple(definition.mechanisms) if definition is not None else REVIEW_MECHANISMS


#: The composite's default mechanisms: those of the bundled ``composite.tsv`` (the review's
#: :data:`REVIEW_MECHANISMS` when the bundle has none).
DEFAULT_MECHANISMS: tuple[str, ...] = _default_mechanisms()

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
        :data:`REVIEW_MECHANISMS` for the bundled ``"mechanisms"`` collection, every set for
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
        wanted = [m for m in REVIEW_MECHANISMS if m in by_mechanism]
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


@dataclasses.dataclass(frozen=True)
class Selection:
    """The mechanisms to score and how each is read out.

    Attributes
    ----------
    sets
        One gene set per mechanism, named by the mechanism, in order.
    names
        The mechanism names.
    aliases
        Accepted spellings → mechanism name (``weights=`` keys are resolved through it).
    readouts
        Mechanism → ``{"collection", "collection_version", "set", "direction",
        "small_parts", "reassigned"}``.
    definition
        Where the composite definition came from (``composite.tsv`` path), or ``""`` when
        the sets of one collection are scored as they are.
    collection_name, collection_version
        The mechanism catalogue (``"mechanisms"`` and its version under a definition) or
        the collection scored.
    """

    sets: tuple[GeneSet, ...]
    names: list[str]
    aliases: dict[str, str]
    readouts: dict[str, dict]
    definition: str
    collection_name: str
    collection_version: str


def resolve_mechanisms(gene_sets, mechanisms: Sequence[str] | None = None) -> Selection:
    """The mechanisms to score: from the composite definition, or from one collection.

    Parameters
    ----------
    gene_sets
        ``None``: the bundled composite definition (``composite.tsv``; the review's effector
        sets when it is absent); a :class:`~rrscore.radiation._readouts.CompositeDefinition`;
        or any gene-set specification (bundled name, GMT path, dict, table, collection),
        whose sets are scored as they are (see :func:`select_mechanisms`).
    mechanisms
        Names to score, in order. Under a definition: its mechanisms (also spelled
        ``X_UP``), and any other set of the ``"mechanisms"`` catalogue (scored from its
        effector genes). Default: every mechanism of the definition.

    Returns
    -------
    Selection

    Raises
    ------
    RRScoreError
        For an unknown name, a name listed twice or an empty selection.
    """
    definition = (gene_sets if isinstance(gene_sets, CompositeDefinition)
                  else bundled_definition() if gene_sets is None else None)
    if definition is None:
        coll, names, aliases = select_mechanisms(
            "mechanisms" if gene_sets is None else gene_sets, mechanisms)
        original = {}
        for alias, mech in aliases.items():
            if mech in names and alias != mech:
                original.setdefault(mech, alias)
        readouts = {m: {"collection": str(coll.name), "collection_version": str(coll.version),
                        "set": original.get(m, m), "direction": 1, "small_parts": "weight",
                        "reassigned": []} for m in names}
        return Selection(tuple(coll), names, aliases, readouts, "", str(coll.name),
                         str(coll.version))
    catalogue = load("mechanisms", pair_signed=True)
    _, _, aliases = select_mechanisms(catalogue, None)
    own = definition.mechanisms
    for mech in own:
        aliases[mech] = mech
        aliases[f"{mech}_UP"] = mech
    if mechanisms is None:
        wanted = list(own)
    else:
        wanted = [aliases.get(str(m)) for m in mechanisms]
        unknown = [str(m) for m, w in zip(mechanisms, wanted, strict=True) if w is None]
        if unknown:
            raise RRScoreError(
                f"mechanisms not in the gene sets (neither the composite definition nor the "
                f"mechanisms catalogue): {unknown}; the composite's: {own}"
            )
        if len(set(wanted)) != len(wanted):
            raise RRScoreError(f"mechanisms lists a mechanism twice: {mechanisms}")
    if not wanted:
        raise RRScoreError("no mechanism to score")
    defined = [m for m in wanted if m in own]
    sets, readouts = definition.sets(defined) if defined else ([], {})
    by_name = {gs.name: gs for gs in sets}
    others = [m for m in wanted if m not in own]
    if others:
        extra = resolve_mechanisms(catalogue, others)
        by_name.update({gs.name: gs for gs in extra.sets})
        readouts.update(extra.readouts)
    return Selection(tuple(by_name[m] for m in wanted), wanted, aliases,
                     {m: readouts[m] for m in wanted}, definition.source, catalogue.name,
                     str(catalogue.version))


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
