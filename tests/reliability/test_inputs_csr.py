"""Non-canonical CSR input (duplicate entries, unsorted indices) scores as scipy defines it.

scipy allows a CSR matrix to store one ``(row, column)`` several times (the values sum) and
its column indices in any order. Kernels that rank the stored entries of a row misread such
a matrix (issue 10: wrong UCell/AUCell scores, and a work-array overrun with some set
layouts). The input layer puts it in canonical form, on a copy: the right value is the score
of ``sum_duplicates()``'s matrix, which is also the dense matrix's.
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.expression import as_expression

METHODS = ("ucell", "aucell", "singscore", "ssgsea", "score_genes", "zscore", "mean")


def _split_entries(dense: np.ndarray, seed: int = 0) -> sp.csr_matrix:
    """A CSR matrix equal to ``dense`` whose every entry is stored as two halves, shuffled."""
    rng = np.random.default_rng(seed)
    rows, cols = np.nonzero(dense)
    vals = dense[rows, cols]
    third = np.round(vals / 3, 3)
    rows, cols = np.concatenate([rows, rows]), np.concatenate([cols, cols])
    data = np.concatenate([third, vals - third])
    order = np.lexsort((rng.random(len(rows)), rows))  # rows in order, entries shuffled
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=dense.shape[0]))])
    return sp.csr_matrix((data[order], cols[order], indptr), shape=dense.shape)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    dense = rng.poisson(1.5, size=(12, 40)).astype(float)
    genes = [f"G{i}" for i in range(40)]
    sets = {"first": genes[:6], "overlap": genes[3:15], "one": ["G20"],
            "signed": [*genes[25:30], *(g + "-" for g in genes[30:34])],
            "with_missing": [*genes[35:40], "NOT_THERE1", "NOT_THERE2"]}
    return dense, genes, sets


def test_the_fixture_is_not_canonical(data):
    dense, _, _ = data
    raw = _split_entries(dense)
    assert not raw.has_canonical_format and not raw.has_sorted_indices
    assert raw.nnz == 2 * np.count_nonzero(dense)
    np.testing.assert_array_equal(raw.toarray(), dense)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_scores_the_canonical_matrix(data, method):
    dense, genes, sets = data
    raw = _split_entries(dense)
    kw = {"ctrl_size": 5} if method == "score_genes" else {}
    canonical = raw.copy()
    canonical.sum_duplicates()
    expected = rrscore.score(canonical, sets, method, genes=genes, **kw)
    got = rrscore.score(raw, sets, method, genes=genes, **kw)
    pd.testing.assert_frame_equal(got, expected, rtol=0, atol=1e-12)
    from_dense = rrscore.score(dense, sets, method, genes=genes, **kw)
    pd.testing.assert_frame_equal(got, from_dense, rtol=0, atol=1e-12)


def test_ucell_value_written_out(data):
    """The UCell score of one cell by R's formula, from the dense values (ties averaged)."""
    dense, genes, sets = data
    got = rrscore.score(_split_entries(dense), {"first": sets["first"]}, "ucell",
                        genes=genes, max_rank=40)
    x = dense[0]
    ranks = pd.Series(-x).rank(method="average").to_numpy()  # 1 = highest
    r = np.minimum(ranks[:6], 40)
    n = 6
    u = r.sum() - n * (n + 1) / 2
    assert got.iloc[0, 0] == pytest.approx(1 - u / (n * 40 - n * (n + 1) / 2), abs=1e-12)


def test_the_callers_matrix_is_left_as_it_was(data):
    dense, genes, sets = data
    raw = _split_entries(dense)
    before = (raw.data.copy(), raw.indices.copy(), raw.indptr.copy())
    rrscore.score(raw, sets, "ucell", genes=genes)
    m = as_expression(raw, genes=genes)
    assert m.values.has_canonical_format
    for a, b in zip(before, (raw.data, raw.indices, raw.indptr), strict=True):
        np.testing.assert_array_equal(a, b)
    assert not raw.has_sorted_indices


def test_anndata_raw_with_a_non_canonical_matrix_is_not_modified(data):
    dense, genes, sets = data
    raw = _split_entries(dense)
    adata = ad.AnnData(np.zeros_like(dense))
    adata.var_names = genes
    adata.obs_names = [f"c{i}" for i in range(dense.shape[0])]
    adata.raw = ad.AnnData(raw, var=pd.DataFrame(index=genes), obs=adata.obs)
    stored = adata.raw.X
    before = (stored.indices.copy(), stored.data.copy())
    got = rrscore.score(adata, sets, "aucell")
    expected = rrscore.score(dense, sets, "aucell", genes=genes,
                             samples=list(adata.obs_names))
    pd.testing.assert_frame_equal(got, expected, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(adata.raw.X.indices, before[0])
    np.testing.assert_array_equal(adata.raw.X.data, before[1])


BOUNDSCHECK_SCRIPT = """
import numpy as np, scipy.sparse as sp, warnings
import rrscore
{split_entries}
warnings.simplefilter("ignore")
rng = np.random.default_rng(11)
dense = rng.poisson(0.8, size=(9, 50)).astype(float)
dense[3] = 0.0  # a cell with no stored entry
genes = [f"G{{i}}" for i in range(50)]
layouts = {{
    "nested": {{"big": genes[:40], "small": genes[:3], "one": ["G7"]}},
    "signed": {{"s": [*genes[10:20], *(g + "-" for g in genes[20:30])], "d": ["G1", "G2-"]}},
    "every_gene": {{"all": genes, "last": genes[-5:]}},
    "missing": {{"m": [*genes[:4], "NOPE1", "NOPE2", "NOPE3"]}},
}}
raw = _split_entries(dense, seed=3)
for name, sets in layouts.items():
    for method in ("ucell", "aucell", "singscore", "ssgsea", "score_genes"):
        if method == "score_genes" and name == "every_gene":
            continue  # a set of every gene has no control gene (scanpy raises too)
        kw = {{"ctrl_size": 4}} if method == "score_genes" else {{}}
        if method == "ucell":
            kw["max_rank"] = 50
        if method == "ssgsea":
            kw["normalize"] = False  # the range of all scores is 0 with a set of every gene
        got = rrscore.score(raw, sets, method, genes=genes, **kw)
        want = rrscore.score(dense, sets, method, genes=genes, **kw)
        # NaN where both are NaN (singscore of a set holding every gene)
        np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=0, atol=1e-12,
                                   err_msg=f"{{name}} {{method}}")
print("ok")
"""


def test_kernels_stay_in_bounds_under_numba_boundscheck():
    """Every kernel of the sparse methods with bounds checks on, several set layouts.

    NUMBA_BOUNDSCHECK is read at import and is not part of numba's cache key, so the run
    has a cache folder of its own (the first run compiles every kernel: about a minute).
    """
    split_entries = inspect.getsource(_split_entries).replace("{", "{{").replace("}", "}}")
    script = BOUNDSCHECK_SCRIPT.replace("{split_entries}", split_entries)
    cache = Path(tempfile.gettempdir()) / "rrscore-numba-boundscheck"
    env = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(cache)}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script.format())],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith("ok")
