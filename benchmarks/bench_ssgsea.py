"""ssGSEA: rrscore vs gseapy.ssgsea vs R GSVA 1.46, same data, one run.

    python benchmarks/bench_ssgsea.py                     # 20,000 genes × 1,000 samples × 60 sets
    python benchmarks/bench_ssgsea.py --samples 200       # smaller, e.g. to include R quickly
    python benchmarks/bench_ssgsea.py --leukemia          # the real GSVA test data (../shared)
    python benchmarks/bench_ssgsea.py --many-sets         # 20,000 × 1,000 × 5,000 sets (issue 14)

Scores are compared with rrscore's (R: identical up to ~1e-12 on normalised scores; gseapy:
different by design — untruncated average ranks, reverse tie order, its NES divisor).

``--many-sets`` scores 5,000 random sets of 20–200 genes (MSigDB C2/C5 scale; ``--sets`` to
change) and checks the issue-14 goal (< 10 s). The peers' time grows with the number of
sets, so gseapy (and R GSVA with ``--with-r``) score only the first ``--peer-sets`` sets
(default 200), and rrscore is timed on that subset too, in the same run: the ratio printed
is like for like on the subset.
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
sets = rrscore.read_gmt(os.path.join(workdir, {gmt!r}))
"""


def rrscore_tool(gmt: str = "sets.gmt", name: str = "rrscore") -> Tool:
    load = LOAD.format(gmt=gmt)
    return Tool(name, load + "rrscore.score(expr.iloc[:50], sets)  # compile numba kernels\n",
                "result = rrscore.score(expr, sets, 'ssgsea', alpha=0.25, normalize=True)")


def gseapy_tool(gmt: str = "sets.gmt") -> Tool:
    return Tool(
        "gseapy",
        LOAD.format(gmt=gmt) + "import gseapy\n",
        f"""
res = gseapy.ssgsea(data=expr, gene_sets=os.path.join(workdir, {gmt!r}), outdir=None,
                    sample_norm_method="rank", min_size=1, max_size=100000, weight=0.25,
                    threads=2, no_plot=True, verbose=False)
table = res.res2d.pivot(index="Name", columns="Term", values="NES").astype(float)
result = table.loc[expr.columns, [s.name for s in sets]]
""",
        available=module_available("gseapy"),
        note="gseapy not installed",
    )


def write_gmt(path: Path, sets: dict[str, list[str]]) -> None:
    with open(path, "w") as fh:
        for name, genes in sets.items():
            fh.write("\t".join([name, "synthetic", *genes]) + "\n")


def compare(values, ref):
    return float(np.nanmax(np.abs(values - ref))) if values.shape == ref.shape else np.nan


def many_sets(args, wd: Path, expr: pd.DataFrame, sets: dict[str, list[str]]) -> None:
    """rrscore on every set; rrscore and the peers on the first ``--peer-sets`` sets."""
    subset = dict(list(sets.items())[: args.peer_sets])
    write_gmt(wd / "subset.gmt", subset)
    print(f"\n=== rrscore on all {len(sets)} sets")
    full = run_tool(rrscore_tool(), wd, args.timeout)
    report([full], expr.shape[0] * expr.shape[1] * 8)
    print(f"\n=== the first {len(subset)} sets: rrscore and its peers, same run")
    rows = [run_tool(rrscore_tool("subset.gmt"), wd, args.timeout)]
    if not args.no_gseapy:
        rows.append(run_tool(gseapy_tool("subset.gmt"), wd, args.timeout))
    if args.with_r:
        shutil.copy(wd / "subset.gmt", wd / "sets.gmt")  # run_r reads sets.gmt
        rows.append(run_r(wd, "ssgsea", ["--tau=0.25", "--ssgsea-norm=TRUE"], args.timeout))
    report(rows, expr.shape[0] * expr.shape[1] * 8, compare=compare)
    print("note: on a subset every tool's NES/normalised scores are divided by the range of "
          "that subset's scores, so they are compared on the subset only.")
    goal = (expr.shape == (20000, 1000) and len(sets) >= 5000)
    if full["status"] == "ok":
        verdict = ("MET" if full["seconds"] < 10 else "NOT MET") if goal else \
            "[NOT the goal workload: no verdict]"
        print(f"\n=== goal (issue 14): 20,000 genes × 1,000 samples × 5,000 sets in < 10 s: "
              f"{full['seconds']:.2f} s, {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--sets", type=int, default=None, help="default 60 (5,000 with "
                        "--many-sets)")
    parser.add_argument("--many-sets", action="store_true",
                        help="issue-14 workload: 5,000 sets (unless --sets); peers on a subset")
    parser.add_argument("--peer-sets", type=int, default=200,
                        help="with --many-sets: sets the peers (and rrscore again) score")
    parser.add_argument("--with-r", action="store_true", help="with --many-sets: run R too")
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
        n_sets = args.sets or (5000 if args.many_sets else 60)
        expr, sets = synthetic_bulk(args.genes, args.samples, n_sets)
    write_inputs(wd, expr, sets, tsv=not args.no_r and (args.with_r or not args.many_sets))
    print(f"ssGSEA: {expr.shape[0]} genes × {expr.shape[1]} samples × {len(sets)} sets "
          f"(workdir {wd})")
    if args.many_sets:
        many_sets(args, wd, expr, sets)
    else:
        rows = [run_tool(rrscore_tool(), wd, args.timeout)]
        if not args.no_gseapy:
            rows.append(run_tool(gseapy_tool(), wd, args.timeout))
        if not args.no_r:
            rows.append(run_r(wd, "ssgsea", ["--tau=0.25", "--ssgsea-norm=TRUE"],
                              args.timeout))
        report(rows, expr.shape[0] * expr.shape[1] * 8, compare=compare)
    if not args.keep:
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
