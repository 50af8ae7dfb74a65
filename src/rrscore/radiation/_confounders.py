"""Confounders beside the composite, and the optional adjustment of mechanism scores for them.

In bulk tumours much of a mechanism score's variation is tumour composition and cycling, not
radiation biology: on TCGA LUAD an OLS of the review-based composite on a proliferation score
and ESTIMATE's stromal and immune scores gave R² ≈ 0.69 (issue 11). The composite therefore
reports three columns beside it, from the bundled ``"confounders"`` collection (sets
``PROLIFERATION``, ``ESTIMATE_STROMAL``, ``ESTIMATE_IMMUNE``; sources in
``genesets/README.md``): ``proliferation``, ``stromal`` and ``immune``. They are scored with
the composite's method and standardised on the reference exactly like the mechanisms
(``z = (score − reference mean) / reference SD``).

**Adjustment** (``adjust=``, off by default). For each mechanism ``m`` an ordinary least-squares
fit on the reference cohort, ``z_m = a_m + Σ_c b_mc · z_c + e`` over the chosen confounders
``c``, gives coefficients that are stored with the reference; every sample scored against it
(a single new sample included) then gets ``z_m − (a_m + Σ_c b_mc · z_c)``, the residual, in
place of ``z_m``, and the composite is built from these residuals (its reference distribution
too). The residuals are not rescaled: on the reference their SD is ``sqrt(1 − R²_m)``.

What adjustment means: the adjusted score is the part of a mechanism's score that is not
linearly predicted by the confounders *in the reference cohort*. What it does not mean: it is
not a purified, tumour-cell-intrinsic measurement (the confounder scores are themselves gene-set
estimates, the relation may be non-linear or differ in another cohort, and a mechanism carried
by stroma — CAFs, immune escape — is largely removed by definition). Proliferation is both
sensitising (cycling cells in G2/M are radiosensitive, per fraction) and a driver of
resistance over a fractionated course (repopulation between fractions): adjusting for it removes
a real part of the radiation biology, not only a nuisance. Report adjusted and unadjusted scores
side by side and do not read either as a dose recommendation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.genesets._bundled import is_bundled, load
from rrscore.genesets._coerce import as_collection
from rrscore.genesets._model import GeneSet

#: Sets of the confounders collection → the result columns.
CONFOUNDER_COLUMNS: Mapping[str, str] = {
    "PROLIFERATION": "proliferation",
    "ESTIMATE_STROMAL": "stromal",
    "ESTIMATE_IMMUNE": "immune",
}

#: The bundled collection of confounder sets.
BUNDLED_CONFOUNDERS = "confounders"

#: Prefix of confounder part sets in the scoring run (never a mechanism's name).
TAG = "confounder::"


def resolve_confounders(confounders) -> tuple[dict[str, GeneSet], dict[str, dict]]:
    """The confounder sets to score beside the mechanisms, by result column.

    Parameters
    ----------
    confounders
        ``None``: the bundled ``"confounders"`` collection when this installation has it (no
        confounder columns otherwise); ``False``: none; or any gene-set specification whose
        sets are named ``PROLIFERATION``, ``ESTIMATE_STROMAL``, ``ESTIMATE_IMMUNE`` (columns
        ``proliferation``, ``stromal``, ``immune``; any other set gives the column
        ``confounder_<name>``).

    Returns
    -------
    sets
        Column → gene set (renamed to the column).
    info
        Column → ``{"collection", "collection_version", "set"}``.
    """
    if confounders is False:
        return {}, {}
    if confounders is None:
        if not is_bundled(BUNDLED_CONFOUNDERS):
            return {}, {}
        collection = load(BUNDLED_CONFOUNDERS)
    else:
        collection = as_collection(confounders)
    sets, info = {}, {}
    for gs in collection:
        column = CONFOUNDER_COLUMNS.get(gs.name.upper(), f"confounder_{gs.name}")
        if column in sets:
            raise RRScoreError(f"two confounder sets give the column {column!r}")
        sets[column] = GeneSet(column, gs.up, gs.down)
        info[column] = {"collection": str(collection.name),
                        "collection_version": str(collection.version), "set": gs.name}
    return sets, info


def check_adjust(adjust, available: Sequence[str]) -> tuple[str, ...]:
    """Validate ``adjust=``: a subset of the confounder columns (strings), in order.

    Parameters
    ----------
    adjust
        None or an empty sequence (no adjustment), a column name, or a sequence of them.
    available
        The confounder columns that can be scored.

    Returns
    -------
    tuple of str

    Raises
    ------
    RRScoreError
        For a name that is not a confounder column, or a name given twice.
    """
    if adjust is None or adjust is False:
        return ()
    names = (adjust,) if isinstance(adjust, str) else tuple(str(a) for a in adjust)
    unknown = [a for a in names if a not in available]
    if unknown:
        raise RRScoreError(
            f"adjust names {unknown}, which are not confounder columns; available: "
            f"{list(available) or 'none (no confounders collection is bundled: pass confounders=)'}"
        )
    if len(set(names)) != len(names):
        raise RRScoreError(f"adjust lists a confounder twice: {list(names)}")
    return names


def _design(confounders: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    x = confounders[list(names)].to_numpy(dtype=float)
    return np.column_stack([np.ones(len(x)), x])


def fit_adjustment(z: pd.DataFrame, confounders: pd.DataFrame,
                   names: Sequence[str]) -> dict:
    """OLS of each mechanism's z on the confounders' z over the reference samples.

    Parameters
    ----------
    z
        Reference samples × mechanisms (standardised scores).
    confounders
        Reference samples × confounder columns (standardised scores).
    names
        The confounders to adjust for.

    Returns
    -------
    dict
        ``{"confounders": [...], "coefficients": {mechanism: {"intercept": a, name: b,
        ...}}, "r2": {mechanism: R²}, "n_samples": n}`` (plain floats).

    Raises
    ------
    RRScoreError
        When fewer than ``len(names) + 2`` reference samples have every value, or the
        confounders are collinear on the reference.
    """
    x = _design(confounders, names)
    coefficients, r2 = {}, {}
    rows = np.isfinite(x).all(axis=1)
    n_used = int(rows.sum())
    for m in z.columns:
        y = z[m].to_numpy(dtype=float)
        ok = rows & np.isfinite(y)
        if ok.sum() < len(names) + 2:
            raise RRScoreError(
                f"adjusting {m} for {list(names)} needs at least {len(names) + 2} reference "
                f"samples with every score; {int(ok.sum())} have them"
            )
        xm = x[ok]
        if np.linalg.matrix_rank(xm) < xm.shape[1]:
            raise RRScoreError(
                f"the confounders {list(names)} are collinear on the reference: they cannot "
                "all be adjusted for"
            )
        beta = np.linalg.lstsq(xm, y[ok], rcond=None)[0]
        resid = y[ok] - xm @ beta
        centred = y[ok] - y[ok].mean()
        ss_tot = float(centred @ centred)
        r2[m] = float(1.0 - (resid @ resid) / ss_tot) if ss_tot > 0 else float("nan")
        coefficients[m] = {"intercept": float(beta[0]),
                           **{c: float(b) for c, b in zip(names, beta[1:], strict=True)}}
    return {"confounders": list(names), "coefficients": coefficients, "r2": r2,
            "n_samples": n_used}


def apply_adjustment(z: pd.DataFrame, confounders: pd.DataFrame, adjustment: Mapping
                     ) -> pd.DataFrame:
    """Residuals ``z_m − (a_m + Σ b_mc · z_c)`` with the stored coefficients.

    Parameters
    ----------
    z
        Samples × mechanisms.
    confounders
        Samples × confounder columns (NaN gives NaN residuals).
    adjustment
        The record of :func:`fit_adjustment` (or its JSON form).

    Returns
    -------
    pandas.DataFrame
        Same shape as ``z``.
    """
    names = list(adjustment["confounders"])
    x = _design(confounders, names)
    out = z.copy()
    for m in z.columns:
        coef = adjustment["coefficients"][m]
        beta = np.array([coef["intercept"], *(coef[c] for c in names)], dtype=float)
        out[m] = z[m].to_numpy(dtype=float) - x @ beta
    return out


def r_squared(y: pd.Series, confounders: pd.DataFrame) -> float:
    """R² of an OLS of ``y`` on all confounder columns (with intercept); NaN when undefined."""
    if confounders.shape[1] == 0:
        return float("nan")
    x = np.column_stack([np.ones(len(y)), confounders.to_numpy(dtype=float)])
    values = y.to_numpy(dtype=float)
    ok = np.isfinite(x).all(axis=1) & np.isfinite(values)
    if ok.sum() < x.shape[1] + 1:
        return float("nan")
    beta = np.linalg.lstsq(x[ok], values[ok], rcond=None)[0]
    resid = values[ok] - x[ok] @ beta
    centred = values[ok] - values[ok].mean()
    ss_tot = float(centred @ centred)
    return float(1.0 - (resid @ resid) / ss_tot) if ss_tot > 0 else float("nan")
