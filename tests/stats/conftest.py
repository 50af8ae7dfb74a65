"""Fixtures of the stats tests: the bundled TCGA LUAD cohort scored once, and the shared
TCGA/single-cell data when present."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import rrscore

COHORT = Path(__file__).resolve().parents[2] / "examples" / "data" / "tcga_luad_agilent"


@pytest.fixture(scope="session")
def expr() -> pd.DataFrame:
    """17,814 genes × 32 TCGA LUAD tumours (Agilent log2 ratios, 517 missing cells)."""
    return pd.read_csv(COHORT / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture(scope="session")
def samples() -> pd.DataFrame:
    """The bundled annotation: PANCAN12 mutations and RTCGA clinical fields."""
    return pd.read_csv(COHORT / "samples.tsv", sep="\t", index_col=0)


@pytest.fixture(scope="session")
def rr(expr, samples) -> pd.DataFrame:
    """rrscore.radioresistance of the bundled cohort, with the driver columns."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rrscore.radioresistance(expr, nan_policy="drop_genes", mutations=samples)


@pytest.fixture(scope="session")
def star(shared_data):
    """(counts genes × 32, annotation) of the 16 tumour + 16 normal TCGA LUAD STAR samples."""
    folder = shared_data / "tcga_luad_star_counts_omicskit"
    counts = pd.read_csv(folder / "expr.tsv.gz", sep="\t", index_col=0)
    annotation = pd.read_csv(folder / "samples.tsv", sep="\t", index_col=0)
    return counts, annotation


@pytest.fixture(scope="session")
def clinical_shared(shared_data) -> pd.DataFrame:
    """RTCGA clinical table of 522 LUAD + 504 LUSC patients (indexed by patient barcode)."""
    return pd.read_csv(shared_data / "tcga_lung_annotations" /
                       "clinical_luad_lusc_rtcga_20160128.tsv", sep="\t", index_col=0)
