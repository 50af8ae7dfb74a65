"""Evidence 2: TCGA LUAD (Agilent) — NRF2 component by KEAP1/NFE2L2 status; composite vs RSI
and the Buffa hypoxia score.

Data: the bundled example cohort ``examples/data/tcga_luad_agilent`` (32 primary LUAD, Agilent
G4502A log2 ratios vs. a universal reference, 517 missing cells → genes with a missing value
dropped; PANCAN12 mutation calls in ``samples.tsv``). Needs nothing outside the repository.

* KEAP1- or NFE2L2-mutant vs wild-type tumours on ``RR_DRIVER_NRF2_TARGETS`` and
  ``RR_FERROPTOSIS``: difference of means (z units), AUC (probability that a mutant tumour
  scores higher than a wild-type one) and an exact two-sided Mann–Whitney test.
* Spearman correlation of the composite with RSI (``rrscore.rsi``) and with the Buffa 2010
  hypoxia gene set (``HYPOXIA_BUFFA2010`` of the bundled ``published`` collection, scored with
  singscore like the mechanisms — not Buffa's own median-expression score). RSI on log-ratio
  data is *not* on the published RSI scale (RSI ranks 10 genes against each other within a
  sample; ratios to a reference RNA rank differently from absolute expression), so only its
  ranking across these tumours is used here.

Run: ``python examples/radioresistance_tcga_luad.py`` (prints a Markdown section)
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd
from scipy.stats import mannwhitneyu, spearmanr

import rrscore
from rrscore.radiation import radioresistance, rsi

DATA = Path(__file__).resolve().parent / "data/tcga_luad_agilent"
FOCUS = ("RR_DRIVER_NRF2_TARGETS", "RR_FERROPTOSIS")


def main() -> int:
    expr = pd.read_csv(DATA / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(DATA / "samples.tsv", sep="\t", index_col=0)
    scores, _, scorer = radioresistance(expr, nan_policy="drop_genes", mutations=samples,
                                        return_contributions=True)
    mutant = scores["driver_KEAP1_NFE2L2"] == 1
    n_keap1 = int(samples.loc[scores.index, "mut_KEAP1"].sum())
    n_nfe2l2 = int(samples.loc[scores.index, "mut_NFE2L2"].sum())

    out = ["## 2. TCGA LUAD (Agilent, 32 tumours): KEAP1/NFE2L2 and the NRF2 component", ""]
    out.append(
        f"`rrscore.radioresistance(expr, nan_policy=\"drop_genes\", mutations=samples)`: "
        f"singscore, the cohort as its own reference. KEAP1- or NFE2L2-mutant: "
        f"{int(mutant.sum())} tumours (KEAP1 {n_keap1}, NFE2L2 {n_nfe2l2}); wild-type: "
        f"{int((~mutant).sum())}."
    )
    out.append("")
    out.append("| mechanism (z) | mutant mean | wild-type mean | difference | AUC | "
               "Mann–Whitney p (exact, two-sided) |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for mech in (*FOCUS, "composite"):
        a, b = scores.loc[mutant, mech], scores.loc[~mutant, mech]
        test = mannwhitneyu(a, b, alternative="two-sided", method="exact")
        auc = test.statistic / (len(a) * len(b))
        out.append(f"| {mech} | {a.mean():+.2f} | {b.mean():+.2f} | {a.mean() - b.mean():+.2f} "
                   f"| {auc:.3f} | {test.pvalue:.2g} |")
    out.append("")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rsi_values = rsi(expr)
    off_scale = any("not on the published RSI scale" in str(w.message) for w in caught)
    published = rrscore.score(expr, "published", "singscore", nan_policy="drop_genes",
                              low_coverage=0)
    buffa = published["HYPOXIA_BUFFA2010"]
    n_buffa = int(published.attrs["rrscore"]["coverage"].loc["HYPOXIA_BUFFA2010", "n_found"])
    out.append("Spearman correlations across the 32 tumours:")
    out.append("")
    out.append("| pair | ρ | p |")
    out.append("|---|---:|---:|")
    pairs = [
        ("composite vs RSI", scores["composite"], rsi_values),
        (f"composite vs Buffa hypoxia ({n_buffa}/51 genes, singscore)", scores["composite"],
         buffa),
        ("RR_HYPOXIA vs Buffa hypoxia", scores["RR_HYPOXIA"], buffa),
        ("composite vs driver_score", scores["composite"], scores["driver_score"].astype(float)),
    ]
    for label, x, y in pairs:
        rho, p = spearmanr(x.loc[scores.index], y.loc[scores.index])
        out.append(f"| {label} | {rho:+.2f} | {p:.2g} |")
    out.append("")
    composite_genes = set()
    for genes in scorer.genes_.values():
        composite_genes |= {*genes["up"], *genes["down"]}
    shared = sorted(set(rrscore.genesets.load("published")["HYPOXIA_BUFFA2010"].genes)
                    & composite_genes)
    out.append(
        f"Buffa genes also in the composite's mechanisms: {len(shared)} of 51 "
        f"({', '.join(shared)}), so part of that correlation is shared genes."
    )
    out.append("")
    out.append(
        f"RSI here ranges {rsi_values.min():.3f} to {rsi_values.max():.3f} "
        f"({int((rsi_values <= 0).sum())} tumours ≤ 0)"
        + ("; rrscore warned that the RSI genes have negative values (log ratios), so these "
           "values are not on the published RSI scale and GARD is not meaningful for them."
           if off_scale else ".")
    )
    out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
