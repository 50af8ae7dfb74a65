"""GSVA step 4: the KS-like rank walk of every set in every sample (R GSVA 1.46's C code).

:func:`_walk_scores` evaluates the walk in closed form from the genes' positions in each
sample's decreasing order of log-odds, replaying R's running sum (:func:`_replay_walk`) where
the two could decide differently; :func:`gene_set_index` lists the sets of every gene. The
method is described in :mod:`rrscore.methods._gsva`.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import kernel_over_rows, numba

#: |E+| and |E-| closer than this (max_diff=False) → replay the walk as R's C code does.
_TIE = 1e-9


@numba.njit(cache=True, error_model="numpy")
def _replay_walk(order, member, total, k, tau, unit):
    """R's C ``ks_sample`` running sum over all n positions: ``(E+, E-)``.

    Used where the closed form could decide differently from R (a near-tie of ``E+`` and
    ``|E-|`` with ``max_diff=False``) or is undefined (zero weight total, ``k == n``):
    NaN and infinite steps then propagate exactly as in C.
    """
    n = len(order)
    half = n / 2.0
    dec = 1.0 / (n - k)
    cum = 0.0
    e_pos = 0.0
    e_neg = 0.0
    for t in range(n):
        if member[order[t]]:
            w = abs(half - t)  # position t + 1
            cum += (w if unit else w**tau) / total
        else:
            cum -= dec
        if cum > e_pos:
            e_pos = cum
        if cum < e_neg:
            e_neg = cum
    return e_pos, e_neg


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _walk_rows(r0, r1, pos, ptr, idx, gptr, gset, tau, max_diff, abs_ranking, dec, out):
    """:func:`_walk_scores` of rows ``r0 .. r1 - 1`` (serial; ``dec[s] = 1 / (n - k_s)``).

    A serial ``nogil`` kernel run on threads over blocks of rows
    (:func:`rrscore._numba.kernel_over_rows`) rather than a ``parallel=True`` loop: numba
    compiles a parallel kernel twice, ~3 s more CPU on the first call after an install,
    and the threads run it as fast. Each row is computed on its own, so the scores do not
    depend on the blocks.
    """
    n = pos.shape[1]
    n_sets = len(ptr) - 1
    half = n / 2.0
    unit = tau == 1.0  # C's pow(x, 1.0) is x: skip the call
    # buffers allocated once per block and reset with loops (np.zeros in the row loop
    # compiles more and allocates per row)
    order = np.empty(n, dtype=np.int64)
    member = np.empty(n, dtype=np.bool_)
    for gene in range(n):
        member[gene] = False
    total = np.empty(n_sets)
    cum = np.empty(n_sets)
    hits = np.empty(n_sets, dtype=np.int64)
    e_pos = np.empty(n_sets)
    e_neg = np.empty(n_sets)
    for r in range(r0, r1):
        for gene in range(n):
            order[pos[r, gene] - 1] = gene
        for s in range(n_sets):
            acc = 0.0
            for q in range(ptr[s], ptr[s + 1]):  # the set's order, as C sums the weights
                w = abs(half - pos[r, idx[q]] + 1.0)
                acc += w if unit else w**tau
            total[s] = acc
            cum[s] = 0.0
            hits[s] = 0
            e_pos[s] = 0.0
            e_neg[s] = 0.0
        for t in range(n):  # position t + 1
            gene = order[t]
            if gptr[gene] == gptr[gene + 1]:
                continue
            w = abs(half - t)
            wt = w if unit else w**tau
            for q in range(gptr[gene], gptr[gene + 1]):
                s = gset[q]
                miss = (t - hits[s]) * dec[s]
                low = cum[s] - miss  # just before this hit
                if low < e_neg[s]:
                    e_neg[s] = low
                cum[s] += wt / total[s]
                high = cum[s] - miss  # at this hit
                if high > e_pos[s]:
                    e_pos[s] = high
                hits[s] += 1
        for s in range(n_sets):
            k = ptr[s + 1] - ptr[s]
            if k == 0:
                out[r, s] = np.nan
                continue
            ep = e_pos[s]
            en = e_neg[s]
            if not (total[s] > 0.0) or k == n or (not max_diff and abs(ep + en) <= _TIE):
                for q in range(ptr[s], ptr[s + 1]):
                    member[idx[q]] = True
                ep, en = _replay_walk(order, member, total[s], k, tau, unit)
                for q in range(ptr[s], ptr[s + 1]):
                    member[idx[q]] = False
            if max_diff:
                out[r, s] = ep - en if abs_ranking else ep + en
            else:
                out[r, s] = ep if ep > abs(en) else en


def _walk_scores(pos: np.ndarray, ptr: np.ndarray, idx: np.ndarray, gptr: np.ndarray,
                 gset: np.ndarray, tau: float, max_diff: bool, abs_ranking: bool,
                 out: np.ndarray) -> None:
    """GSVA enrichment scores of every set (CSR ``ptr``/``idx``) in every row of ``pos``.

    ``pos`` holds 1-based positions in the decreasing order of the log-odds; ``gptr``/
    ``gset`` list the sets of each gene. The running sum rises only at hits, so its
    maximum is at a hit and its minimum just before one, where ``D = cum_w - misses /
    (n - k)``. One pass over the positions visits every set's hits in order (no sort per
    set): O(n + Σk) per sample. The weight totals are summed in each set's own order, as
    C does. Near-ties of ``E+`` and ``|E-|`` (``max_diff=False``), a zero weight total
    and ``k == n`` are replayed with the C code's running sum. Rows run on threads
    (:func:`_walk_rows`).

    Parameters
    ----------
    pos
        ``(n_rows, n_genes)`` int64 1-based positions of each gene in each row's order.
    ptr, idx
        CSR of the sets: set ``s`` holds genes ``idx[ptr[s]:ptr[s + 1]]``.
    gptr, gset
        The sets of every gene (:func:`gene_set_index` of ``ptr``/``idx``).
    tau
        Exponent of the rank weights.
    max_diff, abs_ranking
        GSVA's ``mx.diff`` and ``abs.ranking``.
    out
        ``(n_rows, n_sets)`` float64, filled in place (NaN for a set without genes).
    """
    n_rows, n = pos.shape
    # 1 / (n - k) per set, as the kernel used to compute it: the same doubles
    with np.errstate(divide="ignore"):
        dec = 1.0 / (n - np.diff(ptr)).astype(np.float64)
    kernel_over_rows(_walk_rows, n_rows, pos, ptr, idx, gptr, gset, tau, max_diff,
                     abs_ranking, dec, out)


def gene_set_index(ptr: np.ndarray, idx: np.ndarray, n_genes: int):
    """The transpose of a set → genes CSR: ``(gptr, gset)``, the sets of every gene."""
    owner = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    by_gene = np.argsort(idx, kind="stable")
    gptr = np.zeros(n_genes + 1, dtype=np.int64)
    gptr[1:] = np.cumsum(np.bincount(idx, minlength=n_genes))
    return gptr, np.ascontiguousarray(owner[by_gene])
