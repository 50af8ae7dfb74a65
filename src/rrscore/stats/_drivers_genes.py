"""Which genes drive a score: the ssGSEA/GSVA running sum of one sample and set, its leading
edge, and each set gene's rank and contribution (what GSVA's ``gsvaEnrichment`` shows).

Both walks are written out here from their definitions (``methods.md`` §1.3, §2.4–2.5), so
that a test can check them against :func:`rrscore.score`:

* ``walk="ssgsea"`` (GSVA 1.46 ssGSEA): genes in decreasing order of expression (ties in row
  order); weights ``w = R^alpha`` with ``R`` the ascending average rank truncated to an
  integer; ``D(t) = P_in(t) − P_out(t)`` with ``P_in`` the weighted fraction of set genes up
  to position t and ``P_out`` the fraction of the other genes. The score (unnormalised) is the
  **sum** of ``D`` over all positions. It splits exactly into one term per set gene:
  ``w_i r_i / Σw + r_i / (n − k) − n(n+1) / (2k(n − k))`` with ``r_i = n − p_i + 1``.
* ``walk="gsva"`` (GSVA 1.46): genes constant across samples left out; each gene's kernel CDF
  across all samples gives log-odds ``z`` (Gaussian kernel by default), ranked per sample
  (ties in row order); weights ``|n/2 − R|^tau``; the score is ``max(0, max D) +
  min(0, min D)`` (``max_diff=True``).

For a signed set each part is walked on its own and the score is up − down. The leading edge
is, as in GSEA, the set genes up to the walk's maximum when it deviates most upwards,
else from its minimum to the end.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import RRScoreError

WALKS = ("ssgsea", "gsva")

#: Columns of :func:`running_sum`'s result, in order.
RUNNING_COLUMNS = ("part", "position", "gene", "in_set", "weight", "running_sum")
#: Columns of :func:`gene_contributions`'s result, in order.
CONTRIBUTION_COLUMNS = ("sample", "set", "part", "gene", "value", "position", "rank_fraction",
                        "weight", "step", "contribution", "in_leading_edge")


def _prepared(data, gene_sets, set_name, walk, input_options):
    from rrscore._prepare import prepare
    from rrscore.methods import get_method

    if walk not in WALKS:
        raise RRScoreError(f"walk must be one of {list(WALKS)}, got {walk!r}")
    prepared = prepare(data, gene_sets, low_coverage=0.0, spec=get_method(walk),
                       **input_options)
    names = prepared.sets.names
    if set_name is None:
        if len(names) != 1:
            raise RRScoreError(f"give set_name= (one of {names[:10]}{' ...' * (len(names) > 10)})")
        set_name = names[0]
    if set_name not in names:
        raise RRScoreError(f"gene set {set_name!r} is not scored in these data (sets: "
                           f"{names[:10]}); check its genes with rrscore.coverage")
    aligned = next(s for s in prepared.sets if s.name == set_name)
    if prepared.expr.is_lazy:
        raise RRScoreError("running sums need the expression in memory (not backed)")
    return prepared.expr, aligned


def _dense(values) -> np.ndarray:
    if sp.issparse(values):
        return np.asarray(values.todense(), dtype=float)
    return np.asarray(values, dtype=float)


def _ssgsea_stat(x: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """(descending order of the genes, weight of every gene) for one sample."""
    order = np.argsort(-x, kind="stable")
    ascending = np.sort(x)
    # ascending average rank lt + (eq + 1) / 2, truncated as GSVA's mode(R) <- "integer"
    lt = np.searchsorted(ascending, x, side="left")
    eq = np.searchsorted(ascending, x, side="right") - lt
    rank = lt + (eq + 1) // 2
    return order, rank.astype(float) ** alpha


def _gsva_stats(expr, tau: float, kcdf: str) -> tuple[np.ndarray, np.ndarray]:
    """(kept gene indices, samples × kept-genes log-odds) of GSVA's first step."""
    from rrscore.methods._gsva_kcdf import (
        c_sd,
        gene_log_odds,
        rescale_overflowing_genes,
        resolve_kcdf,
    )
    from rrscore.methods._standardize import CONSTANT_SD

    x = _dense(expr.values)
    kcdf = resolve_kcdf(kcdf, x)
    sd = c_sd(x)
    if kcdf != "poisson":  # as gsva's run: the same log-odds as the scores it explains
        x, sd = rescale_overflowing_genes(x, sd)
    keep = np.flatnonzero(sd >= CONSTANT_SD).astype(np.int64)
    z = gene_log_odds(x, keep, kcdf, sd=sd)
    return keep, z


def _walk(order: np.ndarray, weight: np.ndarray, members: np.ndarray) -> np.ndarray:
    """``D(t)`` over the positions of ``order`` for the set genes ``members``."""
    n = len(order)
    in_set = np.zeros(n, dtype=bool)
    in_set[members] = True
    hit = in_set[order]
    k = int(hit.sum())
    w = np.where(hit, weight[order], 0.0)
    total = w.sum()
    p_in = np.cumsum(w) / total if total > 0 else np.full(n, np.nan)
    p_out = np.cumsum(~hit) / (n - k)
    return p_in - p_out


def _score_of(walk: str, d: np.ndarray) -> float:
    if walk == "ssgsea":
        return float(d.sum())
    return float(max(0.0, d.max()) + min(0.0, d.min()))


def _leading_edge(d: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Mask over positions: set genes in the GSEA leading edge of the walk ``d``."""
    top, bottom = int(np.argmax(d)), int(np.argmin(d))
    mask = np.zeros(len(d), dtype=bool)
    if d[top] >= -d[bottom]:
        mask[: top + 1] = True
    else:
        mask[bottom:] = True
    return mask & hit


def _sample_walks(expr, aligned, rows: Sequence[int], walk, alpha, tau, kcdf):
    """Yield (row, part, sign, genes-in-order, weights, values, D, members) per sample/part."""
    if walk == "gsva":
        keep, z = _gsva_stats(expr, tau, kcdf)
        new = np.full(expr.shape[1], -1)
        new[keep] = np.arange(len(keep))
    for row in rows:
        raw = _dense(expr.values[row:row + 1])[0]
        if walk == "gsva":
            stat_values = z[row]
            order = np.argsort(-stat_values, kind="stable")
            n = len(order)
            asc = np.empty(n)
            asc[order] = n - np.arange(n)  # ascending rank, ties: later row lower
            weight = np.abs(n / 2 - asc) ** tau
            values = raw[keep]
            genes = np.asarray(expr.genes)[keep]
        else:
            order, weight = _ssgsea_stat(raw, alpha)
            values, genes = raw, np.asarray(expr.genes)
        for part, idx, sign in (("up", aligned.up, 1.0), ("down", aligned.down, -1.0)):
            members = new[idx] if walk == "gsva" else np.asarray(idx)
            members = members[members >= 0]
            if len(members) == 0:
                continue
            d = _walk(order, weight, members)
            yield row, part, sign, order, weight, values, genes, d, members


def running_sum(
    data, gene_sets, set_name: str | None = None, sample=None, *, walk: str = "ssgsea",
    alpha: float = 0.25, tau: float = 1.0, kcdf: str = "gaussian", **input_options,
) -> pd.DataFrame:
    """The running sum (random walk) of one set in one sample, position by position.

    Parameters
    ----------
    data
        Expression, as for :func:`rrscore.score` (``walk="gsva"`` uses every sample for
        the genes' CDFs, as GSVA does).
    gene_sets, set_name
        The sets (any form :func:`rrscore.score` takes) and the one to walk (optional when
        there is only one).
    sample
        The sample's label (optional when there is only one).
    walk
        ``"ssgsea"`` (GSVA 1.46's ssGSEA, ``alpha``) or ``"gsva"`` (``tau``, ``kcdf``).
    **input_options
        Input options of :func:`rrscore.score` (``nan_policy``, ``map_ids``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per part (``up``; ``down`` for a signed set) and position (1 = highest):
        ``part``, ``position``, ``gene``, ``in_set``, ``weight``, ``running_sum`` (D(t)).
        ``.attrs["rrscore_stats"]`` holds per part ``es`` (the sum for ssGSEA, the maximum
        deviation for GSVA) and ``leading_edge`` (genes), and ``score`` (up − down): for
        ``walk="ssgsea"`` it equals ``rrscore.score(..., method="ssgsea",
        normalize=False)`` of that sample and set, for ``"gsva"`` ``method="gsva"``.
    """
    expr, aligned = _prepared(data, gene_sets, set_name, walk, input_options)
    row = _row_of(expr, sample)
    parts, meta = [], {"walk": walk, "set": aligned.name, "sample": str(expr.samples[row])}
    score = 0.0
    for _, part, sign, order, weight, _, genes, d, members in _sample_walks(
            expr, aligned, [row], walk, alpha, tau, kcdf):
        in_set = np.zeros(len(order), dtype=bool)
        in_set[members] = True
        hit = in_set[order]
        es = _score_of(walk, d)
        score += sign * es
        meta[part] = {"es": es, "leading_edge": [str(g) for g in genes[order][
            _leading_edge(d, hit)]]}
        parts.append(pd.DataFrame({
            "part": part, "position": np.arange(1, len(order) + 1), "gene": genes[order],
            "in_set": hit, "weight": weight[order], "running_sum": d}))
    meta["score"] = score
    result = pd.concat(parts, ignore_index=True)[list(RUNNING_COLUMNS)]
    result.attrs["rrscore_stats"] = meta
    return result


def _row_of(expr, sample) -> int:
    samples = pd.Index(expr.samples)
    if sample is None:
        if len(samples) != 1:
            raise RRScoreError(f"give sample= (one of {list(samples[:5])} ...)")
        return 0
    if sample not in samples:
        raise RRScoreError(f"sample {sample!r} is not in the data (e.g. {list(samples[:5])})")
    return int(samples.get_loc(sample))


def gene_contributions(
    data, gene_sets, set_name: str | None = None, samples=None, *, walk: str = "ssgsea",
    alpha: float = 0.25, tau: float = 1.0, kcdf: str = "gaussian", summarize: bool = False,
    **input_options,
) -> pd.DataFrame:
    """Each set gene's rank, running-sum step, contribution and leading-edge membership.

    Parameters
    ----------
    data, gene_sets, set_name, walk, alpha, tau, kcdf, **input_options
        As in :func:`running_sum`.
    samples
        A sample label, a list of labels (a group), or None for every sample.
    summarize
        Also average over the samples: one row per gene with the mean ``position``,
        ``rank_fraction``, ``contribution`` and the fraction of samples in which the gene is
        in the leading edge (``in_leading_edge``), ``sample`` = ``"mean of N"``.

    Returns
    -------
    pandas.DataFrame
        One row per sample × set gene, sorted by sample and position: ``sample``, ``set``,
        ``part``, ``gene``, ``value`` (expression), ``position`` (1 = highest in the
        sample), ``rank_fraction`` (1 = top, 0 = bottom), ``weight``, ``step`` (the jump
        of the walk at the gene), ``contribution`` (ssGSEA: the gene's exact share of the
        sample's score, signed by part, summing to the score; NaN for GSVA, whose
        maximum deviation does not split by gene), ``in_leading_edge``.
    """
    expr, aligned = _prepared(data, gene_sets, set_name, walk, input_options)
    if samples is None:
        rows = list(range(expr.shape[0]))
    else:
        labels = [samples] if isinstance(samples, (str, int)) else list(samples)
        rows = [_row_of(expr, s) for s in labels]
    out = []
    for row, part, sign, order, weight, values, genes, d, members in _sample_walks(
            expr, aligned, rows, walk, alpha, tau, kcdf):
        n, k = len(order), len(members)
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(1, n + 1)
        pos = position[members]
        in_set = np.zeros(n, dtype=bool)
        in_set[members] = True
        lead = _leading_edge(d, in_set[order])
        w = weight[members]
        if walk == "ssgsea":
            r = n - pos + 1.0
            contribution = sign * (w * r / w.sum() + r / (n - k) - n * (n + 1) / (2 * k * (n - k)))
        else:
            contribution = np.full(k, np.nan)
        out.append(pd.DataFrame({
            "sample": str(expr.samples[row]), "set": aligned.name, "part": part,
            "gene": genes[members], "value": values[members], "position": pos,
            "rank_fraction": (n - pos) / (n - 1) if n > 1 else 1.0, "weight": w,
            "step": w / w.sum(), "contribution": contribution,
            "in_leading_edge": lead[pos - 1]}))
    table = pd.concat(out, ignore_index=True).sort_values(["sample", "part", "position"],
                                                          kind="stable", ignore_index=True)
    table = table[list(CONTRIBUTION_COLUMNS)]
    if not summarize:
        return table
    n_samples = table["sample"].nunique()
    summary = table.groupby(["set", "part", "gene"], sort=False).agg(
        value=("value", "mean"), position=("position", "mean"),
        rank_fraction=("rank_fraction", "mean"), weight=("weight", "mean"),
        step=("step", "mean"), contribution=("contribution", "mean"),
        in_leading_edge=("in_leading_edge", "mean")).reset_index()
    summary.insert(0, "sample", f"mean of {n_samples}")
    return summary.sort_values("contribution" if walk == "ssgsea" else "position",
                               ascending=walk != "ssgsea", ignore_index=True)[
        list(CONTRIBUTION_COLUMNS)]
