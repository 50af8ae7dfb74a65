"""ssGSEA: parity with R GSVA 1.46 and with the definition (running sum), on real data."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

import rrscore
from tests.conftest import max_abs_diff, read_reference

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent/expr.tsv.gz"
#: Examples per property (RRSCORE_HYPOTHESIS_EXAMPLES=500 for a longer search).
N_EXAMPLES = int(os.environ.get("RRSCORE_HYPOTHESIS_EXAMPLES", 20))


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


def closed_form(x: np.ndarray, members: list[np.ndarray], alpha: float) -> np.ndarray:
    """GSVA's ``.fastRndWalk`` closed form in NumPy: samples × sets, unnormalised."""
    n = x.shape[1]
    out = np.empty((x.shape[0], len(members)))
    for r, row in enumerate(x):
        w = np.trunc(rankdata(row, method="average")) ** alpha
        order = np.argsort(-row, kind="stable")
        asc = np.empty(n)
        asc[order] = n - np.arange(n)  # n - p + 1 for the 1-based position p
        for s, idx in enumerate(members):
            k = len(idx)
            out[r, s] = (np.sum(w[idx] * asc[idx]) / np.sum(w[idx])
                         - (n * (n + 1) / 2 - np.sum(asc[idx])) / (n - k))
    return out


def test_many_overlapping_sets_match_the_closed_form():
    """Hundreds of sets sharing genes: each gene's weight is computed once per sample."""
    rng = np.random.default_rng(11)
    n_genes = 500
    x = np.round(rng.lognormal(2.0, 1.0, size=(7, n_genes)), 1)  # with ties
    genes = np.array([f"G{i}" for i in range(n_genes)])
    members = [np.sort(rng.choice(n_genes, size=int(rng.integers(1, 200)), replace=False))
               for _ in range(300)]
    sets = {f"S{i}": list(genes[m]) for i, m in enumerate(members)}
    for alpha in (0.25, 1.0):
        got = rrscore.score(x, sets, genes=genes, alpha=alpha, normalize=False,
                            low_coverage=0).to_numpy()
        expected = closed_form(x, members, alpha)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * n_genes)


@st.composite
def sparse_cells(draw):
    """Cells × genes with many zeros, all-zero and zero-free rows, ties, maybe negatives."""
    n_cells = draw(st.integers(1, 8))
    n_genes = draw(st.integers(3, 40))
    low = draw(st.sampled_from([0, -3]))  # negative values where the data allow them
    cells = []
    for _ in range(n_cells):
        kind = draw(st.sampled_from(["sparse", "sparse", "zeros", "full"]))
        if kind == "zeros":
            cells.append([0] * n_genes)
            continue
        values = draw(st.lists(st.integers(low, 6), min_size=n_genes, max_size=n_genes))
        if kind == "full":
            values = [v if v != 0 else 7 for v in values]
        cells.append(values)
    x = np.array(cells, dtype=np.float64) / 2
    if draw(st.booleans()):  # continuous values among the zeros
        x = np.where(x != 0, x + draw(st.floats(0.01, 0.99)) * np.arange(n_genes), 0.0)
    n_sets = draw(st.integers(1, 4))
    sets = []
    for _ in range(n_sets):
        up = draw(st.lists(st.integers(0, n_genes - 1), min_size=1, max_size=n_genes - 1,
                           unique=True))
        rest = [g for g in range(n_genes) if g not in up]
        down = draw(st.lists(st.sampled_from(rest), max_size=len(rest) - 1, unique=True)) \
            if len(rest) > 1 else []
        sets.append((up, down))
    chunk = draw(st.integers(1, 5))
    return x, sets, chunk


@settings(max_examples=N_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sparse_cells())
def test_sparse_cells_give_the_dense_scores_bit_for_bit(case):
    x, parts, chunk = case
    genes = [f"G{i}" for i in range(x.shape[1])]
    sets = {f"S{i}": [genes[g] for g in up] + [genes[g] + "-" for g in down]
            for i, (up, down) in enumerate(parts)}
    kw = {"genes": genes, "normalize": False, "low_coverage": 0, "orient": "genes_columns"}
    x32 = x.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scale and coverage warnings of tiny random data
        dense = rrscore.score(x, sets, **kw).to_numpy()
        csr = rrscore.score(sp.csr_matrix(x), sets, chunk_size=chunk, **kw).to_numpy()
        dense32 = rrscore.score(x32.astype(np.float64), sets, **kw).to_numpy()
        csr32 = rrscore.score(sp.csr_matrix(x32), sets, chunk_size=chunk, **kw).to_numpy()
    np.testing.assert_array_equal(csr, dense)
    np.testing.assert_array_equal(csr32, dense32)  # float32 CSR data are ranked as they are
    expected = np.column_stack([
        closed_form(x, [np.array(up)], 0.25)[:, 0]
        - (closed_form(x, [np.array(down)], 0.25)[:, 0] if down else 0.0)
        for up, down in parts
    ])
    np.testing.assert_allclose(dense, expected, rtol=1e-12, atol=1e-10)
