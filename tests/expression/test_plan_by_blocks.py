"""The gene plan applied block by block (no copy of the matrix) equals the whole-matrix copy.

With ``nan_policy="drop_genes"`` and duplicated gene labels the input layer selects (and
combines) columns; :func:`expression_by_blocks` does it per block of samples as a method reads
them. Every block must hold the copy's values exactly — for every duplicates policy, any block
size, C- and F-ordered arrays, DataFrames and CSR matrices — and scores through it must be the
copy's to the last bit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
import rrscore.expression._adapters as adapters
from rrscore.errors import DuplicateGenesWarning
from rrscore.expression._adapters import as_expression, expression_by_blocks
from rrscore.radiation import radioresistance

N_SAMPLES, N_GENES = 23, 60


def _labels() -> list[str]:
    genes = [f"G{i}" for i in range(N_GENES)]
    genes[7] = genes[3]  # a pair
    genes[20] = genes[21] = genes[22]  # a triple
    return genes


def _values(seed: int = 0) -> np.ndarray:
    """Samples × genes, with ties; NaN in two genes (one a duplicate), zeros for sparsity."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(5, 2, size=(N_SAMPLES, N_GENES)), 1)
    x[rng.random(x.shape) < 0.4] = 0.0
    x[4, 10] = np.nan
    x[:, 21] = np.nan
    return x


def _both(data, **kw):
    copy = as_expression(data, nan_policy="drop_genes", map_ids="off", **kw)
    blocks = expression_by_blocks(data, nan_policy="drop_genes", map_ids="off", **kw)
    return copy, blocks


def _dense(block):
    return block.toarray() if sp.issparse(block) else np.asarray(block)


@pytest.mark.parametrize("duplicates", ["highest_mean", "first", "mean", "sum", "max"])
@pytest.mark.parametrize("layout", ["frame", "array_C", "array_F", "csr"])
def test_blocks_hold_the_copy_values(layout, duplicates):
    x, genes = _values(), _labels()
    samples = [f"S{i}" for i in range(N_SAMPLES)]
    if layout == "frame":
        data, kw = pd.DataFrame(x.T, index=genes, columns=samples), {}
    elif layout == "csr":
        data, kw = sp.csr_matrix(x), {"genes": genes, "samples": samples}
    else:
        order = "C" if layout == "array_C" else "F"
        data, kw = np.array(x, order=order), {"genes": genes, "samples": samples}
    copy, blocks = _both(data, duplicates=duplicates, **kw)
    assert blocks.is_lazy and blocks.values.kind == "memory"
    assert list(blocks.genes) == list(copy.genes)
    assert list(blocks.samples) == list(copy.samples)
    assert blocks.report.to_dict() == copy.report.to_dict()
    assert blocks.report.dropped_genes == copy.report.dropped_genes
    assert blocks.is_sparse_storage == copy.is_sparse
    want = _dense(copy.values)
    for size in (1, 4, 7, N_SAMPLES):
        got = np.vstack([_dense(b) for _, _, b in blocks.values.blocks(size)])
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(blocks.column_sums(), copy.column_sums())


@pytest.mark.parametrize("sparse", [True, False])
def test_in_memory_anndata_with_duplicated_var_names(sparse):
    import warnings

    ad = pytest.importorskip("anndata")
    x = _values()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata: var names are not unique
        adata = ad.AnnData(sp.csr_matrix(x) if sparse else x,
                           obs=pd.DataFrame(index=[f"c{i}" for i in range(N_SAMPLES)]),
                           var=pd.DataFrame(index=_labels()))
    copy, blocks = _both(adata, duplicates="mean")
    assert blocks.is_lazy and blocks.is_sparse_storage == sparse
    assert blocks.report.to_dict() == copy.report.to_dict()
    got = np.vstack([_dense(b) for _, _, b in blocks.values.blocks(5)])
    np.testing.assert_array_equal(got, _dense(copy.values))


def test_no_copy_of_the_matrix_is_kept():
    x = _values()
    frame = pd.DataFrame(x.T, index=_labels())
    _, blocks = _both(frame)
    assert np.shares_memory(blocks.values.source, frame.to_numpy())


def test_without_a_copying_plan_the_usual_matrix_is_returned():
    x = np.nan_to_num(_values())
    genes = [f"G{i}" for i in range(N_GENES)]
    blocks = expression_by_blocks(x, genes=genes, nan_policy="drop_genes", map_ids="off")
    assert not blocks.is_lazy
    np.testing.assert_array_equal(blocks.values, x)
    assert expression_by_blocks(blocks) is None  # not a table or array


SETS = {"A": ["G1", "G3", "G5", "G22", "G30"], "B": ["G2", "G8", "G40", "G41", "G50"]}


@pytest.mark.parametrize("method", ["singscore", "ucell"])
def test_scores_through_blocks_equal_the_copy(method):
    x = np.abs(_values(1))
    frame = pd.DataFrame(x.T, index=_labels(), columns=[f"S{i}" for i in range(N_SAMPLES)])
    copy, blocks = _both(frame)
    with pytest.warns(DuplicateGenesWarning):
        want = rrscore.score(copy, SETS, method)
    with pytest.warns(DuplicateGenesWarning):
        got = rrscore.score(blocks, SETS, method, chunk_size=5)
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_composite_on_a_table_with_missing_values_equals_the_copy_path(monkeypatch):
    made = []

    def spy(*args):
        made.append(args[0].shape)
        return by_blocks_of(*args)

    by_blocks_of = adapters._by_blocks
    monkeypatch.setattr(adapters, "_by_blocks", spy)
    x = np.abs(_values(2))
    rng = np.random.default_rng(3)
    sets = {"M1": [f"G{i}" for i in range(0, 30, 3)], "M2": [f"G{i}" for i in range(1, 50, 4)]}
    frame = pd.DataFrame(x.T + rng.random(x.T.shape) * 0.01, index=_labels(),
                         columns=[f"S{i}" for i in range(N_SAMPLES)])
    by_blocks = radioresistance(frame, gene_sets=sets, confounders=False,
                                nan_policy="drop_genes", map_ids="off", significance=20)
    copied = radioresistance(as_expression(frame, nan_policy="drop_genes", map_ids="off"),
                             gene_sets=sets, confounders=False, significance=20)
    assert made == [(N_SAMPLES, N_GENES)]  # the composite's run read the table by blocks
    pd.testing.assert_frame_equal(by_blocks, copied, check_exact=True)
    assert by_blocks.attrs["rrscore"]["input"] == copied.attrs["rrscore"]["input"]
