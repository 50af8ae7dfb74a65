#!/usr/bin/env python3
"""Build genesets/hallmark.gmt, the MSigDB v7.0 hallmarks in current approved symbols.

Reads ``../shared/reference/gene_lists/h.all.v7.0.symbols.gmt`` (MSigDB v7.0, CC BY 4.0)
and brings every symbol to the approved symbol of ``genesets/gene_reference.tsv.gz`` with
the rules and the code of ``build_published_gmt.py`` (``rename_sets``): approved symbols
are kept, others are replaced through an unambiguous alias (case-insensitive) or dropped.
Set order and gene order are those of the MSigDB file; a gene listed twice after renaming
is kept once. The URL column is replaced by an attribution line. Renamings and drops are
printed as a Markdown table; ``genesets/README.md`` records them.

Usage (from the repository root)::

    python scripts/build_hallmark_gmt.py [--shared ../shared] [--out genesets/hallmark.gmt]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from build_published_gmt import CURATED, load_reference, print_report, read_gmt, rename_sets

DESCRIPTION = (
    "MSigDB v7.0 hallmark, CC BY 4.0, Liberzon et al. 2015 (Cell Syst 1:417-425); "
    "symbols updated to HGNC 2022, see genesets/README.md"
)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="../shared", help="path of the shared folder")
    ap.add_argument("--reference", default="genesets/gene_reference.tsv.gz")
    ap.add_argument("--out", default="genesets/hallmark.gmt")
    args = ap.parse_args()
    source = Path(args.shared) / "reference" / "gene_lists" / "h.all.v7.0.symbols.gmt"
    _, approved, alias = load_reference(Path(args.reference))

    raw = read_gmt(source)
    assert len(raw) == 50 and all(name.startswith("HALLMARK_") for name in raw)
    # CURATED holds no hallmark entry today; passing it keeps one rule set for both files.
    sets, report = rename_sets(raw, approved, alias, CURATED)
    lines = ["\t".join([name, DESCRIPTION, *genes]) for name, genes in sets.items()]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    n_in = sum(len(g) for g in raw.values())
    n_out = sum(len(g) for g in sets.values())
    distinct = len({g for genes in sets.values() for g in genes})
    print(f"{len(sets)} sets, {n_in} entries -> {n_out} ({distinct} distinct genes)",
          file=sys.stderr)
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
