#!/usr/bin/env python
"""Consistency checks for the radioresistance mechanism gene-set collection.

Checks genesets/mechanisms.gmt against genesets/provenance.tsv,
genesets/mechanisms_excluded.tsv, genesets/drivers.tsv and the Table 1 test
table tests/data/review_table1_key_molecules.tsv:

* GMT lines are well formed (RR_<MECH>_UP / _DN names, one-line description
  that says where the set was derived from), no duplicate set names, no
  duplicate or empty genes within a set;
* the (set, gene) pairs of the GMT and of provenance.tsv agree exactly, and
  each provenance direction matches the set suffix;
* no gene is in both the _UP and the _DN set of one mechanism;
* every Table 1 key molecule is accounted for: an ``in_set`` row needs a
  provenance row for each expected symbol carrying that name_in_review, an
  ``excluded`` row needs a row in mechanisms_excluded.tsv with that name and
  a section of the same mechanism;
* if genesets/gene_reference.tsv.gz exists, every GMT symbol is an approved
  symbol in it.

Usage: python scripts/check_mechanisms.py [--root REPO_ROOT]
Exit status 0 when every check passes, 1 otherwise. Needs only pandas.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pandas as pd

PROVENANCE_COLUMNS = [
    "set",
    "symbol",
    "name_in_review",
    "section",
    "references",
    "direction",
    "evidence",
    "mapping_note",
]
EXCLUDED_COLUMNS = ["name_in_review", "section", "reason"]
TABLE1_COLUMNS = ["name_in_review", "mechanism", "expected_symbols", "status"]
DRIVER_COLUMNS = [
    "symbol",
    "name_in_review",
    "section",
    "references",
    "direction",
    "evidence",
    "mutation_classes",
]
DIRECTIONS = {"UP": "promotes_resistance", "DN": "sensitises"}
SET_NAME = re.compile(r"^RR_[A-Z0-9]+(?:_[A-Z0-9]+)*_(UP|DN)$")
# Table 1 mechanism -> review sections that an exclusion for it may cite
MECHANISM_SECTIONS = {
    "DNA repair": ("3.1",),
    "Apoptosis regulation": ("3.2", "3.3.1"),
    "Tumor microenvironment": ("3.3",),
    "Cancer stem cells": ("3.4",),
    "Autophagy": ("3.5",),
    "Metabolism": ("3.6",),
    "Epithelial-to-mesenchymal transition": ("3.9",),
    "Gene mutations": ("3.10",),
}


def read_tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, compression="infer")


def split_names(value: str) -> set[str]:
    return {part.strip() for part in value.split(";") if part.strip()}


def read_gmt(path: Path, errors: list[str]) -> dict[str, tuple[str, list[str]]]:
    sets: dict[str, tuple[str, list[str]]] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 3:
            errors.append(f"GMT line {lineno}: fewer than 3 fields")
            continue
        name, desc, genes = fields[0], fields[1], fields[2:]
        if not SET_NAME.match(name):
            errors.append(f"GMT line {lineno}: bad set name {name!r}")
        if name in sets:
            errors.append(f"GMT: duplicate set name {name}")
        if not desc.strip() or "derived from" not in desc:
            errors.append(f"GMT {name}: description must say what the set is 'derived from'")
        if any(not g.strip() or g != g.strip() for g in genes):
            errors.append(f"GMT {name}: empty gene or gene with surrounding whitespace")
        dups = sorted({g for g in genes if genes.count(g) > 1})
        if dups:
            errors.append(f"GMT {name}: duplicated genes {dups}")
        sets[name] = (desc, genes)
    if not sets:
        errors.append("GMT: no sets")
    return sets


def mechanism_of(set_name: str) -> str:
    return set_name.rsplit("_", 1)[0]


def check(root: Path) -> list[str]:
    errors: list[str] = []
    gs = root / "genesets"
    gmt = read_gmt(gs / "mechanisms.gmt", errors)

    # --- provenance <-> GMT
    prov = read_tsv(gs / "provenance.tsv")
    if list(prov.columns) != PROVENANCE_COLUMNS:
        errors.append(f"provenance.tsv columns {list(prov.columns)} != {PROVENANCE_COLUMNS}")
        return errors
    for col in PROVENANCE_COLUMNS[:6]:
        if (prov[col].str.strip() == "").any():
            errors.append(f"provenance.tsv: empty values in column {col}")
    dup = prov[prov.duplicated(["set", "symbol"], keep=False)]
    if len(dup):
        errors.append(
            "provenance.tsv: duplicated (set, symbol) rows: "
            f"{dup[['set', 'symbol']].values.tolist()}"
        )
    bad_dir = prov[~prov.direction.isin(DIRECTIONS.values())]
    if len(bad_dir):
        errors.append(f"provenance.tsv: bad direction values {sorted(set(bad_dir.direction))}")
    for row in prov.itertuples():
        expected = DIRECTIONS.get(row.set.rsplit("_", 1)[-1])
        if expected and row.direction != expected:
            errors.append(
                f"provenance.tsv: {row.set}/{row.symbol} direction {row.direction} != {expected}"
            )
        if not re.fullmatch(r"\[\d+(,\d+)*\]", row.references):
            errors.append(
                f"provenance.tsv: {row.set}/{row.symbol} references {row.references!r} "
                "not like [1,2]"
            )
    gmt_pairs = {(s, g) for s, (_, genes) in gmt.items() for g in genes}
    prov_pairs = set(zip(prov.set, prov.symbol, strict=True))
    for s, g in sorted(gmt_pairs - prov_pairs):
        errors.append(f"GMT pair without provenance: {s} {g}")
    for s, g in sorted(prov_pairs - gmt_pairs):
        errors.append(f"provenance pair not in GMT: {s} {g}")

    # --- no gene both UP and DN within one mechanism
    by_mech: dict[str, dict[str, set[str]]] = {}
    for s, (_, genes) in gmt.items():
        by_mech.setdefault(mechanism_of(s), {})[s.rsplit("_", 1)[-1]] = set(genes)
    for mech, parts in sorted(by_mech.items()):
        both = parts.get("UP", set()) & parts.get("DN", set())
        if both:
            errors.append(f"{mech}: genes in both _UP and _DN: {sorted(both)}")

    # --- lncRNA sets must be flagged
    for s, (desc, _) in gmt.items():
        if "LNCRNA" in s and "needs data that quantifies lncRNAs" not in desc:
            errors.append(f"{s}: description must flag 'needs data that quantifies lncRNAs'")

    # --- excluded table
    excl = read_tsv(gs / "mechanisms_excluded.tsv")
    if list(excl.columns) != EXCLUDED_COLUMNS:
        errors.append(f"mechanisms_excluded.tsv columns {list(excl.columns)} != {EXCLUDED_COLUMNS}")
        return errors
    if (excl.reason.str.strip() == "").any() or (excl.name_in_review.str.strip() == "").any():
        errors.append("mechanisms_excluded.tsv: empty name or reason")

    # --- drivers
    drv = read_tsv(gs / "drivers.tsv")
    missing = [c for c in DRIVER_COLUMNS if c not in drv.columns]
    if missing:
        errors.append(f"drivers.tsv: missing columns {missing}")
    elif not drv.direction.isin(DIRECTIONS.values()).all():
        errors.append("drivers.tsv: bad direction values")

    # --- Table 1 accounting
    t1 = read_tsv(root / "tests" / "data" / "review_table1_key_molecules.tsv")
    if list(t1.columns) != TABLE1_COLUMNS:
        errors.append(f"Table 1 test table columns {list(t1.columns)} != {TABLE1_COLUMNS}")
        return errors
    prov_names = {(r.symbol, n) for r in prov.itertuples() for n in split_names(r.name_in_review)}
    excl_by_name: dict[str, set[str]] = {}
    for r in excl.itertuples():
        excl_by_name.setdefault(r.name_in_review.strip(), set()).update(
            s.strip() for s in r.section.split(";")
        )
    for r in t1.itertuples():
        label = f"Table 1 row {r.name_in_review!r} ({r.mechanism})"
        syms = [s for s in r.expected_symbols.split(";") if s]
        if r.status == "in_set":
            if not syms:
                errors.append(f"{label}: in_set without expected_symbols")
            for s in syms:
                if (s, r.name_in_review) not in prov_names:
                    errors.append(f"{label}: no provenance row for {s} named {r.name_in_review!r}")
        elif r.status == "excluded":
            if syms:
                errors.append(f"{label}: excluded but expected_symbols given")
            secs = excl_by_name.get(r.name_in_review)
            if secs is None:
                errors.append(f"{label}: not in mechanisms_excluded.tsv")
                continue
            prefixes = next(
                (v for k, v in MECHANISM_SECTIONS.items() if r.mechanism.startswith(k)), None
            )
            if prefixes and not any(sec.startswith(p) for sec in secs for p in prefixes):
                errors.append(
                    f"{label}: excluded only for sections {sorted(secs)}, none in {prefixes}"
                )
        else:
            errors.append(f"{label}: bad status {r.status!r}")

    # --- approved symbols (only when the bundled gene table exists)
    ref = gs / "gene_reference.tsv.gz"
    if ref.exists():
        table = read_tsv(ref)
        col = next(
            (
                c
                for c in ("symbol", "approved_symbol", "hgnc_symbol", "Symbol")
                if c in table.columns
            ),
            None,
        )
        if col is None:
            print(
                f"note: {ref.name} has no symbol column I recognise; approved-symbol check skipped"
            )
        else:
            approved = set(table[col])
            for s, (_, genes) in gmt.items():
                bad = sorted(set(genes) - approved)
                if bad:
                    errors.append(f"{s}: not approved symbols in {ref.name}: {bad}")
    else:
        print(f"note: {ref} not found; approved-symbol check skipped")

    # --- informational: same gene with opposite directions in different mechanisms
    up = set(prov[prov.direction == "promotes_resistance"].symbol)
    dn = set(prov[prov.direction == "sensitises"].symbol)
    if up & dn:
        print(
            "note: genes promoting resistance in one mechanism and sensitising in another: "
            f"{sorted(up & dn)}"
        )

    n_genes = prov.symbol.nunique()
    print(
        f"{len(gmt)} sets, {len(prov)} (set, gene) pairs, {n_genes} distinct genes; "
        f"{len(excl)} exclusions; {len(t1)} Table 1 rows; {len(drv)} drivers"
    )
    return errors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="repository root (default: parent of scripts/)",
    )
    args = parser.parse_args(argv)
    errors = check(args.root)
    for e in errors:
        print("FAIL:", e)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
