"""Composite radioresistance score: standardisation, weights, reference JSON, single samples,
percentiles, groups and the driver-mutation columns, on the bundled TCGA LUAD example cohort."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import GeneMatchError, InputDataError, RRScoreError
from rrscore.radiation import (
    DEFAULT_MECHANISMS,
    RadioresistanceScorer,
    assign_groups,
    radioresistance,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent"


@pytest.fixture(scope="module")
def expr() -> pd.DataFrame:
    """The 32-tumour Agilent cohort, with its 517 missing cells."""
    return pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture(scope="module")
def complete(expr) -> pd.DataFrame:
    """Genes without missing values: every sample then has the same gene universe."""
    return expr.dropna()


@pytest.fixture(scope="module")
def annotation() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "samples.tsv", sep="\t", index_col=0)


@pytest.fixture(scope="module")
def cohort_result(expr):
    return radioresistance(expr, nan_policy="drop_genes", return_contributions=True)


def _raw_mechanism_scores(expr: pd.DataFrame) -> pd.DataFrame:
    """Plain rrscore.score of the bundled sets, renamed to mechanism names."""
    raw = rrscore.score(expr, "mechanisms", "singscore", nan_policy="drop_genes",
                        low_coverage=0)
    raw.attrs.clear()
    return raw.rename(columns=lambda c: c[:-3] if c.endswith("_UP") else c)


def _singscore_signed(expr: pd.DataFrame, up: list[str], down: list[str]) -> pd.Series:
    """Independent singscore of a signed set (ranks ties 'min', centred up + down parts)."""
    ranks = expr.rank(axis=0, method="min")
    n = expr.shape[0]

    def norm(genes, reverse):
        r = ranks.loc[genes]
        r = n + 1 - r if reverse else r  # the down part is scored on reversed ranks
        k = len(genes)
        low, high = (k + 1) / 2, (2 * n - k + 1) / 2
        return (r.mean(axis=0) - low) / (high - low) - 0.5

    return norm(up, False) + norm(down, True)


def test_default_mechanisms_are_the_parent_sets_without_lncrna(cohort_result):
    scores = cohort_result.scores
    mechanisms = scores.attrs["rrscore"]["mechanisms"]
    assert mechanisms == list(DEFAULT_MECHANISMS)
    assert list(scores.columns) == [*DEFAULT_MECHANISMS, "composite", "composite_percentile"]
    assert "RR_NONCODING_LNCRNA" not in scores.columns
    assert not any(c.startswith("RR_DNA_REPAIR_") for c in scores.columns)
    assert scores.attrs["rrscore"]["reference"] == {
        "source": "cohort", "n_samples": 32, "n_genes": 17814 - 418,
    }


def test_signed_mechanism_is_resistance_minus_sensitising_genes(expr, cohort_result):
    # RR_APOPTOSIS: anti-apoptotic UP genes, pro-apoptotic DN genes (all on the array)
    coll = rrscore.genesets.load("mechanisms")
    gs = coll["RR_APOPTOSIS"]
    data = expr.dropna()
    assert set(gs.up) | set(gs.down) <= set(data.index)
    raw = _singscore_signed(data, list(gs.up), list(gs.down))
    z = (raw - raw.mean()) / raw.std(ddof=1)
    scores = radioresistance(data, mechanisms=["RR_APOPTOSIS", "RR_HYPOXIA"])
    np.testing.assert_allclose(scores["RR_APOPTOSIS"], z.loc[scores.index], atol=1e-12)
    # raising a sensitising gene lowers the score, raising a promoting gene raises it
    bumped = data.copy()
    bumped.loc[gs.down[0]] = bumped.max(axis=0) + 1
    lower = _singscore_signed(bumped, list(gs.up), list(gs.down))
    assert (lower <= raw + 1e-15).all() and (lower < raw).any()


def test_standardisation_matches_an_independent_pandas_computation(expr, cohort_result):
    raw = _raw_mechanism_scores(expr)[list(DEFAULT_MECHANISMS)]
    expected = (raw - raw.mean(axis=0)) / raw.std(axis=0, ddof=1)
    got = cohort_result.scores[list(DEFAULT_MECHANISMS)]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), atol=1e-12)
    # each z column has mean 0 and SD 1 in its own reference cohort
    np.testing.assert_allclose(got.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(got.std(axis=0, ddof=1), 1, atol=1e-12)
    scorer = cohort_result.scorer
    np.testing.assert_allclose(scorer.mean_, raw.mean(axis=0), atol=1e-15)
    np.testing.assert_allclose(scorer.scale_, raw.std(axis=0, ddof=1), atol=1e-15)


def test_composite_is_the_equal_weight_mean_and_contributions_sum_to_it(cohort_result):
    scores, contributions, _ = cohort_result
    z = scores[list(DEFAULT_MECHANISMS)]
    np.testing.assert_allclose(scores["composite"], z.mean(axis=1), atol=1e-13)
    assert list(contributions.columns) == list(DEFAULT_MECHANISMS)
    np.testing.assert_allclose(contributions.sum(axis=1), scores["composite"], atol=1e-13)
    np.testing.assert_allclose(contributions, z / len(DEFAULT_MECHANISMS), atol=1e-15)


def test_user_weights_are_validated_and_normalised(complete):
    scores, contributions, scorer = radioresistance(
        complete, weights={"RR_DNA_REPAIR": 2, "RR_HYPOXIA_UP": 1}, return_contributions=True,
    )
    # the GMT line name RR_HYPOXIA_UP is accepted for mechanism RR_HYPOXIA
    assert scorer.weights_["RR_DNA_REPAIR"] == pytest.approx(2 / 3)
    assert scorer.weights_["RR_HYPOXIA"] == pytest.approx(1 / 3)
    assert scorer.weights_.drop(["RR_DNA_REPAIR", "RR_HYPOXIA"]).eq(0).all()
    assert scorer.weights_.sum() == pytest.approx(1)
    expected = 2 / 3 * scores["RR_DNA_REPAIR"] + 1 / 3 * scores["RR_HYPOXIA"]
    np.testing.assert_allclose(scores["composite"], expected, atol=1e-13)
    np.testing.assert_allclose(contributions.sum(axis=1), scores["composite"], atol=1e-13)
    assert (contributions.drop(columns=["RR_DNA_REPAIR", "RR_HYPOXIA"]) == 0).all().all()
    # unweighted mechanisms are still reported
    assert "RR_EMT" in scores.columns


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"RR_NOT_A_MECHANISM": 1}, "unknown mechanisms"),
        ({"RR_DNA_REPAIR": -1}, ">= 0"),
        ({"RR_DNA_REPAIR": float("nan")}, "finite"),
        ({"RR_DNA_REPAIR": float("inf")}, "finite"),
        ({"RR_DNA_REPAIR": "heavy"}, "not a number"),
        ({"RR_DNA_REPAIR": 0, "RR_EMT": 0}, "positive weight"),
        ([1, 2], "dict"),
    ],
)
def test_bad_weights_are_errors(complete, weights, message):
    with pytest.raises(RRScoreError, match=message):
        radioresistance(complete.iloc[:, :5], weights=weights)


def test_fit_transform_save_load_round_trip(complete, tmp_path):
    ref, new = complete.iloc[:, :20], complete.iloc[:, 20:]
    scorer = RadioresistanceScorer(weights={"RR_DNA_REPAIR": 1, "RR_EMT": 3}).fit(ref)
    path = tmp_path / "reference.json"
    scorer.save(path)
    record = json.loads(path.read_text())
    assert record["method"] == "singscore"
    assert record["method_params"] == {"ties_method": "min", "center_score": True,
                                       "known_direction": True}
    assert record["gene_sets"]["name"] == "mechanisms"
    assert record["gene_sets"]["version"] == rrscore.genesets.load("mechanisms").version
    assert record["reference"]["n_samples"] == 20
    assert record["reference"]["n_genes"] == complete.shape[0]
    assert record["genes"]["RR_APOPTOSIS"]["down"] == ["CASP3", "CASP8", "BID", "BAD", "BAX"]
    # genes are stored under the catalogue symbol even when the data used an older one
    assert "MRE11" in record["genes"]["RR_DNA_REPAIR"]["up"]
    assert record["weights"]["RR_EMT"] == pytest.approx(0.75)
    assert path.stat().st_size < 20_000

    loaded = RadioresistanceScorer.load(path)
    assert loaded.to_dict() == scorer.to_dict()
    a, b = scorer.transform(new), loaded.transform(new)
    pd.testing.assert_frame_equal(a, b)
    # transform uses the reference statistics, not the new samples'
    raw = _raw_mechanism_scores(new)[scorer.mechanisms_]
    expected = (raw - scorer.mean_) / scorer.scale_
    np.testing.assert_allclose(a[scorer.mechanisms_], expected, atol=1e-12)
    # the one-call API with a JSON path gives the same
    pd.testing.assert_frame_equal(radioresistance(new, reference=path), a, check_like=False)
    # and with the reference cohort as data
    pd.testing.assert_frame_equal(
        radioresistance(new, reference=ref, weights={"RR_DNA_REPAIR": 1, "RR_EMT": 3}), a
    )


@pytest.mark.parametrize(
    "method, params",
    [("singscore", {}), ("ssgsea", {"normalize": False})],
)
def test_a_single_sample_scores_as_inside_the_cohort(complete, method, params):
    scorer = RadioresistanceScorer(method, method_params=params).fit(complete.iloc[:, :24])
    cohort = scorer.transform(complete)
    for sample in (complete.columns[3], complete.columns[30]):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no method-dependence warning for these methods
            one = scorer.transform(complete[sample])  # a Series is one sample
        assert list(one.index) == [sample]
        pd.testing.assert_series_equal(one.iloc[0], cohort.loc[sample], check_names=False,
                                       rtol=0, atol=1e-15)


def test_cohort_dependent_method_warns_on_transform(complete):
    scorer = RadioresistanceScorer("ssgsea").fit(complete.iloc[:, :20])  # normalize=True
    with pytest.warns(UserWarning, match="depend on the samples scored together"):
        scorer.transform(complete.iloc[:, 20:])


def test_single_sample_without_reference_is_an_error(complete):
    with pytest.raises(RRScoreError, match="at least 2"):
        radioresistance(complete.iloc[:, [0]])


def test_percentile_is_the_share_of_reference_at_or_below(cohort_result, complete):
    scores = cohort_result.scores
    expected = scores["composite"].rank(method="max") / len(scores) * 100
    np.testing.assert_allclose(scores["composite_percentile"], expected, atol=1e-12)
    scorer = cohort_result.scorer
    ref = scorer.reference_composite_
    assert scorer.percentile(np.array([ref.min() - 1, ref.max() + 1])).tolist() == [0.0, 100.0]
    assert scorer.percentile(pd.Series([np.nan])).isna().all()


def test_assign_groups_by_user_quantiles(cohort_result):
    scores = cohort_result.scores
    groups = assign_groups(scores, quantiles=(0.25, 0.75))
    assert list(groups.cat.categories) == ["q0-25", "q25-75", "q75-100"]
    assert groups.value_counts().to_dict() == {"q0-25": 8, "q25-75": 16, "q75-100": 8}
    low, high = np.quantile(scores["composite"], [0.25, 0.75])
    comp = scores["composite"]
    assert (groups[comp < low] == "q0-25").all()
    assert (groups[comp >= high] == "q75-100").all()
    # against the fitted reference's composite distribution (here the same cohort)
    pd.testing.assert_series_equal(
        assign_groups(scores, quantiles=(0.25, 0.75), reference=cohort_result.scorer), groups
    )
    named = assign_groups(scores["RR_HYPOXIA"], quantiles=[0.5], labels=["lower", "upper"])
    assert named.value_counts().to_dict() == {"lower": 16, "upper": 16}
    for bad in [(), (0.75, 0.25), (0, 0.5), (0.5, 1.0), (float("nan"),)]:
        with pytest.raises(RRScoreError, match="quantiles"):
            assign_groups(scores, quantiles=bad)
    with pytest.raises(TypeError):
        assign_groups(scores)  # no default: the cut points are the user's choice


def test_mechanism_with_too_few_genes_is_dropped_with_a_warning(complete):
    data = complete.drop(index=["ALDOA", "ALDH3A1"])  # RR_EXOSOME keeps 1 of 3 genes
    with pytest.warns(UserWarning, match=r"RR_EXOSOME \(1/3\)"):
        scores, _, scorer = radioresistance(data.iloc[:, :8], return_contributions=True)
    assert "RR_EXOSOME" not in scores.columns
    assert len(scorer.mechanisms_) == len(DEFAULT_MECHANISMS) - 1
    assert scorer.weights_.sum() == pytest.approx(1)
    np.testing.assert_allclose(scores["composite"],
                               scores[scorer.mechanisms_].mean(axis=1), atol=1e-13)


def test_genes_missing_at_transform_are_reported(complete):
    scorer = RadioresistanceScorer().fit(complete.iloc[:, :16])
    with pytest.warns(UserWarning, match="RR_HYPOXIA: VEGFA"):
        out = scorer.transform(complete.iloc[:, 16:].drop(index="VEGFA"))
    assert out.attrs["rrscore"]["genes_missing"] == {"RR_HYPOXIA": ["VEGFA"]}


def test_mechanism_selection_and_fixed_reference_options(complete, tmp_path):
    scores = radioresistance(complete.iloc[:, :6],
                             mechanisms=["RR_DNA_REPAIR_HR_UP", "RR_METABOLISM_IRON"],
                             min_genes=1)
    assert list(scores.columns[:3]) == ["RR_DNA_REPAIR_HR", "RR_METABOLISM_IRON", "composite"]
    # the lncRNA set is not on the Agilent array at all
    with pytest.warns(UserWarning, match=r"RR_NONCODING_LNCRNA \(0/4\)"):
        radioresistance(complete.iloc[:, :6], mechanisms=["RR_EMT", "RR_NONCODING_LNCRNA"])
    with pytest.raises(RRScoreError, match="not in the gene sets"):
        radioresistance(complete.iloc[:, :6], mechanisms=["RR_NOPE"])
    scorer = RadioresistanceScorer().fit(complete.iloc[:, :6])
    with pytest.raises(RRScoreError, match="fixed when the reference is fitted"):
        radioresistance(complete.iloc[:, 6:9], reference=scorer, weights={"RR_EMT": 1})
    with pytest.raises(RRScoreError, match="differs from the fitted"):
        radioresistance(complete.iloc[:, 6:9], reference=scorer, method="ssgsea")
    with pytest.raises(RRScoreError, match="not fitted"):
        RadioresistanceScorer().transform(complete)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(InputDataError, match="not a fitted radioresistance reference"):
        RadioresistanceScorer.load(bad)


def test_a_lone_sensitising_set_cannot_be_a_mechanism(complete):
    sets = {"GOOD_UP": ["BCL2", "MCL1", "BCL2L1"], "ONLY_DN": ["BAX", "BAD", "BID"]}
    with pytest.raises(GeneMatchError, match="only sensitising genes"):
        radioresistance(complete.iloc[:, :5], gene_sets=sets)
    scores = radioresistance(complete.iloc[:, :5], gene_sets=sets, mechanisms=["GOOD"])
    assert list(scores.columns[:1]) == ["GOOD"]


# -- driver mutations -------------------------------------------------------------------------

DRIVER_COLUMNS = ["driver_KEAP1_NFE2L2", "driver_STK11", "driver_KRAS", "driver_EGFR",
                  "driver_TP53", "driver_score"]


def test_mutation_table_gives_driver_columns_beside_the_composite(expr, annotation,
                                                                  cohort_result):
    scores = radioresistance(expr, nan_policy="drop_genes", mutations=annotation)
    assert list(scores.columns[-6:]) == DRIVER_COLUMNS
    ann = annotation.loc[scores.index]
    keap1_nfe2l2 = (ann["mut_KEAP1"] | ann["mut_NFE2L2"]).astype(int)
    assert scores["driver_KEAP1_NFE2L2"].tolist() == keap1_nfe2l2.tolist()
    for gene in ("STK11", "KRAS", "EGFR", "TP53"):
        assert scores[f"driver_{gene}"].tolist() == ann[f"mut_{gene}"].tolist()
    assert scores["driver_score"].tolist() == scores[DRIVER_COLUMNS[:5]].sum(axis=1).tolist()
    # the driver component is never blended into the expression composite
    pd.testing.assert_series_equal(scores["composite"], cohort_result.scores["composite"])
    meta = scores.attrs["rrscore"]["drivers"]
    assert meta["signs"] == dict.fromkeys(DRIVER_COLUMNS[:5], 1)


def test_table_columns_by_symbol_or_review_name_and_unknowns(complete):
    samples = list(complete.columns[:4])
    table = pd.DataFrame({"LKB1": [1, 0, 0, None], "KEAP1": [0, 0, 1, 0], "NRF2": [0, 0, 0, 0],
                          "KRAS": ["true", "false", "false", "true"], "EGFR": 0, "TP53": 0,
                          "age": [60, 61, 62, 63]}, index=samples)
    scores = radioresistance(complete.iloc[:, :4], mutations=table)
    assert scores["driver_STK11"].tolist()[:3] == [1, 0, 0]
    assert scores["driver_STK11"].isna().tolist() == [False, False, False, True]
    assert scores["driver_KEAP1_NFE2L2"].tolist() == [0, 0, 1, 0]
    assert scores["driver_KRAS"].tolist() == [1, 0, 0, 1]
    assert scores["driver_score"].isna().tolist() == [False, False, False, True]
    assert scores["driver_score"].tolist()[:3] == [2, 0, 1]
    with pytest.raises(InputDataError, match="1/0"):
        radioresistance(complete.iloc[:, :4], mutations=table.assign(KRAS="G12C"))
    with pytest.raises(InputDataError, match="no driver-gene column"):
        radioresistance(complete.iloc[:, :4], mutations=table[["age"]])


def _maf(samples: list[str]) -> pd.DataFrame:
    """Aliquot barcodes (as in a TCGA MAF) for the cohort's sample barcodes."""
    s = [f"{x}-01D-1234-08" for x in samples]
    rows = [
        ("KEAP1", s[0], "Silent", "p.L10L"),             # silent: ignored
        ("KEAP1", s[1], "Nonsense_Mutation", "p.Q75*"),  # loss of function: counts
        ("NFE2L2", s[2], "Frame_Shift_Del", "p.E79fs"),  # truncating NFE2L2: does not count
        ("NFE2L2", s[3], "Missense_Mutation", "p.E79Q"),  # activating: counts
        ("KRAS", s[0], "Missense_Mutation", "p.G12C"),   # codon 12: counts
        ("KRAS", s[1], "Missense_Mutation", "p.Q61H"),   # not codon 12/13: does not count
        ("KRAS", s[2], "Missense_Mutation", "p.Gly13Asp"),  # three-letter codes: counts
        ("EGFR", s[0], "Missense_Mutation", "p.L858R"),  # counts
        ("EGFR", s[1], "In_Frame_Del", "p.E746_A750del"),  # exon 19 deletion: counts
        ("EGFR", s[2], "Missense_Mutation", "p.R108K"),  # unlisted missense: does not count
        ("TP53", s[3], "Splice_Site", ""),               # counts
        ("TP53", s[2], "Intron", ""),                    # ignored
        ("STK11", s[4], "3'UTR", ""),                    # ignored (sample sequenced)
        ("TTN", s[5], "Missense_Mutation", "p.A1V"),     # not a driver (sample sequenced)
    ]
    return pd.DataFrame(rows, columns=["Hugo_Symbol", "Tumor_Sample_Barcode",
                                       "Variant_Classification", "HGVSp_Short"])


def test_maf_classes_and_protein_rules(complete, tmp_path):
    samples = list(complete.columns[:7])  # the 7th sample is not in the MAF
    maf = _maf(samples)
    with pytest.warns(UserWarning, match="1 samples have no mutation data"):
        scores = radioresistance(complete.iloc[:, :7], mutations=maf)
    d = scores[DRIVER_COLUMNS]
    assert d["driver_KEAP1_NFE2L2"].tolist()[:6] == [0, 1, 0, 1, 0, 0]
    assert d["driver_KRAS"].tolist()[:6] == [1, 0, 1, 0, 0, 0]
    assert d["driver_EGFR"].tolist()[:6] == [1, 1, 0, 0, 0, 0]
    assert d["driver_TP53"].tolist()[:6] == [0, 0, 0, 1, 0, 0]
    assert d["driver_STK11"].tolist()[:6] == [0, 0, 0, 0, 0, 0]
    assert d["driver_score"].tolist()[:6] == [2, 2, 1, 2, 0, 0]
    assert d.iloc[6].isna().all()
    meta = scores.attrs["rrscore"]["drivers"]
    assert "Silent" not in meta["counted_classes"]["KEAP1"]
    assert meta["protein_filter"] == "HGVSp_Short"
    assert meta["variants_seen"]["KRAS"] == 3 and meta["variants_counted"]["KRAS"] == 2

    # without a protein column only the classes filter applies (KRAS Q61H, EGFR R108K count)
    loose = radioresistance(complete.iloc[:, :6], mutations=maf.drop(columns="HGVSp_Short"))
    assert loose["driver_KRAS"].tolist() == [1, 1, 1, 0, 0, 0]
    assert loose["driver_EGFR"].tolist() == [1, 1, 1, 0, 0, 0]

    # a MAF file with '#' header lines
    path = tmp_path / "cohort.maf"
    with open(path, "w") as fh:
        fh.write("#version 2.4\n#annotation by test\n")
        maf.to_csv(fh, sep="\t", index=False)
    from_file = radioresistance(complete.iloc[:, :6], mutations=path)
    pd.testing.assert_frame_equal(from_file[DRIVER_COLUMNS], d.iloc[:6])


def test_anndata_wrapper_stores_scores_scanpy_style(complete, tmp_path):
    import anndata as ad
    import scipy.sparse as sp

    from rrscore.radiation import radioresistance_anndata

    data = complete.iloc[:, :10]
    adata = ad.AnnData(sp.csr_matrix(data.T.to_numpy()),
                       obs=pd.DataFrame(index=list(data.columns)),
                       var=pd.DataFrame(index=list(data.index)))
    assert radioresistance_anndata(adata) is None
    expected = radioresistance(data)
    stored = adata.obsm["rrscore_radioresistance"]
    np.testing.assert_allclose(stored.to_numpy(), expected.to_numpy(), atol=1e-14)
    np.testing.assert_allclose(adata.obs["rr_composite"], expected["composite"], atol=1e-14)
    record = adata.uns["rrscore_radioresistance"]
    assert record["mechanisms"] == list(DEFAULT_MECHANISMS)
    assert record["reference"]["n_samples"] == 10
    adata.write_h5ad(tmp_path / "cells.h5ad")  # the record is h5ad-serialisable
    back = ad.read_h5ad(tmp_path / "cells.h5ad")
    assert back.uns["rrscore_radioresistance"]["method"] == "singscore"
    only = radioresistance_anndata(adata, inplace=False, mechanisms=["RR_EMT", "RR_HYPOXIA"])
    assert list(only.columns) == ["RR_EMT", "RR_HYPOXIA", "composite", "composite_percentile"]
