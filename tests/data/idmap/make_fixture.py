#!/usr/bin/env python
"""Write the small real-ID fixtures of tests/data/idmap/ from ../shared/data.

Run from the repository root: ``python tests/data/idmap/make_fixture.py``. Deterministic.

Source: ../shared/data/sc_mixology_luad_celllines_celseq2 (LuyiTian/sc_mixology @7d00ffb,
MIT; GEO GSE118767): CEL-seq2 UMI counts of 5 lung adenocarcinoma lines, one file keyed by
Ensembl gene ID and one by symbol (the data curator's own Ensembl → symbol mapping,
org.Hs.eg.db + GENCODE fallback, summed per symbol), plus that mapping (genes.tsv).

Rows kept (Ensembl file):
* every Ensembl ID that the curator's mapping or rrscore's reference gives a symbol of a gene
  in the bundled ``mechanisms`` or ``published`` collections;
* every Ensembl ID whose rrscore symbol is shared with another ID of the data (duplicates);
* the first 40 IDs that rrscore's reference does not map, and those it leaves unmapped
  because NCBI links them to several genes;
* 300 other IDs drawn with a fixed seed.
Columns: the first 5 singlet cells (demuxlet SNG) of each of the 5 cell lines (25 cells).
The symbol file has the curator's symbol rows of the same genes and cells; genes.tsv the
curator's mapping of the kept IDs and, per ID, how many IDs of the whole data the curator
gave that symbol (1 means the symbol row is that ID's row, not a sum).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import rrscore

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT.parent / "shared" / "data" / "sc_mixology_luad_celllines_celseq2"
OUT = Path(__file__).resolve().parent


def main() -> None:
    ens = pd.read_csv(SRC / "expr_ensembl.tsv.gz", sep="\t", index_col=0)
    sym = pd.read_csv(SRC / "expr.tsv.gz", sep="\t", index_col=0)
    # The curator writes "NA" for IDs without a symbol: read it as missing.
    cur = pd.read_csv(SRC / "genes.tsv", sep="\t", dtype=str).set_index("ensembl")["symbol"]
    samples = pd.read_csv(SRC / "samples.tsv", sep="\t", index_col=0)
    sng = samples[samples["demuxlet_cls"] == "SNG"]
    cells = [c for _, grp in sng.groupby("cell_line_demuxlet", sort=True) for c in grp.index[:5]]

    ref = rrscore.genesets.gene_reference()
    ours = pd.Series(ref.ensembl_to_symbol(ens.index), index=ens.index, dtype=object)
    catalogue = set()
    for name in ("mechanisms", "published"):
        catalogue |= rrscore.genesets.load(name).genes
    keep = set(ens.index[ours.isin(catalogue) | cur.reindex(ens.index).isin(catalogue)])
    mapped = ours.dropna()
    keep |= set(mapped.index[mapped.duplicated(keep=False)])
    unmapped = ours.index[ours.isna()]
    keep |= set(unmapped[:40])
    keep |= {i for i in unmapped if ref.is_ambiguous_ensembl(i)}
    rng = np.random.default_rng(20261127)
    others = np.array(sorted(set(ens.index) - keep))
    keep |= set(rng.choice(others, size=300, replace=False))
    rows = [i for i in ens.index if i in keep]  # source order

    ens_out = ens.loc[rows, cells]
    ens_out.index.name = "gene"
    symbols = [s for s in dict.fromkeys(cur.reindex(rows).dropna()) if s in sym.index]
    sym_out = sym.loc[symbols, cells]
    sym_out.index.name = "gene"
    genes_out = cur.reindex(rows).rename("symbol").to_frame()
    counts = cur.value_counts()
    genes_out["n_ids_of_symbol"] = genes_out["symbol"].map(counts).fillna(0).astype(int)
    genes_out.index.name = "ensembl"

    ens_out.to_csv(OUT / "sc_mixology_ensembl.tsv.gz", sep="\t",
                   compression={"method": "gzip", "mtime": 0})
    sym_out.to_csv(OUT / "sc_mixology_symbol.tsv.gz", sep="\t",
                   compression={"method": "gzip", "mtime": 0})
    genes_out.to_csv(OUT / "sc_mixology_genes.tsv", sep="\t")
    print(f"{len(rows)} Ensembl rows, {len(symbols)} symbol rows, {len(cells)} cells")


if __name__ == "__main__":
    main()
