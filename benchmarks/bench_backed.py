"""Scoring a backed h5ad of a million cells by blocks: time and peak memory.

    python benchmarks/bench_backed.py                         # 1,000,000 cells × 20,000 genes
    python benchmarks/bench_backed.py --cells 100000          # quicker
    python benchmarks/bench_backed.py --methods ucell aucell score_genes --dask

Builds a synthetic sparse log-normalised h5ad (CSR, float32; about 2 % non-zero — 400
detected genes per cell, a skewed detection rate per gene) block by block with h5py, so
building it needs little memory either; the file is kept (``--path``) and reused when it
exists with the requested shape. Each method then runs in a fresh interpreter:
``anndata.read_h5ad(path, backed="r")`` and ``rrscore.tl.score(adata, sets, method)``
(scores into ``adata.obsm``), reporting the wall time of the call and the peak RSS
(VmHWM) of the whole process, file opening included. For methods whose scores do not
depend on the other cells, the first ``--check`` cells are then scored in memory and
compared with the backed result.

Do not commit the file: at the default size it is about 3 GB.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
from harness import Tool, run_tool, workdir

DEFAULT_PATH = Path("/tmp/rrscore_bench/backed_{cells}x{genes}.h5ad")


def _gene_names(n_genes: int) -> list[str]:
    return [f"GENE{j:05d}" for j in range(n_genes)]


def build(path: Path, n_cells: int, n_genes: int, per_cell: int, seed: int = 0,
          block: int = 50_000) -> None:
    """Write a CSR h5ad of ``n_cells`` × ``n_genes`` without holding it in memory."""
    import anndata as ad
    import h5py
    import pandas as pd

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.h5ad")
    obs = pd.DataFrame(index=pd.Index([f"cell{i:07d}" for i in range(n_cells)]))
    var = pd.DataFrame(index=pd.Index(_gene_names(n_genes)))
    ad.AnnData(obs=obs, var=var).write_h5ad(tmp)  # obs, var; the matrix is added below
    rng = np.random.default_rng(seed)
    # detection rate per gene: a few genes in most cells, a long tail of rare ones
    weight = rng.lognormal(0.0, 1.5, n_genes)
    p = weight / weight.sum()
    with h5py.File(tmp, "a") as f:
        if "X" in f:
            del f["X"]
        g = f.create_group("X")
        g.attrs["encoding-type"] = "csr_matrix"
        g.attrs["encoding-version"] = "0.1.0"
        g.attrs["shape"] = np.array([n_cells, n_genes], dtype=np.int64)
        data = g.create_dataset("data", shape=(0,), maxshape=(None,), dtype=np.float32,
                                chunks=(1 << 20,))
        indices = g.create_dataset("indices", shape=(0,), maxshape=(None,), dtype=np.int32,
                                   chunks=(1 << 20,))
        indptr = g.create_dataset("indptr", shape=(n_cells + 1,), dtype=np.int64)
        indptr[0] = 0
        nnz = 0
        for start in range(0, n_cells, block):
            stop = min(start + block, n_cells)
            draws = np.sort(rng.choice(n_genes, size=(stop - start, per_cell), p=p), axis=1)
            keep = np.ones(draws.shape, dtype=bool)
            keep[:, 1:] = draws[:, 1:] != draws[:, :-1]  # a gene drawn twice counts once
            cols = draws[keep].astype(np.int32)
            counts = rng.geometric(0.35, size=len(cols)).astype(np.float64)
            row_nnz = keep.sum(axis=1)
            totals = np.add.reduceat(counts, np.r_[0, np.cumsum(row_nnz)[:-1]])
            vals = np.log1p(counts / np.repeat(totals, row_nnz) * 1e4).astype(np.float32)
            data.resize((nnz + len(cols),))
            indices.resize((nnz + len(cols),))
            data[nnz:] = vals
            indices[nnz:] = cols
            indptr[start + 1 : stop + 1] = nnz + np.cumsum(row_nnz)
            nnz += len(cols)
    tmp.rename(path)


def gene_sets(n_genes: int, n_sets: int, seed: int = 1) -> dict[str, list[str]]:
    """Random sets of 20–200 genes."""
    rng = np.random.default_rng(seed)
    genes = np.array(_gene_names(n_genes))
    return {f"SET{i:02d}": list(rng.choice(genes, int(rng.integers(20, 201)), replace=False))
            for i in range(n_sets)}


LOAD = """
import anndata as ad, rrscore, rrscore.tl
sets = json.load(open(os.path.join(workdir, "sets.json")))
small = ad.read_h5ad({path!r}, backed="r")[:2000].to_memory()
rrscore.tl.score(small, sets, {method!r}, inplace=False, **{params!r})  # compile kernels
del small
adata = ad.read_h5ad({path!r}, backed="r")
"""
LOAD_DASK = """
import anndata as ad, h5py, rrscore, rrscore.tl
from anndata.experimental import read_elem_lazy
from anndata.io import read_elem
sets = json.load(open(os.path.join(workdir, "sets.json")))
small = ad.read_h5ad({path!r}, backed="r")[:2000].to_memory()
rrscore.tl.score(small, sets, {method!r}, inplace=False, **{params!r})  # compile kernels
del small
f = h5py.File({path!r}, "r")
adata = ad.AnnData(read_elem_lazy(f["X"], chunks=({chunk}, -1)), obs=read_elem(f["obs"]),
                   var=read_elem(f["var"]))
"""
CALL = """
rrscore.tl.score(adata, sets, {method!r}, chunk_size={chunk}, **{params!r})
result = adata.obsm["rrscore"]
"""

METHOD_PARAMS = {"ucell": {}, "aucell": {}, "ssgsea": {"normalize": False},
                 "score_genes": {}, "singscore": {}}
#: methods whose scores of the first cells do not depend on the other cells (checked)
INDEPENDENT = {"ucell", "aucell", "ssgsea", "singscore"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=1_000_000)
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--per-cell", type=int, default=400,
                        help="genes drawn per cell (with replacement; ~370 distinct)")
    parser.add_argument("--sets", type=int, default=20)
    parser.add_argument("--methods", nargs="+", default=["ucell", "aucell"])
    parser.add_argument("--chunk", type=int, default=4096, help="cells per block")
    parser.add_argument("--check", type=int, default=20_000,
                        help="cells compared with an in-memory run (0: none)")
    parser.add_argument("--dask", action="store_true",
                        help="also score X as a Dask array (anndata's read_elem_lazy, "
                             "threaded scheduler)")
    parser.add_argument("--path", type=Path, default=None)
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args()

    import anndata as ad

    path = args.path or Path(str(DEFAULT_PATH).format(cells=args.cells, genes=args.genes))
    if path.exists():
        backed = ad.read_h5ad(path, backed="r")
        if backed.shape != (args.cells, args.genes):
            raise SystemExit(f"{path} holds {backed.shape}, not {(args.cells, args.genes)}")
        backed.file.close()
        print(f"using {path} ({path.stat().st_size / 2**30:.2f} GiB)", flush=True)
    else:
        t0 = time.perf_counter()
        build(path, args.cells, args.genes, args.per_cell)
        print(f"built {path} ({path.stat().st_size / 2**30:.2f} GiB) in "
              f"{time.perf_counter() - t0:.0f} s", flush=True)
    backed = ad.read_h5ad(path, backed="r")
    nnz = backed.X.group["data"].shape[0]
    backed.file.close()
    print(f"{args.cells:,} cells × {args.genes:,} genes, {nnz:,} non-zero "
          f"({nnz / args.cells / args.genes:.2%}), {args.sets} sets, blocks of {args.chunk}",
          flush=True)

    work = workdir()
    sets = gene_sets(args.genes, args.sets)
    (work / "sets.json").write_text(json.dumps(sets))
    rows = []
    runs = [(m, False) for m in args.methods] + [(m, True) for m in args.methods
                                                  if args.dask]
    for method, dask in runs:
        params = METHOD_PARAMS.get(method, {})
        load = LOAD_DASK if dask else LOAD
        tool = Tool(method + ("_dask" if dask else ""),
                    load.format(path=str(path), method=method, params=params,
                                chunk=args.chunk),
                    CALL.format(method=method, chunk=args.chunk, params=params))
        r = run_tool(tool, work, args.timeout)
        rows.append(r)
        if r["status"] != "ok":
            print(f"{tool.name:17s} {r['status']}", flush=True)
            continue
        line = (f"{tool.name:17s} {r['seconds']:8.1f} s  {args.cells / r['seconds']:10,.0f} "
                f"cells/s  peak RSS {r['peak'] / 2**30:.2f} GiB")
        if args.check and method in INDEPENDENT:
            import rrscore.tl

            got = np.load(r["result"])[: args.check]
            small = ad.read_h5ad(path, backed="r")[: args.check].to_memory()
            want = rrscore.tl.score(small, sets, method, inplace=False, **params).to_numpy()
            same = np.array_equal(got, want, equal_nan=True)
            line += f"  first {args.check:,} cells {'identical' if same else 'DIFFER'} " \
                    "to in-memory"
        print(line, flush=True)


if __name__ == "__main__":
    main()
