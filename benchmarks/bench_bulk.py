"""Bulk methods: rrscore vs R GSVA 1.46 and decoupler, same data, one run, one table per method.

    python benchmarks/bench_bulk.py                          # TCGA-scale: 20,000 × 1,000 × 60
    python benchmarks/bench_bulk.py --samples 200            # smaller
    python benchmarks/bench_bulk.py --methods zscore mean --no-r
    python benchmarks/bench_bulk.py --r-samples 200          # R GSVA at 200 samples, extrapolated
    python benchmarks/bench_bulk.py --workload leukemia      # real: GSVAdata leukemia, 200 sets
    python benchmarks/bench_bulk.py --workload tcga_counts   # real: TCGA LUAD STAR counts

Methods and peers (each tool in its own interpreter on the same files; reading the data and
loading/compiling the kernels are not timed — see ``harness.py``):

* ``gsva``: rrscore ``gsva`` vs R GSVA 1.46 ``gsva(method="gsva")`` (Gaussian kernel; with
  ``--workload tcga_counts`` the Poisson kernel on the counts) and decoupler ``dc.mt.gsva``.
* ``zscore``: rrscore ``zscore`` vs R GSVA 1.46 ``gsva(method="zscore")`` and decoupler
  ``dc.mt.zscore`` (a *different statistic*: per sample, over all genes; speed only).
* ``plage``: rrscore ``plage`` vs R GSVA 1.46 ``gsva(method="plage")`` (compared up to sign).
* ``singscore``: rrscore only (R singscore is not packaged for Debian and not installed).
* ``mean``: rrscore ``mean``, with decoupler ``dc.mt.ulm`` as a speed reference point.

Workloads: ``tcga`` = synthetic log-scale expression (per-gene mean and spread, 6 decimals
like real processed data), 20,000 genes × 1,000 samples × 60 random sets of 20–200 genes
(seeded); ``leukemia`` = ``../shared/data/gsvadata_leukemia_armstrong`` (9,052 × 37, RMA log2)
with its 200 reference CGP sets; ``tcga_counts`` = ``../shared/data/tcga_luad_star_counts_
omicskit`` (51,825 × 32 STAR counts) with the 50 MSigDB v7.0 hallmarks: ``gsva`` runs
``kcdf="poisson"`` on the counts, the other methods run on ``log2(counts + 1)``.

R runs single-threaded (``parallel.sz=1``); rrscore and decoupler use every core (numba).
R GSVA's Gaussian kernel costs O(genes × samples²): at 1,000 samples expect minutes.

Goals checked at the end: issue 4's, and issue 14's for GSVA (Gaussian) on the ``tcga``
workload: >= 20x R GSVA 1.46 at 1,000 samples (the default) and >= 10x at 300
(``--samples 300``), as same-run ratios; the load average is printed before and after,
since other processes on the machine slow both tools.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from harness import Tool, module_available, random_sets, report, run_r, run_tool, workdir

SHARED = Path(__file__).resolve().parents[2] / "shared"
METHODS = ("gsva", "zscore", "plage", "singscore", "mean")
#: exponent of the sample count in R's cost, for --r-samples extrapolation
R_COST_EXPONENT = {"gsva": 2, "zscore": 1, "plage": 1}
#: tolerance under which two tools' scores count as identical (the parity tests' 1e-8)
IDENTICAL = 1e-8

LOAD = """
expr = pd.read_parquet(os.path.join(workdir, "{input}.parquet"))
import rrscore
collection = rrscore.read_gmt(os.path.join(workdir, "sets.gmt"))
names = [s.name for s in collection]
"""

DC_LOAD = """
import decoupler as dc
net = pd.DataFrame([(s.name, g) for s in collection for g in s.up],
                   columns=["source", "target"])
data = expr.T.copy()  # decoupler wants samples × genes
"""

DC_AFTER = """
es = es[0] if isinstance(es, tuple) else es
result = es.reindex(index=data.index, columns=names)
"""


def rrscore_tool(method: str, params: dict, inp: str, *, samples: int | None = None,
                 name: str = "rrscore") -> Tool:
    """rrscore.score on the (first ``samples``) columns; a small call first loads the kernels."""
    load = LOAD.format(input=inp)
    if samples is not None:
        load += f"expr = expr.iloc[:, :{samples}].copy()\n"
    load += (f"rrscore.score(expr.iloc[:, :min(10, expr.shape[1])], collection, {method!r}, "
             f"**{params!r})  # load numba kernels\n")
    return Tool(name, load, f"result = rrscore.score(expr, collection, {method!r}, **{params!r})",
                after="result = result.reindex(index=expr.columns, columns=names)")


def decoupler_tool(func: str, kwargs: dict, inp: str, name: str = "decoupler") -> Tool:
    """``dc.mt.<func>`` on samples × genes with every set as a source (tmin=1)."""
    args = {"tmin": 1, **kwargs}
    return Tool(
        name,
        LOAD.format(input=inp) + DC_LOAD
        + f"dc.mt.{func}(data.iloc[:min(10, len(data))], net, **{args!r})  # load kernels\n",
        f"es = dc.mt.{func}(data, net, **{args!r})",
        available=module_available("decoupler"),
        note="decoupler not installed",
        after=DC_AFTER,
    )


# ------------------------------------------------------------------------------- workloads


def synthetic_log_expression(n_genes: int, n_samples: int, n_sets: int, sizes=(20, 200),
                             seed: int = 0):
    """Log-scale expression with per-gene level and spread, rounded to 6 decimals.

    Values are ``k / 1e6`` for integers ``k``: the double nearest the printed decimal, so R
    reading the TSV and Python reading the parquet see the same numbers.
    """
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i:05d}" for i in range(n_genes)])
    level = rng.normal(6.0, 2.0, n_genes)
    spread = rng.gamma(4.0, 0.15, n_genes)
    values = level[:, None] + spread[:, None] * rng.standard_normal((n_genes, n_samples))
    values = np.rint(values * 1e6) / 1e6
    expr = pd.DataFrame(values, index=genes, columns=[f"S{j:04d}" for j in range(n_samples)])
    return expr, random_sets(rng, genes, n_sets, sizes)


def read_sets(path: Path, genes: pd.Index) -> dict[str, list[str]]:
    """Up genes of every set in a GMT, restricted to the genes of the data."""
    import rrscore

    present = set(genes)
    out = {}
    for gs in rrscore.read_gmt(path):
        kept = [g for g in gs.up if g in present]
        if kept:
            out[gs.name] = kept
    return out


def load_workload(args) -> tuple[dict[str, pd.DataFrame], dict[str, list[str]], str]:
    """Inputs by name (``expr``, optionally ``log2p1``), gene sets and a description."""
    if args.workload == "tcga":
        expr, sets = synthetic_log_expression(args.genes, args.samples or 1000, args.sets,
                                              seed=args.seed)
        return {"expr": expr}, sets, "synthetic log-scale expression"
    if args.workload == "leukemia":
        d = SHARED / "data/gsvadata_leukemia_armstrong"
        expr = pd.read_csv(d / "expr.tsv.gz", sep="\t", index_col=0)
        if args.samples:
            expr = expr.iloc[:, : args.samples]
        sets = read_sets(d / "fixtures/reference_genesets_symbols_200.gmt", expr.index)
        return {"expr": expr}, sets, "GSVAdata leukemia (RMA log2), 200 reference CGP sets"
    d = SHARED / "data/tcga_luad_star_counts_omicskit"
    counts = pd.read_csv(d / "expr.tsv.gz", sep="\t", index_col=0)
    if args.samples:
        counts = counts.iloc[:, : args.samples]
    sets = read_sets(SHARED / "reference/gene_lists/h.all.v7.0.symbols.gmt", counts.index)
    return ({"expr": counts, "log2p1": np.log2(counts + 1.0)}, sets,
            "TCGA LUAD STAR counts, MSigDB v7.0 hallmarks")


def write_inputs(wd: Path, inputs: dict[str, pd.DataFrame], sets: dict[str, list[str]],
                 r_inputs: set[str], r_samples: int | None) -> None:
    """Parquet per input (Python tools), TSV for the inputs R reads, one GMT."""
    for key, df in inputs.items():
        df.to_parquet(wd / f"{key}.parquet")
        if key in r_inputs:
            df.to_csv(wd / f"{key}.tsv", sep="\t", index_label="gene")
            for n in {r_samples, max(2, r_samples // 2)} if r_samples else ():
                df.iloc[:, :n].to_csv(wd / f"{key}_r{n}.tsv", sep="\t", index_label="gene")
    with open(wd / "sets.gmt", "w") as fh:
        for name, genes in sets.items():
            fh.write("\t".join([name, "benchmark", *genes]) + "\n")


# ------------------------------------------------------------------------------ comparisons


def _finite_pair(values, ref):
    if values.shape != ref.shape:
        return None
    ok = np.isfinite(values) & np.isfinite(ref)
    return (values[ok], ref[ok]) if ok.any() else None


def diff_and_corr(values, ref) -> dict:
    """max |diff| and Pearson r against rrscore's scores (NaN, e.g. a dropped set, ignored)."""
    pair = _finite_pair(values, ref)
    if pair is None:
        return {"max |diff| vs rrscore": np.nan, "r vs rrscore": np.nan}
    a, b = pair
    return {"max |diff| vs rrscore": float(np.abs(a - b).max()),
            "r vs rrscore": round(float(np.corrcoef(a, b)[0, 1]), 4)}


def corr_only(values, ref) -> dict:
    """For a different statistic: only how well it correlates with rrscore's score."""
    out = diff_and_corr(values, ref)
    out["max |diff| vs rrscore"] = "n/a (other statistic)"
    return out


def diff_up_to_sign(values, ref) -> dict:
    """PLAGE: each set's singular vector compared with either sign."""
    if values.shape != ref.shape:
        return {"max |diff| vs rrscore": np.nan}
    same = np.nanmax(np.abs(values - ref), axis=0)
    flipped = np.nanmax(np.abs(values + ref), axis=0)
    return {"max |diff| vs rrscore": float(np.nanmax(np.minimum(same, flipped))),
            "sets flipped": int((flipped < same).sum())}


# ------------------------------------------------------------------------------ per method


def method_plan(method: str, workload: str) -> dict:
    """Which input, rrscore parameters, R arguments and decoupler call a method uses."""
    counts = workload == "tcga_counts"
    inp = "log2p1" if counts and method != "gsva" else "expr"
    if method == "gsva":
        kcdf = "poisson" if counts else "gaussian"
        return {
            "input": inp, "params": {"kcdf": kcdf},
            "title": f"GSVA, kcdf={kcdf!r}, max_diff=True, tau=1",
            "r": ("gsva", [f"--kcdf={kcdf.capitalize()}", "--mx-diff=TRUE", "--tau=1"]),
            "dc": [("decoupler gsva", "gsva", {"kcdf": kcdf}, diff_and_corr)],
            "note": "R GSVA 1.46 is the reference (identical algorithm). decoupler's gsva is "
                    "an approximation: polynomial erf instead of GSVA's pnorm table, "
                    "features shuffled before ranking (tie order), so its scores differ.",
        }
    if method == "zscore":
        return {
            "input": inp, "params": {}, "title": "combined z-score (GSVA definition)",
            "r": ("zscore", []),
            "dc": [("decoupler zscore", "zscore", {}, corr_only)],
            "note": "R GSVA 1.46 zscore is the reference (identical). decoupler's zscore is a "
                    "DIFFERENT statistic (RoKAI/KSEA: per sample, mean of the set's values "
                    "over the sd of all genes × sqrt(k), no per-gene standardisation across "
                    "samples): timed for speed, compared by correlation only.",
        }
    if method == "plage":
        return {
            "input": inp, "params": {}, "title": "PLAGE (GSVA definition)",
            "r": ("plage", []), "dc": [], "compare_r": diff_up_to_sign,
            "note": "Compared up to the sign of each set: R returns LAPACK's arbitrary sign, "
                    "rrscore orients each score to correlate positively with the set's mean "
                    "z-score ('sets flipped' counts the sets where R's sign is the other one).",
        }
    if method == "singscore":
        return {
            "input": inp, "params": {}, "title": "singscore (up-only sets, centred, ties 'min')",
            "r": None, "dc": [],
            "note": "No peer timed: R singscore is not packaged for Debian and not installed "
                    "here (parity is tested against its own R code's fixtures).",
        }
    return {
        "input": inp, "params": {}, "title": "mean of z-scores (baseline)",
        "r": None, "dc": [("decoupler ulm (speed ref.)", "ulm", {}, corr_only)],
        "note": "rrscore mean has no reference implementation. decoupler's ulm (a per-sample "
                "linear model t-value) is a different statistic, shown as a speed reference "
                "point and compared by correlation only.",
    }


def run_method(method: str, args, wd: Path, inputs: dict[str, pd.DataFrame],
               names: list[str]) -> list[dict]:
    plan = method_plan(method, args.workload)
    inp = plan["input"]
    df = inputs[inp]
    n_genes, n_samples = df.shape
    input_bytes = n_genes * n_samples * 8
    print(f"\n=== {method}: {plan['title']}  [{n_genes} genes × {n_samples} samples × "
          f"{len(names)} sets, input {input_bytes / 2**20:.0f} MB"
          f"{', log2(counts + 1)' if inp == 'log2p1' else ''}]", flush=True)
    rows = [run_tool(rrscore_tool(method, plan["params"], inp), wd, args.timeout)]
    compare_by_tool = {}
    for name, func, kwargs, rule in plan["dc"]:
        if args.no_decoupler:
            continue
        rows.append(run_tool(decoupler_tool(func, kwargs, inp, name=name), wd, args.timeout))
        compare_by_tool[name] = rule
    extrapolated = None
    if plan["r"] is not None and not args.no_r:
        r_method, r_extra = plan["r"]
        rule = plan.get("compare_r", diff_and_corr)
        if args.r_samples and args.r_samples < n_samples:
            small, half = args.r_samples, max(2, args.r_samples // 2)
            r_half = run_r(wd, r_method, r_extra, args.r_timeout,
                           expr=wd / f"{inp}_r{half}.tsv", name=f"R GSVA 1.46 {r_method}")
            sub = [run_tool(rrscore_tool(method, plan["params"], inp, samples=small,
                                         name="rrscore_small"), wd, args.timeout),
                   run_r(wd, r_method, r_extra, args.r_timeout,
                         expr=wd / f"{inp}_r{small}.tsv",
                         order=(list(df.columns[:small]), names),
                         name=f"R GSVA 1.46 {r_method}")]
            print(f"-- measured at {small} samples (R's scores checked against rrscore's on "
                  f"the same {small} samples):")
            sub_table = report(sub, n_genes * small * 8, reference="rrscore_small",
                               compare=diff_and_corr, compare_for={sub[1]["tool"]: rule})
            if sub[1]["status"] == "ok" and r_half["status"] == "ok":
                # t = a + b * n^p through the two measured sizes: R's fixed cost (start-up
                # of the call, filtering) is not scaled up with the kernel's
                p = R_COST_EXPONENT[r_method]
                t1, t2 = sub[1]["seconds"], r_half["seconds"]
                b = max(t1 - t2, 0.0) / (small**p - half**p)
                a = max(t1 - b * small**p, 0.0)
                extrapolated = {
                    "tool": f"R GSVA 1.46 {r_method} (EXTRAPOLATED from {half} and {small} "
                            f"samples: a + b n^{p})",
                    "status": "ok", "seconds": a + b * n_samples**p,
                    "peak": None, "rss_before": None, "result": None,
                    "measured_at": (half, small, t2, t1),
                    "diff_at_small": sub_table.loc[1, "max |diff| vs rrscore"],
                }
                rows.append(extrapolated)
            else:
                rows.append(sub[1] if sub[1]["status"] != "ok" else r_half)
        else:
            rows.append(run_r(wd, r_method, r_extra, args.r_timeout, expr=wd / f"{inp}.tsv",
                              order=(list(df.columns), names)))
            compare_by_tool[rows[-1]["tool"]] = rule
    print(f"-- {n_samples} samples:")
    table = report(rows, input_bytes, compare=diff_and_corr, compare_for=compare_by_tool)
    print("note:", plan["note"])
    if extrapolated is not None:
        half, small, t2, t1 = extrapolated["measured_at"]
        print(f"note: R was run at {half} samples ({t2:.2f} s) and {small} samples ({t1:.2f} s) "
              "only (--r-samples); its time at full size and the ratio are EXTRAPOLATED, "
              "not measured.")
    return [{**r, "table": table, "input_bytes": input_bytes} for r in rows]


# ------------------------------------------------------------------------------ goals


def gsva_goal(workload: str, shape: tuple[int, int]) -> float | None:
    """Issue 14's GSVA (Gaussian) speed goal for this workload: >= 20x R GSVA 1.46 at
    20,000 genes × 1,000 samples, >= 10x at 300 samples (issue 4 asked 10x at 1,000)."""
    if workload != "tcga" or shape[0] != 20000:
        return None
    return {1000: 20.0, 300: 10.0}.get(shape[1])


def check_goals(results: dict[str, list[dict]], full_size: bool,
                goal_gsva: float | None = None) -> None:
    """Issue 4's goals (and issue 14's for GSVA), from the rows of this run."""
    print("\n=== goals (issues 4 and 14)" + ("" if full_size else
          "  [NOT the goal workload — issue 4's goals are stated for --workload tcga at "
          "20,000 × 1,000 × 60]"))

    def row(method, prefix):
        return next((r for r in results.get(method, [])
                     if r["tool"].startswith(prefix) and r["status"] == "ok"), None)

    gsva_rr, gsva_r = row("gsva", "rrscore"), row("gsva", "R GSVA")
    if gsva_rr and gsva_r:
        ratio = gsva_r["seconds"] / gsva_rr["seconds"]
        how = "extrapolated" if "EXTRAPOLATED" in gsva_r["tool"] else "measured"
        table = results["gsva"][0]["table"]
        diff_row = table[table["tool"] == gsva_r["tool"]]
        diff = (diff_row["max |diff| vs rrscore"].iloc[0]
                if "max |diff| vs rrscore" in diff_row and gsva_r.get("result") else None)
        if diff is None and gsva_r.get("diff_at_small") is not None:
            diff = f"{gsva_r['diff_at_small']} (at {gsva_r['measured_at'][1]} samples)"
        goal = goal_gsva or 10.0
        print(f"GSVA vs R GSVA 1.46: {ratio:.1f}x faster ({how}, same run; goal >= "
              f"{goal:g}x{'' if goal_gsva else ', issue 4'}) "
              f"{'MET' if ratio >= goal else 'NOT MET'}; max |diff| {diff} "
              f"(identical: <= {IDENTICAL:g})")
    elif "gsva" in results:
        print("GSVA vs R GSVA 1.46: R not run (--no-r, no Rscript, or it failed)")
    for method in ("zscore", "mean", "singscore", "plage"):
        r = row(method, "rrscore")
        if r:
            print(f"{method}: {r['seconds']:.3f} s (goal < 1 s) "
                  f"{'MET' if r['seconds'] < 1 else 'NOT MET'}")
    for method in results:
        r = row(method, "rrscore")
        if r and r.get("rss_before") is not None:
            extra = (r["peak"] - r["rss_before"]) / r["input_bytes"]
            print(f"memory {method}: call's extra {extra:.2f}x the input matrix "
                  f"(goal < 3x) {'MET' if extra < 3 else 'NOT MET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", choices=("tcga", "leukemia", "tcga_counts"),
                        default="tcga")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    parser.add_argument("--samples", type=int, default=None,
                        help="number of samples (tcga: default 1000; real data: first N)")
    parser.add_argument("--genes", type=int, default=20000, help="tcga workload only")
    parser.add_argument("--sets", type=int, default=60, help="tcga workload only")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-r", action="store_true", help="skip R GSVA")
    parser.add_argument("--no-decoupler", action="store_true", help="skip decoupler")
    parser.add_argument("--r-samples", type=int, default=None,
                        help="run R on only the first N samples and extrapolate its time "
                             "(marked EXTRAPOLATED in the output)")
    parser.add_argument("--timeout", type=float, default=1800,
                        help="seconds per Python tool")
    parser.add_argument("--r-timeout", type=float, default=3600, help="seconds per R run")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if shutil.which("Rscript") is None and not args.no_r:
        print("Rscript not found: R GSVA rows will be skipped", file=sys.stderr)

    inputs, sets, what = load_workload(args)
    wd = workdir()
    r_inputs = set()
    if not args.no_r:
        r_inputs = {method_plan(m, args.workload)["input"] for m in args.methods
                    if method_plan(m, args.workload)["r"] is not None}
    write_inputs(wd, inputs, sets, r_inputs, args.r_samples)
    names = list(sets)
    expr = inputs["expr"]
    print(f"bulk benchmark, workload {args.workload!r}: {what}; {expr.shape[0]} genes × "
          f"{expr.shape[1]} samples × {len(sets)} sets (workdir {wd}); load average "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} CPUs")
    results = {}
    try:
        for method in args.methods:
            results[method] = run_method(method, args, wd, inputs, names)
        full = (args.workload == "tcga" and expr.shape == (20000, 1000) and len(sets) == 60)
        check_goals(results, full, gsva_goal(args.workload, expr.shape))
        print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        if not args.keep:
            shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
