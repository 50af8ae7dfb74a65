"""UCell (Andreatta & Carmona 2021) exactly as R UCell ≥ 2.13.3 computes it.

Per cell (R ``R/HelperFunctions.R``, ``calculate_Uscore`` / ``u_stat``):

1. every gene of the matrix is ranked by decreasing expression, ties averaged
   (``data.table::frankv(x, ties.method="average", order=-1)``): rank 1 is the highest
   value and all the zeros of a cell share one average rank;
2. ``max_rank`` is capped at the number of genes; ranks at or above it count as
   ``max_rank``; each gene of a signature that is not in the data counts as ``max_rank``
   (``missing_genes="impute"``, R's default since 2.13.3) or is dropped (``"skip"``);
3. for a (sub)signature of ``L`` genes (missing ones included when imputed), with
   ``S`` the sum of those ranks: ``U = S - L(L+1)/2`` and
   ``score = 1 - U / (L·max_rank - L(L+1)/2)`` (the normalisation since 2.7.6), 0 for
   ``L = 0``;
4. a signed set scores ``max(0, score(up) - w_neg · score(down))``.

A signature that lists more genes than ``max_rank`` (after the cap, up and down genes
together, found or not) cannot be scored: R refuses the whole call; rrscore gives that set NaN
and names it in a :class:`~rrscore.errors.DroppedSetsWarning` (an error when no set is left).

Sparse input is ranked from the stored values of each cell only: the zeros' shared rank
follows from the count of positive and negative values (:func:`rrscore.ranking.row_tie_blocks`),
so nothing is densified.

Differences from pyUCell (``pyucell.compute_ucell_scores``; checked against 0.8.0):

* pyUCell ranks only the non-zero values and gives every zero ``max_rank``; R (and
  rrscore) give the zeros their average rank, ``n_pos + (n_zero + 1)/2``. The two agree
  whenever that rank is at least ``max_rank`` — always when the number of genes is at
  least ``2·max_rank`` — and differ on small gene panels (e.g. 765 genes: every zero ranks
  below ``max_rank = 765`` in R).
* pyUCell does not cap ``max_rank`` at the number of genes and does not check the
  signature length.
* pyUCell ≤ 0.7 truncated average ranks to integers (``int32``); 0.8 keeps them (as
  ``float32``). Its scores are ``float32`` (about 1e-7 relative precision); rrscore
  computes in float64.
* With negative values (scaled data) pyUCell ranks negatives above the zeros it pins at
  ``max_rank``; R and rrscore rank them below the zeros.

Deliberate differences from R, documented: genes duplicated within a signature are
counted once (R counts them twice; rrscore drops duplicates when a set is read), and set
genes are matched to the data case-insensitively and through synonyms where unambiguous
(R: exact names only), so a gene R would impute as missing may be found here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from rrscore._numba import numba
from rrscore.errors import DroppedSetsWarning, RRScoreError, warn
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._cells import cell_blocks
from rrscore.methods._registry import MethodSpec, ScaleRule
from rrscore.ranking._common import gene_slots, row_arrays
from rrscore.ranking._ties import rank_rows_few_first, row_tie_blocks, row_tie_blocks_few

MISSING_GENES = ("impute", "skip")


@dataclass(frozen=True)
class UCellParams:
    """Parameters of UCell.

    Parameters
    ----------
    max_rank
        Rank cut-off (R ``maxRank``, default 1500); capped at the number of genes.
    w_neg
        Weight of the down part of a signed set (R ``w_neg``, default 1).
    missing_genes
        ``"impute"`` (default, R ≥ 2.13.3): a set gene absent from the data counts as rank
        ``max_rank``; ``"skip"``: it is ignored.
    """

    max_rank: int = 1500
    w_neg: float = 1.0
    missing_genes: str = "impute"

    def __post_init__(self) -> None:
        if isinstance(self.max_rank, (bool, np.bool_)) or not float(self.max_rank).is_integer():
            raise RRScoreError(f"max_rank must be a whole number, got {self.max_rank!r}")
        if self.max_rank < 2:
            raise RRScoreError(f"max_rank must be at least 2, got {self.max_rank}")
        object.__setattr__(self, "max_rank", int(self.max_rank))
        if not np.isfinite(self.w_neg) or self.w_neg < 0:
            raise RRScoreError(f"w_neg must be a finite number >= 0, got {self.w_neg}")
        if self.missing_genes not in MISSING_GENES:
            raise RRScoreError(
                f"missing_genes must be one of {MISSING_GENES}, got {self.missing_genes!r}"
            )


def listed_counts(sets: AlignedSets) -> tuple[np.ndarray, np.ndarray]:
    """Genes listed per set in the up and the down part (found or not), from the coverage.

    Falls back to the matched counts for sets without a coverage row (hand-built
    :class:`AlignedSets`).
    """
    cov = sets.coverage
    up = np.empty(len(sets), dtype=np.int64)
    down = np.empty(len(sets), dtype=np.int64)
    for i, s in enumerate(sets):
        if cov is not None and s.name in cov.index and "n_up_listed" in cov.columns:
            up[i] = int(cov.at[s.name, "n_up_listed"])
            down[i] = int(cov.at[s.name, "n_down_listed"])
        else:
            up[i], down[i] = len(s.up), len(s.down)
    return up, down


def slot_sets(
    sets: AlignedSets, n_genes: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct set genes as kernel slots and each part's slots in CSR form.

    Returns ``(slot_of, slot_genes, up_ptr, up_slots, down_ptr, down_slots)``.
    """
    parts = [s.up for s in sets] + [s.down for s in sets]
    all_genes = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    slot_of, slot_genes = gene_slots(all_genes, n_genes)

    def csr(part_list):
        ptr = np.zeros(len(part_list) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([len(p) for p in part_list])
        idx = (slot_of[np.concatenate(part_list)] if part_list
               else np.zeros(0, dtype=np.int64))
        return ptr, np.ascontiguousarray(idx, dtype=np.int64)

    up_ptr, up_slots = csr([np.asarray(s.up, dtype=np.int64) for s in sets])
    dn_ptr, dn_slots = csr([np.asarray(s.down, dtype=np.int64) for s in sets])
    return slot_of, slot_genes, up_ptr, up_slots, dn_ptr, dn_slots


@numba.njit(nogil=True, cache=True, inline="always")
def _u_score(start, size, slots, a, b, n_missing, max_rank):
    n_sig = b - a + n_missing
    if n_sig == 0:
        return 0.0
    rank_sum = float(n_missing) * max_rank
    for q in range(a, b):
        s = slots[q]
        rank = start[s] + (size[s] + 1) / 2.0  # descending average rank
        rank_sum += max_rank if rank >= max_rank else rank
    rank_min = n_sig * (n_sig + 1) / 2.0
    return 1.0 - (rank_sum - rank_min) / (n_sig * max_rank - rank_min)


@numba.njit(nogil=True, cache=True, inline="always")
def _set_scores(start, size, up_ptr, up_slots, up_missing, dn_ptr, dn_slots, dn_missing,
                max_rank, w_neg, out_row):
    """Every set's score in one row from the row's tie blocks (``start``/``size``)."""
    for s in range(len(up_ptr) - 1):
        up = _u_score(start, size, up_slots, up_ptr[s], up_ptr[s + 1], up_missing[s],
                      max_rank)
        dn = _u_score(start, size, dn_slots, dn_ptr[s], dn_ptr[s + 1], dn_missing[s],
                      max_rank)
        d = up - w_neg * dn
        out_row[s] = d if d > 0.0 else 0.0


@numba.njit(nogil=True, cache=True)
def _ucell_rows(r0, r1, data, indices, indptr, shared, n_genes, slot_of, up_ptr, up_slots,
                up_missing, dn_ptr, dn_slots, dn_missing, max_rank, w_neg, out, general,
                start, size, present, which, qs, greater, eq):
    """Scores of rows ``r0 .. r1 - 1`` of a block (``row_arrays`` form) into ``out``.

    A row whose set genes hold too many distinct values for :func:`row_tie_blocks_few` is
    left to :func:`_ucell_rows_general` (``general[r]`` True): a kernel compiled only when
    some row needs it (continuous values), not on every first call.
    """
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        done = row_tie_blocks_few(data[a:b], indices if shared else indices[a:b], n_genes,
                                  slot_of, start, size, present, which, qs, greater, eq)
        general[r] = not done
        if done:
            _set_scores(start, size, up_ptr, up_slots, up_missing, dn_ptr, dn_slots,
                        dn_missing, max_rank, w_neg, out[r])


@numba.njit(nogil=True, cache=True)
def _ucell_rows_general(k0, k1, rows, data, indices, indptr, shared, n_genes, slot_of,
                        up_ptr, up_slots, up_missing, dn_ptr, dn_slots, dn_missing, max_rank,
                        w_neg, out, start, size):
    """Scores of the rows ``rows[k0:k1]`` of a block, ranked by :func:`row_tie_blocks`."""
    for k in range(k0, k1):
        r = rows[k]
        a = indptr[r]
        b = indptr[r + 1]
        row_tie_blocks(data[a:b], indices if shared else indices[a:b], n_genes, slot_of,
                       len(start), start, size)
        _set_scores(start, size, up_ptr, up_slots, up_missing, dn_ptr, dn_slots, dn_missing,
                    max_rank, w_neg, out[r])


def _too_long_text(sets: AlignedSets, listed: np.ndarray, long: np.ndarray, max_rank: int,
                   n_genes: int, asked: int) -> str:
    """What is wrong with sets listing more genes than ``max_rank``, and what helps."""
    names = [f"{s.name} ({int(k)})" for s, k, x in zip(sets, listed, long, strict=True) if x]
    head = ", ".join(names[:5]) + ("" if len(names) <= 5 else " ...")
    if max_rank >= n_genes:  # capped at the data: a larger max_rank cannot help
        return (f"{len(names)} gene sets list more genes (found or not) than the {n_genes} "
                f"genes of the data (max_rank={asked} is capped there): {head}; UCell cannot "
                "rank a signature longer than the data (as R UCell): use shorter sets, data "
                "with more genes, or another method (aucell, singscore)")
    return (f"{len(names)} gene sets list more genes (found or not) than max_rank={max_rank}: "
            f"{head}; increase max_rank (up to the {n_genes} genes of the data) or use "
            "shorter sets (as R UCell requires)")


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: UCellParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """Score all sets in all cells; each cell is ranked once, in blocks of cells."""
    n_genes = expr.shape[1]
    max_rank = min(params.max_rank, n_genes)
    up_listed, dn_listed = listed_counts(sets)
    long = (up_listed + dn_listed) > max_rank
    if long.any():
        # R UCell refuses the whole call; here only those sets go (NaN, named), as for every
        # set a method cannot score, and the advice depends on whether max_rank can grow
        text = _too_long_text(sets, up_listed + dn_listed, long, max_rank, n_genes,
                              params.max_rank)
        if long.all():
            raise RRScoreError(text)
        warn(text + "; they are NaN, the other sets are scored", DroppedSetsWarning)
        keep = np.flatnonzero(~long)
        out = np.full((expr.shape[0], len(sets)), np.nan)
        kept = replace(sets, sets=tuple(sets.sets[i] for i in keep))
        out[:, keep] = run(expr, kept, params, chunk_size=chunk_size, progress=progress)
        return out
    if params.missing_genes == "impute":
        up_missing = up_listed - np.array([len(s.up) for s in sets], dtype=np.int64)
        dn_missing = dn_listed - np.array([len(s.down) for s in sets], dtype=np.int64)
    else:
        up_missing = np.zeros(len(sets), dtype=np.int64)
        dn_missing = np.zeros(len(sets), dtype=np.int64)
    slot_of, slot_genes, up_ptr, up_slots, dn_ptr, dn_slots = slot_sets(sets, n_genes)
    sets_args = (up_ptr, up_slots, up_missing, dn_ptr, dn_slots, dn_missing, float(max_rank),
                 float(params.w_neg))
    out = np.empty((expr.shape[0], len(sets)))
    for start, stop, block in cell_blocks(expr, chunk_size, progress=progress, desc="ucell"):
        data, indices, indptr, shared, _ = row_arrays(block)
        rank_rows_few_first(_ucell_rows, _ucell_rows_general, data, indices, indptr, shared,
                            n_genes, slot_of, len(slot_genes), sets_args, out[start:stop])
    return out


SPEC = MethodSpec(
    name="ucell",
    summary="UCell: Mann-Whitney U of the set's ranks among the top max_rank genes",
    reference="R UCell >= 2.13.3 ScoreSignatures_UCell; Andreatta & Carmona, CSBJ 2021",
    params=UCellParams,
    run=run,
    sample_independent=True,
    signed_sets="max(0, U(up) - w_neg * U(down)), as R UCell",
    input_scale=ScaleRule(
        frozenset({"counts", "log", "linear"}),
        "it ranks genes within each cell and treats zero as not expressed; give counts or "
        "log-normalised values, not centred or scaled ones (use adata.raw or a layer)",
    ),
)
