"""The input layer: every supported shape, ID quirks, duplicate policies, bad input."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import InputDataError
from rrscore.expression import as_expression

SETS = {"A": ["G0", "G1", "G2"], "B": ["G3", "G4", "G5", "G6"]}


@pytest.fixture
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame(
        rng.normal(size=(30, 6)), index=[f"G{i}" for i in range(30)],
        columns=[f"S{j}" for j in range(6)],
    )


def _scores(data, **kw):
    return rrscore.score(data, SETS, normalize=False, **kw)


def test_all_input_shapes_give_the_same_scores(frame):
    expected = _scores(frame)
    assert list(expected.index) == list(frame.columns)
    pd.testing.assert_frame_equal(_scores(frame.T), expected)
    pd.testing.assert_frame_equal(
        _scores(frame.to_numpy(), genes=frame.index, samples=frame.columns), expected
    )
    pd.testing.assert_frame_equal(
        _scores(frame.to_numpy().T, genes=frame.index, samples=frame.columns), expected
    )
    adata = ad.AnnData(frame.T.copy())
    pd.testing.assert_frame_equal(_scores(adata), expected)
    adata.layers["alt"] = sp.csr_matrix(frame.T.to_numpy())
    adata.X = np.zeros_like(adata.X)
    pd.testing.assert_frame_equal(_scores(adata, layer="alt"), expected)


def test_anndata_use_raw_follows_scanpy(frame):
    adata = ad.AnnData(frame.T.copy())
    adata.raw = adata.copy()
    adata.X = np.zeros_like(adata.X)
    expected = _scores(frame)
    pd.testing.assert_frame_equal(_scores(adata), expected)  # use_raw=None -> raw exists
    from_x = _scores(adata, use_raw=False)  # X is all zeros: every sample scores the same
    assert not np.allclose(from_x.to_numpy(), expected.to_numpy())
    assert np.ptp(from_x.to_numpy(), axis=0).max() == 0


def test_orientation_auto_and_explicit(frame):
    m = as_expression(frame.T, gene_universe={"G0", "G1"})
    assert m.report.orientation == "genes_columns"
    forced = as_expression(frame, orient="genes_rows")
    assert list(forced.genes) == list(frame.index)
    square = pd.DataFrame(np.ones((4, 4)), index=["G0", "G1", "x", "y"],
                          columns=["G2", "G3", "z", "w"])
    with pytest.raises(InputDataError, match="cannot tell the orientation"):
        as_expression(square, gene_universe={"G0", "G1", "G2", "G3"})
    with pytest.raises(InputDataError, match="square"):
        as_expression(np.ones((3, 3)), genes=["a", "b", "c"])


def test_ensembl_versions_and_tcga_ids_are_cleaned():
    values = np.arange(12, dtype=float).reshape(4, 3)
    ens = pd.DataFrame(values, index=["ENSG00000141510.16", "ENSG00000135679.25",
                                      "ENSG00000182378.14_PAR_Y", "ENSG00000124762.13"])
    m = as_expression(ens)
    assert list(m.genes) == ["ENSG00000141510", "ENSG00000135679", "ENSG00000124762"]
    assert m.report.id_type == "ensembl"
    assert any("_PAR_Y" in n for n in m.report.notes)
    tcga = pd.DataFrame(values, index=["TP53|7157", "?|100130426", "MDM2|4193", "?|10357"])
    m = as_expression(tcga)
    assert list(m.genes) == ["TP53", "MDM2"]
    assert any("dropped 2 TCGA" in n for n in m.report.notes)


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("highest_mean", [5.0, 6.0]),
        ("first", [1.0, 0.0]),
        ("mean", [3.0, 3.0]),
        ("sum", [6.0, 6.0]),
        ("max", [5.0, 6.0]),
    ],
)
def test_duplicate_gene_policies(policy, expected):
    df = pd.DataFrame(
        [[1.0, 0.0], [5.0, 6.0], [9.0, 9.0]], index=["DUP", " DUP ", "OTHER"],
        columns=["s1", "s2"],
    )
    m = as_expression(df, duplicates=policy)
    assert list(m.genes) == ["DUP", "OTHER"]
    np.testing.assert_allclose(m.values[:, 0], expected)


def test_duplicate_policy_error_names_the_genes():
    df = pd.DataFrame([[1.0], [2.0], [3.0]], index=["A", "A", "B"], columns=["s"])
    with pytest.raises(InputDataError, match=r"1 gene identifiers occur more than once.*'A'"):
        as_expression(df, duplicates="error")


def test_bad_inputs_get_errors_that_say_what_and_where(frame):
    with pytest.raises(InputDataError, match="empty"):
        as_expression(pd.DataFrame())
    with_text = frame.copy()
    with_text.insert(0, "symbol", with_text.index)
    with pytest.raises(InputDataError, match=r"non-numeric columns.*'symbol'.*set_index"):
        as_expression(with_text.reset_index(drop=True))
    inf = frame.copy()
    inf.iloc[3, 2] = np.inf
    with pytest.raises(InputDataError, match="infinite values, e.g. gene 'G3' in sample 'S2'"):
        as_expression(inf)
    dup_samples = frame.copy()
    dup_samples.columns = ["S0", "S0", "S1", "S2", "S3", "S4"]
    with pytest.raises(InputDataError, match="duplicated sample names"):
        as_expression(dup_samples)
    nan_sample = frame.copy()
    nan_sample["S4"] = np.nan
    with pytest.raises(InputDataError, match=r"all NaN.*'S4'"):
        as_expression(nan_sample, nan_policy="drop_genes")


def test_nan_policy(frame):
    data = frame.copy()
    data.iloc[5, 1] = np.nan
    data.iloc[7, :] = np.nan
    with pytest.raises(InputDataError, match=r"7 missing values.*2 genes \(1 entirely NaN\).*G7"):
        as_expression(data)
    m = as_expression(data, nan_policy="drop_genes")
    assert "G5" not in m.genes and "G7" not in m.genes and len(m.genes) == 28
    assert m.report.dropped_genes == ["G5", "G7"]


def test_sparse_nan_and_inf_are_caught():
    x = sp.csr_matrix(np.array([[1.0, 0, np.nan], [0, 2.0, 1.0]]))
    one = r"^1 missing value \(NaN\) in 1 gene \(0 entirely NaN\), e.g. c \(1 sample\)"
    with pytest.raises(InputDataError, match=one):
        as_expression(x, genes=["a", "b", "c"])
    x = sp.csr_matrix(np.array([[1.0, 0, np.inf], [0, 2.0, 1.0]]))
    with pytest.raises(InputDataError, match="gene 'c' in sample 'sample_0'"):
        as_expression(x, genes=["a", "b", "c"])


def test_series_and_unknown_types_are_rejected(frame):
    with pytest.raises(InputDataError, match="to_frame"):
        as_expression(frame["S0"])
    with pytest.raises(InputDataError, match="unsupported"):
        as_expression([[1, 2], [3, 4]])
    with pytest.raises(InputDataError, match="genes="):
        as_expression(frame.to_numpy())


def test_default_integer_sample_labels_are_not_mistaken_for_entrez_ids():
    example = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent/expr.tsv.gz"
    genes = pd.read_csv(example, sep="\t", usecols=[0])
    genes = genes.iloc[:, 0].dropna().unique()[:3000]
    # columns 0..1999 include Entrez IDs of real genes (e.g. 367 is AR)
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(3000, 2000)), index=genes)
    m = as_expression(data, gene_universe=set(rrscore.genesets.load("hallmark").genes))
    assert m.report.orientation == "genes_rows"
    assert m.shape == (2000, 3000)


def test_the_callers_sparse_matrix_is_not_modified(frame):
    dense = frame.T.to_numpy()
    x = sp.csr_matrix(dense)
    # unsorted column indices within each row, as some writers produce
    for r in range(x.shape[0]):
        a, b = x.indptr[r], x.indptr[r + 1]
        x.indices[a:b] = x.indices[a:b][::-1].copy()
        x.data[a:b] = x.data[a:b][::-1].copy()
    x.has_sorted_indices = False
    before = (x.indices.copy(), x.data.copy())
    m = as_expression(x, genes=frame.index)
    np.testing.assert_array_equal(x.indices, before[0])
    np.testing.assert_array_equal(x.data, before[1])
    np.testing.assert_allclose(m.values.toarray(), dense)
