"""One benchmark script, several rrscore source trees, interleaved: before/after a change.

    git worktree add /tmp/rr_base b37f391            # the code before the change
    python benchmarks/bench_trees.py --tree before=/tmp/rr_base/src --tree after=src \\
        --repeat 3 -- bench_ssgsea.py --no-r --no-gseapy

Every run is the unchanged benchmark script (``benchmarks/<script>``, its own arguments after
``--``) in a fresh process whose ``PYTHONPATH`` puts one tree's ``src`` first, so the script's
tool processes import that tree's rrscore (checked before anything is timed). First one
warm-up run per tree (numba compiles and writes that tree's kernel cache; its times are
discarded), then ``--repeat`` rounds, each running every tree once, in reversed order every
other round (A B, B A, ...) so that a drift in the machine's load falls on both alike. The
harness appends every tool's time to a JSON-lines log (``RRSCORE_BENCH_LOG``); this script
prints, per rrscore call, each tree's median and all its times, and the ratio of the medians
of every later tree to every earlier one (> 1: the later tree is slower). On a busy machine
``--calls N`` times each call N times within its process and keeps the fastest; the CPU
time of the call (all its threads) is tabled too, as it depends less on other processes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
_METHOD = re.compile(r"rrscore\.score\([^,]+,\s*[^,]+,\s*'(\w+)'")


def _tree(spec: str) -> tuple[str, Path]:
    name, sep, path = spec.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"--tree wants NAME=PATH, got {spec!r}")
    return name, Path(path).resolve()


def _env(src: Path, log: Path, calls: int = 1) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["RRSCORE_BENCH_LOG"] = str(log)
    env["RRSCORE_BENCH_CALLS"] = str(calls)
    return env


def _check_import(name: str, src: Path, log: Path) -> None:
    """Fail unless ``import rrscore`` under this environment loads the tree's package."""
    proc = subprocess.run([sys.executable, "-c", "import rrscore; print(rrscore.__file__)"],
                          env=_env(src, log), capture_output=True, text=True, cwd=HERE)
    where = proc.stdout.strip()
    if proc.returncode != 0 or not Path(where).resolve().is_relative_to(src):
        raise SystemExit(f"tree {name!r}: rrscore is not imported from {src} "
                         f"({where or proc.stderr.strip()[-300:]})")
    print(f"tree {name}: {where}", flush=True)


def _run(script: list[str], name: str, src: Path, log: Path, label: str,
         calls: int = 1) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, *script], env=_env(src, log, calls), cwd=HERE,
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{label} ({name}) failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    return time.perf_counter() - t0


def _label(row: dict) -> str:
    found = _METHOD.search(row.get("call", ""))
    return f"{row['tool']} {found.group(1)}" if found else row["tool"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tree", type=_tree, action="append", required=True,
                        help="NAME=PATH of a source tree (the directory holding rrscore/)")
    parser.add_argument("--repeat", type=int, default=2, help="timed rounds (default 2)")
    parser.add_argument("--calls", type=int, default=1,
                        help="time each call this many times per run and keep the fastest "
                             "(harness: RRSCORE_BENCH_CALLS; default 1, as the scripts do)")
    parser.add_argument("--log", type=Path, default=None, help="JSON-lines log to keep")
    parser.add_argument("script", nargs=argparse.REMAINDER,
                        help="-- SCRIPT.py [its arguments], relative to benchmarks/")
    args = parser.parse_args()
    script = args.script[1:] if args.script[:1] == ["--"] else args.script
    if not script:
        parser.error("give the benchmark script after --")
    shown = " ".join(script)
    script[0] = str(HERE / script[0]) if not Path(script[0]).is_absolute() else script[0]
    trees = dict(args.tree)
    names = list(trees)
    log_dir = Path(tempfile.mkdtemp(prefix="rrscore-trees-"))
    warm = log_dir / "warmup.jsonl"
    log = args.log or log_dir / "timed.jsonl"

    for name in names:
        _check_import(name, trees[name], warm)
    for name in names:
        took = _run(script, name, trees[name], warm, "warm-up")
        print(f"warm-up {name}: {took:.0f} s", flush=True)
    times: dict[str, dict[str, dict[str, list[float]]]] = {"seconds": {}, "cpu": {}}
    order = []
    for k in range(args.repeat):
        for name in (names if k % 2 == 0 else names[::-1]):
            before = log.read_text().count("\n") if log.exists() else 0
            took = _run(script, name, trees[name], log, f"round {k + 1}", args.calls)
            lines = log.read_text().splitlines()[before:]
            for row in map(json.loads, lines):
                if row["tool"].startswith("rrscore") and row["status"] == "ok":
                    label = _label(row)
                    if label not in order:
                        order.append(label)
                    for key in times:
                        if row.get(key) is not None:
                            times[key].setdefault(label, {}).setdefault(name, []).append(
                                row[key])
            print(f"round {k + 1} {name}: {took:.0f} s", flush=True)

    each = f", fastest of {args.calls} calls per run" if args.calls > 1 else ""
    for key, what in (("seconds", "wall time"), ("cpu", "CPU time (all threads)")):
        print(f"\n{shown}  ({what}; {args.repeat} timed runs per tree, interleaved{each})")
        _table(times[key], order, names)
    shutil.rmtree(log_dir, ignore_errors=True)  # the logs kept are --log's


def _table(times: dict[str, dict[str, list[float]]], order: list[str], names: list[str]) -> None:
    """Markdown table: per call, each tree's median and runs, and every pair's ratio."""
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]]
    head = "| call | " + " | ".join(f"{n} median (s) | {n} runs (s)" for n in names)
    head += "".join(f" | {b} / {a}" for a, b in pairs) + " |"
    print(head)
    print("|" + "---|" * (1 + 2 * len(names) + len(pairs)))
    for label in order:
        runs = times.get(label, {})
        med = {n: float(np.median(runs.get(n, [np.nan]))) for n in names}
        cells = [f"{med[n]:.3f} | {', '.join(f'{s:.3f}' for s in runs.get(n, []))}"
                 for n in names]
        ratios = [f"{med[b] / med[a]:.2f}" for a, b in pairs]
        print(f"| {label} | " + " | ".join(cells + ratios) + " |")


if __name__ == "__main__":
    main()
