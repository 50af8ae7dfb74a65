"""Evidence 3 (smoke test only): composite and RSI against measured SF2 in 5 cell lines.

Data: RadioGx ``clevelandSmall`` (``../shared/data/radiogx_cleveland_small``): five
neuroblastoma lines from the Cleveland Clinic radiation screen (Yard et al. 2016) with CCLE
HG-U133 Plus 2 log2 expression and measured SF2 (surviving fraction after 2 Gy; high =
resistant). With n = 5 (and not lung) no claim can be made: this checks that the pipeline runs
end to end on array data where RSI is on its published scale, and shows the numbers.

Statistics: Spearman ρ with its **exact** two-sided permutation p over all 5! = 120 orderings of
the lines (the t approximation that scipy's ``spearmanr`` reports is not valid at n = 5: it gives
p = 0.04 for ρ = 0.9, the exact p is 0.083), Benjamini–Hochberg q across the two correlations.
With five lines the smallest possible two-sided p is 2/120 = 0.017 (ρ = ±1).

Run: ``python examples/radioresistance_radiogx.py`` (prints a Markdown section; skips when the
shared data are absent; about 10 s)
"""

from __future__ import annotations

import argparse
import itertools
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import rrscore

DATA = Path(__file__).resolve().parents[2] / "shared/data/radiogx_cleveland_small"


def spearman_exact(x, y) -> tuple[float, float]:
    """Spearman ρ and its exact two-sided p over every ordering of ``y`` (small n only)."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rho = float(np.corrcoef(rx, ry)[0, 1])
    null = [np.corrcoef(rx, ry[list(p)])[0, 1] for p in itertools.permutations(range(len(ry)))]
    return rho, float(np.mean(np.abs(null) >= abs(rho) - 1e-12))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--quick", action="store_true", help="accepted for the test suite; "
                        "this example is already quick")
    args = parser.parse_args(argv)
    if not (args.data / "expr.tsv.gz").exists():
        print(f"## 3. RadioGx Cleveland (smoke test)\n\nskipped: {args.data} not found\n")
        return 0
    expr = pd.read_csv(args.data / "expr.tsv.gz", sep="\t", index_col=0)
    lines = pd.read_csv(args.data / "samples.tsv", sep="\t", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coverage notes; kept in the result's attrs
        scores = rrscore.radioresistance(expr)
        rsi = rrscore.rsi(expr)
    table = pd.DataFrame({
        "SF2": lines.loc[scores.index, "SF2"],
        "composite": scores["composite"],
        "RSI": rsi,
    })
    table["GARD (30 x 2 Gy)"] = rrscore.gard(table["RSI"])
    table = table.sort_values("SF2")

    out = ["## 3. RadioGx Cleveland lines (n = 5): smoke test only", ""]
    out.append(
        "Five neuroblastoma lines, CCLE U133 Plus 2 log2 expression, measured SF2. The "
        "composite uses the five lines as their own reference (z relative to them); RSI is on "
        "its published scale here (absolute log2 array data). GARD is shown because the data "
        "are on RSI's scale, not as a dose recommendation. n = 5 supports no claim."
    )
    out += ["", "| line | SF2 | composite | RSI | GARD (30 × 2 Gy) |", "|---|---:|---:|---:|---:|"]
    for name, row in table.iterrows():
        out.append(f"| {name} | {row['SF2']:.3f} | {row['composite']:+.2f} | "
                   f"{row['RSI']:.3f} | {row['GARD (30 x 2 Gy)']:.1f} |")
    out.append("")
    results = [(label, *spearman_exact(table["SF2"], table[label]))
               for label in ("composite", "RSI")]
    q = stats.false_discovery_control([p for _, _, p in results], method="bh")
    for (label, rho, p), qq in zip(results, q, strict=True):
        out.append(f"- Spearman ρ(SF2, {label}) = {rho:+.2f} (exact p = {p:.3f} over the 120 "
                   f"orderings, q = {qq:.2f}, n = 5 lines)")
    out += ["", "RSI is built so that high RSI means radioresistant (high SF2); a positive ρ is "
            "the expected sign for both scores.", ""]
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
