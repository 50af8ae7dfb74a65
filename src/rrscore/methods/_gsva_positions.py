"""Per-cell positions of the set genes for GSVA ``kcdf="none"`` on sparse cells.

:func:`_row_positions` turns each cell's stored ECDF order keys
(:class:`rrscore.methods._gsva_sparse.SparseEcdfRanks` builds them and the tables it reads)
into the 1-based positions of the genes in some set among all kept genes, in O(stored values
+ set genes) per cell; the small kernels below it count bits, search and sort a few values.
How and why it is exact: :mod:`rrscore.methods._gsva_sparse`.
"""

from __future__ import annotations

import numpy as np

from rrscore._numba import numba
from rrscore.ranking._sort import search_left, search_right, sort_prefix

_ONE = np.uint64(1)
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@numba.njit(nogil=True, cache=True)
def _popcount(x):
    """Set bits of a uint64 (the bit-parallel count, which LLVM turns into ``popcnt``)."""
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return np.int64((x * _H01) >> np.uint64(56))


@numba.njit(nogil=True, cache=True)
def _row_positions(i0, i1, first, indptr, indices, keys, gene_info, kmax, gbits, order_comp,
                   selcol, selgene, above, block_bin, block_mask, count, head, boff, comp,
                   cbin, dyn, ubins, srt, tmp, hist, bits, cum, pos):
    """1-based positions of the selected genes in rows ``first + i0 .. first + i1 - 1``
    (``pos`` rows ``i0 .. i1 - 1``; column k: the gene in zero-order column ``selcol[k]``,
    ascending) in the ranking of all ``len(order_comp)`` kept genes.

    Every gene has a composite ``(kmax - key) << gbits | gene`` (ascending: the cell's
    order, ties in gene order) of its stored value's key, else of its zero key
    (``order_comp``: every gene's zero composite, ascending). A gene's position is 1 + the
    genes with a smaller composite: the stored ones, plus the zero composites below it
    minus those of stored genes (popcounts of a bitmap of the stored genes' zero-order
    columns). The stored ones are counted per bin: a stored gene's bin is ``#{k: z_k <=
    composite}`` (``z_k = order_comp[selcol[k]]``; ``block_bin``: the selected zero keys
    above each block of 64 keys, -1 where a key is repeated, ``block_mask``: those in the
    block; ``above``: the selected zero keys from each key on, where a selected zero key
    equals the key, ties in gene order), so a selected gene k without a stored value
    (composite ``z_k``) has ``pos = 1 + selcol[k] + #{stored in bins <= k} - #{stored columns <
    selcol[k]}``. A stored selected gene (a few per cell) adds the stored composites below
    its own in its bin (the bins holding one are gathered and sorted: a few values each,
    unless many genes tie) and finds its place among the zero composites by bisection of
    ``order_comp`` between its bin's bounds. O(stored + selected) per cell, never O(genes).

    ``gene_info[g]`` (g: the input's gene): kept gene (-1: dropped), zero-order column,
    column in ``pos`` (-1: not selected). ``selgene``: the kept gene of each ``pos``
    column. Work arrays (the caller's, one set per block of rows): ``count`` (selected +
    1, zeros), ``head`` and ``boff`` (selected + 1, all -1), ``comp``/``cbin``/``ubins``/
    ``srt``/``tmp`` (the longest row), ``hist`` (``2^_DIGIT``), ``dyn`` (4 × the longest
    row), ``bits`` and ``cum`` (``len(order_comp) // 64 + 1`` words, ``bits`` zeros);
    ``count``, ``head``, ``boff`` and ``bits`` are as given on return.
    """
    n_sel = len(selcol)
    m = len(order_comp)
    nbits = gbits
    while (kmax >> (nbits - gbits)) > 0:
        nbits += 1  # composites are below 2^nbits
    for i in range(i0, i1):
        r = first + i
        ns = 0
        nd = 0
        for q in range(indptr[r], indptr[r + 1]):
            gi = indices[q]
            g = gene_info[gi, 0]
            if g < 0:
                continue
            k = keys[q]
            # the bin: selected zero keys above k (those of k's block of 64 keys from a
            # bitmask), then those equal to k that come first (gene order)
            b = block_bin[k >> 6]
            mask = block_mask[k >> 6]
            if b < 0 or (mask >> np.uint64(k & 63)) & _ONE:  # a zero key at k, or repeated
                lo = above[k + 1]  # genes tied: bisection over them
                b = lo + search_right(selgene[lo:above[k]], above[k] - lo, g)
            else:
                b += _popcount(mask >> np.uint64(k & 63))
            cp = (np.uint64(kmax - k) << np.uint64(gbits)) | np.uint64(g)
            comp[ns] = cp
            cbin[ns] = b
            count[b] += 1
            c = gene_info[gi, 1]
            bits[c >> 6] |= _ONE << np.uint64(c & 63)
            s = gene_info[gi, 2]
            if s >= 0:  # a stored selected gene: listed in its bin
                dyn[4 * nd] = ns
                dyn[4 * nd + 1] = s
                dyn[4 * nd + 2] = head[b]
                dyn[4 * nd + 3] = 0  # stored composites below it in its bin
                head[b] = nd
                nd += 1
            ns += 1
        total = 0
        for w in range(len(bits)):  # stored columns before each word
            cum[w] = total
            total += _popcount(bits[w])
        if nd:  # the stored composites of bins holding a stored selected gene, sorted
            n_bins = 0
            total = 0
            for d in range(nd):
                b = cbin[dyn[4 * d]]
                if boff[b] < 0:
                    boff[b] = total
                    total += count[b]
                    ubins[n_bins] = b
                    n_bins += 1
            for t in range(ns):
                o = boff[cbin[t]]
                if o >= 0:
                    srt[o] = comp[t]
                    boff[cbin[t]] = o + 1  # ends at its bin's end
            for u in range(n_bins):  # a few entries each, unless many genes tie
                b = ubins[u]
                if count[b] <= _SHORT:
                    sort_prefix(srt[boff[b] - count[b]:boff[b]], count[b])
                else:
                    _radix_sort(srt, boff[b] - count[b], boff[b], nbits, tmp, hist)
            for d in range(nd):
                b = cbin[dyn[4 * d]]
                lo = boff[b] - count[b]
                dyn[4 * d + 3] = search_left(srt[lo:boff[b]], boff[b] - lo, comp[dyn[4 * d]])
            for u in range(n_bins):
                boff[ubins[u]] = -1
        stored = 0  # in the bins so far
        for k in range(n_sel + 1):
            d = head[k]
            while d >= 0:  # stored selected genes in bin k
                cp = comp[dyn[4 * d]]
                lo = selcol[k - 1] if k > 0 else 0
                hi = selcol[k] if k < n_sel else m
                at = lo + search_left(order_comp[lo:hi], hi - lo, cp)
                below = cum[at >> 6] + _popcount(bits[at >> 6]
                                                 & ((_ONE << np.uint64(at & 63)) - _ONE))
                pos[i, dyn[4 * d + 1]] = 1 + at + stored + dyn[4 * d + 3] - below
                d = dyn[4 * d + 2]
            head[k] = -1
            stored += count[k]
            count[k] = 0
            if k == n_sel:
                break
            c = selcol[k]
            word = bits[c >> 6]
            if (word >> np.uint64(c & 63)) & _ONE:
                continue  # stored here: done above
            below = cum[c >> 6] + _popcount(word & ((_ONE << np.uint64(c & 63)) - _ONE))
            pos[i, k] = 1 + c + stored - below
        for w in range(len(bits)):
            bits[w] = 0


#: Bins of at most this many composites are sorted in place (heapsort), longer by radix.
_SHORT = 64
#: Bits per radix digit (``hist`` of :func:`_radix_sort` holds ``2^_DIGIT`` counts).
_DIGIT = 11


@numba.njit(nogil=True, cache=True)
def _radix_sort(a, lo, hi, nbits, tmp, hist):
    """Sort ``a[lo:hi]`` (values below ``2^nbits``) in place: LSD radix, ``_DIGIT`` bits
    per pass, through ``tmp`` (at least ``hi - lo``); ``hist``: ``2^_DIGIT`` int64."""
    n = hi - lo
    mask = np.uint64((1 << _DIGIT) - 1)
    in_tmp = False
    for d in range(0, nbits, _DIGIT):
        up = np.uint64(d)
        for j in range(len(hist)):
            hist[j] = 0
        for t in range(n):
            v = tmp[t] if in_tmp else a[lo + t]
            hist[np.int64((v >> up) & mask)] += 1
        total = 0
        for j in range(len(hist)):
            c = hist[j]
            hist[j] = total
            total += c
        for t in range(n):
            if in_tmp:
                v = tmp[t]
                j = np.int64((v >> up) & mask)
                a[lo + hist[j]] = v
            else:
                v = a[lo + t]
                j = np.int64((v >> up) & mask)
                tmp[hist[j]] = v
            hist[j] += 1
        in_tmp = not in_tmp
    if in_tmp:
        for t in range(n):
            a[lo + t] = tmp[t]
