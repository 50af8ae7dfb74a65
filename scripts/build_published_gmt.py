#!/usr/bin/env python3
"""Build genesets/published.gmt, the published radiation-signature collection.

Reads the gene lists collected in ``../shared/reference/gene_lists/`` (see
``../shared/reference/signatures.md``) and brings every symbol to the current
approved symbol of ``genesets/gene_reference.tsv.gz``. Renamings and exclusions
are printed as a Markdown table; ``genesets/PUBLISHED.md`` records them.

Usage (from the repository root)::

    python scripts/build_published_gmt.py [--shared ../shared] [--out genesets/published.gmt]

The rules:
- a symbol that is approved in the table is kept;
- otherwise it is replaced through an *unambiguous* alias of the table (case-insensitive),
  or through an explicit, documented curation in ``CURATED`` below;
- anything else is dropped and reported.
Sets keep the gene order of their source. A gene listed twice after renaming is
kept once.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import pandas as pd

HALLMARKS = [
    "HYPOXIA",
    "DNA_REPAIR",
    "EPITHELIAL_MESENCHYMAL_TRANSITION",
    "GLYCOLYSIS",
    "REACTIVE_OXYGEN_SPECIES_PATHWAY",
    "P53_PATHWAY",
    "G2M_CHECKPOINT",
    "INTERFERON_ALPHA_RESPONSE",
    "INTERFERON_GAMMA_RESPONSE",
]
HALLMARK_DESC = (
    "MSigDB v7.0 hallmark, CC BY 4.0, Liberzon et al. 2015 (Cell Syst 1:417-425); "
    "symbols updated to HGNC 2022, see genesets/PUBLISHED.md"
)

# Per-set curations that the alias table cannot make: (set, published name) -> symbol or None.
CURATED = {
    # RadiationGeneSigDB maps these FLJ clone names through their Entrez IDs; NCBI's 2022
    # synonym list no longer carries the FLJ names, so the table cannot confirm them.
    ("IRDS_WEICHSELBAUM2008", "FLJ20035"): "DDX60",
    ("IRDS_WEICHSELBAUM2008", "FLJ38348"): "GPATCH11",
    # No Entrez ID in RadiationGeneSigDB, no NCBI alias; "probably ALDH3A1" is unconfirmed.
    ("IRDS_WEICHSELBAUM2008", "LDH3A1"): None,
    # Genome-wide ambiguous aliases (NP is also an alias of other genes; AK3L1 of AK3 and
    # AK4). In Buffa's list NP is purine nucleoside phosphorylase and AK3L1 adenylate
    # kinase 3-like 1, i.e. PNP and AK4, as gene_lists/buffa2010_hypoxia_51.tsv records.
    ("HYPOXIA_BUFFA2010", "NP"): "PNP",
    ("HYPOXIA_BUFFA2010", "AK3L1"): "AK4",
}

CURATION_NOTE = {
    "IRDS_WEICHSELBAUM2008": "RadiationGeneSigDB Entrez-based mapping (alias no longer in NCBI)",
    "HYPOXIA_BUFFA2010": "ambiguous alias resolved by the source's own mapping",
}

DESCRIPTIONS = {
    "RSI_ESCHRICH2009": (
        "Radiosensitivity Index (RSI) genes, 10-gene rank model; high RSI = radioresistant. "
        "Eschrich SA, Pramana J, Zhang H et al. 2009, Int J Radiat Oncol Biol Phys 75(2):489-496, "
        "PMID 19735873, doi 10.1016/j.ijrobp.2009.06.014. PAK2 and PRKCB per the authors' code "
        "(steveneschrich/rsi-rnaseq); copies listing CDK1 or PRRT2 are wrong"
    ),
    "IRDS_WEICHSELBAUM2008": (
        "Interferon-related DNA damage resistance signature (IRDS), genes up in resistant "
        "tumours/cells. Weichselbaum RR, Ishwaran H, Yoon T et al. 2008, PNAS 105(47):18490-18495, "
        "doi 10.1073/pnas.0809242105, PMC2587578. List via RadiationGeneSigDB; 48 of 49 genes "
        "(LDH3A1 unresolved)"
    ),
    "HYPOXIA_BUFFA2010": (
        "Buffa hypoxia metagene (51 genes), up in hypoxic tumours. Buffa FM et al. 2010, "
        "Br J Cancer 102:428-435. Current HGNC symbols"
    ),
    "HYPOXIA_EUSTACE2013": (
        "Eustace hypoxia signature (26 genes, laryngeal cancer/BCON), up in hypoxic tumours. "
        "Eustace A et al. 2013, Clin Cancer Res 19:4879-4888, doi 10.1158/1078-0432.CCR-13-0542"
    ),
    "RADIOSENSITIVITY_KIM2012": (
        "31-gene radiosensitivity signature from an NCI-60 meta-analysis (no direction given in "
        "the sources used). Kim HS et al. 2012, BMC Genomics 13:348. "
        "List via RadiationGeneSigDB and "
        "RadSigBench"
    ),
    "RADIATION_AMUNDSON2008": (
        "21-gene radiation-response list from the NCI-60 panel (no direction given in the source "
        "used). Amundson SA et al. 2008, Cancer Res 68:415-424. List via RadiationGeneSigDB"
    ),
    "SINGH_NFE2L2_TARGETS": (
        "NRF2 (NFE2L2) target genes induced by KEAP1 loss in lung cancer. Singh A et al. 2006, "
        "PLoS Med 3(10):e420. MSigDB v7.0 C2 CGP set SINGH_NFE2L2_TARGETS, CC BY 4.0"
    ),
}


def load_reference(path: Path):
    ref = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    approved = set(ref["symbol"])
    alias = {}
    for sym, al in zip(ref["symbol"], ref["aliases"], strict=True):
        for a in filter(None, al.split(";")):
            alias.setdefault(a.upper(), set()).add(sym)
    return ref, approved, {k: next(iter(v)) for k, v in alias.items() if len(v) == 1}


def read_tsv_column(path: Path, column: str) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [row[column].strip() for row in csv.DictReader(fh, delimiter="\t")]


def read_lines(path: Path) -> list[str]:
    return [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def read_gmt(path: Path) -> dict[str, list[str]]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split("\t")
        out[f[0]] = [g for g in f[2:] if g]
    return out


def rename_sets(
    raw: dict[str, list[str]],
    approved: set[str],
    alias: dict[str, str],
    curated: dict[tuple[str, str], str | None],
) -> tuple[dict[str, list[str]], list[tuple[str, str, str, str]]]:
    """Bring every set to approved symbols, by the rules of the module docstring.

    ``alias`` maps upper-cased unambiguous aliases to their symbol (``load_reference``);
    ``curated`` maps (set, listed name) to a symbol, or to None to drop it. Returns the
    renamed sets (source order, first occurrence kept) and the report rows
    (set, as listed, now or "-", how) of every gene that was not kept as listed.
    build_hallmark_gmt.py uses the same function, so the hallmarks shipped in both
    collections cannot diverge.
    """
    sets: dict[str, list[str]] = {}
    report: list[tuple[str, str, str, str]] = []
    for set_name, genes in raw.items():
        out: list[str] = []
        for g in genes:
            if (set_name, g) in curated:
                new = curated[(set_name, g)]
                how = ("curated: " + CURATION_NOTE[set_name]) if new else "dropped: unresolvable"
            elif g in approved:
                new, how = g, ""
            elif g.upper() in alias:
                new, how = alias[g.upper()], "unambiguous alias in gene_reference"
            else:
                new, how = None, "dropped: not an approved symbol or unambiguous alias"
            if how:
                report.append((set_name, g, new or "-", how))
            if new is not None and new not in out:
                out.append(new)
            elif new is not None:
                report.append((set_name, g, new, "duplicate after renaming: kept once"))
        assert all(x in approved for x in out)
        sets[set_name] = out
    return sets, report


def print_report(report: list[tuple[str, str, str, str]]) -> None:
    """Print the report rows of ``rename_sets`` as a Markdown table on stdout."""
    print("| Set | As listed | Now | How |\n|---|---|---|---|")
    for r in report:
        print("| " + " | ".join(r) + " |")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="../shared", help="path of the shared folder")
    ap.add_argument("--reference", default="genesets/gene_reference.tsv.gz")
    ap.add_argument("--out", default="genesets/published.gmt")
    args = ap.parse_args()
    gl = Path(args.shared) / "reference" / "gene_lists"
    ref, approved, alias = load_reference(Path(args.reference))

    raw: dict[str, list[str]] = {}
    expected: dict[str, list[str]] = {}  # independent current-symbol lists to agree with
    # RSI: the authors' coefficient table (MIT) and hacksig (MIT) must agree.
    rsi = read_tsv_column(gl / "rsi_eschrich2009_coefficients.tsv", "gene_symbol")
    hack = pd.read_csv(gl / "hacksig_signatures.csv", dtype=str)
    hack_rsi = hack.loc[hack.signature_id == "eschrich2009_rsi", "gene_symbol"].tolist()
    assert rsi == hack_rsi, (rsi, hack_rsi)
    assert "CDK1" not in rsi and "PRRT2" not in rsi and {"PAK2", "PRKCB"} <= set(rsi)
    raw["RSI_ESCHRICH2009"] = rsi

    irds = read_tsv_column(gl / "radiationgenesigdb_Weichselbaum_2008.tsv", "published")
    assert len(irds) == 49
    raw["IRDS_WEICHSELBAUM2008"] = irds
    fixed = read_tsv_column(gl / "radiationgenesigdb_Weichselbaum_2008.tsv", "fixed")
    expected["IRDS_WEICHSELBAUM2008"] = [f for f in fixed if f != "0"]

    buffa = pd.read_csv(gl / "buffa2010_hypoxia_51.tsv", sep="\t", dtype=str)
    assert len(buffa) == 51
    raw["HYPOXIA_BUFFA2010"] = buffa["symbol_as_published_tmesig"].tolist()
    expected["HYPOXIA_BUFFA2010"] = buffa["current_hgnc_symbol"].tolist()

    eus = pd.read_csv(gl / "eustace2013_hypoxia_26_hacksig.csv", header=None, dtype=str,
                      names=["symbol", "entrez"])
    hack_eus = hack.loc[hack.signature_id == "eustace2013_hypoxia", "gene_symbol"]
    assert eus["symbol"].tolist() == hack_eus.tolist() and len(eus) == 26
    # The Entrez IDs given by hacksig must be the table's IDs for these symbols.
    ent = dict(zip(ref["symbol"], ref["entrez"], strict=True))
    pairs = zip(eus["symbol"], eus["entrez"], strict=True)
    assert all(ent.get(s) == e for s, e in pairs), "Eustace Entrez mismatch"
    raw["HYPOXIA_EUSTACE2013"] = eus["symbol"].tolist()

    kim = read_tsv_column(gl / "radiationgenesigdb_Kim_2012.tsv", "published")
    assert kim == read_lines(gl / "radsigbench_Genes_Kim.txt") and len(kim) == 31
    raw["RADIOSENSITIVITY_KIM2012"] = kim

    amu = read_tsv_column(gl / "radiationgenesigdb_Amundson_2008.tsv", "published")
    assert len(amu) == 21
    raw["RADIATION_AMUNDSON2008"] = amu

    c2 = read_gmt(gl / "c2.cgp.v7.0.symbols.gmt")
    singh = c2["SINGH_NFE2L2_TARGETS"]
    assert singh == read_lines(gl / "nrf2_singh2006_14_msigdb.txt") and len(singh) == 14
    raw["SINGH_NFE2L2_TARGETS"] = singh

    h = read_gmt(gl / "h.all.v7.0.symbols.gmt")
    for name in HALLMARKS:
        raw[f"HALLMARK_{name}"] = h[f"HALLMARK_{name}"]
        DESCRIPTIONS[f"HALLMARK_{name}"] = HALLMARK_DESC

    sets, report = rename_sets(raw, approved, alias, CURATED)
    lines = []
    for set_name, out in sets.items():
        if set_name in expected:
            assert out == expected[set_name], (set_name, out, expected[set_name])
        lines.append("\t".join([set_name, DESCRIPTIONS[set_name], *out]))
        print(f"{set_name}\t{len(raw[set_name])} listed -> {len(out)} genes", file=sys.stderr)

    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
