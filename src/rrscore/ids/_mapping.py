"""Gene-ID mapping: Ensembl/Entrez data to symbols, alias matching of set genes.

One switch, ``map_ids``, decides both steps (it is a parameter of :func:`rrscore.score`,
:func:`rrscore.prepare` and :func:`rrscore.as_expression`):

``"auto"`` (default)
    Map data indexed by Ensembl or Entrez gene IDs to approved symbols when the gene sets use
    symbols; when the sets use symbols, a set gene absent from the data is also matched
    through its unambiguous previous symbols/aliases (e.g. ``MRGBP`` through ``C20orf20``).
``"symbol"``
    Map Ensembl/Entrez data to symbols even without gene sets to compare with (for
    :func:`rrscore.as_expression` on its own); alias matching as ``"auto"``.
``"off"``
    Neither: identifiers are used as given (exact, then case-insensitive matching only).
    This is what reference implementations such as R GSVA do.

``True`` means ``"auto"`` and ``False`` or ``None`` mean ``"off"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from rrscore.errors import InputDataError
from rrscore.ids._detect import ID_TYPE_WORDS, detect_id_type
from rrscore.ids._reference import REFERENCE_SOURCE, gene_reference

MAP_IDS_CHOICES = ("auto", "symbol", "off")
#: Data ID types the bundled reference can turn into symbols.
MAPPABLE_ID_TYPES = ("ensembl", "entrez")

MapIds = str | bool | None


def check_map_ids(map_ids: MapIds) -> str:
    """Normalise the ``map_ids`` switch to one of :data:`MAP_IDS_CHOICES`.

    Parameters
    ----------
    map_ids
        ``"auto"``, ``"symbol"`` or ``"off"`` (any case); ``True`` means ``"auto"``,
        ``False`` or ``None`` mean ``"off"``.

    Returns
    -------
    str
        ``"auto"``, ``"symbol"`` or ``"off"``.

    Raises
    ------
    InputDataError
        For any other value.
    """
    if map_ids is True:
        return "auto"
    if map_ids is False or map_ids is None:
        return "off"
    if isinstance(map_ids, str) and map_ids.lower() in MAP_IDS_CHOICES:
        return map_ids.lower()
    raise InputDataError(
        f"map_ids must be one of {MAP_IDS_CHOICES} (or True/False), got {map_ids!r}"
    )


def _sets_use_symbols(gene_universe: Iterable[str] | None) -> bool:
    if not gene_universe:
        return False
    return detect_id_type(sorted(gene_universe)) == "symbol"


def wants_symbol_mapping(
    map_ids: MapIds, data_id_type: str, gene_universe: Iterable[str] | None
) -> bool:
    """Whether data whose IDs are of ``data_id_type`` should be mapped to symbols.

    Parameters
    ----------
    map_ids
        The ``map_ids`` switch (see :func:`check_map_ids`).
    data_id_type
        The data's identifier type (:func:`rrscore.ids.detect_id_type`); only Ensembl and
        Entrez IDs are mapped.
    gene_universe
        Genes of the gene sets to be scored; ``"auto"`` maps only when they are symbols.

    Returns
    -------
    bool
    """
    mode = check_map_ids(map_ids)
    if mode == "off" or data_id_type not in MAPPABLE_ID_TYPES:
        return False
    return mode == "symbol" or _sets_use_symbols(gene_universe)


def map_ids_to_symbols(ids: np.ndarray, id_type: str) -> tuple[np.ndarray, dict, list[str]]:
    """Replace Ensembl or Entrez IDs by approved symbols where the bundled reference knows them.

    Unmapped IDs keep their label: they cannot match symbol gene sets but stay in the data,
    so rank-based scores see the same gene universe as the input. IDs that map to the same
    symbol become duplicates, which the duplicates policy then collapses.

    Parameters
    ----------
    ids
        Cleaned identifiers (Ensembl versions already stripped).
    id_type
        ``"ensembl"`` or ``"entrez"``.

    Returns
    -------
    ids, summary, notes
        The new labels (object array), a summary dict (``from``, ``to``, ``n_ids``,
        ``n_mapped``, ``n_unmapped``, ``n_ambiguous``, ``n_symbols``) and notes for the
        input report.
    """
    ref = gene_reference()
    symbols = ref.to_symbol(ids, id_type)
    out = np.array(
        [s if s is not None else i for i, s in zip(ids, symbols, strict=True)], dtype=object
    )
    hit = np.array([s is not None for s in symbols], dtype=bool)
    n_mapped = int(hit.sum())
    n_unmapped = len(ids) - n_mapped
    n_ambiguous = 0
    if id_type == "ensembl" and n_unmapped:
        n_ambiguous = sum(1 for i in np.asarray(ids)[~hit] if ref.is_ambiguous_ensembl(str(i)))
    n_symbols = len({s for s in symbols if s is not None})
    summary = {
        "from": id_type,
        "to": "symbol",
        "n_ids": len(ids),
        "n_mapped": n_mapped,
        "n_unmapped": n_unmapped,
        "n_ambiguous": n_ambiguous,
        "n_symbols": n_symbols,
        "reference": REFERENCE_SOURCE,
    }
    what = ID_TYPE_WORDS[id_type]
    note = (
        f"mapped {n_mapped} of {len(ids)} {what} to {n_symbols} gene symbols with the bundled "
        f"gene reference ({REFERENCE_SOURCE})"
    )
    if n_unmapped:
        note += (
            f"; {n_unmapped} unmapped IDs keep their label (they cannot match symbol gene sets "
            "but stay in the data)"
        )
        if n_ambiguous:
            note += f", {n_ambiguous} of them linked to several genes"
        examples = [str(i) for i in np.asarray(ids)[~hit][:3]]
        note += f", e.g. {examples}"
    return out, summary, [note]


def alias_resolver(
    map_ids: MapIds, gene_universe: Iterable[str] | None
) -> Callable[[str], Iterable[str]] | None:
    """The ``synonyms`` hook for gene-set matching, or None when alias matching is off.

    Alias matching is used when ``map_ids`` is not ``"off"`` and the gene sets use symbols.

    Parameters
    ----------
    map_ids
        The ``map_ids`` switch (see :func:`check_map_ids`).
    gene_universe
        Genes of the gene sets to be matched.

    Returns
    -------
    callable or None
        :meth:`GeneReference.synonyms <rrscore.ids.GeneReference.synonyms>` of the bundled
        reference, or None.
    """
    if check_map_ids(map_ids) == "off" or not _sets_use_symbols(gene_universe):
        return None
    return gene_reference().synonyms
