"""Survival and outcome: Cox models of scores (:func:`survival`), Kaplan–Meier curves by
group (:func:`kaplan_meier`) and the log-rank test (:func:`logrank`), all fitted by
``lifelines`` (``pip install 'rrscore[stats]'``).

Each score enters its own Cox model, standardised to mean 0 and SD 1 over the patients in
that model, so hazard ratios are per SD. Covariates are adjusted for; ``interaction`` adds a
treatment and the score × treatment product — the predictive question (does the score's
association differ with radiotherapy?) — and reports the score's hazard ratio within the
treated as the sum of the two coefficients with its CI from the covariance matrix. The
proportional-hazards assumption is checked per term with lifelines'
``proportional_hazard_test`` (rank time transform).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from rrscore.errors import RRScoreError, StatisticsWarning, warn
from rrscore.stats._clinical import has_tcga_survival, tcga_survival
from rrscore.stats._effects import bh_qvalues
from rrscore.stats._inputs import align_rows, labels_for, pseudobulk, score_columns, score_table

#: Columns of :func:`survival`'s result, in order.
COLUMNS = (
    "score", "term", "coef", "se", "hr", "hr_ci_low", "hr_ci_high", "z", "pvalue", "qvalue",
    "ph_pvalue", "n", "n_events", "concordance", "score_sd", "model",
)
SCORE = "score"
#: A log hazard ratio this large (a HR of 22,000 per unit) only arises when the events are
#: (almost) separated by the terms: such fits are flagged.
SEPARATION_COEF = 10.0


def lifelines():
    try:
        import lifelines as ll
    except ImportError as err:
        raise ImportError(
            "rrscore's survival analysis fits its models with lifelines: "
            "pip install 'rrscore[stats]'"
        ) from err
    return ll


def _time_event(frame: pd.DataFrame, time: str | None, event: str | None
                ) -> tuple[pd.DataFrame, str, str, str]:
    """The table with ``time``/``event`` columns, their names, and the convention used."""
    if time is None and event is None:
        if {"time", "event"} <= set(frame.columns):
            return frame, "time", "event", "columns time and event as given"
        if has_tcga_survival(frame):
            derived = tcga_survival(frame)
            merged = frame.drop(columns=[c for c in derived.columns if c in frame.columns])
            merged = pd.concat([merged, derived], axis=1)
            return merged, "time", "event", derived.attrs["rrscore_stats"]["convention"]
        raise RRScoreError(
            "give time= and event= columns, or a TCGA-style clinical table (vital_status, "
            "days_to_death, days_to_last_followup) for rrscore.stats.tcga_survival"
        )
    if time is None or event is None:
        raise RRScoreError("give both time= and event=")
    for col in (time, event):
        if col not in frame.columns:
            raise RRScoreError(f"column {col!r} not in the clinical table "
                               f"({list(frame.columns)[:15]})")
    return frame, time, event, f"columns {time!r} and {event!r} as given"


def _time_values(series: pd.Series, column: str, derived: bool = False) -> pd.Series:
    """Follow-up times as numbers; a value that is not one, or a negative time, is an error
    naming the patient (coercing it to missing would drop the patient without a word).
    Times derived from TCGA fields (``derived``) may be negative in the source records
    (follow-up dated before diagnosis): those are left out with a warning."""
    numbers = pd.to_numeric(series, errors="coerce").astype(float)
    text = series.astype("string").str.strip()
    written = text.notna() & ~text.str.lower().isin(["", "na", "nan", "none", "null", "--",
                                                     "[not available]", "[not applicable]"])
    bad = written & numbers.isna()
    if bad.any():
        row = bad.idxmax()
        hint = " (a decimal comma? use a point)" if "," in str(text[row]) else ""
        raise RRScoreError(f"time column {column!r}: {str(text[row])!r} for {row!r} is not a "
                           f"number{hint}; {int(bad.sum())} such value(s)")
    negative = numbers < 0
    if negative.any() and derived:
        warn(f"survival: {int(negative.sum())} negative TCGA follow-up time(s) (e.g. "
             f"{negative.idxmax()!r}) left out", StatisticsWarning)
        return numbers.where(~negative)
    if negative.any():
        row = negative.idxmax()
        raise RRScoreError(f"time column {column!r}: {numbers[row]:g} for {row!r} is "
                           f"negative; {int(negative.sum())} negative time(s): a follow-up "
                           "time is the time from diagnosis (or treatment) to the event or "
                           "the last contact")
    return numbers


def _event_values(series: pd.Series) -> pd.Series:
    text = series.astype("string").str.strip().str.lower()
    mapped = text.map({"1": 1.0, "1.0": 1.0, "0": 0.0, "0.0": 0.0, "true": 1.0,
                       "false": 0.0, "dead": 1.0, "deceased": 1.0, "alive": 0.0,
                       "living": 0.0})
    if (text.notna() & mapped.isna()).any():
        raise RRScoreError(f"event column must hold 1/0 (or dead/alive); got e.g. "
                           f"{sorted(text[text.notna() & mapped.isna()].unique())[:5]}")
    return mapped.astype(float)


def _design(clinical: pd.DataFrame, names: Sequence[str], what: str) -> pd.DataFrame:
    """Numeric columns for ``names``: numbers as they are, text one-hot (first level left
    out as the reference)."""
    parts = []
    for name in names:
        if name not in clinical.columns:
            raise RRScoreError(f"{what} {name!r} not in the clinical table "
                               f"({list(clinical.columns)[:15]})")
        col = clinical[name]
        numeric = pd.to_numeric(col, errors="coerce")
        if col.notna().sum() and numeric.notna().sum() == col.notna().sum():
            parts.append(numeric.astype(float).rename(name))
        else:
            dummies = pd.get_dummies(col.astype("string"), prefix=name, prefix_sep="=",
                                     drop_first=True, dtype=float)
            dummies[col.isna().to_numpy()] = np.nan
            parts.append(dummies)
    return pd.concat(parts, axis=1) if parts else pd.DataFrame(index=clinical.index)


def _fit_one(ll, frame: pd.DataFrame, *, strata, penalizer: float, ci: float, check_ph: bool,
             interaction: str | None) -> tuple[list[dict], dict]:
    cph = ll.CoxPHFitter(penalizer=penalizer, alpha=1 - ci)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' convergence chatter; checked below
        cph.fit(frame, duration_col="time", event_col="event", strata=strata)
    summ = cph.summary
    zq = stats.norm.ppf(0.5 + ci / 2)
    ph = {}
    if check_ph:
        try:
            from lifelines.statistics import proportional_hazard_test

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                test = proportional_hazard_test(cph, frame, time_transform="rank")
            ph = {str(k): float(v) for k, v in test.summary["p"].items()}
        except Exception:  # noqa: BLE001 - a failed check leaves ph_pvalue NaN, never the fit
            ph = {}
    rows = []
    for term, r in summ.iterrows():
        coef, se = float(r["coef"]), float(r["se(coef)"])
        rows.append({"term": str(term), "coef": coef, "se": se, "hr": math.exp(coef),
                     "hr_ci_low": math.exp(coef - zq * se),
                     "hr_ci_high": math.exp(coef + zq * se),
                     "z": float(r["z"]), "pvalue": float(r["p"]),
                     "ph_pvalue": ph.get(str(term), math.nan)})
    if interaction is not None:
        # the score's effect among the treated: beta_score + beta_interaction
        product = f"{SCORE}:{interaction}"
        cov = cph.variance_matrix_
        coef = float(summ.loc[SCORE, "coef"] + summ.loc[product, "coef"])
        var = float(cov.loc[SCORE, SCORE] + cov.loc[product, product]
                    + 2 * cov.loc[SCORE, product])
        se = math.sqrt(max(var, 0.0))
        z = coef / se if se > 0 else math.nan
        rows.append({"term": f"{SCORE}|{interaction}=1", "coef": coef, "se": se,
                     "hr": math.exp(coef), "hr_ci_low": math.exp(coef - zq * se),
                     "hr_ci_high": math.exp(coef + zq * se), "z": z,
                     "pvalue": float(2 * stats.norm.sf(abs(z))), "ph_pvalue": math.nan})
    info = {"concordance": float(cph.concordance_index_)}
    return rows, info


def survival(
    scores,
    clinical: pd.DataFrame | None = None,
    *,
    time: str | None = None,
    event: str | None = None,
    key: str = "rrscore",
    sets: Sequence[str] | str | None = None,
    covariates: Sequence[str] = (),
    interaction: str | None = None,
    strata: Sequence[str] | str | None = None,
    standardize: bool = True,
    sample_key=None,
    penalizer: float = 0.0,
    ci: float = 0.95,
    check_ph: bool = True,
) -> pd.DataFrame:
    """Cox proportional-hazards model of each score (per SD), with covariates and an optional
    score × treatment interaction.

    Parameters
    ----------
    scores
        Samples × scores (DataFrame or Series), or an AnnData with scores in
        ``adata.obsm[key]`` (then ``sample_key`` is required: the patient of every cell).
    clinical
        One row per patient or sample with the outcome and covariates; aligned to the
        scores by label (TCGA barcodes match by sample, then by patient). Default: the
        score table's own columns (or ``adata.obs``).
    time, event
        Outcome columns (event 1/0 or dead/alive). Default: ``time``/``event`` columns when
        present, else derived from TCGA fields by :func:`rrscore.stats.tcga_survival`
        (its conventions; days).
    key
        ``adata.obsm`` key (AnnData input).
    sets
        Score columns to model (default: every numeric score column; label, outcome and
        covariate columns excluded).
    covariates
        Adjustment columns: numeric as they are, text one-hot with the first level as
        reference (e.g. ``"age"``, ``"stage_number"``, ``"stage"``).
    interaction
        A treatment column (1/0, e.g. ``"radiotherapy"``): adds the treatment and the
        ``score:treatment`` product. The ``score`` term is then the association among the
        untreated, ``score|treatment=1`` among the treated, and ``score:treatment`` their
        difference (the predictive test).
    strata
        Columns to stratify the baseline hazard by (e.g. the cohort or platform).
    standardize
        Scale each score to SD 1 (mean 0) over the patients in its model: hazard ratios
        per SD (default). False keeps the score's own units.
    sample_key
        For single-cell scores: patient of every cell; scores are averaged per patient.
    penalizer
        lifelines' L2 penalty (0: plain partial likelihood).
    ci
        Confidence level of the hazard-ratio intervals.
    check_ph
        Test proportional hazards per term (``ph_pvalue``; small values flag a violation).

    Returns
    -------
    pandas.DataFrame
        One row per score × term: ``score``, ``term`` (``score``, covariates,
        ``score:<treatment>``, ``score|<treatment>=1``), ``coef`` (log hazard ratio),
        ``se``, ``hr``, ``hr_ci_low``, ``hr_ci_high``, ``z``, ``pvalue``, ``qvalue``
        (Benjamini–Hochberg across scores, separately for each term), ``ph_pvalue``,
        ``n`` (patients in the model), ``n_events``, ``concordance`` (Harrell's C of the
        model), ``score_sd`` (the SD one unit stands for), ``model`` (the terms, in
        words; ``[quasi-separation ...]`` when a coefficient ran off, with a warning).
        ``.attrs["rrscore_stats"]`` holds the time/event convention. A score whose model
        does not converge gets one row with NaN and the reason in ``model``.

    Raises
    ------
    RRScoreError
        Missing columns, no patient with scores and outcome, or too few events.

    Warns
    -----
    StatisticsWarning
        Fewer than 10 events per model parameter: estimates are unstable and p-values
        approximate; report them as exploratory.
    """
    ll = lifelines()
    if not 0 < ci < 1:
        raise RRScoreError(f"ci must be in (0, 1), got {ci!r}")
    table, adata_obs, from_cells = score_table(scores, key=key)
    if clinical is None:
        clinical = adata_obs if adata_obs is not None else table
    rows = table.index
    if from_cells or sample_key is not None:
        if sample_key is None:
            raise RRScoreError("these scores are per cell: give sample_key=<patient column> "
                               "to average them per patient before the survival model")
        patients = labels_for(sample_key, rows, table=table, obs=adata_obs, what="sample_key")
        numeric = table.select_dtypes("number")
        table, _, _ = pseudobulk(numeric, pd.DataFrame({"patient": patients}))
        if clinical is adata_obs:  # one row per patient: its cells share the clinical fields
            clinical = adata_obs.groupby(patients.to_numpy(), observed=True).first()
        rows = table.index
    clinical, time, event, convention = _time_event(clinical, time, event)
    covariates = [covariates] if isinstance(covariates, str) else list(covariates)
    strata = [strata] if isinstance(strata, str) else list(strata or [])
    used = [time, event, *covariates, *strata] + ([interaction] if interaction else [])
    exclude = list(used) + ([sample_key] if isinstance(sample_key, str) else [])
    columns = score_columns(table, sets, exclude)
    aligned = align_rows(clinical, rows, what="clinical")
    derived = not convention.startswith("columns ")
    base = pd.DataFrame({"time": _time_values(aligned[time], time, derived),
                         "event": _event_values(aligned[event])}, index=rows)
    design = _design(aligned, covariates, "covariate")
    if interaction is not None:
        treat = _design(aligned, [interaction], "interaction")
        if treat.shape[1] != 1:
            raise RRScoreError(f"interaction column {interaction!r} must be one 1/0 treatment")
        base[interaction] = treat.iloc[:, 0]
    for name in strata:
        if name not in aligned.columns:
            raise RRScoreError(f"strata column {name!r} not in the clinical table")
        base[name] = aligned[name]
    base = pd.concat([base, design], axis=1)
    missing = int(base.isna().any(axis=1).sum())
    at_zero = int((base["time"] == 0).sum())
    if missing or at_zero:  # said once, not per score
        warn(f"survival: of {len(base)} patients, "
             + ", ".join(t for t in (
                 f"{missing} without a time, event or covariate value" if missing else "",
                 f"{at_zero} with time 0 (Cox needs time > 0)" if at_zero else "") if t)
             + " are left out of every model (each row's n says how many were used)",
             StatisticsWarning)

    out = []
    for col in columns:
        frame = base.copy()
        frame[SCORE] = pd.to_numeric(table[col], errors="coerce").astype(float)
        frame = frame.dropna()
        frame = frame[frame["time"] > 0]
        n, n_events = len(frame), int(frame["event"].sum())
        sd = float(frame[SCORE].std(ddof=1)) if n > 1 else math.nan
        if standardize and sd > 0:
            frame[SCORE] = (frame[SCORE] - frame[SCORE].mean()) / sd
        terms = [SCORE, *design.columns]
        if interaction is not None:
            frame[f"{SCORE}:{interaction}"] = frame[SCORE] * frame[interaction]
            terms += [interaction, f"{SCORE}:{interaction}"]
        frame = frame[["time", "event", *terms, *strata]]
        model = " + ".join(terms) + (f" | strata {', '.join(strata)}" if strata else "")
        common = {"score": col, "n": n, "n_events": n_events,
                  "score_sd": sd if standardize else 1.0, "model": model}
        if n_events < 1 or n < len(terms) + 2:
            out.append({**common, "term": SCORE, "model": f"not fitted: {n} patients, "
                        f"{n_events} events for {len(terms)} terms"})
            continue
        if n_events < 10 * len(terms):
            warn(f"survival: {col}: {n_events} events for {len(terms)} model terms (fewer "
                 "than 10 per term): hazard ratios are unstable and p-values approximate; "
                 "report them as exploratory", StatisticsWarning)
        try:
            fitted, info = _fit_one(ll, frame, strata=strata or None, penalizer=penalizer,
                                    ci=ci, check_ph=check_ph, interaction=interaction)
        except Exception as exc:  # noqa: BLE001 - lifelines' convergence errors vary by version
            out.append({**common, "term": SCORE,
                        "model": f"not fitted ({type(exc).__name__}): {exc}"[:300]})
            continue
        if any(abs(r["coef"]) > SEPARATION_COEF for r in fitted):
            # the partial likelihood keeps rising as a coefficient grows: the events are
            # (almost) separated by the terms, and the estimates and tests mean nothing
            common["model"] += f" [quasi-separation: |log HR| > {SEPARATION_COEF:g}]"
            warn(f"survival: {col}: a coefficient ran beyond |log HR| = {SEPARATION_COEF:g} "
                 "(the events are almost separated by the model's terms); its estimates "
                 "and p-values are not interpretable", StatisticsWarning)
        out.extend({**common, **info, **r} for r in fitted)
    result = pd.DataFrame(out).reindex(columns=list(COLUMNS))
    result["qvalue"] = np.nan
    for _, idx in result.groupby("term", sort=False).groups.items():
        result.loc[idx, "qvalue"] = bh_qvalues(result.loc[idx, "pvalue"])
    result.attrs["rrscore_stats"] = {"analysis": "survival (Cox)", "convention": convention,
                                     "standardize": standardize, "ci": ci,
                                     "lifelines": ll.__version__}
    return result
