"""singscore (Foroutan et al. 2018) exactly as the R package's ``rankGenes`` + ``simpleScore``.

Per sample (singscore ``R/rankAndScoring.R``, DavisLaboratory/singscore @16f1213):

1. ascending ranks of all ``n`` genes of the matrix (1 = lowest), ties ``"min"`` by default
   (``rankGenes(tiesMethod=)``: ``"min"``, ``"average"`` or ``"max"``);
2. for a set of ``k`` genes, ``m`` = mean rank of its genes, normalised between the
   theoretical bounds ``low = (k + 1) / 2`` and ``up = (2n - k + 1) / 2``:
   ``norm = (m - low) / (up - low)``;
3. up-only set: ``score = norm - 0.5`` (``center_score=True``) or ``norm``;
   signed set: ``up_score = norm_up + off``, ``down_score = 1 - norm_down + off``
   (``off = -0.5`` centred, else 0), ``score = up_score + down_score``;
4. ``known_direction=False`` (up-only sets in singscore's intent): ranks are replaced per
   sample by ``|r - ceiling(median(r))|`` (median over all genes), the up bounds use
   ``floor(k / 2)`` and ``ceiling(n / 2)``; centring is switched off (with a warning, as
   R warns). The down part of a signed set keeps the unadjusted bounds, as in R.
5. the dispersion is R's ``mad`` (``1.4826 × median |r - median r|``) of the set genes'
   (transformed) ranks; a signed set's is the mean of its up and down dispersions.
   singscore ignores a user ``dispersionFun`` (always ``mad``), so rrscore offers only MAD.

Scores of one sample depend on nothing else. :func:`rrscore.score` returns the scores;
:func:`rrscore.score_with_dispersion` returns the scores and the dispersions.

Differences from R: sets are deduplicated when read (singscore's ``setdiff`` also dedups);
an up/down set whose up part matched no gene is NaN (R returns an empty table); the stable-
gene ranking (``rankGenes(stableGenes=)``) is not implemented. The centring warning is given
only when ``center_score=True`` is overridden (R warns whatever ``centerScore`` is).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from rrscore._numba import kernel_over_rows, numba
from rrscore.errors import MethodWarning, RRScoreError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._cells import DEFAULT_CELL_CHUNK, cell_blocks
from rrscore.methods._chunks import DEFAULT_CHUNK_SIZE, flatten_sets
from rrscore.methods._registry import MethodSpec, ScaleRule
from rrscore.ranking._selected import TIES_METHODS, selected_ranks, selected_ranks_csr
from rrscore.ranking._sort import sort_prefix

#: R's ``mad`` consistency constant.
MAD_CONSTANT = 1.4826


@dataclass(frozen=True)
class SingscoreParams:
    """Parameters of singscore.

    Parameters
    ----------
    ties_method
        Tie rule of the per-sample gene ranks (``rankGenes(tiesMethod=)``): ``"min"``
        (default), ``"average"`` or ``"max"``.
    center_score
        Subtract 0.5 from the up and down scores (``simpleScore(centerScore=)``), so an
        up-only score lies in ``[-0.5, 0.5]`` and an up/down score in ``[-1, 1]``.
    known_direction
        ``False`` scores sets whose genes may move either way: ranks are folded around the
        median (``simpleScore(knownDirection=)``); centring is then disabled.
    """

    ties_method: str = "min"
    center_score: bool = True
    known_direction: bool = True

    def __post_init__(self) -> None:
        if self.ties_method not in TIES_METHODS:
            raise RRScoreError(
                f"ties_method must be one of {TIES_METHODS}, got {self.ties_method!r}"
            )
        for name in ("center_score", "known_direction"):
            value = getattr(self, name)
            if not isinstance(value, (bool, np.bool_)):
                raise RRScoreError(f"{name} must be True or False, got {value!r}")


@numba.njit(nogil=True, cache=True)
def _mean_rows(r0, r1, ranks, ptr, idx, mean):
    """Rows ``r0 .. r1 - 1``: mean of each set's ranks (NaN for an empty set)."""
    for r in range(r0, r1):
        for s in range(len(ptr) - 1):
            a = ptr[s]
            k = ptr[s + 1] - a
            if k == 0:
                mean[r, s] = np.nan
                continue
            acc = 0.0
            for q in range(k):
                acc += ranks[r, idx[a + q]]
            mean[r, s] = acc / k


@numba.njit(nogil=True, cache=True)
def _mad_rows(r0, r1, ranks, ptr, idx, max_k, mad):
    """Rows ``r0 .. r1 - 1``: R's unscaled MAD of each set's ranks (NaN for an empty set).

    A kernel of its own, compiled only when a dispersion is asked for; rrscore's small sort
    (``ranking._sort``) instead of ``np.sort``: the same sorted values, far less to compile.
    """
    vals = np.empty(max(max_k, 1))
    for r in range(r0, r1):
        for s in range(len(ptr) - 1):
            a = ptr[s]
            k = ptr[s + 1] - a
            if k == 0:
                mad[r, s] = np.nan
                continue
            for q in range(k):
                vals[q] = ranks[r, idx[a + q]]
            sort_prefix(vals, k)
            med = (vals[(k - 1) // 2] + vals[k // 2]) / 2.0
            for q in range(k):
                vals[q] = abs(vals[q] - med)
            sort_prefix(vals, k)
            mad[r, s] = (vals[(k - 1) // 2] + vals[k // 2]) / 2.0


def _mean_and_mad(ranks: np.ndarray, ptr: np.ndarray, idx: np.ndarray,
                  want_mad: bool) -> tuple[np.ndarray, np.ndarray]:
    """Per row and set: mean of the set's ranks and (``want_mad``) R's unscaled MAD.

    The MAD array is ``(n_rows, 0)`` when not wanted: nothing of that size is allocated.
    Serial kernels over blocks of rows on threads (:func:`rrscore._numba.kernel_over_rows`).
    """
    ranks = np.ascontiguousarray(ranks, dtype=np.float64)
    n_rows = ranks.shape[0]
    n_sets = len(ptr) - 1
    mean = np.empty((n_rows, n_sets))
    kernel_over_rows(_mean_rows, n_rows, ranks, ptr, idx, mean)
    if not want_mad:
        return mean, np.empty((n_rows, 0))
    mad = np.empty((n_rows, n_sets))
    max_k = int(np.diff(ptr).max(initial=0))
    kernel_over_rows(_mad_rows, n_rows, ranks, ptr, idx, max_k, mad)
    return mean, mad


def _bounds(k: np.ndarray, n: int, known_direction: bool) -> tuple[np.ndarray, np.ndarray]:
    """singscore's theoretical lower and upper bounds of a set's mean rank."""
    if not known_direction:
        k = np.floor(k / 2)
        n = math.ceil(n / 2)
    return (k + 1) / 2, (2 * n - k + 1) / 2


def _normalise(mean: np.ndarray, k: np.ndarray, n: int, known_direction: bool) -> np.ndarray:
    low, up = _bounds(k.astype(np.float64), n, known_direction)
    with np.errstate(divide="ignore", invalid="ignore"):  # k == n: R also divides by 0
        return (mean - low[None, :]) / (up - low)[None, :]


#: Bytes of one block's ranks (block × set genes float64) that sparse cells are sized to.
_RANKS_BUDGET = 32 << 20


def _default_chunk(expr: ExpressionMatrix, n_cols: int) -> int:
    """Samples per block: ``DEFAULT_CHUNK_SIZE`` (256) for dense input; for sparse cells up
    to ``DEFAULT_CELL_CHUNK`` (2,048, as the other cell methods) while the block's ranks
    stay within :data:`_RANKS_BUDGET` (~32 MB): in blocks of 256 cells the per-block costs
    (thread starts, kernel calls, one read per block of a backed file) were about half of
    the set means' time at 50,000 cells × 20 sets; with thousands of sets, whose genes are
    most of the matrix, blocks stay at 256 cells (the memory row of ``benchmarks/``)."""
    if not expr.is_sparse_storage:
        return DEFAULT_CHUNK_SIZE
    return int(min(DEFAULT_CELL_CHUNK,
                   max(DEFAULT_CHUNK_SIZE, _RANKS_BUDGET // (8 * max(n_cols, 1)))))


def _ranked_chunks(expr: ExpressionMatrix, cols: np.ndarray, params: SingscoreParams,
                   chunk_size: int | None, progress: bool):
    """Yield ``(start, stop, ranks of cols, median rank or None)`` per chunk of samples.

    Dense blocks are ranked as they are; CSR blocks (in memory or read from a backed file)
    without densifying (only the stored values of a row are sorted).
    """
    want_median = not params.known_direction
    size = chunk_size or _default_chunk(expr, len(cols))
    for start, stop, block in cell_blocks(expr, size, progress=progress, desc="singscore"):
        rank = selected_ranks_csr if sp.issparse(block) else selected_ranks
        ranks, median = rank(block, cols, params.ties_method, with_median=want_median)
        yield start, stop, ranks, median


#: singscore's outputs (R's ``TotalScore`` … ``DownDispersion``), in R's column order.
PARTS = ("total_score", "total_dispersion", "up_score", "up_dispersion", "down_score",
         "down_dispersion")


def _chunk_parts(mean_up, mad_up, mean_dn, mad_dn, k_up, k_dn, n, params, offset,
                 wanted) -> dict[str, np.ndarray]:
    """The ``wanted`` outputs of one chunk of samples from its means and MADs."""
    signed = mean_dn is not None
    has_dn = k_dn > 0
    out = {}
    up_score = _normalise(mean_up, k_up, n, params.known_direction) + offset
    if signed and {"total_score", "down_score"} & wanted:
        # the down bounds are never adjusted for an unknown direction (as in R)
        down_score = 1.0 - _normalise(mean_dn, k_dn, n, True) + offset
    else:
        down_score = np.full_like(up_score, np.nan)
    if "total_score" in wanted:
        total = up_score.copy() if "up_score" in wanted else up_score
        if signed:
            total[:, has_dn] = up_score[:, has_dn] + down_score[:, has_dn]
        out["total_score"] = total
    if "up_score" in wanted:
        out["up_score"] = up_score
    if "down_score" in wanted:
        out["down_score"] = down_score
    if {"total_dispersion", "up_dispersion", "down_dispersion"} & wanted:
        nan = np.full_like(up_score, np.nan)
        up_disp = MAD_CONSTANT * mad_up if mad_up.shape[1] else nan
        down_disp = MAD_CONSTANT * mad_dn if signed and mad_dn.shape[1] else nan
        if "total_dispersion" in wanted:
            total_disp = up_disp.copy()
            if signed:
                total_disp[:, has_dn] = (up_disp[:, has_dn] + down_disp[:, has_dn]) / 2.0
            out["total_dispersion"] = total_disp
        if "up_dispersion" in wanted:
            out["up_dispersion"] = up_disp
        if "down_dispersion" in wanted:
            out["down_dispersion"] = down_disp
    return out


def singscore_parts(
    expr: ExpressionMatrix, sets: AlignedSets, params: SingscoreParams, *,
    dispersion: bool = True, parts: tuple[str, ...] = PARTS, chunk_size: int | None = None,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """singscore's outputs named in ``parts``, each ``(n_samples, n_sets)``.

    Only the asked outputs are allocated at full size; the means and MADs of the set ranks
    exist one chunk of samples at a time (extra memory: one chunk, whatever the number of
    sets), and the MADs are computed only when a dispersion is asked for.

    Parameters
    ----------
    expr, sets, params
        The prepared input and singscore's parameters.
    dispersion
        Compute the dispersions; ``False`` returns them NaN (without computing a MAD).
    parts
        Which of :data:`PARTS` to return.
    chunk_size, progress
        Samples per chunk and a progress bar.

    Returns
    -------
    dict
        ``total_score``, ``total_dispersion``, ``up_score``, ``up_dispersion``,
        ``down_score``, ``down_dispersion`` (R's ``TotalScore`` … ``DownDispersion``), as
        asked. For unsigned sets the up columns equal the totals and the down columns are
        NaN.

    Raises
    ------
    RRScoreError
        For a name in ``parts`` that is not one of :data:`PARTS`.
    """
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise RRScoreError(f"singscore has no output(s) {unknown}; it has {list(PARTS)}")
    wanted = set(parts)
    if not params.known_direction and params.center_score:
        warn(
            "singscore: center_score is disabled when known_direction=False (as in R)",
            MethodWarning,
        )
    offset = -0.5 if (params.center_score and params.known_direction) else 0.0
    n_samples, n = expr.shape
    n_sets = len(sets)
    k_up = np.array([len(s.up) for s in sets], dtype=np.int64)
    k_dn = np.array([len(s.down) for s in sets], dtype=np.int64)
    up_ptr, up_idx = flatten_sets(sets, "up")
    dn_ptr, dn_idx = flatten_sets(sets, "down")
    # rank only the genes some set uses; set indices are remapped into that column list
    cols = np.unique(np.concatenate([up_idx, dn_idx]))
    position = np.zeros(n, dtype=np.int64)
    position[cols] = np.arange(len(cols))
    up_loc, dn_loc = position[up_idx], position[dn_idx]
    signed = bool((k_dn > 0).any())
    want_mad = dispersion and bool({"total_dispersion", "up_dispersion",
                                    "down_dispersion"} & wanted)
    # the down means are needed for a signed set's total or down score, the down MADs for
    # its total or down dispersion
    need_dn = signed and bool({"total_score", "down_score", "total_dispersion",
                               "down_dispersion"} & wanted)

    out = {p: np.full((n_samples, n_sets), np.nan) for p in parts}
    for start, stop, ranks, median in _ranked_chunks(expr, cols, params, chunk_size,
                                                     progress):
        if not params.known_direction:
            ranks = np.abs(ranks - np.ceil(median)[:, None])
        mean_up, mad_up = _mean_and_mad(ranks, up_ptr, up_loc, want_mad)
        mean_dn = mad_dn = None
        if need_dn:
            mean_dn, mad_dn = _mean_and_mad(ranks, dn_ptr, dn_loc, want_mad)
        del ranks
        chunk = _chunk_parts(mean_up, mad_up, mean_dn, mad_dn, k_up, k_dn, n, params, offset,
                             wanted)
        for p, values in chunk.items():
            out[p][start:stop] = values
    whole = (k_up == n) | (k_dn == n)
    if whole.any():
        # the bounds of a part holding every gene coincide (up - low = 0): R divides by 0
        for p in ("total_score", "total_dispersion", "up_score", "down_score"):
            if p in out:
                out[p][:, whole] = np.nan
        warn(f"singscore: {int(whole.sum())} set(s) hold every gene of the data, so their "
             "rank has no range to be scaled in; scored NaN: "
             + ", ".join(s.name for s, w in zip(sets, whole, strict=True) if w), MethodWarning)
    return out


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: SingscoreParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """singscore ``TotalScore`` of all sets, ``(n_samples, n_sets)``."""
    parts = singscore_parts(expr, sets, params, dispersion=False, parts=("total_score",),
                            chunk_size=chunk_size, progress=progress)
    return parts["total_score"]


def run_outputs(
    expr: ExpressionMatrix, sets: AlignedSets, params: SingscoreParams, *,
    outputs: tuple[str, ...] = ("score",), chunk_size: int | None = None,
    progress: bool = False,
) -> dict[str, np.ndarray]:
    """singscore's ``TotalScore`` and/or ``TotalDispersion`` of all sets.

    Returns
    -------
    dict
        ``"score"`` and ``"dispersion"`` (as asked in ``outputs``), each
        ``(n_samples, n_sets)``. The dispersion is the MAD of the set genes' ranks (1.4826 ×
        median absolute deviation, R's ``mad``); for a signed set the mean of the up and
        down MADs.
    """
    names = {"score": "total_score", "dispersion": "total_dispersion"}
    parts = singscore_parts(expr, sets, params, dispersion="dispersion" in outputs,
                            parts=tuple(names[o] for o in outputs), chunk_size=chunk_size,
                            progress=progress)
    return {o: parts[names[o]] for o in outputs}


SPEC = MethodSpec(
    name="singscore",
    summary="singscore: mean rank of the set genes, scaled between its theoretical bounds",
    reference="R singscore 1.29 rankGenes + simpleScore; Foroutan et al. BMC Bioinf. 2018",
    params=SingscoreParams,
    run=run,
    sample_independent=True,
    signed_sets="up score + down score on reversed ranks (singscore's own up/down mode)",
    outputs=("score", "dispersion"),
    run_outputs=run_outputs,
    input_scale=ScaleRule(
        frozenset({"counts", "log", "linear", "log_ratio"}),
        "within-sample ranks of per-gene scaled (centred) values compare genes' deviations "
        "from their own means, not their expression; give the unscaled (log) values",
    ),
)
