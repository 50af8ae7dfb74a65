"""Input scale: detected on real data, recorded, and a warning when a method's assumption fails.

The motivating measurement (issue 10): z-score on raw counts vs on log-CPM of the same
tumours agree poorly (median r ≈ 0.36), and nothing told the user.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import InputScaleWarning
from rrscore.expression import as_expression
from rrscore.expression._scale import detect_scale

from ..conftest import TESTS_DATA

AGILENT = TESTS_DATA.parents[1] / "examples" / "data" / "tcga_luad_agilent" / "expr.tsv.gz"
COUNTS = TESTS_DATA / "tcga_counts_small"


def _read(path):
    return pd.read_csv(path, sep="\t", index_col=0)


@pytest.fixture(scope="module")
def counts():
    return _read(COUNTS / "expr_counts.tsv.gz")


@pytest.fixture(scope="module")
def log2p1():
    return _read(COUNTS / "expr_log2p1.tsv.gz")


@pytest.fixture(scope="module")
def sets():
    return COUNTS / "genesets.gmt"


def _scale(frame):
    return detect_scale(as_expression(frame, orient="genes_rows", nan_policy="drop_genes")).kind


def test_scales_of_real_data_are_recognised(counts, log2p1):
    assert _scale(counts) == "counts"  # TCGA STAR counts
    assert _scale(log2p1) == "log"  # log2(count + 1)
    assert _scale(_read(AGILENT)) == "log_ratio"  # Agilent two-colour log-ratios
    assert _scale(_read(TESTS_DATA / "leukemia_small" / "expr.tsv.gz")) == "log"  # RMA
    tpm_like = counts / counts.sum() * 1e6 + 0.5  # linear, not integers
    assert _scale(tpm_like) == "linear"
    scaled = log2p1.sub(log2p1.mean(axis=1), axis=0).div(log2p1.std(axis=1) + 1e-12, axis=0)
    assert _scale(scaled[log2p1.std(axis=1) > 0]) == "scaled"


def test_zscore_on_counts_warns_and_says_what_to_do(counts, log2p1, sets):
    with pytest.warns(InputScaleWarning, match="look like counts.*log-transform") as rec:
        result = rrscore.score(counts, sets, "zscore")
    assert rec[0].filename == __file__
    assert result.attrs["rrscore"]["input_scale"]["kind"] == "counts"
    assert result.attrs["rrscore"]["input_scale"]["fits_method"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputScaleWarning)
        ok = rrscore.score(log2p1, sets, "zscore")
    assert ok.attrs["rrscore"]["input_scale"] == {
        "kind": "log", "evidence": ok.attrs["rrscore"]["input_scale"]["evidence"],
        "fits_method": True}


def test_gsva_kernel_matches_the_scale(counts, log2p1, sets):
    with pytest.warns(InputScaleWarning, match="kcdf='poisson'"):
        rrscore.score(counts, sets, "gsva")
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputScaleWarning)
        rrscore.score(counts, sets, "gsva", kcdf="poisson")
        rrscore.score(log2p1, sets, "gsva")
        rrscore.score(counts, sets, "gsva", kcdf="none")  # the ECDF fits any scale
    with pytest.warns(InputScaleWarning, match="is for integer counts"):
        rrscore.score(log2p1, sets, "gsva", kcdf="poisson")


def test_rank_methods_on_scaled_cells_warn():
    sc = pytest.importorskip("scanpy")
    pbmc = sc.datasets.pbmc68k_reduced()  # .X is sc.pp.scale'd, .raw log-normalised
    sets = {"T": ["CD3D", "CD3E", "IL7R", "LCK"], "B": ["CD79A", "CD79B", "MS4A1"]}
    with pytest.warns(InputScaleWarning, match="ucell assumes.*look like scaled"):
        rrscore.tl.score(pbmc, sets, "ucell", use_raw=False, inplace=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", InputScaleWarning)
        got = rrscore.tl.score(pbmc, sets, "ucell", inplace=False)  # .raw: log-normalised
    assert got.attrs["rrscore"]["input_scale"]["kind"] == "log"
    counts = np.expm1(pbmc.raw.X.toarray()).round()
    with pytest.warns(InputScaleWarning, match="score_genes assumes log.*normalize_total"):
        rrscore.score(counts, sets, "score_genes", genes=list(pbmc.raw.var_names))


def test_backed_input_is_judged_from_the_first_block_read(tmp_path):
    sc = pytest.importorskip("scanpy")
    import anndata as ad

    pbmc = sc.datasets.pbmc68k_reduced()
    scaled = ad.AnnData(pbmc.X.copy(), var=pd.DataFrame(index=pbmc.var_names))
    path = tmp_path / "scaled.h5ad"
    scaled.write_h5ad(path)
    backed = ad.read_h5ad(path, backed="r")
    sets = {"T": ["CD3D", "CD3E", "IL7R", "LCK"]}
    with pytest.warns(InputScaleWarning, match="look like scaled"):
        got = rrscore.tl.score(backed, sets, "ucell", inplace=False, chunk_size=100)
    backed.file.close()
    assert got.attrs["rrscore"]["engine"] == "backed"
    assert got.attrs["rrscore"]["input_scale"]["kind"] == "scaled"
