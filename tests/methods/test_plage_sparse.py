"""PLAGE on CSR input (rrscore.methods._plage_sparse): the Gram matrices and scores come from
the stored values, with no copy of the matrix and no dense k x N block.

Reference: numpy's SVD of the densified, standardised block (genes x cells, z-scores with
the n - 1 sd), oriented by mean z(up) - mean z(down): GSVA's definition with rrscore's sign
rule. Asserted at 1e-12 (the dense path's tolerance): the sparse path's Gram matrices differ
from the densified block's by rounding only, also for genes whose mean is 1000 sds (where
X^T X - N mean mean^T would lose ~1e-10 of the variance: those genes are shifted by their
mean).
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import rrscore
import rrscore.methods._plage as plage
import rrscore.methods._plage_sparse as plage_sparse
from rrscore.genesets._matching import AlignedSet


def _cells(n: int = 260, g: int = 600, seed: int = 3) -> tuple[np.ndarray, list[str]]:
    """Cells x genes: ~10 % stored gamma values, 3 genes at mean 1000 (sd 1) stored in every
    cell, 3 genes stored in ~80 % of cells, 2 sparse genes sharing a factor, one gene never
    stored and one stored as 5.0 in every cell (both constant)."""
    rng = np.random.default_rng(seed)
    x = rng.gamma(1.5, 1.0, size=(n, g)) * (rng.random((n, g)) < 0.1)
    x[:, 0:3] = rng.normal(1000.0, 1.0, size=(n, 3))
    x[:, 3:6] = rng.gamma(4.0, 1.0, size=(n, 3)) * (rng.random((n, 3)) < 0.8)
    factor = rng.gamma(2.0, 1.0, n) * (rng.random(n) < 0.3)
    x[:, 6] = factor + 0.1 * rng.random(n) * (factor > 0)
    x[:, 7] = 2.0 * factor
    x[:, 8] = 0.0
    x[:, 9] = 5.0
    return x, [f"G{i}" for i in range(g)]


def _reference(x: np.ndarray, up: list[int], down: list[int]) -> np.ndarray:
    """numpy SVD of the standardised block of the set, oriented as rrscore orients it."""
    sd = x.std(axis=0, ddof=1)
    up = [j for j in up if sd[j] >= 1e-10]
    down = [j for j in down if sd[j] >= 1e-10]
    z = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    block = z[:, up + down].T
    v = np.linalg.svd(block, full_matrices=False)[2][0]
    direction = (block[: len(up)].mean(axis=0) if up else 0.0) \
        - (block[len(up):].mean(axis=0) if down else 0.0)
    return v if v @ direction > 0 else -v


def _sets(g: int, seed: int = 5) -> dict[str, tuple[list[int], list[int]]]:
    rng = np.random.default_rng(seed)
    pick = lambda k: [int(j) for j in rng.choice(np.arange(10, g), size=k, replace=False)]  # noqa: E731
    sets = {
        "signed": (pick(20) + [0, 3], pick(15) + [9, 1]),  # dense, mid and constant genes
        "down_only": ([], pick(12) + [4]),
        "size1_sparse": (pick(1), []),
        "size1_dense": ([2], []),
        "factor_pair": ([6, 7], []),
        "lanczos": (pick(225) + [0, 1, 2, 5, 8], []),  # 229 genes > SMALL = 200, <= 260 cells
    }
    for i in range(6):
        up = pick(int(rng.integers(2, 60)))
        sets[f"random{i}"] = (up[: len(up) // 2 + 1], up[len(up) // 2 + 1:])
    return sets


def _collection(sets, genes):
    return rrscore.GeneSetCollection(tuple(
        rrscore.GeneSet(name, up=[genes[j] for j in up], down=[genes[j] for j in down])
        for name, (up, down) in sets.items()))


def _score(x, sets, genes, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant genes left out of the sets
        return rrscore.score(x, _collection(sets, genes), "plage", genes=genes, **kw)


@pytest.fixture(scope="module")
def data():
    x, genes = _cells()
    sets = _sets(x.shape[1])
    return x, genes, sets, _score(sp.csr_matrix(x), sets, genes)


def test_sparse_path_equals_numpy_svd_of_the_densified_block(data):
    import rrscore.methods._plage_eigen as eigen

    x, genes, sets, result = data
    assert len(sets["lanczos"][0]) - 1 > eigen.SMALL  # one constant gene left out
    for name, (up, down) in sets.items():
        np.testing.assert_allclose(result[name].to_numpy(), _reference(x, up, down),
                                   atol=1e-12, err_msg=name)
    np.testing.assert_allclose(np.linalg.norm(result.to_numpy(), axis=0), 1.0, atol=1e-12)
    # the size-1 sets: the gene's z-scores at unit norm, positive with the gene
    z = (x[:, 2] - x[:, 2].mean()) / x[:, 2].std(ddof=1)
    np.testing.assert_allclose(result["size1_dense"], z / np.linalg.norm(z), atol=1e-12)


def test_sets_of_more_than_200_genes_go_through_lanczos(data, monkeypatch):
    import rrscore.methods._plage_eigen as eigen

    x, genes, sets, expected = data
    dims = []
    real = eigen._lanczos

    def counting(a, *args):
        dims.append(a.shape[0])
        return real(a, *args)

    monkeypatch.setattr(eigen, "_lanczos", counting)
    lanczos = {"lanczos": sets["lanczos"]}
    result = _score(sp.csr_matrix(x), lanczos, genes)
    assert dims == [229]
    np.testing.assert_array_equal(result["lanczos"], expected["lanczos"])


def test_progress_bar_does_not_change_the_scores(data):
    x, genes, sets, expected = data
    result = _score(sp.csr_matrix(x), sets, genes, progress=True)
    np.testing.assert_array_equal(result.to_numpy(), expected.to_numpy())


def test_sparse_and_dense_input_agree(data):
    x, genes, sets, result = data
    dense = _score(x, sets, genes)
    np.testing.assert_allclose(result.to_numpy(), dense.to_numpy(), atol=1e-12)


def test_dense_genes_are_shifted_by_their_mean(data):
    # the genes at mean 1000 and those stored in ~80 % of cells are "dense" (|mean| > sd);
    # the ~10 % genes are not
    x, _, _, _ = data
    mean, sd = x.mean(axis=0), x.std(axis=0, ddof=1)
    dense = np.abs(mean) > plage_sparse.DENSE_RATIO * sd
    assert dense[[0, 1, 2, 3, 4, 5, 9]].all() and not dense[10:].any()


def test_sparse_path_builds_no_set_rows_and_no_copy_of_the_matrix(data, monkeypatch):
    x, genes, sets, expected = data

    def refuse(*args, **kwargs):
        raise AssertionError("SetRows (a CSC copy of the matrix) built for CSR input")

    monkeypatch.setattr(plage, "SetRows", refuse)
    np.testing.assert_array_equal(_score(sp.csr_matrix(x), sets, genes).to_numpy(),
                                  expected.to_numpy())


def test_sets_with_more_genes_than_cells_use_the_cells_gram(monkeypatch):
    # k > N: the N x N Gram matrix of the dense path, for those sets only
    x, genes = _cells(n=30, g=120, seed=8)
    sets = {"wide": (list(range(10, 60)), []), "narrow": (list(range(60, 70)), [])}
    unions = []
    real = plage.SetRows

    def recording(expr, scaling, union):
        unions.append(len(union))
        return real(expr, scaling, union)

    monkeypatch.setattr(plage, "SetRows", recording)
    result = _score(sp.csr_matrix(x), sets, genes)
    assert unions == [50]  # only the wide set's genes
    for name, (up, down) in sets.items():
        np.testing.assert_allclose(result[name].to_numpy(), _reference(x, up, down),
                                   atol=1e-12, err_msg=name)


def test_chunks_buffers_groups_and_threads_do_not_change_the_scores(data, monkeypatch):
    # every Gram entry is summed over the cells in row order whatever the chunks, the
    # per-thread entry buffers and the set groups; each score row is computed on its own
    x, genes, sets, expected = data
    csr = sp.csr_matrix(x)
    one_thread = _score(csr, sets, genes, n_jobs=1)
    np.testing.assert_array_equal(one_thread.to_numpy(), expected.to_numpy())
    monkeypatch.setattr(plage_sparse, "CHUNK_VALUES_PER_GENE", 0)  # one row a chunk
    monkeypatch.setattr(plage_sparse, "ENTRY_BUFFER", 1)  # a few cells per gather
    monkeypatch.setattr(plage_sparse, "group_budget", lambda *args: 1)  # one set a group
    np.testing.assert_array_equal(_score(csr, sets, genes, n_jobs=2).to_numpy(),
                                  expected.to_numpy())


def test_float32_int32_csr_gives_the_scores_of_float64_int64(data):
    x, genes, sets, expected = data
    x32 = sp.csr_matrix(x.astype(np.float32))
    x64 = sp.csr_matrix((x32.data.astype(np.float64), x32.indices.astype(np.int64),
                         x32.indptr.astype(np.int64)), shape=x32.shape)
    np.testing.assert_array_equal(_score(x32, sets, genes).to_numpy(),
                                  _score(x64, sets, genes).to_numpy())


def test_memory_within_issue_14_bound_and_far_below_the_input():
    """Everything score_sparse allocates (Gram matrices, the chunk's CSC, work arrays) fits
    in one output + one 256-cell float64 chunk (issue 14: extra <= 2 x output + one chunk,
    the output itself being the other one), and is a fraction of the input's size (the
    dense path's CSC copy was the input's size)."""
    from rrscore.expression._matrix import ExpressionMatrix
    from rrscore.methods._standardize import gene_scaling

    rng = np.random.default_rng(0)
    n, g = 20_000, 1_000
    csr = sp.random(n, g, density=0.1, format="csr", random_state=1,
                    data_rvs=lambda k: rng.gamma(2.0, 1.0, k))
    input_bytes = csr.data.nbytes + csr.indices.nbytes + csr.indptr.nbytes
    expr = ExpressionMatrix(csr, [f"G{i}" for i in range(g)], [f"C{i}" for i in range(n)])
    scaling = gene_scaling(expr)
    sets = [AlignedSet(f"s{i}", np.sort(rng.choice(g, size=int(rng.integers(20, 200)),
                                                   replace=False)), np.zeros(0, np.int64))
            for i in range(20)]
    out = np.full((n, len(sets)), np.nan)
    q0 = plage.start_vector(200)
    columns = np.arange(len(sets))
    plage_sparse.score_sparse(expr.values, scaling, sets, columns, out, q0, 2)  # compile
    tracemalloc.start()
    try:
        plage_sparse.score_sparse(expr.values, scaling, sets, columns, out, q0, 2)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert np.isfinite(out).all()
    assert peak <= out.nbytes + 256 * g * 8
    assert peak < input_bytes / 4


def test_an_orthogonal_direction_is_a_tie_broken_on_the_score_column():
    """Two anti-correlated genes: v ∝ z1 - z2 is orthogonal to d ∝ z1 + z2, so u^T G b is
    rounding noise. The Gram-side test must call it a tie (as orient does on the vectors)
    and leave the sign to the largest-|v| rule, read from the written scores."""
    from rrscore.expression._matrix import ExpressionMatrix
    from rrscore.methods._standardize import gene_scaling

    rng = np.random.default_rng(3)
    base = rng.gamma(2.0, 1.0, size=40)
    x = np.column_stack([base, 10.0 - base + rng.normal(0, 0.3, 40), rng.gamma(2, 1, 40)])
    expr = ExpressionMatrix(sp.csr_matrix(x), ["A", "B", "C"], [f"c{i}" for i in range(40)])
    pair = AlignedSet("pair", np.array([0, 1]), np.zeros(0, np.int64))
    out = np.full((40, 1), np.nan)
    ties = plage_sparse.score_sparse(expr.values, gene_scaling(expr), [pair], np.array([0]),
                                     out, plage.start_vector(2), 1)
    np.testing.assert_array_equal(ties, [0])
    result = rrscore.score(sp.csr_matrix(x), {"pair": ["A", "B"]}, "plage",
                           genes=["A", "B", "C"])["pair"].to_numpy()
    np.testing.assert_allclose(np.abs(result), np.abs(out[:, 0]), atol=1e-15)
    first = int(np.flatnonzero(np.abs(result) >= np.abs(result).max() * (1 - 1e-9))[0])
    assert result[first] > 0


def test_csr_storing_most_entries_keeps_the_dense_blocks(monkeypatch):
    # bulk values in CSR form: BLAS on dense blocks is faster than per-cell outer products
    rng = np.random.default_rng(4)
    x = rng.normal(6.0, 1.0, size=(60, 80))
    genes = [f"G{i}" for i in range(80)]
    sets = {"a": (list(range(0, 30)), list(range(30, 40))), "b": (list(range(40, 45)), [])}
    csr = sp.csr_matrix(x)
    assert not plage_sparse.takes_sparse_path(csr)
    assert plage_sparse.takes_sparse_path(sp.csr_matrix(_cells()[0]))

    def refuse(*args, **kwargs):
        raise AssertionError("the sparse path ran on a CSR matrix storing every entry")

    monkeypatch.setattr(plage, "score_sparse", refuse)
    result = _score(csr, sets, genes)
    for name, (up, down) in sets.items():
        np.testing.assert_allclose(result[name].to_numpy(), _reference(x, up, down),
                                   atol=1e-12, err_msg=name)
