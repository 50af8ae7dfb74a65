"""Fixtures of the plot tests: a scored single-cell AnnData and the bundled TCGA cohort."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import rrscore

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COHORT = Path(__file__).resolve().parents[2] / "examples" / "data" / "tcga_luad_agilent"
MARKERS = {
    "T_cell": ["CD3D", "CD3E", "IL7R", "CD2", "LCK"],
    "B_cell": ["CD79A", "CD79B", "MS4A1", "CD74", "HLA-DRA"],
    "monocyte": ["LYZ", "S100A8", "S100A9", "FCN1", "CST3"],
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def scored():
    """pbmc68k_reduced (bundled with scanpy) with UCell marker scores under "rrscore"."""
    sc = pytest.importorskip("scanpy")
    adata = sc.datasets.pbmc68k_reduced()
    rrscore.tl.score(adata, MARKERS, "ucell")
    return adata


@pytest.fixture(scope="session")
def cohort_expr() -> pd.DataFrame:
    return pd.read_csv(COHORT / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture(scope="session")
def cohort_samples() -> pd.DataFrame:
    return pd.read_csv(COHORT / "samples.tsv", sep="\t", index_col=0)


@pytest.fixture(scope="session")
def cohort(cohort_expr, cohort_samples):
    """(scores, contributions) of the bundled TCGA LUAD cohort, drivers included."""
    scores, contributions, _ = rrscore.radioresistance(
        cohort_expr, nan_policy="drop_genes", mutations=cohort_samples,
        return_contributions=True,
    )
    return scores, contributions


@pytest.fixture(scope="session")
def cohort_adata(cohort_expr, cohort_samples):
    """The cohort as an AnnData (samples as obs) scored by rrscore.tl.radioresistance."""
    anndata = pytest.importorskip("anndata")
    adata = anndata.AnnData(cohort_expr.T.astype("float64"),
                            obs=cohort_samples.reindex(cohort_expr.columns))
    adata.obs["stage"] = adata.obs["pathologic_stage"].astype("category")
    rrscore.tl.radioresistance(adata, nan_policy="drop_genes")
    return adata
