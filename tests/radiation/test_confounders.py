"""Confounders beside the composite (proliferation, stromal, immune) and the adjustment of
mechanism scores for them: against independent computations and statsmodels' OLS."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError
from rrscore.radiation import RadioresistanceScorer, radioresistance

sm = pytest.importorskip("statsmodels.api")

CONFOUNDERS = ["proliferation", "stromal", "immune"]


def test_confounder_columns_are_the_collections_scores_standardised(expr, cohort_result):
    scores = cohort_result.scores
    names = {"proliferation": "PROLIFERATION", "stromal": "ESTIMATE_STROMAL",
             "immune": "ESTIMATE_IMMUNE"}
    raw = rrscore.score(expr, "confounders", "singscore", nan_policy="drop_genes",
                        low_coverage=0)
    for column, set_name in names.items():
        x = raw[set_name]
        np.testing.assert_allclose(scores[column], (x - x.mean()) / x.std(ddof=1), atol=1e-12)
    record = scores.attrs["rrscore"]["confounders"]
    assert record["columns"] == CONFOUNDERS and record["in_composite"] is False
    assert record["sets"]["stromal"]["set"] == "ESTIMATE_STROMAL"
    # never in the composite
    z = scores[list(cohort_result.scorer.mechanisms_)]
    np.testing.assert_allclose(scores["composite"], z.mean(axis=1), atol=1e-13)
    # the composite's R² on the three, as statsmodels gives it
    fit = sm.OLS(scores["composite"], sm.add_constant(scores[CONFOUNDERS])).fit()
    assert record["composite_r2_reference"] == pytest.approx(fit.rsquared, abs=1e-12)
    assert "proliferation" not in radioresistance(expr.dropna().iloc[:, :6],
                                                  confounders=False).columns


def test_adjustment_is_the_ols_residual_fitted_on_the_reference(complete):
    ref, new = complete.iloc[:, :24], complete.iloc[:, 24:]
    plain = RadioresistanceScorer().fit(ref)
    adjusted = RadioresistanceScorer(adjust=["proliferation", "stromal"]).fit(ref)
    z_ref = plain.transform(ref)
    mechanisms = plain.mechanisms_
    x = sm.add_constant(z_ref[["proliferation", "stromal"]])
    coefficients = adjusted.adjustment_["coefficients"]
    for m in mechanisms:
        fit = sm.OLS(z_ref[m], x).fit()
        assert coefficients[m]["intercept"] == pytest.approx(fit.params["const"], abs=1e-10)
        assert coefficients[m]["proliferation"] == pytest.approx(fit.params["proliferation"],
                                                                 abs=1e-10)
        assert adjusted.adjustment_["r2"][m] == pytest.approx(fit.rsquared, abs=1e-10)
    # new samples: z minus the reference fit's prediction, the composite built from them
    out = adjusted.transform(new)
    z_new = plain.transform(new)
    for m in mechanisms:
        c = coefficients[m]
        expected = z_new[m] - (c["intercept"] + c["proliferation"] * z_new["proliferation"]
                               + c["stromal"] * z_new["stromal"])
        np.testing.assert_allclose(out[m], expected, atol=1e-12)
    np.testing.assert_allclose(out["composite"], out[mechanisms].mean(axis=1), atol=1e-13)
    # confounder columns are reported unadjusted
    pd.testing.assert_frame_equal(out[CONFOUNDERS], z_new[CONFOUNDERS])
    # on the reference the residuals are uncorrelated with what they were adjusted for
    on_ref = adjusted.transform(ref)
    for m in mechanisms:
        assert abs(np.corrcoef(on_ref[m], on_ref["proliferation"])[0, 1]) < 1e-10
        assert abs(on_ref[m].mean()) < 1e-12
    assert out.attrs["rrscore"]["adjustment"]["confounders"] == ["proliferation", "stromal"]


def test_a_single_sample_is_adjusted_as_in_its_cohort_and_the_json_keeps_it(complete, tmp_path):
    scorer = RadioresistanceScorer(adjust=CONFOUNDERS).fit(complete.iloc[:, :20])
    path = tmp_path / "adjusted.json"
    scorer.save(path)
    record = json.loads(path.read_text())
    assert record["adjustment"]["confounders"] == CONFOUNDERS
    assert set(record["adjustment"]["coefficients"]) == set(scorer.mechanisms_)
    loaded = RadioresistanceScorer.load(path)
    cohort = loaded.transform(complete)
    sample = complete.columns[27]
    one = loaded.transform(complete[sample])
    pd.testing.assert_series_equal(one.iloc[0], cohort.loc[sample], check_names=False,
                                   rtol=0, atol=1e-15)
    pd.testing.assert_frame_equal(cohort, scorer.transform(complete))


def test_adjust_names_are_checked(complete):
    data = complete.iloc[:, :8]
    with pytest.raises(RRScoreError, match="not confounder columns"):
        radioresistance(data, adjust=["purity"])
    with pytest.raises(RRScoreError, match="not confounder columns"):
        radioresistance(data, adjust=["immune"], confounders=False)
    with pytest.raises(RRScoreError, match="twice"):
        radioresistance(data, adjust=["immune", "immune"])
    scorer = RadioresistanceScorer().fit(data)
    with pytest.raises(RRScoreError, match="fixed when the reference is fitted"):
        radioresistance(complete.iloc[:, 8:10], reference=scorer, adjust=["immune"])
    # a single name is accepted as a one-item list
    one = radioresistance(data, adjust="immune")
    assert one.attrs["rrscore"]["adjustment"]["confounders"] == ["immune"]
