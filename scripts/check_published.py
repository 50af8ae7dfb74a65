#!/usr/bin/env python3
"""Check genesets/published.gmt against genesets/gene_reference.tsv.gz.

Run from the repository root::

    python scripts/check_published.py [GMT ...]

Checks, for every set: the name is unique; the description is non-empty and names a
paper (a four-digit year); it has at least one gene; every gene is an approved symbol
of the reference table; no gene is listed twice; ``_UP``/``_DN`` lines come in pairs.
MSigDB sets must carry the CC BY 4.0 attribution. The RSI set must be the 10 genes of
Eschrich et al. 2009 (PAK2 and PRKCB, not CDK1 or PRRT2). Exits 1 on any failure.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

REFERENCE = Path("genesets/gene_reference.tsv.gz")
DEFAULT_GMT = [Path("genesets/published.gmt")]
RSI = {"AR", "JUN", "STAT1", "PRKCB", "RELA", "ABL1", "SUMO1", "PAK2", "HDAC1", "IRF1"}


def check(gmt: Path, approved: set[str]) -> list[str]:
    errors: list[str] = []
    names: list[str] = []
    n_genes = 0
    for lineno, line in enumerate(gmt.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        name, desc, genes = fields[0], (fields[1] if len(fields) > 1 else ""), fields[2:]
        where = f"{gmt}:{lineno} {name}"
        names.append(name)
        n_genes += len(genes)
        if not desc.strip():
            errors.append(f"{where}: empty description")
        elif not re.search(r"\b(19|20)\d\d\b", desc):
            errors.append(f"{where}: description names no paper/year")
        if name.startswith("HALLMARK_") or "MSigDB" in desc:
            if "CC BY 4.0" not in desc:
                errors.append(f"{where}: MSigDB set without 'CC BY 4.0' attribution")
            if name.startswith("HALLMARK_") and "Liberzon et al. 2015" not in desc:
                errors.append(f"{where}: hallmark set without 'Liberzon et al. 2015'")
        if not genes or any(not g.strip() for g in genes):
            errors.append(f"{where}: empty set or empty gene field")
        dup = sorted({g for g in genes if genes.count(g) > 1})
        if dup:
            errors.append(f"{where}: duplicated genes {dup}")
        bad = [g for g in genes if g not in approved]
        if bad:
            errors.append(f"{where}: not approved symbols in {REFERENCE}: {bad}")
        if name.startswith("RSI_") and set(genes) != RSI:
            errors.append(f"{where}: RSI genes differ from Eschrich 2009: {sorted(genes)}")
    dup_names = sorted({n for n in names if names.count(n) > 1})
    if dup_names:
        errors.append(f"{gmt}: duplicated set names {dup_names}")
    for n in names:
        m = re.match(r"^(.+)_(UP|DN)$", n)
        if m:
            other = m.group(1) + ("_DN" if m.group(2) == "UP" else "_UP")
            if other not in names:
                errors.append(f"{gmt}: {n} has no {other} partner")
    print(f"{gmt}: {len(names)} sets, {n_genes} gene entries checked")
    return errors


def main(argv: list[str]) -> int:
    ref = pd.read_csv(REFERENCE, sep="\t", dtype=str, keep_default_na=False)
    approved = set(ref["symbol"])
    errors: list[str] = []
    for gmt in [Path(a) for a in argv] or DEFAULT_GMT:
        errors += check(gmt, approved)
    for e in errors:
        print("FAIL", e)
    print("OK" if not errors else f"{len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
