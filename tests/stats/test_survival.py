"""rrscore.survival / kaplan_meier / logrank against lifelines and statsmodels, and the TCGA
time/event convention written out, on the bundled cohort and the shared RTCGA clinical table."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rrscore.errors import RRScoreError, StatisticsWarning
from rrscore.stats import kaplan_meier, logrank, survival, tcga_survival

lifelines = pytest.importorskip("lifelines")


def os_by_hand(clinical: pd.DataFrame) -> pd.DataFrame:
    """Overall survival as the convention states it, one patient at a time."""
    rows = {}
    for label, r in clinical.iterrows():
        status = {str(r.get(c, "")).lower() for c in ("vital_status", "fu_vital_status")}
        death = r.get("fu_days_to_death")
        if pd.isna(death):
            death = r.get("days_to_death")
        dead = "dead" in status or not pd.isna(death)
        contacts = [r.get(c) for c in ("days_to_last_followup", "fu_days_to_last_followup")]
        contacts = [c for c in contacts if not pd.isna(c)]
        time = death if dead else (max(contacts) if contacts else np.nan)
        if pd.isna(time) or time <= 0:
            rows[label] = (np.nan, np.nan)
        else:
            rows[label] = (float(time), 1.0 if dead else 0.0)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["time", "event"])


def test_tcga_time_and_event_follow_the_stated_convention(samples, clinical_shared):
    for table in (samples, clinical_shared):
        derived = tcga_survival(table)
        expected = os_by_hand(table)
        pd.testing.assert_frame_equal(derived[["time", "event"]], expected, check_dtype=False,
                                      check_names=False)
        assert derived.attrs["rrscore_stats"]["n_events"] == int(expected["event"].sum())
    months = tcga_survival(samples, unit="months", censor_at=12)
    assert months["time"].max() <= 12
    late = os_by_hand(samples)["time"] / (365.25 / 12) > 12
    assert (months.loc[late, "event"] == 0).all()
    stage = tcga_survival(clinical_shared)
    assert stage.loc[clinical_shared["pathologic_stage"] == "stage iiia", "stage"].eq("III").all()
    assert set(stage["stage_number"].dropna()) == {1.0, 2.0, 3.0, 4.0}


def _cox_frame(scores: pd.Series, clinical: pd.DataFrame, covariates: list[str]):
    """time, event, standardised score and covariates, complete cases, built independently."""
    out = os_by_hand(clinical)
    for c in covariates:
        out[c] = pd.to_numeric(clinical[c], errors="coerce")
    out["score"] = scores.reindex(out.index)
    out = out.dropna()
    out["score"] = (out["score"] - out["score"].mean()) / out["score"].std(ddof=1)
    return out


def test_cox_per_sd_equals_lifelines_and_statsmodels_on_1000_tcga_patients(clinical_shared):
    from lifelines.statistics import proportional_hazard_test

    # any score table: pack-years of the RTCGA patients (291 deaths among those known)
    scores = clinical_shared[["pack_years"]]
    clinical = clinical_shared.assign(age=clinical_shared["age_at_diagnosis"])
    result = survival(scores, clinical, covariates=["age"])
    frame = _cox_frame(clinical_shared["pack_years"], clinical, ["age"])
    cph = lifelines.CoxPHFitter().fit(frame, "time", "event")
    row = result.set_index("term").loc["score"]
    assert (row["n"], row["n_events"]) == (len(frame), int(frame["event"].sum()))
    assert row["n_events"] > 200
    assert row["coef"] == pytest.approx(cph.params_["score"], rel=1e-6)
    assert row["se"] == pytest.approx(cph.standard_errors_["score"], rel=1e-6)
    assert row["pvalue"] == pytest.approx(cph.summary.loc["score", "p"], rel=1e-6)
    assert row["hr_ci_low"] == pytest.approx(np.exp(cph.confidence_intervals_.loc["score"].iloc[0]),
                                             rel=1e-6)
    ph = proportional_hazard_test(cph, frame, time_transform="rank").summary["p"]
    assert row["ph_pvalue"] == pytest.approx(ph["score"], rel=1e-6)
    assert row["concordance"] == pytest.approx(cph.concordance_index_, rel=1e-9)
    sm = pytest.importorskip("statsmodels.api")
    fit = sm.PHReg(frame["time"], frame[["score", "age"]], status=frame["event"],
                   ties="efron").fit()
    assert row["coef"] == pytest.approx(fit.params[0], rel=1e-5)
    assert row["se"] == pytest.approx(fit.bse[0], rel=1e-4)


def test_interaction_with_radiotherapy_and_the_effect_among_the_treated(clinical_shared):
    scores = clinical_shared[["pack_years"]]
    result = survival(scores, clinical_shared, interaction="radiotherapy").set_index("term")
    assert {"score", "radiotherapy", "score:radiotherapy", "score|radiotherapy=1"} <= set(
        result.index)
    frame = _cox_frame(clinical_shared["pack_years"], clinical_shared, [])
    frame["rt"] = tcga_survival(clinical_shared)["radiotherapy"].reindex(frame.index)
    frame = frame.dropna()
    frame["score"] = (frame["score"] - frame["score"].mean()) / frame["score"].std(ddof=1)
    # coding the treatment the other way round makes the score term the treated's effect
    flipped = frame.assign(untreated=1 - frame["rt"])
    flipped["product"] = flipped["score"] * flipped["untreated"]
    cph = lifelines.CoxPHFitter().fit(flipped[["time", "event", "score", "untreated", "product"]],
                                      "time", "event")
    treated = result.loc["score|radiotherapy=1"]
    assert treated["coef"] == pytest.approx(cph.params_["score"], rel=1e-5)
    assert treated["se"] == pytest.approx(cph.standard_errors_["score"], rel=1e-4)
    assert result.loc["score:radiotherapy", "coef"] == pytest.approx(-cph.params_["product"],
                                                                     rel=1e-5)


def test_bundled_cohort_composite_equals_lifelines_and_warns_about_few_events(rr, samples):
    with pytest.warns(StatisticsWarning, match="events"):
        result = survival(rr, samples, sets=["composite"], covariates=["age"])
    frame = _cox_frame(rr["composite"], samples.assign(age=samples["age_at_diagnosis"]),
                       ["age"])
    cph = lifelines.CoxPHFitter().fit(frame, "time", "event")
    row = result.set_index("term").loc["score"]
    assert row["n_events"] == 4
    assert row["coef"] == pytest.approx(cph.params_["score"], rel=1e-6)
    assert row["score_sd"] == pytest.approx(rr.loc[frame.index, "composite"].std(ddof=1))


def product_limit(time: np.ndarray, event: np.ndarray) -> pd.Series:
    """Kaplan-Meier written out: S(t) = prod over event times of (1 - d/n)."""
    s, out = 1.0, {}
    for t in np.unique(time):
        at_risk = (time >= t).sum()
        d = ((time == t) & (event == 1)).sum()
        s *= 1 - d / at_risk
        out[t] = s
    return pd.Series(out)


def test_kaplan_meier_and_logrank_by_stage(clinical_shared):
    derived = tcga_survival(clinical_shared)
    luad = derived[clinical_shared["cohort"] == "LUAD"]
    groups = luad["stage"].where(luad["stage"].isin(["I", "II"]))
    curves = kaplan_meier(luad, groups)
    for stage, part in curves.groupby("group"):
        sub = luad[(groups == stage) & luad["time"].notna()]
        expected = product_limit(sub["time"].to_numpy(), sub["event"].to_numpy())
        got = part.set_index("time")["survival"].iloc[1:]
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)
        assert curves.attrs["rrscore_stats"]["n"][stage] == len(sub)
    test = logrank(luad, groups).iloc[0]
    a = luad[(groups == "I") & luad["time"].notna()]
    b = luad[(groups == "II") & luad["time"].notna()]
    from lifelines.statistics import logrank_test

    ref = logrank_test(a["time"], b["time"], a["event"], b["event"])
    assert test["pvalue"] == pytest.approx(ref.p_value, rel=1e-10)
    sm = pytest.importorskip("statsmodels.api")
    both = pd.concat([a.assign(g=0), b.assign(g=1)])
    chi2, p = sm.duration.survdiff(both["time"], both["event"], both["g"])
    assert test["statistic"] == pytest.approx(chi2, rel=1e-8)
    assert curves.attrs["rrscore_stats"]["logrank"]["pvalue"] == pytest.approx(p, rel=1e-8)


def test_scores_by_sample_join_clinical_by_patient(rr, clinical_shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = survival(rr, clinical_shared, sets=["composite"])
    patients = rr.index.str[:12]
    usable = os_by_hand(clinical_shared).reindex(patients).dropna()
    assert result["n"].iloc[0] == len(usable)


def test_separated_events_are_flagged(rr, samples):
    # 3 deaths among 21 patients with a known radiotherapy flag: the interaction runs off
    with pytest.warns(StatisticsWarning, match="separated"):
        result = survival(rr, samples, sets=["composite"], interaction="radiotherapy")
    assert result["n_events"].iloc[0] == 3
    assert result["model"].str.contains("quasi-separation").all()
    assert result["coef"].abs().max() > 10


def _explicit(rr, samples):
    """The bundled cohort's TCGA survival as plain time/event columns."""
    derived = tcga_survival(samples)
    return derived[["time", "event"]].copy()


def test_a_time_that_is_not_a_number_or_negative_is_named_not_dropped(rr, samples):
    clinical = _explicit(rr, samples)
    known = clinical["time"].dropna().index
    text = clinical.astype(object)
    text.loc[known[3], "time"] = "12,5"  # an Excel decimal comma
    with pytest.raises(RRScoreError, match=rf"time column 'time': '12,5' for '{known[3]}' is "
                                           r"not a number \(a decimal comma"):
        survival(rr, text, sets=["composite"])
    negative = clinical.copy()
    negative.loc[known[5], "time"] = -5.0
    with pytest.raises(RRScoreError, match=rf"-5 for '{known[5]}' is negative"):
        survival(rr, negative, sets=["composite"])


def test_patients_left_out_are_said_once_and_counted(rr, samples):
    clinical = _explicit(rr, samples)
    known = clinical["time"].dropna().index
    clinical.loc[known[0], "time"] = 0.0
    n_missing = int(clinical.reindex(rr.index).isna().any(axis=1).sum())
    with pytest.warns(StatisticsWarning) as caught:
        result = survival(rr, clinical, sets=["composite", "RR_HYPOXIA"])
    said = [str(w.message) for w in caught if "left out of every model" in str(w.message)]
    assert len(said) == 1
    assert f"{n_missing} without a time" in said[0] and "1 with time 0" in said[0]
    usable = clinical.reindex(rr.index).dropna()
    assert (result["n"] == int((usable["time"] > 0).sum())).all()
