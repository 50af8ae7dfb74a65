#!/usr/bin/env python3
"""Build genesets/confounders.gmt: proliferation and tumour-microenvironment read-outs.

Three published gene sets that are reported *beside* the radioresistance composite (never in
it), so that a user can see how much of a mechanism score is proliferation, stroma or immune
infiltrate:

- ``PROLIFERATION``: the 11 proliferation genes of the PAM50 assay (Parker JS et al., J Clin
  Oncol 2009;27:1160-1167), whose mean is the PAM50 proliferation score (Nielsen TO et al.,
  Clin Cancer Res 2010;16:5222-5232). The list is the ``InProliferation = Y`` rows of the
  authors' annotation file ``pam50_annotation.txt`` (UNC, genome.unc.edu/pubsup/breastGEO/
  PAM50.zip), which lists the genes by their assay names: CDCA1 is NUF2 and KNTC2 is NDC80.
- ``ESTIMATE_STROMAL`` and ``ESTIMATE_IMMUNE``: the 141-gene stromal and immune signatures of
  ESTIMATE (Yoshihara K et al., Nat Commun 2013;4:2612, doi 10.1038/ncomms3612), from
  hacksig (``Acare/hacksig``, MIT; ``../shared/reference/gene_lists/hacksig_signatures.csv``,
  signatures ``estimate_stromal``/``estimate_immune``), which carries current symbols (e.g.
  WISP1 -> CCN4, GPR124 -> ADGRA2, FYB -> FYB1). A second public copy of both lists (an R
  analysis script, found by exact-string search) has the same 141 + 141 genes in the same
  order, apart from four typos in that copy (L18R1, OL10RA, GBBP2, IIL18RAP); the typos are
  asserted below so that the check is reproducible.

Why PAM50 and not Venet's meta-PCNA (131 genes; Venet et al., PLoS Comput Biol
2011;7:e1002240, ``radsigbench_Genes_Venet.txt``): meta-PCNA was derived across normal
tissues and carries 24 erythroid and platelet genes (AHSP, ALAS2, GATA1, GYPA, KLF1, PF4,
PPBP, ...) that in a tumour sample read blood content; in the bundled TCGA LUAD cohort their
score runs *against* the MSigDB G2M hallmark (Spearman rho = -0.52, n = 32 tumours). The
PAM50 genes are all cell-cycle genes. Both lists agree on the 32 tumours (rho = 0.96).
``scripts/readout_checks.py`` reprints these numbers.

Every symbol is brought to the approved symbol of ``genesets/gene_reference.tsv.gz`` by the
rules and the code of ``build_published_gmt.py`` (``rename_sets``); the renamings are printed
as a Markdown table and recorded in ``genesets/CONFOUNDERS.md``.

Usage (from the repository root)::

    python scripts/build_confounders_gmt.py [--shared ../shared] [--out genesets/confounders.gmt]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from build_published_gmt import load_reference, print_report, rename_sets

#: PAM50 genes with InProliferation = Y in pam50_annotation.txt, by their assay (pcrID) names.
PAM50_PROLIFERATION = ("BIRC5", "CCNB1", "CDC20", "CDCA1", "CEP55", "KNTC2", "MKI67", "PTTG1",
                       "RRM2", "TYMS", "UBE2C")

#: The typos of the second public ESTIMATE copy: position in the list -> (hacksig, copy).
ESTIMATE_SECOND_COPY_TYPOS = {
    "estimate_stromal": {123: ("IL18R1", "L18R1")},
    "estimate_immune": {5: ("IL10RA", "OL10RA"), 86: ("GBP2", "GBBP2"),
                        107: ("IL18RAP", "IIL18RAP")},
}

DESCRIPTIONS = {
    "PROLIFERATION": (
        "Proliferation read-out reported beside the composite (confounder, never in it): the 11 "
        "proliferation genes of the PAM50 assay, whose mean is the PAM50 proliferation score. "
        "Parker JS et al. 2009, J Clin Oncol 27:1160-1167; Nielsen TO et al. 2010, Clin Cancer "
        "Res 16:5222-5232. List: InProliferation = Y in the authors' pam50_annotation.txt "
        "(CDCA1 = NUF2, KNTC2 = NDC80); see genesets/CONFOUNDERS.md"
    ),
    "ESTIMATE_STROMAL": (
        "Stromal content read-out reported beside the composite (confounder, never in it): "
        "ESTIMATE stromal signature, 141 genes. Yoshihara K et al. 2013, Nat Commun 4:2612, "
        "doi 10.1038/ncomms3612. List via hacksig (MIT) in current HGNC symbols; see "
        "genesets/CONFOUNDERS.md"
    ),
    "ESTIMATE_IMMUNE": (
        "Immune infiltrate read-out reported beside the composite (confounder, never in it): "
        "ESTIMATE immune signature, 141 genes. Yoshihara K et al. 2013, Nat Commun 4:2612, "
        "doi 10.1038/ncomms3612. List via hacksig (MIT) in current HGNC symbols; see "
        "genesets/CONFOUNDERS.md"
    ),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="../shared", help="path of the shared folder")
    ap.add_argument("--reference", default="genesets/gene_reference.tsv.gz")
    ap.add_argument("--out", default="genesets/confounders.gmt")
    args = ap.parse_args()
    gl = Path(args.shared) / "reference" / "gene_lists"
    _, approved, alias = load_reference(Path(args.reference))

    hack = pd.read_csv(gl / "hacksig_signatures.csv", dtype=str)
    raw: dict[str, list[str]] = {"PROLIFERATION": list(PAM50_PROLIFERATION)}
    for name, signature in (("ESTIMATE_STROMAL", "estimate_stromal"),
                            ("ESTIMATE_IMMUNE", "estimate_immune")):
        rows = hack[hack.signature_id == signature]
        genes = rows["gene_symbol"].tolist()
        assert len(genes) == len(set(genes)) == 141, (signature, len(genes))
        assert set(rows["publication_doi"]) == {"10.1038/ncomms3612"}, signature
        raw[name] = genes
        for pos, (ours, theirs) in ESTIMATE_SECOND_COPY_TYPOS[signature].items():
            assert genes[pos] == ours, (signature, pos, genes[pos], theirs)

    sets, report = rename_sets(raw, approved, alias, {})
    assert sets["PROLIFERATION"][3:6] == ["NUF2", "CEP55", "NDC80"], sets["PROLIFERATION"]
    assert all(len(genes) == len(raw[name]) for name, genes in sets.items()), "a gene dropped"
    lines = ["\t".join([name, DESCRIPTIONS[name], *genes]) for name, genes in sets.items()]
    Path(args.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, genes in sets.items():
        print(f"{name}\t{len(raw[name])} listed -> {len(genes)} genes", file=sys.stderr)
    print_report(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
