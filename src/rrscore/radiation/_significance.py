"""How sure is a mechanism score: each sample's score against size-matched random gene sets.

The per-sample null of :func:`rrscore.stats.score_significance` (singscore's ``generateNull``
idea), applied to the composite's mechanisms as they are scored: for every distinct part size
``(k_up, k_dn)`` of the mechanisms, ``n_perm`` random gene sets are drawn once from the genes of
the data (seeded :class:`numpy.random.Generator`; within a draw the up and down genes are
distinct; the draws are those :func:`rrscore.stats.score_significance` makes for sets of those
sizes with the same seed), each part scored by the method and combined exactly as the mechanism
(part weights by size, direction; :mod:`rrscore.radiation._parts`). Per sample and mechanism:

* ``null_z = (score − mean(null)) / sd(null)`` (SD with ``ddof=1``);
* two-sided empirical ``p = min(1, 2 · min(p_high, p_low))`` with
  ``p_high = (1 + #{null ≥ score}) / (1 + n_perm)`` and ``p_low`` the same with ``≤`` — never 0,
  a multiple of ``1 / (n_perm + 1)``.

A low p says that the sample's mechanism score is further from zero than random sets of the
same size score in that sample: the mechanism's genes sit together high (or low) in its ranking.
It says nothing about the reference cohort (that is the z-score) and is not corrected for the
number of mechanisms and samples.

This lives beside the composite (``rrscore.stats`` sits above ``rrscore.radiation`` in the
package's layers, so the composite cannot call it); the tests check that both give the same z
and p for unsigned sets.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rrscore._runner import run_scoring
from rrscore.errors import RRScoreError, RRScoreWarning
from rrscore.genesets._model import GeneSetCollection
from rrscore.radiation._parts import combine, part_sets

#: Default number of random sets per part size.
N_PERM = 1000

#: Scores held in memory per scoring call of random sets (samples × sets), as rrscore.stats.
NULL_BATCH_VALUES = 20_000_000


def mechanism_null(
    expr, genes: Mapping[str, Mapping[str, Sequence[str]]], directions: Mapping[str, int],
    observed: pd.DataFrame, method: str, method_params: Mapping, *, n_perm: int = N_PERM,
    seed: int = 0, run_kw: Mapping | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Empirical z and two-sided p of each sample's mechanism scores against random sets.

    Parameters
    ----------
    expr
        The prepared :class:`~rrscore.expression.ExpressionMatrix` the mechanisms were scored
        on (random genes are drawn from its genes).
    genes
        Mechanism → ``{"up": [...], "down": [...]}``, the genes the weights count (found in
        the reference).
    directions
        Mechanism → +1 / -1.
    observed
        Samples × mechanisms, the (unstandardised) mechanism scores.
    method, method_params
        The composite's method and parameters (must be sample-independent).
    n_perm
        Random sets per part size.
    seed
        Seed of the generator.
    run_kw
        Run options (``chunk_size``, ``n_jobs``) for the scoring calls.

    Returns
    -------
    (null_z, pvalue, info)
        Two samples × mechanisms frames, and ``{"n_perm", "seed", "alternative",
        "n_genes_drawn_from", "null_sizes"}``.
    """
    n_perm = int(n_perm)
    if n_perm < 2:
        raise RRScoreError(f"significance needs at least 2 random sets, got n_perm={n_perm}")
    universe = np.asarray(pd.Index(expr.genes).astype(str))
    n_genes = len(universe)
    n_samples = observed.shape[0]
    sizes = sorted({(len(g["up"]), len(g["down"])) for g in genes.values()})
    rng = np.random.default_rng(seed)
    draws = {}
    for k_up, k_dn in sizes:
        if k_up + k_dn > n_genes:
            raise RRScoreError(f"a set of {k_up + k_dn} genes cannot be drawn from {n_genes}")
        picks = []
        for _ in range(n_perm):
            idx = rng.choice(n_genes, size=k_up + k_dn, replace=False)
            picks.append((idx[:k_up], idx[k_up:]))
        draws[(k_up, k_dn)] = picks
    run_kw = dict(run_kw or {})
    if run_kw.get("chunk_size") is None:
        run_kw["chunk_size"] = "auto"  # as the mechanisms were scored (rrscore._runner)
    null = {key: np.empty((n_samples, n_perm)) for key in sizes}
    jobs = [(key, j) for key in sizes for j in range(n_perm)]
    per_call = max(1, NULL_BATCH_VALUES // max(2 * n_samples, 1))
    for start in range(0, len(jobs), per_call):
        chunk = jobs[start:start + per_call]
        sets = []
        for i, (key, j) in enumerate(chunk):
            up, down = draws[key][j]
            sets.extend(part_sets(f"null{i}", universe[up], universe[down]))
        with warnings.catch_warnings():
            # the data's warnings were given when the mechanisms were scored
            warnings.simplefilter("ignore", RRScoreWarning)
            run = run_scoring(expr, GeneSetCollection(tuple(sets)), method,
                              method_params=method_params, min_size=1, low_coverage=0.0,
                              map_ids="off", **run_kw)
        raw = pd.DataFrame(run.values["score"], columns=run.set_names)
        if raw.shape[1] != len(sets):
            raise RRScoreError("random sets were dropped while scoring the null")
        for i, (key, j) in enumerate(chunk):
            null[key][:, j] = combine(raw, f"null{i}", key[0], key[1])
    z = pd.DataFrame(index=observed.index, columns=list(genes), dtype=float)
    p = pd.DataFrame(index=observed.index, columns=list(genes), dtype=float)
    for m, g in genes.items():
        sign = float(directions.get(m, 1))
        values = sign * null[(len(g["up"]), len(g["down"]))]
        obs = observed[m].to_numpy(dtype=float)
        mean = values.mean(axis=1)
        sd = values.std(axis=1, ddof=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            z[m] = np.where(sd > 0, (obs - mean) / sd, np.nan)
        high = (1 + (values >= obs[:, None]).sum(axis=1)) / (1 + n_perm)
        low = (1 + (values <= obs[:, None]).sum(axis=1)) / (1 + n_perm)
        p[m] = np.where(np.isnan(obs), np.nan, np.minimum(1.0, 2 * np.minimum(high, low)))
    info = {"n_perm": n_perm, "seed": int(seed), "alternative": "two-sided",
            "n_genes_drawn_from": int(n_genes), "null_sizes": [list(k) for k in sizes]}
    return z, p, info


def n_perm_of(significance) -> int:
    """``significance=`` as a number of random sets per part size (0: off).

    Parameters
    ----------
    significance
        False/None (off), True (:data:`N_PERM`) or an integer >= 2.

    Returns
    -------
    int

    Raises
    ------
    RRScoreError
        For any other value.
    """
    if significance is None or significance is False:
        return 0
    if significance is True:
        return N_PERM
    if isinstance(significance, (int, np.integer)) and significance >= 2:
        return int(significance)
    raise RRScoreError(
        f"significance must be True/False or a number of random sets >= 2, got {significance!r}"
    )
