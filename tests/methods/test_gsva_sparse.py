"""GSVA kcdf="none" on sparse cells (rrscore.methods._gsva_sparse): equal to the dense path.

The dense path (ECDF log-odds of the densified matrix, then one sort per cell) is checked
against R GSVA 1.46 in test_gsva.py; here the sparse path must give the same positions and
the same scores bit for bit, without densifying.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import ConstantGenesWarning
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSet, AlignedSets
from rrscore.methods import _gsva, _gsva_positions, _gsva_sparse
from rrscore.methods._gsva_kcdf import c_sd, gene_log_odds
from rrscore.methods._gsva_sparse import SparseEcdfRanks, count_keys, resolve_sparse_kcdf
from rrscore.ranking._dense import fast_descending_positions
from tests.methods.sc_fixtures import MIXOLOGY_SETS, PBMC_SETS, mixology, pbmc68k


def _near_threshold(n: int, above: bool) -> np.ndarray:
    """Zeros and one value ``v`` (sd = v / sqrt(n)) whose C sd() is within a few ulp of
    GSVA's 1e-10 threshold, on the side asked for."""
    col = np.zeros(n)
    v = 1e-10 * math.sqrt(n)
    for _ in range(1000):
        col[0] = v
        if (c_sd(col[:, None])[0] >= 1e-10) == above:
            return col
        v = np.nextafter(v, np.inf if above else 0.0)
    raise AssertionError("no value found")


def tricky_cells(n: int = 260, g: int = 300, seed: int = 3) -> np.ndarray:
    """Cells × genes with what the sparse path must get right: ties (small counts and rounded
    log values), negative values, an all-zero gene, explicit zeros and -0.0, a gene stored in
    every cell, a nearly constant gene at ~1e3, genes whose sd sits on either side of 1e-10,
    values a few ulp apart, and huge values (C sd() overflows)."""
    rng = np.random.default_rng(seed)
    x = rng.poisson(0.4, size=(n, g)).astype(float)
    x[:, :60] = np.round(np.log1p(x[:, :60] * rng.random((n, 60)) * 5), 2)
    x[:, 3] = 0.0  # all zero: constant
    neg = rng.random(n) < 0.3
    x[:, 4] = np.where(neg, -rng.integers(1, 4, n).astype(float), x[:, 4])  # negatives
    x[:, 5] = np.where(rng.random(n) < 0.5, -rng.random(n), 0.0)  # only negatives and zeros
    x[:, 6] = rng.integers(1, 5, n)  # stored in every cell
    x[:, 7] = 1000.0
    x[::7, 7] += 1e-9  # nearly constant at a large mean: kept, sd ~ 3e-10
    x[:, 8] = 1000.0
    x[5, 8] = np.nextafter(1000.0, 2000.0)  # constant (sd ~ 7e-15)
    x[:, 9] = _near_threshold(n, above=True)
    x[:, 10] = _near_threshold(n, above=False)
    x[:, 11] = np.where(rng.random(n) < 0.5, 1.0 + np.arange(n) % 5 * np.finfo(float).eps,
                        0.0)  # values a few ulp apart
    x[:, 12] = np.where(rng.random(n) < 0.5, 1e200 * (1 + rng.random(n)), 0.0)  # huge
    x[:, 13] = 1e200
    x[3, 13] = np.nextafter(1e200, 2e200)  # C sd() overflows; constant after rescaling
    return x


def explicit_zeros(x: np.ndarray) -> sp.csr_matrix:
    """CSR of ``x`` that also stores some of its zeros explicitly (as +0.0 and -0.0)."""
    n, g = x.shape
    coo = sp.coo_matrix(x)
    rows = np.arange(0, n, 3)
    cols = (rows * 7) % g
    zero = x[rows, cols] == 0
    rows, cols = rows[zero], cols[zero]
    out = sp.csr_matrix((np.concatenate([coo.data, np.where(rows % 2 == 0, 0.0, -0.0)]),
                         (np.concatenate([coo.row, rows]), np.concatenate([coo.col, cols]))),
                        shape=x.shape)
    assert out.nnz == coo.nnz + len(rows) and np.signbit(out.data).any()
    return out


def _sets(genes: list[str], rng: np.random.Generator, n_sets: int = 40) -> dict:
    # the genes 3-13 (edge cases) stay out of the sets: rrscore.prepare's float64 constant
    # filter may read dense and sparse moments differently at the edge, run()'s is exact
    usable = genes[14:]
    sets = {f"S{i}": list(rng.choice(usable, size=int(rng.integers(3, 80)), replace=False))
            for i in range(n_sets)}
    sets["signed"] = usable[:12] + [h + "-" for h in usable[30:45]]
    sets["down_only"] = [h + "-" for h in usable[50:60]]
    return sets


def _quiet(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rrscore.score(*args, **kwargs)


def _no_densifying(monkeypatch) -> None:
    def refuse(expr):
        raise AssertionError("the sparse path densified the matrix")

    monkeypatch.setattr(_gsva, "_dense_values", refuse)


# ------------------------------------------------------------------------------ ranks


def test_count_keys_order_the_log_odds():
    for n in (2, 3, 200, 1001):
        keys = count_keys(n)
        z = np.array([math.log((c / n) / (1 - c / n)) for c in range(1, n)] + [math.inf])
        # same order and same ties as the log-odds doubles of counts 1..n
        k = keys[1:]
        assert np.array_equal(k[:, None] < k[None, :], z[:, None] < z[None, :])
        assert np.array_equal(k[:, None] == k[None, :], z[:, None] == z[None, :])


def test_positions_equal_the_dense_ranks():
    x = tricky_cells()
    n, g = x.shape
    expr = ExpressionMatrix(explicit_zeros(x), pd.Index([f"G{j}" for j in range(g)]),
                            pd.Index([f"C{i}" for i in range(n)]))
    ranks = SparseEcdfRanks(expr)
    sd = ranks.gene_sd()
    dense_sd = c_sd(x)
    dense_sd[12:14] = c_sd(np.ldexp(x[:, 12:14], -666))  # as rescale_overflowing_genes does
    assert np.array_equal(sd >= 1e-10, dense_sd >= 1e-10)
    assert not (sd >= 1e-10)[[3, 8, 10, 13]].any() and (sd >= 1e-10)[[7, 9, 12]].all()
    cols = np.flatnonzero(sd >= 1e-10)
    ranks.prepare(cols)
    want = fast_descending_positions(gene_log_odds(np.asfortranarray(x), cols, "none"))
    for start, stop in ((0, n), (0, 1), (17, 90), (n - 3, n)):
        got = ranks.positions(start, stop)
        np.testing.assert_array_equal(got[:, ranks.column], want[start:stop])


def test_positions_of_selected_genes_equal_the_dense_ranks():
    # the walk asks only for the genes in some set: their positions among all kept genes
    x = tricky_cells(n=240, seed=5)
    n, g = x.shape
    expr = ExpressionMatrix(explicit_zeros(x), pd.Index([f"G{j}" for j in range(g)]),
                            pd.Index([f"C{i}" for i in range(n)]))
    ranks = SparseEcdfRanks(expr)
    cols = np.flatnonzero(ranks.gene_sd() >= 1e-10)
    ranks.prepare(cols)
    want = fast_descending_positions(gene_log_odds(np.asfortranarray(x), cols, "none"))
    m = len(cols)
    rng = np.random.default_rng(0)
    for chosen in (np.array([0]), np.array([m - 1, 0, 0]), rng.choice(m, 7, replace=False),
                   rng.choice(m, m // 3, replace=False), np.arange(m)[::-1]):
        ranks.select(chosen)
        unique = np.unique(chosen)
        assert sorted(ranks.column[ranks.column >= 0]) == list(range(len(unique)))
        for start, stop in ((0, n), (31, 32)):
            got = ranks.positions(start, stop)
            assert got.shape == (stop - start, len(unique))
            np.testing.assert_array_equal(got[:, ranks.column[unique]], want[start:stop, unique])


def test_positions_when_every_stored_value_outranks_every_zero():
    # genes alike (same detection, few value levels): every stored composite falls in the
    # first bin, with each cell's stored selected genes (> _SHORT: the radix sort), and the
    # selected genes' zero keys repeat (the exact table with bisection over tied genes)
    rng = np.random.default_rng(8)
    n, g = 300, 400
    x = np.where(rng.random((n, g)) < 0.4, np.log1p(rng.integers(1, 4, (n, g))), 0.0)
    expr = ExpressionMatrix(sp.csr_matrix(x), pd.Index([f"G{j}" for j in range(g)]),
                            pd.Index([f"C{i}" for i in range(n)]))
    ranks = SparseEcdfRanks(expr)
    cols = np.flatnonzero(ranks.gene_sd() >= 1e-10)
    ranks.prepare(cols)
    want = fast_descending_positions(gene_log_odds(x, cols, "none"))
    chosen = rng.choice(len(cols), 250, replace=False)
    ranks.select(chosen)
    assert (np.count_nonzero(x[:, cols[chosen]], axis=1) > _gsva_positions._SHORT).all()
    got = ranks.positions(0, n)
    np.testing.assert_array_equal(got[:, ranks.column[chosen]], want[:, chosen])


def test_int64_index_arrays_and_progress_bar():
    x = tricky_cells(n=205, seed=11)
    n, g = x.shape
    genes, cells = pd.Index([f"G{j}" for j in range(g)]), pd.Index([f"C{i}" for i in range(n)])
    expr = ExpressionMatrix(sp.csr_matrix(x), genes, cells)
    # scipy stores int32 indices when they fit; large matrices have int64 ones
    expr.values.indices = expr.values.indices.astype(np.int64)
    expr.values.indptr = expr.values.indptr.astype(np.int64)
    assert expr.values.indices.dtype == expr.values.indptr.dtype == np.int64
    sets = AlignedSets(tuple(AlignedSet(f"s{i}", np.arange(20 + 7 * i, 40 + 9 * i),
                                        np.zeros(0, np.int64)) for i in range(5)),
                       g, pd.DataFrame())
    params = _gsva.GsvaParams(kcdf="none")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = _gsva.run(ExpressionMatrix(x.copy(), genes, cells), sets, params)
        got = _gsva.run(expr, sets, params, progress=True, chunk_size=50)
    np.testing.assert_array_equal(got, want)


def test_float32_positions_equal_the_dense_ranks():
    # float32 values: the sort keys hold every bit of the value (no value array is read)
    x = tricky_cells(n=230)
    x[:, 12:14] = np.where(x[:, 12:14] != 0, 3e38, 0)  # huge, within float32
    x = x.astype(np.float32)
    x[:, 20] = np.where(np.arange(230) % 3 == 0, np.float32(1.0) + np.float32(2**-23), 1.0)
    n, g = x.shape
    expr = ExpressionMatrix(explicit_zeros(x).astype(np.float32),
                            pd.Index([f"G{j}" for j in range(g)]),
                            pd.Index([f"C{i}" for i in range(n)]))
    assert expr.values.dtype == np.float32
    ranks = SparseEcdfRanks(expr)
    sd = ranks.gene_sd()
    cols = np.flatnonzero(sd >= 1e-10)
    x64 = x.astype(np.float64)
    assert np.array_equal(cols, np.flatnonzero(c_sd(x64) >= 1e-10))
    ranks.prepare(cols)
    want = fast_descending_positions(gene_log_odds(np.asfortranarray(x64), cols, "none"))
    np.testing.assert_array_equal(ranks.positions(0, n)[:, ranks.column], want)


def test_float64_values_ulps_apart_take_the_exact_route(monkeypatch):
    n = 300
    rng = np.random.default_rng(0)
    x = np.zeros((n, 4))
    x[:, 0] = 1.0 + rng.integers(0, 4, n) * np.finfo(float).eps
    x[::3, 0] = 0.0
    x[:, 1:] = rng.poisson(1.0, size=(n, 3))
    calls = []
    exact = _gsva_sparse._exact_gene_keys
    monkeypatch.setattr(_gsva_sparse, "_exact_gene_keys",
                        lambda *a: calls.append(1) or exact(*a))
    expr = ExpressionMatrix(sp.csr_matrix(x), pd.Index(list("abcd")),
                            pd.Index([f"C{i}" for i in range(n)]))
    ranks = SparseEcdfRanks(expr)
    ranks.prepare(np.arange(4))
    assert calls == [1]
    want = fast_descending_positions(gene_log_odds(x, np.arange(4), "none"))
    np.testing.assert_array_equal(ranks.positions(0, n)[:, ranks.column], want)


# ------------------------------------------------------------------------------ scores


@pytest.mark.parametrize("params", [
    {}, {"max_diff": False}, {"abs_ranking": True}, {"tau": 0.5}, {"tau": 0.0},
])
def test_scores_equal_dense(monkeypatch, params):
    x = tricky_cells()
    n, g = x.shape
    genes, cells = [f"G{j}" for j in range(g)], [f"C{i}" for i in range(n)]
    sets = _sets(genes, np.random.default_rng(1))
    dense = _quiet(pd.DataFrame(x.T, index=genes, columns=cells), sets, "gsva", kcdf="none",
                   low_coverage=0, **params)
    _no_densifying(monkeypatch)
    sparse = _quiet(explicit_zeros(x), sets, "gsva", kcdf="none", genes=genes, samples=cells,
                    low_coverage=0, chunk_size=37, **params)
    assert sparse.shape == dense.shape == (n, len(sets))
    np.testing.assert_array_equal(sparse.to_numpy(), dense.to_numpy())
    assert np.isfinite(sparse.to_numpy()).all()


def test_csc_and_anndata_input_equal_dense(monkeypatch):
    import anndata as ad

    x = tricky_cells(n=240, seed=7)
    n, g = x.shape
    genes, cells = [f"G{j}" for j in range(g)], [f"C{i}" for i in range(n)]
    sets = _sets(genes, np.random.default_rng(3), n_sets=12)
    dense = _quiet(pd.DataFrame(x.T, index=genes, columns=cells), sets, "gsva", kcdf="none")
    _no_densifying(monkeypatch)
    csc = _quiet(sp.csc_matrix(x), sets, "gsva", kcdf="none", genes=genes, samples=cells)
    adata = ad.AnnData(sp.csr_matrix(x), obs=pd.DataFrame(index=cells),
                       var=pd.DataFrame(index=genes))
    cell_scores = _quiet(adata, sets, "gsva", kcdf="none")
    np.testing.assert_array_equal(csc.to_numpy(), dense.to_numpy())
    np.testing.assert_array_equal(cell_scores.to_numpy(), dense.to_numpy())


def test_sets_losing_constant_genes_warn_and_match_dense(monkeypatch):
    # run() called directly (rrscore.score drops constant genes before matching): the sets
    # still hold the constant genes 3 and 8, run() removes them and warns, as dense
    x = tricky_cells(n=210)
    n, g = x.shape
    genes, cells = pd.Index([f"G{j}" for j in range(g)]), pd.Index([f"C{i}" for i in range(n)])
    members = {"with_constants": [3, 8, 20, 21, 22], "only_constants": [3, 8],
               "plain": list(range(30, 60)), "signed": [40, 41, 42, 3, 50, 51]}
    sets = AlignedSets(tuple(
        AlignedSet(k, np.array(v[:4] if k == "signed" else v, dtype=np.int64),
                   np.array(v[4:] if k == "signed" else [], dtype=np.int64))
        for k, v in members.items()), g, pd.DataFrame())
    params = _gsva.GsvaParams(kcdf="none", max_diff=False)
    with warnings.catch_warnings(record=True) as dense_warnings:
        warnings.simplefilter("always")
        want = _gsva.run(ExpressionMatrix(x.copy(), genes, cells), sets, params)
    _no_densifying(monkeypatch)
    expr = ExpressionMatrix(sp.csr_matrix(x), genes, cells)
    with warnings.catch_warnings(record=True) as sparse_warnings:
        warnings.simplefilter("always")
        got = _gsva.run(expr, sets, params, chunk_size=64)
    np.testing.assert_array_equal(got, want)
    messages = [str(w.message) for w in sparse_warnings]
    assert messages == [str(w.message) for w in dense_warnings]
    assert all(w.category is ConstantGenesWarning for w in sparse_warnings)
    assert any("only_constants" in m for m in messages)
    assert np.isnan(got[:, 1]).all() and np.isfinite(got[:, [0, 2, 3]]).all()
    assert any("constant across samples" in t and "G3" in t for t in expr.report.notes)


def test_kcdf_auto_from_200_cells_stays_sparse(monkeypatch):
    x = tricky_cells(n=200)
    genes, cells = [f"G{j}" for j in range(x.shape[1])], [f"C{i}" for i in range(200)]
    sets = _sets(genes, np.random.default_rng(2), n_sets=10)
    want = _quiet(pd.DataFrame(x.T, index=genes, columns=cells), sets, "gsva", kcdf="none")
    _no_densifying(monkeypatch)
    got = _quiet(sp.csr_matrix(x), sets, "gsva", kcdf="auto", genes=genes, samples=cells)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert any("chose 'none'" in t for t in got.attrs["rrscore"]["input"]["notes"])


def test_kcdf_auto_below_200_cells_resolves_on_stored_values():
    counts = sp.csr_matrix(np.array([[0.0, 2.0], [3.0, 0.0]]))
    assert resolve_sparse_kcdf("auto", counts) == "poisson"
    assert resolve_sparse_kcdf("auto", counts * 0.5) == "gaussian"
    assert resolve_sparse_kcdf("auto", -counts) == "gaussian"
    assert resolve_sparse_kcdf("auto", sp.csr_matrix((200, 3))) == "none"
    assert resolve_sparse_kcdf("gaussian", sp.csr_matrix((500, 3))) == "gaussian"
    # and through score: the same kernel, scores and note as the dense input
    rng = np.random.default_rng(4)
    x = rng.poisson(2.0, size=(60, 80)).astype(float)
    genes, cells = [f"G{j}" for j in range(80)], [f"C{i}" for i in range(60)]
    sets = {"a": genes[:20], "b": genes[20:50]}
    dense = _quiet(pd.DataFrame(x.T, index=genes, columns=cells), sets, "gsva", kcdf="auto")
    sparse = _quiet(sp.csr_matrix(x), sets, "gsva", kcdf="auto", genes=genes, samples=cells)
    np.testing.assert_array_equal(sparse.to_numpy(), dense.to_numpy())
    assert any("chose 'poisson'" in t for t in sparse.attrs["rrscore"]["input"]["notes"])


def test_gaussian_on_sparse_input_still_densifies(monkeypatch):
    x = np.random.default_rng(5).poisson(1.0, size=(30, 40)).astype(float)
    genes = [f"G{j}" for j in range(40)]
    _no_densifying(monkeypatch)
    with pytest.raises(AssertionError, match="densified"):
        _quiet(sp.csr_matrix(x), {"a": genes[:10]}, "gsva", kcdf="gaussian", genes=genes)


# ------------------------------------------------------------------------------ real data


def test_mixology_cells_equal_dense(monkeypatch):
    adata = mixology()  # 571 cells x 15,665 genes, float64 CSR log1p CP10k
    dense = adata.copy()
    dense.X = dense.X.toarray()
    want = _quiet(dense, MIXOLOGY_SETS, "gsva", kcdf="none")
    _no_densifying(monkeypatch)
    got = _quiet(adata, MIXOLOGY_SETS, "gsva", kcdf="auto")  # 571 cells: the ECDF
    assert got.shape == (571, len(MIXOLOGY_SETS))
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    # and the biology survives: NRF2 targets are highest in KEAP1-mutant A549
    line = adata.obs["cell_line_demuxlet"].to_numpy()
    means = got["NRF2"].groupby(line).mean()
    assert means.idxmax() == "A549"


def test_pbmc_float32_cells_equal_dense(monkeypatch):
    adata = pbmc68k()  # 700 cells x 765 genes, float32 CSR
    assert adata.X.dtype == np.float32
    dense = adata.copy()
    dense.X = dense.X.toarray().astype(np.float64)
    want = _quiet(dense, PBMC_SETS, "gsva", kcdf="none", max_diff=False)
    _no_densifying(monkeypatch)
    got = _quiet(adata, PBMC_SETS, "gsva", kcdf="none", max_diff=False)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
