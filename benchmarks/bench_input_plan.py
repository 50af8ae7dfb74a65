"""rrscore.score when the input layer's gene plan drops or combines genes: time and memory.

    /usr/bin/time -v python benchmarks/bench_input_plan.py --method ssgsea
    /usr/bin/time -v python benchmarks/bench_input_plan.py --method ucell --copy-path
    python benchmarks/bench_input_plan.py --samples 1000 --method singscore   # quicker

A bulk cohort as it usually arrives — a genes × samples DataFrame over a C-ordered float64
array (``bench_composite.py``'s log-normal generator, cached as ``.npy``) — with
``--nan-genes`` genes holding one NaN (scored with ``nan_policy="drop_genes"``) and
``--duplicate-genes`` labels given to a second column (``duplicates="highest_mean"``), scored
with ``--sets`` random sets of 20–200 genes by ``--method``. Such a plan used to make the
input layer copy the selected columns of the whole matrix; for methods that read blocks of
samples (ssgsea, singscore, ucell, aucell, score_genes) it is now applied block by block
(issue 14). ``--copy-path`` measures the copy in the same source tree: it turns the block
adapter off (``rrscore._prepare.expression_by_blocks`` answers None), which is exactly the
previous code path (tests/expression/test_plan_in_score.py compares the two).

This process is the measured one (run it under ``/usr/bin/time -v`` for the kernel's
"Maximum resident set size"): the data are loaded and a warm-up call on 20 samples loads the
numba kernels before the clock starts. Printed: seconds and CPU seconds of the call, peak RSS
(VmHWM: interpreter, libraries and input included), peak / input, the call's extra memory
(peak minus RSS before the call) / input, the record's engine, the 1-minute load average
before and after the call, and a checksum of the scores (compare the two paths with
``--save``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_composite import BULK_PATH, DEFAULT_DIR, build_bulk  # noqa: E402
from harness import random_sets  # noqa: E402


def _status(key: str) -> int:
    """A ``/proc/self/status`` memory line in bytes (VmRSS, VmHWM)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    return 0


def load_input(args) -> tuple[pd.DataFrame | np.ndarray, dict, dict[str, list[str]]]:
    """The cohort (genes × samples), its input options and the gene sets."""
    path = Path(args.dir) / BULK_PATH.format(genes=args.genes, samples=args.samples,
                                             seed=args.seed)
    if not path.exists():
        print(f"building {path} ...", flush=True)
        build_bulk(path, args.genes, args.samples, args.seed)
    values = np.load(path)
    genes = np.array([f"GENE{j:05d}" for j in range(args.genes)], dtype=object)
    rng = np.random.default_rng(11)
    picked = rng.choice(args.genes, size=args.nan_genes + 2 * args.duplicate_genes,
                        replace=False)
    nan, dup = picked[:args.nan_genes], picked[args.nan_genes:]
    values[nan, rng.integers(0, args.samples, len(nan))] = np.nan
    genes[dup[:args.duplicate_genes]] = genes[dup[args.duplicate_genes:]]
    sets = random_sets(np.random.default_rng(args.seed + 1), np.unique(genes), args.sets)
    options = {"nan_policy": "drop_genes", "duplicates": "highest_mean", "map_ids": "off"}
    samples = [f"S{j:05d}" for j in range(args.samples)]
    if args.layout == "array":
        return values, {**options, "genes": list(genes), "samples": samples}, sets
    return pd.DataFrame(values, index=genes, columns=samples), options, sets


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--method", default="ssgsea",
                        help="ssgsea, singscore, ucell, aucell, score_genes (or any method)")
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--nan-genes", type=int, default=50)
    parser.add_argument("--duplicate-genes", type=int, default=30)
    parser.add_argument("--sets", type=int, default=50)
    parser.add_argument("--layout", choices=("frame", "array"), default="frame",
                        help="a genes x samples DataFrame, or the array with genes=")
    parser.add_argument("--copy-path", action="store_true",
                        help="turn the block adapter off: the input layer copies the matrix "
                             "(the previous code path)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="cache of the data files")
    parser.add_argument("--save", default=None, help="save the scores (.npy) here")
    args = parser.parse_args()

    import warnings

    import rrscore
    import rrscore._prepare

    data, options, sets = load_input(args)
    if args.copy_path:
        rrscore._prepare.expression_by_blocks = lambda *a, **k: None
    input_bytes = args.genes * args.samples * 8
    warnings.simplefilter("ignore", rrscore.errors.RRScoreWarning)
    small = data[:, :20] if isinstance(data, np.ndarray) else data.iloc[:, :20]
    small_opts = {**options, "samples": options["samples"][:20]} if "samples" in options \
        else options
    rrscore.score(small, sets, args.method, **small_opts)  # numba kernels before the clock
    del small

    load_before = os.getloadavg()[0]
    rss_before = _status("VmRSS:")
    t0, c0 = time.perf_counter(), time.process_time()
    scores = rrscore.score(data, sets, args.method, **options)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _status("VmHWM:")
    load_after = os.getloadavg()[0]

    mib = 2 ** 20
    print(f"{args.method} on {args.genes:,} genes x {args.samples:,} samples "
          f"({args.layout}, float64 {input_bytes / mib:,.0f} MiB), {args.nan_genes} NaN genes, "
          f"{args.duplicate_genes} duplicated labels, {len(scores.columns)} sets; "
          f"{'copy path' if args.copy_path else 'block path'}")
    print(f"seconds {seconds:.2f}  cpu {cpu:.2f}  peak {peak / mib:,.0f} MiB "
          f"({peak / input_bytes:.2f}x input)  extra {(peak - rss_before) / mib:,.0f} MiB "
          f"({(peak - rss_before) / input_bytes:.2f}x input)  "
          f"engine {scores.attrs['rrscore']['engine']}")
    print(f"load average (1 min) before {load_before:.2f} after {load_after:.2f} on "
          f"{os.cpu_count()} cores; checksum {np.nansum(scores.to_numpy()):.12g}")
    if args.save:
        np.save(args.save, scores.to_numpy())


if __name__ == "__main__":
    main()
