"""GSVA: parity with R GSVA 1.46 on real data, exact kernel CDF, walk and edge cases."""

from __future__ import annotations

import math
import shutil
import subprocess
import warnings
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import ndtr

import rrscore
from rrscore.errors import InputDataError, RRScoreError
from rrscore.methods._gsva import GsvaParams
from rrscore.methods._gsva_kcdf import (
    PNORM_TABLE,
    _gaussian_log_odds,
    c_sd_bandwidths,
    gene_log_odds,
    resolve_kcdf,
)
from rrscore.methods._gsva_walk import _walk_scores, gene_set_index
from rrscore.ranking._dense import descending_positions, fast_descending_positions
from tests.conftest import max_abs_diff, read_reference

TOL = 1e-8  # measured: <= 3e-13 on every fixture below (R's running sum drifts ~1e-13)



def score_quietly(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rrscore.score(*args, **kwargs)


@pytest.fixture(scope="module")
def leukemia(tests_data) -> pd.DataFrame:
    return read_reference(tests_data / "leukemia_small/expr.tsv.gz")


# ----------------------------------------------------------------------------- parity


@pytest.mark.parametrize("mx", ["TRUE", "FALSE"])
def test_parity_with_gsva_146_on_leukemia_200_sets(tests_data, mx):
    d = tests_data / "leukemia_200sets"
    expr = read_reference(tests_data / "leukemia_small" / "expr.tsv.gz")
    ref = read_reference(d / f"reference_GSVA1.46.0_gsva_gaussian_mxdiff{mx}.tsv")
    result = rrscore.score(expr, d / "reference_genesets_symbols_200.gmt", "gsva",
                           max_diff=mx == "TRUE")
    assert result.shape == (37, 200)
    assert max_abs_diff(result, ref) <= TOL


LEUKEMIA_VARIANTS = {
    "gsva_gaussian_mxdiffTRUE": {},
    "gsva_gaussian_mxdiffFALSE": {"max_diff": False},
    "gsva_gaussian_mxdiffTRUE_absrankingTRUE": {"abs_ranking": True},
    "gsva_gaussian_mxdiffTRUE_tau0.5": {"tau": 0.5},
    "gsva_none_mxdiffTRUE": {"kcdf": "none"},
    "gsva_none_mxdiffFALSE": {"kcdf": "none", "max_diff": False},
}


@pytest.mark.parametrize("variant", sorted(LEUKEMIA_VARIANTS))
def test_parity_with_gsva_146_on_committed_leukemia(tests_data, leukemia, variant):
    d = tests_data / "leukemia_small"
    ref = read_reference(d / f"reference_GSVA1.46.0_{variant}.tsv")
    result = rrscore.score(leukemia, d / "genesets.gmt", "gsva", **LEUKEMIA_VARIANTS[variant])
    assert result.shape == (37, 22)
    assert max_abs_diff(result, ref) <= TOL


def test_variants_really_differ(tests_data):
    """The fixtures above test different things: no two variants are the same numbers."""
    d = tests_data / "leukemia_small"
    tables = [read_reference(d / f"reference_GSVA1.46.0_{v}.tsv") for v in LEUKEMIA_VARIANTS]
    for i in range(len(tables)):
        for j in range(i + 1, len(tables)):
            assert float((tables[i] - tables[j]).abs().to_numpy().max()) > 1e-3


@pytest.mark.parametrize("variant, params", [
    ("gsva_gaussian_mxdiffTRUE", {}),
    ("gsva_gaussian_mxdiffFALSE", {"max_diff": False}),
    ("gsva_none_mxdiffTRUE", {"kcdf": "none"}),
])
def test_edge_cases_ties_constant_genes_small_sets(tests_data, variant, params):
    d = tests_data / "edge_cases"
    expr = read_reference(d / "expr.tsv")
    ref = read_reference(d / f"reference_GSVA1.46.0_{variant}.tsv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = rrscore.score(expr, d / "genesets.gmt", "gsva", low_coverage=0, **params)
    messages = " ".join(str(w.message) for w in caught)
    # the 3 constant rows leave the ranking (p = 297) and the sets before the size filter;
    # the set of only constant genes is not scored, as in GSVA, and the warning says so
    assert "gsva: 3 gene(s) constant" in messages and "ONLY_CONSTANT" in messages
    assert list(result.columns) == list(ref.index)  # the sets R scores, in R's order
    notes = result.attrs["rrscore"]["input"]["notes"]
    assert any("3 gene(s) constant" in note for note in notes)
    # rrscore de-duplicates set genes: WITH_DUPLICATE equals R's de-duplicated control
    expected = ref.copy()
    expected.loc["WITH_DUPLICATE"] = ref.loc["WITH_DUPLICATE_DEDUP"]
    assert max_abs_diff(result, expected) <= TOL
    assert float((ref.loc["WITH_DUPLICATE"] - ref.loc["WITH_DUPLICATE_DEDUP"]).abs().max()) > 1e-3


TCGA_VARIANTS = {
    "gsva_poisson_mxdiffTRUE": ("expr_counts.tsv.gz", {"kcdf": "poisson"}),
    "gsva_poisson_mxdiffFALSE": ("expr_counts.tsv.gz", {"kcdf": "poisson", "max_diff": False}),
    "gsva_gaussian_log2p1_mxdiffTRUE": ("expr_log2p1.tsv.gz", {}),
    "gsva_gaussian_log2p1_mxdiffFALSE": ("expr_log2p1.tsv.gz", {"max_diff": False}),
}


@pytest.mark.parametrize("variant", sorted(TCGA_VARIANTS))
def test_parity_with_gsva_146_on_tcga_counts(tests_data, variant):
    d = tests_data / "tcga_counts_small"
    file, params = TCGA_VARIANTS[variant]
    ref = read_reference(d / f"reference_GSVA1.46.0_{variant}.tsv")
    result = rrscore.score(read_reference(d / file), d / "genesets.gmt", "gsva", **params)
    assert result.shape == (32, 10)
    # Poisson: SciPy's pdtr differs from R's ppois in the last bits (module docs); on
    # these counts no rank changes, so the same tolerance holds (measured 3e-14)
    assert max_abs_diff(result, ref) <= TOL


# ----------------------------------------------------------------------------- step 2


def test_pnorm_table_is_gsva_table():
    """R's pnorm at GSVA's grid; SciPy's ndtr agrees to 2 ulp (it is not bit-identical)."""
    grid = (10.0 * np.arange(10001)) / 10000.0
    ulps = np.abs(PNORM_TABLE.view(np.int64) - ndtr(grid).view(np.int64))
    assert ulps.max() <= 2
    assert PNORM_TABLE[0] == 0.5 and PNORM_TABLE[-1] == 1.0
    assert np.all(np.diff(PNORM_TABLE) >= 0)


def brute_force_log_odds(x: np.ndarray, bw: np.ndarray | None = None) -> np.ndarray:
    """GSVA 1.46's C ``row_d`` written out: saturation tests, truncated index, sum in order."""
    n, g = x.shape
    out = np.empty((n, g))
    bw = c_sd_bandwidths(x) if bw is None else bw
    for c in range(g):
        v = x[:, c]
        acc = np.zeros(n)
        for i in range(n):  # density samples in column order; vectorised over test samples
            u = (v - v[i]) / bw[c]
            k = np.minimum(np.abs(u) / 10.0 * 10000.0, 10000.0).astype(np.int32)
            cdf = PNORM_TABLE[k]
            term = np.where(u < 0, 1.0 - cdf, cdf)
            acc += np.where(u < -10.0, 0.0, np.where(u > 10.0, 1.0, term))
        lt = acc / n
        # C's log (glibc), not NumPy's SIMD log, which differs in the last bit at times
        out[:, c] = [-math.log(q) for q in (1.0 - lt) / lt]
    return out


def test_gaussian_log_odds_bit_identical_to_brute_force(leukemia):
    rng = np.random.default_rng(3)
    real = leukemia.to_numpy()[rng.choice(len(leukemia), 150, replace=False)].T  # 37 × 150
    tied = np.round(real, 1)  # ties within genes and across genes
    heavy = rng.lognormal(2.0, 1.5, size=(60, 40))
    heavy[:, 0] = heavy[:, 1]  # twin genes
    for x in (real, tied, heavy):
        x = np.ascontiguousarray(x)
        z = gene_log_odds(x, np.arange(x.shape[1]), "gaussian")
        assert np.array_equal(z, brute_force_log_odds(x))


def test_table_index_falls_back_to_r_operations_at_integer_boundaries():
    """h = 0.5 on integers puts |d| * 1000 / h exactly on integers, where the fast index
    (one multiplication) cannot tell the truncation apart: R's two divisions must decide."""
    x = np.asfortranarray(np.arange(12, dtype=float).reshape(6, 2) % 5)
    bw = np.array([0.5, 0.5])
    out = np.empty_like(x)
    _gaussian_log_odds(x, np.arange(2), bw, PNORM_TABLE, out)
    assert np.array_equal(out, brute_force_log_odds(x, bw))


def test_ecdf_log_odds_is_r_ecdf():
    x = np.array([[1.0, 3.0], [2.0, 3.0], [2.0, 1.0], [0.5, 3.0]])
    z = gene_log_odds(x, np.arange(2), "none")
    f = np.array([[2 / 4, 1.0], [4 / 4, 1.0], [4 / 4, 1 / 4], [1 / 4, 1.0]])  # #{x_i <= x_j} / N
    with np.errstate(divide="ignore"):
        assert np.array_equal(z, np.log(f / (1 - f)))


def test_bandwidth_uses_long_double_two_pass_mean():
    """A column whose mean needs the long-double correction pass (large offset)."""
    x = np.array([[1e8 + 0.1], [1e8 + 0.2], [1e8 + 0.4], [1e8 + 0.7]])
    xs = x[:, 0]
    mean = float(np.mean(xs.astype(np.longdouble)))
    expected = np.sqrt(np.sum((xs - mean) ** 2, dtype=np.longdouble) / 3) / 4
    assert c_sd_bandwidths(x)[0] == pytest.approx(float(expected), rel=1e-15)


R_DENSITY = r"""
dyn.load(file.path(find.package("GSVA"), "libs", paste0("GSVA", .Platform$dynlib.ext)))
x <- as.matrix(read.delim("{inp}", row.names = 1, check.names = FALSE))
for (rnaseq in 0:1) {
  if (rnaseq == 1) x <- round(2^x)
  n <- ncol(x); g <- nrow(x)
  r <- .C("matrix_density_R", as.double(t(x)), as.double(t(x)), R = double(n * g), n, n, g,
          as.integer(rnaseq))$R
  writeLines(sprintf("%a", r), paste0("{out}", rnaseq))
}
writeLines(sprintf("%a", pnorm(10 * (0:10000) / 10000)), "{out}tab")
"""


def _have_r_gsva() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = subprocess.run(["Rscript", "-e", 'cat(nzchar(find.package("GSVA", quiet=TRUE)))'],
                           capture_output=True, text=True)
    return probe.stdout.strip() == "TRUE"


@pytest.mark.skipif(not _have_r_gsva(), reason="Rscript with GSVA not installed")
def test_log_odds_bit_identical_to_r_c_code(tmp_path, leukemia):
    """GSVA 1.46's own C kernel (``matrix_density_R``) on real data: Gaussian bit for bit,
    Poisson (R's ppois vs SciPy's pdtr) to 1e-12 with identical ranks (measured 2e-14)."""
    sub = leukemia.iloc[::30, :]  # 302 genes × 37 samples, real values
    sub = sub[sub.std(axis=1) > 0]
    inp = tmp_path / "x.tsv"
    sub.to_csv(inp, sep="\t", float_format="%.17g")
    script = R_DENSITY.replace("{inp}", str(inp)).replace("{out}", str(tmp_path / "d"))
    subprocess.run(["Rscript", "-e", script], check=True, capture_output=True)
    x = np.ascontiguousarray(read_reference(inp).to_numpy().T)
    n, g = x.shape

    def r_matrix(path: Path) -> np.ndarray:
        return np.array([float.fromhex(v) for v in path.read_text().split()]).reshape(g, n).T

    tab = np.array([float.fromhex(v) for v in (tmp_path / "dtab").read_text().split()])
    assert np.array_equal(tab, PNORM_TABLE)
    z = gene_log_odds(x, np.arange(g), "gaussian")
    assert np.array_equal(z, r_matrix(tmp_path / "d0"))
    counts = np.round(2.0**x)
    zp = gene_log_odds(counts, np.arange(g), "poisson")
    rp = r_matrix(tmp_path / "d1")
    assert np.allclose(zp, rp, rtol=0, atol=1e-12)
    assert np.array_equal(descending_positions(zp), descending_positions(rp))


# ----------------------------------------------------------------------------- steps 3-4


def c_walk(pos_row: np.ndarray, members: np.ndarray, tau: float, max_diff: bool,
           abs_ranking: bool) -> float:
    """GSVA 1.46's C ``ks_sample``, line by line, over all n positions."""
    n = len(pos_row)
    stat = np.abs(n / 2.0 - pos_row + 1.0)  # rank.scores of every gene
    order = np.argsort(pos_row)  # gene at each position
    mask = np.zeros(n, dtype=bool)
    mask[members] = True
    dec = 1.0 / (n - len(members)) if len(members) < n else np.inf
    total = 0.0
    for g in members:
        total += stat[g] ** tau
    cum = e_pos = e_neg = 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        for g in order:
            cum = cum + stat[g] ** tau / total if mask[g] else cum - dec
            e_pos = max(e_pos, cum) if cum > e_pos else e_pos
            e_neg = min(e_neg, cum) if cum < e_neg else e_neg
    if max_diff:
        return e_pos - e_neg if abs_ranking else e_pos + e_neg
    return e_pos if e_pos > abs(e_neg) else e_neg


@pytest.mark.parametrize("max_diff, abs_ranking, tau", [
    (True, False, 1.0), (True, True, 1.0), (False, False, 1.0), (True, False, 0.5),
    (False, False, 0.0), (False, True, 2.0),
])
def test_walk_closed_form_equals_running_sum(max_diff, abs_ranking, tau):
    rng = np.random.default_rng(7)
    n = 60
    pos = np.array([rng.permutation(n) + 1 for _ in range(25)], dtype=np.int32)
    sets = [rng.choice(n, size=k, replace=False) for k in (1, 1, 2, 3, 5, 17, 40, 59, 60)]
    # a size-1 set at the middle position (E+ == |E-| exactly) and the zero-weight gene
    middle = int(np.flatnonzero(pos[0] == n // 2 + 1)[0])
    sets += [np.array([middle]), np.array([int(np.flatnonzero(pos[0] == n // 2)[0])])]
    ptr = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
    idx = np.concatenate(sets).astype(np.int64)
    out = np.empty((len(pos), len(sets)))
    _walk_scores(pos, ptr, idx, *gene_set_index(ptr, idx, n), tau, max_diff, abs_ranking, out)
    expected = np.array([[c_walk(row, s, tau, max_diff, abs_ranking) for s in sets]
                         for row in pos])
    assert np.allclose(out, expected, rtol=0, atol=1e-13, equal_nan=True)
    if not max_diff:  # the branch taken is R's: never the opposite sign
        assert np.all(np.sign(out) == np.sign(expected))


def exact_walk(pos_row: np.ndarray, members: np.ndarray) -> tuple[Fraction, Fraction] | None:
    """``(E+, E-)`` of the tau = 1 walk in exact rational arithmetic (the definition); None
    where the weights sum to 0 (R's walk then steps by 0 / 0)."""
    n, k = len(pos_row), len(members)
    stat = {int(g): abs(Fraction(n, 2) - int(pos_row[g]) + 1) for g in members}
    total = sum(stat.values())
    if total == 0:
        return None
    cum = e_pos = e_neg = Fraction(0)
    for g in np.argsort(pos_row):
        cum = cum + stat[int(g)] / total if int(g) in stat else cum - Fraction(1, n - k)
        e_pos, e_neg = max(e_pos, cum), min(e_neg, cum)
    return e_pos, e_neg


@pytest.mark.parametrize("n", [51, 64])  # odd n: the weights are halves
def test_walk_of_many_sets_sharing_genes(n):
    """Hundreds of overlapping sets (each gene in > 10) walked in one pass per sample: each
    set's E+ + E- and E+ - E- equal the exact rational walk to a few ulp (the per-set state
    must not mix sets that share a gene), and max_diff=False takes R's branch, also where
    E+ == |E-| exactly and R's rounding decides (it happens here)."""
    rng = np.random.default_rng(21)
    pos = np.array([rng.permutation(n) + 1 for _ in range(4)], dtype=np.int32)
    sets = [rng.choice(n, size=int(k), replace=False) for k in rng.integers(1, n // 2, 300)]
    ptr = np.concatenate([[0], np.cumsum([len(s) for s in sets])]).astype(np.int64)
    idx = np.concatenate(sets).astype(np.int64)
    genes = gene_set_index(ptr, idx, n)
    assert np.diff(genes[0]).min() > 10  # the genes really are shared by many sets
    exact = [[exact_walk(row, members) for members in sets] for row in pos]
    ties = 0
    for max_diff, abs_ranking, tau in [(True, False, 1.0), (True, True, 1.0),
                                       (False, False, 1.0), (False, False, 0.5)]:
        out = np.empty((len(pos), len(sets)))
        _walk_scores(pos, ptr, idx, *genes, tau, max_diff, abs_ranking, out)
        r_walk = np.array([[c_walk(row, s, tau, max_diff, abs_ranking) for s in sets]
                           for row in pos])
        assert np.allclose(out, r_walk, rtol=0, atol=1e-14, equal_nan=True)
        if not max_diff:
            assert np.array_equal(np.sign(out), np.sign(r_walk), equal_nan=True)
        if not max_diff or tau != 1.0:
            continue
        for r in range(len(pos)):
            for s in range(len(sets)):
                if exact[r][s] is None:  # R's 0 / 0 steps: compared with c_walk above
                    continue
                e_pos, e_neg = exact[r][s]
                ties += e_pos == -e_neg
                expected = e_pos - e_neg if abs_ranking else e_pos + e_neg
                assert abs(Fraction(out[r, s]) - expected) <= Fraction(1, 2**50)  # 4 ulp of 1
    assert ties > 0  # exact ties E+ == |E-| were among the max_diff=False cases


def test_fast_positions_equal_stable_descending_positions():
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, size=(9, 500)).astype(float)
    x[rng.random(x.shape) < 0.03] = np.nan
    x[0, :20] = -0.0
    x[0, 20:40] = 0.0
    x[1, :7] = np.inf
    assert np.array_equal(fast_descending_positions(x), descending_positions(x))
    y = rng.normal(size=(4, 3000))
    assert np.array_equal(fast_descending_positions(y), descending_positions(y))


def test_twin_genes_get_adjacent_positions_in_row_order():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(12, 50))
    x[:, 20] = x[:, 21]  # identical genes: identical log-odds, earlier column ranks higher
    z = gene_log_odds(x, np.arange(50), "gaussian")
    pos = fast_descending_positions(z)
    assert np.array_equal(z[:, 20], z[:, 21])
    assert np.all(pos[:, 21] == pos[:, 20] + 1)


# ----------------------------------------------------------------------------- API


def test_signed_set_is_up_minus_down(leukemia):
    genes = list(leukemia.index)
    up, down = genes[100:130], genes[500:520]
    signed = score_quietly(leukemia, {"S": up + [f"{g}-" for g in down]}, "gsva")
    parts = score_quietly(leukemia, {"U": up, "D": down}, "gsva")
    assert np.allclose(signed["S"], parts["U"] - parts["D"], rtol=0, atol=1e-15)
    assert signed["S"].abs().max() > 0.1


def test_kcdf_auto_rule():
    rng = np.random.default_rng(0)
    floats = rng.normal(size=(37, 10))
    counts = rng.poisson(5.0, size=(37, 10)).astype(float)
    assert resolve_kcdf("auto", floats) == "gaussian"
    assert resolve_kcdf("auto", counts) == "poisson"
    assert resolve_kcdf("auto", -counts) == "gaussian"
    assert resolve_kcdf("auto", rng.normal(size=(200, 3))) == "none"
    assert resolve_kcdf("gaussian", counts) == "gaussian"


def test_kcdf_auto_matches_the_kernel_it_picks(tests_data, leukemia):
    gmt = tests_data / "leukemia_small/genesets.gmt"
    auto = rrscore.score(leukemia, gmt, "gsva", kcdf="AUTO")
    assert any("chose 'gaussian'" in n for n in auto.attrs["rrscore"]["input"]["notes"])
    pd.testing.assert_frame_equal(auto, rrscore.score(leukemia, gmt, "gsva"), check_like=True)
    counts = read_reference(tests_data / "tcga_counts_small/expr_counts.tsv.gz")
    cgmt = tests_data / "tcga_counts_small/genesets.gmt"
    pd.testing.assert_frame_equal(rrscore.score(counts, cgmt, "gsva", kcdf="auto"),
                                  rrscore.score(counts, cgmt, "gsva", kcdf="poisson"))


def test_sparse_and_row_major_input_score_as_dense(tests_data):
    counts = read_reference(tests_data / "tcga_counts_small/expr_counts.tsv.gz").iloc[:400]
    gmt = tests_data / "tcga_counts_small/genesets.gmt"
    dense = score_quietly(counts, gmt, "gsva", low_coverage=0)
    matrix = sp.csr_matrix(counts.to_numpy().T)
    sparse = score_quietly(matrix, gmt, "gsva", genes=counts.index, samples=counts.columns,
                           low_coverage=0)
    np.testing.assert_array_equal(sparse.to_numpy(), dense.to_numpy())
    # samples as rows: the matrix arrives C-ordered instead of gene-column-contiguous
    rows = score_quietly(counts.T.copy(), gmt, "gsva", orient="genes_columns", low_coverage=0)
    np.testing.assert_array_equal(rows.to_numpy(), dense.to_numpy())


def test_parameter_validation():
    assert GsvaParams(kcdf="Gaussian").kcdf == "gaussian"
    assert GsvaParams(tau=1).tau == 1.0
    for bad in ({"kcdf": "normal"}, {"kcdf": 1}, {"tau": -1.0}, {"tau": float("nan")},
                {"tau": "1"}, {"max_diff": "yes"}, {"abs_ranking": 1}):
        with pytest.raises(RRScoreError):
            GsvaParams(**bad)


def test_input_errors(leukemia):
    sets = {"S": list(leukemia.index[:20])}
    with pytest.raises(InputDataError, match="non-negative"):
        rrscore.score(leukemia - 10.0, sets, "gsva", kcdf="poisson")
    with pytest.raises(InputDataError, match="at least 2 samples"):
        rrscore.score(leukemia.iloc[:, :1], sets, "gsva")


def test_agrees_with_decoupler_up_to_its_known_deviations(tests_data, leukemia):
    """decoupler's gsva: approximate erf table, shuffled tie order, truncated rank stats
    (methods.md §8), so only close agreement is expected, not parity."""
    dc = pytest.importorskip("decoupler")
    sets = rrscore.read_gmt(tests_data / "leukemia_small/genesets.gmt").to_dict()
    sets = {name: genes for name, genes in sets.items() if len(genes) >= 10}
    net = pd.DataFrame([(s, g) for s, genes in sets.items() for g in genes],
                       columns=["source", "target"])
    theirs = dc.mt.gsva(leukemia.T, net, tmin=10)
    theirs = theirs[0] if isinstance(theirs, tuple) else theirs
    ours = rrscore.score(leukemia, sets, "gsva")[theirs.columns].loc[theirs.index]
    diff = (ours - theirs).abs().to_numpy()
    assert np.corrcoef(ours.to_numpy().ravel(), theirs.to_numpy().ravel())[0, 1] > 0.99
    assert 0 < diff.max() < 0.1


def test_gaussian_log_odds_exact_where_many_pairs_saturate():
    """Heavy tails and tie blocks, where many terms are exactly 0.0 or 1.0 (table index
    >= 8293, |d| >= 8.293 bandwidths; GSVA's bandwidth sd / 4 caps this share at
    2 / 8.293² * 16 ≈ 47% of pairs): still R's sum, term by term in sample order."""
    rng = np.random.default_rng(14)
    n = 40
    x = np.ascontiguousarray(np.column_stack([
        rng.lognormal(0.0, 2.5, n),
        np.round(rng.lognormal(0.0, 3.0, n), 1),  # ties and heavy tail
        np.repeat([1.0, 1.0, 1.0, 30.0], n // 4),  # pure tie blocks, far apart
        np.r_[np.zeros(n - 4), [10.0, 10.0, 20.0, 20.0]],  # zeros with tied outliers
    ]))
    bw = c_sd_bandwidths(x)
    saturated = [np.mean(np.abs(x[:, c, None] - x[None, :, c]) / bw[c] >= 8.3)
                 for c in range(x.shape[1])]
    assert min(saturated) > 0.05 and max(saturated) > 0.3  # the data really saturate
    z = gene_log_odds(x, np.arange(x.shape[1]), "gaussian")
    assert np.array_equal(z, brute_force_log_odds(x))


def test_gaussian_kernel_warns_when_its_pair_count_means_a_long_wait(monkeypatch):
    """Cells with the default Gaussian kernel: genes × samples² pairs (hours at 50,000 cells)
    get a MethodWarning naming the count and kcdf='none'; small calls do not."""
    import warnings

    from rrscore.errors import MethodWarning
    from rrscore.methods import _gsva

    rng = np.random.default_rng(3)
    genes = [f"G{i}" for i in range(50)]
    x = rng.normal(size=(30, 50))
    sets = {"A": genes[:10]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)
        quiet = rrscore.score(x, sets, "gsva", genes=genes)
    pairs = 50 * 30 * 29 / 2
    monkeypatch.setattr(_gsva, "GAUSSIAN_WARN_PAIRS", pairs - 1)
    with pytest.warns(MethodWarning, match=r"2\.2e\+04 sample pairs for 50 genes × 30 "
                      r"samples.*kcdf='none'"):
        loud = rrscore.score(x, sets, "gsva", genes=genes)
    assert loud.equals(quiet)  # a warning only
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)
        rrscore.score(x, sets, "gsva", genes=genes, kcdf="none")  # the ECDF never warns
