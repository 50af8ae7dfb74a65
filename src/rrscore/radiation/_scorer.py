"""The fitted radioresistance scorer: mechanism scores standardised against a reference.

:class:`RadioresistanceScorer` scores the selected mechanisms (:mod:`._mechanisms`) through the
one scoring runner (:func:`rrscore._runner.run_scoring`), learns each mechanism's reference mean
and SD (``ddof=1``) and the reference composite in :meth:`~RadioresistanceScorer.fit`, and
standardises, combines and ranks new samples in :meth:`~RadioresistanceScorer.transform`
(the steps: :mod:`rrscore.radiation._composite`). Its JSON form is :mod:`._persistence`.

Single samples: with a sample-independent method (``MethodSpec.is_sample_independent``:
singscore, the default; ssGSEA with ``normalize=False``; UCell; AUCell) a sample's mechanism
scores depend only on that sample, so a fitted (or loaded) scorer scores one new sample exactly
as it would have scored it inside the cohort — provided the sample has the same genes measured
(rank-based scores change slightly when the set of ranked genes changes).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from rrscore._prepare import GeneSetsLike
from rrscore._records import plain
from rrscore._runner import run_scoring
from rrscore._types import DEFAULT_METHODS
from rrscore.errors import (
    DroppedSetsWarning,
    LowCoverageWarning,
    RadiationModelWarning,
    RRScoreError,
    warn,
)
from rrscore.genesets._model import GeneSet, GeneSetCollection
from rrscore.methods import get_method
from rrscore.radiation._drivers import driver_component
from rrscore.radiation._mechanisms import MIN_GENES, select_mechanisms, validate_weights
from rrscore.radiation._persistence import ReferenceJSON

#: Default scoring method: rank-based and sample-independent (``rrscore._types``).
DEFAULT_METHOD = DEFAULT_METHODS["radioresistance"][0]

#: Keyword arguments of the input layer (:func:`rrscore.score`'s input options) accepted by
#: the scorer, and the run options.
INPUT_KWARGS = frozenset({
    "genes", "samples", "orient", "layer", "use_raw", "duplicates", "nan_policy", "map_ids",
    "low_coverage",
})
RUN_KWARGS = frozenset({"chunk_size", "progress", "n_jobs"})


class RadioresistanceResult(NamedTuple):
    """What ``return_contributions=True`` returns (unpacks as a tuple).

    Attributes
    ----------
    scores
        The usual result: samples × (mechanisms, ``composite``, ``composite_percentile``
        and, with mutations, the driver columns).
    contributions
        Samples × mechanisms: ``weight × standardised score``; each row sums to the
        composite.
    scorer
        The fitted :class:`RadioresistanceScorer` (its reference statistics, coverage report,
        and :meth:`~RadioresistanceScorer.save` to reuse the reference).
    """

    scores: pd.DataFrame
    contributions: pd.DataFrame
    scorer: RadioresistanceScorer


def _as_data(data):
    """A Series is one sample (genes as its index)."""
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else "sample")
    return data


class RadioresistanceScorer(ReferenceJSON):
    """Mechanism scores standardised against a reference cohort, and their composite.

    Scikit-learn style: construct with the method and weights, :meth:`fit` on a reference
    cohort (learns per-mechanism mean and SD), :meth:`transform` new samples, :meth:`save` the
    fitted reference to a small JSON file and :meth:`load` it elsewhere — e.g. fit on a TCGA
    cohort once, then score single new tumours against it. The constructor only stores its
    arguments; they are validated by :meth:`fit`. (``to_dict``/``save``/``from_dict``/``load``:
    :class:`~rrscore.radiation._persistence.ReferenceJSON`.)

    Parameters
    ----------
    method
        A registered scoring method (``rrscore.list_methods()``); default ``"singscore"``.
        Use a sample-independent one (singscore, ``"ssgsea"`` with ``normalize=False``,
        UCell, AUCell) to score new samples against a fitted reference: cohort-dependent
        methods (GSVA, z-score, PLAGE, mean, normalised ssGSEA) give scores that change with
        the samples scored together, so :meth:`transform` warns for them.
    weights
        Weight of each mechanism in the composite, a dict ``mechanism -> weight`` (keys as in
        the result's columns, e.g. ``"RR_DNA_REPAIR"``; the GMT line name ``"RR_DNA_REPAIR_UP"``
        is accepted too). The dict lists the mechanisms that enter the composite: a mechanism
        it does not name gets weight 0 (its column is still reported). Weights must be finite
        and >= 0, at least one positive; unknown names are an error. They are normalised to
        sum to 1. Default: equal weights. If a weighted mechanism is dropped (too few genes),
        the remaining weights are normalised again, with a warning.
    gene_sets
        The mechanism collection: default the bundled ``"mechanisms"``; any GMT path, bundled
        name, dict or :class:`~rrscore.GeneSetCollection` works. ``_UP``/``_DN`` lines are
        paired into signed sets.
    mechanisms
        Which sets to score (mechanism names or set names). Default: :data:`DEFAULT_MECHANISMS`
        for the bundled collection, every set for any other collection.
    min_genes
        Minimum number of a mechanism's genes found in the reference data (default 3); smaller
        mechanisms are dropped with a warning.
    method_params
        The method's parameters (e.g. ``{"normalize": False}`` for ssGSEA).

    Attributes
    ----------
    method_, method_params_
        The method and its validated parameters.
    mechanisms_
        Mechanisms scored (columns of the result), in order.
    weights_
        ``pandas.Series`` of weights (sum 1) per mechanism.
    genes_
        Per mechanism, ``{"up": [...], "down": [...]}``: the catalogue genes found in the
        reference data. New samples are scored with exactly these genes.
    mean_, scale_
        ``pandas.Series``: reference mean and SD (``ddof=1``) of each mechanism score.
    n_reference_
        Number of reference samples.
    n_genes_reference_
        Number of genes of the reference data (the ranked universe of rank-based methods).
    reference_composite_
        Sorted composite scores of the reference samples (for percentiles).
    collection_name_, collection_version_
        The gene-set collection the genes came from.
    coverage_
        Coverage report of the fit (genes listed, found and missing per mechanism).
    """

    def __init__(
        self,
        method: str = DEFAULT_METHOD,
        *,
        weights: Mapping[str, float] | None = None,
        gene_sets: GeneSetsLike = "mechanisms",
        mechanisms: Sequence[str] | None = None,
        min_genes: int = MIN_GENES,
        method_params: Mapping[str, object] | None = None,
    ) -> None:
        self.method = method
        self.weights = weights
        self.gene_sets = gene_sets
        self.mechanisms = mechanisms
        self.min_genes = min_genes
        # stored as given (scikit-learn convention); read through _method_params()
        self.method_params = method_params

    # -- helpers ---------------------------------------------------------------------------
    def _method_params(self) -> dict:
        return dict(self.method_params or {})

    def _spec_and_params(self):
        spec = get_method(self.method)
        return spec, spec.make_params(**self._method_params())

    def _is_fitted(self) -> bool:
        return hasattr(self, "mean_")

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise RRScoreError(
                "this RadioresistanceScorer is not fitted: call fit(reference_cohort) or load()"
            )

    def _score(self, data, collection: GeneSetCollection, input_kw: dict, run_kw: dict):
        """Raw method scores (samples × kept sets) and the prepared input."""
        run = run_scoring(
            _as_data(data), collection, self.method, method_params=self._method_params(),
            **{"low_coverage": 0.0, "min_size": 1, **input_kw}, **run_kw,
        )
        raw = pd.DataFrame(run.values["score"], index=pd.Index(run.samples, name="sample"),
                           columns=pd.Index(run.set_names))
        return raw, run.prepared

    # -- fitting ---------------------------------------------------------------------------
    def _fit(self, data, input_kw: dict, run_kw: dict) -> tuple[pd.DataFrame, object]:
        if not isinstance(self.min_genes, (int, np.integer)) or self.min_genes < 1:
            raise RRScoreError(f"min_genes must be a positive integer, got {self.min_genes!r}")
        spec, params = self._spec_and_params()
        collection, wanted, aliases = select_mechanisms(self.gene_sets, self.mechanisms)
        # validate the weights before the (slower) scoring
        weights = validate_weights(self.weights, wanted, aliases)
        raw, prep = self._score(data, collection, input_kw, run_kw)
        if raw.shape[0] < 2:
            raise RRScoreError(
                f"the reference has {raw.shape[0]} sample: standardisation needs at least 2 "
                "(score single samples against a fitted reference: "
                "RadioresistanceScorer().fit(cohort) or reference=)"
            )
        coverage = prep.sets.coverage
        small = [m for m in wanted if coverage.loc[m, "n_found"] < self.min_genes]
        if small:
            warn(
                f"mechanisms dropped, fewer than min_genes={self.min_genes} genes found in the "
                "data: " + ", ".join(
                    f"{m} ({coverage.loc[m, 'n_found']}/{coverage.loc[m, 'n_listed']})"
                    for m in small
                ),
                DroppedSetsWarning,
            )
        kept = [m for m in wanted if m not in small]
        mean = raw.reindex(columns=kept).mean(axis=0)
        scale = raw.reindex(columns=kept).std(axis=0, ddof=1)
        flat = [m for m in kept if not (np.isfinite(scale[m]) and scale[m] > 0)]
        if flat:
            warn(
                f"mechanisms dropped, constant or undefined score in the reference: {flat}",
                DroppedSetsWarning,
            )
            kept = [m for m in kept if m not in flat]
        if not kept:
            raise RRScoreError("no mechanism could be scored and standardised on this reference")
        lost = [m for m in wanted if m not in kept and weights[m] > 0]
        weights = weights[kept]
        if weights.sum() <= 0:
            raise RRScoreError(
                "every mechanism with a positive weight was dropped; the remaining ones are "
                f"{kept}"
            )
        if lost and self.weights is not None:
            warn(f"weights renormalised without the dropped mechanisms {lost}",
                 DroppedSetsWarning)
        weights = weights / weights.sum()

        missing = {m: set(filter(None, str(coverage.loc[m, "missing"]).split(";")))
                   for m in kept}
        gene_sets = {gs.name: gs for gs in collection}
        self.method_ = spec.name
        self.method_params_ = plain(dataclasses.asdict(params))
        self.mechanisms_ = kept
        self.weights_ = weights
        self.genes_ = {
            m: {"up": [g for g in gene_sets[m].up if g not in missing[m]],
                "down": [g for g in gene_sets[m].down if g not in missing[m]]}
            for m in kept
        }
        self.mean_ = mean[kept]
        self.scale_ = scale[kept]
        self.n_reference_ = int(raw.shape[0])
        self.n_genes_reference_ = int(prep.expr.shape[1])
        self.collection_name_ = collection.name
        self.collection_version_ = collection.version
        self.coverage_ = coverage
        composite = self._standardise(raw[kept])[1]
        finite = composite.to_numpy()[np.isfinite(composite.to_numpy())]
        if len(finite) < 2:
            raise RRScoreError("fewer than 2 reference samples have a finite composite")
        self.reference_composite_ = np.sort(finite)
        self.reference_source_ = "fitted"
        return raw[kept], prep

    def fit(self, data, **input_kwargs) -> RadioresistanceScorer:
        """Learn each mechanism's reference mean and SD (and the composite distribution).

        Parameters
        ----------
        data
            The reference cohort, any expression input of :func:`rrscore.score`.
        **input_kwargs
            Input options of :func:`rrscore.score`: ``genes``, ``samples``, ``orient``,
            ``layer``, ``use_raw``, ``duplicates``, ``nan_policy``, ``map_ids``, and
            ``chunk_size``, ``progress``.

        Returns
        -------
        RadioresistanceScorer
            ``self``, fitted.
        """
        input_kw, run_kw = self._input_kwargs(input_kwargs)
        self._fit(data, input_kw, run_kw)
        return self

    @staticmethod
    def _input_kwargs(kwargs: Mapping) -> tuple[dict, dict]:
        input_kw = {k: v for k, v in kwargs.items() if k in INPUT_KWARGS}
        run_kw = {k: v for k, v in kwargs.items() if k in RUN_KWARGS}
        unknown = sorted(set(kwargs) - INPUT_KWARGS - RUN_KWARGS)
        if unknown:
            raise RRScoreError(
                f"unknown input option(s) {unknown}; accepted: "
                f"{sorted(INPUT_KWARGS | RUN_KWARGS)}"
            )
        return input_kw, run_kw

    # -- transforming ----------------------------------------------------------------------
    def _standardise(self, raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
        """z-scores, composite and the weights actually used (renormalised if some are NaN)."""
        z = (raw[self.mechanisms_] - self.mean_) / self.scale_
        weights = self.weights_.copy()
        absent = [m for m in self.mechanisms_ if z[m].isna().all() and weights[m] > 0]
        if absent and len(absent) < int((weights > 0).sum()):
            weights[absent] = 0.0
            weights = weights / weights.sum()
        # Summed mechanism by mechanism, in a fixed order: a row's composite is then the same
        # bits whatever other rows are scored with it (numpy's row sums are not).
        composite = np.zeros(len(z))
        for m in weights.index[weights > 0]:
            composite = composite + weights[m] * z[m].to_numpy()
        return z, pd.Series(composite, index=z.index, name="composite"), weights

    def percentile(self, composite) -> pd.Series | np.ndarray:
        """Percentage of reference samples whose composite is at or below each value."""
        self._check_fitted()
        values = np.asarray(composite, dtype=float)
        ref = self.reference_composite_
        pct = 100.0 * np.searchsorted(ref, values, side="right") / len(ref)
        pct = np.where(np.isnan(values), np.nan, pct)
        if isinstance(composite, pd.Series):
            return pd.Series(pct, index=composite.index, name="composite_percentile")
        return pct

    def _fitted_collection(self) -> GeneSetCollection:
        sets = tuple(
            GeneSet(m, self.genes_[m]["up"], self.genes_[m]["down"]) for m in self.mechanisms_
        )
        return GeneSetCollection(sets, name=self.collection_name_,
                                 version=self.collection_version_)

    def _output(self, raw: pd.DataFrame, prep, *, mutations, return_contributions: bool,
                notes: dict):
        z, composite, weights = self._standardise(raw)
        scores = z.copy()
        scores["composite"] = composite
        scores["composite_percentile"] = self.percentile(composite)
        meta = {
            "method": self.method_,
            "params": dict(self.method_params_),
            "collection": self.collection_name_,
            "collection_version": self.collection_version_,
            "mechanisms": list(self.mechanisms_),
            "weights": {m: float(w) for m, w in weights.items()},
            "standardisation": "z = (score - reference mean) / reference SD (ddof=1)",
            "reference": {
                "source": self.reference_source_,
                "n_samples": self.n_reference_,
                "n_genes": self.n_genes_reference_,
            },
            "input": plain(prep.expr.report.to_dict()),
            **notes,
        }
        if mutations is not None:
            drivers, driver_notes = driver_component(mutations, scores.index)
            drivers.index = scores.index
            scores = pd.concat([scores, drivers], axis=1)
            meta["drivers"] = plain(driver_notes)
        scores.columns.name = None
        scores.attrs["rrscore"] = meta
        if not return_contributions:
            return scores
        contributions = z[self.mechanisms_] * weights
        contributions.columns.name = None
        contributions.attrs = {}
        return RadioresistanceResult(scores, contributions, self)

    def transform(self, data, *, mutations=None, return_contributions: bool = False,
                  **input_kwargs):
        """Score samples against the fitted reference.

        Parameters
        ----------
        data
            Samples to score (one or many), any expression input of :func:`rrscore.score`;
            a pandas Series is one sample with genes as its index.
        mutations
            Optional mutation data for the driver columns (see :func:`radioresistance`).
        return_contributions
            Return a :class:`RadioresistanceResult` ``(scores, contributions, scorer)``
            instead of the scores alone.
        **input_kwargs
            Input options, as in :meth:`fit`.

        Returns
        -------
        pandas.DataFrame or RadioresistanceResult
            Samples as rows; one column per mechanism (z-score against the reference), then
            ``composite`` and ``composite_percentile`` (and the driver columns with
            ``mutations``). ``.attrs["rrscore"]`` records the method, weights, reference
            size, genes missing from the data and the input report.
        """
        self._check_fitted()
        input_kw, run_kw = self._input_kwargs(input_kwargs)
        spec, params = self._spec_and_params()
        raw, prep = self._score(data, self._fitted_collection(), input_kw, run_kw)
        coverage = prep.sets.coverage
        missing = {m: str(coverage.loc[m, "missing"]).split(";")
                   for m in self.mechanisms_ if coverage.loc[m, "missing"]}
        if missing:
            warn(
                "genes of the fitted reference missing from the data (those mechanisms are "
                "scored without them, so their standardised scores are approximate): "
                + "; ".join(f"{m}: {', '.join(g[:5])}{' ...' if len(g) > 5 else ''}"
                            for m, g in missing.items()),
                LowCoverageWarning,
            )
        unscored = [m for m in self.mechanisms_ if m not in raw.columns]
        if unscored:
            warn(
                f"mechanisms with no gene in the data are NaN: {unscored}; the composite uses "
                "the others (weights renormalised) and its percentile is approximate",
                DroppedSetsWarning,
            )
        if not spec.is_sample_independent(params):
            warn(
                f"{spec.name} scores depend on the samples scored together, so these samples "
                "are not on the reference's scale; use a sample-independent method (singscore, "
                "ssgsea with normalize=False) to score new samples against a fitted reference",
                RadiationModelWarning,
            )
        raw = raw.reindex(columns=self.mechanisms_)
        notes = {"genes_missing": missing, "mechanisms_unscored": unscored}
        return self._output(raw, prep, mutations=mutations,
                            return_contributions=return_contributions, notes=notes)

    def fit_transform(self, data, *, mutations=None, return_contributions: bool = False,
                      **input_kwargs):
        """Fit on ``data`` and score it: every score is relative to this cohort.

        Parameters
        ----------
        data
            The cohort, any expression input of :func:`rrscore.score`; it is both the
            reference and the samples scored (at least 2 samples).
        mutations, return_contributions
            As in :meth:`transform`.
        **input_kwargs
            Input options, as in :meth:`fit`.

        Returns
        -------
        pandas.DataFrame or RadioresistanceResult
            As :meth:`transform`; ``.attrs["rrscore"]["reference"]["source"]`` is
            ``"cohort"``.
        """
        input_kw, run_kw = self._input_kwargs(input_kwargs)
        raw, prep = self._fit(data, input_kw, run_kw)
        self.reference_source_ = "cohort"
        notes = {"genes_missing": {}, "mechanisms_unscored": []}
        return self._output(raw, prep, mutations=mutations,
                            return_contributions=return_contributions, notes=notes)

    def __repr__(self) -> str:
        state = (f"fitted on {self.n_reference_} samples, {len(self.mechanisms_)} mechanisms"
                 if self._is_fitted() else "not fitted")
        return f"RadioresistanceScorer(method={self.method!r}; {state})"

