"""Radiation-response scores: the composite radioresistance score, RSI and GARD.

* :func:`radioresistance` — per-mechanism standardised scores of the review's radioresistance
  mechanisms, their weighted composite, percentiles, and optional driver-mutation columns.
* :class:`RadioresistanceScorer` — the same, scikit-learn style: fit on a reference cohort,
  save/load the reference as JSON, transform new (single) samples.
* :func:`assign_groups` — groups by quantiles the user chooses (no clinical cut-offs).
* :func:`rsi` — Eschrich et al. 2009 RSI, exactly as the authors' code computes it.
* :func:`gard` — genomic-adjusted radiation dose (Scott et al. 2017) from RSI and a schedule.
* :func:`dose_for_gard` — total dose needed to reach a target GARD (RxRSI).

Modules, one job each: ``_readouts`` (the composite definition: read-out set per mechanism,
where shared genes count), ``_mechanisms`` (which sets the composite scores, weights),
``_parts`` (signed sets scored part by part, weighted by size), ``_confounders`` (proliferation,
stromal, immune beside the score; the adjustment), ``_scoring`` (one run of all parts),
``_significance`` (per-sample null of each mechanism), ``_scorer`` (fit/transform), ``_result``
(the result table and its record), ``_schema`` and ``_persistence`` (the JSON reference),
``_composite`` (the one-call API), ``_groups``, ``_drivers`` (mutation columns), ``_rsi``,
``_gard``. Placing the score into an AnnData is :func:`rrscore.tl.radioresistance`.
"""

from rrscore.radiation._composite import RadioresistanceResult, radioresistance
from rrscore.radiation._confounders import CONFOUNDER_COLUMNS
from rrscore.radiation._drivers import COUNTED_CLASSES, DRIVER_COMPONENTS, driver_table
from rrscore.radiation._gard import RSI_FLOOR, dose_for_gard, gard
from rrscore.radiation._groups import assign_groups
from rrscore.radiation._mechanisms import (
    DEFAULT_MECHANISMS,
    EXCLUDED_BY_DEFAULT,
    MIN_COVERAGE,
    MIN_GENES,
    REVIEW_MECHANISMS,
)
from rrscore.radiation._readouts import CompositeDefinition, Readout, bundled_definition
from rrscore.radiation._rsi import RSI_ALIASES, RSI_COEFFICIENTS, RSI_GENES, rsi
from rrscore.radiation._scorer import DEFAULT_METHOD, RadioresistanceScorer

__all__ = [
    "CONFOUNDER_COLUMNS",
    "COUNTED_CLASSES",
    "DEFAULT_MECHANISMS",
    "DEFAULT_METHOD",
    "DRIVER_COMPONENTS",
    "EXCLUDED_BY_DEFAULT",
    "MIN_COVERAGE",
    "MIN_GENES",
    "REVIEW_MECHANISMS",
    "RSI_ALIASES",
    "RSI_COEFFICIENTS",
    "RSI_FLOOR",
    "RSI_GENES",
    "CompositeDefinition",
    "RadioresistanceResult",
    "RadioresistanceScorer",
    "Readout",
    "assign_groups",
    "bundled_definition",
    "dose_for_gard",
    "driver_table",
    "gard",
    "radioresistance",
    "rsi",
]
