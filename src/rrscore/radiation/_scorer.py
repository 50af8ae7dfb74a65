"""The fitted radioresistance scorer: mechanism scores standardised against a reference.

:class:`RadioresistanceScorer` resolves the mechanisms and their read-out sets
(:mod:`._mechanisms`, :mod:`._readouts`), scores each mechanism part by part with the part
weights of :mod:`._parts` and the confounders beside them in one run (:mod:`._scoring`, through
:func:`rrscore._runner.run_scoring`), learns each mechanism's and confounder's reference mean and
SD (``ddof=1``), the optional adjustment (:mod:`._confounders`) and the reference composite in
:meth:`~RadioresistanceScorer.fit`, and standardises, adjusts, combines and ranks new samples in
:meth:`~RadioresistanceScorer.transform` (the steps: :mod:`rrscore.radiation._composite`). Its
JSON form is :mod:`._persistence`.

Single samples: with a sample-independent method (``MethodSpec.is_sample_independent``:
singscore, the default; ssGSEA with ``normalize=False``; UCell; AUCell) a sample's mechanism
scores depend only on that sample, so a fitted (or loaded) scorer scores one new sample exactly
as it would have scored it inside the cohort — provided the sample has the same genes measured
(rank-based scores change slightly when the set of ranked genes changes). A mechanism whose
genes found in the new sample fall below ``min_genes``, or below ``min_coverage`` of the
reference's genes, is NaN with a :class:`~rrscore.errors.DroppedSetsWarning`: it is never
scored from whatever genes remain and compared with the full-gene reference.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rrscore._prepare import GeneSetsLike
from rrscore._records import plain
from rrscore._types import DEFAULT_METHODS
from rrscore.errors import DroppedSetsWarning, RadiationModelWarning, RRScoreError, warn
from rrscore.methods import get_method
from rrscore.radiation._confounders import (
    apply_adjustment,
    check_adjust,
    fit_adjustment,
    r_squared,
    resolve_confounders,
)
from rrscore.radiation._mechanisms import (
    MIN_COVERAGE,
    MIN_GENES,
    resolve_mechanisms,
    validate_weights,
)
from rrscore.radiation._parts import drop_small_parts
from rrscore.radiation._persistence import ReferenceJSON
from rrscore.radiation._result import RadioresistanceResult, build_output
from rrscore.radiation._scoring import (
    check_coverage,
    confounder_scores,
    mechanism_scores,
    score_parts,
    usable_confounders,
)

#: Default scoring method: rank-based and sample-independent (``rrscore._types``).
DEFAULT_METHOD = DEFAULT_METHODS["radioresistance"][0]

#: Keyword arguments of the input layer (:func:`rrscore.score`'s input options) accepted by
#: the scorer, and the run options.
INPUT_KWARGS = frozenset({
    "genes", "samples", "orient", "layer", "use_raw", "duplicates", "nan_policy", "map_ids",
    "low_coverage",
})
RUN_KWARGS = frozenset({"chunk_size", "progress", "n_jobs"})

__all__ = ["DEFAULT_METHOD", "RadioresistanceResult", "RadioresistanceScorer"]


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
        Where the mechanisms come from. ``None`` (default): the composite v2 definition
        (``genesets/composite.tsv``: each mechanism read by its cited read-out set, each
        shared gene counted once; :mod:`rrscore.radiation._readouts`). ``"mechanisms"``: the
        review's effector sets as they are. Any GMT path, bundled name, dict or
        :class:`~rrscore.GeneSetCollection` works (``_UP``/``_DN`` lines are paired into
        signed sets); so does a :class:`~rrscore.radiation._readouts.CompositeDefinition`.
    mechanisms
        Which mechanisms to score (mechanism names or set names), in order. Default: every
        mechanism of the definition (:data:`DEFAULT_MECHANISMS`), :data:`REVIEW_MECHANISMS`
        for the ``"mechanisms"`` collection, every set for any other collection.
    min_genes
        Minimum number of a mechanism's genes found in the data (default 3), at fit (smaller
        mechanisms are dropped with a warning) and at transform (the mechanism is NaN).
    min_coverage
        Minimum share of a mechanism's reference genes found in a sample scored by
        :meth:`transform` (default 0.8); below it the mechanism is NaN with a warning.
    confounders
        The confounder scores reported beside the composite (``proliferation``, ``stromal``,
        ``immune``; :mod:`rrscore.radiation._confounders`). ``None``: the bundled
        ``"confounders"`` collection when installed; ``False``: none; or a gene-set
        specification with sets ``PROLIFERATION``, ``ESTIMATE_STROMAL``, ``ESTIMATE_IMMUNE``.
    adjust
        Confounder columns to adjust the mechanism scores for, e.g.
        ``("proliferation", "stromal", "immune")`` or a subset; default none. Each mechanism
        z is replaced by its residual from an OLS on these confounders fitted on the
        reference cohort; the coefficients are kept with the reference (and in its JSON), so
        a single new sample is adjusted the same way. Adjustment removes what the confounders
        linearly predict in the reference; it does not isolate tumour-intrinsic biology, and
        proliferation is both sensitising per fraction and a driver of repopulation, so
        adjusting for it also removes radiation biology (see
        :mod:`rrscore.radiation._confounders`).
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
        Per mechanism, ``{"up": [...], "down": [...]}``: the read-out genes found in the
        reference data (after the ``small_parts`` rule). New samples are scored with exactly
        these genes, and their part counts are the part weights.
    directions_, readouts_
        Per mechanism: +1/-1, and where its read-out set comes from (collection, version,
        set, ``small_parts``, dropped parts, genes reassigned to other mechanisms).
    mean_, scale_
        ``pandas.Series``: reference mean and SD (``ddof=1``) of each mechanism score.
    confounders_, confounder_genes_, confounder_mean_, confounder_scale_, confounder_info_
        The confounder columns scored, their genes, reference mean and SD, and sources.
    adjustment_
        None, or the OLS record (confounders, coefficients, R² per mechanism).
    composite_r2_
        R² of the (unadjusted) reference composite on all confounder columns (NaN without
        confounders).
    n_reference_
        Number of reference samples.
    n_genes_reference_
        Number of genes of the reference data (the ranked universe of rank-based methods).
    reference_composite_
        Sorted composite scores of the reference samples (for percentiles).
    collection_name_, collection_version_, definition_
        The mechanism catalogue (or the collection scored), its version, and the composite
        definition file (``""`` when the sets of one collection were scored as they are).
    coverage_
        Coverage report of the fit (genes listed, found and missing per mechanism).
    """

    def __init__(
        self,
        method: str = DEFAULT_METHOD,
        *,
        weights: Mapping[str, float] | None = None,
        gene_sets: GeneSetsLike | None = None,
        mechanisms: Sequence[str] | None = None,
        min_genes: int = MIN_GENES,
        min_coverage: float = MIN_COVERAGE,
        confounders=None,
        adjust: Sequence[str] | None = None,
        method_params: Mapping[str, object] | None = None,
    ) -> None:
        self.method = method
        self.weights = weights
        self.gene_sets = gene_sets
        self.mechanisms = mechanisms
        self.min_genes = min_genes
        self.min_coverage = min_coverage
        self.confounders = confounders
        self.adjust = adjust
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

    def _check_thresholds(self) -> None:
        if not isinstance(self.min_genes, (int, np.integer)) or isinstance(self.min_genes, bool) \
                or self.min_genes < 1:
            raise RRScoreError(f"min_genes must be a positive integer, got {self.min_genes!r}")
        try:
            cov = float(self.min_coverage)
        except (TypeError, ValueError):
            cov = math.nan
        if not 0.0 <= cov <= 1.0:
            raise RRScoreError(f"min_coverage must be a number in [0, 1], got "
                               f"{self.min_coverage!r}")

    # -- fitting ---------------------------------------------------------------------------
    def _fit(self, data, input_kw: dict, run_kw: dict):
        self._check_thresholds()
        spec, params = self._spec_and_params()
        sel = resolve_mechanisms(self.gene_sets, self.mechanisms)
        # validate weights and adjustment before the (slower) scoring
        weights = validate_weights(self.weights, sel.names, sel.aliases)
        conf_sets, conf_info = resolve_confounders(self.confounders)
        adjust = check_adjust(self.adjust, list(conf_sets))
        listed = {gs.name: {"up": list(gs.up), "down": list(gs.down)} for gs in sel.sets}
        conf_listed = {c: {"up": list(gs.up), "down": list(gs.down)}
                       for c, gs in conf_sets.items()}
        parts = score_parts(data, listed, conf_listed, self.method, self._method_params(),
                            input_kw, run_kw)
        if parts.raw.shape[0] < 2:
            raise RRScoreError(
                f"the reference has {parts.raw.shape[0]} sample: standardisation needs at "
                "least 2 (score single samples against a fitted reference: "
                "RadioresistanceScorer().fit(cohort) or reference=)"
            )
        cov = parts.coverage
        small = [m for m in sel.names if cov[m]["n_found"] < self.min_genes]
        if small:
            warn(
                f"mechanisms dropped, fewer than min_genes={self.min_genes} genes found in the "
                "data: " + ", ".join(f"{m} ({cov[m]['n_found']}/{cov[m]['n_listed']})"
                                     for m in small),
                DroppedSetsWarning,
            )
        kept = [m for m in sel.names if m not in small]
        genes, readouts = {}, {}
        for m in kept:
            info = dict(sel.readouts[m])
            up, down, dropped = drop_small_parts(
                m, info["small_parts"], list(cov[m]["found"]["up"]),
                list(cov[m]["found"]["down"]),
                listed=(len(listed[m]["up"]), len(listed[m]["down"])))
            genes[m] = {"up": up, "down": down}
            readouts[m] = {**info, "dropped_parts": dropped}
        directions = {m: int(readouts[m]["direction"]) for m in kept}
        raw = mechanism_scores(parts.raw, genes, directions)
        mean, scale = raw.mean(axis=0), raw.std(axis=0, ddof=1)
        flat = [m for m in kept if not (np.isfinite(scale[m]) and scale[m] > 0)]
        if flat:
            warn(f"mechanisms dropped, constant or undefined score in the reference: {flat}",
                 DroppedSetsWarning)
            kept = [m for m in kept if m not in flat]
        if not kept:
            raise RRScoreError("no mechanism could be scored and standardised on this reference")
        lost = [m for m in sel.names if m not in kept and weights[m] > 0]
        weights = weights[kept]
        if weights.sum() <= 0:
            raise RRScoreError(
                "every mechanism with a positive weight was dropped; the remaining ones are "
                f"{kept}"
            )
        if lost and self.weights is not None:
            warn(f"weights renormalised without the dropped mechanisms {lost}",
                 DroppedSetsWarning)
        conf_genes, conf_raw = usable_confounders(parts, conf_listed, adjust, self.min_genes)

        self.method_ = spec.name
        self.method_params_ = plain(dataclasses.asdict(params))
        self.mechanisms_ = kept
        self.weights_ = weights / weights.sum()
        self.genes_ = {m: genes[m] for m in kept}
        self.directions_ = {m: directions[m] for m in kept}
        self.readouts_ = {m: readouts[m] for m in kept}
        self.mean_ = mean[kept]
        self.scale_ = scale[kept]
        self.confounders_ = list(conf_genes)
        self.confounder_genes_ = conf_genes
        self.confounder_info_ = {c: conf_info[c] for c in conf_genes}
        self.confounder_mean_ = conf_raw.mean(axis=0)
        self.confounder_scale_ = conf_raw.std(axis=0, ddof=1)
        self.n_reference_ = int(parts.raw.shape[0])
        self.n_genes_reference_ = int(parts.run.prepared.expr.shape[1])
        self.collection_name_ = sel.collection_name
        self.collection_version_ = sel.collection_version
        self.definition_ = sel.definition
        self.coverage_ = pd.DataFrame(
            {m: {k: (";".join(v) if k == "missing" else v) for k, v in cov[m].items()
                 if k != "found"} for m in sel.names}).T.rename_axis("mechanism")
        self.adjustment_ = None
        z, conf_z = self._zscores(raw[kept], conf_raw)
        if adjust:
            self.adjustment_ = fit_adjustment(z, conf_z, adjust)
        composite = self._combine(self._adjusted(z, conf_z))[1]
        self.composite_r2_ = (r_squared(self._combine(z)[1], conf_z) if conf_z.shape[1]
                              else math.nan)
        finite = composite.to_numpy()[np.isfinite(composite.to_numpy())]
        if len(finite) < 2:
            raise RRScoreError("fewer than 2 reference samples have a finite composite")
        self.reference_composite_ = np.sort(finite)
        self.reference_source_ = "fitted"
        return raw[kept], conf_raw, parts

    def fit(self, data, **input_kwargs) -> RadioresistanceScorer:
        """Learn each mechanism's reference mean and SD (and the composite distribution).

        Parameters
        ----------
        data
            The reference cohort, any expression input of :func:`rrscore.score`.
        **input_kwargs
            Input options of :func:`rrscore.score`: ``genes``, ``samples``, ``orient``,
            ``layer``, ``use_raw``, ``duplicates``, ``nan_policy``, ``map_ids``, and
            ``chunk_size`` (default: sparse cells in chunks sized by stored values),
            ``progress``, ``n_jobs``.

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

    # -- standardising ---------------------------------------------------------------------
    def _zscores(self, raw: pd.DataFrame, conf_raw: pd.DataFrame
                 ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Mechanism and confounder z-scores against the reference mean and SD."""
        z = (raw[self.mechanisms_] - self.mean_) / self.scale_
        conf_z = ((conf_raw[self.confounders_] - self.confounder_mean_[self.confounders_])
                  / self.confounder_scale_[self.confounders_])
        return z, conf_z

    def _adjusted(self, z: pd.DataFrame, conf_z: pd.DataFrame) -> pd.DataFrame:
        if self.adjustment_ is None:
            return z
        return apply_adjustment(z, conf_z, self.adjustment_)

    def _combine(self, z: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
        """Weights actually used (renormalised if some mechanisms are all NaN), composite."""
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
        return weights, pd.Series(composite, index=z.index, name="composite")

    def percentile(self, composite) -> pd.Series | np.ndarray:
        """Percentage of reference samples whose composite is at or below each value.

        Parameters
        ----------
        composite
            Composite scores (array or Series); NaN gives NaN.

        Returns
        -------
        pandas.Series or numpy.ndarray
            The same kind as ``composite`` (a Series is named ``composite_percentile``).
        """
        self._check_fitted()
        values = np.asarray(composite, dtype=float)
        ref = self.reference_composite_
        pct = 100.0 * np.searchsorted(ref, values, side="right") / len(ref)
        pct = np.where(np.isnan(values), np.nan, pct)
        if isinstance(composite, pd.Series):
            return pd.Series(pct, index=composite.index, name="composite_percentile")
        return pct

    # -- transforming ----------------------------------------------------------------------
    def transform(self, data, *, mutations=None, sequenced=None, significance=False,
                  seed: int = 0, return_contributions: bool = False, **input_kwargs):
        """Score samples against the fitted reference.

        Parameters
        ----------
        data
            Samples to score (one or many), any expression input of :func:`rrscore.score`;
            a pandas Series is one sample with genes as its index.
        mutations, sequenced
            Optional mutation data for the driver columns, and the samples sequenced (see
            :func:`radioresistance`).
        significance, seed
            Per-sample empirical z and p of each mechanism against random gene sets (see
            :func:`radioresistance`).
        return_contributions
            Return a :class:`RadioresistanceResult` ``(scores, contributions, scorer)``
            instead of the scores alone.
        **input_kwargs
            Input options, as in :meth:`fit`.

        Returns
        -------
        pandas.DataFrame or RadioresistanceResult
            Samples as rows; one column per mechanism (z-score against the reference, or its
            residual after adjustment), ``composite``, ``composite_percentile``, the
            confounder columns, then the driver and significance columns when asked for.
            ``.attrs["rrscore"]`` records the method, read-outs, weights, adjustment,
            reference size, genes missing from the data and the input report.
        """
        self._check_fitted()
        input_kw, run_kw = self._input_kwargs(input_kwargs)
        spec, params = self._spec_and_params()
        parts = score_parts(data, self.genes_, self.confounder_genes_, self.method,
                            self._method_params(), input_kw, run_kw)
        unscored, missing = check_coverage(parts.coverage, self.genes_, self.min_genes,
                                           self.min_coverage)
        raw = mechanism_scores(parts.raw, self.genes_, self.directions_)
        raw[unscored] = np.nan
        conf_raw = confounder_scores(parts.raw, self.confounder_genes_)
        conf_unscored, _ = check_coverage(parts.coverage, self.confounder_genes_,
                                          self.min_genes, self.min_coverage, kind="confounder")
        conf_raw[conf_unscored] = np.nan
        if not spec.is_sample_independent(params):
            warn(
                f"{spec.name} scores depend on the samples scored together, so these samples "
                "are not on the reference's scale; use a sample-independent method (singscore, "
                "ssgsea with normalize=False) to score new samples against a fitted reference",
                RadiationModelWarning,
            )
        notes = {"genes_missing": missing, "mechanisms_unscored": unscored,
                 "confounders_unscored": conf_unscored}
        return build_output(self, raw, conf_raw, parts, mutations=mutations, sequenced=sequenced,
                            significance=significance, seed=seed,
                            return_contributions=return_contributions, notes=notes,
                            run_kw=run_kw)

    def fit_transform(self, data, *, mutations=None, sequenced=None, significance=False,
                      seed: int = 0, return_contributions: bool = False, **input_kwargs):
        """Fit on ``data`` and score it: every score is relative to this cohort.

        Parameters
        ----------
        data
            The cohort, any expression input of :func:`rrscore.score`; it is both the
            reference and the samples scored (at least 2 samples).
        mutations, sequenced, significance, seed, return_contributions
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
        raw, conf_raw, parts = self._fit(data, input_kw, run_kw)
        self.reference_source_ = "cohort"
        notes = {"genes_missing": {}, "mechanisms_unscored": [], "confounders_unscored": []}
        return build_output(self, raw, conf_raw, parts, mutations=mutations, sequenced=sequenced,
                            significance=significance, seed=seed,
                            return_contributions=return_contributions, notes=notes,
                            run_kw=run_kw)

    def __repr__(self) -> str:
        state = (f"fitted on {self.n_reference_} samples, {len(self.mechanisms_)} mechanisms"
                 if self._is_fitted() else "not fitted")
        return f"RadioresistanceScorer(method={self.method!r}; {state})"

