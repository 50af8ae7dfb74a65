"""AUCell (Aibar et al. 2017) as R AUCell computes it, with a deterministic tie rule.

Per cell (R ``R/01_buildRankings.R``, ``R/02_calcAUC.R``):

1. every gene of the matrix is ranked by decreasing expression (rank 1 = highest);
2. with the threshold ``T`` (R ``aucMaxRank``, default ``ceiling(0.05 · n_genes)``), a set
   with ``k`` genes in the data scores ``AUC = Σ_{g in set, r_g < T} (T − r_g)``, the area
   under the recovery curve of the set's genes in the top ``T`` ranks;
3. ``norm_auc=True`` (R ``normAUC=TRUE``, the default) divides by the largest possible area,
   ``Σ_{i=1}^{min(k, T−1)} (T − i)``, so scores lie in [0, 1]; ``norm_auc=False`` divides
   by ``T · k`` (R's "old" normalisation, the one pySCENIC uses).

**Ties.** R ranks with ``ties.method="random"``: tied genes — above all the zeros of a
cell that has fewer than ``T`` detected genes, but also equal counts — are put in an order
drawn from R's random generator, so AUCs change from run to run unless ``set.seed`` is
called, and no other language can reproduce them (AUCell#23, pySCENIC#143). rrscore gives
a reproducible value instead:

* ``ties="expected"`` (default): the **expected AUC over all orders of the ties**, i.e. the
  mean of R's AUC over its random draws. A tied block of ``m`` genes after ``a`` genes
  with larger values puts each of its genes at every position ``a+1 … a+m`` with
  probability ``1/m``, so a set gene in it contributes
  ``(1/m) · Σ_{r=a+1}^{min(a+m, T−1)} (T − r)`` — exactly ``T − (average rank)`` when the
  whole block lies above ``T`` and 0 when it starts at or after ``T``. It needs no random
  numbers, does not depend on the other cells, sets or chunking, and equals every
  random draw when no tie block holding a set gene reaches into the top ``T``.
* ``ties="random"``: one random order, like R, drawn from ``random_state``: genes of a tie
  block are ordered by a 64-bit hash of ``(random_state, cell index, gene index)``, so the
  order is reproducible and independent of chunking, threads and the other sets. It does
  not reproduce R's draws (R's generator is not available), only their distribution.

**Missing genes.** As in R, a set with 80 % or more of its (distinct) listed genes absent
from the data is not scored: its column is NaN and a warning names it; if no set has
enough genes, an error is raised. (R excludes such sets only when some set is above
80 %; rrscore applies the rule to each set on its own, so a set's score never depends on
which other sets are scored.)

**Signed sets** (not in R): ``AUC(up) − AUC(down)``, each part normalised by its own
maximum.

Other documented differences: ``T`` counts every gene of the data, all-zero genes
included, as R does (decoupler drops all-zero genes first, pySCENIC rounds instead of
``ceiling``); R warns when ``T < 300``, rrscore does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rrscore._numba import kernel_over_rows, numba
from rrscore.errors import DroppedSetsWarning, RRScoreError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._cells import cell_blocks
from rrscore.methods._registry import MethodSpec, ReadMode, ScaleRule
from rrscore.methods._ucell import slot_sets
from rrscore.ranking._common import row_arrays
from rrscore.ranking._random_ties import row_random_positions
from rrscore.ranking._ties import rank_rows_few_first, row_tie_blocks, row_tie_blocks_few

TIES = ("expected", "random")
#: R AUCell excludes sets with this fraction of their genes missing, or more.
MAX_MISSING = 0.8


@dataclass(frozen=True)
class AUCellParams:
    """Parameters of AUCell.

    Parameters
    ----------
    auc_max_rank
        The threshold ``T`` (R ``aucMaxRank``): a number below 1 is a fraction of the genes,
        ``T = ceil(auc_max_rank · n_genes)`` (default 0.05, R's default); a number of 1 or
        more is ``T`` itself (rounded as R's ``round``).
    norm_auc
        Divide by the largest AUC possible for the set's size (R ``normAUC=TRUE``); False
        divides by ``T · k``.
    ties
        ``"expected"`` (default): expected AUC over all orders of tied genes;
        ``"random"``: one seeded random order (see the module notes).
    random_state
        Seed of the random tie order (``ties="random"`` only), an integer ``>= 0``.
    """

    auc_max_rank: float = 0.05
    norm_auc: bool = True
    ties: str = "expected"
    random_state: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.auc_max_rank, (bool, np.bool_)) or not (
            np.isfinite(self.auc_max_rank) and self.auc_max_rank > 0
        ):
            raise RRScoreError(
                f"auc_max_rank must be a positive number (a fraction < 1 of the genes or a "
                f"number of genes >= 1), got {self.auc_max_rank!r}"
            )
        if not isinstance(self.norm_auc, (bool, np.bool_)):
            raise RRScoreError(f"norm_auc must be True or False, got {self.norm_auc!r}")
        if self.ties not in TIES:
            raise RRScoreError(f"ties must be one of {TIES}, got {self.ties!r}")
        if (isinstance(self.random_state, (bool, np.bool_))
                or not isinstance(self.random_state, (int, np.integer))
                or not 0 <= self.random_state < 2**63):
            raise RRScoreError(
                f"random_state must be an integer >= 0, got {self.random_state!r}"
            )

    def threshold(self, n_genes: int) -> int:
        """The threshold ``T`` for a matrix with ``n_genes`` genes."""
        if self.auc_max_rank < 1:
            t = math.ceil(self.auc_max_rank * n_genes)
        else:
            t = int(np.round(self.auc_max_rank))  # R's round: halves to even
        if t < 2:
            raise RRScoreError(
                f"the AUC threshold T = {t} (auc_max_rank={self.auc_max_rank}, {n_genes} "
                "genes) leaves no rank below it; use a larger auc_max_rank"
            )
        return t


@numba.njit(nogil=True, cache=True, inline="always")
def _part_auc(start, size, slots, a, b, t, norm):
    k = b - a
    if k == 0:
        return 0.0
    auc = 0.0
    for q in range(a, b):
        s = slots[q]
        first = start[s] + 1  # the block covers ranks first .. first + size - 1
        last = start[s] + size[s]
        hi = last if last < t - 1 else t - 1
        if hi >= first:
            c = hi - first + 1
            # mean over the block's ranks of (T - r)^+: ranks >= T contribute 0
            auc += (c * t - (first + hi) * c / 2.0) / size[s]
    if norm:
        c = k if k < t - 1 else t - 1
        max_auc = c * t - c * (c + 1) / 2.0
    else:
        max_auc = float(t) * k
    return auc / max_auc


@numba.njit(nogil=True, cache=True, inline="always")
def _set_aucs(start, size, up_ptr, up_slots, dn_ptr, dn_slots, t, norm, out_row):
    for s in range(len(up_ptr) - 1):
        out_row[s] = (_part_auc(start, size, up_slots, up_ptr[s], up_ptr[s + 1], t, norm)
                      - _part_auc(start, size, dn_slots, dn_ptr[s], dn_ptr[s + 1], t, norm))


@numba.njit(nogil=True, cache=True)
def _aucell_rows(r0, r1, data, indices, indptr, shared, n_genes, slot_of, up_ptr, up_slots,
                 dn_ptr, dn_slots, t, norm, out, general, start, size, present, which, qs,
                 greater, eq):
    """Rows ``r0 .. r1 - 1`` of a block (``row_arrays`` form), ``ties="expected"``.

    A row whose set genes hold too many distinct values for :func:`row_tie_blocks_few` is
    left to :func:`_aucell_rows_general` (``general[r]`` True), compiled only when needed.
    """
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        done = row_tie_blocks_few(data[a:b], indices if shared else indices[a:b], n_genes,
                                  slot_of, start, size, present, which, qs, greater, eq)
        general[r] = not done
        if done:
            _set_aucs(start, size, up_ptr, up_slots, dn_ptr, dn_slots, t, norm, out[r])


@numba.njit(nogil=True, cache=True)
def _aucell_rows_general(k0, k1, rows, data, indices, indptr, shared, n_genes, slot_of,
                         up_ptr, up_slots, dn_ptr, dn_slots, t, norm, out, start, size):
    """The rows ``rows[k0:k1]`` of a block, ranked by :func:`row_tie_blocks`."""
    for k in range(k0, k1):
        r = rows[k]
        a = indptr[r]
        b = indptr[r + 1]
        row_tie_blocks(data[a:b], indices if shared else indices[a:b], n_genes, slot_of,
                       len(start), start, size)
        _set_aucs(start, size, up_ptr, up_slots, dn_ptr, dn_slots, t, norm, out[r])


@numba.njit(nogil=True, cache=True)
def _aucell_random_rows(r0, r1, data, indices, indptr, shared, n_genes, slot_of, slot_genes,
                        up_ptr, up_slots, dn_ptr, dn_slots, t, norm, seed, row_offset, out):
    """Rows ``r0 .. r1 - 1``, ``ties="random"`` (a kernel of its own: the random order's
    code is compiled only when asked for)."""
    n_slots = len(slot_genes)
    start = np.empty(n_slots, dtype=np.int64)
    size = np.empty(n_slots, dtype=np.int64)
    pos = np.empty(n_slots, dtype=np.int64)
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        d = data[a:b]
        idx = indices if shared else indices[a:b]
        row_tie_blocks(d, idx, n_genes, slot_of, n_slots, start, size)
        row_random_positions(d, idx, n_genes, slot_of, slot_genes, seed, row_offset + r,
                             t - 1, start, size, pos)
        for s in range(n_slots):  # one drawn order: every gene is its own block
            start[s] = pos[s] - 1
            size[s] = 1
        _set_aucs(start, size, up_ptr, up_slots, dn_ptr, dn_slots, t, norm, out[r])


def excluded_sets(sets: AlignedSets) -> np.ndarray:
    """Boolean mask of sets R AUCell would not score (>= 80 % of their genes missing)."""
    cov = sets.coverage
    mask = np.zeros(len(sets), dtype=bool)
    for i, s in enumerate(sets):
        if cov is not None and s.name in cov.index:
            listed = int(cov.at[s.name, "n_listed"])
            found = int(cov.at[s.name, "n_found"])
            mask[i] = listed > 0 and (listed - found) / listed >= MAX_MISSING
    return mask


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: AUCellParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Score all sets in all cells; each cell is ranked once, in blocks of cells."""
    n_genes = expr.shape[1]
    t = params.threshold(n_genes)
    excluded = excluded_sets(sets)
    if excluded.all():
        raise RRScoreError(
            "every gene set has 80% or more of its genes missing from the data, so AUCell "
            "(as R AUCell) scores none; check that the gene identifiers match"
        )
    if excluded.any():
        names = [s.name for s, e in zip(sets, excluded, strict=True) if e]
        warn(
            f"AUCell does not score {len(names)} gene sets with 80% or more of their genes "
            "missing from the data (as R AUCell); their scores are NaN: "
            + ", ".join(names[:10]) + (" ..." if len(names) > 10 else ""),
            DroppedSetsWarning,
        )
    slot_of, slot_genes, up_ptr, up_slots, dn_ptr, dn_slots = slot_sets(sets, n_genes)
    out = np.empty((expr.shape[0], len(sets)))
    for start, stop, block in cell_blocks(expr, chunk_size, progress=progress, desc="aucell"):
        data, indices, indptr, shared, _ = row_arrays(block)
        part = out[start:stop]
        if params.ties == "random":
            # a block of a larger matrix (Dask) keys its cells by their row in the whole
            offset = np.int64(start + getattr(expr, "row_offset", 0))
            kernel_over_rows(_aucell_random_rows, stop - start, data, indices, indptr, shared,
                             n_genes, slot_of, slot_genes, up_ptr, up_slots, dn_ptr, dn_slots,
                             np.int64(t), bool(params.norm_auc),
                             np.uint64(params.random_state), offset, part)
        else:
            rank_rows_few_first(_aucell_rows, _aucell_rows_general, data, indices, indptr,
                                shared, n_genes, slot_of, len(slot_genes),
                                (up_ptr, up_slots, dn_ptr, dn_slots, np.int64(t),
                                 bool(params.norm_auc)), part)
    out[:, excluded] = np.nan
    return out


def _read_mode(params: AUCellParams) -> ReadMode:
    if params.ties == "random":
        # the seeded tie order is keyed by the cell's row in the whole matrix: streaming keeps
        # the global row numbers (a Dask block would have to offset them)
        return ReadMode("streaming", "the random tie order is keyed by each cell's row")
    return ReadMode("blockwise", "each cell is scored on its own")


SPEC = MethodSpec(
    name="aucell",
    summary="AUCell: area under the recovery curve of the set's genes in the top T ranks",
    reference="R AUCell 1.25 AUCell_calcAUC (normAUC=TRUE); Aibar et al., Nat Methods 2017",
    params=AUCellParams,
    run=run,
    sample_independent=True,
    signed_sets="AUC(up) - AUC(down), each part normalised on its own (R has no signed sets)",
    read_mode=_read_mode,
    input_scale=ScaleRule(
        frozenset({"counts", "log", "linear"}),
        "it ranks genes within each cell and treats zero as not expressed; give counts or "
        "log-normalised values, not centred or scaled ones (use adata.raw or a layer)",
    ),
)
