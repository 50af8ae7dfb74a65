"""PLAGE: parity with R GSVA 1.46 up to sign, the orientation rule, size-1, signed, sparse."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from tests.conftest import read_reference


def zscores(expr: pd.DataFrame) -> pd.DataFrame:
    return expr.sub(expr.mean(axis=1), axis=0).div(expr.std(axis=1, ddof=1), axis=0)


def diff_up_to_sign(result: pd.DataFrame, ref: pd.DataFrame) -> float:
    """Largest |difference| after giving each reference row the sign that fits best."""
    ours = result.T.loc[ref.index, ref.columns].to_numpy()
    theirs = ref.to_numpy()
    sign = np.where((ours * theirs).sum(axis=1) < 0, -1.0, 1.0)[:, None]
    return float(np.abs(ours - sign * theirs).max())


@pytest.fixture(scope="module")
def leukemia(tests_data) -> pd.DataFrame:
    return read_reference(tests_data / "leukemia_small/expr.tsv.gz")


def test_parity_with_gsva_146_on_leukemia_200_sets(tests_data):
    d = tests_data / "leukemia_200sets"
    expr = read_reference(tests_data / "leukemia_small" / "expr.tsv.gz")
    ref = read_reference(d / "reference_GSVA1.46.0_plage.tsv")
    result = rrscore.score(expr, d / "reference_genesets_symbols_200.gmt", "plage")
    assert result.shape == (37, 200)
    assert diff_up_to_sign(result, ref) <= 1e-8


def test_parity_and_orientation_on_committed_leukemia(tests_data, leukemia):
    d = tests_data / "leukemia_small"
    sets = rrscore.read_gmt(d / "genesets.gmt")
    ref = read_reference(d / "reference_GSVA1.46.0_plage.tsv")
    result = rrscore.score(leukemia, sets, "plage")
    assert diff_up_to_sign(result, ref) <= 1e-8
    # R's signs are LAPACK's: mixed. Ours follow the set's mean z-score, every set.
    z = zscores(leukemia)
    for s in sets:
        mean_z = z.loc[list(s.up)].mean()
        assert np.corrcoef(result[s.name], mean_z)[0, 1] > 0
    r_signs = np.sign((result.T.loc[ref.index].to_numpy() * ref.to_numpy()).sum(axis=1))
    assert (r_signs < 0).any() and (r_signs > 0).any()  # the rule is not R's
    np.testing.assert_allclose(np.linalg.norm(result.to_numpy(), axis=0), 1.0, atol=1e-12)


def test_edge_cases_and_size_one_sets(tests_data):
    d = tests_data / "edge_cases"
    expr = read_reference(d / "expr.tsv")
    ref = read_reference(d / "reference_GSVA1.46.0_plage.tsv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant genes, duplicate in a set
        result = rrscore.score(expr, d / "genesets.gmt", "plage", low_coverage=0)
    expected = ref.drop(index="SIZE1")
    expected.loc["WITH_DUPLICATE"] = ref.loc["WITH_DUPLICATE_DEDUP"]  # rrscore de-duplicates
    assert diff_up_to_sign(result, expected) <= 1e-8
    assert "ONLY_CONSTANT" not in result.columns  # only constant genes: not scored, as in R
    # size 1: R returns the constant 1 (degenerate); rrscore the gene's z-scores, unit norm
    assert (ref.loc["SIZE1"] == 1).all()
    z = zscores(expr.loc[["PODXL"]]).iloc[0]
    np.testing.assert_allclose(result["SIZE1"], z / np.linalg.norm(z), atol=1e-14)


def test_signed_sets_share_the_svd_and_orient_by_up_minus_down(leukemia):
    genes = list(leukemia.index)
    up, down = genes[300:330], genes[5000:5020]
    sets = rrscore.GeneSetCollection((
        rrscore.GeneSet("signed", up=up, down=down),
        rrscore.GeneSet("flipped", up=down, down=up),
        rrscore.GeneSet("unsigned", up=up + down),
    ))
    result = rrscore.score(leukemia, sets, "plage")
    block = zscores(leukemia).loc[up + down].to_numpy()
    v = np.linalg.svd(block, full_matrices=False)[2][0]
    direction = block[:30].mean(axis=0) - block[30:].mean(axis=0)
    v = v if v @ direction > 0 else -v
    np.testing.assert_allclose(result["signed"], v, atol=1e-12)
    np.testing.assert_allclose(result["flipped"], -v, atol=1e-12)
    np.testing.assert_allclose(np.abs(result["unsigned"]), np.abs(v), atol=1e-12)


def test_sparse_input_gives_the_dense_scores(tests_data):
    d = tests_data / "tcga_counts_small"
    expr = read_reference(d / "expr_log2p1.tsv.gz")
    sets = rrscore.read_gmt(d / "genesets.gmt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dense = rrscore.score(expr, sets, "plage")
        sparse = rrscore.score(sp.csr_matrix(expr.to_numpy().T), sets, "plage",
                               genes=list(expr.index), samples=list(expr.columns))
    assert np.isfinite(dense.to_numpy()).all()
    np.testing.assert_allclose(sparse.to_numpy(), dense.to_numpy(), atol=1e-10)


def test_two_anticorrelated_genes_get_the_same_sign_dense_and_sparse():
    """Issue 10: a 2-gene set of anti-correlated genes has v ⟂ mean z; rounding decided the
    sign, so dense and sparse input gave opposite scores."""
    import scipy.sparse as sp

    genes = ["A", "B", "C"]
    sets = {"pair": ["A", "B"]}
    for seed in range(8):  # with the old rule, 5 of these 8 had dense and sparse disagree
        rng = np.random.default_rng(seed)
        base = rng.gamma(2.0, 1.0, size=40)
        x = np.column_stack([base, 10.0 - base + rng.normal(0, 0.3, 40),
                             rng.gamma(2, 1, 40)])
        dense = rrscore.score(x, sets, "plage", genes=genes)
        sparse = rrscore.score(sp.csr_matrix(x), sets, "plage", genes=genes)
        fortran = rrscore.score(np.asfortranarray(x), sets, "plage", genes=genes)
        np.testing.assert_allclose(sparse.to_numpy(), dense.to_numpy(), atol=1e-12)
        np.testing.assert_allclose(fortran.to_numpy(), dense.to_numpy(), atol=1e-12)
        # the tie rule: the first sample with the largest |score| is positive
        v = dense["pair"].to_numpy()
        first = int(np.flatnonzero(np.abs(v) >= np.abs(v).max() * (1 - 1e-9))[0])
        assert v[first] > 0


def _svd_scores(expr: pd.DataFrame, genes: list[str]) -> np.ndarray:
    """numpy's SVD of the standardised block, oriented by the set's mean z-score."""
    block = zscores(expr).loc[genes].to_numpy()
    v = np.linalg.svd(block, full_matrices=False)[2][0]
    return v if v @ block.mean(axis=0) > 0 else -v


@pytest.mark.parametrize("structure", ["independent", "correlated"])
def test_lanczos_path_equals_numpy_svd(structure):
    """Sets of 60-300 genes over 240 samples: Gram matrices of 60 (LAPACK), 230 and 240
    (k > N: the samples' Gram) dimensions, above the LAPACK cut-off (SMALL = 200), for
    independent genes (small spectral gaps, the most Lanczos steps) and a shared factor."""
    import rrscore.methods._plage_eigen as eigen

    rng = np.random.default_rng(11)
    n = 240
    genes = [f"G{i}" for i in range(600)]
    x = rng.normal(size=(600, n))
    if structure == "correlated":
        x += rng.normal(size=(600, 3)) @ rng.normal(size=(3, n))
    expr = pd.DataFrame(x, index=genes, columns=[f"S{j}" for j in range(n)])
    sets = {f"k{k}": list(rng.choice(genes, size=k, replace=False)) for k in (60, 230, 300)}
    assert min(230, n) > eigen.SMALL
    result = rrscore.score(expr, sets, "plage")
    for name, members in sets.items():
        np.testing.assert_allclose(result[name], _svd_scores(expr, members), atol=1e-12)


def test_lanczos_reads_only_the_lower_triangle_and_matches_lapack():
    """The Gram matrix's upper triangle is never read (BLAS syrk fills one triangle), and
    Lanczos on matrices with close top eigenvalues (relative gaps 1e-2 ... 1e-4) still gives
    LAPACK's vector to 1e-12 (the Davis-Kahan stopping rule, not a step count). Closer gaps
    make the vector itself ill-conditioned (rounding of A moves it by ~ε·|A| / gap)."""
    import scipy.linalg

    import rrscore.methods._plage_eigen as eigen

    rng = np.random.default_rng(7)
    d = eigen.SMALL + 40
    q0 = eigen.start_vector(d)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    for gap in (1e-2, 1e-3, 1e-4):
        values = np.r_[10.0, 10.0 * (1 - gap), rng.uniform(0.5, 9.0, d - 2)]
        a = (q * values) @ q.T
        expected = scipy.linalg.eigh(a)[1][:, -1]
        garbage = np.tril(a) + np.triu(np.full((d, d), np.nan), 1)
        vec, converged, _ = eigen._lanczos(garbage, q0, eigen.max_steps(d), eigen.GAP_TOL,
                                           eigen.ROUNDING, np.empty(eigen.basis_size(d)))
        if converged:  # else LAPACK takes over, as leading_eigenvector does
            np.testing.assert_allclose(np.abs(vec), np.abs(expected), atol=1e-12)
        got = eigen.leading_eigenvector(garbage, q0)
        np.testing.assert_allclose(np.abs(got), np.abs(expected), atol=1e-12)
        assert np.isfinite(got).all()


def test_leading_eigenvector_equals_lapack_and_falls_back_to_it(monkeypatch):
    import scipy.linalg

    import rrscore.methods._plage_eigen as eigen

    rng = np.random.default_rng(2)
    q0 = eigen.start_vector(400)
    cases = []
    for d, n in ((60, 400), (200, 250), (400, 120)):
        b = rng.normal(size=(n, d))
        cases.append(b.T @ b)
    for a in cases:
        u = scipy.linalg.eigh(a)[1][:, -1]
        got = eigen.leading_eigenvector(a, q0)
        np.testing.assert_allclose(np.abs(got), np.abs(u), atol=1e-12)
    # a repeated top eigenvalue has no unique vector: a unit vector of its eigenspace
    q, _ = np.linalg.qr(rng.normal(size=(80, 80)))
    a = (q * np.r_[5.0, 5.0, np.linspace(1, 3, 78)]) @ q.T
    got = eigen.leading_eigenvector(a, q0)
    np.testing.assert_allclose(a @ got, 5.0 * got, atol=1e-12)
    # Lanczos that cannot meet its stopping rule hands over to LAPACK, whose vector is returned
    monkeypatch.setattr(eigen, "GAP_TOL", 0.0)
    monkeypatch.setattr(eigen, "ROUNDING", 0.0)
    a = cases[1]
    assert not eigen._lanczos(a, q0, eigen.max_steps(200), 0.0, 0.0,
                              np.empty(eigen.basis_size(200)))[1]
    expected = scipy.linalg.eigh(a, subset_by_index=[199, 199])[1][:, 0]
    np.testing.assert_array_equal(eigen.leading_eigenvector(a, q0), expected)


def test_scores_do_not_depend_on_the_number_of_threads(leukemia):
    import numba

    genes = list(leukemia.index)
    rng = np.random.default_rng(4)
    sets = {f"s{i}": list(rng.choice(genes, size=int(rng.integers(2, 60)), replace=False))
            for i in range(40)}
    one = rrscore.score(leukemia, sets, "plage", n_jobs=1)
    every = rrscore.score(leukemia, sets, "plage", n_jobs=numba.config.NUMBA_NUM_THREADS)
    np.testing.assert_array_equal(one.to_numpy(), every.to_numpy())


def test_balanced_batches_cover_every_set_once_with_even_costs():
    from rrscore.methods._parallel import balanced_batches, map_batches

    costs = np.random.default_rng(0).integers(10, 500, size=1000).astype(float) ** 2
    batches = balanced_batches(costs, 8)
    assert len(batches) == 8
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(1000))
    loads = [costs[b].sum() for b in batches]
    assert max(loads) - min(loads) <= costs.max()  # LPT: within one item of each other
    assert [len(b) for b in balanced_batches(np.ones(3), 8)] == [1, 1, 1]
    seen = []
    map_batches(seen.append, costs, 2)
    assert sorted(np.concatenate(seen).tolist()) == list(range(1000))
    with pytest.raises(ZeroDivisionError):
        map_batches(lambda batch: 1 / 0, costs, 2)


def test_lanczos_takes_mid_sized_sets_only_when_a_large_set_needs_it(monkeypatch):
    """Gram matrices of LANCZOS_FROM..SMALL dimensions go to Lanczos when some set of the call
    is above SMALL (its kernels are compiled anyway), else to LAPACK; either way the scores are
    numpy's SVD's to 1e-12."""
    import rrscore.methods._plage_eigen as eigen

    rng = np.random.default_rng(5)
    n = 260
    genes = [f"G{i}" for i in range(700)]
    expr = pd.DataFrame(rng.normal(size=(700, n)), index=genes,
                        columns=[f"S{j}" for j in range(n)])
    mid = {f"k{k}": list(rng.choice(genes, size=k, replace=False))
           for k in (eigen.LANCZOS_FROM, 120, eigen.SMALL)}
    big = {"big": list(rng.choice(genes, size=eigen.SMALL + 30, replace=False))}
    dims = []
    real = eigen._lanczos

    def recording(A, *args, **kwargs):
        dims.append(A.shape[0])
        return real(A, *args, **kwargs)

    monkeypatch.setattr(eigen, "_lanczos", recording)
    alone = rrscore.score(expr, mid, "plage")
    assert dims == []  # no set above SMALL: LAPACK only (no Lanczos kernels to compile)
    together = rrscore.score(expr, {**mid, **big}, "plage")
    assert sorted(dims) == [eigen.LANCZOS_FROM, 120, eigen.SMALL, eigen.SMALL + 30]
    for name, members in {**mid, **big}.items():
        expected = _svd_scores(expr, members)
        np.testing.assert_allclose(together[name], expected, atol=1e-12)
        if name in alone:
            np.testing.assert_allclose(alone[name], expected, atol=1e-12)


def test_largest_first_scores_every_set_once_and_stops_on_an_error():
    from rrscore.methods._parallel import largest_first

    order = np.arange(500)[::-1].copy()
    for threads in (1, 3):
        seen, made = [], []
        largest_first(order, lambda j, work, seen=seen: seen.append((j, work)),
                      lambda made=made: made.append([]) or made[-1], threads)
        assert sorted(j for j, _ in seen) == list(range(500))
        assert 1 <= len(made) <= threads  # one workspace per thread, reused set after set
        assert {id(w) for _, w in seen} <= {id(w) for w in made}
        if threads == 1:
            assert [j for j, _ in seen] == order.tolist()  # in the order given

    done = []

    def failing(j, work):
        if j == 450:
            raise ValueError("set 450")
        done.append(j)

    with pytest.raises(ValueError, match="set 450"):
        largest_first(order, failing, list, 2)
    assert len(done) < 499  # the other thread stopped at its next set
