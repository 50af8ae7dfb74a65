"""Gene identifiers: cleaning (versions, TCGA ``SYMBOL|ENTREZ``, whitespace), ID-type detection.

Each label is cleaned by what it looks like itself, not by the majority type of its index: a
symbol table with TCGA ``SYMBOL|ENTREZ`` labels on some rows, or Ensembl IDs with versions
among symbols, gets every such label cleaned. The type of each label
(:func:`classify_ids`) is kept, so that an index mixing several ID types is reported
(:attr:`CleanedIds.id_types`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

#: Labels :func:`detect_id_type` looks at (spread evenly over the index).
_SAMPLE = 5000
_ENSEMBL_GENE = re.compile(r"^(ENS[A-Z]*G\d{11})(\.\d+)?(_PAR_Y)?$")
_ENSEMBL_ANY = re.compile(r"^ENS[A-Z]*[GTP]\d{11}(\.\d+)?(_PAR_Y)?$")
_ENTREZ = re.compile(r"^\d+$")
_TCGA = re.compile(r"^[^|]+\|\d+$")
_TCGA_ANY_SYMBOL = re.compile(r"^[^|]*\|\d+$")  # '|5' too: a TCGA row without a symbol
_AFFY = re.compile(r"^\d+(_[a-z]+)*_at$|^AFFX-", re.IGNORECASE)
_ILLUMINA = re.compile(r"^ILMN_\d+$")
_AGILENT = re.compile(r"^A_\d+_P\d+$")
_REFSEQ = re.compile(r"^[NX][MR]_\d+(\.\d+)?$")

ID_TYPE_WORDS = {
    "symbol": "gene symbols (HGNC-style)",
    "ensembl": "Ensembl gene IDs",
    "entrez": "Entrez/NCBI gene IDs",
    "tcga_symbol_entrez": "TCGA-style SYMBOL|ENTREZ IDs",
    "affy_probe": "Affymetrix probe IDs",
    "illumina_probe": "Illumina probe IDs",
    "agilent_probe": "Agilent probe IDs",
    "refseq": "RefSeq transcript IDs",
    "unknown": "identifiers of no recognised type",
}


_CHECKS = (
    ("ensembl", _ENSEMBL_ANY),
    ("tcga_symbol_entrez", _TCGA),
    ("affy_probe", _AFFY),
    ("illumina_probe", _ILLUMINA),
    ("agilent_probe", _AGILENT),
    ("refseq", _REFSEQ),
    ("entrez", _ENTREZ),
)
_SYMBOLISH = re.compile(r"^[A-Za-z][A-Za-z0-9.\-@/_]*$")
# The same patterns in one expression, tried in the same order (the first alternative that
# matches the whole label names its type): one match per label, as every label is classified.
_ONE = re.compile(
    r"^(?:(?P<ensembl>ENS[A-Z]*[GTP]\d{11}(?:\.\d+)?(?:_PAR_Y)?)"
    r"|(?P<tcga_symbol_entrez>[^|]+\|\d+)"
    r"|(?P<affy_probe>(?i:\d+(?:_[a-z]+)*_at|AFFX-.*))"
    r"|(?P<illumina_probe>ILMN_\d+)"
    r"|(?P<agilent_probe>A_\d+_P\d+)"
    r"|(?P<refseq>[NX][MR]_\d+(?:\.\d+)?)"
    r"|(?P<entrez>\d+)"
    r"|(?P<symbol>[A-Za-z][A-Za-z0-9.\-@/_]*))$"
)


def classify_id(label: str) -> str:
    """The identifier type of one label (stripped), by the rules of :func:`detect_id_type`.

    Parameters
    ----------
    label
        One gene label.

    Returns
    -------
    str
        A key of :data:`ID_TYPE_WORDS`: the first pattern it matches (Ensembl, TCGA, probe
        IDs, RefSeq, Entrez), else ``"symbol"`` when it looks like a symbol, else
        ``"unknown"``.
    """
    m = _ONE.match(label)
    return m.lastgroup if m else "unknown"


def classify_ids(labels: Iterable[object]) -> np.ndarray:
    """:func:`classify_id` of every label (object array of type names).

    Parameters
    ----------
    labels
        Gene labels (anything with a string form).

    Returns
    -------
    numpy.ndarray
    """
    return np.array([classify_id(str(x).strip()) for x in labels], dtype=object)


def detect_id_type(labels: Iterable[object], *, sample: int = _SAMPLE) -> str:
    """Guess the identifier type of gene labels by majority vote over a sample.

    Parameters
    ----------
    labels
        Gene labels (anything with a string form).
    sample
        At most this many labels, spread evenly over ``labels``, are looked at.

    Returns
    -------
    str
        One of the keys of :data:`ID_TYPE_WORDS`: the first type (Ensembl, TCGA, probe IDs,
        RefSeq, Entrez, in that order) that at least half the labels match, else
        ``"symbol"`` when half of them look like symbols, else ``"unknown"``.
    """
    values = [str(x).strip() for x in labels]
    if len(values) > sample:
        step = len(values) / sample
        values = [values[int(i * step)] for i in range(sample)]
    return _majority([classify_id(v) for v in values], values)


def _majority(types: list[str], values: list[str]) -> str:
    """The majority rule of :func:`detect_id_type` on classified labels.

    The patterns before the symbol one match disjoint sets of labels, so counting each
    label's first match counts each pattern's matches; the symbol vote counts every label
    that looks like a symbol (Ensembl and probe IDs included), as it always has.
    """
    if not values:
        return "unknown"
    half = 0.5 * len(values)
    counts = Counter(types)
    for kind, _ in _CHECKS:
        if counts[kind] >= half:
            return kind
    symbolish = sum(1 for v in values if _SYMBOLISH.match(v))
    return "symbol" if symbolish >= half else "unknown"


@dataclass
class CleanedIds:
    """Result of :func:`clean_gene_ids`.

    Attributes
    ----------
    ids
        Cleaned identifier per input row (object array).
    keep
        Boolean mask: rows that carry a usable identifier.
    notes
        Human-readable notes on what was changed or dropped.
    id_type
        The detected type of the *input* labels (the majority).
    types
        The type of each cleaned identifier (:func:`classify_id`; a TCGA label's symbol
        part is a ``"symbol"``), ``""`` for dropped rows.
    id_types
        Count of each type among the kept identifiers when they mix several types
        (``"unknown"`` not counted), else empty.
    """

    ids: np.ndarray
    keep: np.ndarray
    notes: list[str]
    id_type: str
    types: np.ndarray | None = None
    id_types: dict | None = None


def clean_gene_ids(labels: Iterable[object]) -> CleanedIds:
    """Normalise gene identifiers as found in expression files.

    * surrounding whitespace is stripped; empty or missing labels are dropped;
    * Ensembl IDs lose their version suffix (``ENSG00000141510.16`` → ``ENSG00000141510``);
      GENCODE ``_PAR_Y`` copies of pseudo-autosomal genes are dropped (the X copy stays);
    * TCGA ``SYMBOL|ENTREZ`` labels keep the symbol; ``?|ENTREZ`` rows (no symbol) are dropped.

    Every label is cleaned by its own look, whatever the majority: TCGA labels on some rows
    of a symbol table are split too, and Ensembl IDs among symbols lose their version.
    Case is kept: matching to gene sets falls back to case-insensitive comparison.

    Parameters
    ----------
    labels
        Gene labels as found in the data (``None``/NaN count as empty).

    Returns
    -------
    CleanedIds
        The cleaned identifier of every label, which ones to keep, notes for the input
        report, the detected type of the labels, and the type of each cleaned identifier.
    """
    # as text (None and NaN empty): 1, 1.0 and True are equal keys but different labels
    text = tuple("" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)
                 for x in labels)
    cached = _clean_cached(text)
    # copies: callers may change what they get
    return replace(cached, ids=cached.ids.copy(), keep=cached.keep.copy(),
                   notes=list(cached.notes), types=cached.types.copy(),
                   id_types=dict(cached.id_types))


@lru_cache(maxsize=4)
def _clean_cached(text: tuple[str, ...]) -> CleanedIds:
    # the input layer cleans one index up to three times (orientation of a table, then the
    # gene plan): a small cache keyed on the labels' text does it once
    raw = [x.strip() for x in text]
    kinds = [classify_id(label) for label in raw]  # one regex match per label
    if len(raw) > _SAMPLE:  # the sample detect_id_type looks at
        step = len(raw) / _SAMPLE
        at = [int(i * step) for i in range(_SAMPLE)]
        id_type = _majority([kinds[i] for i in at], [raw[i] for i in at])
    else:
        id_type = _majority(kinds, raw)
    ids = np.empty(len(raw), dtype=object)
    types = np.empty(len(raw), dtype=object)
    keep = np.ones(len(raw), dtype=bool)
    notes: list[str] = []
    n_empty = n_version = n_par = n_unknown_symbol = n_tcga = 0
    split_any_bar = id_type == "tcga_symbol_entrez"
    for i, label in enumerate(raw):
        kind = kinds[i]
        if kind == "ensembl":
            m = _ENSEMBL_GENE.match(label)
            if m:
                if m.group(3):
                    keep[i] = False
                    n_par += 1
                if m.group(2):
                    n_version += 1
                label = m.group(1)
        elif not label or label.lower() in ("nan", "na"):
            keep[i] = False
            n_empty += 1
            ids[i] = types[i] = ""
            continue
        elif "|" in label and (kind == "tcga_symbol_entrez" or split_any_bar
                               or _TCGA_ANY_SYMBOL.match(label)):
            n_tcga += 1
            symbol = label.split("|", 1)[0].strip()
            if symbol in ("?", ""):
                keep[i] = False
                n_unknown_symbol += 1
                symbol = ""
            label = symbol
            kind = classify_id(symbol) if symbol else ""
        ids[i] = label
        types[i] = kind
    if n_empty:
        notes.append(f"dropped {n_empty} rows with an empty gene identifier")
    if n_version:
        notes.append(f"removed the version suffix from {n_version} Ensembl IDs")
    if n_par:
        notes.append(f"dropped {n_par} GENCODE _PAR_Y rows (Y copies of pseudo-autosomal genes)")
    if id_type == "tcga_symbol_entrez":
        notes.append("TCGA SYMBOL|ENTREZ identifiers: kept the symbol part")
    elif n_tcga:
        notes.append(
            f"{n_tcga} TCGA-style SYMBOL|ENTREZ labels among {ID_TYPE_WORDS[id_type]}: kept "
            "their symbol part"
        )
    if n_unknown_symbol:
        notes.append(f"dropped {n_unknown_symbol} TCGA '?|ENTREZ' rows that have no gene symbol")
    kinds, counts = np.unique(types[keep].astype(str), return_counts=True)
    mixed = {str(k): int(c) for k, c in zip(kinds, counts, strict=True) if k != "unknown"}
    if len(mixed) < 2:
        mixed = {}
    else:
        mixed = dict(sorted(mixed.items(), key=lambda kv: -kv[1]))
    return CleanedIds(ids=ids, keep=keep, notes=notes, id_type=id_type, types=types,
                      id_types=mixed)
