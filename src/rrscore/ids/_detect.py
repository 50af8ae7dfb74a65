"""Gene identifiers: cleaning (versions, TCGA ``SYMBOL|ENTREZ``, whitespace), ID-type detection."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

_ENSEMBL_GENE = re.compile(r"^(ENS[A-Z]*G\d{11})(\.\d+)?(_PAR_Y)?$")
_ENSEMBL_ANY = re.compile(r"^ENS[A-Z]*[GTP]\d{11}(\.\d+)?(_PAR_Y)?$")
_ENTREZ = re.compile(r"^\d+$")
_TCGA = re.compile(r"^[^|]+\|\d+$")
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


def detect_id_type(labels: Iterable[object], *, sample: int = 5000) -> str:
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
    if not values:
        return "unknown"
    if len(values) > sample:
        step = len(values) / sample
        values = [values[int(i * step)] for i in range(sample)]
    checks = [
        ("ensembl", _ENSEMBL_ANY),
        ("tcga_symbol_entrez", _TCGA),
        ("affy_probe", _AFFY),
        ("illumina_probe", _ILLUMINA),
        ("agilent_probe", _AGILENT),
        ("refseq", _REFSEQ),
        ("entrez", _ENTREZ),
    ]
    for kind, pattern in checks:
        hits = sum(1 for v in values if pattern.match(v))
        if hits >= 0.5 * len(values):
            return kind
    symbolish = sum(1 for v in values if re.match(r"^[A-Za-z][A-Za-z0-9.\-@/_]*$", v))
    return "symbol" if symbolish >= 0.5 * len(values) else "unknown"


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
        The detected type of the *input* labels.
    """

    ids: np.ndarray
    keep: np.ndarray
    notes: list[str]
    id_type: str


def clean_gene_ids(labels: Iterable[object]) -> CleanedIds:
    """Normalise gene identifiers as found in expression files.

    * surrounding whitespace is stripped; empty or missing labels are dropped;
    * Ensembl IDs lose their version suffix (``ENSG00000141510.16`` → ``ENSG00000141510``);
      GENCODE ``_PAR_Y`` copies of pseudo-autosomal genes are dropped (the X copy stays);
    * TCGA ``SYMBOL|ENTREZ`` labels keep the symbol; ``?|ENTREZ`` rows (no symbol) are dropped.

    Case is kept: matching to gene sets falls back to case-insensitive comparison.

    Parameters
    ----------
    labels
        Gene labels as found in the data (``None``/NaN count as empty).

    Returns
    -------
    CleanedIds
        The cleaned identifier of every label, which ones to keep, notes for the input
        report, and the detected type of the labels.
    """
    raw = ["" if x is None or (isinstance(x, float) and np.isnan(x)) else str(x) for x in labels]
    id_type = detect_id_type(raw)
    ids = np.empty(len(raw), dtype=object)
    keep = np.ones(len(raw), dtype=bool)
    notes: list[str] = []
    n_empty = n_version = n_par = n_unknown_symbol = 0
    for i, label in enumerate(raw):
        label = label.strip()
        if not label or label.lower() in ("nan", "na"):
            keep[i] = False
            n_empty += 1
            ids[i] = ""
            continue
        if id_type == "ensembl":
            m = _ENSEMBL_GENE.match(label)
            if m:
                if m.group(3):
                    keep[i] = False
                    n_par += 1
                if m.group(2):
                    n_version += 1
                label = m.group(1)
        elif id_type == "tcga_symbol_entrez" and "|" in label:
            symbol = label.split("|", 1)[0].strip()
            if symbol in ("?", ""):
                keep[i] = False
                n_unknown_symbol += 1
            label = symbol
        ids[i] = label
    if n_empty:
        notes.append(f"dropped {n_empty} rows with an empty gene identifier")
    if n_version:
        notes.append(f"removed the version suffix from {n_version} Ensembl IDs")
    if n_par:
        notes.append(f"dropped {n_par} GENCODE _PAR_Y rows (Y copies of pseudo-autosomal genes)")
    if id_type == "tcga_symbol_entrez":
        notes.append("TCGA SYMBOL|ENTREZ identifiers: kept the symbol part")
    if n_unknown_symbol:
        notes.append(f"dropped {n_unknown_symbol} TCGA '?|ENTREZ' rows that have no gene symbol")
    return CleanedIds(ids=ids, keep=keep, notes=notes, id_type=id_type)
