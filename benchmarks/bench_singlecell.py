"""Single-cell methods: rrscore vs pyUCell, decoupler AUCell and scanpy, same h5ad, one run.

    python benchmarks/bench_singlecell.py                     # 50,000 cells × 20,000 genes, 8 %
    python benchmarks/bench_singlecell.py --cells 5000        # quicker
    python benchmarks/bench_singlecell.py --methods ucell aucell --density 0.05
    python benchmarks/bench_singlecell.py --cells 200000 --methods ssgsea     # issue 14
    python benchmarks/bench_singlecell.py --genes 30000 --methods singscore   # 2,000 sets
    python benchmarks/bench_singlecell.py --genes 30000 --sets 2000 --no-peers  # memory row
    python benchmarks/bench_singlecell.py --genes 30000 --sets 2000 --methods mean zscore plage
    python benchmarks/bench_singlecell.py --genes 30000 --sets 2000 --no-peers --methods gsva

Data: a synthetic sparse, log-normalised matrix (CSR, float32), built once and cached as an
h5ad (``--path``; reused when it exists): every gene has its own detection rate (lognormal
spread around ``--density``), every cell its own depth factor; detected entries get counts
``1 + Poisson(λ_gene)`` and values ``log1p(10,000 × count / cell total)`` — scanpy's
``normalize_total(target_sum=1e4)`` + ``log1p``. ``--sets`` random sets of 20–200 genes.
Everything is seeded (``--seed``).

Each tool runs in its own interpreter: ``anndata.read_h5ad`` (in memory) and a small warm-up
call (numba compilation, worker start-up) are not timed — see ``harness.py``.

* ``ucell``: rrscore ``ucell`` (R UCell semantics, max_rank 1500) vs
  ``pyucell.compute_ucell_scores`` (its default ``n_jobs=-1``, and ``n_jobs=1``).
* ``aucell``: rrscore ``aucell`` vs decoupler ``dc.mt.aucell`` (same ``n_up`` = ceil(5 %)).
* ``score_genes``: rrscore ``score_genes`` vs ``scanpy.tl.score_genes`` called once per set
  (the loop's total time), same ``random_state``.
* ``ssgsea``: rrscore ``ssgsea`` with ``normalize=False`` (no single-cell peer). Issue-14
  goal at 200,000 cells × 20,000 genes, 8 %, 20 sets: < 30 s, peak RSS < 2 × the input.
* ``singscore``: rrscore ``score(..., "singscore")`` with ``--singscore-sets`` sets
  (default 2,000; the other methods use ``--sets``): the memory row of issue 14 (extra
  memory ≤ 2 × the output + one chunk; the goal workload is 50,000 cells × 30,000 genes).
  ``--singscore-dispersion`` asks for the dispersions too (``score_with_dispersion``: two
  outputs, and a median absolute deviation per cell and set, which takes far longer). No
  peer (R singscore is not packaged).
* ``gsva`` (only when named): rrscore ``gsva`` with ``kcdf="none"`` (the empirical CDF, what
  ``kcdf="auto"`` picks from 200 cells), which scores sparse cells without densifying them.
  No peer (R GSVA is not run on cells here).

Issue 14's memory row, for every method: with ``--sets 2000`` on 50,000 cells × 30,000 genes
each call's extra memory (its peak RSS, read as the call returns, minus the RSS before it) is
checked against 2 × its output (cells × sets float64) + one chunk (256 cells × genes float64).
"""

from __future__ import annotations

import argparse
import math
import shutil
from pathlib import Path

import numpy as np
from harness import Tool, module_available, report, run_tool, workdir

METHODS = ("ucell", "aucell", "score_genes", "ssgsea", "singscore")
#: Bulk methods that also take cells (no peer here): for issue 14's memory row only.
EXTRA_METHODS = ("mean", "zscore", "plage", "gsva")
DEFAULT_PATH = "/tmp/rrscore_bench/sc_{cells}x{genes}_d{density}_s{seed}.h5ad"

LOAD = """
import anndata
adata = anndata.read_h5ad({path!r})
import rrscore
collection = rrscore.read_gmt(os.path.join(workdir, {gmt!r}))
names = [s.name for s in collection]
sets = {{s.name: list(s.up) for s in collection}}
small = adata[:300].copy()  # for warm-up calls
"""


# ------------------------------------------------------------------------------- data


def build(path: Path, n_cells: int, n_genes: int, density: float, seed: int,
          block: int = 2000) -> None:
    """Write the synthetic log-normalised CSR h5ad described in the module docs."""
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    weight = rng.lognormal(0.0, 1.0, n_genes)
    p_gene = density * weight / weight.mean()
    for _ in range(5):  # clipping at 0.95 lowers the mean: rescale the rest
        p_gene = np.minimum(p_gene, 0.95)
        p_gene *= density / p_gene.mean()
    p_gene = np.minimum(p_gene, 0.95).astype(np.float32)
    lam = (2.0 * weight / weight.mean()).astype(np.float64)  # often-detected → higher counts
    depth = rng.lognormal(0.0, 0.3, n_cells)
    depth = (depth / depth.mean()).astype(np.float32)

    data, indices, nnz = [], [], [np.zeros(1, dtype=np.int64)]
    for start in range(0, n_cells, block):
        stop = min(start + block, n_cells)
        prob = np.minimum(depth[start:stop, None] * p_gene[None, :], np.float32(1.0))
        rows, cols = np.nonzero(rng.random(prob.shape, dtype=np.float32) < prob)
        counts = 1.0 + rng.poisson(lam[cols])
        per_cell = np.bincount(rows, minlength=stop - start)
        totals = np.bincount(rows, weights=counts, minlength=stop - start)
        data.append(np.log1p(counts / totals[rows] * 1e4).astype(np.float32))
        indices.append(cols.astype(np.int32))
        nnz.append(per_cell.astype(np.int64))
    indptr = np.cumsum(np.concatenate(nnz))
    x = sp.csr_matrix((np.concatenate(data), np.concatenate(indices), indptr),
                      shape=(n_cells, n_genes))
    obs = pd.DataFrame(index=pd.Index([f"cell{i:07d}" for i in range(n_cells)]))
    var = pd.DataFrame(index=pd.Index([f"GENE{j:05d}" for j in range(n_genes)]))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial.h5ad")
    ad.AnnData(X=x, obs=obs, var=var).write_h5ad(tmp)
    tmp.replace(path)


def random_sets(n_genes: int, n_sets: int, seed: int, sizes=(20, 200)) -> dict[str, list[str]]:
    rng = np.random.default_rng(seed + 1)
    genes = np.array([f"GENE{j:05d}" for j in range(n_genes)])
    return {f"SET{i:02d}": list(rng.choice(genes, size=min(n_genes, int(rng.integers(
        sizes[0], sizes[1] + 1))), replace=False)) for i in range(n_sets)}


# ------------------------------------------------------------------------------- tools


def rrscore_tool(path: Path, method: str, params: dict) -> Tool:
    return Tool(
        "rrscore",
        LOAD.format(path=str(path), gmt="sets.gmt")
        + f"rrscore.score(small, collection, {method!r}, **{params!r})  # load kernels\n",
        f"result = rrscore.score(adata, collection, {method!r}, **{params!r})",
        after="result = result.reindex(index=adata.obs_names, columns=names)",
    )


def singscore_tool(path: Path, dispersion: bool) -> Tool:
    """singscore of the ``singscore.gmt`` sets: scores only, or scores and dispersions.

    No peer, so the result is not reindexed after the call: the harness reads the peak RSS
    once the process is done, and a reindexed copy of a 50,000 × 2,000 output would count.
    """
    load = LOAD.format(path=str(path), gmt="singscore.gmt")
    if dispersion:
        return Tool(
            "rrscore",
            load + "rrscore.score_with_dispersion(small, collection)  # load kernels\n",
            "result, dispersion = rrscore.score_with_dispersion(adata, collection)",
        )
    return Tool(
        "rrscore",
        load + "rrscore.score(small, collection, 'singscore')  # load kernels\n",
        "result = rrscore.score(adata, collection, 'singscore')",
    )


def pyucell_tool(path: Path, n_jobs: int) -> Tool:
    call = (f"pyucell.compute_ucell_scores(adata, sets, max_rank=1500, n_jobs={n_jobs})\n"
            "result = adata.obs[[n + '_UCell' for n in names]]")
    after = ""
    if n_jobs != 1:
        # reap the loky workers so that their peak RSS is reported (workers peak)
        after = ("from joblib.externals.loky import get_reusable_executor\n"
                 "get_reusable_executor().shutdown(wait=True)\n")
    return Tool(
        f"pyUCell n_jobs={n_jobs}",
        LOAD.format(path=str(path), gmt="sets.gmt") + "import pyucell\n"
        + f"pyucell.compute_ucell_scores(small, sets, max_rank=1500, n_jobs={n_jobs})\n",
        call, available=module_available("pyucell"), note="pyucell not installed",
        after=after,
    )


def decoupler_aucell_tool(path: Path, n_up: int) -> Tool:
    return Tool(
        "decoupler aucell",
        LOAD.format(path=str(path), gmt="sets.gmt")
        + "import decoupler as dc\n"
        + "net = pd.DataFrame([(s.name, g) for s in collection for g in s.up],\n"
        + "                   columns=['source', 'target'])\n"
        + f"dc.mt.aucell(small, net, tmin=1, n_up={n_up}, verbose=False)\n",
        f"dc.mt.aucell(adata, net, tmin=1, n_up={n_up}, verbose=False)\n"
        "result = adata.obsm['score_aucell']",
        available=module_available("decoupler"), note="decoupler not installed",
        after="result = result.reindex(index=adata.obs_names, columns=names)",
    )


def scanpy_tool(path: Path) -> Tool:
    return Tool(
        "scanpy score_genes x sets",
        LOAD.format(path=str(path), gmt="sets.gmt") + "import scanpy as sc\n"
        + "sc.tl.score_genes(small, sets[names[0]], score_name='warm', random_state=0)\n",
        "for name in names:\n"
        "    sc.tl.score_genes(adata, sets[name], score_name=name, random_state=0)\n"
        "result = adata.obs[names]",
        available=module_available("scanpy"), note="scanpy not installed",
    )


# ------------------------------------------------------------------------------ comparisons


def diff_and_corr(values, ref) -> dict:
    if values.shape != ref.shape:
        return {"max |diff| vs rrscore": np.nan, "r vs rrscore": np.nan}
    ok = np.isfinite(values) & np.isfinite(ref)
    a, b = values[ok], ref[ok]
    return {"max |diff| vs rrscore": float(np.abs(a - b).max()),
            "r vs rrscore": round(float(np.corrcoef(a, b)[0, 1]), 6)}


NOTES = {
    "ucell": "pyUCell (0.8) keeps ranks and scores in float32 (differences ~1e-7). It pins "
             "every zero at max_rank where R UCell (and rrscore) give the zeros their "
             "average rank; the two agree here because every cell has so many detected "
             "genes that the zeros' average rank exceeds max_rank. On sparser cells "
             "(fewer than ~2 x max_rank detected genes, e.g. pbmc68k) they differ by up "
             "to ~0.1, see tests/methods/test_ucell.py. n_jobs=-1 (pyUCell's default) runs "
             "chunks in loky worker processes ('workers peak'); both settings are timed "
             "and the goal is checked against the faster.",
    "aucell": "decoupler ranks each cell with ordinal ties after shuffling the genes (a "
              "random tie order); rrscore gives the expected AUC over tie orders (R AUCell "
              "breaks ties randomly too). Tied values are common in log-normalised counts "
              "(every count-1 gene of a cell has the same value), so scores differ where "
              "ties straddle the top-n_up cut.",
    "score_genes": "Same control genes (same random_state, scanpy's binning). scanpy sums "
                   "a cell's float32 values in float32, rrscore in float64 (~1e-7).",
    "ssgsea": "No single-cell ssGSEA peer. Each cell is ranked from its stored values (the "
              "zeros are one tie block); the scores equal the dense computation's bit for bit.",
    "singscore": "Memory row: 'call extra' is the call's own memory; an output (scores, "
                 "or dispersions) is cells x sets float64.",
    "mean": "No peer: rrscore only, for the memory row.",
    "zscore": "No peer: rrscore only, for the memory row.",
    "plage": "No peer: rrscore only, for the memory row (one SVD per set over all cells).",
    "gsva": "No peer: rrscore only, kcdf='none' (the ECDF, sparse path: one int32 key per "
            "stored value, positions one chunk of cells at a time; scores equal the dense "
            "path's bit for bit).",
}


# ------------------------------------------------------------------------------ main


def run_method(method: str, path: Path, wd: Path, n_genes: int, input_bytes: int,
               timeout: float, peers: bool = True, dispersion: bool = False) -> list[dict]:
    n_up = math.ceil(0.05 * n_genes)
    if method == "ucell":
        tools = [rrscore_tool(path, "ucell", {"max_rank": 1500}), pyucell_tool(path, -1),
                 pyucell_tool(path, 1)]
    elif method == "aucell":
        tools = [rrscore_tool(path, "aucell", {}), decoupler_aucell_tool(path, n_up)]
    elif method == "score_genes":
        tools = [rrscore_tool(path, "score_genes", {"random_state": 0}), scanpy_tool(path)]
    elif method == "singscore":
        tools = [singscore_tool(path, dispersion)]
    elif method == "ssgsea":
        tools = [rrscore_tool(path, "ssgsea", {"normalize": False})]
    elif method == "gsva":
        tools = [rrscore_tool(path, "gsva", {"kcdf": "none"})]
    else:
        tools = [rrscore_tool(path, method, {})]
    if not peers:
        tools = tools[:1]  # rrscore's own call only
    print(f"\n=== {method}", flush=True)
    rows = [run_tool(t, wd, timeout) for t in tools]
    table = report(rows, input_bytes, compare=diff_and_corr)
    print("note:", NOTES[method])
    return [{**r, "table": table} for r in rows]


def check_goals(results: dict[str, list[dict]], full: bool) -> None:
    print("\n=== goals (issue 6)" + ("" if full else
          "  [NOT the goal workload — goals are stated for 50,000 cells × 20,000 genes, "
          "8 % non-zero, 20 sets]"))

    def secs(method, prefix):
        ok = [r["seconds"] for r in results.get(method, [])
              if r["tool"].startswith(prefix) and r["status"] == "ok"]
        return min(ok) if ok else None

    for method, peer, goal in (("ucell", "pyUCell", 5.0), ("aucell", "decoupler", 5.0),
                               ("score_genes", "scanpy", 1.0)):
        ours, theirs = secs(method, "rrscore"), secs(method, peer)
        if ours is None or theirs is None:
            if method in results:
                print(f"{method}: no ratio (a tool was skipped or failed)")
            continue
        ratio = theirs / ours
        which = "its fastest setting, " if method == "ucell" else ""
        target = f">= {goal:g}x" if goal > 1 else "faster"
        print(f"{method}: {ratio:.1f}x faster than {peer} ({which}goal {target}) "
              f"{'MET' if ratio >= goal and ratio > 1 else 'NOT MET'}")


def check_issue14_goals(results: dict[str, list[dict]], args, input_bytes: int) -> None:
    """Issue 14's goals: ssGSEA on 200,000 cells (< 30 s, peak RSS < 2 × input) and every
    method's own memory (extra ≤ 2 × its output + one chunk, the row with 2,000 sets on
    50,000 cells × 30,000 genes)."""
    rows = [(m, r) for m in METHODS + EXTRA_METHODS for r in results.get(m, [])
            if r["tool"].startswith("rrscore") and r["status"] == "ok"]
    if not rows:
        return
    print("\n=== goals (issue 14)")
    cells_goal = (args.cells, args.genes, args.density, args.sets) == (200_000, 20_000, 0.08, 20)
    for method, r in rows:
        if method == "ssgsea":
            peak = r["peak"] / input_bytes
            met = r["seconds"] < 30 and peak < 2
            print(f"ssgsea: {r['seconds']:.1f} s, peak RSS {peak:.2f} x input (goal < 30 s, "
                  f"< 2 x input at 200,000 cells x 20,000 genes, 8 %, 20 sets) "
                  + (("MET" if met else "NOT MET") if cells_goal
                     else "[NOT the goal workload: no verdict]"))
        n_sets = args.singscore_sets if method == "singscore" else args.sets
        # scores (and singscore's dispersions): cells x sets float64 each
        output = args.cells * n_sets * 8 * (
            2 if method == "singscore" and args.singscore_dispersion else 1)
        extra = r["peak"] - r["rss_before"]
        chunk = 256 * args.genes * 8  # one dense-equivalent chunk of ranks at most
        met = extra <= 2 * output + chunk
        goal = (args.cells, args.genes, n_sets) == (50_000, 30_000, 2000)
        print(f"{method} ({n_sets} sets): call extra {extra / 2**20:.0f} MB "
              f"= {extra / output:.2f} x its output ({output / 2**20:.0f} MB), "
              f"{extra / input_bytes:.2f} x the input (goal <= 2 x output + one chunk at "
              "50,000 cells x 30,000 genes x 2,000 sets) "
              + (("MET" if met else "NOT MET") if goal
                 else ("within the bound" if met else "above the bound")
                 + " [NOT the goal workload]"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", type=int, default=50_000)
    parser.add_argument("--genes", type=int, default=20_000)
    parser.add_argument("--density", type=float, default=0.08)
    parser.add_argument("--sets", type=int, default=20)
    parser.add_argument("--singscore-sets", type=int, default=2000,
                        help="sets for the singscore memory row (issue 14)")
    parser.add_argument("--singscore-dispersion", action="store_true",
                        help="singscore row: scores and dispersions (score_with_dispersion)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--methods", nargs="+", choices=METHODS + EXTRA_METHODS,
                        default=list(METHODS),
                        help="mean, zscore, plage and gsva (no peer) only when named")
    parser.add_argument("--path", default=None, help=f"h5ad cache (default {DEFAULT_PATH})")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per tool")
    parser.add_argument("--no-peers", action="store_true",
                        help="time rrscore only (e.g. to compare two rrscore versions)")
    args = parser.parse_args()

    path = Path(args.path or DEFAULT_PATH.format(cells=args.cells, genes=args.genes,
                                                 density=args.density, seed=args.seed))
    if not path.exists():
        print(f"building {path} ...", flush=True)
        build(path, args.cells, args.genes, args.density, args.seed)
    import anndata as ad

    backed = ad.read_h5ad(path, backed="r")
    if backed.shape != (args.cells, args.genes):
        raise SystemExit(f"{path} has shape {backed.shape}, not {(args.cells, args.genes)}: "
                         "delete it or pass another --path")
    group = backed.file["X"]
    nnz = group["data"].shape[0]
    input_bytes = sum(group[k].shape[0] * group[k].dtype.itemsize
                      for k in ("data", "indices", "indptr"))
    backed.file.close()
    sets = random_sets(args.genes, args.sets, args.seed)
    wd = workdir()
    with open(wd / "sets.gmt", "w") as fh:
        for name, genes in sets.items():
            fh.write("\t".join([name, "benchmark", *genes]) + "\n")
    if "singscore" in args.methods:
        with open(wd / "singscore.gmt", "w") as fh:
            for name, genes in random_sets(args.genes, args.singscore_sets, args.seed).items():
                fh.write("\t".join([name, "benchmark", *genes]) + "\n")
    print(f"single-cell benchmark: {args.cells} cells × {args.genes} genes, "
          f"{nnz / (args.cells * args.genes):.1%} non-zero (CSR float32, "
          f"{input_bytes / 2**20:.0f} MB), {len(sets)} sets of 20-200 genes; {path}")
    results = {}
    try:
        for method in args.methods:
            results[method] = run_method(method, path, wd, args.genes, input_bytes,
                                         args.timeout, peers=not args.no_peers,
                                         dispersion=args.singscore_dispersion)
        full = (args.cells, args.genes, args.density, args.sets) == (50_000, 20_000, 0.08, 20)
        check_goals(results, full)
        check_issue14_goals(results, args, input_bytes)
    finally:
        shutil.rmtree(wd, ignore_errors=True)


if __name__ == "__main__":
    main()
