"""Edges of the Python API found by the fresh-user battery of issue 10 (F11, F20, F23, F26).

* F20: score_genes with a set that holds every gene of a panel scores the other sets (as
  scanpy scores them alone) and names the set without controls, instead of refusing the call.
* F11: values above ~1e154 no longer make zscore/mean exactly 0 nor PLAGE wrong (the squares
  of the standardisation overflowed); z-scores are scale-invariant, so E * 1e160 scores as E.
* F23: the columns ``rrscore.coverage`` documents are its columns.
* F26: collapsing duplicated genes warns (DuplicateGenesWarning) from every container.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import DroppedSetsWarning, DuplicateGenesWarning, InputDataError, RRScoreError

GENES = [f"G{i}" for i in range(30)]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """A 30-gene targeted panel, 40 cells × 30 genes of log1p counts."""
    rng = np.random.default_rng(5)
    counts = rng.poisson(rng.uniform(0.5, 20, len(GENES)), size=(40, len(GENES)))
    return pd.DataFrame(np.log1p(counts.astype(float)), index=[f"c{i}" for i in range(40)],
                        columns=GENES)


# --- F20: score_genes, a set of every gene beside a scorable one -------------------------

#: 30 genes in 3 bins of 10 (n_bins=4: n_items = round(30 / 3)), 5 controls per bin.
SG = {"ctrl_size": 5, "n_bins": 4, "orient": "genes_columns"}
Q = GENES[3:13]


def test_score_genes_scores_q_and_names_the_whole_panel_set(panel):
    with pytest.warns(DroppedSetsWarning, match=r"P: the set holds every gene of the pool"):
        both = rrscore.score(panel, {"P": GENES, "Q": Q}, "score_genes", **SG)
    assert list(both.columns) == ["P", "Q"]
    assert both["P"].isna().all()
    alone = rrscore.score(panel, {"Q": Q}, "score_genes", **SG)
    # the controls of Q are drawn from their own RandomState: P changes nothing
    np.testing.assert_array_equal(both["Q"].to_numpy(), alone["Q"].to_numpy())
    assert np.isfinite(both["Q"].to_numpy()).all() and both["Q"].std() > 0
    cov = rrscore.coverage_report(both)
    assert not cov.loc["P", "kept"] and "not scored by score_genes" in cov.loc["P", "reason"]
    assert cov.loc["Q", "kept"] and cov.loc["Q", "reason"] == ""


def test_score_genes_q_matches_scanpy(panel):
    sc = pytest.importorskip("scanpy")
    ad = pytest.importorskip("anndata")
    adata = ad.AnnData(panel.to_numpy().copy())
    adata.obs_names = list(panel.index)
    adata.var_names = GENES
    sc.tl.score_genes(adata, Q, ctrl_size=5, n_bins=4, random_state=0)
    with pytest.warns(DroppedSetsWarning):
        ours = rrscore.tl.score(adata, {"P": GENES, "Q": Q}, "score_genes", ctrl_size=5,
                                n_bins=4, inplace=False)
    np.testing.assert_allclose(ours["Q"].to_numpy(), adata.obs["score"].to_numpy(),
                               rtol=0, atol=1e-12)
    assert ours["P"].isna().all()


def test_score_genes_without_any_control_is_refused(panel):
    with pytest.raises(RRScoreError, match=r"no control genes .* for any gene set \(P: the "
                                           r"set holds every gene"):
        rrscore.score(panel, {"P": GENES}, "score_genes", **SG)


# --- F11: magnitudes whose squares overflow float64 ----------------------------------------

@pytest.fixture(scope="module")
def bulk() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    genes = [f"G{i}" for i in range(40)]
    return pd.DataFrame(rng.normal(6, 2, size=(40, 12)), index=genes,
                        columns=[f"s{i}" for i in range(12)])


BULK_SETS = {"a": [f"G{i}" for i in range(8)],
             "b": [f"G{i}" for i in range(5, 20)] + [f"G{i}-" for i in range(30, 35)],
             "c": ["G20", "G21"]}


@pytest.mark.parametrize("method", ["zscore", "mean", "plage"])
@pytest.mark.parametrize("factor", [1e160, 1e300])
def test_huge_values_score_as_the_unscaled_data(bulk, method, factor):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the input-scale warning on 1e160-sized values
        expected = rrscore.score(bulk, BULK_SETS, method)
        got = rrscore.score(bulk * factor, BULK_SETS, method)
    # before the fix: zscore/mean exactly 0 everywhere (sd = inf)
    assert np.abs(expected.to_numpy()).max() > 0.5
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


def test_huge_values_sparse_and_only_some_genes(bulk):
    big = bulk.copy()
    big.iloc[:10] *= 1e200  # overflowing genes beside ordinary ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = rrscore.score(bulk, BULK_SETS, "zscore")
        got = rrscore.score(sp.csr_matrix(big.T.to_numpy()), BULK_SETS, "zscore",
                            genes=list(big.index))
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("kcdf", ["gaussian", "none"])
def test_gsva_on_huge_values_is_the_unscaled_result(bulk, kcdf):
    # GSVA's C sd() squares in double: above ~1.3e154 the bandwidth was inf and every sample
    # of the gene got the same CDF (max error 1.25 before the fix). A power-of-two factor is
    # exact, so the log-odds and scores must be the same bits; 1e160 to rounding.
    mixed = bulk.copy()
    mixed.iloc[:20] *= 2.0**600  # overflowing genes beside ordinary ones
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the input-scale warning
        expected = rrscore.score(bulk, BULK_SETS, "gsva", kcdf=kcdf).to_numpy()
        exact = rrscore.score(bulk * 2.0**560, BULK_SETS, "gsva", kcdf=kcdf).to_numpy()
        some = rrscore.score(mixed, BULK_SETS, "gsva", kcdf=kcdf).to_numpy()
        decimal = rrscore.score(bulk * 1e160, BULK_SETS, "gsva", kcdf=kcdf).to_numpy()
    assert np.abs(expected).max() > 0.3
    np.testing.assert_array_equal(exact, expected)
    np.testing.assert_array_equal(some, expected)
    np.testing.assert_allclose(decimal, expected, rtol=0, atol=1e-12)


def test_values_whose_sd_is_not_a_float_are_refused(bulk):
    near_max = bulk.iloc[:, :2].copy()
    near_max.loc["G0"] = [1.79e308, -1.79e308]  # sd = 2.5e308: no float64
    with pytest.raises(InputDataError, match=r"too large to standardise.*1\.79e\+308.*G0"):
        rrscore.score(near_max, BULK_SETS, "zscore")


# --- F23: the documented coverage columns --------------------------------------------------

def test_coverage_docstring_lists_the_real_columns(bulk):
    returns = rrscore.coverage.__doc__.split("Returns")[1].split("Raises")[0]
    documented = re.findall(r"``(\w+)``", returns)
    with pytest.warns(DroppedSetsWarning, match="no gene found in the data: z"):
        got = rrscore.coverage(bulk, {"a": ["G1", "G2", "NOPE"], "z": ["NOPE2"]})
    columns = list(got.columns)
    # every column documented, in order, at its first mention; no column that is not there
    first = list(dict.fromkeys(c for c in documented if c in columns))
    assert first == columns
    assert not {"fraction", "scored"} & set(documented)
    assert got.index.name == "set"
    assert got.loc["a", "coverage"] == pytest.approx(2 / 3)
    assert got.loc["a", "kept"] and not got.loc["z", "kept"]
    assert got.loc["a", "missing"] == "NOPE"


# --- F26: duplicated genes warn from every container ---------------------------------------

def _duplicated():
    genes = ["A", "B", "C", "MATR3", "MATR3", "E"]
    x = np.random.default_rng(0).normal(5, 1, size=(6, 4))
    x[4] += 3  # the second MATR3 row has the higher mean: highest_mean keeps it
    return genes, x


def _containers():
    genes, x = _duplicated()
    df = pd.DataFrame(x, index=genes, columns=list("wxyz"))
    out = {"genes x samples": (df, {}), "samples x genes": (df.T, {}),
           "ndarray": (x.T.copy(), {"genes": genes}),
           "csr": (sp.csr_matrix(x.T), {"genes": genes})}
    ad = pytest.importorskip("anndata")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata's own "var_names not unique"
        adata = ad.AnnData(x.T.copy())
        adata.var_names = genes
    out["AnnData"] = (adata, {})
    return out


@pytest.mark.parametrize("name", ["genes x samples", "samples x genes", "ndarray", "csr",
                                  "AnnData"])
def test_collapsed_duplicates_warn_once_from_every_container(name):
    genes, x = _duplicated()
    data, kw = _containers()[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = rrscore.score(data, {"s": ["A", "MATR3", "E"]}, "mean", **kw)
    dup = [w for w in caught if issubclass(w.category, DuplicateGenesWarning)]
    assert len(dup) == 1, [str(w.message) for w in caught]
    assert re.match(r"collapsed 2 rows of 1 duplicated gene into one row each \(1 fewer row; "
                    r"e\.g\. \['MATR3'\]\) by policy 'highest_mean'", str(dup[0].message))
    assert dup[0].filename == __file__  # at the user's line
    # the values: the kept MATR3 is the second row (highest mean)
    kept = pd.DataFrame(np.delete(x, 3, axis=0), index=[g for i, g in enumerate(genes)
                                                         if i != 3], columns=list("wxyz"))
    z = kept.sub(kept.mean(axis=1), axis=0).div(kept.std(axis=1, ddof=1), axis=0)
    np.testing.assert_allclose(got["s"].to_numpy(), z.loc[["A", "MATR3", "E"]].mean().to_numpy(),
                               rtol=0, atol=1e-12)


def test_duplicates_warn_from_tl_and_coverage_but_not_without_duplicates():
    adata, _ = _containers()["AnnData"]
    for call in (lambda: rrscore.tl.score(adata, {"s": ["A", "MATR3"]}, "mean", inplace=False),
                 lambda: rrscore.coverage(adata, {"s": ["A", "MATR3"]})):
        with pytest.warns(DuplicateGenesWarning, match="by policy 'highest_mean'"):
            call()
    genes, x = _duplicated()
    clean = pd.DataFrame(x[:4], index=genes[:4], columns=list("wxyz"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DuplicateGenesWarning)
        rrscore.score(clean, {"s": ["A", "B"]}, "mean")


def test_the_composite_warns_about_collapsed_duplicates_too():
    expr = pd.read_csv(Path(__file__).parents[2] / "examples/data/tcga_luad_agilent/expr.tsv.gz",
                       sep="\t", index_col=0).dropna()
    gene = "CDKN1A"  # a member of the default mechanisms
    extra = expr.loc[[gene]] + 1.0  # the higher mean: highest_mean keeps it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = rrscore.radioresistance(pd.concat([expr, extra]))
    dup = [w for w in caught if issubclass(w.category, DuplicateGenesWarning)]
    assert dup and all(w.filename == __file__ for w in dup)
    assert f"['{gene}']" in str(dup[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kept = rrscore.radioresistance(expr.drop(index=gene).pipe(
            lambda e: pd.concat([e, extra])))
    pd.testing.assert_frame_equal(got, kept)


# --- options the input would ignore (the CLI's F21, for the Python API) ---------------------

@pytest.mark.parametrize("entry", ["score", "coverage", "radioresistance"])
def test_anndata_options_on_a_table_and_orient_on_an_anndata_are_refused(bulk, entry):
    ad = pytest.importorskip("anndata")
    call = {"score": lambda d, **kw: rrscore.score(d, BULK_SETS, "zscore", **kw),
            "coverage": lambda d, **kw: rrscore.coverage(d, BULK_SETS, **kw),
            "radioresistance": lambda d, **kw: rrscore.radioresistance(d, **kw)}[entry]
    with pytest.raises(InputDataError, match=r"layer='counts' chooses an AnnData layer; a "
                                             r"DataFrame has one matrix"):
        call(bulk, layer="counts")
    with pytest.raises(InputDataError, match=r"use_raw=True .* a ndarray has no \.raw"):
        call(bulk.T.to_numpy(), genes=list(bulk.index), use_raw=True)
    adata = ad.AnnData(bulk.T.copy())
    with pytest.raises(InputDataError, match=r"orient='genes_rows' is for tables and arrays"):
        call(adata, orient="genes_rows")


@pytest.mark.parametrize("bad", [0, -5, 2.5, True, 10.0])
def test_a_chunk_size_that_is_not_a_whole_positive_number_is_refused(bulk, bad):
    with pytest.raises(RRScoreError, match=r"chunk_size must be a whole number of samples >= 1"):
        rrscore.score(bulk, BULK_SETS, "ucell", chunk_size=bad)
    ok = rrscore.score(bulk, BULK_SETS, "ucell", chunk_size=5)
    np.testing.assert_array_equal(ok.to_numpy(),
                                  rrscore.score(bulk, BULK_SETS, "ucell").to_numpy())


@pytest.mark.parametrize("value", ["1,5", "1.2e"])
def test_a_bad_cell_in_a_dataframe_is_named_with_its_row_and_column(bulk, value):
    frame = bulk.astype(object)
    frame.iloc[4, 2] = value
    comma = r" \(a decimal comma" if "," in value else "$"
    for data, row, column in ((frame, "G4", "s2"), (frame.T, "s2", "G4")):
        with pytest.raises(InputDataError, match=rf"'{re.escape(value)}' in row '{row}', column "
                                                 rf"'{column}' .* is not a number{comma}"):
            rrscore.score(data, BULK_SETS, "zscore")
