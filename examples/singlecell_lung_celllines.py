# %% [markdown]
# # Radioresistance mechanisms in single cells of five lung adenocarcinoma cell lines
#
# Data: CellBench ``sc_mixology`` (Tian et al., Nat Methods 2019), CEL-seq2 UMI counts of
# 909 cells from A549, H1975, H2228, H838 and HCC827, each cell's line called by demuxlet
# (``../shared/data/sc_mixology_luad_celllines_celseq2``; MIT, GEO GSE118767).
#
# From the counts to per-line mechanism profiles: singlets only, QC, log1p CP10k,
# ``rrscore.tl.score`` with the radioresistance ``mechanisms`` collection (UCell), the mean
# profile of each line, and a heatmap.
#
#     python examples/singlecell_lung_celllines.py [--data DIR] [--out FIGURE.png]
#
# It exits with a message (status 0) when the shared data folder is absent.

# %%
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE.parent.parent / "shared" / "data" / "sc_mixology_luad_celllines_celseq2"

parser = argparse.ArgumentParser(description="rrscore on single cells of lung cancer lines")
parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                    help="folder with expr.tsv.gz and samples.tsv (default: %(default)s)")
parser.add_argument("--out", type=Path,
                    default=Path("examples/output/singlecell_lung_celllines.png"),
                    help="figure path (default: %(default)s)")
parser.add_argument("--method", default="ucell", help="rrscore method (default: ucell)")
args, _ = parser.parse_known_args()  # tolerate notebook kernels' own arguments

if not (args.data / "expr.tsv.gz").exists():
    print(f"skipped: the sc_mixology data are not at {args.data} (the shared data folder "
          "../shared is not present); pass --data DIR to point at a copy")
    sys.exit(0)

import anndata as ad  # noqa: E402
import matplotlib  # noqa: E402

matplotlib.use("Agg")
import scanpy as sc  # noqa: E402

import rrscore  # noqa: E402
from rrscore.genesets._bundled import is_bundled  # noqa: E402

# %% [markdown]
# ## Counts and cell annotation; singlets only

# %%
counts = pd.read_csv(args.data / "expr.tsv.gz", sep="\t", index_col=0)  # genes × cells
cells = pd.read_csv(args.data / "samples.tsv", sep="\t", index_col=0)
cells = cells.loc[counts.columns]
adata = ad.AnnData(
    X=counts.T.to_numpy(dtype=np.float32),
    obs=cells[["plate", "cell_line_demuxlet", "demuxlet_cls", "non_mt_percent"]].rename(
        columns={"cell_line_demuxlet": "cell_line"}),
    var=pd.DataFrame(index=counts.index.astype(str)),
)
adata.var_names_make_unique()
print(f"{adata.n_obs} cells × {adata.n_vars} genes; demuxlet calls: "
      f"{adata.obs['demuxlet_cls'].value_counts().to_dict()}")
adata = adata[adata.obs["demuxlet_cls"] == "SNG"].copy()
adata.obs["cell_line"] = adata.obs["cell_line"].astype("category")

# %% [markdown]
# ## QC: outliers in detected genes, UMIs or mitochondrial fraction; genes in ≥ 3 cells
#
# As scater's ``isOutlier``: a cell is dropped when its log UMI count or log number of
# detected genes is more than 3 median absolute deviations below the median, or its
# mitochondrial percentage more than 3 MADs above it. The matrix has no mitochondrial
# genes (the source counted reads on MT separately): the fraction comes from the source's
# QC table (``non_mt_percent``).

# %%
sc.pp.calculate_qc_metrics(adata, percent_top=None, log1p=False, inplace=True)
adata.obs["pct_counts_mt"] = 100.0 * (1.0 - adata.obs["non_mt_percent"])


def outlier(values: pd.Series, side: str, n_mads: float = 3.0) -> pd.Series:
    median = values.median()
    mad = 1.4826 * (values - median).abs().median()
    return values < median - n_mads * mad if side == "low" else values > median + n_mads * mad


drop = (outlier(np.log1p(adata.obs["total_counts"]), "low")
        | outlier(np.log1p(adata.obs["n_genes_by_counts"]), "low")
        | outlier(adata.obs["pct_counts_mt"], "high"))
print(f"singlets: {adata.n_obs}; QC outliers dropped: {int(drop.sum())} (median "
      f"{adata.obs['n_genes_by_counts'].median():.0f} genes, "
      f"{adata.obs['total_counts'].median():.0f} UMIs, "
      f"{adata.obs['pct_counts_mt'].median():.1f} % mitochondrial per cell)")
adata = adata[~drop.to_numpy()].copy()
sc.pp.filter_genes(adata, min_cells=3)
print("cells per line:", adata.obs["cell_line"].value_counts().sort_index().to_dict())

# %% [markdown]
# ## log1p of counts per 10,000

# %%
adata.layers["counts"] = adata.X.copy()
sc.pp.normalize_total(adata, target_sum=1e4)
sc.pp.log1p(adata)

# %% [markdown]
# ## Mechanism scores per cell
#
# ``rrscore.tl.score`` writes the cells × sets table to ``adata.obsm["rrscore"]`` (and one
# ``obs`` column per set with ``obs_columns=True``); the parameters, the collection's
# version and the coverage of every set go to ``adata.uns["rrscore"]``.

# %%
collection = "mechanisms" if is_bundled("mechanisms") else "hallmark"
if collection != "mechanisms":
    print("the mechanisms collection is not registered in this rrscore; using hallmark")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # low-coverage sets are in the report
    rrscore.tl.score(adata, collection, args.method, obs_columns=True)
record = adata.uns["rrscore"]
coverage = pd.DataFrame(record["coverage"]).set_index("set")
print(f"\n{record['method']} scores of {len(record['sets'])} sets from "
      f"{record['collection']} {record['collection_version']}; genes found per set:")
print(coverage[["n_listed", "n_found", "coverage"]].round(2).to_string())

# %% [markdown]
# ## Per-line mechanism profiles

# %%
scores = adata.obsm["rrscore"]
profile = scores.groupby(adata.obs["cell_line"], observed=True).mean()
with pd.option_context("display.width", 200, "display.max_columns", 50):
    print("\nmean score per cell line:")
    print(profile.T.round(3).to_string())
    print("\nper set, the line with the highest mean:")
    print(profile.idxmax().astype(str).to_string())

# Literature, not part of the data: A549 is KEAP1-mutant, so its NRF2 targets should stand
# out; HCC827 is the most epithelial line (high CDH1, low VIM), so its EMT score is lowest.
for name in profile.columns:
    if "NRF2" in name or "EMT" in name:
        col = profile[name]
        print(f"{name}: highest in {col.idxmax()} ({col.max():.3f}), "
              f"lowest in {col.idxmin()} ({col.min():.3f})")

# %% [markdown]
# ## Figure: mean score per line, scaled per set

# %%
args.out.parent.mkdir(parents=True, exist_ok=True)
fig = rrscore.pl.heatmap(adata, "cell_line", standard_scale="var", swap_axes=True,
                         colorbar_title="mean score\n(scaled per set)", save=args.out,
                         dpi=150)
print(f"\nfigure written to {args.out.resolve()}")
