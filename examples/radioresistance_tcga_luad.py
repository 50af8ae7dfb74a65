"""Evidence 2: TCGA LUAD (Agilent) — the NRF2 read-out by KEAP1/NFE2L2 status, and what the
composite co-varies with.

Data: the bundled example cohort ``examples/data/tcga_luad_agilent`` (32 primary LUAD, Agilent
G4502A log2 ratios vs a universal reference, 517 missing cells → genes with a missing value
dropped; PANCAN12 mutation calls in ``samples.tsv``). Needs nothing outside the repository.
Replicates are patients (one tumour each).

* KEAP1- or NFE2L2-mutant vs wild-type tumours (4 vs 28) on ``RR_DRIVER_NRF2_TARGETS``,
  ``RR_FERROPTOSIS`` and the composite: difference of means (z units), AUC (probability that a
  mutant tumour scores higher than a wild-type one) and the exact two-sided Mann–Whitney p.
* Spearman ρ of the composite with RSI (``rrscore.rsi``), with the confounder columns the
  composite reports beside it (PAM50 proliferation, ESTIMATE stromal and immune) and with the
  number of resistance-promoting driver mutations; two-sided permutation p (9,999 seeded
  orderings). RSI on log-ratio data is *not* on the published RSI scale (RSI ranks 10 genes
  against each other within a sample; ratios to a reference RNA rank differently from absolute
  expression), so only its ranking across these tumours is used.
* Benjamini–Hochberg q across every p-value printed here.

Run: ``python examples/radioresistance_tcga_luad.py`` (prints a Markdown section; about 10 s)
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import rrscore

DATA = Path(__file__).resolve().parent / "data/tcga_luad_agilent"
FOCUS = ("RR_DRIVER_NRF2_TARGETS", "RR_FERROPTOSIS", "composite")


def spearman_permutation(x, y, n_perm: int, seed: int = 0) -> tuple[float, float]:
    """Spearman ρ and its two-sided permutation p, (1 + #{|ρ*| >= |ρ|}) / (1 + n_perm)."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rx, ry = rx - rx.mean(), ry - ry.mean()
    norm = np.sqrt((rx ** 2).sum() * (ry ** 2).sum())
    rho = float(rx @ ry / norm)
    rng = np.random.default_rng(seed)
    perm = np.argsort(rng.random((n_perm, len(rx))), axis=1)
    null = ry[perm] @ rx / norm
    return rho, (1 + int(np.sum(np.abs(null) >= abs(rho) - 1e-12))) / (1 + n_perm)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="999 instead of 9,999 permutations (for the test suite)")
    args = parser.parse_args(argv)
    n_perm = 999 if args.quick else 9999

    expr = pd.read_csv(DATA / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(DATA / "samples.tsv", sep="\t", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coverage notes; the composite's attrs keep them
        scores = rrscore.radioresistance(expr, nan_policy="drop_genes", mutations=samples)
    mutant = scores["driver_KEAP1_NFE2L2"] == 1
    n_keap1 = int(samples.loc[scores.index, "mut_KEAP1"].sum())
    n_nfe2l2 = int(samples.loc[scores.index, "mut_NFE2L2"].sum())

    rows = []  # (label, statistic text, p) in print order; q added at the end
    group_rows = []
    for mech in FOCUS:
        a, b = scores.loc[mutant, mech], scores.loc[~mutant, mech]
        test = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
        auc = test.statistic / (len(a) * len(b))
        group_rows.append((mech, a.mean(), b.mean(), auc, test.pvalue))
        rows.append(test.pvalue)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rsi_values = rrscore.rsi(expr)
    off_scale = any("scale" in str(w.message).lower() for w in caught)
    pairs = [("composite vs RSI (rank only, see note)", rsi_values)]
    for column, label in (("proliferation", "PAM50 proliferation"),
                          ("stromal", "ESTIMATE stromal"), ("immune", "ESTIMATE immune")):
        if column in scores:
            pairs.append((f"composite vs {label} (reported beside it)", scores[column]))
    pairs.append(("composite vs driver_score (resistance-promoting drivers mutated)",
                  scores["driver_score"].astype(float)))
    corr_rows = []
    for label, y in pairs:
        rho, p = spearman_permutation(scores["composite"].to_numpy(),
                                      y.loc[scores.index].to_numpy(dtype=float), n_perm)
        corr_rows.append((label, rho, p))
        rows.append(p)
    q = stats.false_discovery_control(np.array(rows), method="bh")
    q_group, q_corr = q[:len(group_rows)], q[len(group_rows):]

    meta = scores.attrs["rrscore"]
    out = ["## 2. TCGA LUAD (Agilent, 32 tumours): KEAP1/NFE2L2 and the NRF2 read-out", ""]
    out.append(
        f"`rrscore.radioresistance(expr, nan_policy=\"drop_genes\", mutations=samples)` "
        f"(composite version {meta.get('composite_version', '?')}, {len(meta['mechanisms'])} "
        f"mechanisms, singscore, the cohort as its own reference). KEAP1- or NFE2L2-mutant: "
        f"{int(mutant.sum())} tumours (KEAP1 {n_keap1}, NFE2L2 {n_nfe2l2}); wild-type: "
        f"{int((~mutant).sum())}. Benjamini–Hochberg q across the {len(rows)} p-values of this "
        "section."
    )
    out += ["", "| score (z) | mutant mean | wild-type mean | difference | AUC | "
            "exact Mann–Whitney p | q |", "|---|---:|---:|---:|---:|---:|---:|"]
    for (mech, ma, mb, auc, p), qq in zip(group_rows, q_group, strict=True):
        out.append(f"| {mech} | {ma:+.2f} | {mb:+.2f} | {ma - mb:+.2f} | {auc:.3f} | "
                   f"{p:.2g} | {qq:.2g} |")
    out += ["", f"Spearman correlations across the 32 tumours (two-sided permutation p, "
            f"{n_perm:,} seeded orderings):", "", "| pair | ρ | p | q |", "|---|---:|---:|---:|"]
    for (label, rho, p), qq in zip(corr_rows, q_corr, strict=True):
        out.append(f"| {label} | {rho:+.2f} | {p:.2g} | {qq:.2g} |")
    out.append("")
    out.append(
        f"RSI here ranges {rsi_values.min():.3f} to {rsi_values.max():.3f} "
        f"({int((rsi_values <= 0).sum())} tumours ≤ 0)"
        + ("; rrscore warned that these data are off RSI's published scale (log ratios), "
           "so RSI values and any GARD computed from them are not meaningful here."
           if off_scale else ".")
    )
    out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
