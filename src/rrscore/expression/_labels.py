"""What the gene labels of the data say, beyond their cleaning: species, mixed ID types, copies.

Three checks made from the cleaned labels alone (so in-memory and lazy input make them
alike), each recorded in the input report and, where the result could be silently wrong,
raised as a named warning:

* **species** (:func:`rrscore.ids.detect_species`): recorded as ``report.species``. When the
  gene sets are given and look like another species — mouse-style symbols (``Cd3e``) against
  human sets (``CD3E``), which case-insensitive matching pairs without a word — a
  :class:`~rrscore.errors.SpeciesWarning`; when the data's IDs are Ensembl IDs of another
  species, which nothing can match, a :class:`~rrscore.errors.GeneMatchError` that says so.
* **mixed ID types** in one index (symbols with Ensembl IDs, ...): ``report.id_types`` holds
  the count of each type and a :class:`~rrscore.errors.MixedIdsWarning` names them.
* **copies renamed by pandas**: ``pandas.read_csv`` renames a repeated column ``TBCE`` to
  ``TBCE.1``, ``TBCE.2``; such labels beside their base are reported with a
  :class:`~rrscore.errors.DuplicateGenesWarning` (rrscore's own readers keep repeated names,
  which the duplicates policy then handles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from rrscore.errors import (
    DuplicateGenesWarning,
    GeneMatchError,
    MixedIdsWarning,
    SpeciesWarning,
    warn,
)
from rrscore.ids import ID_TYPE_WORDS, detect_species, same_species, species_words

#: Share of the labels a second ID type must reach for a warning (a note below it).
MIXED_WARN_SHARE = 0.01

_RENAMED = re.compile(r"^(.+)\.(\d+)$")


def check_species(ids: np.ndarray, gene_universe: Iterable[str] | None) -> tuple[str, list[str]]:
    """The data's species, and a warning or error when the gene sets' differs.

    Parameters
    ----------
    ids
        Cleaned identifiers of the data.
    gene_universe
        Genes of the gene sets to be scored, or None.

    Returns
    -------
    species, notes
        The detected species name and notes for the input report.

    Raises
    ------
    GeneMatchError
        When the data's IDs are Ensembl (or FlyBase/WormBase) IDs of another species than
        the gene sets': nothing can match, and no ortholog table is bundled.
    """
    data = detect_species(ids)
    if not gene_universe:
        return data.name, []
    sets = detect_species(sorted(gene_universe))
    if same_species(data.name, sets.name):
        return data.name, []
    what = (f"the data's gene identifiers look like {species_words(data.name)} genes "
            f"({data.evidence}), the gene sets' like {species_words(sets.name)} genes "
            f"({sets.evidence})")
    if "ID" in data.evidence:
        raise GeneMatchError(
            f"{what}: they cannot match. rrscore bundles no ortholog table: map the genes to "
            f"{species_words(sets.name)} orthologs first (Ensembl BioMart, MGI or HGNC HCOP "
            "ortholog tables), or give gene sets of the data's species"
        )
    warn(
        f"{what}. Genes are matched case-insensitively, which pairs one-to-one orthologs of "
        "the same name (Cd3e with CD3E) but misses genes named differently, and the sets "
        "describe the other species' biology. rrscore bundles no ortholog table: for a real "
        "mapping use ortholog tables (MGI, HGNC HCOP) or gene sets of the data's species "
        "(silence with warnings.filterwarnings('ignore', category=SpeciesWarning))",
        SpeciesWarning,
    )
    return data.name, [f"species: {what}; matched case-insensitively"]


def check_mixed_types(id_types: dict, ids: np.ndarray, types: np.ndarray,
                      mapped: dict | None = None) -> list[str]:
    """A note (and a warning above :data:`MIXED_WARN_SHARE`) on an index mixing ID types.

    Parameters
    ----------
    id_types
        Count of each type among the kept identifiers (empty: not mixed).
    ids, types
        The kept identifiers and the type of each (for examples).
    mapped
        The mapping summary when the minority IDs were mapped to symbols.

    Returns
    -------
    list of str
        Notes for the input report.
    """
    if not id_types:
        return []
    total = sum(id_types.values())
    main = next(iter(id_types))
    parts = []
    for kind, n in id_types.items():
        examples = [str(x) for x in ids[types == kind][:2]]
        parts.append(f"{n} {ID_TYPE_WORDS.get(kind, kind)} (e.g. {', '.join(examples)})")
    text = f"the gene identifiers mix ID types: {'; '.join(parts)}"
    if mapped:
        text += (f"; {mapped['n_mapped']} of the {mapped['n_ids']} "
                 f"{ID_TYPE_WORDS[mapped['from']]} were mapped to symbols")
    else:
        text += ("; only identifiers of the gene sets' type can match them (the others "
                 "stay in the data as they are)")
    minority = total - id_types[main]
    if minority >= MIXED_WARN_SHARE * total:
        warn(text + "; check how the table was assembled", MixedIdsWarning)
    return [text]


def check_renamed_copies(ids: np.ndarray, types: np.ndarray) -> list[str]:
    """A note and a warning for labels that look like pandas-renamed repeats (``TBCE.1``).

    Parameters
    ----------
    ids, types
        The kept identifiers and the type of each.

    Returns
    -------
    list of str
        Notes for the input report.
    """
    present = {str(x) for x in ids}
    renamed = []
    for label, kind in zip(ids, types, strict=True):
        if kind != "symbol":
            continue
        m = _RENAMED.match(str(label))
        if m and m.group(1) in present:
            renamed.append(str(label))
    if not renamed:
        return []
    text = (
        f"{len(renamed)} gene labels look like copies of a repeated column renamed by "
        f"pandas.read_csv ({', '.join(renamed[:3])} beside "
        f"{', '.join(_RENAMED.match(r).group(1) for r in renamed[:3])}); they are scored as "
        "separate genes. The rrscore command reads files keeping repeated names for the "
        "duplicates policy; in Python, read the table with genes as rows (repeated row "
        "labels are kept) or undo the renaming"
    )
    warn(text, DuplicateGenesWarning)
    return [text]
