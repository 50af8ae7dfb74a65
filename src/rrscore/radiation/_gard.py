"""Genomic-adjusted radiation dose (GARD, Scott et al. 2017) and its inverse (RxRSI).

GARD reads RSI as SF2, the surviving fraction after one 2-Gy fraction, in the linear-quadratic
(LQ) model SF2 = exp(-2·alpha - 4·beta) with a fixed beta (0.05 Gy^-2), which gives

    alpha = -ln(RSI)/2 - 2·beta          (= -ln(RSI)/2 - 0.1 for beta = 0.05)
    GARD  = n·d·(alpha + beta·d)         (n fractions of d Gy; the LQ log cell kill, E)

For 2-Gy fractions GARD = -n·ln(RSI). The inverse (the dose behind RxRSI, Scott et al., JTO
2021) is the total dose D = n·d that reaches a target GARD at d Gy per fraction:
D = target / (alpha + beta·d). Both agree with ``mcbi9hm2/clinical_oncology_RSI@5276a42:
script_OS.R`` and with Scott et al.'s worked values (RSI 0.30 at 30 × 2 Gy → 36.12).

**Not for dose decisions.** GARD and the dose behind RxRSI are research quantities: rrscore
implements the published formulas, it does not validate them for a patient, and an RSI that is
off its published scale (log-ratio or RNA-seq data; :func:`rrscore.radiation.rsi` warns) gives
a GARD off its scale too. When ``rsi`` is the Series :func:`rrscore.rsi` returned, its record
says whether it was on the published scale, and :func:`gard` / :func:`dose_for_gard` warn again
(:class:`~rrscore.errors.RadiationModelWarning`) when it was not.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from rrscore.errors import RadiationModelWarning, RRScoreError, warn

NONPOSITIVE_POLICIES = ("nan", "error", "clip")

#: Default RSI floor for ``nonpositive="clip"``: the smallest RSI in the pooled clinical data of
#: Scott et al. 2021 as redistributed by H. Mistry is exactly 0.0100, which suggests that floor
#: (not confirmed from the paper).
RSI_FLOOR = 0.01


def _positive_param(value, name: str, *, allow_zero: bool = False) -> np.ndarray:
    arr = np.asarray(value.to_numpy() if isinstance(value, pd.Series) else value, dtype=float)
    bad = ~np.isfinite(arr) | ((arr < 0) if allow_zero else (arr <= 0))
    if bad.any():
        need = "non-negative" if allow_zero else "positive"
        got = f"got {value!r}" if arr.ndim == 0 else f"{int(bad.sum())} values are not"
        raise RRScoreError(f"{name} must be finite and {need}; {got}")
    return arr


def _warn_off_scale(rsi, what: str) -> None:
    """Warn when ``rsi`` is an RSI Series whose record says it is off the published scale."""
    if not isinstance(rsi, pd.Series):
        return
    record = rsi.attrs.get("rrscore")
    scale = record.get("scale") if isinstance(record, dict) else None
    if isinstance(scale, dict) and scale.get("on_published_scale") is False:
        warn(
            f"{what} computed from RSI that is off its published scale ({scale.get('reason')}): "
            "its values are not comparable with published GARD values; not for dose decisions",
            RadiationModelWarning,
        )


def _as_rsi_array(rsi) -> tuple[np.ndarray, pd.Index | None, str]:
    """RSI as a float array plus what is needed to give the caller back the same kind."""
    if isinstance(rsi, pd.DataFrame):
        raise RRScoreError("rsi must be a number, an array or a Series (one RSI per sample)")
    if isinstance(rsi, pd.Series):
        return rsi.to_numpy(dtype=float, na_value=np.nan), rsi.index, "series"
    arr = np.asarray(rsi, dtype=float)
    return arr, None, "scalar" if arr.ndim == 0 else "array"


def _aligned(value, index: pd.Index | None, name: str):
    """A per-sample schedule Series is aligned to the RSI Series' index."""
    if isinstance(value, pd.Series):
        if index is None:
            return value.to_numpy(dtype=float)
        missing = index.difference(value.index)
        if len(missing):
            raise RRScoreError(
                f"{name} has no value for {len(missing)} samples, e.g. {list(missing[:5])}"
            )
        return value.reindex(index).to_numpy(dtype=float)
    return value


def _labels(mask: np.ndarray, index: pd.Index | None) -> str:
    where = np.flatnonzero(np.ravel(mask))
    names = [str(index[i]) for i in where[:5]] if index is not None else [int(i) for i in where[:5]]
    return f"{names}{' ...' if len(where) > 5 else ''}"


def _alpha(
    rsi: np.ndarray, beta: float, nonpositive: str, floor: float, index: pd.Index | None,
) -> np.ndarray:
    """LQ alpha from RSI read as SF2, applying the policy for RSI <= 0."""
    if nonpositive not in NONPOSITIVE_POLICIES:
        raise RRScoreError(
            f"nonpositive must be one of {NONPOSITIVE_POLICIES}, got {nonpositive!r}"
        )
    rsi = np.array(rsi, dtype=float)
    with np.errstate(invalid="ignore"):
        bad = rsi <= 0  # NaN compares False: NaN RSI simply stays NaN
    if np.isinf(rsi).any():
        raise RRScoreError("RSI values must be finite (NaN is allowed and gives NaN)")
    if nonpositive == "clip":
        if not (np.isfinite(floor) and floor > 0):
            raise RRScoreError(f"floor must be a positive number, got {floor!r}")
        with np.errstate(invalid="ignore"):
            rsi = np.where(rsi < floor, floor, rsi)
    elif bad.any():
        msg = (
            f"{int(bad.sum())} RSI values are <= 0, where ln(RSI) and so GARD are undefined: "
            f"{_labels(bad, index)}"
        )
        if nonpositive == "error":
            raise RRScoreError(msg + "; pass nonpositive='nan' or 'clip'")
        warn(msg + "; set to NaN", RadiationModelWarning)
        rsi[bad] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        return -np.log(rsi) / 2.0 - 2.0 * beta


def _wrap(values: np.ndarray, kind: str, index: pd.Index | None, name: str):
    if kind == "series":
        return pd.Series(values, index=index, name=name)
    values = np.asarray(values, dtype=float)
    # A scalar RSI with per-sample schedules broadcasts to an array.
    return float(values) if values.ndim == 0 else values


def gard(
    rsi,
    fractions=30,
    dose=2.0,
    beta: float = 0.05,
    *,
    nonpositive: Literal["nan", "error", "clip"] = "nan",
    floor: float = RSI_FLOOR,
):
    """Genomic-adjusted radiation dose: GARD = n·d·(alpha + beta·d), alpha = -ln(RSI)/2 - 2·beta.

    Not for dose decisions: GARD is a research quantity (see :mod:`rrscore.radiation._gard`);
    it is only on its published scale when RSI is (RMA log2 U133 array data).

    Parameters
    ----------
    rsi
        RSI per sample: a number, an array, or a Series (e.g. from :func:`rrscore.rsi`).
    fractions
        Number of fractions n (default 30). A number, or per sample an array / a Series
        (aligned to ``rsi``'s index when both are Series).
    dose
        Dose per fraction d in Gy (default 2.0); number, array or Series as ``fractions``.
    beta
        LQ beta in Gy^-2 (default 0.05, fixed in Scott et al.). It enters both alpha (through
        SF2 = exp(-2·alpha - 4·beta), hence the constant 0.1 = 2·beta) and the dose term.
    nonpositive
        Policy for RSI <= 0, where ln(RSI) is undefined (raw RSI can reach -0.6051):
        ``"nan"`` (default) gives NaN with a warning naming the samples; ``"error"`` raises;
        ``"clip"`` raises every RSI below ``floor`` to ``floor`` first.
    floor
        RSI floor for ``nonpositive="clip"`` (default 0.01, see :data:`RSI_FLOOR`).

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Same kind as ``rsi`` (a Series keeps its index and is named ``"GARD"``). NaN RSI gives
        NaN. RSI >= 1 gives GARD <= 0 for 2-Gy fractions: the LQ model then predicts no net
        cell kill, and the value is returned as computed.

    Examples
    --------
    >>> round(gard(0.30), 2)   # 30 x 2 Gy
    36.12
    >>> round(gard(0.30, fractions=33, dose=1.8), 2)
    35.16
    """
    _warn_off_scale(rsi, "GARD")
    values, index, kind = _as_rsi_array(rsi)
    n = _positive_param(_aligned(fractions, index, "fractions"), "fractions")
    d = _positive_param(_aligned(dose, index, "dose"), "dose")
    b = float(_positive_param(beta, "beta", allow_zero=True))
    alpha = _alpha(values, b, nonpositive, floor, index)
    return _wrap(n * d * (alpha + b * d), kind, index, "GARD")


def dose_for_gard(
    rsi,
    target,
    dose=2.0,
    beta: float = 0.05,
    *,
    nonpositive: Literal["nan", "error", "clip"] = "nan",
    floor: float = RSI_FLOOR,
):
    """Total physical dose (Gy) needed to reach a target GARD at ``dose`` Gy per fraction.

    Not for dose decisions: this is the published RxRSI arithmetic for research; rrscore does
    not validate it for choosing a patient's dose (see :mod:`rrscore.radiation._gard`).

    Solves n·d·(alpha + beta·d) = target for the total dose D = n·d, so
    D = target / (alpha + beta·d) with alpha = -ln(RSI)/2 - 2·beta (RxRSI, Scott et al. 2021).
    The number of fractions is D / dose (not rounded).

    Parameters
    ----------
    rsi
        RSI per sample: number, array or Series.
    target
        Target GARD (> 0), a number or per sample (array / Series aligned to ``rsi``).
    dose, beta, nonpositive, floor
        As in :func:`gard`.

    Returns
    -------
    float, numpy.ndarray or pandas.Series
        Total dose in Gy, the same kind as ``rsi`` (a Series is named ``"dose_for_gard"``).
        Where alpha + beta·d <= 0 (RSI >= exp(-2·beta·(2 - d)), e.g. RSI >= 1 at 2 Gy) each
        fraction has no net predicted effect, no finite dose reaches the target, and the
        result is ``inf`` with a warning naming the samples. NaN RSI gives NaN.

    Examples
    --------
    >>> round(dose_for_gard(0.30, 36.12), 1)
    60.0
    """
    _warn_off_scale(rsi, "dose_for_gard")
    values, index, kind = _as_rsi_array(rsi)
    t = _positive_param(_aligned(target, index, "target"), "target")
    d = _positive_param(_aligned(dose, index, "dose"), "dose")
    b = float(_positive_param(beta, "beta", allow_zero=True))
    effect = _alpha(values, b, nonpositive, floor, index) + b * d
    with np.errstate(invalid="ignore"):
        unreachable = effect <= 0
    if np.any(unreachable):
        warn(
            f"{int(np.sum(unreachable))} samples have alpha + beta*d <= 0 (no net cell kill "
            f"per fraction in the LQ model), so no finite dose reaches the target GARD: "
            f"{_labels(np.broadcast_to(unreachable, np.shape(effect)), index)}; returned inf",
            RadiationModelWarning,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        total = np.where(unreachable, np.inf, t / effect)
    return _wrap(total, kind, index, "dose_for_gard")
