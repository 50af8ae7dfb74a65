"""Real single-cell data for the UCell, AUCell and score_genes tests.

* ``pbmc68k()``: scanpy's built-in ``pbmc68k_reduced`` (700 PBMCs × 765 genes, shipped inside
  the scanpy package, BSD-3): ``.raw`` is log1p-normalised, a float32 CSR matrix. Always
  available where scanpy is installed (a test dependency).
* ``mixology()``: the 571 singlets (``demuxlet_cls == "SNG"``) of
  ``../shared/data/sc_mixology_luad_celllines_celseq2`` (CEL-seq2 UMI counts of five
  lung-adenocarcinoma lines, MIT), all 15,665 genes, bundled in
  ``tests/data/sc_mixology_singlets/`` so the cell-line claims are tested from a fresh clone;
  log1p of counts per 10,000, float64 CSR.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from tests.conftest import TESTS_DATA

#: Marker sets of the blood cell types in pbmc68k_reduced (all genes are in its 765).
PBMC_SETS = {
    "T_cell": ["CD3D", "CD3E", "CD2", "IL7R", "LCK", "CD247", "CCR7"],
    "CD8": ["CD8A", "CD8B"],
    "B_cell": ["CD79A", "CD79B", "MS4A1", "CD74", "HLA-DRA"],
    "NK": ["NKG7", "GNLY", "GZMB", "GZMA", "PRF1", "KLRB1"],
    "myeloid": ["LYZ", "S100A8", "S100A9", "FCGR3A", "FCER1G", "CST3", "TYROBP", "CLEC10A"],
    # with genes the data do not have: imputed (UCell), counted as missing (AUCell)
    "with_missing": ["CD3D", "NKG7", "LYZ", "NOT_A_GENE_1", "NOT_A_GENE_2"],
    # signed: NK up, T cell down
    "NK_not_T": ["NKG7", "GNLY", "GZMB", "PRF1", "CD3D-", "CD3E-", "IL7R-"],
}

#: Lung-line sets for sc_mixology: NRF2 targets (high in KEAP1-mutant A549), EGFR/epithelial
#: (HCC827), mesenchymal, proliferation.
MIXOLOGY_SETS = {
    "NRF2": ["AKR1C1", "AKR1C2", "AKR1C3", "NQO1", "TXNRD1", "GCLM", "GCLC", "SRXN1", "G6PD",
             "PGD", "ME1", "SLC7A11", "HMOX1", "OSGIN1", "ABCC2", "CYP4F11"],
    "EGFR_epithelial": ["EGFR", "CDH1", "EPCAM", "KRT8", "KRT18", "KRT19", "CLDN4", "ELF3"],
    "mesenchymal": ["VIM", "CDH2", "ZEB1", "SNAI2", "FN1", "TWIST1", "SPARC"],
    "proliferation": ["MKI67", "TOP2A", "CCNB1", "CDK1", "BIRC5", "CENPF", "TPX2", "UBE2C",
                      "MCM2", "PCNA"],
    "signed_NRF2_vs_EMT": ["AKR1C1", "AKR1C3", "NQO1", "GCLM", "VIM-", "ZEB1-", "FN1-"],
}


@lru_cache(maxsize=1)
def _pbmc():
    sc = pytest.importorskip("scanpy")
    return sc.datasets.pbmc68k_reduced()


def pbmc68k():
    """A fresh AnnData of ``pbmc68k_reduced.raw`` (log-normalised, float32 CSR)."""
    raw = _pbmc().raw.to_adata()
    raw.X = raw.X.copy()
    return raw


#: The bundled singlets (tests/data/README.md gives the provenance).
MIXOLOGY_DIR = TESTS_DATA / "sc_mixology_singlets"


def mixology_counts() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled UMI counts (genes × 571 cells) and the cells' line and plate."""
    counts = pd.read_csv(MIXOLOGY_DIR / "counts.tsv.xz", sep="\t", index_col=0)
    cells = pd.read_csv(MIXOLOGY_DIR / "cells.tsv", sep="\t", index_col=0)
    return counts, cells


@lru_cache(maxsize=1)
def _mixology():
    import anndata as ad

    counts, cells = mixology_counts()
    x = counts[cells.index].T.to_numpy(dtype=np.float64)  # cells × genes
    x = np.log1p(x / x.sum(axis=1, keepdims=True) * 1e4)
    obs = cells[["cell_line_demuxlet"]]
    return ad.AnnData(sp.csr_matrix(x), obs=obs, var=pd.DataFrame(index=counts.index))


def mixology():
    """Lung cell-line singlets, log1p CP10k (a fresh copy)."""
    return _mixology().copy()
