"""Benchmark harness: the same data for every tool, each tool in its own process.

Each tool is a snippet of Python that gets ``data`` (a dict of inputs loaded *before* the
clock starts) and returns a samples × sets array or DataFrame. The child process reports the
wall time of the scoring call, its peak RSS (VmHWM, read as the call returns, before any
``after`` snippet) and the RSS just before the call, so the memory the call itself needed is
visible. Results are cross-checked against rrscore's.

A tool may also give an ``after`` snippet, run once the clock has stopped (e.g. to shut
down worker processes so that their peak RSS, reported as ``children_peak``, is known; it
counts only a child waited for after the clock started and larger than any before).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

CHILD = r'''
import json, os, sys, time
import numpy as np, pandas as pd

def _status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0

workdir = sys.argv[1]
{load}
import resource
children_before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
rss_before = _status("VmRSS:")
t0 = time.perf_counter()
c0 = time.process_time()
{call}
seconds = time.perf_counter() - t0
cpu = time.process_time() - c0
# the call's peak: read before `after` (e.g. a reindexed copy of the result for the
# comparison with peers) so that only the call's own memory counts
call_peak = _status("VmHWM:")
{after}
# peak RSS of the largest child process waited for since the clock started (e.g. joblib
# workers shut down in `after`); 0 when no child larger than those of the loading phase
children_max = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
children_peak = children_max * 1024 if children_max > children_before else 0
if result is not None:
    arr = result.to_numpy() if hasattr(result, "to_numpy") else np.asarray(result)
    np.save(os.path.join(workdir, "{name}.npy"), np.asarray(arr, dtype=float))
print("BENCH " + json.dumps({{"seconds": seconds, "cpu": cpu, "rss_before": rss_before,
                              "peak": call_peak, "children_peak": children_peak}}))
'''


@dataclass
class Tool:
    """A tool to time: ``load`` runs before the clock, ``call`` must set ``result``."""

    name: str
    load: str
    call: str
    available: bool = True
    note: str = ""
    after: str = ""


def synthetic_bulk(n_genes: int, n_samples: int, n_sets: int, sizes=(20, 200), seed: int = 0):
    """Log-normal expression (genes × samples) and random gene sets of the given size range."""
    rng = np.random.default_rng(seed)
    genes = np.array([f"G{i:05d}" for i in range(n_genes)])
    values = rng.lognormal(mean=2.0, sigma=1.5, size=(n_genes, n_samples))
    expr = pd.DataFrame(values, index=genes, columns=[f"S{j:04d}" for j in range(n_samples)])
    return expr, random_sets(rng, genes, n_sets, sizes)


def random_sets(rng: np.random.Generator, genes: np.ndarray, n_sets: int,
                sizes=(20, 200)) -> dict[str, list[str]]:
    """``n_sets`` random gene sets named ``SET000``…, sizes uniform in ``sizes``."""
    return {
        f"SET{i:03d}": list(rng.choice(genes, size=int(rng.integers(sizes[0], sizes[1] + 1)),
                                       replace=False))
        for i in range(n_sets)
    }


def write_inputs(workdir: Path, expr: pd.DataFrame, sets: dict[str, list[str]],
                 tsv: bool = False) -> None:
    """Write the inputs every tool reads: parquet (Python tools), TSV (R), GMT."""
    expr.to_parquet(workdir / "expr.parquet")
    if tsv:
        expr.to_csv(workdir / "expr.tsv", sep="\t", index_label="gene")
    with open(workdir / "sets.gmt", "w") as fh:
        for name, genes in sets.items():
            fh.write("\t".join([name, "synthetic", *genes]) + "\n")


def _repeated(call: str, n: int) -> str:
    """``call`` run ``n`` times; ``t0``/``c0`` are moved so that ``seconds`` and ``cpu``
    (taken after the loop) are the fastest call's wall and CPU times."""
    return (f"_times, _cpus = [], []\nfor _rep in range({n}):\n"
            "    t0 = time.perf_counter()\n    c0 = time.process_time()\n"
            + textwrap.indent(call, "    ")
            + "\n    _times.append(time.perf_counter() - t0)\n"
            + "    _cpus.append(time.process_time() - c0)\n"
            + "t0 = time.perf_counter() - min(_times)\n"
            + "c0 = time.process_time() - min(_cpus)\n")


def run_tool(tool: Tool, workdir: Path, timeout: float) -> dict:
    """Run one tool in a fresh interpreter; returns seconds, memory and the result path.

    With ``$RRSCORE_BENCH_CALLS`` = n > 1 the timed call runs n times in the same process and
    ``seconds`` is the fastest (for comparisons on a busy machine; ``bench_trees.py --calls``).
    """
    if not tool.available:
        return {"tool": tool.name, "status": f"skipped ({tool.note})"}
    call = textwrap.dedent(tool.call)
    n_calls = int(os.environ.get("RRSCORE_BENCH_CALLS", "1"))
    if n_calls > 1:
        call = _repeated(call, n_calls)
    code = CHILD.format(load=textwrap.dedent(tool.load), call=call,
                        after=textwrap.dedent(tool.after), name=tool.name)
    script = workdir / f"_{tool.name}.py"
    script.write_text(code)
    try:
        proc = subprocess.run([sys.executable, str(script), str(workdir)], capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"tool": tool.name, "status": f"timed out after {timeout:.0f} s"}
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if proc.returncode != 0 or line is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"tool": tool.name, "status": "failed: " + " | ".join(tail)}
    info = json.loads(line[6:])
    _log({"tool": tool.name, "call": tool.call, "status": "ok", **info})
    return {"tool": tool.name, "status": "ok", **info,
            "result": workdir / f"{tool.name}.npy"}


def _log(row: dict) -> None:
    """Append a tool's timing to ``$RRSCORE_BENCH_LOG`` (JSON lines) when it is set.

    ``bench_trees.py`` sets it to collect the rrscore rows of repeated runs.
    """
    path = os.environ.get("RRSCORE_BENCH_LOG")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(row) + "\n")


def run_r(workdir: Path, method: str, extra: list[str], timeout: float, *,
          expr: Path | None = None, order: tuple[list, list] | None = None,
          name: str | None = None) -> dict:
    """Time R GSVA 1.46 through ``benchmarks/r_gsva_timing.R`` (skipped without Rscript).

    ``expr`` is the TSV to score (default ``workdir/expr.tsv``); ``order`` = (samples, sets)
    puts R's scores in that row/column order (missing ones NaN) before they are compared.
    """
    name = name or f"R GSVA 1.46 {method}"
    if shutil.which("Rscript") is None:
        return {"tool": name, "status": "skipped (Rscript not installed)"}
    script = Path(__file__).with_name("r_gsva_timing.R")
    out = workdir / f"r_{method}.tsv"
    expr = Path(expr) if expr is not None else workdir / "expr.tsv"
    cmd = ["/usr/bin/time", "-f", "MAXRSS %M", "Rscript", str(script),
           f"--expr={expr}", f"--gmt={workdir / 'sets.gmt'}",
           f"--method={method}", f"--out={out}", *extra]
    if shutil.which("/usr/bin/time") is None:
        cmd = cmd[3:]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"tool": name, "status": f"timed out after {timeout:.0f} s"}
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("elapsed_seconds=")),
                None)
    if proc.returncode != 0 or line is None:
        return {"tool": name, "status": "failed: " + proc.stderr.strip()[-200:]}
    peak = next((int(ln.split()[1]) * 1024 for ln in proc.stderr.splitlines()
                 if ln.startswith("MAXRSS")), None)
    table = pd.read_csv(out, sep="\t", index_col=0).T
    if order is not None:
        table.index = table.index.astype(str)
        table = table.reindex(index=[str(s) for s in order[0]], columns=list(order[1]))
    np.save(workdir / "r.npy", table.to_numpy())
    return {"tool": name, "status": "ok", "seconds": float(line.split("=")[1]),
            "peak": peak, "rss_before": None, "result": workdir / "r.npy"}


def report(rows: list[dict], input_bytes: int, reference: str = "rrscore",
           compare=None, compare_for: dict | None = None) -> pd.DataFrame:
    """Print a table of time, ratio to rrscore, memory and agreement with rrscore.

    ``compare(values, ref)`` returns the ``max |diff| vs rrscore`` entry, or a dict of
    column name → entry (e.g. a correlation next to the difference); ``compare_for`` maps a
    tool name to its own such function (other tools use ``compare``). ``extra / input`` is
    the memory the call itself added (peak RSS − RSS before the call) over ``input_bytes``;
    ``workers peak (MB)`` appears when a tool's child processes were waited for.
    """
    ref = next((r for r in rows if r["tool"] == reference and r["status"] == "ok"), None)
    ref_values = np.load(ref["result"]) if ref else None
    table = []
    for r in rows:
        entry = {"tool": r["tool"], "status": r["status"]}
        if r["status"] == "ok":
            entry["seconds"] = round(r["seconds"], 3)
            entry["x slower than rrscore"] = (
                round(r["seconds"] / ref["seconds"], 1) if ref else np.nan
            )
            if r.get("peak"):
                entry["peak RSS (MB)"] = round(r["peak"] / 2**20)
                entry["peak / input"] = round(r["peak"] / input_bytes, 2)
            if r.get("rss_before") is not None:
                entry["call extra (MB)"] = round((r["peak"] - r["rss_before"]) / 2**20)
                entry["extra / input"] = round((r["peak"] - r["rss_before"]) / input_bytes, 2)
            if r.get("children_peak"):
                entry["workers peak (MB)"] = round(r["children_peak"] / 2**20)
            rule = (compare_for or {}).get(r["tool"], compare)
            if ref_values is not None and rule is not None and r.get("result"):
                got = rule(np.load(r["result"]), ref_values)
                if isinstance(got, dict):
                    entry.update(got)
                else:
                    entry["max |diff| vs rrscore"] = got
        table.append(entry)
    out = pd.DataFrame(table)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(out.to_string(index=False))
    return out


def workdir() -> Path:
    """A scratch directory for one benchmark run."""
    return Path(tempfile.mkdtemp(prefix="rrscore-bench-"))


def module_available(name: str) -> bool:
    """Whether a Python package can be imported (without importing it here)."""
    from importlib.util import find_spec

    return find_spec(name) is not None


os.environ.setdefault("PYTHONWARNINGS", "ignore")
