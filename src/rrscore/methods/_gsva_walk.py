"""GSVA step 4: the KS-like rank walk of every set in every sample (R GSVA 1.46's C code).

:func:`_walk_scores` evaluates the walk in closed form from the genes' positions in each
sample's decreasing order of log-odds, replaying R's running sum (:func:`_replay_walk`) where
the two could decide differently; :func:`gene_set_index` lists the sets of every gene. The
method is described in :mod:`rrscore.methods._gsva`.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import numba, over_row_blocks

#: |E+| and |E-| closer than this (max_diff=False) → replay the walk as R's C code does.
_TIE = 1e-9
#: Doubles per set in the walk's state: 5 used, padded to one 64-byte cache line.
_ROW = 8
#: A de Bruijn sequence and its table: the index of a word's lowest set bit, branch-free and
#: without an intrinsic (``(w & -w) * _DEBRUIJN >> 58`` is distinct for each of the 64 bits).
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_BIT_OF = np.array([0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36,
                    53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37,
                    16, 54, 35, 52, 21, 44, 32, 23, 11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14,
                    19, 9, 13, 8, 7, 6], dtype=np.int64)


@numba.njit(cache=True, error_model="numpy")
def _replay_walk(hit, total, k, tau, unit):
    """R's C ``ks_sample`` running sum over all n positions: ``(E+, E-)``.

    ``hit[t]``: whether position ``t + 1`` holds a gene of the set. Used where the closed
    form could decide differently from R (a near-tie of ``E+`` and ``|E-|`` with
    ``max_diff=False``) or is undefined (zero weight total, ``k == n``): NaN and infinite
    steps then propagate exactly as in C.
    """
    n = len(hit)
    half = n / 2.0
    dec = 1.0 / (n - k)
    cum = 0.0
    e_pos = 0.0
    e_neg = 0.0
    for t in range(n):
        if hit[t]:
            w = abs(half - t)  # position t + 1
            cum += (w if unit else w**tau) / total
        else:
            cum -= dec
        if cum > e_pos:
            e_pos = cum
        if cum < e_neg:
            e_neg = cum
    return e_pos, e_neg


@numba.njit(nogil=True, cache=True, inline="always")
def _fill_weights(weight, tau):
    """``weight[t] = |n/2 - t|^tau``, the weight of 0-based position ``t``, as C computes it
    (``pow(x, 1.0)`` is ``x``: no call then)."""
    n = len(weight)
    half = n / 2.0
    for t in range(n):
        w = abs(half - t)
        weight[t] = w if tau == 1.0 else w**tau


@numba.njit(nogil=True, cache=True, inline="always")
def _weight_total(pos_row, idx, a, b, unit, weight, n):
    """Weight total of the set ``idx[a:b]`` in one row (``pos_row``: 1-based positions in a
    ranking of ``n`` genes).

    With ``tau == 1`` every weight is an integer or a half (``|n + 2 - 2p| / 2``), summed as
    an exact integer, which any order of C's double sum gives; else in the set's order, as
    C sums them. :func:`_walk_rows` and :func:`_replay_flagged` both call it: a replayed
    set's walk divides by the same double.
    """
    if unit:
        m2 = n + 2
        iacc = 0
        for q in range(a, b):
            iacc += abs(m2 - 2 * pos_row[np.uint64(idx[q])])
        return iacc * 0.5
    acc = 0.0
    for q in range(a, b):
        acc += weight[pos_row[np.uint64(idx[q])] - 1]
    return acc


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _walk_rows(r0, r1, pos, n, ptr, idx, gptr, gset, members, tau, max_diff, abs_ranking,
               out, replay, weight, first, last, bits, total, state):
    """:func:`_walk_scores` of rows ``r0 .. r1 - 1`` (serial).

    A serial ``nogil`` kernel run on threads over blocks of rows
    (:func:`rrscore._numba.over_row_blocks`) rather than a ``parallel=True`` loop: numba
    compiles a parallel kernel twice, ~3 s more CPU on the first call after an install,
    and the threads run it as fast. Each row is computed on its own, so the scores do not
    depend on the blocks.

    Per row: (1) the slice of ``gset`` of each gene in some set (``members``) is scattered to
    its position (``first``/``last``) and the position is marked in a bitmap (``bits``, one
    bit per position, all-zero between rows: each word is cleared as it is read), so the walk
    reads the set genes in position order without a dependent look-up of the gene and visits
    only the marked positions — the words of 64 positions without one are skipped, so a
    cell with 2,000 set genes among 20,000 costs ~300 word reads, not 20,000 position reads,
    and ``first``/``last`` of unmarked positions are never read (nor cleared); (2) the weight
    totals, in each set's own order (C's); (3) one pass over the marked positions, in
    increasing order, updating each hit set's state, one cache line per set (hit weight,
    slope, max, min, hits: one line touched per membership, not six arrays); (4) the scores;
    where the closed form could decide differently from R's running sum, ``replay[r, s]`` is
    set instead and :func:`_replay_flagged` computes the score (a rare case: its kernel is
    compiled only when some set needs it, not on every first call).
    """
    n_sets = len(ptr) - 1
    unit = tau == 1.0  # C's pow(x, 1.0) is x: skip the call
    # work arrays come from the caller, one set per block of rows (:func:`_walk_work`): an
    # np.empty here compiles NumPy's allocation helpers into every GSVA first call
    _fill_weights(weight, tau)
    one = np.uint64(1)
    for r in range(r0, r1):
        for i in range(len(members)):
            gene = members[i]
            p = pos[r, gene] - 1
            first[p] = gptr[gene]
            last[p] = gptr[gene + 1]
            bits[p >> 6] |= one << np.uint64(p & 63)
        for s in range(n_sets):
            a = ptr[s]
            b = ptr[s + 1]
            acc = _weight_total(pos[r], idx, a, b, unit, weight, n)
            total[s] = acc
            state[s, 0] = 0.0
            state[s, 1] = acc / (n - (b - a))
            state[s, 2] = 0.0
            state[s, 3] = 0.0
            state[s, 4] = 0.0
        for w in range(len(bits)):
            word = bits[w]
            if word == 0:
                continue
            bits[w] = 0  # all-zero again for the next row
            base = w << 6
            while word != 0:
                low_bit = word & (~word + one)  # the lowest marked position of the word
                word ^= low_bit
                t = base + _BIT_OF[(low_bit * _DEBRUIJN) >> np.uint64(58)]  # position t + 1
                wt = weight[t]
                tf = float(t)
                for q in range(first[t], last[t]):
                    s = gset[q]  # unsigned: no negative-index fix-up per access
                    h = state[s, 4]
                    # D T just before this hit: A - (t - h) c; at the hit: + wt. A and t - h
                    # are exact (halves when tau == 1): one rounding in c, one in the product
                    low = state[s, 0] - (tf - h) * state[s, 1]
                    state[s, 3] = min(state[s, 3], low)  # branch-free: extremes are frequent
                    state[s, 2] = max(state[s, 2], low + wt)
                    state[s, 0] += wt
                    state[s, 4] = h + 1.0
        for s in range(n_sets):
            k = ptr[s + 1] - ptr[s]
            if k == 0:
                out[r, s] = np.nan
                continue
            tot = total[s]
            ep = state[s, 2] / tot
            en = state[s, 3] / tot
            if (not (tot > 0.0 and tot < np.inf) or k == n
                    or (not max_diff and abs(ep + en) <= _TIE)):
                replay[r, s] = 1
                continue
            if max_diff:
                out[r, s] = ep - en if abs_ranking else ep + en
            else:
                out[r, s] = ep if ep > abs(en) else en


@numba.njit(cache=True, error_model="numpy")
def _replay_flagged(rows, sets, pos, n, ptr, idx, tau, max_diff, abs_ranking, out):
    """Scores of the (row, set) pairs :func:`_walk_rows` flagged, by R's running sum.

    The weight total is summed as :func:`_walk_rows` sums it (the same double), then
    :func:`_replay_walk` walks all ``n`` positions as C does.
    """
    unit = tau == 1.0
    weight = np.empty(n)
    _fill_weights(weight, tau)
    hit = np.zeros(n, dtype=np.bool_)  # by position: pos may hold only the set genes
    for i in range(len(rows)):
        r = rows[i]
        s = sets[i]
        a = ptr[s]
        b = ptr[s + 1]
        tot = _weight_total(pos[r], idx, a, b, unit, weight, n)
        for q in range(a, b):
            hit[pos[r, idx[q]] - 1] = True
        ep, en = _replay_walk(hit, tot, b - a, tau, unit)
        for q in range(a, b):
            hit[pos[r, idx[q]] - 1] = False
        if max_diff:
            out[r, s] = ep - en if abs_ranking else ep + en
        else:
            out[r, s] = ep if ep > abs(en) else en


def _walk_work(n: int, n_sets: int):
    """One block's work arrays for :func:`_walk_rows`: ``(weight, first, last, bits, total,
    state)``. ``weight``: each position's weight; ``first``/``last``: the ``gset`` slice of
    the gene at each marked position (others are never read); ``bits``: one bit per
    position, set where a set gene is (all-zero between rows); ``total``: each
    set's weight total; ``state``: per set one 64-byte row, aligned to a cache line (the hit
    weight A so far, the slope c = T / (n - k), max of D T at the hits, min of D T just before
    them, the hits h so far).
    """
    raw = np.empty(n_sets * _ROW + _ROW)
    skip = ((64 - raw.ctypes.data % 64) % 64) // 8
    state = raw[skip:skip + n_sets * _ROW].reshape((n_sets, _ROW))
    return (np.empty(n), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
            np.zeros((n + 63) // 64, dtype=np.uint64), np.empty(n_sets), state)


def _walk_scores(pos: np.ndarray, ptr: np.ndarray, idx: np.ndarray, gptr: np.ndarray,
                 gset: np.ndarray, tau: float, max_diff: bool, abs_ranking: bool,
                 out: np.ndarray, n_ranked: int | None = None) -> None:
    """GSVA enrichment scores of every set (CSR ``ptr``/``idx``) in every row of ``pos``.

    ``pos`` holds 1-based positions in the decreasing order of the log-odds of ``n_ranked``
    genes; its columns are the genes that ``idx`` and ``gptr``/``gset`` (the sets of every
    column) refer to: all the ranked genes, or only those in some set (the sparse path's
    positions). The running sum rises only at hits, so its
    maximum is at a hit and its minimum just before one, where ``D = A / T - misses /
    (n - k)`` (``A``: the weight of the hits so far, ``T``: the set's weight total). One
    pass over the positions visits every set's hits in order (no sort per set): O(n + Σk)
    per sample. The weight totals are summed in each set's own order, as C does (with
    ``tau == 1`` the weights are integers or halves, so the sum is exact in any order).
    Near-ties of ``E+`` and ``|E-|`` (``max_diff=False``), a zero or non-finite weight
    total and ``k == n`` are replayed with the C code's running sum. Rows run on threads
    (:func:`_walk_rows`).

    Arithmetic: per hit the walk forms ``D T = A - (t - h) c`` with ``c = T / (n - k)``
    (``h``: hits so far, ``t``: misses and hits so far) — one multiply-subtract per
    membership, no division — and divides the extremes by ``T`` once. ``A`` and ``t - h``
    are exact (with ``tau == 1`` every weight is an integer or a half), so each ``D T``
    carries about two roundings, where R's C code adds ``w / T`` per hit and subtracts
    ``1 / (n - k)`` per miss over all n positions, and the previous closed form added
    ``w / T`` per hit. Measured on 20,000 genes × 1,000 samples × 5,000 C2-sized sets: at
    most 2.2e-16 from the exact rational value (two samples, every fifth set; the previous
    closed form 1.3e-15) and at most 4e-15 from the previous closed form (all samples);
    against the R GSVA 1.46 fixtures as before (≤ 3e-13, R's running sum; see
    :mod:`rrscore.methods._gsva`).

    Parameters
    ----------
    pos
        ``(n_rows, n_columns)`` int32 or int64 1-based positions of each column's gene in
        each row's order (distinct within a row, at most ``n_ranked``).
    ptr, idx
        CSR of the sets: set ``s`` holds the columns ``idx[ptr[s]:ptr[s + 1]]``.
    gptr, gset
        The sets of every column (:func:`gene_set_index` of ``ptr``/``idx``).
    tau
        Exponent of the rank weights.
    max_diff, abs_ranking
        GSVA's ``mx.diff`` and ``abs.ranking``.
    out
        ``(n_rows, n_sets)`` float64, filled in place (NaN for a set without genes).
    n_ranked
        Genes in each row's ranking (``n`` of the walk); default ``n_columns``.

    Raises
    ------
    ValueError
        ``n_ranked`` below the number of columns.
    """
    n_columns, n_sets = pos.shape[1], len(ptr) - 1
    n = n_columns if n_ranked is None else int(n_ranked)
    if n < n_columns:
        raise ValueError(f"n_ranked ({n}) is below the number of columns ({n_columns})")
    replay = np.zeros(out.shape, dtype=np.uint8)
    members = np.flatnonzero(np.diff(gptr) > 0).astype(np.int64)  # genes in some set
    over_row_blocks(lambda r0, r1: _walk_rows(
        r0, r1, pos, n, ptr, idx, gptr, gset, members, tau, max_diff, abs_ranking, out,
        replay, *_walk_work(n, n_sets)), pos.shape[0])
    if replay.any():
        rows, sets = np.nonzero(replay)  # row-major: rows ascending
        _replay_flagged(rows.astype(np.int64), sets.astype(np.int64), pos, n, ptr, idx, tau,
                        max_diff, abs_ranking, out)


def gene_set_index(ptr: np.ndarray, idx: np.ndarray, n_genes: int):
    """The transpose of a set → genes CSR: ``(gptr, gset)``, the sets of every gene.

    Parameters
    ----------
    ptr, idx
        CSR of the sets: set ``s`` holds genes ``idx[ptr[s]:ptr[s + 1]]`` (0-based, below
        ``n_genes``).
    n_genes
        Number of genes.

    Returns
    -------
    gptr : numpy.ndarray
        ``(n_genes + 1,)`` int64: gene ``g``'s sets are ``gset[gptr[g]:gptr[g + 1]]``.
    gset : numpy.ndarray
        ``(len(idx),)`` uint32 set numbers, increasing within each gene (unsigned, so the
        walk indexes its per-set state without numba's negative-index fix-up).
    """
    owner = np.repeat(np.arange(len(ptr) - 1, dtype=np.int64), np.diff(ptr))
    by_gene = np.argsort(idx, kind="stable")
    gptr = np.zeros(n_genes + 1, dtype=np.int64)
    gptr[1:] = np.cumsum(np.bincount(idx, minlength=n_genes))
    return gptr, np.ascontiguousarray(owner[by_gene], dtype=np.uint32)
