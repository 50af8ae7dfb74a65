"""From single-cell scores to calls: AUCell-style per-set thresholds (:func:`score_thresholds`),
on/off calls (:func:`binarize`) and kNN smoothing over the neighbour graph
(:func:`smooth_scores`).

Thresholds follow AUCell's ``AUCell_exploreThresholds`` (``priv_auc.assignmnetThreshold_v6``)
with its candidates, made deterministic (AUCell draws random numbers for a normality test and
fits mixtures with ``mixtools``; both are replaced here, so values are close to AUCell's, not
equal):

* ``minimum_density`` — the first local minimum of the score density after its highest peak
  (Gaussian kernel, bandwidth R's ``bw.nrd0`` × ``dens_adjust`` (2), 512 points from the
  lowest to the highest score, as R's ``density(cut=0)``; linearly binned beyond 20,000
  cells, as R always bins), kept when a later peak reaches 5 %
  of the highest; its presence marks the distribution bimodal.
* ``L_k2`` — a two-component Gaussian mixture (EM from a median split): the upper
  ``1 − thr_p / n`` quantile of the lower component.
* ``R_k3`` — a three-component mixture: the ``thr_p`` quantile of the upper component (kept
  when inside the range of the scores).
* ``Global_k1`` — the ``1 − (thr_p / n + smallest_pop)`` quantile of one normal fitted to all
  scores.

For non-negative scores piled up near 0 (AUCell's histogram checks: ≥ 56 % of the cells in
the lowest 5 % of the range, or ≥ 37.5 % in the lowest 10 %), the density minimum and
``L_k2`` are not used and ``ten_percent_of_max`` (10 % of the highest score) is a candidate,
as in AUCell. The threshold is ``minimum_density`` when found (AUCell's preference), else
the largest remaining candidate (``Global_k1`` only for such zero-heavy scores or when
nothing else is found). Calls are ``score > threshold``.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy import stats

from rrscore._records import check_keys_free
from rrscore._version import __version__
from rrscore.errors import RRScoreError
from rrscore.stats._inputs import is_anndata, score_table

#: Columns of :func:`score_thresholds`'s result, in order.
COLUMNS = ("threshold", "selected", "minimum_density", "L_k2", "R_k3", "ten_percent_of_max",
           "Global_k1", "n_on", "fraction_on", "bimodal")

_GRID = 512
_BINS = 4096
#: Scores up to which the density is an exact kernel sum (linear binning beyond).
EXACT_DENSITY_POINTS = 20_000
#: Scores the mixture fits use at most (evenly spaced quantiles of the scores beyond).
MIXTURE_POINTS = 10_000
_SQRT_2PI = math.sqrt(2 * math.pi)


def bw_nrd0(x: np.ndarray) -> float:
    """R's ``bw.nrd0``: 0.9 · min(sd, IQR/1.34) · n^(−1/5) (fallbacks as R)."""
    n = len(x)
    sd = float(np.std(x, ddof=1)) if n > 1 else 0.0
    iqr = float(np.subtract(*np.quantile(x, [0.75, 0.25])))
    lo = min(sd, iqr / 1.34)
    if lo == 0:
        lo = sd or abs(float(x[0])) or 1.0
    return 0.9 * lo * n ** (-0.2)


def density(x: np.ndarray, adjust: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """(grid, Gaussian kernel density) on 512 points from min(x) to max(x).

    Up to :data:`EXACT_DENSITY_POINTS` scores the kernel sum is exact; beyond, the scores are
    linearly binned on a fine grid and the kernel convolved with the bins, as R's
    ``density`` always does (cost independent of the number of cells).
    """
    h = bw_nrd0(x) * adjust
    grid = np.linspace(x.min(), x.max(), _GRID)
    if len(x) <= EXACT_DENSITY_POINTS:
        y = np.zeros(_GRID)
        step = max(1, 2_000_000 // _GRID)
        for start in range(0, len(x), step):  # blocks: no n × 512 array for big data
            u = (grid[:, None] - x[start:start + step][None, :]) / h
            y += np.exp(-0.5 * u * u).sum(axis=1)
        return grid, y / (len(x) * h * _SQRT_2PI)
    lo, hi = x.min() - 4 * h, x.max() + 4 * h
    fine = np.linspace(lo, hi, _BINS)
    delta = fine[1] - fine[0]
    pos = (x - lo) / delta
    left = np.clip(np.floor(pos).astype(np.int64), 0, _BINS - 2)
    frac = pos - left
    counts = np.bincount(left, 1 - frac, _BINS) + np.bincount(left + 1, frac, _BINS)
    offsets = np.arange(-_BINS + 1, _BINS) * delta
    kernel = np.exp(-0.5 * (offsets / h) ** 2) / (h * _SQRT_2PI)
    smooth = np.convolve(counts, kernel)[_BINS - 1: 2 * _BINS - 1] / len(x)
    return grid, np.interp(grid, fine, smooth)


def _minimum_density(x: np.ndarray, adjust: float) -> float:
    grid, y = density(x, adjust)
    turns = np.diff(np.sign(np.diff(y)))
    maxima = np.flatnonzero(turns == -2) + 1
    minima = np.flatnonzero(turns == 2) + 1
    if len(maxima) == 0:
        return math.nan
    top = maxima[np.argmax(y[maxima])]
    after = minima[minima > top]
    if len(after) == 0:
        return math.nan
    threshold = grid[after[0]]
    later = maxima[grid[maxima] > threshold]
    if len(later) == 0 or y[later].max() / y.max() < 0.05:
        return math.nan
    return float(threshold)


def _em(x: np.ndarray, labels: np.ndarray, k: int, max_iter: int, tol: float
        ) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """EM from a hard partition ``labels``: (log-likelihood, weights, means, SDs)."""
    spread = max(float(np.std(x)), 1e-12)
    floor = spread * 1e-6
    parts = [x[labels == j] for j in range(k)]
    w = np.array([max(len(p), 1) for p in parts], dtype=float) / len(x)
    mu = np.array([p.mean() if len(p) else float(np.median(x)) for p in parts])
    sd = np.array([max(float(p.std()), floor) if len(p) > 1 else spread for p in parts])
    last = -np.inf
    loglik = -np.inf
    for _ in range(max_iter):
        u = (x[:, None] - mu[None, :]) / sd[None, :]
        dens = (w / (sd * _SQRT_2PI))[None, :] * np.exp(-0.5 * u * u)
        total = dens.sum(axis=1, keepdims=True)
        total[total == 0] = np.finfo(float).tiny
        loglik = float(np.log(total).sum())
        if abs(loglik - last) <= tol * max(1.0, abs(loglik)):
            break
        last = loglik
        resp = dens / total
        nk = resp.sum(axis=0)
        if np.any(nk < 1e-8):
            break
        w = nk / len(x)
        mu = (resp * x[:, None]).sum(axis=0) / nk
        sd = np.sqrt(np.maximum((resp * (x[:, None] - mu[None, :]) ** 2).sum(axis=0) / nk,
                                floor ** 2))
    return loglik, w, mu, sd


def gaussian_mixture(x: np.ndarray, k: int, *, max_iter: int = 500, tol: float = 1e-8
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(weights, means, SDs) of a ``k``-component 1-D Gaussian mixture fitted by EM.

    EM is run from two deterministic partitions — the data cut at its ``1/k`` quantiles, and
    1-D k-means from there — and the fit with the higher likelihood is kept (EM finds local
    optima). Components sorted by mean. More than :data:`MIXTURE_POINTS` scores are
    represented by that many evenly spaced quantiles (deterministic, and the fit's cost
    stays bounded for atlases of cells).
    """
    if len(x) > MIXTURE_POINTS:
        x = np.quantile(x, np.linspace(0, 1, MIXTURE_POINTS))
    edges = np.quantile(x, np.linspace(0, 1, k + 1))
    by_quantile = np.clip(np.searchsorted(edges[1:-1], x, side="right"), 0, k - 1)
    centres = np.array([x[by_quantile == j].mean() if np.any(by_quantile == j) else edges[j]
                        for j in range(k)])
    for _ in range(100):  # Lloyd's iterations in one dimension
        by_centre = np.argmin(np.abs(x[:, None] - centres[None, :]), axis=1)
        new = np.array([x[by_centre == j].mean() if np.any(by_centre == j) else centres[j]
                        for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    fits = [_em(x, labels, k, max_iter, tol) for labels in (by_quantile, by_centre)]
    _, w, mu, sd = max(fits, key=lambda f: f[0])
    order = np.argsort(mu)
    return w[order], mu[order], sd[order]


def _zero_heavy(x: np.ndarray, smallest_pop: float) -> tuple[bool, bool]:
    """AUCell's checks on non-negative scores piled up near 0: (skip the lower mixture
    component and the density minimum, use 10 % of the maximum as a candidate)."""
    if x.min() < 0 or x.max() <= 0:
        return False, False
    counts, _ = np.histogram(np.concatenate([[0.0], x / x.max()]), bins=100, range=(0, 1))
    share5, share10 = counts[:5].sum() / counts.sum(), counts[:10].sum() / counts.sum()
    not_pop = 1 - smallest_pop
    return bool(share5 >= not_pop * 0.75), bool(share10 >= not_pop * 0.5)


def _thresholds_one(x: np.ndarray, thr_p: float, smallest_pop: float, dens_adjust: float
                    ) -> tuple[dict, str]:
    """The candidates and the name of the one selected."""
    n = len(x)
    out = {"minimum_density": math.nan, "L_k2": math.nan, "R_k3": math.nan,
           "ten_percent_of_max": math.nan}
    mean, sd = float(np.mean(x)), float(np.std(x, ddof=1)) if n > 1 else 0.0
    out["Global_k1"] = float(stats.norm.ppf(1 - (thr_p / n + smallest_pop), mean, sd)) \
        if sd > 0 else math.nan
    if sd == 0 or n < 5:
        return out, "Global_k1"
    skip_lower, ten_percent = _zero_heavy(x, smallest_pop)
    if not (skip_lower or ten_percent):
        out["minimum_density"] = _minimum_density(x, dens_adjust)
    if ten_percent:
        out["ten_percent_of_max"] = 0.1 * float(x.max())
    if not skip_lower:
        _, mu2, sd2 = gaussian_mixture(x, 2)
        out["L_k2"] = float(stats.norm.ppf(1 - thr_p / n, mu2[0], sd2[0]))
    _, mu3, sd3 = gaussian_mixture(x, 3)
    r_k3 = float(stats.norm.ppf(thr_p, mu3[-1], sd3[-1]))
    if x.min() < r_k3 < x.max():
        out["R_k3"] = r_k3
    if math.isfinite(out["minimum_density"]):
        return out, "minimum_density"
    names = ["L_k2", "R_k3", "ten_percent_of_max"] + (["Global_k1"] if skip_lower else [])
    finite = {k: out[k] for k in names if math.isfinite(out[k])}
    return out, (max(finite, key=finite.get) if finite else "Global_k1")


def score_thresholds(scores, *, key: str = "rrscore", sets=None, thr_p: float = 0.01,
                     smallest_pop: float = 0.25, dens_adjust: float = 2.0) -> pd.DataFrame:
    """AUCell-style threshold of every set's score distribution (module docstring).

    Parameters
    ----------
    scores
        Cells × sets (DataFrame), or an AnnData with the scores in ``adata.obsm[key]``.
    key
        ``adata.obsm`` key (AnnData input).
    sets
        Sets to threshold (default: every numeric column).
    thr_p, smallest_pop, dens_adjust
        AUCell's ``thrP`` (0.01), ``smallestPopPercent`` (0.25) and ``densAdjust`` (2).

    Returns
    -------
    pandas.DataFrame
        One row per set: ``threshold``, ``selected`` (which candidate), the candidates
        ``minimum_density``, ``L_k2``, ``R_k3``, ``Global_k1`` (NaN when not found),
        ``n_on``/``fraction_on`` (cells above the threshold), ``bimodal`` (a density
        minimum was found).
    """
    table, _, _ = score_table(scores, key=key)
    columns = list(table.select_dtypes("number").columns) if sets is None else \
        ([sets] if isinstance(sets, str) else list(sets))
    rows = {}
    for col in columns:
        x = pd.to_numeric(table[col], errors="coerce").to_numpy(float)
        x = x[np.isfinite(x)]
        if len(x) == 0:
            raise RRScoreError(f"set {col!r} has no finite score")
        cand, selected = _thresholds_one(x, thr_p, smallest_pop, dens_adjust)
        threshold = cand[selected]
        n_on = int((x > threshold).sum()) if math.isfinite(threshold) else 0
        rows[col] = {"threshold": threshold, "selected": selected, **cand, "n_on": n_on,
                     "fraction_on": n_on / len(x),
                     "bimodal": math.isfinite(cand["minimum_density"])}
    result = pd.DataFrame.from_dict(rows, orient="index")[list(COLUMNS)]
    result.index.name = "set"
    return result


def binarize(scores, thresholds=None, *, key: str = "rrscore", key_added: str | None = None,
             overwrite: bool = False, **threshold_options) -> pd.DataFrame:
    """On/off calls: ``score > threshold`` per set.

    Parameters
    ----------
    scores
        Cells × sets, or an AnnData (``adata.obsm[key]``).
    thresholds
        A number (all sets), a dict/Series ``set -> threshold``, the table of
        :func:`score_thresholds`, or None to compute it (``**threshold_options``).
    key, key_added
        AnnData keys: with ``key_added`` the calls are stored in ``adata.obsm[key_added]``
        and the thresholds in ``adata.uns[key_added]``.
    overwrite
        Write over ``obsm[key_added]``/``uns[key_added]`` of an AnnData even when rrscore
        did not write them (by default refused, naming the key; a re-run replaces its own).

    Returns
    -------
    pandas.DataFrame
        Cells × sets, boolean.

    Raises
    ------
    RRScoreError
        For thresholds of sets not in the scores, and (without ``overwrite=True``) a
        ``key_added`` whose AnnData entry exists and was not written by rrscore.
    """
    stored = key_added is not None and is_anndata(scores)
    if stored:  # before any work: nothing is written when refused
        check_keys_free(scores, function="binarize", obsm=[key_added],
                        uns=[key_added], overwrite=overwrite)
    table, _, _ = score_table(scores, key=key)
    if thresholds is None:
        thresholds = score_thresholds(table, **threshold_options)
    if isinstance(thresholds, pd.DataFrame):
        thresholds = thresholds["threshold"]
    if isinstance(thresholds, (int, float)):
        thresholds = pd.Series(float(thresholds), index=table.select_dtypes("number").columns)
    thresholds = pd.Series(thresholds, dtype=float)
    missing = [s for s in thresholds.index if s not in table.columns]
    if missing:
        raise RRScoreError(f"thresholds for sets not in the scores: {missing[:5]}")
    calls = table[thresholds.index].astype(float).gt(thresholds, axis=1)
    if stored:
        scores.obsm[key_added] = calls
        scores.uns[key_added] = {"thresholds": {str(k): float(v) for k, v in
                                                thresholds.items()}, "source_key": key,
                                 "rrscore_version": __version__}
    return calls


def smooth_scores(scores, connectivities=None, *, key: str = "rrscore",
                  self_weight: float = 1.0, key_added: str | None = None,
                  overwrite: bool = False) -> pd.DataFrame:
    """Scores averaged over each cell's neighbours (kNN smoothing, as UCell's ``SmoothKNN``
    asks, on scanpy's neighbour graph).

    ``smoothed_i = (self_weight · s_i + Σ_j w_ij s_j) / (self_weight + Σ_j w_ij)`` with
    ``w`` the graph's weights (``adata.obsp["connectivities"]`` from ``sc.pp.neighbors``).

    Parameters
    ----------
    scores
        Cells × sets, or an AnnData (scores in ``adata.obsm[key]``, graph in
        ``adata.obsp["connectivities"]``).
    connectivities
        Cells × cells sparse or dense weights, in the order of the score rows (default:
        the AnnData's).
    key, key_added
        AnnData keys; with ``key_added`` the result is also stored in
        ``adata.obsm[key_added]``, with a record in ``adata.uns[key_added]`` (``function``,
        ``source_key``, ``self_weight``, ``rrscore_version``).
    self_weight
        Weight of the cell's own score (UMAP connectivities are at most 1).
    overwrite
        Write over ``obsm[key_added]``/``uns[key_added]`` of an AnnData even when rrscore
        did not write them (by default refused, naming the key; a re-run replaces its own).

    Returns
    -------
    pandas.DataFrame
        Smoothed cells × sets, same index and columns (numeric columns only).

    Raises
    ------
    RRScoreError
        For a missing or mis-shaped graph, a negative ``self_weight``, and (without
        ``overwrite=True``) a ``key_added`` whose AnnData entry exists and was not written
        by rrscore.
    """
    stored = key_added is not None and is_anndata(scores)
    if stored:  # before any work: nothing is written when refused
        check_keys_free(scores, function="smooth_scores", obsm=[key_added],
                        uns=[key_added], overwrite=overwrite)
    table, _, _ = score_table(scores, key=key)
    if connectivities is None:
        if not is_anndata(scores) or "connectivities" not in scores.obsp:
            raise RRScoreError("give connectivities= or an AnnData with "
                               "adata.obsp['connectivities'] (run sc.pp.neighbors first)")
        connectivities = scores.obsp["connectivities"]
    w = sp.csr_matrix(connectivities, dtype=float)
    n = table.shape[0]
    if w.shape != (n, n):
        raise RRScoreError(f"connectivities must be {n} × {n} (cells × cells), got {w.shape}")
    if self_weight < 0:
        raise RRScoreError(f"self_weight must be >= 0, got {self_weight!r}")
    numeric = table.select_dtypes("number").astype(float)
    values = numeric.to_numpy()
    total = np.asarray(w.sum(axis=1)).ravel() + self_weight
    total[total == 0] = 1.0
    smoothed = (w @ values + self_weight * values) / total[:, None]
    result = pd.DataFrame(smoothed, index=numeric.index, columns=numeric.columns)
    if stored:
        scores.obsm[key_added] = result
        # the record that makes a re-run recognisable (and says what the values are)
        scores.uns[key_added] = {"function": "smooth_scores", "source_key": key,
                                 "self_weight": float(self_weight),
                                 "rrscore_version": __version__}
    return result
