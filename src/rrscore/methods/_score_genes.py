"""The control-gene score exactly as ``scanpy.tl.score_genes`` (scanpy 1.10–1.12) computes it.

Per set (scanpy ``tools/_score_genes.py``; Tirosh et al. 2016, Seurat's ``AddModuleScore``):

1. ``gene_pool`` (default: every gene) is binned by its mean over all cells of the matrix
   as given (log-normalised data, usually): ``n_items = int(round(n_pool / (n_bins − 1)))``
   and ``bin = rank(mean, method="min") // n_items``;
2. for each bin holding a set gene, in increasing bin order, the candidates are the pool
   genes of that bin in pool order (``ctrl_as_ref=False``: minus the set genes); when
   there are more than ``ctrl_size`` of them, ``ctrl_size`` are drawn without replacement
   with ``RandomState.choice`` (a permutation, the draw scanpy makes through
   ``pandas.Series.sample``); with ``ctrl_as_ref=True`` the set genes are then removed;
3. the controls are the union over the bins, and
   ``score = mean(x[set genes]) − mean(x[controls])`` per cell.

scanpy scores one set per call and seeds NumPy's global generator with ``random_state``
at the start of each call; rrscore scores every set in one pass — the gene means and bins
are computed once — and draws each set's controls from a fresh
``RandomState(random_state)``, so every set gets the controls scanpy would give it in a
call of its own, and the same scores: to ~1e-15 (summation order) on float64 data. On a
float32 sparse matrix scanpy adds each cell's values in float32 (scipy's
``sum(axis=1, dtype="float64")`` adds in the data type and casts the result) while rrscore
adds them in float64, so scanpy's scores then carry float32 rounding (~1e-7).
``random_state=None`` draws fresh, unrepeatable controls (scanpy: the global generator
left unseeded).

**Sets without control genes** (scanpy: "No control genes found in any cut", the call
fails): a set whose expression bins hold no control candidate, e.g. one holding every gene
of a targeted panel, is scored NaN and named with the reason in a
:class:`~rrscore.errors.DroppedSetsWarning`; the other sets keep the scores they get alone
(their controls do not depend on the other sets). Only when no set has controls is the call
refused, as scanpy refuses it.

**Signed sets** (scanpy has none): ``score(up) − score(down)``, each part scored as its
own scanpy call (its own controls, drawn from a fresh ``RandomState(random_state)``).

Precision: the gene means behind the bins are computed as scanpy computes them for the
storage at hand (:func:`gene_means`): a sparse matrix through the same scipy sum (float32
data added in float32), a dense float32 matrix in float32 as ``numpy.nanmean`` does (sums
added row after row in float32, the mean rounded to float32), float64 data in float64. So
the bins and the controls are scanpy's to the last bit on dense and sparse, float32 and
float64 input alike (tested on pbmc68k and on data built so that float32 and float64 means
bin differently), and the scores agree to ~1e-15 (sparse float32: ~4e-7, scanpy's float32
per-cell sums, see above). The sums are added row after row whatever the memory layout (C
or Fortran order) and the block size (in memory, backed, Dask), so every path gives the
same bins. Float32 data stored dense and stored sparse can, as in scanpy, bin differently
in one case: two genes whose float32 sums differ but whose means round to the same float32
(dense ties them, sparse does not).

When ``gene_pool`` lists every gene in another order, scanpy attaches the means to the
wrong genes (it subsets the matrix only when the pool is smaller than the data); rrscore
uses the right means. A set gene outside ``gene_pool`` is an error here (scanpy raises a
``KeyError``). The released scanpy 1.9 (shuffles every bin) and the 1.13 ``rng=`` generator
API draw different controls; this follows 1.10–1.12.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rrscore._numba import kernel_over_rows, numba
from rrscore.errors import DroppedSetsWarning, MethodWarning, RRScoreError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._cells import cell_blocks
from rrscore.methods._registry import MethodSpec, ReadMode, ScaleRule
from rrscore.ranking._common import row_arrays


@dataclass(frozen=True)
class ScoreGenesParams:
    """Parameters of the control-gene score (scanpy names and defaults).

    Parameters
    ----------
    ctrl_size
        Control genes drawn per expression bin (default 50).
    n_bins
        Number of expression bins (default 25).
    ctrl_as_ref
        Draw controls from all pool genes, set genes included, and drop the set genes
        afterwards (True, scanpy 1.x default); False leaves the set genes out before drawing.
    gene_pool
        Names of the genes to draw controls from (default: all genes of the data).
    random_state
        Seed of each set's control draw (default 0); ``None`` for an unseeded draw.
    """

    ctrl_size: int = 50
    n_bins: int = 25
    ctrl_as_ref: bool = True
    gene_pool: tuple[str, ...] | None = None
    random_state: int | None = 0

    def __post_init__(self) -> None:
        for name, low in (("ctrl_size", 1), ("n_bins", 2)):
            v = getattr(self, name)
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < low:
                raise RRScoreError(f"{name} must be an integer >= {low}, got {v!r}")
        if not isinstance(self.ctrl_as_ref, (bool, np.bool_)):
            raise RRScoreError(f"ctrl_as_ref must be True or False, got {self.ctrl_as_ref!r}")
        if self.gene_pool is not None:
            if isinstance(self.gene_pool, str):
                raise RRScoreError("gene_pool must be a list of gene names, not one string")
            object.__setattr__(self, "gene_pool", tuple(str(g) for g in self.gene_pool))
            if not self.gene_pool:
                raise RRScoreError("gene_pool is empty")
        rs = self.random_state
        if rs is not None and (isinstance(rs, (bool, np.bool_))
                               or not isinstance(rs, (int, np.integer))
                               or not 0 <= rs < 2**32):
            raise RRScoreError(
                f"random_state must be None or an integer in [0, 2**32), got {rs!r}"
            )


def gene_means(expr: ExpressionMatrix) -> np.ndarray:
    """Mean of every gene over all cells, as scanpy computes it for this storage (float64).

    The input layer has already rejected or dropped NaN, so this is scanpy's nan-mean:

    * sparse: ``sum(axis=0, dtype="float64") / n_cells`` (float32 data added in float32);
    * dense float32: ``numpy.nanmean(x, axis=0)``, a float32 mean (sums added row after row
      in float32, the quotient rounded to float32);
    * otherwise: the float64 mean.

    Column sums are added row after row whatever the layout and block size
    (:meth:`ExpressionMatrix.column_sums`), so C- and Fortran-ordered, in-memory, backed
    and Dask input get the same means.
    """
    means = expr.column_sums() / expr.shape[0]
    if not expr.is_sparse_storage and expr.source_dtype == np.float32:
        # numpy divides the float32 sum in float64 and stores the quotient in float32
        means = means.astype(np.float32).astype(np.float64)
    return means


def expression_bins(means: np.ndarray, pool: np.ndarray, n_bins: int) -> pd.Series:
    """scanpy's bin of each pool gene (a float Series indexed by column index, pool order)."""
    avg = pd.Series(means[pool], index=pool)
    avg = avg[np.isfinite(avg)]
    n_items = int(np.round(len(avg) / (n_bins - 1)))
    # pandas on purpose: rank(method="min") // n_items, with its float (and 0-division) rules
    return avg.rank(method="min") // n_items


def draw_controls(
    genes: np.ndarray, bins: pd.Series, ctrl_size: int, ctrl_as_ref: bool,
    random_state: int | None,
) -> tuple[np.ndarray, int]:
    """Control genes (sorted column indices) of one gene list, drawn as scanpy draws them.

    Returns the controls and the number of bins that had no candidate.
    """
    rng = np.random.RandomState(random_state)
    pool = bins.index.to_numpy()
    cut_values = bins.to_numpy()
    in_list = np.isin(pool, genes)
    controls: set[int] = set()
    empty = 0
    for cut in np.unique(bins.loc[genes].to_numpy()):
        mask = cut_values == cut
        if not ctrl_as_ref:
            mask &= ~in_list
        candidates = pool[mask]
        if len(candidates) == 0:
            empty += 1
        if ctrl_size < len(candidates):
            # pandas Series.sample -> RandomState.choice(n, size, replace=False), which is
            # permutation(n)[:size]
            candidates = candidates[rng.permutation(len(candidates))[:ctrl_size]]
        if ctrl_as_ref:
            candidates = candidates[~np.isin(candidates, genes)]
        controls.update(candidates.tolist())
    return np.array(sorted(controls), dtype=np.int64), empty


@numba.njit(nogil=True, cache=True)
def _sum_rows(r0, r1, data, indices, indptr, shared, tgt_ptr, tgt_idx, out):
    # rows r0 .. r1 - 1; out starts at 0. A serial nogil kernel on threads
    # (rrscore._numba.kernel_over_rows), not a parallel=True loop, which numba compiles twice
    # (~1.5 s more CPU on the first call after an install); each row is summed on its own.
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        for q in range(a, b):
            g = indices[q - a] if shared else indices[q]
            for t in range(tgt_ptr[g], tgt_ptr[g + 1]):
                out[r, tgt_idx[t]] += data[q]


def _sums(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shared: bool,
          tgt_ptr: np.ndarray, tgt_idx: np.ndarray, n_targets: int) -> np.ndarray:
    """Per row, the sum of the values of each target's genes (gene → targets inverted)."""
    n_rows = len(indptr) - 1
    out = np.zeros((n_rows, n_targets))
    kernel_over_rows(_sum_rows, n_rows, data, indices, indptr, shared, tgt_ptr, tgt_idx, out)
    return out


def _inverted(groups: list[np.ndarray], n_genes: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR gene → group lists for :func:`_sums`."""
    genes = np.concatenate(groups) if groups else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(groups), dtype=np.int64), [len(g) for g in groups])
    order = np.argsort(genes, kind="stable")
    ptr = np.zeros(n_genes + 1, dtype=np.int64)
    np.add.at(ptr, genes + 1, 1)
    return np.cumsum(ptr), owner[order]


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: ScoreGenesParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Score all sets: gene means and bins once, controls per set, one pass over the cells."""
    n_genes = expr.shape[1]
    if params.gene_pool is None:
        pool = np.arange(n_genes, dtype=np.int64)
    else:
        # scanpy: Index(gene_pool, dtype="string").intersection(var_names), in that order
        names = pd.Index(params.gene_pool, dtype="string").intersection(expr.genes)
        pool = np.asarray(expr.genes.get_indexer(names), dtype=np.int64)
        if len(pool) == 0:
            raise RRScoreError("no gene of gene_pool is in the data")
    bins = expression_bins(gene_means(expr), pool, params.n_bins)
    in_pool = np.zeros(n_genes, dtype=bool)
    in_pool[bins.index.to_numpy()] = True

    groups: list[np.ndarray] = []  # per set: up genes, up controls, down genes, down controls
    no_controls: list[int] = []  # sets scored NaN: a part without any control gene
    for j, s in enumerate(sets):
        parts: list[np.ndarray] = []
        for part in (s.up, s.down):
            genes = np.asarray(part, dtype=np.int64)
            if len(genes) == 0:
                parts += [genes, genes]
                continue
            outside = genes[~in_pool[genes]]
            if len(outside):
                raise RRScoreError(
                    f"gene set {s.name!r}: {len(outside)} genes are not in gene_pool (e.g. "
                    f"{', '.join(map(str, expr.genes[outside[:5]]))}); scanpy needs every "
                    "scored gene in the pool"
                )
            # each part's controls come from its own RandomState(random_state): a set's
            # controls do not depend on the other sets of the call, nor on their failure
            controls, empty = draw_controls(genes, bins, params.ctrl_size,
                                            params.ctrl_as_ref, params.random_state)
            if len(controls) == 0:
                no_controls.append(j)
                break
            if empty:
                warn(
                    f"gene set {s.name!r}: {empty} expression bins had no control gene "
                    "candidates; consider a larger gene_pool",
                    MethodWarning,
                )
            parts += [genes, controls]
        if no_controls and no_controls[-1] == j:
            parts = [np.zeros(0, dtype=np.int64)] * 4  # nothing summed for a NaN set
        groups += parts
    if no_controls:
        _no_controls(sets, no_controls, len(bins), params.ctrl_as_ref)
    sizes = np.array([len(g) for g in groups], dtype=np.float64)
    tgt_ptr, tgt_idx = _inverted(groups, n_genes)
    out = np.empty((expr.shape[0], len(sets)))
    for start, stop, block in cell_blocks(expr, chunk_size, progress=progress,
                                          desc="score_genes"):
        data, indices, indptr, shared, _ = row_arrays(block)
        sums = _sums(data, indices, indptr, shared, tgt_ptr, tgt_idx, len(groups))
        means = sums / np.where(sizes > 0, sizes, 1.0)  # as scanpy: sum / count
        means[:, sizes == 0] = 0.0
        m = means.reshape(len(means), len(sets), 4)
        out[start:stop] = (m[:, :, 0] - m[:, :, 1]) - (m[:, :, 2] - m[:, :, 3])
    out[:, no_controls] = np.nan
    return out


def _no_controls(sets: AlignedSets, failed: list[int], n_pool: int, ctrl_as_ref: bool) -> None:
    """Refuse the call when no set has control genes, else name the sets scored NaN.

    scanpy raises "No control genes found in any cut" for such a set (one set per call);
    here the other sets of the call keep their scores, and the sets without controls are
    named, with the reason, in a :class:`~rrscore.errors.DroppedSetsWarning`. A set holding
    every gene of the pool (a targeted panel) is the usual case: no gene is left to compare
    it with.
    """

    def listed(names: list[str]) -> str:
        return ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")

    whole = [sets.sets[j].name for j in failed if sets.sets[j].size >= n_pool]
    other = [sets.sets[j].name for j in failed if sets.sets[j].size < n_pool]
    reasons = []
    if whole:
        reasons.append(f"{listed(whole)}: the set holds every gene of the pool, so no gene "
                       "is left to compare it with")
    if other:
        reasons.append(
            f"{listed(other)}: every expression bin of the set's genes holds only set genes"
            + (" or the controls drawn were all set genes (ctrl_as_ref=False draws among the "
               "other genes only)" if ctrl_as_ref else "")
            + "; a larger gene_pool or fewer n_bins gives more candidates"
        )
    if len(failed) == len(sets):
        raise RRScoreError(
            "score_genes: no control genes found in any expression bin for any gene set ("
            + "; ".join(reasons) + "); scanpy raises the same"
        )
    warn(
        f"score_genes: {len(failed)} gene set(s) not scored (NaN), no control genes found "
        "in any expression bin (" + "; ".join(reasons) + "); the other sets are scored as "
        "they would be alone",
        DroppedSetsWarning,
    )


SPEC = MethodSpec(
    name="score_genes",
    summary="control-gene score: mean of the set minus mean of expression-matched controls",
    reference="scanpy 1.10-1.12 tl.score_genes; Tirosh et al., Science 2016; Satija et al. 2015",
    params=ScoreGenesParams,
    run=run,
    sample_independent=False,
    signed_sets="score(up) - score(down), each part with its own controls",
    read_mode=ReadMode("streaming", "one pass for the gene means (the expression bins), then "
                       "one pass to score"),
    input_scale=ScaleRule(
        frozenset({"log"}),
        "scanpy's score_genes expects log-normalised values (sc.pp.normalize_total then "
        "sc.pp.log1p); its expression bins and means are meaningless on counts or scaled data",
    ),
)
