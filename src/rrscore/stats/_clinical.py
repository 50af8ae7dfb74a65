"""Survival time, event, radiotherapy, stage and age from TCGA-style clinical tables.

Conventions (:func:`tcga_survival`), written out because TCGA clinical data record them in
several places (the baseline form and the newest follow-up form, ``fu_*`` below):

* **event** (overall survival): 1 when any vital status reads ``dead``/``deceased`` or any
  days-to-death is recorded; else 0 (censored).
* **time**: for deaths, days to death — the follow-up form's value first (the newest
  record), else the baseline one; for the censored, the *latest* days to last follow-up of
  either form (the last contact). Deaths without a day count and times ≤ 0 are left out
  (``time`` NaN): a time of 0 carries no information for Cox or Kaplan–Meier.
* ``censor_at``: administrative censoring (e.g. 5 years): later times become
  ``censor_at`` with event 0.
* **radiotherapy** ``"any"``: 1 when the baseline or follow-up ``radiation_therapy`` says
  yes or a radiation record exists; 0 when a form says no and none says yes; NaN when
  unknown. ``"primary"``: 1 only for radiation to the primary tumour field or adjuvant
  radiation (the radiotherapy whose benefit a predictive score is about); patients
  irradiated only for recurrence, metastases or palliation are NaN (left out), never 0.
  TCGA rarely records radiotherapy dose or timing well: treat it as a coarse label.
* **stage**: the pathologic stage collapsed to ``I``–``IV`` (``stage iiia`` → ``III``) and
  ``stage_number`` 1–4; **age** from ``age_at_diagnosis`` (or ``age``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError

UNITS = {"days": 1.0, "months": 365.25 / 12, "years": 365.25}
RADIOTHERAPY = ("any", "primary")

_VITAL = ("fu_vital_status", "vital_status", "status")
_DEATH = ("fu_days_to_death", "days_to_death")
_FOLLOWUP = ("fu_days_to_last_followup", "days_to_last_followup", "days_to_last_follow_up")
_DEAD = {"dead", "deceased", "1", "true"}
_YES = {"yes", "true", "1"}
_NO = {"no", "false", "0"}
_STAGE = re.compile(r"stage\s*(iv|iii|ii|i)(?![iv])", re.IGNORECASE)
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=object)
    return frame[column].astype("string").str.strip().str.lower()


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype=float)
    return pd.to_numeric(frame[column], errors="coerce").astype(float)


def has_tcga_survival(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` has a vital status and a days-to-death or follow-up column."""
    cols = set(frame.columns)
    return bool(cols & set(_VITAL)) and bool(cols & (set(_DEATH) | set(_FOLLOWUP)))


def tcga_stage(stage: pd.Series) -> pd.DataFrame:
    """``stage`` (``I``–``IV``) and ``stage_number`` (1–4) from TCGA pathologic stage text."""
    numbers = []
    for value in stage.astype("string").fillna(""):
        match = _STAGE.search(str(value))
        numbers.append(_ROMAN[match.group(1).lower()] if match else np.nan)
    number = pd.Series(numbers, index=stage.index, dtype=float)
    roman = number.map({1.0: "I", 2.0: "II", 3.0: "III", 4.0: "IV"})
    return pd.DataFrame({"stage": roman, "stage_number": number})


def tcga_radiotherapy(clinical: pd.DataFrame, definition: str = "any") -> pd.Series:
    """Radiotherapy 1/0/NaN per patient (see the module's conventions for ``definition``)."""
    if definition not in RADIOTHERAPY:
        raise RRScoreError(f"radiotherapy must be one of {list(RADIOTHERAPY)}, got "
                           f"{definition!r}")
    flags = [_text(clinical, c) for c in ("radiation_therapy", "fu_radiation_therapy")]
    record = _text(clinical, "rt_record_present").isin(_YES)
    yes = record.copy()
    no = pd.Series(False, index=clinical.index)
    for flag in flags:
        yes |= flag.isin(_YES).fillna(False)
        no |= flag.isin(_NO).fillna(False)
    yes = yes.fillna(False).astype(bool)
    out = pd.Series(np.nan, index=clinical.index, dtype=float, name="radiotherapy")
    out[no.astype(bool) & ~yes] = 0.0
    if definition == "any":
        out[yes] = 1.0
        return out
    site = _text(clinical, "rt_site")
    indication = _text(clinical, "rt_regimen_indication")
    primary = (site.eq("primary tumor field") | indication.eq("adjuvant")).fillna(False)
    out[yes & primary.astype(bool)] = 1.0
    return out


def tcga_survival(
    clinical: pd.DataFrame,
    *,
    unit: str = "days",
    censor_at: float | None = None,
    radiotherapy: str = "any",
) -> pd.DataFrame:
    """Overall survival and the usual covariates from a TCGA-style clinical table.

    Parameters
    ----------
    clinical
        One row per patient or sample (index: barcode), with ``vital_status`` and
        ``days_to_death``/``days_to_last_followup`` (optionally their follow-up-form copies
        ``fu_vital_status``, ``fu_days_to_death``, ``fu_days_to_last_followup``, as in the
        RTCGA tables; ``status`` is read as a vital status), and optionally
        ``radiation_therapy``, ``fu_radiation_therapy``, ``rt_record_present``,
        ``rt_site``, ``rt_regimen_indication``, ``pathologic_stage``,
        ``age_at_diagnosis``/``age``.
    unit
        ``"days"`` (default), ``"months"`` (30.44 days) or ``"years"`` (365.25 days).
    censor_at
        Administrative censoring time, in ``unit``.
    radiotherapy
        ``"any"`` or ``"primary"`` (module docstring).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``clinical``: ``time`` (in ``unit``; NaN when unusable), ``event``
        (1 death, 0 censored; NaN with ``time``), ``radiotherapy`` (1/0/NaN), ``age``,
        ``stage`` (``I``–``IV``), ``stage_number`` (1–4). ``.attrs["rrscore_stats"]``
        states the conventions and counts what was left out.

    Raises
    ------
    RRScoreError
        Without a vital status or any days column, or for an unknown ``unit``.
    """
    if unit not in UNITS:
        raise RRScoreError(f"unit must be one of {list(UNITS)}, got {unit!r}")
    if not has_tcga_survival(clinical):
        raise RRScoreError(
            "the clinical table needs a vital status (vital_status, fu_vital_status or "
            "status) and days_to_death / days_to_last_followup columns; it has "
            f"{list(clinical.columns)[:15]}"
        )
    dead = pd.Series(False, index=clinical.index)
    for col in _VITAL:
        dead |= _text(clinical, col).isin(_DEAD).fillna(False).astype(bool)
    death_time = pd.Series(np.nan, index=clinical.index)
    for col in _DEATH:  # the follow-up form (newest) first
        death_time = death_time.fillna(_number(clinical, col))
    dead |= death_time.notna()
    last_contact = pd.concat([_number(clinical, c) for c in _FOLLOWUP], axis=1).max(axis=1)
    time = pd.Series(np.where(dead, death_time, last_contact), index=clinical.index)
    event = dead.astype(float)
    n_dead_no_time = int((dead & death_time.isna()).sum())
    n_nonpositive = int((time <= 0).sum())
    time = time.where(time > 0)
    time = time / UNITS[unit]
    if censor_at is not None:
        late = time > censor_at
        time = time.where(~late, float(censor_at))
        event = event.where(~late, 0.0)
    event = event.where(time.notna())
    out = pd.DataFrame({"time": time, "event": event}, index=clinical.index)
    out["radiotherapy"] = tcga_radiotherapy(clinical, radiotherapy)
    age_col = next((c for c in ("age_at_diagnosis", "age") if c in clinical.columns), None)
    out["age"] = _number(clinical, age_col) if age_col else np.nan
    stage = tcga_stage(clinical["pathologic_stage"]) if "pathologic_stage" in clinical.columns \
        else pd.DataFrame({"stage": np.nan, "stage_number": np.nan}, index=clinical.index)
    out = pd.concat([out, stage], axis=1)
    out.attrs["rrscore_stats"] = {
        "convention": (
            "overall survival; event = any vital status dead or a days-to-death recorded; "
            "time = days to death (follow-up form first) for deaths, else the latest days "
            f"to last follow-up; times <= 0 left out; unit {unit}"
            + (f"; censored at {censor_at} {unit}" if censor_at is not None else "")
            + f"; radiotherapy '{radiotherapy}'"
        ),
        "n": int(len(out)),
        "n_usable": int(out["time"].notna().sum()),
        "n_events": int(out["event"].sum()),
        "n_dead_without_time": n_dead_no_time,
        "n_time_not_positive": n_nonpositive,
    }
    return out
