"""ssGSEA: rrscore vs gseapy.ssgsea vs R GSVA 1.46, same data, one run.

    python benchmarks/bench_ssgsea.py                     # 20,000 genes × 1,000 samples × 60 sets
    python benchmarks/bench_ssgsea.py --samples 200       # smaller, e.g. to include R quickly
    python benchmarks/bench_ssgsea.py --leukemia          # the real GSVA test data (../shared)

Scores are compared with rrscore's (R: identical up to ~1e-12 on normalised scores; gseapy:
different by design — untruncated average ranks, reverse tie order, its NES divisor).
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from harness import (
    Tool,
    module_available,
    report,
    run_r,
    run_tool,
    synthetic_bulk,
    workdir,
    write_inputs,
)

LOAD = """
expr = pd.read_parquet(os.path.join(workdir, "expr.parquet"))
import rrscore
sets = rrscore.read_gmt(os.path.join(workdir, "sets.gmt"))
"""

RRSCORE = Tool("rrscore", LOAD + "rrscore.score(expr.iloc[:50], sets)  # compile numba kernels\n",
               "result = rrscore.score(expr, sets, 'ssgsea', alpha=0.25, normalize=True)")

GSEAPY = Tool(
    "gseapy",
    LOAD + "import gseapy\n",
    """
res = gseapy.ssgsea(data=expr, gene_sets=os.path.join(workdir, "sets.gmt"), outdir=None,
                    sample_norm_method="rank", min_size=1, max_size=100000, weight=0.25,
                    threads=2, no_plot=True, verbose=False)
table = res.res2d.pivot(index="Name", columns="Term", values="NES").astype(float)
result = table.loc[expr.columns, [s.name for s in sets]]
""",
    available=module_available("gseapy"),
    note="gseapy not installed",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--sets", type=int, default=60)
    parser.add_argument("--no-r", action="store_true", help="skip R GSVA")
    parser.add_argument("--no-gseapy", action="store_true", help="skip gseapy")
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--leukemia", action="store_true",
                        help="use ../shared/data/gsvadata_leukemia_armstrong instead")
    args = parser.parse_args()

    wd = workdir()
    if args.leukemia:
        d = Path(__file__).resolve().parents[2] / "shared/data/gsvadata_leukemia_armstrong"
        expr = pd.read_csv(d / "expr.tsv.gz", sep="\t", index_col=0)
        import rrscore

        coll = rrscore.read_gmt(d / "fixtures/reference_genesets_symbols_200.gmt")
        sets = {gs.name: list(gs.up) for gs in coll}
    else:
        expr, sets = synthetic_bulk(args.genes, args.samples, args.sets)
    write_inputs(wd, expr, sets, tsv=not args.no_r)
    print(f"ssGSEA: {expr.shape[0]} genes × {expr.shape[1]} samples × {len(sets)} sets "
          f"(workdir {wd})")
    rows = [run_tool(RRSCORE, wd, args.timeout)]
    if not args.no_gseapy:
        rows.append(run_tool(GSEAPY, wd, args.timeout))
    if not args.no_r:
        rows.append(run_r(wd, "ssgsea", ["--tau=0.25", "--ssgsea-norm=TRUE"], args.timeout))

    def compare(values, ref):
        return float(np.nanmax(np.abs(values - ref))) if values.shape == ref.shape else np.nan

    report(rows, expr.shape[0] * expr.shape[1] * 8, compare=compare)
    if not args.keep:
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
