"""Is one sample's score above chance? :func:`score_significance`.

For a method whose score of a sample depends on that sample only (singscore, UCell, AUCell,
ssGSEA without the cohort-wide normalisation, ...; asked of the method's spec), a set's
score is compared with the scores of size-matched random gene sets in the same sample —
singscore's ``generateNull`` idea, vectorised: random sets are drawn once (seeded
:class:`numpy.random.Generator`), scored together in as few :func:`rrscore.score` calls as
memory allows (one ranking per sample, many sets per kernel call), and every set of the
same size (up and down parts) is compared with the same null. Per sample and set:

* empirical p (one-sided, upper): ``(1 + #{null ≥ observed}) / (1 + n_perm)`` (never 0;
  ``"less"`` counts ``≤``, ``"two-sided"`` doubles the smaller, capped at 1);
* z: ``(observed − mean(null)) / sd(null)`` (SD with ``ddof=1``).

Random sets are drawn from the genes of the data as the input layer keeps them (after ID
mapping, duplicate collapsing and missing-value policy), the same random sets for every
sample.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.stats._effects import bh_qvalues

#: Scores held in memory per :func:`rrscore.score` call of random sets (samples × sets).
NULL_BATCH_VALUES = 20_000_000

#: Keyword arguments of :func:`rrscore.score` that are not method parameters.
_INPUT_OPTIONS = ("genes", "samples", "orient", "layer", "use_raw", "duplicates", "nan_policy",
                  "low_coverage", "map_ids", "chunk_size", "progress", "n_jobs")

#: Columns of :func:`score_significance`'s result, in order.
COLUMNS = ("sample", "set", "score", "null_mean", "null_sd", "z", "pvalue", "qvalue", "n_up",
           "n_down", "n_perm")


def _draw(rng: np.random.Generator, n_genes: int, n_up: int, n_down: int, n_perm: int
          ) -> list[tuple[np.ndarray, np.ndarray]]:
    """``n_perm`` random (up, down) gene-index pairs, disjoint within each pair."""
    k = n_up + n_down
    if k > n_genes:
        raise RRScoreError(f"a set of {k} genes cannot be drawn from {n_genes} genes")
    out = []
    for _ in range(n_perm):
        idx = rng.choice(n_genes, size=k, replace=False)
        out.append((idx[:n_up], idx[n_up:]))
    return out


def score_significance(
    data,
    gene_sets,
    method: str = "singscore",
    *,
    n_perm: int = 1000,
    seed: int = 0,
    alternative: str = "greater",
    min_size: int = 1,
    max_size: float = math.inf,
    **kwargs,
) -> pd.DataFrame:
    """Empirical z and p of every sample's score against size-matched random gene sets.

    Parameters
    ----------
    data, gene_sets, method, min_size, max_size
        As in :func:`rrscore.score`. The method must be sample-independent with the given
        parameters (``rrscore.list_methods()`` column ``sample_independent``).
    n_perm
        Random sets per distinct set size (default 1000; p-values are multiples of
        1/(n_perm + 1)).
    seed
        Seed of the :class:`numpy.random.Generator` drawing the random sets.
    alternative
        ``"greater"`` (default: the set scores higher than chance), ``"less"`` or
        ``"two-sided"``.
    **kwargs
        Input options (``nan_policy``, ``map_ids``, ``layer``, ...) and method parameters
        of :func:`rrscore.score`.

    Returns
    -------
    pandas.DataFrame
        One row per sample × set (sets in the collection's order): ``sample``, ``set``,
        ``score`` (observed), ``null_mean``, ``null_sd``, ``z``, ``pvalue``, ``qvalue``
        (Benjamini–Hochberg across the samples of each set), ``n_up``, ``n_down`` (genes
        found), ``n_perm``. ``.attrs["rrscore_stats"]`` records the method, seed and the
        set sizes whose null was shared.

    Raises
    ------
    RRScoreError
        A method whose scores depend on other samples (e.g. ``gsva``, or ``ssgsea`` with
        ``normalize=True``: use ``normalize=False``), ``n_perm < 1``, or an unknown
        ``alternative``.
    """
    from rrscore._api import score
    from rrscore._prepare import prepare
    from rrscore.genesets import GeneSet, GeneSetCollection
    from rrscore.methods import get_method

    if alternative not in ("greater", "less", "two-sided"):
        raise RRScoreError(f"alternative must be 'greater', 'less' or 'two-sided', got "
                           f"{alternative!r}")
    if int(n_perm) < 1:
        raise RRScoreError(f"n_perm must be at least 1, got {n_perm!r}")
    n_perm = int(n_perm)
    spec = get_method(method)
    params = spec.make_params(**{k: v for k, v in kwargs.items() if k not in _INPUT_OPTIONS})
    if not spec.is_sample_independent(params):
        raise RRScoreError(
            f"method {spec.name!r} with these parameters scores a sample relative to the "
            "others, so a per-sample null is not defined; use a sample-independent method "
            "(singscore, ucell, aucell, ssgsea with normalize=False, ...)"
        )
    options = {k: v for k, v in kwargs.items() if k in _INPUT_OPTIONS}
    observed = score(data, gene_sets, method, min_size=min_size, max_size=max_size, **kwargs)
    record = observed.attrs.get("rrscore", {})
    cov = pd.DataFrame(record["coverage"]).set_index("set")
    cov = cov.loc[[c for c in observed.columns if c in cov.index]]
    universe = pd.Index(prepare(data, gene_sets, low_coverage=0.0, **options).expr.genes)
    n_samples = observed.shape[0]

    sizes = sorted({(int(r.n_up), int(r.n_down)) for r in cov.itertuples()})
    rng = np.random.default_rng(seed)
    draws = {key: _draw(rng, len(universe), key[0], key[1], n_perm) for key in sizes}
    sets_of = {key: [s for s in cov.index if (int(cov.loc[s, "n_up"]),
                                                int(cov.loc[s, "n_down"])) == key]
               for key in sizes}
    obs = {s: observed[s].to_numpy(float) for s in cov.index}
    count = {s: np.zeros(n_samples) for s in cov.index}
    total = {key: np.zeros(n_samples) for key in sizes}
    total_sq = {key: np.zeros(n_samples) for key in sizes}
    low_count = {s: np.zeros(n_samples) for s in cov.index}

    jobs = [(key, j) for key in sizes for j in range(n_perm)]
    per_call = max(1, NULL_BATCH_VALUES // max(n_samples, 1))
    names = np.asarray(universe.astype(str))
    for start in range(0, len(jobs), per_call):
        chunk = jobs[start:start + per_call]
        collection = GeneSetCollection(tuple(
            GeneSet(f"null_{i}", tuple(names[draws[key][j][0]]), tuple(names[draws[key][j][1]]))
            for i, (key, j) in enumerate(chunk)))
        null = score(data, collection, method, min_size=1, low_coverage=0.0,
                     **{**kwargs, "progress": False}).to_numpy(float)
        if null.shape[1] != len(chunk):
            raise RRScoreError("random sets were dropped while scoring the null; check the "
                               "input options (a set must keep all its genes)")
        keys = [key for key, _ in chunk]
        for key in dict.fromkeys(keys):
            cols = [i for i, k in enumerate(keys) if k == key]
            block = null[:, cols]
            total[key] += block.sum(axis=1)
            total_sq[key] += (block * block).sum(axis=1)
            for s in sets_of[key]:
                count[s] += (block >= obs[s][:, None]).sum(axis=1)
                low_count[s] += (block <= obs[s][:, None]).sum(axis=1)

    parts = []
    for s in cov.index:
        key = (int(cov.loc[s, "n_up"]), int(cov.loc[s, "n_down"]))
        mean = total[key] / n_perm
        var = (total_sq[key] - n_perm * mean * mean) / (n_perm - 1) if n_perm > 1 else \
            np.full(n_samples, np.nan)
        sd = np.sqrt(np.maximum(var, 0.0))
        p_up = (1 + count[s]) / (1 + n_perm)
        p_low = (1 + low_count[s]) / (1 + n_perm)
        p = {"greater": p_up, "less": p_low,
             "two-sided": np.minimum(1.0, 2 * np.minimum(p_up, p_low))}[alternative]
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(sd > 0, (obs[s] - mean) / sd, np.nan)
        parts.append(pd.DataFrame({
            "sample": observed.index, "set": s, "score": obs[s], "null_mean": mean,
            "null_sd": sd, "z": z, "pvalue": p, "qvalue": bh_qvalues(p),
            "n_up": key[0], "n_down": key[1], "n_perm": n_perm}))
    result = pd.concat(parts, ignore_index=True)[list(COLUMNS)]
    result.attrs["rrscore_stats"] = {
        "analysis": "score_significance", "method": spec.name, "n_perm": n_perm,
        "seed": seed, "alternative": alternative, "n_genes_drawn_from": len(universe),
        "null_sizes": [list(k) for k in sizes],
    }
    return result
