#!/usr/bin/env python
"""Per-set coverage of the radioresistance catalogue in real lung data.

For every set of the bundled ``mechanisms``, ``published`` and ``confounders`` collections,
counts how many of its genes rrscore finds in

* TCGA LUAD tumours, Agilent G4502A (``examples/data/tcga_luad_agilent/expr.tsv.gz``, a
  committed copy of ``../shared/data/tcga_luad_agilent_rtcga``; Firehose 2016 symbols), and
* single cells of five lung adenocarcinoma lines, CEL-seq2
  (``../shared/data/sc_mixology_luad_celllines_celseq2/expr.tsv.gz``): found (a row exists)
  and detected (UMI > 0 in at least 10% of the 571 singlet cells).

Matching is what :func:`rrscore.prepare` does by default (``map_ids="auto"``): exact, then
case-insensitive, then through unambiguous previous symbols/aliases of the bundled gene
reference; the last kind is listed under "matched through an alias".

Usage (repository root)::

    python scripts/coverage_table.py                 # print the Markdown table
    python scripts/coverage_table.py --write         # also replace it in genesets/README.md

Needs ``../shared/data`` for the single-cell data; without it, that column is left out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from rrscore.genesets import load
from rrscore.genesets._matching import align_gene_sets
from rrscore.ids import alias_resolver

ROOT = Path(__file__).resolve().parents[1]
TCGA = ROOT / "examples" / "data" / "tcga_luad_agilent" / "expr.tsv.gz"
SC_DIR = ROOT.parent / "shared" / "data" / "sc_mixology_luad_celllines_celseq2"
README = ROOT / "genesets" / "README.md"
START = "<!-- coverage-table:start (scripts/coverage_table.py --write) -->"
END = "<!-- coverage-table:end -->"
COLLECTIONS = ("mechanisms", "published", "confounders")
DETECTED_FRACTION = 0.10


def _coverage(name: str, genes: pd.Index, map_ids: str = "auto") -> pd.DataFrame:
    coll = load(name)
    return align_gene_sets(
        coll, genes, synonyms=alias_resolver(map_ids, coll.genes), warn=False
    ).coverage


def _sc_detected() -> tuple[pd.Index, set[str]] | None:
    if not (SC_DIR / "expr.tsv.gz").exists():
        return None
    expr = pd.read_csv(SC_DIR / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(SC_DIR / "samples.tsv", sep="\t", index_col=0)
    singlets = samples.index[samples["demuxlet_cls"] == "SNG"]
    counts = expr[singlets].to_numpy()
    frac = (counts > 0).mean(axis=1)
    genes = pd.Index(expr.index.astype(str))
    return genes, set(genes[frac >= DETECTED_FRACTION])


def _detected_count(name: str, genes: pd.Index, detected: set[str]) -> dict[str, int]:
    """Number of each set's matched genes that are detected (via the aligned indices)."""
    coll = load(name)
    aligned = align_gene_sets(
        coll, genes, synonyms=alias_resolver("auto", coll.genes), warn=False
    )
    out = {gs.name: 0 for gs in coll}
    for s in aligned:
        idx = np.concatenate([s.up, s.down])
        out[s.name] = int(sum(genes[i] in detected for i in idx))
    return out


def build_table() -> tuple[pd.DataFrame, dict]:
    """The per-set table and a summary dict."""
    tcga_genes = pd.Index(pd.read_csv(TCGA, sep="\t", usecols=[0]).iloc[:, 0].astype(str))
    sc = _sc_detected()
    rows = []
    for name in COLLECTIONS:
        cov_t = _coverage(name, tcga_genes)
        exact_t = _coverage(name, tcga_genes, map_ids="off")
        cov_s = _coverage(name, sc[0]) if sc else None
        det = _detected_count(name, sc[0], sc[1]) if sc else None
        for set_name, r in cov_t.iterrows():
            row = {
                "collection": name,
                "set": set_name,
                "n_genes": int(r["n_listed"]),
                "tcga_found": int(r["n_found"]),
                "tcga_found_without_aliases": int(exact_t.loc[set_name, "n_found"]),
                "tcga_missing": r["missing"],
                "tcga_renamed": r["renamed"],
            }
            if sc:
                s = cov_s.loc[set_name]
                row.update(
                    sc_found=int(s["n_found"]), sc_detected=det[set_name],
                    sc_missing=s["missing"], sc_renamed=s["renamed"],
                )
            rows.append(row)
    table = pd.DataFrame(rows)
    summary = {
        "tcga_genes": len(tcga_genes),
        "sc_genes": len(sc[0]) if sc else None,
        "sc_detected_genes": len(sc[1]) if sc else None,
    }
    return table, summary


def _pct(found: int, total: int) -> str:
    return f"{found}/{total} ({found / total:.0%})"


def _renames(text: str) -> str:
    return ", ".join(p.replace("->", " → ") for p in text.split(";") if p)


def to_markdown(table: pd.DataFrame, summary: dict) -> str:
    """The table as Markdown, with the datasets described above it."""
    has_sc = "sc_found" in table.columns
    lines = [
        "Genes found per set (matching as `rrscore.score` does by default). Data:",
        f"- **TCGA LUAD**: 32 tumours, Agilent G4502A, {summary['tcga_genes']:,} genes "
        "(Firehose 2016 symbols); `examples/data/tcga_luad_agilent/expr.tsv.gz`.",
    ]
    if has_sc:
        lines.append(
            f"- **sc lung lines**: CEL-seq2 single cells of A549, H1975, H2228, H838 and HCC827, "
            f"{summary['sc_genes']:,} genes; *detected* = UMI > 0 in at least "
            f"{DETECTED_FRACTION:.0%} of the 571 singlet cells "
            f"({summary['sc_detected_genes']:,} genes); "
            "`../shared/data/sc_mixology_luad_celllines_celseq2`."
        )
    lines.append("")
    head = "| Collection | Set | Genes | TCGA LUAD found |"
    rule = "|---|---|---:|---:|"
    if has_sc:
        head += " sc found | sc detected |"
        rule += "---:|---:|"
    head += " Missing in TCGA LUAD | Missing in sc |" if has_sc else " Missing in TCGA LUAD |"
    rule += "---|---|" if has_sc else "---|"
    lines += [head, rule]
    for r in table.itertuples():
        cells = [r.collection, f"`{r.set}`", str(r.n_genes), _pct(r.tcga_found, r.n_genes)]
        if has_sc:
            cells += [_pct(r.sc_found, r.n_genes), _pct(r.sc_detected, r.n_genes)]
        cells.append(r.tcga_missing.replace(";", ", ") or "–")
        if has_sc:
            cells.append(r.sc_missing.replace(";", ", ") or "–")
        lines.append("| " + " | ".join(cells) + " |")
    renamed = [
        (r.set, "TCGA LUAD", _renames(r.tcga_renamed)) for r in table.itertuples()
        if r.tcga_renamed
    ]
    if has_sc:
        renamed += [
            (r.set, "sc lung lines", _renames(r.sc_renamed)) for r in table.itertuples()
            if r.sc_renamed
        ]
    if renamed:
        lines += ["", "Matched through an alias or previous symbol (set gene → data gene):", ""]
        lines += [f"- `{s}` in {where}: {text}" for s, where, text in renamed]
    totals = table.groupby("collection", sort=False)[
        ["n_genes", "tcga_found", "tcga_found_without_aliases"]
        + (["sc_found", "sc_detected"] if has_sc else [])
    ].sum()
    lines += ["", "Totals over (set, gene) entries:", ""]
    for coll, t in totals.iterrows():
        text = (
            f"- {coll}: TCGA LUAD {_pct(int(t.tcga_found), int(t.n_genes))} "
            f"(without alias matching, `map_ids=\"off\"`: "
            f"{_pct(int(t.tcga_found_without_aliases), int(t.n_genes))})"
        )
        if has_sc:
            text += (
                f"; sc found {_pct(int(t.sc_found), int(t.n_genes))}, detected "
                f"{_pct(int(t.sc_detected), int(t.n_genes))}"
            )
        lines.append(text)
    return "\n".join(lines) + "\n"


def write_readme(markdown: str) -> None:
    """Replace the text between the coverage-table markers of genesets/README.md."""
    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{README}: coverage-table markers not found")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(before + START + "\n" + markdown + END + after, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update genesets/README.md")
    parser.add_argument("--tsv", type=Path, help="also write the full table as TSV")
    args = parser.parse_args(argv)
    table, summary = build_table()
    markdown = to_markdown(table, summary)
    sys.stdout.write(markdown)
    if args.tsv:
        table.to_csv(args.tsv, sep="\t", index=False)
    if args.write:
        write_readme(markdown)
        print(f"updated {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
