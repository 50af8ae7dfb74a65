"""The composite radioresistance score on many cells and on a big bulk cohort: time and memory.

    python benchmarks/bench_composite.py                         # 100k and 200k cells, 10k samples
    python benchmarks/bench_composite.py --cells 20000 --samples 1000   # quicker
    python benchmarks/bench_composite.py --workloads bulk --samples 2000

Workloads (issue 14):

* ``cells``: ``rrscore.tl.radioresistance(adata)`` (the composite placed into an in-memory
  AnnData, cohort-relative, default method singscore, confounders scored beside it) on the
  synthetic sparse log-normalised cells of ``bench_singlecell.py`` (its generator, cached as
  h5ad: CSR float32, ``--density`` non-zero). The generator names genes ``GENE00000``...;
  here the genes of the composite's read-outs and of the confounder sets are given to
  seeded random columns, so every mechanism is scored from columns of the usual sparsity.
* ``bulk``: ``rrscore.radioresistance(expr)`` on a genes × samples DataFrame built from a
  C-ordered NumPy array (log-normal values, per-gene level; seeded, cached as ``.npy``): the
  way a cohort usually arrives (a matrix read, then labelled). ``--nan-genes N`` puts a NaN
  into N filler genes and scores with ``nan_policy="drop_genes"``, ``--duplicate-genes N``
  relabels N filler genes as copies of others: the input layer's gene plan then drops or
  chooses columns (read block by block, issue 14).

Each call runs in a fresh interpreter (``harness.py``): loading the data, importing rrscore
and a warm-up call on a few samples (numba compilation or cache loading) happen before the
clock starts. Printed per workload: seconds, peak RSS (VmHWM: interpreter, libraries and the
input included), peak / input, the call's own extra memory (peak minus RSS before the call)
and extra / input, where *input* is the matrix as given (CSR data + indices + indptr; dense
genes × samples × 8 bytes). The issue's targets: 200k cells × 20k genes (8 %) in < 30 s with
peak RSS < 2× the input; 10k samples × 20k genes with peak ≤ 2× the input.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import numpy as np
from harness import Tool, report, run_tool, workdir

DEFAULT_DIR = Path("/tmp/rrscore_bench")
SC_PATH = "sc_{cells}x{genes}_d{density}_s{seed}.h5ad"
BULK_PATH = "bulk_{genes}x{samples}_s{seed}.npy"


def composite_genes() -> list[str]:
    """Every gene the default composite scores: read-out sets and confounder sets."""
    from rrscore.radiation._confounders import resolve_confounders
    from rrscore.radiation._mechanisms import resolve_mechanisms

    sel = resolve_mechanisms(None, None)
    conf, _ = resolve_confounders(None)
    genes = {g for gs in sel.sets for g in (*gs.up, *gs.down)}
    genes |= {g for gs in conf.values() for g in (*gs.up, *gs.down)}
    return sorted(genes)


def gene_names(n_genes: int, seed: int) -> np.ndarray:
    """``GENE00000``... with the composite's genes put at seeded random columns."""
    names = np.array([f"GENE{j:05d}" for j in range(n_genes)], dtype=object)
    symbols = composite_genes()
    if len(symbols) > n_genes:
        raise SystemExit(f"--genes must be at least {len(symbols)} (the composite's genes)")
    where = np.random.default_rng(seed + 7).choice(n_genes, size=len(symbols), replace=False)
    names[where] = symbols
    return names


def build_bulk(path: Path, n_genes: int, n_samples: int, seed: int) -> None:
    """Log-normal expression, genes × samples, C order: per-gene level and spread."""
    rng = np.random.default_rng(seed)
    level = rng.normal(6.0, 2.0, n_genes)[:, None]
    spread = rng.uniform(0.3, 1.5, n_genes)[:, None]
    values = np.empty((n_genes, n_samples))
    for start in range(0, n_genes, 1000):  # block by block: no second full-size temporary
        stop = min(start + 1000, n_genes)
        values[start:stop] = level[start:stop] + spread[start:stop] * rng.standard_normal(
            (stop - start, n_samples))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.npy")
    np.save(tmp, values)
    tmp.replace(path)


CELLS_LOAD = """
import anndata, numpy as np
import rrscore
adata = anndata.read_h5ad({path!r})
adata.var_names = np.load(os.path.join(workdir, "genes.npy"), allow_pickle=True)
small = adata[:300].copy()
rrscore.tl.radioresistance(small)  # numba kernels loaded before the clock
del small
"""

CELLS_CALL = """
rrscore.tl.radioresistance(adata)
result = adata.obsm["rrscore_radioresistance"].select_dtypes("number")
"""

BULK_LOAD = """
import numpy as np, pandas as pd
import rrscore
values = np.load({path!r})
genes = np.load(os.path.join(workdir, "genes.npy"), allow_pickle=True)
rng = np.random.default_rng(11)
filler = np.flatnonzero(pd.Index(genes).str.startswith("GENE"))
picked = rng.choice(filler, size={nan_genes} + 2 * {dup_genes}, replace=False)
values[picked[:{nan_genes}], rng.integers(0, values.shape[1], {nan_genes})] = np.nan
genes[picked[{nan_genes}:{nan_genes} + {dup_genes}]] = genes[picked[{nan_genes} + {dup_genes}:]]
expr = pd.DataFrame(values, index=genes, columns=[f"S{{j:05d}}" for j in range(values.shape[1])])
kw = {kw!r}
rrscore.radioresistance(expr.iloc[:, :20].copy(), **kw)  # numba kernels loaded before the clock
"""

BULK_CALL = """
result = rrscore.radioresistance(expr, **kw).select_dtypes("number")
"""


def _write_genes(wd: Path, n_genes: int, seed: int) -> None:
    np.save(wd / "genes.npy", gene_names(n_genes, seed), allow_pickle=True)


def bench_cells(n_cells: int, args, wd: Path) -> dict:
    from bench_singlecell import build

    path = Path(args.dir) / SC_PATH.format(cells=n_cells, genes=args.genes,
                                           density=args.density, seed=args.seed)
    if not path.exists():
        print(f"building {path} ...", flush=True)
        build(path, n_cells, args.genes, args.density, args.seed)
    import h5py

    with h5py.File(path, "r") as fh:
        group = fh["X"]
        nnz = group["data"].shape[0]
        input_bytes = sum(group[k].shape[0] * group[k].dtype.itemsize
                          for k in ("data", "indices", "indptr"))
    print(f"\n=== cells: tl.radioresistance, {n_cells:,} cells × {args.genes:,} genes, "
          f"{nnz / (n_cells * args.genes):.1%} non-zero, CSR float32 {input_bytes / 2**20:,.0f} "
          f"MB ({path})", flush=True)
    tool = Tool("rrscore", CELLS_LOAD.format(path=str(path)), CELLS_CALL)
    return _timed(tool, wd, args, input_bytes)


def bench_bulk(n_samples: int, args, wd: Path) -> dict:
    path = Path(args.dir) / BULK_PATH.format(genes=args.genes, samples=n_samples,
                                             seed=args.seed)
    if not path.exists():
        print(f"building {path} ...", flush=True)
        build_bulk(path, args.genes, n_samples, args.seed)
    input_bytes = args.genes * n_samples * 8
    kw = {"nan_policy": "drop_genes"} if args.nan_genes else {}
    print(f"\n=== bulk: radioresistance, {args.genes:,} genes × {n_samples:,} samples, "
          f"DataFrame from a C-ordered float64 array, {input_bytes / 2**20:,.0f} MB ({path}); "
          f"{args.nan_genes} genes with a NaN, {args.duplicate_genes} duplicated labels "
          f"{kw or ''}", flush=True)
    tool = Tool("rrscore", BULK_LOAD.format(path=str(path), nan_genes=args.nan_genes,
                                            dup_genes=args.duplicate_genes, kw=kw), BULK_CALL)
    return _timed(tool, wd, args, input_bytes)


def _timed(tool: Tool, wd: Path, args, input_bytes: int) -> dict:
    """Run the call in a fresh interpreter; print the harness table, CPU time and load."""
    row = run_tool(tool, wd, args.timeout)
    report([row], input_bytes)
    if row.get("status") == "ok":
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"cpu {row['cpu']:.1f} s (all threads); 1-min load average after the call "
              f"{load:.2f} on {os.cpu_count()} cores")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workloads", nargs="+", choices=("cells", "bulk"),
                        default=["cells", "bulk"])
    parser.add_argument("--cells", type=int, nargs="+", default=[100_000, 200_000])
    parser.add_argument("--samples", type=int, nargs="+", default=[10_000])
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--density", type=float, default=0.08)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--nan-genes", type=int, default=0,
                        help="bulk: put a NaN into this many genes and score with "
                             "nan_policy='drop_genes' (the input layer's gene plan drops them)")
    parser.add_argument("--duplicate-genes", type=int, default=0,
                        help="bulk: give this many genes the label of another gene "
                             "(duplicates='highest_mean' keeps one of each)")
    parser.add_argument("--dir", default=str(DEFAULT_DIR), help="cache of the data files")
    parser.add_argument("--keep", default=None,
                        help="copy each call's result (.npy) into this folder, to compare "
                             "two source trees")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per call")
    args = parser.parse_args()

    wd = workdir()
    _write_genes(wd, args.genes, args.seed)
    try:
        runs = []
        if "cells" in args.workloads:
            runs += [(f"cells{n}", bench_cells, n) for n in args.cells]
        if "bulk" in args.workloads:
            runs += [(f"bulk{n}", bench_bulk, n) for n in args.samples]
        for name, bench, n in runs:
            row = bench(n, args, wd)
            if args.keep and row.get("status") == "ok":
                Path(args.keep).mkdir(parents=True, exist_ok=True)
                shutil.copy(row["result"], Path(args.keep) / f"{name}.npy")
    finally:
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
