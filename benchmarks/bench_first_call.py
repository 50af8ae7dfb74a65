"""First call after install: import time, cold/warm numba cache, the README job.

Every number comes from a **fresh interpreter** (``--python``, default this one), so that
nothing is imported or compiled before the clock starts:

* ``import rrscore`` and ``rrscore --help`` (best of ``--repeat`` runs);
* per method, the first ``rrscore.score`` call of a process with an **empty** numba cache
  directory (``cold``: what a user pays right after ``pip install``), the first call of a new
  process once that directory holds the compiled kernels (``warm``), and a second call in the
  same process (``again``: the call itself, nothing compiled or loaded). ``cold - again`` is
  what compilation costs, ``warm - again`` what loading the cache costs;
* the README's main job (``rrscore radioresistance`` on the bundled cohort), cold and warm,
  as a separate ``rrscore`` process (``--rrscore``, default the one next to ``--python``);
* with ``--warmup``, ``python -m rrscore.warmup`` into an empty cache, and the first call
  of every method after it;
* with ``--kernels N``, the N functions whose compilation took the most CPU time in each
  cold first call (numba's compile events; a function's time includes the functions it
  calls that were compiled for it), to see which kernels a first call pays for.

The numba cache goes to a temporary ``NUMBA_CACHE_DIR`` (numba's own setting), so the cache
next to the sources is neither used nor touched. Run it against a non-editable install to
see what users see::

    python -m venv --system-site-packages /tmp/v && /tmp/v/bin/pip install --no-deps .
    python benchmarks/bench_first_call.py --python /tmp/v/bin/python

Each row records the 1-minute load average when it was taken: on a shared machine wall
times rise with the load, CPU times much less.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "data" / "tcga_luad_agilent"
BULK_METHODS = ("ssgsea", "gsva", "zscore", "plage", "singscore", "mean")
CELL_METHODS = ("ucell", "aucell", "score_genes")

#: Child: build the workload (not timed), then time the import and two calls.
CHILD = r'''
import json, os, sys, time
t_start = time.perf_counter()
import rrscore
t_import = time.perf_counter() - t_start
import numpy as np, pandas as pd
method, kind, n_genes, n_samples, n_sets = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
rng = np.random.default_rng(0)
genes = np.array([f"G{i:05d}" for i in range(n_genes)])
sets = {f"SET{i:03d}": list(rng.choice(genes, size=int(rng.integers(20, 201)), replace=False))
        for i in range(n_sets)}
if kind == "bulk":
    level = rng.normal(6.0, 2.0, (n_genes, 1))
    data = pd.DataFrame(level + rng.normal(0.0, 1.0, (n_genes, n_samples)), index=genes,
                        columns=[f"S{j:04d}" for j in range(n_samples)])
else:  # cells x genes, 8 % detected, log-normalised CSR float32 in an AnnData
    import anndata, scipy.sparse as sp
    x = sp.random(n_samples, n_genes, density=0.08, format="csr", dtype=np.float32,
                  random_state=rng, data_rvs=lambda n: np.log1p(rng.poisson(2.0, n) + 1.0))
    data = anndata.AnnData(X=x, obs=pd.DataFrame(index=[f"c{i}" for i in range(n_samples)]),
                           var=pd.DataFrame(index=genes))
compiled = {}
if os.environ.get("RRSCORE_BENCH_KERNELS"):
    # CPU seconds numba spends compiling each function (inclusive of what it calls)
    from numba.core import event
    class Listener(event.Listener):
        started = {}
        def on_start(self, ev):
            self.started[id(ev.data["dispatcher"]), str(ev.data["args"])] = time.process_time()
        def on_end(self, ev):
            d = ev.data["dispatcher"]
            name = d.py_func.__module__.rsplit(".", 1)[-1] + "." + d.py_func.__name__
            t = self.started.pop((id(d), str(ev.data["args"])))
            compiled[name] = compiled.get(name, 0.0) + time.process_time() - t
    event.register("numba:compile", Listener())
def call():
    c0, t0 = time.process_time(), time.perf_counter()
    rrscore.score(data, sets, method)
    return time.perf_counter() - t0, time.process_time() - c0
first, first_cpu = call()
again, again_cpu = call()
print("BENCH " + json.dumps({"import": t_import, "first": first, "first_cpu": first_cpu,
                             "again": again, "again_cpu": again_cpu, "compiled": compiled}))
'''


def load() -> float:
    return os.getloadavg()[0]


def run(cmd: list[str], env: dict, timeout: float) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=tempfile.gettempdir())
    return time.perf_counter() - t0, proc


def child_env(cache: Path | None, kernels: bool = False) -> dict:
    env = dict(os.environ)
    if kernels:
        env["RRSCORE_BENCH_KERNELS"] = "1"
    # a source checkout on PYTHONPATH would shadow the install being measured
    env.pop("PYTHONPATH", None)
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    return env


def best_of(cmd: list[str], repeat: int, env: dict) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        seconds, proc = run(cmd, env, 120)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
        times.append(seconds)
    return min(times), load()


def method_row(python: str, method: str, args, cache: Path) -> dict:
    kind = "cells" if method in CELL_METHODS else "bulk"
    size = (args.cells, args.genes) if kind == "cells" else (args.samples, args.genes)
    cmd = [python, "-c", CHILD, method, kind, str(size[1]), str(size[0]), str(args.sets)]
    out = {"method": method, "data": f"{size[1]:,} genes x {size[0]:,} "
           + ("cells (CSR 8%)" if kind == "cells" else "samples") + f" x {args.sets} sets"}
    for label in ("cold", "warm"):
        _, proc = run(cmd, child_env(cache, args.kernels and label == "cold"), args.timeout)
        line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")), None)
        if proc.returncode != 0 or line is None:
            out[label] = None
            out["error"] = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
            continue
        res = json.loads(line[6:])
        out[label] = res["first"]
        if label == "cold":
            out["compiled"] = res.get("compiled", {})
        out[f"{label}_cpu"] = res["first_cpu"]
        # the import counts too: a lazy import moves work into the first call
        out[f"{label}_with_import"] = res["import"] + res["first"]
        out["again"] = res["again"]
        out[f"{label}_load"] = load()
    return out


def readme_job(rrscore_exe: str, cache: Path, out_dir: Path) -> dict:
    cmd = [rrscore_exe, "radioresistance", str(EXAMPLE / "expr.tsv.gz"), "--nan-policy",
           "drop_genes", "--mutations", str(EXAMPLE / "samples.tsv"), "-o",
           str(out_dir / "radioresistance.tsv"), "-q"]
    row = {}
    for label in ("cold", "warm", "warm2"):
        seconds, proc = run(cmd, child_env(cache), 600)
        if proc.returncode != 0:
            raise SystemExit(f"README job failed:\n{proc.stderr[-2000:]}")
        row[label], row[f"{label}_load"] = seconds, load()
    return row


def fmt(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter of the install to measure (default: this one)")
    ap.add_argument("--rrscore", default=None,
                    help="rrscore executable (default: next to --python)")
    ap.add_argument("--methods", nargs="*", default=[*BULK_METHODS, *CELL_METHODS],
                    help="methods to time (none: only the import and README rows)")
    ap.add_argument("--genes", type=int, default=20_000)
    ap.add_argument("--samples", type=int, default=200, help="bulk samples (default 200)")
    ap.add_argument("--cells", type=int, default=5_000, help="cells (default 5,000)")
    ap.add_argument("--sets", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=3, help="runs of the import timings")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--no-readme", action="store_true", help="skip the README job")
    ap.add_argument("--warmup", action="store_true",
                    help="also time python -m rrscore.warmup and the calls after it")
    ap.add_argument("--kernels", type=int, default=0, metavar="N",
                    help="after the table, the N functions whose compilation took the most "
                         "CPU in each cold first call (numba compile events, inclusive)")
    args = ap.parse_args()
    exe = args.rrscore or str(Path(args.python).with_name("rrscore"))
    work = Path(tempfile.mkdtemp(prefix="rrscore_first_call_"))
    try:
        probe = subprocess.run([args.python, "-c", "import rrscore, numba; "
                                "print(rrscore.__file__, rrscore.__version__, numba.__version__)"],
                               capture_output=True, text=True, env=child_env(None),
                               cwd=tempfile.gettempdir())
        print(f"rrscore: {probe.stdout.strip()}  ({args.python})")
        print(f"cpus: {os.cpu_count()}  load at start: {load():.2f}\n")
        env = child_env(work / "cache_import")
        imp, imp_load = best_of([args.python, "-c", "import rrscore"], args.repeat, env)
        bare, _ = best_of([args.python, "-c", "pass"], args.repeat, env)
        hlp, hlp_load = best_of([exe, "--help"], args.repeat, env)
        print(f"| step | seconds (best of {args.repeat}) | load |")
        print("|---|---|---|")
        print(f"| python -c pass | {bare:.2f} | |")
        print(f"| python -c 'import rrscore' | {imp:.2f} | {imp_load:.2f} |")
        print(f"| rrscore --help | {hlp:.2f} | {hlp_load:.2f} |")
        if not args.no_readme:
            job = readme_job(exe, work / "cache_readme", work)
            print(f"| README job, cold cache | {job['cold']:.2f} | {job['cold_load']:.2f} |")
            print(f"| README job, warm cache | {min(job['warm'], job['warm2']):.2f} | "
                  f"{job['warm2_load']:.2f} |")
        print()
        rows = []
        if args.methods:
            print("| method | data | cold first call | warm first call | warm import + first "
                  "call | second call | compile (cold - again) | cold CPU | load |")
            print("|---|---|---|---|---|---|---|---|---|")
        for method in args.methods:
            cache = work / f"cache_{method}"
            row = method_row(args.python, method, args, cache)
            rows.append(row)
            compile_s = (row["cold"] - row["again"]) if row.get("cold") is not None else None
            print(f"| {method} | {row['data']} | {fmt(row.get('cold'))} | {fmt(row.get('warm'))} "
                  f"| {fmt(row.get('warm_with_import'))} | {fmt(row.get('again'))} "
                  f"| {fmt(compile_s)} | {fmt(row.get('cold_cpu'))} "
                  f"| {fmt(row.get('cold_load'))} |" + (f" {row['error']}" if "error" in row
                                                         else ""), flush=True)
        if args.kernels:
            print("\nCompilation CPU seconds in the cold first call (inclusive of callees; "
                  "numba's own overloads included):")
            for row in rows:
                top = sorted(row.get("compiled", {}).items(), key=lambda kv: -kv[1])
                print(f"  {row['method']}: " + ", ".join(f"{name} {sec:.2f}"
                                                        for name, sec in top[:args.kernels]))
        if args.warmup:
            cache = work / "cache_warmup"
            seconds, proc = run([args.python, "-m", "rrscore.warmup"], child_env(cache),
                                args.timeout)
            if proc.returncode != 0:
                raise SystemExit(f"warmup failed:\n{proc.stderr[-2000:]}")
            print(f"\npython -m rrscore.warmup into an empty cache: {seconds:.2f} s "
                  f"(load {load():.2f})\n")
            print("| method | first call after warmup | import + first call | second call | load |")
            print("|---|---|---|---|---|")
            for method in args.methods:
                kind = "cells" if method in CELL_METHODS else "bulk"
                size = (args.cells if kind == "cells" else args.samples)
                cmd = [args.python, "-c", CHILD, method, kind, str(args.genes), str(size),
                       str(args.sets)]
                _, proc = run(cmd, child_env(cache), args.timeout)
                line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH "))
                res = json.loads(line[6:])
                print(f"| {method} | {res['first']:.2f} | {res['import'] + res['first']:.2f} "
                      f"| {res['again']:.2f} | {load():.2f} |", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
