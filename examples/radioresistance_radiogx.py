"""Evidence 3 (smoke test only): composite and RSI against measured SF2 in 5 cell lines.

Data: RadioGx ``clevelandSmall`` (``../shared/data/radiogx_cleveland_small``): five
neuroblastoma lines from the Cleveland Clinic radiation screen (Yard et al. 2016) with CCLE
HG-U133 Plus 2 log2 expression and measured SF2 (surviving fraction after 2 Gy; high =
resistant). With n = 5 (and not lung) no claim can be made: this checks that the pipeline runs
end to end on array data where RSI is on its published scale, and shows the numbers.

Run: ``python examples/radioresistance_radiogx.py`` (prints a Markdown section; skips when the
shared data are absent)
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from scipy.stats import spearmanr

from rrscore.radiation import gard, radioresistance, rsi

DATA = Path(__file__).resolve().parents[2] / "shared/data/radiogx_cleveland_small"


def main() -> int:
    if not (DATA / "expr.tsv.gz").exists():
        print(f"## 3. RadioGx Cleveland (smoke test)\n\nskipped: {DATA} not found\n")
        return 0
    expr = pd.read_csv(DATA / "expr.tsv.gz", sep="\t", index_col=0)
    lines = pd.read_csv(DATA / "samples.tsv", sep="\t", index_col=0)
    scores = radioresistance(expr)
    table = pd.DataFrame({
        "SF2": lines.loc[scores.index, "SF2"],
        "composite": scores["composite"],
        "RSI": rsi(expr),
    })
    table["GARD (30 x 2 Gy)"] = gard(table["RSI"])
    table = table.sort_values("SF2")

    out = ["## 3. RadioGx Cleveland lines (n = 5): smoke test only", ""]
    out.append(
        "Five neuroblastoma lines, CCLE U133 Plus 2 log2 expression, measured SF2. The "
        "composite uses the five lines as their own reference (z relative to them); RSI is on "
        "its published scale here (absolute log2 array data). n = 5 supports no claim."
    )
    out.append("")
    out.append("| line | SF2 | composite | RSI | GARD (30 × 2 Gy) |")
    out.append("|---|---:|---:|---:|---:|")
    for name, row in table.iterrows():
        out.append(f"| {name} | {row['SF2']:.3f} | {row['composite']:+.2f} | "
                   f"{row['RSI']:.3f} | {row['GARD (30 x 2 Gy)']:.1f} |")
    out.append("")
    for label in ("composite", "RSI"):
        rho, p = spearmanr(table["SF2"], table[label])
        out.append(f"- Spearman ρ(SF2, {label}) = {rho:+.2f} (p = {p:.2f}, n = 5)")
    out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
