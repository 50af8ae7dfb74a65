"""RSI: unit values from the coefficients, the authors' code on real data, gene and NaN handling."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from rrscore.errors import GeneMatchError, RRScoreError
from rrscore.expression import as_expression
from rrscore.radiation import RSI_COEFFICIENTS, RSI_GENES, dose_for_gard, gard, rsi

COEF = pd.Series(dict(RSI_COEFFICIENTS))
# The worked example of signatures.md §1 (log2 expression in RSI_GENES order).
EXAMPLE = [5.0, 9.1, 10.2, 4.4, 8.8, 7.5, 11.0, 6.3, 9.9, 7.9]


def _independent_rsi(expr: pd.DataFrame) -> pd.Series:
    """Straightforward pandas version: rank the 10 rows within each column, dot product."""
    ranks = expr.loc[list(COEF.index)].rank(axis=0, method="average")
    return ranks.T @ COEF


def _one_sample(values, name="s1") -> pd.DataFrame:
    return pd.DataFrame({name: np.asarray(values, dtype=float)}, index=list(RSI_GENES))


@pytest.fixture(scope="module")
def radiogx(tests_data) -> pd.DataFrame:
    return pd.read_csv(tests_data / "radiogx_small" / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture
def cohort() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    genes = [*RSI_GENES, *(f"G{i}" for i in range(40))]
    return pd.DataFrame(
        rng.uniform(2, 12, size=(len(genes), 6)), index=genes, columns=[f"S{j}" for j in range(6)]
    )


# --- unit values -------------------------------------------------------------------------------

def test_coefficients_are_the_full_precision_rank_model():
    assert list(COEF.index) == list(RSI_GENES)
    assert COEF["ABL1"] == 0.107021274358643
    assert COEF["PAK2"] == -0.00924314364533049
    assert COEF.sum() == pytest.approx(0.0558186, abs=5e-8)


def test_all_tied_gives_0_3070022():
    out = rsi(_one_sample([3.0] * 10))
    assert out["s1"] == pytest.approx(0.3070022, abs=5e-8)
    assert out["s1"] == pytest.approx(5.5 * COEF.sum(), abs=1e-15)


def test_worked_example_gives_0_2880612():
    out = rsi(_one_sample(EXAMPLE))
    assert out["s1"] == pytest.approx(0.2880612, abs=5e-8)
    ranks = np.array([2, 7, 9, 1, 6, 4, 10, 3, 8, 5], dtype=float)
    assert out["s1"] == pytest.approx(float(ranks @ COEF.to_numpy()), abs=1e-15)


def test_table_order_ranks():
    assert rsi(_one_sample(np.arange(1, 11)))["s1"] == pytest.approx(0.0068214, abs=5e-8)
    assert rsi(_one_sample(np.arange(10, 0, -1)))["s1"] == pytest.approx(0.6071830, abs=5e-8)


def test_bounds_by_construction():
    # Rearrangement inequality: the sum of rank*coef is largest when the ranks follow the
    # coefficients' order and smallest in the opposite order; realise both as expression.
    order = np.argsort(np.argsort(COEF.to_numpy()))  # 0 = smallest coefficient
    top = rsi(_one_sample(order + 1.0))["s1"]
    bottom = rsi(_one_sample(10.0 - order))["s1"]
    assert round(top, 4) == 1.2191
    assert round(bottom, 4) == -0.6051
    # Every permutation lies inside [bottom, top]: checked on a large sample of them, in one
    # call (also exercises many samples at once).
    rng = np.random.default_rng(0)
    perms = np.array([rng.permutation(10) for _ in range(5000)], dtype=float) + 1.0
    many = rsi(pd.DataFrame(perms.T, index=list(RSI_GENES)), orient="genes_rows")
    assert many.min() >= bottom - 1e-15 and many.max() <= top + 1e-15
    assert np.allclose(many.to_numpy(), perms @ COEF.to_numpy(), atol=1e-15, rtol=0)


def test_ties_are_averaged_among_the_ten_genes_only(cohort):
    data = cohort.copy()
    data.loc[["AR", "JUN", "STAT1"], "S0"] = 5.0  # a three-way tie
    data.loc["G0", "S0"] = 5.0  # ties with non-RSI genes must not matter
    data.loc[["RELA", "IRF1"], "S1"] = 8.0
    out = rsi(data)
    assert np.allclose(out, _independent_rsi(data), atol=1e-15, rtol=0)
    # the other genes play no part: changing all of them leaves RSI unchanged
    other = data.copy()
    other.iloc[10:] = other.iloc[10:] * -3 + 100
    assert rsi(other).equals(out)


# --- the authors' code on real data --------------------------------------------------------------

def test_radiogx_fixture_matches_authors_code_and_pandas(radiogx, tests_data):
    out = rsi(radiogx)
    assert out.name == "RSI"
    assert list(out.index) == list(radiogx.columns)
    ref = pd.read_csv(
        tests_data / "radiogx_small" / "reference_rsi_U133Predictor.tsv", sep="\t", index_col=0
    )["RSI"]
    assert (out - ref.loc[out.index]).abs().max() <= 1e-12
    assert (out - _independent_rsi(radiogx)).abs().max() <= 1e-15
    # values are those of the authors' function (not only equal to our own pandas version)
    assert out["MHH-NB-11"] == pytest.approx(0.9303252692546311, abs=1e-12)


def test_same_result_for_every_input_shape(radiogx):
    expected = rsi(radiogx)
    assert rsi(radiogx.T).equals(expected)
    arr = rsi(radiogx.to_numpy(), genes=list(radiogx.index), samples=list(radiogx.columns))
    assert arr.equals(expected)
    adata = ad.AnnData(radiogx.T.copy())
    assert rsi(adata).equals(expected)
    assert rsi(as_expression(radiogx)).equals(expected)


def test_shared_data_against_independent_computation(shared_data):
    cleveland = pd.read_csv(
        shared_data / "radiogx_cleveland_small" / "expr.tsv.gz", sep="\t", index_col=0
    )
    assert (rsi(cleveland) - _independent_rsi(cleveland)).abs().max() <= 1e-15
    tcga = pd.read_csv(
        shared_data / "tcga_luad_agilent_rtcga" / "expr.tsv.gz", sep="\t", index_col=0
    )
    with pytest.warns(UserWarning, match="negative values"):
        out = rsi(tcga)  # log2 ratios: warned, but computed
    assert out.attrs["rrscore"]["genes"]["PRKCB"] == "PRKCB1"
    expected = _independent_rsi(tcga.rename(index={"PRKCB1": "PRKCB"}))
    assert out.notna().all() and (out - expected).abs().max() <= 1e-15


# --- gene identifiers ----------------------------------------------------------------------------

def test_aliases_probe_sets_and_ensembl_ids(radiogx):
    expected = rsi(radiogx)
    renamed = radiogx.rename(index={"PRKCB": "PRKCB1", "JUN": "c-jun", "ABL1": "CABL"})
    out = rsi(renamed)
    assert out.equals(expected)
    assert out.attrs["rrscore"]["genes"]["JUN"] == "c-jun"
    probes = radiogx.rename(index={
        "AR": "211110_s_at", "JUN": "201466_s_at", "STAT1": "AFFX-HUMISGF3A/M97935_MA_at",
        "PRKCB": "207957_s_at", "RELA": "201783_s_at", "ABL1": "202123_s_at",
        "SUMO1": "208762_at", "PAK2": "205962_at", "HDAC1": "201209_at", "IRF1": "202531_at",
    })
    assert rsi(probes).equals(expected)
    ensembl = radiogx.loc[list(RSI_GENES)].rename(index={
        "AR": "ENSG00000169083.15", "JUN": "ENSG00000177606.6", "STAT1": "ENSG00000115415.20",
        "PRKCB": "ENSG00000166501.13", "RELA": "ENSG00000173039.19",
        "ABL1": "ENSG00000097007.18", "SUMO1": "ENSG00000116030.17",
        "PAK2": "ENSG00000180370.11", "HDAC1": "ENSG00000116478.12",
        "IRF1": "ENSG00000125347.14",
    })
    assert rsi(ensembl).equals(expected)


def test_approved_symbol_wins_over_alias(radiogx):
    data = pd.concat([radiogx, radiogx.loc[["PRKCB"]].rename(index={"PRKCB": "PRKCB1"}) + 50])
    assert rsi(data).equals(rsi(radiogx))


def test_two_aliases_of_one_gene_is_an_error(radiogx):
    data = radiogx.rename(index={"PRKCB": "PRKCB1"})
    data = pd.concat([data, data.loc[["PRKCB1"]].rename(index={"PRKCB1": "PKCB"})])
    with pytest.raises(GeneMatchError, match="several of its aliases"):
        rsi(data)


def test_cdk1_is_never_used_for_pak2(radiogx):
    assert "CDK1" in radiogx.index
    changed = radiogx.copy()
    changed.loc["CDK1"] = 0.0
    assert rsi(changed).equals(rsi(radiogx))
    with pytest.raises(GeneMatchError, match=r"PAK2.*CDK1, which some RSI copies use by mistake"):
        rsi(radiogx.drop(index="PAK2"))


def test_missing_gene_is_an_error_naming_it(cohort):
    with pytest.raises(GeneMatchError, match="not in the data: PRKCB, IRF1"):
        rsi(cohort.drop(index=["IRF1", "PRKCB"]))


def test_missing_warn_ranks_remaining_genes_among_themselves(cohort):
    data = cohort.drop(index=["IRF1"])
    with pytest.warns(UserWarning, match="not on the published RSI scale"):
        out = rsi(data, missing="warn")
    nine = COEF.drop("IRF1")
    expected = data.loc[list(nine.index)].rank(axis=0).T @ nine
    assert (out - expected).abs().max() <= 1e-15
    assert out.attrs["rrscore"]["missing_genes"] == ["IRF1"]
    # the scale changes: nine tied genes give 5 * sum(remaining coefficients)
    tied = _one_sample([1.0] * 10).drop(index="IRF1")
    with pytest.warns(UserWarning):
        assert rsi(tied, missing="warn")["s1"] == pytest.approx(5 * nine.sum(), abs=1e-15)


def test_fewer_than_two_genes_fail_even_with_warn(cohort):
    data = cohort.drop(index=list(RSI_GENES[1:]))
    with pytest.raises(GeneMatchError, match="at least 2"):
        rsi(data, missing="warn")


def test_bad_missing_policy(cohort):
    with pytest.raises(RRScoreError, match="missing must be one of"):
        rsi(cohort, missing="ignore")


def test_duplicated_gene_rows_follow_duplicates_policy(cohort):
    extra = cohort.loc[["JUN"]] + 20  # a second JUN probe with the higher mean
    data = pd.concat([cohort, extra])
    high = cohort.copy()
    high.loc["JUN"] = extra.iloc[0]
    assert rsi(data).equals(rsi(high))
    assert rsi(data, duplicates="first").equals(rsi(cohort))


# --- missing values ------------------------------------------------------------------------------

def test_nan_outside_rsi_genes_is_ignored(cohort):
    data = cohort.copy()
    data.loc["G3", "S1"] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rsi(data).equals(rsi(cohort))


@pytest.mark.parametrize("shape", ["frame", "frame_t", "array", "anndata"])
def test_nan_in_an_rsi_gene_gives_nan_for_that_sample(cohort, shape):
    data = cohort.copy()
    data.loc["IRF1", "S2"] = np.nan
    data.loc["G5", "S4"] = np.nan
    if shape == "frame":
        given = {"data": data}
    elif shape == "frame_t":
        given = {"data": data.T}
    elif shape == "array":
        given = {"data": data.to_numpy(), "genes": list(data.index),
                 "samples": list(data.columns)}
    else:
        given = {"data": ad.AnnData(data.T.copy())}
    with pytest.warns(UserWarning, match=r"NaN for 1 samples .*\(IRF1\).*'S2'"):
        out = rsi(**given)
    base = rsi(cohort)
    assert np.isnan(out["S2"])
    assert out.drop("S2").equals(base.drop("S2"))
    assert out.attrs["rrscore"]["nan_samples"] == ["S2"]


def test_nan_probe_does_not_let_a_duplicate_stand_in(cohort):
    # The NaN row is the higher-mean JUN probe: it stays chosen, so S0 is NaN rather than
    # silently scored from the other probe.
    extra = cohort.loc[["JUN"]] + 20
    extra.loc["JUN", "S0"] = np.nan
    data = pd.concat([cohort, extra])
    with pytest.warns(UserWarning, match="NaN for 1 samples"):
        out = rsi(data)
    assert np.isnan(out["S0"]) and out.notna().sum() == 5


def test_rsi_gene_nan_everywhere_counts_as_missing(cohort):
    data = cohort.copy()
    data.loc["PAK2"] = np.nan
    with pytest.raises(GeneMatchError, match="not in the data: PAK2"):
        rsi(data)


def test_exhaustive_small_permutations_match_pandas():
    # all orderings of the first four genes (others fixed) against the pandas version
    perms = np.array(list(itertools.permutations(range(4))), dtype=float)
    block = np.hstack([perms, np.tile(np.arange(10, 16, dtype=float), (len(perms), 1))])
    data = pd.DataFrame(block.T, index=list(RSI_GENES), columns=[f"p{i}" for i in range(24)])
    assert np.allclose(rsi(data), _independent_rsi(data), atol=1e-15, rtol=0)


def test_versioned_ensembl_ids_among_symbols_and_with_nan(radiogx):
    from rrscore.radiation import RSI_ALIASES

    ens = {g: next(a for a in RSI_ALIASES[g] if a.startswith("ENSG")) + ".7" for g in RSI_GENES}
    mixed = radiogx.rename(index=ens)  # ID type stays "symbol": versions are not cleaned
    expected = rsi(radiogx)
    assert rsi(mixed).equals(expected)
    mixed.loc[ens["HDAC1"], "NB1"] = np.nan
    with pytest.warns(UserWarning, match=r"\(HDAC1\).*'NB1'"):
        out = rsi(mixed)
    assert np.isnan(out["NB1"]) and out.drop("NB1").equals(expected.drop("NB1"))


# --- where RSI is defined: the scale guard -------------------------------------------------------

def _with_rsi_labels(expr: pd.DataFrame) -> pd.DataFrame:
    """The data with its first 10 rows relabelled as the RSI genes: the values (and so the
    data's scale) are untouched; which genes carry the labels does not matter to the check."""
    out = expr.drop(index=[g for g in RSI_GENES if g in expr.index])
    return out.rename(index=dict(zip(out.index[:10], RSI_GENES, strict=True)))


def test_agilent_log_ratios_warn_that_rsi_and_gard_are_off_scale():
    from rrscore.errors import RadiationModelWarning

    agilent = pd.read_csv(Path(__file__).resolve().parents[2]
                          / "examples/data/tcga_luad_agilent/expr.tsv.gz", sep="\t", index_col=0)
    with pytest.warns(RadiationModelWarning, match="off their published scale: negative"):
        out = rsi(agilent)
    scale = out.attrs["rrscore"]["scale"]
    assert scale["kind"] == "log_ratio" and scale["on_published_scale"] is False
    assert out.notna().all()  # warned, but computed
    # GARD and the dose from such an RSI warn again, and say not for dose decisions
    with pytest.warns(RadiationModelWarning, match="GARD computed from RSI that is off"):
        gard(out)
    with pytest.warns(RadiationModelWarning, match="not for dose decisions"):
        dose_for_gard(out, 33.0)


@pytest.mark.parametrize("name, kind", [("expr_counts.tsv.gz", "counts"),
                                        ("expr_log2p1.tsv.gz", "log_rnaseq")])
def test_tcga_rna_seq_counts_and_log_counts_warn(tests_data, name, kind):
    from rrscore.errors import RadiationModelWarning

    data = _with_rsi_labels(pd.read_csv(tests_data / "tcga_counts_small" / name, sep="\t",
                                        index_col=0))
    with pytest.warns(RadiationModelWarning, match="off their published scale"):
        out = rsi(data)
    assert out.attrs["rrscore"]["scale"]["kind"] == kind
    assert out.attrs["rrscore"]["scale"]["on_published_scale"] is False
    # within-sample ranks: the counts and their log2(x + 1) give the same RSI
    assert out.notna().all()


def test_rma_arrays_do_not_warn(tests_data, radiogx):
    leukemia = pd.read_csv(tests_data / "leukemia_small" / "expr.tsv.gz", sep="\t", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = rsi(leukemia)
        rsi(radiogx)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = gard(out)  # 4 leukemia samples have RSI <= 0: that warning only
    assert not [w for w in caught if "published scale" in str(w.message)]
    assert out.attrs["rrscore"]["scale"] == {
        "kind": "log", "evidence": out.attrs["rrscore"]["scale"]["evidence"],
        "on_published_scale": True, "reason": ""}
    assert values.notna().sum() > 0


def test_too_few_values_are_not_judged():
    out = rsi(_one_sample([3.0] * 10))  # ten integers: too few values to call them counts
    assert out.attrs["rrscore"]["scale"]["on_published_scale"] is None


def test_rsi_gard_and_dose_docstrings_say_not_for_dose_decisions():
    for func in (rsi, gard, dose_for_gard):
        assert "not for dose decisions" in func.__doc__.lower(), func.__name__
