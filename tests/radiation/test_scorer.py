"""The fitted scorer: signed mechanism scores, standardisation against the reference, the
composite and its contributions, single samples, percentiles and transform-time warnings."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.radiation import (
    DEFAULT_MECHANISMS,
    RadioresistanceScorer,
    radioresistance,
)
from tests.radiation.conftest import _raw_mechanism_scores, _singscore_signed


def test_signed_mechanism_weighs_its_parts_by_size(expr, cohort_result):
    # RR_APOPTOSIS: anti-apoptotic UP genes, pro-apoptotic DN genes (all on the array). Composite
    # v2 weighs the parts by their sizes (issue 11: singscore's equal halves let a one-gene
    # part outweigh the rest), so the score is (k_up*up + k_dn*down) / (k_up + k_dn) on
    # singscore's centred part scores (the down part on reversed ranks).
    coll = rrscore.genesets.load("mechanisms")
    gs = coll["RR_APOPTOSIS"]
    data = expr.dropna()
    up, down = list(gs.up), list(gs.down)
    assert set(up) | set(down) <= set(data.index)
    up_part = _singscore_signed(data, up, [])
    down_part = _singscore_signed(data, up, down) - up_part
    raw = (len(up) * up_part + len(down) * down_part) / (len(up) + len(down))
    z = (raw - raw.mean()) / raw.std(ddof=1)
    scores = radioresistance(data, mechanisms=["RR_APOPTOSIS", "RR_HYPOXIA"])
    np.testing.assert_allclose(scores["RR_APOPTOSIS"], z.loc[scores.index], atol=1e-12)
    # the parts are weighted 9:5, not 1:1 as in singscore's own signed score
    assert scores.attrs["rrscore"]["readouts"]["RR_APOPTOSIS"]["part_weights"] == \
        pytest.approx({"up": len(up) / (len(up) + len(down)),
                       "down": len(down) / (len(up) + len(down))})
    equal = up_part + down_part
    assert abs(np.corrcoef(equal, raw)[0, 1]) < 1 - 1e-6
    # raising a sensitising gene lowers the score, raising a promoting gene raises it
    bumped = data.copy()
    bumped.loc[down[0]] = bumped.max(axis=0) + 1
    lower = radioresistance(bumped, mechanisms=["RR_APOPTOSIS", "RR_HYPOXIA"],
                            reference=data)
    assert (lower["RR_APOPTOSIS"] <= scores["RR_APOPTOSIS"] + 1e-12).all()
    assert (lower["RR_APOPTOSIS"] < scores["RR_APOPTOSIS"]).any()
    bumped = data.copy()
    bumped.loc[up[0]] = bumped.max(axis=0) + 1
    higher = radioresistance(bumped, mechanisms=["RR_APOPTOSIS", "RR_HYPOXIA"],
                             reference=data)
    assert (higher["RR_APOPTOSIS"] >= scores["RR_APOPTOSIS"] - 1e-12).all()
    assert (higher["RR_APOPTOSIS"] > scores["RR_APOPTOSIS"]).any()


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


def test_percentile_is_the_share_of_reference_at_or_below(cohort_result, complete):
    scores = cohort_result.scores
    expected = scores["composite"].rank(method="max") / len(scores) * 100
    np.testing.assert_allclose(scores["composite_percentile"], expected, atol=1e-12)
    scorer = cohort_result.scorer
    ref = scorer.reference_composite_
    assert scorer.percentile(np.array([ref.min() - 1, ref.max() + 1])).tolist() == [0.0, 100.0]
    assert scorer.percentile(pd.Series([np.nan])).isna().all()


def test_genes_missing_at_transform_are_reported(complete):
    scorer = RadioresistanceScorer().fit(complete.iloc[:, :16])
    with pytest.warns(UserWarning, match="RR_HYPOXIA: VEGFA"):
        out = scorer.transform(complete.iloc[:, 16:].drop(index="VEGFA"))
    assert out.attrs["rrscore"]["genes_missing"] == {"RR_HYPOXIA": ["VEGFA"]}
