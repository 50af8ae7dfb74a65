"""Descending positions of selected genes under a seeded random tie order (AUCell).

Genes of one tie block (:mod:`._ties`) are ordered by a 64-bit splitmix64 hash of ``(seed,
row, gene)`` (:func:`tie_key`): every order of a tie is equally likely, and a gene's
position depends only on the seed, the row's index and the data, not on the chunking, the
thread count or the other queried genes.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import kernel_over_rows, numba
from rrscore.ranking._common import gene_slots, row_arrays
from rrscore.ranking._sort import search_left, search_right, stable_argsort_prefix
from rrscore.ranking._ties import row_tie_blocks


@numba.njit(nogil=True, cache=True)
def _mix64(z):
    # splitmix64 finaliser: a bijective, well-mixed 64-bit hash
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@numba.njit(nogil=True, cache=True)
def tie_key(seed, row, gene):
    """The random sort key of ``gene`` among its ties in ``row`` (splitmix64 of all three)."""
    h = _mix64(np.uint64(seed) + np.uint64(0x9E3779B97F4A7C15))
    h = _mix64(h ^ (np.uint64(row) * np.uint64(0xD6E8FEB86659FD93)))
    return _mix64(h ^ (np.uint64(gene) * np.uint64(0xA0761D6478BD642F)))


@numba.njit(nogil=True, cache=True)
def _key_less(k1, g1, k2, g2):
    return k1 < k2 or (k1 == k2 and g1 < g2)


@numba.njit(nogil=True, cache=True)
def _add_member(x, g, rv, keys, rg, below, seed, row):
    """Count tie member ``g`` (value ``x``) below every sorted slot of value ``x`` after it."""
    n = len(rv)
    lo = search_left(rv, n, x)
    hi = search_right(rv, n, x)
    if lo == hi:
        return
    kg = tie_key(seed, row, g)
    # first slot in [lo, hi) whose (key, gene) is not smaller than the member's, then skip
    # the member itself: only strictly larger slots count it as being below them
    a = lo
    b = hi
    while a < b:
        m = (a + b) >> 1
        if _key_less(keys[m], rg[m], kg, g) or (keys[m] == kg and rg[m] == g):
            a = m + 1
        else:
            b = m
    below[a] += 1
    below[hi] -= 1


@numba.njit(nogil=True, cache=True)
def row_random_positions(data, indices, n_genes, slot_of, slot_genes, seed, row, limit,
                         start, size, pos):
    """1-based descending positions of the queried genes under a seeded random tie order.

    Genes of one tie block are ordered by :func:`tie_key` ``(seed, row, gene)``: a random
    permutation of every tie, the same whichever other genes are queried. Only blocks that
    start before ``limit`` are resolved; a gene in a later block gets its block's first
    position (``start + 1 > limit``). ``start``/``size`` must hold :func:`row_tie_blocks`.
    ``indices`` must be sorted.
    """
    n_slots = len(slot_genes)
    nnz = len(data)
    val = np.zeros(n_slots)
    for q in range(nnz):
        s = slot_of[indices[q]]
        if s >= 0:
            val[s] = data[q]
    need = np.zeros(n_slots, dtype=np.bool_)
    n_need = 0
    any_zero = False
    for s in range(n_slots):
        pos[s] = start[s] + 1
        if size[s] > 1 and start[s] < limit:
            need[s] = True
            n_need += 1
            if val[s] == 0.0:
                any_zero = True
    if n_need == 0:
        return
    # resolution slots sorted by (value, key, gene): a member of a block is counted for
    # every slot of the same value whose key is larger. Two stable sorts (by key, then by
    # value) with rrscore's small index sort, gathered by loops: numba's mergesort and
    # fancy indexing give the same order but cost seconds to compile.
    rs0 = np.empty(n_need, dtype=np.int64)
    keys0 = np.empty(n_need, dtype=np.uint64)
    k = 0
    for s in range(n_slots):
        if need[s]:
            rs0[k] = s
            keys0[k] = tie_key(seed, row, slot_genes[s])
            k += 1
    o = np.empty(n_need, dtype=np.int64)
    stable_argsort_prefix(keys0, n_need, o)
    rv0 = np.empty(n_need)
    for i in range(n_need):
        rv0[i] = val[rs0[o[i]]]
    o2 = np.empty(n_need, dtype=np.int64)
    stable_argsort_prefix(rv0, n_need, o2)  # stable: keys stay ascending within a value
    rs = np.empty(n_need, dtype=np.int64)
    keys = np.empty(n_need, dtype=np.uint64)
    rv = np.empty(n_need)
    for i in range(n_need):
        j = o[o2[i]]
        rs[i] = rs0[j]
        keys[i] = keys0[j]
        rv[i] = rv0[o2[i]]
    rg = np.empty(n_need, dtype=np.int64)
    for i in range(n_need):
        rg[i] = slot_genes[rs[i]]
    below = np.zeros(n_need + 1, dtype=np.int64)  # difference array over sorted slots

    for q in range(nnz):
        # float64 value, int64 gene: one compiled _add_member for every input type
        _add_member(np.float64(data[q]), np.int64(indices[q]), rv, keys, rg, below, seed, row)
    if any_zero and nnz < n_genes:
        p = 0
        for g in range(n_genes):
            while p < nnz and indices[p] < g:
                p += 1
            if p < nnz and indices[p] == g:
                continue  # stored (a stored zero was counted above)
            _add_member(0.0, np.int64(g), rv, keys, rg, below, seed, row)
    acc = 0
    for i in range(n_need):
        acc += below[i]
        pos[rs[i]] = start[rs[i]] + 1 + acc


@numba.njit(nogil=True, cache=True)
def _random_positions(r0, r1, data, indices, indptr, shared, n_genes, slot_of, slot_genes,
                      seed, row_offset, limit, pos):
    n_slots = len(slot_genes)
    start = np.empty(n_slots, dtype=np.int64)
    size = np.empty(n_slots, dtype=np.int64)
    for r in range(r0, r1):
        a = indptr[r]
        b = indptr[r + 1]
        d = data[a:b]
        idx = indices if shared else indices[a:b]
        row_tie_blocks(d, idx, n_genes, slot_of, n_slots, start, size)
        row_random_positions(d, idx, n_genes, slot_of, slot_genes, seed, row_offset + r,
                             limit, start, size, pos[r])


def random_tie_positions(
    values, genes: np.ndarray, seed: int, *, row_offset: int = 0, limit: int | None = None,
) -> np.ndarray:
    """1-based descending positions of ``genes`` per row, ties in a seeded random order.

    Within a tie block genes are ordered by a 64-bit hash of ``(seed, row_offset + row,
    gene)``: every order of a tie is equally likely, and a gene's position depends only on
    the seed, the row's index and the data, not on the chunking, the thread count or the
    other queried genes. With ``limit``, blocks starting at or after ``limit`` are not
    resolved and report their first position (which is then > ``limit``).
    """
    data, indices, indptr, shared, n_genes = row_arrays(values)
    genes = np.asarray(genes, dtype=np.int64)
    slot_of, slot_genes = gene_slots(genes, n_genes)
    lim = n_genes if limit is None else int(limit)
    pos = np.empty((len(indptr) - 1, len(slot_genes)), dtype=np.int64)
    kernel_over_rows(_random_positions, len(indptr) - 1, data, indices, indptr, shared,
                     n_genes, slot_of, slot_genes, np.uint64(seed), np.int64(row_offset),
                     np.int64(lim), pos)
    return pos[:, slot_of[genes]]
