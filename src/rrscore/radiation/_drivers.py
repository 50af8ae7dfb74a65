"""Driver-mutation component of the radioresistance report (review section 3.10).

Mutation status is not expression, so it is never blended into the expression composite: it is
reported in its own columns next to it. The genes, the direction of their effect and the
evidence come from the bundled ``genesets/drivers.tsv``; which mutations count is written there
in words (``mutation_classes``) and is implemented here as follows.

MAF input (``Hugo_Symbol``, ``Tumor_Sample_Barcode``, ``Variant_Classification``) — the
``Variant_Classification`` values that count, per gene (:data:`COUNTED_CLASSES`):

* KEAP1, STK11, TP53 (loss of function): ``Missense_Mutation``, ``Nonsense_Mutation``,
  ``Frame_Shift_Del``, ``Frame_Shift_Ins``, ``Splice_Site``;
* NFE2L2 (activating; truncating mutations do not count): ``Missense_Mutation``,
  ``In_Frame_Del``, ``In_Frame_Ins``;
* EGFR (activating): ``Missense_Mutation``, ``In_Frame_Del``, ``In_Frame_Ins``;
* KRAS (activating): ``Missense_Mutation``.

Every other class — ``Silent``, UTR, intron, flank, ``IGR``, ``RNA``, ``Splice_Region``,
``Nonstop_Mutation``, ``Translation_Start_Site`` — is ignored. When the MAF has a protein
change column (``HGVSp_Short``, ``Protein_Change``, ``amino_acid_change`` or ``HGVSp``), the
two genes for which drivers.tsv names the changes are restricted further: KRAS to codons 12 and
13; EGFR to L858R, L861Q, S768I and G719X missense, in-frame deletions starting in exon 19
(codons 729–761) and in-frame insertions/duplications starting in exon 20 (codons 762–823).
Not applied (no positions in drivers.tsv or not in a MAF): the KEAP1 BTB/Kelch and NFE2L2
DLG/ETGE domain restrictions of missense changes, TP53/STK11 domain restrictions, and
homozygous deletions (copy number, absent from a MAF).

A binary table (samples × genes, 1 = mutated, 0 = wild type, empty = unknown) is taken as
given: it is assumed to hold the caller's own non-silent calls (as TCGA PANCAN12 does).
Columns may be named by symbol, by the review's name (``LKB1``, ``NRF2``) or with a ``mut_``
prefix (``mut_KEAP1``); other columns are ignored.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from rrscore._resources import bundled_dir
from rrscore.errors import InputDataError, RadiationModelWarning, warn

#: Reported driver components (column name → genes; a component is mutated when any of its
#: genes is). KEAP1 and NFE2L2 form one component: both act through NRF2 activation and their
#: mutations are largely mutually exclusive.
DRIVER_COMPONENTS: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "driver_KEAP1_NFE2L2": ("KEAP1", "NFE2L2"),
    "driver_STK11": ("STK11",),
    "driver_KRAS": ("KRAS",),
    "driver_EGFR": ("EGFR",),
    "driver_TP53": ("TP53",),
})

DRIVER_GENES: tuple[str, ...] = tuple(g for genes in DRIVER_COMPONENTS.values() for g in genes)

_LOSS_OF_FUNCTION = (
    "Missense_Mutation", "Nonsense_Mutation", "Frame_Shift_Del", "Frame_Shift_Ins", "Splice_Site",
)
_ACTIVATING = ("Missense_Mutation", "In_Frame_Del", "In_Frame_Ins")

#: MAF ``Variant_Classification`` values counted per gene (from drivers.tsv
#: ``mutation_classes``).
COUNTED_CLASSES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "KEAP1": _LOSS_OF_FUNCTION,
    "STK11": _LOSS_OF_FUNCTION,
    "TP53": _LOSS_OF_FUNCTION,
    "NFE2L2": _ACTIVATING,
    "EGFR": _ACTIVATING,
    "KRAS": ("Missense_Mutation",),
})

MAF_COLUMNS = ("Hugo_Symbol", "Tumor_Sample_Barcode", "Variant_Classification")
PROTEIN_COLUMNS = ("HGVSp_Short", "Protein_Change", "amino_acid_change", "HGVSp")

_THREE_LETTER = {
    "Ala": "A", "Arg": "R", "Asn": "N", "Asp": "D", "Cys": "C", "Gln": "Q", "Glu": "E",
    "Gly": "G", "His": "H", "Ile": "I", "Leu": "L", "Lys": "K", "Met": "M", "Phe": "F",
    "Pro": "P", "Ser": "S", "Thr": "T", "Trp": "W", "Tyr": "Y", "Val": "V", "Ter": "*",
}
_THREE_RE = re.compile("|".join(_THREE_LETTER))
_CHANGE_RE = re.compile(r"^(?:p\.)?([A-Z*])(\d+)(\S*)$")
_TCGA_SAMPLE = re.compile(r"^(TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-\d{2})", re.IGNORECASE)


@lru_cache(maxsize=1)
def driver_table() -> pd.DataFrame:
    """The bundled ``drivers.tsv``: one row per driver gene, indexed by symbol.

    Columns: ``name_in_review``, ``section``, ``references`` (the review's reference
    numbers), ``direction`` (effect of the counted mutations), ``gene_role``, ``evidence``
    and ``mutation_classes``.
    """
    table = pd.read_csv(bundled_dir() / "drivers.tsv", sep="\t", dtype=str).fillna("")
    return table.set_index("symbol")


#: ``direction`` values of drivers.tsv and their sign: +1 promotes resistance, -1 sensitises,
#: 0 evidence unclear or context-dependent (reported, never counted).
DIRECTIONS: MappingProxyType[str, int] = MappingProxyType({
    "promotes_resistance": 1,
    "sensitises": -1,
    "sensitizes": -1,
    "unclear": 0,
    "context_dependent": 0,
})


def _direction_sign(direction: str) -> int:
    key = str(direction).strip().lower()
    if key not in DIRECTIONS:
        raise InputDataError(
            f"drivers.tsv: unknown direction {direction!r}; expected one of {list(DIRECTIONS)}"
        )
    return DIRECTIONS[key]


def component_signs() -> dict[str, int]:
    """Per component: +1 when its mutations promote resistance (drivers.tsv ``direction``),
    -1 when they sensitise, 0 when the evidence is unclear."""
    table = driver_table()
    signs = {}
    for column, genes in DRIVER_COMPONENTS.items():
        gene_signs = {_direction_sign(table.loc[g, "direction"]) for g in genes}
        if len(gene_signs) != 1:  # a component must not mix directions
            raise InputDataError(f"drivers.tsv gives {column} genes opposite directions")
        signs[column] = gene_signs.pop()
    return signs


def _protein_change(text: object) -> tuple[str, int, str] | None:
    """(reference residue, codon, rest) of a protein change like p.G12C or p.Gly12Cys."""
    if not isinstance(text, str) or not text.strip():
        return None
    short = _THREE_RE.sub(lambda m: _THREE_LETTER[m.group(0)], text.strip())
    match = _CHANGE_RE.match(short)
    if match is None:
        return None
    return match.group(1), int(match.group(2)), match.group(3)


def _protein_rule(gene: str, vclass: str, change: tuple[str, int, str] | None) -> bool:
    """The protein-level restriction of drivers.tsv for KRAS and EGFR (others pass)."""
    if gene not in ("KRAS", "EGFR"):
        return True
    if change is None:
        return False
    ref, codon, rest = change
    if gene == "KRAS":
        return vclass == "Missense_Mutation" and codon in (12, 13)
    if vclass == "Missense_Mutation":
        return f"{ref}{codon}{rest}" in ("L858R", "L861Q", "S768I") or (ref, codon) == ("G", 719)
    if vclass == "In_Frame_Del":
        return 729 <= codon <= 761  # exon 19
    if vclass == "In_Frame_Ins":
        return 762 <= codon <= 823  # exon 20 (insertions and duplications)
    return False


def read_maf(path: str | os.PathLike) -> pd.DataFrame:
    """Read a MAF file (tab-separated, optionally gzipped; ``#`` header lines skipped)."""
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"mutation file not found: {path}")
    return pd.read_csv(path, sep="\t", dtype=str, skiprows=_n_comment_lines(path),
                       low_memory=False)


def _n_comment_lines(path: Path) -> int:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    n = 0
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            n += 1
    return n


def _find_columns(table: pd.DataFrame, wanted: Sequence[str]) -> dict[str, str]:
    lower = {str(c).lower(): c for c in table.columns}
    return {w: lower[w.lower()] for w in wanted if w.lower() in lower}


def is_maf(table: pd.DataFrame) -> bool:
    """Whether a table has the three MAF columns (names matched case-insensitively)."""
    return len(_find_columns(table, MAF_COLUMNS)) == len(MAF_COLUMNS)


def maf_to_status(maf: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Per sequenced sample, 1/0 for each driver gene from a MAF.

    Every ``Tumor_Sample_Barcode`` in the MAF counts as sequenced (so a barcode whose only
    rows are silent is wild type for all drivers). Returns the table (barcodes × genes, int)
    and notes (counted classes, protein filter, variants seen and counted per gene).
    """
    cols = _find_columns(maf, MAF_COLUMNS)
    missing = [c for c in MAF_COLUMNS if c not in cols]
    if missing:
        raise InputDataError(
            f"a MAF needs the columns {list(MAF_COLUMNS)}; missing {missing}; "
            f"it has {list(maf.columns)[:12]}"
        )
    sym = maf[cols["Hugo_Symbol"]].astype(str).str.strip()
    barcode = maf[cols["Tumor_Sample_Barcode"]].astype(str).str.strip()
    vclass = maf[cols["Variant_Classification"]].astype(str).str.strip()
    protein_col = next(iter(_find_columns(maf, PROTEIN_COLUMNS).values()), None)
    samples = pd.Index(pd.unique(barcode[barcode.ne("") & barcode.ne("nan")]), name="sample")
    status = pd.DataFrame(0, index=samples, columns=list(DRIVER_GENES), dtype=np.int64)
    seen: dict[str, int] = {}
    counted: dict[str, int] = {}
    for gene in DRIVER_GENES:
        rows = sym.eq(gene)
        seen[gene] = int(rows.sum())
        ok = rows & vclass.isin(COUNTED_CLASSES[gene])
        if protein_col is not None and gene in ("KRAS", "EGFR"):
            keep = [
                _protein_rule(gene, vc, _protein_change(pc))
                for vc, pc in zip(vclass[ok], maf.loc[ok, protein_col], strict=True)
            ]
            ok = ok.copy()
            ok[ok] = np.asarray(keep, dtype=bool)
        counted[gene] = int(ok.sum())
        hit = pd.unique(barcode[ok])
        status.loc[status.index.isin(hit), gene] = 1
    notes = {
        "source": "maf",
        "counted_classes": {g: list(COUNTED_CLASSES[g]) for g in DRIVER_GENES},
        "protein_filter": protein_col or "",
        "variants_seen": seen,
        "variants_counted": counted,
    }
    return status, notes


def _binary_column(series: pd.Series, name: str) -> pd.Series:
    text = series.astype("string").str.strip().str.lower()
    mapped = text.map(
        {"true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0, "1.0": 1.0, "0.0": 0.0, "yes": 1.0,
         "no": 0.0, "": np.nan, "na": np.nan, "nan": np.nan, "<na>": np.nan},
    )
    unknown = text.notna() & mapped.isna() & ~text.isin(["", "na", "nan", "<na>"])
    if unknown.any():
        raise InputDataError(
            f"mutation column {name!r} must hold 1/0 (or true/false, empty for unknown); "
            f"got e.g. {sorted(series[unknown].astype(str).unique())[:5]}"
        )
    return mapped.astype(float)


def table_to_status(table: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Driver genes (1/0/NaN) from a binary samples × genes table; other columns ignored."""
    aliases = {}
    review_names = driver_table()["name_in_review"]
    for gene in DRIVER_GENES:
        for label in (gene, review_names.get(gene, ""), f"mut_{gene}",
                      f"mut_{review_names.get(gene, '')}"):
            if label and label != "mut_":
                aliases[label.lower()] = gene
    found: dict[str, str] = {}
    for col in table.columns:
        gene = aliases.get(str(col).strip().lower())
        if gene is None:
            continue
        if gene in found:
            raise InputDataError(
                f"mutation table has two columns for {gene}: {found[gene]!r} and {col!r}"
            )
        found[gene] = col
    if not found:
        # genes as rows (a genes × samples table)?
        if any(str(i).strip().lower() in aliases for i in table.index):
            return table_to_status(table.T)
        raise InputDataError(
            "the mutation table has no driver-gene column (expected some of "
            f"{list(DRIVER_GENES)}, optionally prefixed mut_); it has {list(table.columns)[:12]}"
        )
    status = pd.DataFrame(
        {g: _binary_column(table[found[g]], str(found[g])) for g in DRIVER_GENES if g in found},
        index=pd.Index(table.index.astype(str), name="sample"),
    )
    notes = {"source": "table", "columns": {g: str(c) for g, c in found.items()}}
    return status, notes


def _tcga_key(label: str) -> str | None:
    match = _TCGA_SAMPLE.match(label)
    return match.group(1).upper() if match else None


def align_samples(status: pd.DataFrame, samples: pd.Index) -> tuple[pd.DataFrame, list[str]]:
    """Rows of ``status`` for ``samples``: exact labels, then TCGA sample barcodes.

    A TCGA aliquot barcode (``TCGA-05-4244-01A-01D-1105-08``) matches an expression sample
    with the same participant and sample type (``TCGA-05-4244-01``) when that is
    unambiguous; several mutation rows for one sample are combined (mutated if any is).
    Samples without mutation data get NaN.
    """
    index = status.index.astype(str)
    exact = {s: i for i, s in enumerate(index)}
    by_key: dict[str, list[int]] = {}
    for i, s in enumerate(index):
        key = _tcga_key(s)
        if key is not None:
            by_key.setdefault(key, []).append(i)
    values = status.to_numpy(dtype=float)
    out = np.full((len(samples), status.shape[1]), np.nan)
    unmatched = []
    for r, sample in enumerate(samples.astype(str)):
        if sample in exact:
            out[r] = values[exact[sample]]
            continue
        key = _tcga_key(sample)
        rows = by_key.get(key, []) if key is not None else []
        if rows:
            out[r] = np.nanmax(values[rows], axis=0) if len(rows) > 1 else values[rows[0]]
        else:
            unmatched.append(sample)
    return pd.DataFrame(out, index=samples, columns=status.columns), unmatched


def _sequenced_wild_type(aligned: pd.DataFrame, sequenced, samples: pd.Index,
                         unmatched: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Samples sequenced but absent from the mutation data: wild type (0) for every gene."""
    keys = {str(s) for s in sequenced}
    tcga = {_tcga_key(k) for k in keys} - {None}
    absent = set(unmatched)  # samples in the mutation data keep their calls and unknowns
    declared = []
    out = aligned.copy()
    for r, sample in enumerate(samples.astype(str)):
        if sample not in absent:
            continue
        if sample in keys or (_tcga_key(sample) is not None and _tcga_key(sample) in tcga):
            out.iloc[r] = 0.0
            declared.append(sample)
    return out, declared


def driver_component(mutations, samples: Sequence[object], *, sequenced=None
                     ) -> tuple[pd.DataFrame, dict]:
    """The driver columns for ``samples`` from a mutation table, a MAF DataFrame or a path.

    Parameters
    ----------
    mutations
        A MAF (DataFrame with ``Hugo_Symbol``, ``Tumor_Sample_Barcode``,
        ``Variant_Classification``, or a path to a MAF file), or a binary samples × genes
        table (DataFrame, or a path to a TSV/CSV whose first column is the sample label).
    samples
        The expression samples, in order.
    sequenced
        Optional: the IDs of every sample that was sequenced (a list, or a path to a text
        file with one ID per line). A MAF lists only samples with some variant, so a
        sequenced sample absent from it has no mutation in any driver: it gets 0 (wild
        type) instead of NaN (unknown). IDs match exactly or by TCGA sample barcode.

    Returns
    -------
    (pandas.DataFrame, dict)
        Columns ``driver_KEAP1_NFE2L2``, ``driver_STK11``, ``driver_KRAS``, ``driver_EGFR``,
        ``driver_TP53`` (1 mutated, 0 wild type, NaN unknown) and ``driver_score``: the
        number of mutated components whose mutations promote resistance per drivers.tsv
        (``direction`` ``promotes_resistance``); components that sensitise (EGFR's activating
        mutations, per drivers.tsv) or whose evidence is unclear are reported in their own
        column and never counted. NaN where a counted component is unknown. Components whose
        genes are all absent from a table are left out of the score (and are NaN) with a
        warning. The dict records the source, counted classes, genes per component, signs,
        the components counted and unmatched samples.
    """
    if isinstance(mutations, (str, os.PathLike)):
        path = Path(mutations)
        if not path.exists():
            raise InputDataError(f"mutation file not found: {path}")
        sep = "," if ".csv" in [x.lower() for x in path.suffixes] else "\t"
        head = pd.read_csv(path, sep=sep, dtype=str, skiprows=_n_comment_lines(path),
                           low_memory=False)
        if not is_maf(head):  # a binary table: first column holds the sample labels
            head = head.set_index(head.columns[0])
        mutations = head
    if not isinstance(mutations, pd.DataFrame):
        raise InputDataError(
            f"mutations must be a DataFrame or a file path, got {type(mutations).__name__}"
        )
    sequenced = _read_sequenced(sequenced)
    if is_maf(mutations):
        status, notes = maf_to_status(mutations)
    else:
        status, notes = table_to_status(mutations)
    samples = pd.Index([str(s) for s in samples])
    aligned, unmatched = align_samples(status, samples)
    declared: list[str] = []
    if sequenced is not None:
        aligned, declared = _sequenced_wild_type(aligned, sequenced, samples, unmatched)
        unmatched = [s for s in unmatched if s not in set(declared)]
    if len(unmatched) == len(samples):
        raise InputDataError(
            f"no expression sample is in the mutation data (samples e.g. {list(samples[:3])}; "
            f"mutation samples e.g. {list(status.index[:3])})"
        )
    if unmatched:
        warn(
            f"{len(unmatched)} samples have no mutation data (driver columns NaN): "
            f"{unmatched[:5]}{' ...' if len(unmatched) > 5 else ''}"
            + ("" if sequenced is not None else
               "; if they were sequenced and have no variant, pass sequenced= (the list of "
               "sequenced samples) to make them wild type"),
            RadiationModelWarning,
        )
    signs = component_signs()
    out = pd.DataFrame(index=samples)
    present_components = []
    for column, genes in DRIVER_COMPONENTS.items():
        have = [g for g in genes if g in aligned.columns]
        if not have:
            out[column] = np.nan
            continue
        present_components.append(column)
        block = aligned[have]
        # mutated if any gene is; wild type only if every available gene is known wild type
        value = np.where((block == 1).any(axis=1), 1.0,
                         np.where(block.notna().all(axis=1), 0.0, np.nan))
        out[column] = value
    absent = [g for g in DRIVER_GENES if g not in aligned.columns]
    counted = [c for c in present_components if signs[c] > 0]
    if absent:
        warn(
            f"mutation data has no column for {', '.join(absent)}: "
            + ("components without any gene are NaN and left out of driver_score"
               if len(present_components) < len(DRIVER_COMPONENTS)
               else "their components use the remaining genes only"),
            RadiationModelWarning,
        )
    out["driver_score"] = out[counted].sum(axis=1, skipna=False) if counted else np.nan
    out = out.astype("Int64")  # 1/0 with <NA> for unknown
    notes = {
        **notes,
        "components": {c: list(g) for c, g in DRIVER_COMPONENTS.items()},
        "in_driver_score": counted,
        "signs": {c: signs[c] for c in present_components},
        "not_counted": {c: ("sensitises" if signs[c] < 0 else "unclear evidence")
                        for c in present_components if signs[c] <= 0},
        "absent_genes": absent,
        "unmatched_samples": unmatched,
        "sequenced_wild_type": declared,
    }
    return out, notes


def _read_sequenced(sequenced) -> list[str] | None:
    """``sequenced=`` as a list of IDs (a path is a file with one ID per line)."""
    if sequenced is None:
        return None
    if isinstance(sequenced, (str, os.PathLike)):
        path = Path(sequenced)
        if not path.is_file():
            raise InputDataError(f"sequenced-samples file not found: {path}")
        lines = path.read_text(encoding="utf-8").splitlines()
        return [x.strip() for x in lines if x.strip() and not x.startswith("#")]
    if isinstance(sequenced, (pd.Series, pd.Index, np.ndarray, list, tuple, set, frozenset)):
        return [str(x) for x in sequenced]
    raise InputDataError(
        f"sequenced must be a list of sample IDs or a file path, got {type(sequenced).__name__}"
    )
