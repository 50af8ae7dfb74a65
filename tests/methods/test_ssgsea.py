"""ssGSEA: parity with R GSVA 1.46 and with the definition (running sum), on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.stats import rankdata

import rrscore
from tests.conftest import max_abs_diff, read_reference

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent/expr.tsv.gz"


def walk_sum(x: np.ndarray, members: np.ndarray, alpha: float) -> float:
    """ssGSEA by its definition: sum over positions of P_in(t) - P_out(t) (GSVA .rndWalk)."""
    n = len(x)
    ranks = np.trunc(rankdata(x, method="average"))  # GSVA: mode(R) <- "integer"
    order = np.argsort(-x, kind="stable")  # R order(decreasing=TRUE): ties in row order
    hit = np.isin(order, members)
    w = np.where(hit, ranks[order] ** alpha, 0.0)
    p_in = np.cumsum(w) / w.sum()
    p_out = np.cumsum(~hit) / (n - len(members))
    return float(np.sum(p_in - p_out))


@pytest.fixture(scope="module")
def luad() -> pd.DataFrame:
    """Real TCGA LUAD log-ratios, NaN genes dropped, 400 genes × 8 samples."""
    expr = pd.read_csv(EXAMPLE, sep="\t", index_col=0).dropna()
    return expr.iloc[:400, :8]


@pytest.mark.parametrize("norm", ["FALSE", "TRUE"])
def test_parity_with_gsva_146_on_leukemia(tests_data, norm):
    d = tests_data / "leukemia_200sets"
    expr = pd.read_csv(tests_data / "leukemia_small" / "expr.tsv.gz", sep="\t", index_col=0)
    sets = rrscore.read_gmt(d / "reference_genesets_symbols_200.gmt")
    ref = read_reference(d / f"reference_GSVA1.46.0_ssgsea_tau0.25_norm{norm}.tsv")
    result = rrscore.score(expr, sets, "ssgsea", alpha=0.25, normalize=norm == "TRUE")
    assert result.shape == (37, 200)
    assert max_abs_diff(result, ref) <= 1e-8


def test_matches_the_running_sum_definition_with_ties_and_small_sets(luad):
    tied = luad.round(1)  # many ties, as in low-resolution or count data
    genes = list(tied.index)
    sets = {
        "size1": [genes[5]],
        "size2": [genes[10], genes[11]],
        "with_missing": [genes[20], genes[21], "NOT_A_GENE"],
        "most_genes": genes[: len(genes) - 3],
        "tied_block": [g for g in genes if tied.loc[g].iloc[0] == 0.0][:15],
    }
    for alpha in (0.25, 0.0, 1.0):
        result = rrscore.score(tied, sets, alpha=alpha, normalize=False, low_coverage=0)
        for name, members in sets.items():
            idx = np.flatnonzero(np.isin(np.array(genes), members))
            for sample in tied.columns:
                expected = walk_sum(tied[sample].to_numpy(), idx, alpha)
                assert result.loc[sample, name] == pytest.approx(expected, abs=1e-9, rel=1e-12)


def test_normalisation_divides_by_the_range_of_the_whole_output(luad):
    sets = {"a": list(luad.index[:30]), "b": list(luad.index[50:70])}
    raw = rrscore.score(luad, sets, normalize=False)
    norm = rrscore.score(luad, sets)
    span = raw.to_numpy().max() - raw.to_numpy().min()
    np.testing.assert_allclose(norm.to_numpy(), raw.to_numpy() / span, rtol=1e-14)


def test_unnormalised_scores_do_not_depend_on_other_samples_or_sets(luad):
    sets = {"a": list(luad.index[:30]), "b": list(luad.index[50:70])}
    full = rrscore.score(luad, sets, normalize=False)
    alone = rrscore.score(luad.iloc[:, [3]], {"b": sets["b"]}, normalize=False)
    assert alone.loc[luad.columns[3], "b"] == full.loc[luad.columns[3], "b"]
    # ...whereas normalised scores change when the sample holding the maximum is left out
    holder = full.max(axis=1).idxmax()
    others = [c for c in luad.columns if c != holder]
    subset = rrscore.score(luad[others], sets)
    assert not np.allclose(subset.to_numpy(), rrscore.score(luad, sets).loc[others].to_numpy())


def test_signed_set_is_up_minus_down(luad):
    up, down = list(luad.index[:25]), list(luad.index[100:120])
    parts = rrscore.score(luad, {"up": up, "down": down}, normalize=False)
    signed = rrscore.score(luad, {"s": up + [g + "-" for g in down]}, normalize=False)
    np.testing.assert_allclose(signed["s"], parts["up"] - parts["down"], rtol=1e-12)


def test_sparse_input_gives_the_dense_scores(luad):
    counts = np.clip(luad.to_numpy(), 0, None)  # zeros, as in single-cell data
    sets = {"a": list(luad.index[:30])}
    dense = rrscore.score(counts, sets, genes=luad.index, samples=luad.columns)
    sparse = rrscore.score(sp.csr_matrix(counts), sets, genes=luad.index, samples=luad.columns)
    pd.testing.assert_frame_equal(dense, sparse)


def test_chunking_does_not_change_scores(luad):
    sets = {"a": list(luad.index[:30]), "b": list(luad.index[200:260])}
    pd.testing.assert_frame_equal(
        rrscore.score(luad, sets, chunk_size=3), rrscore.score(luad, sets, chunk_size=1000)
    )


def test_bad_parameters_are_rejected(luad):
    with pytest.raises(rrscore.RRScoreError, match="alpha"):
        rrscore.score(luad, {"a": list(luad.index[:5])}, alpha=-1)
    with pytest.raises(rrscore.RRScoreError, match=r"no parameter\(s\) \['tau'\]"):
        rrscore.score(luad, {"a": list(luad.index[:5])}, tau=1)
    with pytest.raises(rrscore.RRScoreError, match="range of all scores"):
        rrscore.score(luad.iloc[:, :1], {"a": list(luad.index[:5])})


LEUKEMIA_VARIANTS = [
    ("ssgsea_tau0.25_normTRUE", 0.25, True),
    ("ssgsea_tau0.25_normFALSE", 0.25, False),
    ("ssgsea_tau0.5_normTRUE", 0.5, True),
    ("ssgsea_tau0_normTRUE", 0.0, True),
    ("ssgsea_tau0_normFALSE", 0.0, False),
]


@pytest.mark.parametrize(("variant", "alpha", "normalize"), LEUKEMIA_VARIANTS)
def test_parity_with_gsva_146_committed_fixture(tests_data, variant, alpha, normalize):
    """All 9,052 genes × 37 samples, 22 sets incl. sizes 2 and 3 (tests/data/leukemia_small)."""
    d = tests_data / "leukemia_small"
    expr = pd.read_csv(tests_data / "leukemia_small" / "expr.tsv.gz", sep="\t", index_col=0)
    ref = read_reference(d / f"reference_GSVA1.46.0_{variant}.tsv")
    result = rrscore.score(expr, d / "genesets.gmt", alpha=alpha, normalize=normalize)
    assert list(result.columns) == list(ref.index)
    assert max_abs_diff(result, ref) <= 1e-8


@pytest.mark.parametrize("norm", ["TRUE", "FALSE"])
def test_parity_on_edge_cases(tests_data, norm):
    """Ties, constant genes, twin rows, sizes 1–3, missing genes, a 280-of-300-gene set."""
    d = tests_data / "edge_cases"
    expr = pd.read_csv(d / "expr.tsv", sep="\t", index_col=0)
    ref = read_reference(d / f"reference_GSVA1.46.0_ssgsea_tau0.25_norm{norm}.tsv")
    with pytest.warns(UserWarning, match="WITH_DUPLICATE"):
        sets = rrscore.read_gmt(d / "genesets.gmt")
    result = rrscore.score(expr, sets, normalize=norm == "TRUE", low_coverage=0)
    assert "ALL_MISSING" not in result.columns  # dropped, as in R
    # GSVA 1.46 counts a gene listed twice twice; rrscore removes the duplicate (documented).
    comparable = ref.drop(index="WITH_DUPLICATE")
    raw = read_reference(d / "reference_GSVA1.46.0_ssgsea_tau0.25_normFALSE.tsv")
    extremes = {raw.stack().idxmax()[0], raw.stack().idxmin()[0]}
    assert "WITH_DUPLICATE" not in extremes  # so the range normalisation is comparable
    assert max_abs_diff(result, comparable) <= 1e-8
    np.testing.assert_allclose(
        result["WITH_DUPLICATE"], ref.loc["WITH_DUPLICATE_DEDUP"].to_numpy(), atol=1e-8
    )
