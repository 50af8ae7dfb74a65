"""The composite radioresistance score: mechanism scores, standardised and combined.

How the score is built, for each sample:

1. **Mechanism scores.** Every mechanism of the bundled ``"mechanisms"`` collection (the review's
   radioresistance mechanisms, ``genesets/MECHANISMS.md``) is scored by a registered method
   (default :data:`DEFAULT_METHOD`, singscore). The collection is paired: a mechanism with
   resistance-promoting (``_UP``) and sensitising (``_DN``) genes is one signed set, scored by
   the method's own signed-set handling (singscore: up score + down score on reversed ranks),
   so a high score always means "more resistance-like".
2. **Standardisation.** Each mechanism score becomes a z-score against a reference cohort:
   ``z = (score - reference mean) / reference SD`` (sample SD, ``ddof=1``). Without a
   reference the cohort being scored is its own reference, and every z-score (and the
   composite) is then *relative to that cohort*: it says how a tumour compares with the
   others scored with it, not with any external population.
3. **Composite.** ``composite = sum_m w_m * z_m`` over the mechanisms, with weights ``w`` that
   sum to 1 (equal by default). The per-mechanism terms ``w_m * z_m`` are the contributions;
   they add up to the composite exactly.
4. **Percentile.** ``composite_percentile`` is the percentage of reference samples whose
   composite is at or below the sample's. There are no clinical cut-offs: groups come only from
   quantiles the user chooses (:func:`assign_groups`).

Mechanisms in the default composite (:data:`DEFAULT_MECHANISMS`) are the parent sets of the
catalogue: DNA repair as one mechanism (not its SSB/HR/NHEJ sub-sets, which are contained in it),
metabolism as one (not its six sub-sets), immune escape without the IRDS sub-set (the IRDS is
a published interferon signature listed under the same review section, 3.3.3, and would count
the interferon axis twice). The lncRNA set is left out because mRNA arrays do not measure
lncRNAs. Any set of the collection can be chosen with ``mechanisms=``. A mechanism with fewer than
``min_genes`` genes found in the reference data is dropped with a warning.

Single samples: with a rank-based, sample-independent method (singscore, the default; ssGSEA
with ``normalize=False``; UCell; AUCell) a sample's mechanism scores depend only on that sample,
so a scorer fitted on a reference cohort (and saved to JSON) scores one new sample exactly as it
would have scored it inside the cohort — provided the sample has the same genes measured
(rank-based scores change slightly when the set of ranked genes changes).
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from rrscore._prepare import GeneSetsLike
from rrscore._records import plain
from rrscore._runner import run_scoring
from rrscore.errors import GeneMatchError, InputDataError, RRScoreError
from rrscore.genesets._coerce import as_collection
from rrscore.genesets._model import GeneSet, GeneSetCollection
from rrscore.methods import get_method
from rrscore.radiation._drivers import driver_component

#: Default scoring method: rank-based and sample-independent.
DEFAULT_METHOD = "singscore"

#: Mechanisms of the bundled ``"mechanisms"`` collection that enter the default composite.
DEFAULT_MECHANISMS: tuple[str, ...] = (
    "RR_DNA_REPAIR",
    "RR_CELL_CYCLE_CHECKPOINT",
    "RR_APOPTOSIS",
    "RR_HYPOXIA",
    "RR_CAF",
    "RR_IMMUNE",
    "RR_CANCER_STEM_CELL",
    "RR_AUTOPHAGY",
    "RR_METABOLISM",
    "RR_EXOSOME",
    "RR_NONCODING_EFFECTORS",
    "RR_FERROPTOSIS",
    "RR_EMT",
    "RR_DRIVER_NRF2_TARGETS",
)

#: Sets of the bundled collection left out of the default composite, and why.
EXCLUDED_BY_DEFAULT: dict[str, str] = {
    "RR_DNA_REPAIR_SSB": "sub-set of RR_DNA_REPAIR",
    "RR_DNA_REPAIR_HR": "sub-set of RR_DNA_REPAIR",
    "RR_DNA_REPAIR_NHEJ": "sub-set of RR_DNA_REPAIR",
    "RR_METABOLISM_GLYCOLYSIS": "sub-set of RR_METABOLISM",
    "RR_METABOLISM_PENTOSE_PHOSPHATE": "sub-set of RR_METABOLISM (one gene)",
    "RR_METABOLISM_GLUTAMINE": "sub-set of RR_METABOLISM (one gene)",
    "RR_METABOLISM_FATTY_ACID": "sub-set of RR_METABOLISM",
    "RR_METABOLISM_IRON": "sub-set of RR_METABOLISM (one gene)",
    "RR_METABOLISM_NUCLEOTIDE": "sub-set of RR_METABOLISM (one gene)",
    "RR_IMMUNE_IRDS": "interferon sub-signature of the immune section (3.3.3); would count "
                      "the interferon axis twice",
    "RR_NONCODING_LNCRNA": "lncRNAs: not measured by mRNA arrays",
}

#: Default minimum number of a mechanism's genes (up + down) found in the reference data.
MIN_GENES = 3

#: Keyword arguments of :func:`rrscore.prepare` (the input layer) accepted by the scorer.
_INPUT_KWARGS = frozenset({
    "genes", "samples", "orient", "layer", "use_raw", "duplicates", "nan_policy", "map_ids",
    "low_coverage",
})
_RUN_KWARGS = frozenset({"chunk_size", "progress", "n_jobs"})

_FORMAT = "rrscore.RadioresistanceScorer"
_FORMAT_VERSION = 1
_SIGN_SUFFIX = re.compile(r"^(?P<base>.+?)_(?P<dir>UP|DN|DOWN)$", re.IGNORECASE)


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


def _mechanism_name(gene_set: GeneSet) -> str:
    """Name of the mechanism a set scores: an unpaired ``X_UP`` line is mechanism ``X``."""
    match = _SIGN_SUFFIX.match(gene_set.name)
    if match is None or gene_set.signed:
        return gene_set.name
    if match.group("dir").upper() == "UP":
        return match.group("base")
    raise GeneMatchError(
        f"gene set {gene_set.name!r} holds only sensitising genes: a radioresistance "
        f"mechanism needs resistance-promoting genes; pair it with an "
        f"{match.group('base')}_UP set or leave it out with mechanisms="
    )


def _split_kwargs(method: str, kwargs: Mapping) -> tuple[dict, dict, dict]:
    """Split ``**score_kwargs`` into method parameters, input-layer and run arguments."""
    spec = get_method(method)
    fields = {f.name for f in dataclasses.fields(spec.params)}
    method_kw, input_kw, run_kw = {}, {}, {}
    for key, value in kwargs.items():
        if key in fields:
            method_kw[key] = value
        elif key in _INPUT_KWARGS:
            input_kw[key] = value
        elif key in _RUN_KWARGS:
            run_kw[key] = value
        else:
            raise RRScoreError(
                f"unknown argument {key!r}: not a parameter of method {spec.name!r} "
                f"({sorted(fields) or 'none'}) nor an input option ({sorted(_INPUT_KWARGS)})"
            )
    return method_kw, input_kw, run_kw


def _as_data(data):
    """A Series is one sample (genes as its index)."""
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else "sample")
    return data


def _validate_weights(weights, mechanisms: Sequence[str], aliases: Mapping[str, str]) -> pd.Series:
    """Weights as a Series over ``mechanisms`` summing to 1 (see RadioresistanceScorer)."""
    if weights is None:
        return pd.Series(1.0 / len(mechanisms), index=list(mechanisms), dtype=float)
    if isinstance(weights, pd.Series):
        weights = weights.to_dict()
    if not isinstance(weights, Mapping):
        raise RRScoreError(
            f"weights must be a dict mechanism -> weight, got {type(weights).__name__}"
        )
    out = pd.Series(0.0, index=list(mechanisms), dtype=float)
    unknown = []
    for key, value in weights.items():
        name = aliases.get(str(key), str(key))
        if name not in out.index:
            unknown.append(str(key))
            continue
        try:
            w = float(value)
        except (TypeError, ValueError):
            raise RRScoreError(f"weight of {key!r} is not a number: {value!r}") from None
        if not math.isfinite(w) or w < 0:
            raise RRScoreError(f"weight of {key!r} must be finite and >= 0, got {value!r}")
        out[name] = w
    if unknown:
        raise RRScoreError(
            f"weights name unknown mechanisms {unknown}; the mechanisms are {list(mechanisms)}"
        )
    total = float(out.sum())
    if total <= 0:
        raise RRScoreError("weights must give at least one mechanism a positive weight")
    return out / total


class RadioresistanceScorer:
    """Mechanism scores standardised against a reference cohort, and their composite.

    Scikit-learn style: construct with the method and weights, :meth:`fit` on a reference
    cohort (learns per-mechanism mean and SD), :meth:`transform` new samples, :meth:`save` the
    fitted reference to a small JSON file and :meth:`load` it elsewhere — e.g. fit on a TCGA
    cohort once, then score single new tumours against it.

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
        self.method_params = dict(method_params or {})

    # -- helpers ---------------------------------------------------------------------------
    def _spec_and_params(self):
        spec = get_method(self.method)
        return spec, spec.make_params(**self.method_params)

    def _is_fitted(self) -> bool:
        return hasattr(self, "mean_")

    def _check_fitted(self) -> None:
        if not self._is_fitted():
            raise RRScoreError(
                "this RadioresistanceScorer is not fitted: call fit(reference_cohort) or load()"
            )

    def _select_sets(self) -> tuple[GeneSetCollection, list[str], dict[str, str]]:
        """The sets to score, their mechanism names, and accepted aliases of those names."""
        if isinstance(self.gene_sets, (str, os.PathLike)):
            collection = as_collection(self.gene_sets, pair_signed=True)
        else:
            collection = as_collection(self.gene_sets)
        names = {gs.name: None for gs in collection}
        by_mechanism: dict[str, GeneSet] = {}
        aliases: dict[str, str] = {}
        for gs in collection:
            try:
                mech = _mechanism_name(gs)
            except GeneMatchError:
                mech = None  # a lone _DN set is only an error if it is selected
            if mech is None or (mech != gs.name and mech in names):
                mech = gs.name  # stripping _UP would collide with another set's name
            by_mechanism[mech] = gs
            aliases[gs.name] = mech
            aliases[mech] = mech
        if self.mechanisms is not None:
            wanted = [aliases.get(str(m)) for m in self.mechanisms]
            unknown = [str(m) for m, w in zip(self.mechanisms, wanted, strict=True) if w is None]
            if unknown:
                raise RRScoreError(
                    f"mechanisms not in the gene sets: {unknown}; available: "
                    f"{list(by_mechanism)}"
                )
            if len(set(wanted)) != len(wanted):
                raise RRScoreError(f"mechanisms lists a mechanism twice: {self.mechanisms}")
        elif collection.name == "mechanisms":
            wanted = [m for m in DEFAULT_MECHANISMS if m in by_mechanism]
        else:
            wanted = list(by_mechanism)
        for mech in wanted:
            _mechanism_name(by_mechanism[mech])  # raises for a selected lone _DN set
        if not wanted:
            raise RRScoreError("no mechanism to score")
        renamed = tuple(
            dataclasses.replace(by_mechanism[m], name=m) for m in wanted
        )
        sub = GeneSetCollection(renamed, name=collection.name, version=collection.version)
        return sub, wanted, aliases

    def _score(self, data, collection: GeneSetCollection, input_kw: dict, run_kw: dict):
        """Raw method scores (samples × kept sets) and the prepared input."""
        run = run_scoring(
            _as_data(data), collection, self.method, method_params=self.method_params,
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
        collection, wanted, aliases = self._select_sets()
        # validate the weights before the (slower) scoring
        weights = _validate_weights(self.weights, wanted, aliases)
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
            warnings.warn(
                f"mechanisms dropped, fewer than min_genes={self.min_genes} genes found in the "
                "data: " + ", ".join(
                    f"{m} ({coverage.loc[m, 'n_found']}/{coverage.loc[m, 'n_listed']})"
                    for m in small
                ),
                UserWarning, stacklevel=3,
            )
        kept = [m for m in wanted if m not in small]
        mean = raw.reindex(columns=kept).mean(axis=0)
        scale = raw.reindex(columns=kept).std(axis=0, ddof=1)
        flat = [m for m in kept if not (np.isfinite(scale[m]) and scale[m] > 0)]
        if flat:
            warnings.warn(
                f"mechanisms dropped, constant or undefined score in the reference: {flat}",
                UserWarning, stacklevel=3,
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
            warnings.warn(f"weights renormalised without the dropped mechanisms {lost}",
                          UserWarning, stacklevel=3)
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
        input_kw = {k: v for k, v in kwargs.items() if k in _INPUT_KWARGS}
        run_kw = {k: v for k, v in kwargs.items() if k in _RUN_KWARGS}
        unknown = sorted(set(kwargs) - _INPUT_KWARGS - _RUN_KWARGS)
        if unknown:
            raise RRScoreError(
                f"unknown input option(s) {unknown}; accepted: "
                f"{sorted(_INPUT_KWARGS | _RUN_KWARGS)}"
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
            warnings.warn(
                "genes of the fitted reference missing from the data (those mechanisms are "
                "scored without them, so their standardised scores are approximate): "
                + "; ".join(f"{m}: {', '.join(g[:5])}{' ...' if len(g) > 5 else ''}"
                            for m, g in missing.items()),
                UserWarning, stacklevel=2,
            )
        unscored = [m for m in self.mechanisms_ if m not in raw.columns]
        if unscored:
            warnings.warn(
                f"mechanisms with no gene in the data are NaN: {unscored}; the composite uses "
                "the others (weights renormalised) and its percentile is approximate",
                UserWarning, stacklevel=2,
            )
        if not spec.is_sample_independent(params):
            warnings.warn(
                f"{spec.name} scores depend on the samples scored together, so these samples "
                "are not on the reference's scale; use a sample-independent method (singscore, "
                "ssgsea with normalize=False) to score new samples against a fitted reference",
                UserWarning, stacklevel=2,
            )
        raw = raw.reindex(columns=self.mechanisms_)
        notes = {"genes_missing": missing, "mechanisms_unscored": unscored}
        return self._output(raw, prep, mutations=mutations,
                            return_contributions=return_contributions, notes=notes)

    def fit_transform(self, data, *, mutations=None, return_contributions: bool = False,
                      **input_kwargs):
        """Fit on ``data`` and score it: every score is relative to this cohort.

        Same parameters and result as :meth:`transform`.
        """
        input_kw, run_kw = self._input_kwargs(input_kwargs)
        raw, prep = self._fit(data, input_kw, run_kw)
        self.reference_source_ = "cohort"
        notes = {"genes_missing": {}, "mechanisms_unscored": []}
        return self._output(raw, prep, mutations=mutations,
                            return_contributions=return_contributions, notes=notes)

    # -- persistence -----------------------------------------------------------------------
    def to_dict(self) -> dict:
        """The fitted reference as plain data (what :meth:`save` writes)."""
        self._check_fitted()
        from rrscore._version import __version__

        return {
            "format": _FORMAT,
            "format_version": _FORMAT_VERSION,
            "rrscore_version": __version__,
            "method": self.method_,
            "method_params": dict(self.method_params_),
            "gene_sets": {"name": self.collection_name_, "version": self.collection_version_},
            "min_genes": int(self.min_genes),
            "mechanisms": list(self.mechanisms_),
            "weights": {m: float(self.weights_[m]) for m in self.mechanisms_},
            "genes": {m: {"up": list(g["up"]), "down": list(g["down"])}
                      for m, g in self.genes_.items()},
            "reference": {
                "n_samples": self.n_reference_,
                "n_genes": self.n_genes_reference_,
                "mean": {m: float(self.mean_[m]) for m in self.mechanisms_},
                "sd": {m: float(self.scale_[m]) for m in self.mechanisms_},
                "composite": [float(v) for v in self.reference_composite_],
            },
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted reference to a JSON file (floats round-trip exactly)."""
        text = json.dumps(self.to_dict(), indent=1, allow_nan=False)
        Path(path).write_text(text + "\n", encoding="utf-8")

    @classmethod
    def from_dict(cls, record: Mapping) -> RadioresistanceScorer:
        """Rebuild a fitted scorer from :meth:`to_dict` output."""
        if record.get("format") != _FORMAT:
            raise InputDataError(
                f"not a fitted radioresistance reference (format {record.get('format')!r})"
            )
        if int(record.get("format_version", 0)) > _FORMAT_VERSION:
            raise InputDataError(
                f"reference format version {record['format_version']} is newer than this "
                f"rrscore understands ({_FORMAT_VERSION}); update rrscore"
            )
        try:
            mechanisms = list(record["mechanisms"])
            ref = record["reference"]
            scorer = cls(
                record["method"], weights=dict(record["weights"]),
                gene_sets=record["gene_sets"]["name"], mechanisms=mechanisms,
                min_genes=int(record["min_genes"]), method_params=dict(record["method_params"]),
            )
            spec, params = scorer._spec_and_params()
            scorer.method_ = spec.name
            scorer.method_params_ = plain(dataclasses.asdict(params))
            scorer.mechanisms_ = mechanisms
            weights = pd.Series({m: float(record["weights"][m]) for m in mechanisms})
            # stored normalised: validate, but keep the values so a reload is exact
            if not (np.isfinite(weights).all() and (weights >= 0).all()
                    and abs(weights.sum() - 1.0) < 1e-9):
                raise ValueError(f"weights must be >= 0 and sum to 1, got {dict(weights)}")
            scorer.weights_ = weights
            scorer.genes_ = {m: {"up": list(record["genes"][m]["up"]),
                                 "down": list(record["genes"][m]["down"])} for m in mechanisms}
            scorer.mean_ = pd.Series({m: float(ref["mean"][m]) for m in mechanisms})
            scorer.scale_ = pd.Series({m: float(ref["sd"][m]) for m in mechanisms})
            scorer.n_reference_ = int(ref["n_samples"])
            scorer.n_genes_reference_ = int(ref["n_genes"])
            scorer.reference_composite_ = np.sort(np.asarray(ref["composite"], dtype=float))
            scorer.collection_name_ = str(record["gene_sets"]["name"])
            scorer.collection_version_ = str(record["gene_sets"]["version"])
        except (KeyError, TypeError, ValueError) as exc:
            raise InputDataError(f"malformed radioresistance reference: {exc!r}") from None
        if len(scorer.reference_composite_) == 0 or (scorer.scale_ <= 0).any():
            raise InputDataError("malformed radioresistance reference: empty or zero SD")
        scorer.coverage_ = None
        scorer.reference_source_ = "loaded"
        return scorer

    @classmethod
    def load(cls, path: str | os.PathLike) -> RadioresistanceScorer:
        """Read a reference written by :meth:`save`."""
        path = Path(path)
        if not path.exists():
            raise InputDataError(f"reference file not found: {path}")
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise InputDataError(f"{path}: not JSON ({exc})") from None
        scorer = cls.from_dict(record)
        scorer.reference_source_ = str(path)
        return scorer

    def __repr__(self) -> str:
        state = (f"fitted on {self.n_reference_} samples, {len(self.mechanisms_)} mechanisms"
                 if self._is_fitted() else "not fitted")
        return f"RadioresistanceScorer(method={self.method!r}; {state})"


def radioresistance(
    data,
    *,
    method: str | None = None,
    reference=None,
    weights: Mapping[str, float] | None = None,
    mutations=None,
    gene_sets: GeneSetsLike | None = None,
    mechanisms: Sequence[str] | None = None,
    min_genes: int | None = None,
    return_contributions: bool = False,
    **score_kwargs,
):
    """Radioresistance score of every sample: per-mechanism z-scores and their composite.

    Parameters
    ----------
    data
        Expression input in any shape :func:`rrscore.score` accepts (a pandas Series is one
        sample with genes as its index).
    method
        Scoring method; default ``"singscore"`` (rank-based, sample-independent). With a
        fitted ``reference`` the reference's method is used and this must agree with it.
    reference
        What the mechanism scores are standardised against:

        * ``None`` (default): the cohort ``data`` itself — every score is then relative to
          this cohort, and at least 2 samples are needed;
        * a fitted :class:`RadioresistanceScorer`, or the path of its saved JSON file (any
          path is read as such a file): its reference statistics (the way to score one new
          sample);
        * expression data of a reference cohort (a DataFrame, array or AnnData, not a path):
          fitted here with the same method, weights and options.
    weights
        Mechanism weights in the composite (dict ``mechanism -> weight``; see
        :class:`RadioresistanceScorer`). Default: equal weights.
    mutations
        Optional. A MAF (DataFrame or file path with ``Hugo_Symbol``,
        ``Tumor_Sample_Barcode``, ``Variant_Classification``) or a binary samples × genes
        table (DataFrame or file). Adds the driver columns ``driver_KEAP1_NFE2L2``,
        ``driver_STK11``, ``driver_KRAS``, ``driver_EGFR``, ``driver_TP53`` (1/0/NaN) and
        ``driver_score`` (the number of mutated driver components; all five promote
        resistance per ``genesets/drivers.tsv``). They are reported beside the composite and
        never enter it. Which variant classes count: :mod:`rrscore.radiation._drivers`.
    gene_sets, mechanisms, min_genes
        The mechanism collection (default the bundled ``"mechanisms"``), which of its sets to
        score (default :data:`DEFAULT_MECHANISMS`) and the minimum number of genes found.
    return_contributions
        Return a :class:`RadioresistanceResult` ``(scores, contributions, scorer)``: the
        contributions are ``weight × z`` per mechanism and each row sums to ``composite``.
    **score_kwargs
        The method's parameters (e.g. ``normalize=False`` for ssGSEA) and input options of
        :func:`rrscore.score` (``nan_policy``, ``orient``, ``layer``, ``use_raw``,
        ``duplicates``, ``genes``, ``samples``, ``map_ids``, ``chunk_size``, ``progress``).

    Returns
    -------
    pandas.DataFrame or RadioresistanceResult
        Samples as rows; columns: one per mechanism (its standardised score; high = more
        resistance-like), ``composite`` (weighted mean of the z-scores),
        ``composite_percentile`` (percentage of reference samples at or below), then the
        driver columns when ``mutations`` is given. ``.attrs["rrscore"]`` records the method,
        parameters, weights, reference and input report.

    Examples
    --------
    >>> import pandas as pd, rrscore
    >>> expr = pd.read_csv("examples/data/tcga_luad_agilent/expr.tsv.gz", sep="\\t",
    ...                    index_col=0)                                    # doctest: +SKIP
    >>> res = rrscore.radioresistance(expr, nan_policy="drop_genes")      # doctest: +SKIP
    >>> res["composite"].sort_values().tail(3)                            # doctest: +SKIP
    """
    if reference is None or not isinstance(reference, (RadioresistanceScorer, str, os.PathLike)):
        method_kw, input_kw, run_kw = _split_kwargs(method or DEFAULT_METHOD, score_kwargs)
        scorer = RadioresistanceScorer(
            method or DEFAULT_METHOD, weights=weights,
            gene_sets="mechanisms" if gene_sets is None else gene_sets,
            mechanisms=mechanisms, min_genes=MIN_GENES if min_genes is None else min_genes,
            method_params=method_kw,
        )
        if reference is None:
            return scorer.fit_transform(data, mutations=mutations,
                                        return_contributions=return_contributions,
                                        **input_kw, **run_kw)
        scorer.fit(reference, **input_kw, **run_kw)
    else:
        scorer = (reference if isinstance(reference, RadioresistanceScorer)
                  else RadioresistanceScorer.load(reference))
        scorer._check_fitted()
        method_kw, input_kw, run_kw = _split_kwargs(scorer.method_, score_kwargs)
        fixed = {"weights": weights, "gene_sets": gene_sets, "mechanisms": mechanisms,
                 "min_genes": min_genes}
        given = [k for k, v in fixed.items() if v is not None]
        if given:
            raise RRScoreError(
                f"{given} are fixed when the reference is fitted; fit a new reference to "
                "change them"
            )
        if method is not None and get_method(method).name != scorer.method_:
            raise RRScoreError(
                f"method {method!r} differs from the fitted reference's {scorer.method_!r}"
            )
        params = get_method(scorer.method_).make_params(**method_kw)
        differ = {k: v for k, v in plain(dataclasses.asdict(params)).items()
                  if k in method_kw and scorer.method_params_.get(k) != v}
        if differ:
            raise RRScoreError(
                f"method parameters {differ} differ from the fitted reference's "
                f"{scorer.method_params_}"
            )
    return scorer.transform(data, mutations=mutations,
                            return_contributions=return_contributions, **input_kw, **run_kw)


def assign_groups(
    scores,
    *,
    quantiles: Sequence[float],
    reference=None,
    column: str = "composite",
    labels: Sequence[str] | None = None,
) -> pd.Series:
    """Groups by quantiles the user chooses (rrscore has no clinical cut-offs).

    Parameters
    ----------
    scores
        The result of :func:`radioresistance` (``column`` is used) or a Series of scores.
    quantiles
        Cut points as probabilities, strictly increasing in (0, 1), e.g. ``(0.25, 0.75)``
        for bottom quarter / middle half / top quarter. Required: choosing them is the
        user's decision.
    reference
        Where the cut points come from: ``None`` — the quantiles of ``scores`` themselves;
        a fitted :class:`RadioresistanceScorer` — the quantiles of its reference composite
        (only for ``column="composite"``); or a Series/array of reference values.
        Quantiles use linear interpolation (NumPy's and pandas' default).
    column
        The column of a DataFrame to group (default ``"composite"``).
    labels
        One label per group (``len(quantiles) + 1``). Default ``"q0-25"``, ``"q25-75"``,
        ``"q75-100"`` style labels from the quantiles.

    Returns
    -------
    pandas.Series
        Ordered categorical, named ``"group"``; a value equal to a cut point goes to the
        upper group; NaN scores give NaN.
    """
    if isinstance(scores, pd.DataFrame):
        if column not in scores.columns:
            raise RRScoreError(f"scores has no column {column!r}")
        values = scores[column]
    elif isinstance(scores, pd.Series):
        values = scores
    else:
        values = pd.Series(np.asarray(scores, dtype=float))
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or len(q) == 0 or not np.all(np.isfinite(q)) or (q <= 0).any() \
            or (q >= 1).any() or (np.diff(q) <= 0).any():
        raise RRScoreError(
            f"quantiles must be strictly increasing probabilities in (0, 1), got {quantiles!r}"
        )
    if isinstance(reference, RadioresistanceScorer):
        reference._check_fitted()
        if column != "composite":
            raise RRScoreError("a fitted scorer holds the reference composite only")
        ref = reference.reference_composite_
    elif reference is None:
        ref = values.to_numpy(dtype=float)
    else:
        ref = np.asarray(reference, dtype=float)
    ref = ref[np.isfinite(ref)]
    if len(ref) == 0:
        raise RRScoreError("no finite reference value to take quantiles from")
    cuts = np.quantile(ref, q)
    if labels is None:
        edges = [0.0, *(100 * q), 100.0]
        labels = [f"q{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]
    labels = [str(x) for x in labels]
    if len(labels) != len(q) + 1 or len(set(labels)) != len(labels):
        raise RRScoreError(f"labels must be {len(q) + 1} distinct names, got {labels}")
    x = values.to_numpy(dtype=float)
    codes = np.searchsorted(cuts, x, side="right")
    codes = np.where(np.isnan(x), -1, codes)
    groups = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return pd.Series(groups, index=values.index, name="group")


def _h5ad_safe(value):
    """Plain values h5ad can store (None becomes the string "None")."""
    value = plain(value)
    if value is None:
        return "None"
    if isinstance(value, dict):
        return {k: _h5ad_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_h5ad_safe(v) for v in value] if value else ""
    return value


def radioresistance_anndata(
    adata,
    *,
    reference=None,
    method: str | None = None,
    weights: Mapping[str, float] | None = None,
    layer: str | None = None,
    use_raw: bool | None = None,
    key_added: str = "rrscore_radioresistance",
    obs_key: str = "rr_composite",
    inplace: bool = True,
    copy: bool = False,
    **kwargs,
):
    """Per-cell radioresistance score of an AnnData (``rrscore.tl.radioresistance``).

    Runs :func:`radioresistance` on the cells and stores the result scanpy-style:
    ``adata.obsm[key_added]`` (cells × mechanism z-scores, ``composite``,
    ``composite_percentile``), ``adata.obs[obs_key]`` (the composite) and
    ``adata.uns[key_added]`` (method, parameters, weights, mechanisms, reference mean and SD —
    plain values that survive ``write_h5ad``). Without ``reference`` the cells are their own
    reference: scores are relative to the cells of this AnnData.

    Parameters
    ----------
    adata
        An in-memory AnnData (dense or sparse; ``layer``/``use_raw`` choose the matrix as in
        scanpy). Backed AnnData is not supported here.
    reference, method, weights
        As in :func:`radioresistance` (e.g. a :class:`RadioresistanceScorer` fitted on a
        reference set of cells, or its JSON path).
    key_added, obs_key
        Where the results go.
    inplace, copy
        ``inplace=False`` returns the scores and leaves ``adata`` untouched; ``copy=True``
        annotates and returns a copy.
    **kwargs
        Other arguments of :func:`radioresistance` (``mechanisms``, ``gene_sets``,
        ``mutations``, method parameters, ``nan_policy``, ...).

    Returns
    -------
    None, AnnData or pandas.DataFrame
        None by default; the annotated copy with ``copy=True``; the scores with
        ``inplace=False``.
    """
    if not hasattr(adata, "obs_names") or not hasattr(adata, "obsm"):
        raise RRScoreError(
            f"rrscore.tl.radioresistance takes an AnnData, got {type(adata).__name__}; "
            "use rrscore.radioresistance for tables and arrays"
        )
    if getattr(adata, "isbacked", False):
        raise RRScoreError("rrscore.tl.radioresistance needs an in-memory AnnData")
    if copy and not inplace:
        raise RRScoreError("copy=True returns an annotated copy; it cannot be combined with "
                           "inplace=False (which returns the scores only)")
    scores, _, scorer = radioresistance(
        adata, reference=reference, method=method, weights=weights, layer=layer,
        use_raw=use_raw, return_contributions=True, **kwargs,
    )
    scores.index = pd.Index(adata.obs_names)
    if not inplace:
        return scores
    if copy:
        adata = adata.copy()
    meta = scores.attrs["rrscore"]
    record = {
        "method": meta["method"],
        "params": meta["params"],
        "collection": meta["collection"],
        "collection_version": meta["collection_version"],
        "mechanisms": meta["mechanisms"],
        "weights": meta["weights"],
        "reference": {**meta["reference"],
                      "mean": {m: float(scorer.mean_[m]) for m in scorer.mechanisms_},
                      "sd": {m: float(scorer.scale_[m]) for m in scorer.mechanisms_}},
        "standardisation": meta["standardisation"],
        "obs_key": obs_key,
    }
    stored = scores.copy()
    stored.attrs = {}
    adata.obsm[key_added] = stored
    adata.obs[obs_key] = stored["composite"].to_numpy()
    adata.uns[key_added] = _h5ad_safe(record)
    return adata if copy else None
