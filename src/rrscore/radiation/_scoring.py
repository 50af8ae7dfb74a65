"""One scoring run of the composite: mechanism and confounder parts scored together.

The fitted scorer (:mod:`rrscore.radiation._scorer`) decides which genes to score; this module
builds the part sets (:mod:`rrscore.radiation._parts`) of every mechanism and confounder, runs
them through the one scoring path (:func:`rrscore._runner.run_scoring`: one ranking per sample
for all of them), and returns the combined scores with each one's coverage.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from rrscore._prepare import check_source_options
from rrscore._records import warn_collapsed_duplicates
from rrscore._runner import run_scoring
from rrscore.errors import DroppedSetsWarning, LowCoverageWarning, RRScoreError, warn
from rrscore.expression._adapters import expression_by_blocks
from rrscore.genesets._model import GeneSetCollection
from rrscore.methods import get_method
from rrscore.radiation._confounders import TAG
from rrscore.radiation._parts import DOWN_TAG, UP_TAG, combine, part_coverage, part_sets

Genes = Mapping[str, Mapping[str, Sequence[str]]]


class PartScores(NamedTuple):
    """The outcome of :func:`score_parts`.

    Attributes
    ----------
    raw
        Samples × part sets (the method's scores of each part).
    coverage
        Name (mechanism or confounder column) → ``{"n_listed", "n_found", "n_up",
        "n_down", "missing", "found": {"up": [...], "down": [...]}}``.
    run
        The :class:`~rrscore._runner.ScoringRun` (prepared input, input scale).
    """

    raw: pd.DataFrame
    coverage: dict[str, dict]
    run: object


def as_data(data):
    """A Series is one sample (genes as its index)."""
    if isinstance(data, pd.Series):
        return data.to_frame(name=data.name if data.name is not None else "sample")
    return data


def score_parts(data, mechanisms: Genes, confounders: Genes, method: str,
                method_params: Mapping, input_kw: Mapping, run_kw: Mapping) -> PartScores:
    """Score every part of ``mechanisms`` and ``confounders`` in one run.

    Parameters
    ----------
    data
        Expression input.
    mechanisms, confounders
        Name → ``{"up": [...], "down": [...]}``.
    method, method_params
        The scoring method and its parameters.
    input_kw, run_kw
        Input options and run options of :func:`rrscore._runner.run_scoring`.

    Returns
    -------
    PartScores
    """
    check_source_options(data, layer=input_kw.get("layer"), use_raw=input_kw.get("use_raw"),
                         orient=input_kw.get("orient", "auto"))  # before the block adapter
    named = {**{m: g for m, g in mechanisms.items()},
             **{TAG + c: g for c, g in confounders.items()}}
    sets = [s for name, g in named.items() for s in part_sets(name, g["up"], g["down"])]
    run_kw = dict(run_kw)
    collection = GeneSetCollection(tuple(sets))
    data = _by_blocks(as_data(data), collection, method, method_params, input_kw)
    if run_kw.get("chunk_size") is None:
        # chunks of sparse cells sized by stored values: a few dozen kernel starts for 100k
        # cells rather than hundreds over the methods' 256-cell default (same scores)
        run_kw["chunk_size"] = "auto"
    with warnings.catch_warnings():
        # Parts without genes are reported by the scorer, by mechanism and with the reason
        # (min_genes, min_coverage); the runner would name the internal part sets instead.
        warnings.filterwarnings("ignore", category=DroppedSetsWarning)
        run = run_scoring(
            data, collection, method,
            method_params=dict(method_params),
            **{"low_coverage": 0.0, "min_size": 1, **input_kw}, **run_kw,
        )
    warn_collapsed_duplicates(run.prepared.expr.report.notes)  # as rrscore.score does
    raw = pd.DataFrame(run.values["score"], index=pd.Index(run.samples, name="sample"),
                       columns=pd.Index(run.set_names))
    table = run.prepared.sets.coverage
    coverage = {}
    for name, g in named.items():
        cov = part_coverage(table, name, g["up"], g["down"])
        gone = set(cov["missing"]) | _excluded(table, name)
        cov["found"] = {"up": [x for x in g["up"] if x not in gone],
                        "down": [x for x in g["down"] if x not in gone]}
        key = name[len(TAG):] if name.startswith(TAG) else name
        coverage[key] = cov
    return PartScores(raw, coverage, run)


#: Input options of :func:`~rrscore.expression._adapters.expression_by_blocks`.
_BLOCK_INPUT = ("genes", "samples", "orient", "layer", "use_raw", "duplicates", "nan_policy",
                "map_ids")


def _by_blocks(data, collection: GeneSetCollection, method: str, method_params: Mapping,
               input_kw: Mapping):
    """A table, array or in-memory AnnData whose gene plan would copy the matrix (genes
    dropped for missing values, duplicated genes), adapted to be read block by block when the
    method reads blocks of samples: the composite's peak memory then stays near the input's
    (issue 14). Other input is returned as it is, for the scoring run's input layer."""
    spec = get_method(method)
    if spec.read_mode_for(spec.make_params(**dict(method_params)))[0] == "memory":
        return data
    expr = expression_by_blocks(
        data, gene_universe=collection.genes,
        **{k: input_kw[k] for k in _BLOCK_INPUT if k in input_kw})
    return data if expr is None else expr


def _excluded(table: pd.DataFrame, name: str) -> set[str]:
    """Genes a method left out of a mechanism's parts (e.g. constant across samples)."""
    out: set[str] = set()
    for suffix in (UP_TAG, DOWN_TAG):
        row = name + suffix
        if row in table.index and "excluded" in table.columns and table.loc[row, "excluded"]:
            out.update(str(table.loc[row, "excluded"]).split(";"))
    return out


def mechanism_scores(raw: pd.DataFrame, genes: Genes, directions: Mapping[str, int]
                     ) -> pd.DataFrame:
    """Samples × mechanisms from the part scores (part weights by size, direction)."""
    return pd.DataFrame(
        {m: combine(raw, m, len(g["up"]), len(g["down"]), int(directions.get(m, 1)))
         for m, g in genes.items()},
        index=raw.index,
    )


def confounder_scores(raw: pd.DataFrame, genes: Genes) -> pd.DataFrame:
    """Samples × confounder columns from the part scores."""
    return pd.DataFrame(
        {c: combine(raw, TAG + c, len(g["up"]), len(g["down"])) for c, g in genes.items()},
        index=raw.index,
    )


def check_coverage(coverage: Mapping[str, dict], genes: Genes, min_genes: int,
                   min_coverage: float, *, kind: str = "mechanism"
                   ) -> tuple[list[str], dict[str, list[str]]]:
    """At transform: which mechanisms (or confounders) cannot be scored, and missing genes.

    A mechanism is NaN when its genes found in the data are fewer than ``min_genes``, fewer
    than ``min_coverage`` of the reference's genes, or when a part that has genes in the
    reference has none in the data (a :class:`~rrscore.errors.DroppedSetsWarning` names each,
    with its reason); the others are scored, and those missing some genes are named in a
    :class:`~rrscore.errors.LowCoverageWarning`.

    Parameters
    ----------
    coverage
        Name → coverage (:attr:`PartScores.coverage`).
    genes
        The reference's genes per name.
    min_genes, min_coverage
        The thresholds.
    kind
        ``"mechanism"`` or ``"confounder"`` (for the messages).

    Returns
    -------
    (unscored, missing)
        Names set to NaN; name → genes missing, for the names scored without some genes.
    """
    unscored, reasons, missing = [], [], {}
    for name, g in genes.items():
        cov = coverage[name]
        n_ref = len(g["up"]) + len(g["down"])
        found = cov["n_found"]
        empty_part = [p for p, k in (("up", "n_up"), ("down", "n_down")) if g[p] and cov[k] == 0]
        if found < min_genes or found < min_coverage * n_ref or empty_part:
            unscored.append(name)
            why = (f"its {empty_part[0]} part has no gene" if empty_part
                   else f"min_genes={min_genes}" if found < min_genes
                   else f"min_coverage={min_coverage:g}")
            reasons.append(f"{name} ({found}/{n_ref} genes; {why})")
        elif cov["missing"]:
            missing[name] = list(cov["missing"])
    if unscored:
        warn(
            f"{kind}s NaN, too few of the reference's genes in the data (never scored from the "
            "genes that remain and compared with the full-gene reference): "
            + ", ".join(reasons)
            + ("; the composite uses the others (weights renormalised) and its percentile is "
               "approximate" if kind == "mechanism" else ""),
            DroppedSetsWarning,
        )
    if missing:
        warn(
            f"genes of the fitted reference missing from the data (those {kind}s are scored "
            "without them, so their standardised scores are approximate): "
            + "; ".join(f"{m}: {', '.join(g[:5])}{' ...' if len(g) > 5 else ''}"
                        for m, g in missing.items()),
            LowCoverageWarning,
        )
    return unscored, missing


def usable_confounders(parts: PartScores, listed: Genes, adjust: Sequence[str],
                       min_genes: int) -> tuple[dict, pd.DataFrame]:
    """At fit: the confounders with enough genes and a non-constant reference score.

    Parameters
    ----------
    parts
        The scoring run of the reference.
    listed
        Confounder column → the genes listed.
    adjust
        The confounders to adjust for (one that cannot be used is an error).
    min_genes
        Minimum number of genes found.

    Returns
    -------
    (genes, raw)
        Column → genes found, and reference samples × usable columns (unstandardised).

    Raises
    ------
    RRScoreError
        When a confounder named in ``adjust`` cannot be used.
    """
    cov = parts.coverage
    genes = {c: dict(cov[c]["found"]) for c in listed}
    few = [c for c in listed if cov[c]["n_found"] < min_genes]
    raw = confounder_scores(parts.raw, {c: g for c, g in genes.items() if c not in few})
    sd = raw.std(axis=0, ddof=1)
    flat = [c for c in raw.columns if not (np.isfinite(sd[c]) and sd[c] > 0)]
    for bad, why in ((few, f"fewer than min_genes={min_genes} genes found"),
                     (flat, "constant or undefined score in the reference")):
        if not bad:
            continue
        used = [c for c in bad if c in adjust]
        if used:
            raise RRScoreError(f"cannot adjust for {used}: {why}")
        warn(f"confounder columns left out, {why}: {bad}", DroppedSetsWarning)
    keep = [c for c in listed if c not in few and c not in flat]
    return {c: genes[c] for c in keep}, raw[keep]
