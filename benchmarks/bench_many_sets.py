"""Thousands of gene sets: every bulk method on 20,000 genes × 1,000 samples × 5,000 sets.

    python benchmarks/bench_many_sets.py                          # goal workload, every method
    python benchmarks/bench_many_sets.py --sizes uniform          # the issue's 1.3M memberships
    python benchmarks/bench_many_sets.py --methods zscore plage --r --r-sets 500
    python benchmarks/bench_many_sets.py --genes 2000 --samples 200 --sets 500   # quick

Issue 14's target: every bulk method (mean, zscore, plage, singscore, ssgsea, gsva) scores
20,000 genes × 1,000 samples × 5,000 sets in under 10 s.

* **Data.** Synthetic log-scale expression as ``bench_bulk.py``'s default workload (per-gene
  level and spread, 6 decimals, independent genes — no gene-gene correlation, the hardest
  case for PLAGE's iterative eigensolver) and ``--sets`` random sets (seeded). ``--sizes c2``
  (default): sizes drawn like MSigDB C2 sets between 10 and 500 genes — a log-normal with
  C2 CGP's median (48) and quartiles (24, 110), truncated to 10–500: about 440,000
  memberships for 5,000 sets. ``--sizes uniform``: uniform in 10–500 (the issue's 1.3 million
  memberships, mean 255: ~3× the memberships and ~5× PLAGE's Gram work of ``c2``).
* **Timing.** Each method runs in a fresh interpreter (``harness.py``): reading the data and
  a small warm-up call (numba kernels loaded) happen before the clock; the timed call is
  ``rrscore.score(expr, sets, method)`` with the sets as a dict ``name -> genes`` (so turning
  them into a collection and matching them to the data are timed, as a user pays them).
  Printed: seconds (wall; the target line adds the CPU time of all threads, which says how
  much a busy machine inflated it), peak RSS, the call's extra memory over the input matrix.
* **R GSVA 1.46** (``--r``, needs ``Rscript``; zscore and plage only): same-run timing of
  ``gsva(method=...)`` with ``parallel.sz=1``. R's PLAGE takes a full SVD per set (minutes
  for thousands of sets): ``--r-sets N`` runs R on the first N sets only (a random sample of
  the sizes), times rrscore on the same N sets too (the measured same-workload ratio), and
  scales R's time by ``sets / N`` for an EXTRAPOLATED full-size ratio. Scores are compared:
  zscore directly, plage up to each set's sign.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
from bench_bulk import diff_and_corr, diff_up_to_sign, synthetic_log_expression
from harness import Tool, report, run_r, run_tool, workdir

METHODS = ("mean", "zscore", "plage", "singscore", "ssgsea", "gsva")
R_METHODS = ("zscore", "plage")
TARGET_SECONDS = 10.0
#: MSigDB C2 CGP set sizes (v7.0, sets of 10–500 genes): median 48, quartiles 24 and 110.
C2_LOG_MEDIAN, C2_LOG_SD = np.log(48.0), np.log(110 / 24) / 1.349

LOAD = """
expr = pd.read_parquet(os.path.join(workdir, "expr.parquet"))
with open(os.path.join(workdir, "{sets}")) as fh:
    sets = json.load(fh)
names = list(sets)
import rrscore
_few = dict(list(sets.items())[:5])
rrscore.score(expr.iloc[:, :10], _few, {method!r})  # load the numba kernels
"""


def set_sizes(rng: np.random.Generator, n_sets: int, kind: str) -> np.ndarray:
    """Set sizes in 10–500: C2-like (truncated log-normal) or uniform."""
    if kind == "uniform":
        return rng.integers(10, 501, size=n_sets)
    sizes = np.empty(0, dtype=np.int64)
    while len(sizes) < n_sets:
        draw = np.rint(rng.lognormal(C2_LOG_MEDIAN, C2_LOG_SD, size=2 * n_sets))
        sizes = np.concatenate([sizes, draw[(draw >= 10) & (draw <= 500)].astype(np.int64)])
    return sizes[:n_sets]


def make_sets(genes: np.ndarray, n_sets: int, kind: str, seed: int) -> dict[str, list[str]]:
    """``n_sets`` random sets of distinct genes, sizes by :func:`set_sizes` (seeded)."""
    rng = np.random.default_rng(seed + 1)
    sizes = set_sizes(rng, n_sets, kind)
    return {f"SET{i:05d}": [str(g) for g in rng.choice(genes, size=int(k), replace=False)]
            for i, k in enumerate(sizes)}


def rrscore_tool(method: str, sets_file: str, name: str = "rrscore") -> Tool:
    """``rrscore.score`` on the whole matrix with the sets of ``sets_file`` (a dict)."""
    return Tool(name, "import json\n" + LOAD.format(sets=sets_file, method=method),
                f"result = rrscore.score(expr, sets, {method!r})",
                after="result = result.reindex(index=expr.columns, columns=names)")


def write_sets(wd: Path, name: str, sets: dict[str, list[str]]) -> None:
    """The sets as JSON (Python tools) and GMT (R) under ``wd``."""
    (wd / name).write_text(json.dumps(sets))


def write_gmt(path: Path, sets: dict[str, list[str]]) -> None:
    with open(path, "w") as fh:
        for set_name, genes in sets.items():
            fh.write("\t".join([set_name, "benchmark", *genes]) + "\n")


def run_r_rows(method: str, args, wd: Path, expr, sets: dict[str, list[str]]) -> list[dict]:
    """R GSVA 1.46 on all sets, or on the first ``--r-sets`` (then rrscore on them too)."""
    n_r = min(args.r_sets or len(sets), len(sets))
    rwd = wd / f"r_{n_r}"
    rwd.mkdir(exist_ok=True)
    subset = dict(list(sets.items())[:n_r])
    write_gmt(rwd / "sets.gmt", subset)
    rows = []
    if n_r < len(sets):
        write_sets(wd, f"sets_{n_r}.json", subset)
        small = run_tool(rrscore_tool(method, f"sets_{n_r}.json", name=f"rrscore ({n_r} sets)"),
                         wd, args.timeout)
        rows.append(small)
    r = run_r(rwd, method, [], args.r_timeout, expr=wd / "expr.tsv",
              order=(list(expr.columns), list(subset)), name=f"R GSVA 1.46 ({n_r} sets)")
    rows.append(r)
    if n_r < len(sets) and r["status"] == "ok":
        rows.append({"tool": f"R GSVA 1.46 (EXTRAPOLATED × {len(sets) / n_r:.1f})",
                     "status": "ok", "seconds": r["seconds"] * len(sets) / n_r,
                     "peak": None, "rss_before": None, "result": None})
    return rows


def summary_line(method: str, rows: list[dict]) -> str:
    """The method's target line and, with R, the same-run ratios."""
    ok = {r["tool"]: r for r in rows if r["status"] == "ok"}
    main = ok.get("rrscore")
    if main is None:
        return f"{method}: rrscore {rows[0]['status']}"
    text = (f"{method}: {main['seconds']:.2f} s, CPU {main['cpu']:.2f} s (target < "
            f"{TARGET_SECONDS:g} s) {'MET' if main['seconds'] < TARGET_SECONDS else 'NOT MET'}")
    for name, r in ok.items():
        if not name.startswith("R GSVA"):
            continue
        if "EXTRAPOLATED" in name:
            text += f"; R {r['seconds'] / main['seconds']:.0f}x slower (EXTRAPOLATED)"
        else:
            n_r = name[len("R GSVA 1.46 ("):].split()[0]
            ref = ok.get(f"rrscore ({n_r} sets)", main)
            text += f"; R {r['seconds'] / ref['seconds']:.0f}x slower on {n_r} sets (measured)"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--genes", type=int, default=20000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--sets", type=int, default=5000)
    parser.add_argument("--sizes", choices=("c2", "uniform"), default="c2")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--r", action="store_true",
                        help="time R GSVA 1.46 for zscore and plage (needs Rscript)")
    parser.add_argument("--r-sets", type=int, default=None,
                        help="R (and a second rrscore row) on the first N sets only")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per Python tool")
    parser.add_argument("--r-timeout", type=float, default=7200, help="seconds per R run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    use_r = args.r and shutil.which("Rscript") is not None
    if args.r and not use_r:
        print("Rscript not found: R GSVA rows skipped", file=sys.stderr)

    expr, _ = synthetic_log_expression(args.genes, args.samples, 0, seed=args.seed)
    sets = make_sets(expr.index.to_numpy(), args.sets, args.sizes, args.seed)
    sizes = np.array([len(g) for g in sets.values()])
    wd = workdir()
    expr.to_parquet(wd / "expr.parquet")
    write_sets(wd, "sets.json", sets)
    if use_r and any(m in R_METHODS for m in args.methods):
        expr.to_csv(wd / "expr.tsv", sep="\t", index_label="gene")
    input_bytes = expr.shape[0] * expr.shape[1] * 8
    print(f"many-sets benchmark: {expr.shape[0]} genes × {expr.shape[1]} samples (synthetic "
          f"log-scale, {input_bytes / 2**20:.0f} MB) × {len(sets)} sets ({args.sizes} sizes: "
          f"median {np.median(sizes):.0f}, mean {sizes.mean():.0f}, {sizes.sum()} memberships; "
          f"workdir {wd})", flush=True)
    lines = []
    try:
        for method in args.methods:
            print(f"\n=== {method}", flush=True)
            rows = [run_tool(rrscore_tool(method, "sets.json"), wd, args.timeout)]
            compare_for = {}
            if use_r and method in R_METHODS:
                r_rows = run_r_rows(method, args, wd, expr, sets)
                rule = diff_up_to_sign if method == "plage" else diff_and_corr
                compare_for = {r["tool"]: rule for r in r_rows
                               if r["tool"].startswith("R GSVA")}
                subset = next((r for r in r_rows if r["tool"].startswith("rrscore (")), None)
                if subset is not None:  # R's scores checked against rrscore's, same sets
                    print(f"-- {subset['tool']} and R on the same sets:")
                    report([r for r in r_rows if "EXTRAPOLATED" not in r["tool"]],
                           input_bytes, reference=subset["tool"], compare=diff_and_corr,
                           compare_for=compare_for)
                    print("-- all sets:")
                rows += r_rows
            report(rows, input_bytes, compare=diff_and_corr, compare_for=compare_for)
            lines.append(summary_line(method, rows))
        print(f"\n=== targets (issue 14: < {TARGET_SECONDS:g} s at 20,000 × 1,000 × 5,000)"
              + ("" if (expr.shape, len(sets)) == ((20000, 1000), 5000)
                 else "  [NOT the target workload]"))
        for line in lines:
            print(line)
    finally:
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
