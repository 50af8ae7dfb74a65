"""What the composite returns: the result table, its record, and the contributions.

Columns, in order: one per mechanism (its standardised score, or its residual after
``adjust=``), ``composite``, ``composite_percentile``, the confounder columns
(``proliferation``, ``stromal``, ``immune``: standardised like the mechanisms, never adjusted,
never in the composite), the driver columns with ``mutations=``, and with ``significance=`` two
columns per mechanism, ``<mechanism>_null_z`` and ``<mechanism>_p``
(:mod:`rrscore.radiation._significance`). ``.attrs["rrscore"]`` records how the scores were made
(:func:`record`): method, read-outs, part weights, weights, adjustment, reference and input.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from rrscore._records import plain
from rrscore.errors import RRScoreError
from rrscore.radiation._drivers import driver_component
from rrscore.radiation._parts import part_weights
from rrscore.radiation._significance import mechanism_null, n_perm_of

# The scorer imports this module, so the scorer's type is not imported here (no cycle):
# ``scorer`` arguments are fitted RadioresistanceScorer objects.
RadioresistanceScorer = Any

#: The composite's definition version (composite v2: read-outs, part weights, confounders).
COMPOSITE_VERSION = 2

STANDARDISATION = "z = (score - reference mean) / reference SD (ddof=1)"


class RadioresistanceResult(NamedTuple):
    """What ``return_contributions=True`` returns (unpacks as a tuple).

    Attributes
    ----------
    scores
        The usual result: samples × (mechanisms, ``composite``, ``composite_percentile``,
        confounders, and with mutations the driver columns, with ``significance`` the
        ``_null_z``/``_p`` columns).
    contributions
        Samples × mechanisms: ``weight × standardised score`` (after adjustment when
        ``adjust=`` is set); each row sums to the composite.
    scorer
        The fitted :class:`RadioresistanceScorer` (its reference statistics, coverage report,
        and :meth:`~RadioresistanceScorer.save` to reuse the reference).
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame
    scorer: RadioresistanceScorer


def readout_record(scorer: RadioresistanceScorer) -> dict:
    """Per mechanism: where its genes come from, its direction and part weights."""
    out = {}
    for m in scorer.mechanisms_:
        info = dict(scorer.readouts_.get(m, {}))
        k_up, k_dn = len(scorer.genes_[m]["up"]), len(scorer.genes_[m]["down"])
        info["n_genes"] = {"up": k_up, "down": k_dn}
        info["part_weights"] = part_weights(k_up, k_dn)
        out[m] = info
    return plain(out)


def record(scorer: RadioresistanceScorer, weights: pd.Series, prep, notes: dict) -> dict:
    """The ``.attrs["rrscore"]`` record of a result (plain data).

    Parameters
    ----------
    scorer
        The fitted scorer.
    weights
        The mechanism weights used (renormalised when some mechanisms are NaN).
    prep
        The prepared input of the scoring run.
    notes
        Extra entries (genes missing, mechanisms unscored, significance, input scale).
    """
    adjustment = scorer.adjustment_
    return {
        "method": scorer.method_,
        "params": dict(scorer.method_params_),
        "composite_version": COMPOSITE_VERSION,
        "definition": scorer.definition_,
        "collection": scorer.collection_name_,
        "collection_version": scorer.collection_version_,
        "mechanisms": list(scorer.mechanisms_),
        "weights": {m: float(w) for m, w in weights.items()},
        "readouts": readout_record(scorer),
        "standardisation": STANDARDISATION,
        "confounders": {
            "columns": list(scorer.confounders_),
            "sets": plain(scorer.confounder_info_),
            "composite_r2_reference": scorer.composite_r2_,
            "in_composite": False,
        },
        "adjustment": None if adjustment is None else plain(adjustment),
        "reference": {
            "source": scorer.reference_source_,
            "n_samples": scorer.n_reference_,
            "n_genes": scorer.n_genes_reference_,
        },
        "input": plain(prep.expr.report.to_dict()),
        **plain(notes),
    }


def assemble(scorer: RadioresistanceScorer, z: pd.DataFrame, composite: pd.Series,
             confounders: pd.DataFrame, drivers: pd.DataFrame | None,
             significance: tuple | None) -> pd.DataFrame:
    """The result table in the module's column order."""
    scores = z.copy()
    scores["composite"] = composite
    scores["composite_percentile"] = scorer.percentile(composite)
    for column in confounders.columns:
        scores[column] = confounders[column]
    if drivers is not None:
        drivers = drivers.copy()
        drivers.index = scores.index
        scores = pd.concat([scores, drivers], axis=1)
    if significance is not None:
        null_z, pvalue = significance
        for m in scorer.mechanisms_:
            scores[f"{m}_null_z"] = null_z[m]
        for m in scorer.mechanisms_:
            scores[f"{m}_p"] = pvalue[m]
    scores.columns.name = None
    return scores


def build_output(scorer: RadioresistanceScorer, raw: pd.DataFrame, conf_raw: pd.DataFrame,
                 parts, *, mutations, sequenced, significance, seed: int,
                 return_contributions: bool, notes: dict, run_kw: dict):
    """Standardise, adjust and combine; add drivers and significance; record.

    Parameters
    ----------
    scorer
        The fitted scorer.
    raw, conf_raw
        Samples × mechanisms and samples × confounders: the unstandardised scores.
    parts
        The :class:`~rrscore.radiation._scoring.PartScores` of the run.
    mutations, sequenced, significance, seed, return_contributions
        As in :meth:`RadioresistanceScorer.transform`.
    notes
        Entries for the record (genes missing, names unscored).
    run_kw
        Run options, reused for the random sets.

    Returns
    -------
    pandas.DataFrame or RadioresistanceResult
    """
    z, conf_z = scorer._zscores(raw, conf_raw)
    z = scorer._adjusted(z, conf_z)
    weights, composite = scorer._combine(z)
    scale = parts.run.input_scale or {}
    # the kind only: the evidence quotes numbers of these samples, and results scored against
    # one reference must keep equal records to concatenate
    notes = {**notes, "input_scale": {k: scale[k] for k in ("kind", "fits_method") if k in scale},
             "significance": None}
    sig = None
    n_perm = n_perm_of(significance)
    if n_perm:
        spec, params = scorer._spec_and_params()
        if not spec.is_sample_independent(params):
            raise RRScoreError(
                f"significance needs a sample-independent method; {spec.name} with these "
                "parameters scores a sample relative to the others"
            )
        null_z, pvalue, info = mechanism_null(
            parts.run.prepared.expr, scorer.genes_, scorer.directions_, raw, scorer.method_,
            scorer.method_params_, n_perm=n_perm, seed=seed,
            run_kw={k: v for k, v in run_kw.items() if k != "progress"})
        sig = (null_z, pvalue)
        notes["significance"] = info
    drivers = None
    if mutations is not None:
        drivers, notes["drivers"] = driver_component(mutations, z.index, sequenced=sequenced)
    elif sequenced is not None:
        raise RRScoreError("sequenced= lists the samples sequenced for mutations=; pass the "
                           "mutations too")
    scores = assemble(scorer, z, composite, conf_z, drivers, sig)
    scores.attrs["rrscore"] = record(scorer, weights, parts.run.prepared, notes)
    if not return_contributions:
        return scores
    contributions = z[scorer.mechanisms_] * weights
    contributions.columns.name = None
    contributions.attrs = {}
    return RadioresistanceResult(scores, contributions, scorer)
