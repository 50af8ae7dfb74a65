"""The composite radioresistance score, one call: :func:`radioresistance`.

This module is the thin functional API; the work is done by the fitted scorer
(:class:`~rrscore.radiation._scorer.RadioresistanceScorer`), the mechanism selection and
read-outs (:mod:`rrscore.radiation._mechanisms`, :mod:`rrscore.radiation._readouts`), the part
weights (:mod:`rrscore.radiation._parts`), the confounders (:mod:`rrscore.radiation._confounders`)
and the JSON reference (:mod:`rrscore.radiation._persistence`); groups are
:mod:`rrscore.radiation._groups`.

How the score is built (composite v2), for each sample:

1. **Mechanism read-outs.** Each mechanism of ``genesets/composite.tsv`` is read by the gene set
   that measures its activity: the review's effector genes where they do, a published, cited
   signature where they do not (hypoxia by its response genes, the NRF2/KEAP1 axis by NRF2
   targets). A gene shared by several read-outs counts in one mechanism only
   (``genesets/gene_assignment.tsv``).
2. **Mechanism scores.** Each read-out is scored by a registered method (default
   :data:`DEFAULT_METHOD`, singscore). A signed read-out (resistance-promoting ``up`` genes,
   sensitising ``down`` genes) is scored part by part and the parts are weighted by their
   number of genes, ``(k_up·S(up) − k_dn·S(down)) / (k_up + k_dn)``, so that a part with one
   or two genes cannot outweigh the rest; ``small_parts=drop`` leaves such a part out. A high
   score always means "more resistance-like" (a read-out with direction -1 is negated).
3. **Standardisation.** Each mechanism score becomes a z-score against a reference cohort:
   ``z = (score - reference mean) / reference SD`` (sample SD, ``ddof=1``). Without a
   reference the cohort being scored is its own reference, and every z-score (and the
   composite) is then *relative to that cohort*: it says how a tumour compares with the
   others scored with it, not with any external population.
4. **Confounders beside it.** ``proliferation``, ``stromal`` and ``immune`` (the bundled
   ``"confounders"`` collection) are scored and standardised the same way and reported next to
   the composite; they never enter it. ``adjust=`` replaces each mechanism z by its residual
   from an OLS on chosen confounders fitted on the reference.
5. **Composite.** ``composite = sum_m w_m * z_m`` over the mechanisms, with weights ``w`` that
   sum to 1 (equal by default). The per-mechanism terms ``w_m * z_m`` are the contributions;
   they add up to the composite exactly.
6. **Percentile.** ``composite_percentile`` is the percentage of reference samples whose
   composite is at or below the sample's. There are no clinical cut-offs: groups come only from
   quantiles the user chooses (:func:`assign_groups`).

A mechanism with fewer than ``min_genes`` genes found in the reference data is dropped with a
warning; in a sample scored against a saved reference it is NaN when its genes found fall below
``min_genes`` or ``min_coverage`` of the reference's. Scoring single new samples against a saved
reference: :mod:`rrscore.radiation._scorer`.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping, Sequence

from rrscore._prepare import GeneSetsLike
from rrscore._records import plain
from rrscore.errors import RRScoreError
from rrscore.methods import get_method
from rrscore.radiation._mechanisms import MIN_COVERAGE, MIN_GENES
from rrscore.radiation._scorer import (
    DEFAULT_METHOD,
    INPUT_KWARGS,
    RUN_KWARGS,
    RadioresistanceResult,
    RadioresistanceScorer,
)

__all__ = ["RadioresistanceResult", "radioresistance"]


def _split_kwargs(method: str, kwargs: Mapping) -> tuple[dict, dict, dict]:
    """Split ``**score_kwargs`` into method parameters, input-layer and run arguments."""
    spec = get_method(method)
    fields = {f.name for f in dataclasses.fields(spec.params)}
    method_kw, input_kw, run_kw = {}, {}, {}
    for key, value in kwargs.items():
        if key in fields:
            method_kw[key] = value
        elif key in INPUT_KWARGS:
            input_kw[key] = value
        elif key in RUN_KWARGS:
            run_kw[key] = value
        else:
            raise RRScoreError(
                f"unknown argument {key!r}: not a parameter of method {spec.name!r} "
                f"({sorted(fields) or 'none'}) nor an input option ({sorted(INPUT_KWARGS)})"
            )
    return method_kw, input_kw, run_kw



def radioresistance(
    data,
    *,
    method: str | None = None,
    reference=None,
    weights: Mapping[str, float] | None = None,
    mutations=None,
    sequenced=None,
    gene_sets: GeneSetsLike | None = None,
    mechanisms: Sequence[str] | None = None,
    min_genes: int | None = None,
    min_coverage: float | None = None,
    confounders=None,
    adjust: Sequence[str] | None = None,
    significance: bool | int = False,
    seed: int = 0,
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
        ``driver_score`` (the number of mutated components whose mutations promote
        resistance per ``genesets/drivers.tsv``; sensitising ones are reported, not counted).
        They are reported beside the composite and never enter it. Which variant classes
        count: :mod:`rrscore.radiation._drivers`.
    sequenced
        With a MAF: the IDs of every sequenced sample (list, or a file with one ID per
        line). A sequenced sample absent from the MAF is wild type (0), not unknown (NaN).
    gene_sets, mechanisms, min_genes, min_coverage
        Where the mechanisms come from (default: the composite v2 definition of
        ``genesets/composite.tsv``; ``"mechanisms"``: the review's effector sets as they are;
        any collection), which to score (default :data:`DEFAULT_MECHANISMS`), the minimum
        number of genes found (default 3) and the minimum share of the reference's genes a
        sample scored against a saved reference must have (default 0.8); see
        :class:`RadioresistanceScorer`.
    confounders
        The confounder sets scored beside the composite (default: the bundled
        ``"confounders"`` collection, giving ``proliferation``, ``stromal``, ``immune``;
        ``False``: none).
    adjust
        Confounder columns to adjust the mechanisms for (e.g. ``("proliferation",
        "stromal", "immune")`` or a subset; default none): each mechanism z is replaced by
        its residual from an OLS on them fitted on the reference, and the composite is built
        from the residuals. The coefficients are kept with the reference (and its JSON), so
        a single new sample is adjusted the same way. Adjustment removes what the
        confounders linearly predict in the reference cohort; it does not make a score
        tumour-intrinsic, and proliferation is both sensitising per fraction (cycling cells
        are radiosensitive) and a driver of repopulation over a course: adjusting for it
        removes radiation biology too. Report both.
    significance
        ``True`` (1,000 random sets per part size) or a number of random sets: adds, per
        mechanism, ``<mechanism>_null_z`` and ``<mechanism>_p`` — each sample's score against
        size-matched random gene sets scored and combined the same way (empirical z and
        two-sided p, :mod:`rrscore.radiation._significance`), so a mechanism score can be
        told from chance. Needs a sample-independent method.
    seed
        Seed of the random sets (``significance``).
    return_contributions
        Return a :class:`RadioresistanceResult` ``(scores, contributions, scorer)``: the
        contributions are ``weight × z`` per mechanism and each row sums to ``composite``.
    **score_kwargs
        The method's parameters (e.g. ``normalize=False`` for ssGSEA) and input options of
        :func:`rrscore.score` (``nan_policy``, ``orient``, ``layer``, ``use_raw``,
        ``duplicates``, ``genes``, ``samples``, ``map_ids``, ``chunk_size``, ``progress``,
        ``n_jobs``). Every mechanism's read-out parts and the confounders are scored in one
        run of the method (each sample ranked once for all of them); by default
        (``chunk_size=None``) sparse cells are scored in chunks of about four million stored
        values (:func:`rrscore._runner.auto_chunk_size`), dense data in the method's chunks.

    Returns
    -------
    pandas.DataFrame or RadioresistanceResult
        Samples as rows; columns: one per mechanism (its standardised score, or residual
        with ``adjust``; high = more resistance-like), ``composite`` (weighted mean of the
        z-scores), ``composite_percentile`` (percentage of reference samples at or below),
        the confounder columns, the driver columns when ``mutations`` is given and the
        significance columns when asked for. ``.attrs["rrscore"]`` records the method,
        parameters, read-outs and part weights, weights, adjustment, reference and input
        report.

    Raises
    ------
    RRScoreError
        For unknown arguments, options that are fixed by a fitted reference, a single sample
        without a reference, bad weights or adjustment names.

    Examples
    --------
    >>> import pandas as pd, rrscore
    >>> expr = pd.read_csv("examples/data/tcga_luad_agilent/expr.tsv.gz", sep="\\t",
    ...                    index_col=0)                                    # doctest: +SKIP
    >>> res = rrscore.radioresistance(expr, nan_policy="drop_genes")      # doctest: +SKIP
    >>> res[["composite", "proliferation", "stromal", "immune"]].head()   # doctest: +SKIP
    """
    options = {"mutations": mutations, "sequenced": sequenced, "significance": significance,
               "seed": seed, "return_contributions": return_contributions}
    if reference is None or not isinstance(reference, (RadioresistanceScorer, str, os.PathLike)):
        method_kw, input_kw, run_kw = _split_kwargs(method or DEFAULT_METHOD, score_kwargs)
        scorer = RadioresistanceScorer(
            method or DEFAULT_METHOD, weights=weights, gene_sets=gene_sets,
            mechanisms=mechanisms, min_genes=MIN_GENES if min_genes is None else min_genes,
            min_coverage=MIN_COVERAGE if min_coverage is None else min_coverage,
            confounders=confounders, adjust=adjust, method_params=method_kw,
        )
        if reference is None:
            return scorer.fit_transform(data, **options, **input_kw, **run_kw)
        scorer.fit(reference, **input_kw, **run_kw)
    else:
        scorer = (reference if isinstance(reference, RadioresistanceScorer)
                  else RadioresistanceScorer.load(reference))
        scorer._check_fitted()
        method_kw, input_kw, run_kw = _split_kwargs(scorer.method_, score_kwargs)
        fixed = {"weights": weights, "gene_sets": gene_sets, "mechanisms": mechanisms,
                 "min_genes": min_genes, "min_coverage": min_coverage,
                 "confounders": confounders, "adjust": adjust}
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
    return scorer.transform(data, **options, **input_kw, **run_kw)
