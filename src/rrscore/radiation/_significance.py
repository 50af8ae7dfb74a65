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

from rrscore._prepare import prepare
from rrscore._runner import auto_chunk_size
from rrscore.errors import RRScoreError, RRScoreWarning
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._model import GeneSetCollection
from rrscore.methods import get_method
from rrscore.methods._engine import run_method
from rrscore.radiation._parts import DOWN_TAG, UP_TAG, part_sets, part_weights

#: Default number of random sets per part size.
N_PERM = 1000

#: Scores held in memory at once (block of samples × random sets): ~160 MB of float64.
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
    sets, columns = _null_sets(draws, universe)
    with warnings.catch_warnings():
        # the data's warnings were given when the mechanisms were scored
        warnings.simplefilter("ignore", RRScoreWarning)
        spec = get_method(method)
        params = spec.make_params(**dict(method_params))
        prepared = prepare(expr, GeneSetCollection(tuple(sets)), min_size=1, low_coverage=0.0,
                           map_ids="off", spec=spec, params=params)
    if len(prepared.sets) != len(sets):
        raise RRScoreError("random sets were dropped while scoring the null")
    order = {name: i for i, name in enumerate(prepared.sets.names)}
    where = {key: {tag: np.array([order[name] for name in names], dtype=np.int64)
                   for tag, names in parts.items()} for key, parts in columns.items()}
    z = np.full((n_samples, len(genes)), np.nan)
    p = np.full((n_samples, len(genes)), np.nan)
    observed_values = {m: observed[m].to_numpy(dtype=float) for m in genes}
    # Each block of samples is ranked once and scored with every random set (the method is
    # sample-independent, so a sample's scores do not depend on the block): one ranking per
    # sample in all, and memory bounded by a block's scores, whatever the number of samples.
    per_block = max(1, NULL_BATCH_VALUES // max(len(sets), 1))
    for start in range(0, n_samples, per_block):
        stop = min(start + per_block, n_samples)
        raw = _score_block(spec, params, expr, prepared.sets, start, stop, run_kw)
        null = {key: _combine_columns(raw, where[key], key) for key in sizes}
        for i, (m, g) in enumerate(genes.items()):
            sign = float(directions.get(m, 1))
            values = sign * null[(len(g["up"]), len(g["down"]))]
            z[start:stop, i], p[start:stop, i] = _z_and_p(
                values, observed_values[m][start:stop], n_perm)
    names = list(genes)
    z = pd.DataFrame(z, index=observed.index, columns=names)
    p = pd.DataFrame(p, index=observed.index, columns=names)
    info = {"n_perm": n_perm, "seed": int(seed), "alternative": "two-sided",
            "n_genes_drawn_from": int(n_genes), "null_sizes": [list(k) for k in sizes]}
    return z, p, info


def _null_sets(draws: Mapping, universe: np.ndarray) -> tuple[list, dict]:
    """The part sets of every random draw, and per part size the names of its up and down
    part sets in draw order."""
    sets, columns = [], {}
    i = 0
    for key, picks in draws.items():
        names = {UP_TAG: [], DOWN_TAG: []}
        for up, down in picks:
            parts = part_sets(f"null{i}", universe[up], universe[down])
            sets.extend(parts)
            for gs in parts:
                names[gs.name[len(f"null{i}"):]].append(gs.name)
            i += 1
        columns[key] = {tag: v for tag, v in names.items() if v}
    return sets, columns


def _score_block(spec, params, expr, sets, start: int, stop: int, run_kw: Mapping
                 ) -> np.ndarray:
    """Scores (``stop - start`` × sets) of one block of samples, read once."""
    block = ExpressionMatrix(expr.rows(start, stop), expr.genes, expr.samples[start:stop],
                             row_offset=expr.row_offset + start, source_dtype=expr.source_dtype)
    chunk_size = run_kw.get("chunk_size")
    if chunk_size is None or chunk_size == "auto":
        chunk_size = auto_chunk_size(block)  # as the mechanisms were scored (rrscore._runner)
    values, _ = run_method(spec, block, sets, params, chunk_size=chunk_size,
                           n_jobs=run_kw.get("n_jobs"))
    return values["score"]


def _combine_columns(raw: np.ndarray, where: Mapping[str, np.ndarray], key) -> np.ndarray:
    """Block × draws of one part size: the parts combined as
    :func:`rrscore.radiation._parts.combine` combines them (the same operations, in order)."""
    k_up, k_dn = key
    weights = part_weights(k_up, k_dn)
    n_draws = len(next(iter(where.values())))
    total = np.zeros((raw.shape[0], n_draws))
    for tag, k, sign, w in ((UP_TAG, k_up, 1.0, weights["up"]),
                            (DOWN_TAG, k_dn, -1.0, weights["down"])):
        if k == 0:
            continue
        total = total + sign * w * raw[:, where[tag]]
    # C order, as the null's rows were laid out before: the row means and SDs below then
    # add each row's values in the same (pairwise) order, to the same bits
    return np.ascontiguousarray(total)


def _z_and_p(values: np.ndarray, obs: np.ndarray, n_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Null z and two-sided empirical p of each row's observed score (rows × draws null)."""
    mean = values.mean(axis=1)
    sd = values.std(axis=1, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd > 0, (obs - mean) / sd, np.nan)
    high = (1 + (values >= obs[:, None]).sum(axis=1)) / (1 + n_perm)
    low = (1 + (values <= obs[:, None]).sum(axis=1)) / (1 + n_perm)
    return z, np.where(np.isnan(obs), np.nan, np.minimum(1.0, 2 * np.minimum(high, low)))


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
