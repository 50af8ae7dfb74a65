"""GSVA with ``kcdf="none"`` on sparse (CSR) cells, never densified: steps 1-3 of
:mod:`rrscore.methods._gsva` from the stored values, with the dense path's exact ranks.

**Why it is exact.** The ECDF log-odds of a value are a strictly increasing function of its
integer count ``c = #{i: x_i <= x}`` (R's ``log(F / (1 - F))`` of ``F = c / N``), so a cell's
order of decreasing log-odds is its order of decreasing count, ties in gene order. Counts are
mapped to the *rank of their log-odds double* (:func:`count_keys`: equal doubles, equal key),
so even two counts whose log-odds rounded to the same double tie exactly as the dense path
ties them. Within a gene every implicit zero has the same count, ``#{stored <= 0} + #zeros``;
a stored value ``v`` has ``#{stored <= v}``, plus the zeros when ``v >= 0`` (explicit and
negative values are handled alike). The counts therefore take one int32 key per stored value
plus one zero key per gene — never cells × genes.

**Positions.** Only the genes in some set are walked, so only their positions are built
(:meth:`SparseEcdfRanks.select`), each among *all* kept genes: a gene's position is 1 + the
genes ranked above it. Every gene's order in a cell is given by a composite ``(kmax - key,
gene)`` of its stored value's key or, if it has none in the cell, of its zero key; the zero
composites of all genes are sorted once (the "zero order"). Genes above a selected gene =
stored genes with a smaller composite + zero composites below it − those of stored genes
(a bitmap of the cell's stored genes in zero order, counted with popcounts). For the
selected genes without a stored value both counts are prefix sums over the selected genes
in zero order (each stored gene is counted in the bin of its composite among their zero
composites), so a cell costs O(stored values + selected genes), with no sort and never
O(genes); the few stored selected genes add the stored composites of their own bin and a
bisection of the zero order. :func:`rrscore.methods._gsva_walk._walk_scores` walks those
columns (``n_ranked`` = the kept genes) and the scores are bit-identical to the dense
path's (``tests/methods/test_gsva_sparse.py``).

**Constant genes** (GSVA's ``sd < 1e-10`` filter, decided on the C ``sd()`` in long double,
:func:`~rrscore.methods._gsva_kcdf.c_sd`, ~30 ns per value): the float64 sd from the sparse
moments (:func:`rrscore.methods._standardize.gene_scaling`, remembered from the constant-gene
filter before matching) decides every gene whose sd is clearly above the threshold; the few
whose float64 sd lies within a bound of its rounding error (and a factor 100) of it, or whose
values could overflow the C ``sd()``, get the dense path's exact C sd (and its rescaling of
overflowing genes) on a dense copy of just those columns. All-zero genes have sd 0 without
a copy. So the set of removed genes is the dense path's.

**Memory and time.** Kept: one int32 key per stored value (4 bytes, half the input's 8 per
stored float32 value and int32 index) and a few arrays per gene. While the keys are built,
genes are taken in blocks of at most ``max(2^20, stored values / 16)`` entries (each block
looks at every row once, so their number is bounded), each entry with a 64-bit sort key (the
value's order bits, its index within the gene in the low bits), its key and, for input other
than float32, its value: ~1 byte per stored value of float32 input. Per chunk of cells:
the selected genes' positions (int32). Work: one NumPy (vectorised) sort per gene of its
stored values and, per cell, one pass over its stored values and one over the selected
genes. Measurements: the notes of
:mod:`rrscore.methods._gsva` (200,000 cells × 20,000 genes × 20 sets on this shared 2-core
machine: 29.2-29.5 s, peak RSS 1.74 × the input; quiet, in-process: keys 10.4 s, positions
8.3 s, walk 7.5 s).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from rrscore._numba import kernel_over_rows, numba, over_row_blocks
from rrscore.errors import InputDataError
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.methods._gsva_kcdf import AUTO_ECDF_MIN_SAMPLES, c_sd, rescale_overflowing_genes
from rrscore.methods._gsva_positions import _DIGIT, _row_positions
from rrscore.methods._standardize import CONSTANT_SD, gene_scaling

_SIGN = np.uint64(1 << 63)
#: Stored entries per block of genes while the keys are built: at least this many, and at
#: most :data:`_MAX_BLOCKS` blocks, because each block looks at every row once.
_BLOCK_ENTRIES = 1 << 20
_MAX_BLOCKS = 16
#: Values per dense block of the columns whose constant test needs the exact C sd().
_DENSE_BLOCK = 1 << 23
#: |values| above this may overflow C sd()'s squares (~1.3e154): exact test, as dense.
_OVERFLOW_RISK = 1e153
#: Float64 sd within this factor of the threshold: exact C sd() (besides the error bound).
_SD_FACTOR = 100.0


def resolve_sparse_kcdf(kcdf: str, values: sp.spmatrix) -> str:
    """:func:`~rrscore.methods._gsva_kcdf.resolve_kcdf` of a sparse matrix, without densifying.

    ``"auto"``: ``"none"`` from :data:`~rrscore.methods._gsva_kcdf.AUTO_ECDF_MIN_SAMPLES`
    samples (rows), else ``"poisson"`` when every stored value is a non-negative whole number
    (the implicit zeros are), else ``"gaussian"``: GSVA ≥ 2's rule on the dense matrix.

    Parameters
    ----------
    kcdf
        ``"gaussian"``, ``"poisson"``, ``"none"`` or ``"auto"``.
    values
        ``(n_samples, n_genes)`` scipy sparse matrix.

    Returns
    -------
    str
        The kernel: ``"gaussian"``, ``"poisson"`` or ``"none"``.
    """
    if kcdf != "auto":
        return kcdf
    if values.shape[0] >= AUTO_ECDF_MIN_SAMPLES:
        return "none"
    data = sp.csr_matrix(values).data
    return "poisson" if bool(np.all(data >= 0) and np.all(np.floor(data) == data)) \
        else "gaussian"


def count_keys(n: int) -> np.ndarray:
    """``(n + 1,)`` int32: the order key of an ECDF count ``c`` (1..n) among ``n`` samples.

    The key is the rank of ``c``'s log-odds double, computed exactly as
    :func:`rrscore.methods._gsva_ecdf.ecdf_log_odds` computes it (``inf`` for ``c = n``), among
    the distinct log-odds: ordering by key is ordering by the dense path's log-odds, ties
    included. ``key[0]`` (no count) is 0 and never compared.

    Parameters
    ----------
    n
        Number of samples (cells), ``n >= 2``.

    Returns
    -------
    numpy.ndarray
        ``(n + 1,)`` int32 keys, non-decreasing in the count.
    """
    by_count = np.full(n + 1, math.inf)
    for count in range(1, n):
        by_count[count] = math.log((count / n) / (1.0 - count / n))
    keys = np.zeros(n + 1, dtype=np.int32)
    keys[1:] = np.unique(by_count[1:], return_inverse=True)[1]
    return keys


# ------------------------------------------------------------------------------ kernels


#: What :func:`_walk_entries` does with each entry it visits.
_STATS, _SCATTER, _GATHER = 0, 1, 2


@numba.njit(nogil=True, cache=True)
def _walk_entries(p0, p1, mode, indptr, indices, data, n, n_parts, row_at, g1, kept, cursor,
                  start, shift, exact, bkeys, bvals, bres, keys, maxabs):
    """One walk over the CSR entries of row parts ``p0 .. p1 - 1`` (part p: rows
    ``p n / n_parts`` onwards), row ``r`` from ``row_at[r]`` up to its first entry of a gene
    ``>= g1``; ``g0 = g1 - cursor.shape[1]``. Three jobs in one kernel (each kernel costs
    its own compilation on a cold numba cache), chosen by ``mode``:

    * ``_STATS`` (``row_at``: the rows' starts, ``g1``: all genes): stored entries and
      largest |value| of every gene, each part in its own row of ``cursor``/``maxabs``
      (zeros on entry): no races.
    * ``_SCATTER``: the stored entries of the kept genes ``g0 .. g1 - 1`` gene by gene
      (rows in order). ``row_at[r]``: row r's first entry of the block (blocks are taken in
      gene order, so each row's entries of a block follow those of the previous one;
      ``_GATHER`` advances it). ``cursor[p, g - g0]``: where part p's next entry of gene g
      goes (advanced here); ``start[g - g0]``: the gene's first entry. ``bkeys``: the
      value's ascending order bits, the low ``shift`` bits replaced by the entry's index
      within its gene; ``bvals``: its value, unless ``exact`` (float32 values: the key
      holds all their bits, see :meth:`SparseEcdfRanks.prepare`). A block costs its own
      entries plus one look at each row; small blocks keep the genes' write fronts in
      cache.
    * ``_GATHER``: ``keys`` (CSR order) of the block's entries from ``bres`` (gene order):
      the scatter's walk again, with the same cursors, so no CSR slot is stored; leaves
      ``row_at`` at the next block.
    """
    low = np.uint64((1 << shift) - 1)
    g0 = g1 - cursor.shape[1]
    for p in range(p0, p1):
        for r in range(p * n // n_parts, (p + 1) * n // n_parts):
            end = indptr[r + 1]
            q = row_at[r]
            while q < end and indices[q] < g1:
                g = indices[q] - g0
                if mode == _STATS:
                    cursor[p, g] += 1
                    a = abs(data[q])
                    if a > maxabs[p, g]:
                        maxabs[p, g] = a
                elif kept[g + g0]:
                    j = cursor[p, g]
                    cursor[p, g] = j + 1
                    if mode == _SCATTER:
                        v = np.float64(data[q])
                        bits = np.uint64(0) if v == 0.0 else v.view(np.uint64)  # -0.0 = 0.0
                        key = (~bits if bits >= _SIGN else bits | _SIGN)
                        bkeys[j] = (key & ~low) | np.uint64(j - start[g])
                        if not exact:
                            bvals[j] = v
                    else:
                        keys[q] = bres[j]
                q += 1
            if mode == _GATHER:
                row_at[r] = q


@numba.njit(nogil=True, cache=True)
def _block_keys(a, b, bptr, bkeys, bvals, n, shift, exact, key_of_count, bres, zero_key,
                unequal):
    """Keys of the stored values of the block's genes ``a .. b - 1`` (their entries sorted
    by ``bkeys``) into ``bres`` (gene order), and each gene's zero key.

    A stored value ``v`` has count ``#{stored <= v}`` (the end of its run of equal keys)
    plus the implicit zeros when ``v >= 0``. A run of equal truncated keys whose values are
    not all equal (values a few units in the last place apart, float64 input) sets
    ``unequal[gene]`` and leaves the gene to :func:`_exact_gene_keys`. With ``exact`` keys
    (no bits lost to the index) equal keys are equal values and the sign is the key's, so
    ``bvals`` is not read.
    """
    low = np.uint64((1 << shift) - 1)
    zero_hi = _SIGN >> np.uint64(shift)  # the truncated key of 0.0
    for gi in range(a, b):
        s0 = bptr[gi]
        k = bptr[gi + 1] - s0
        implicit = n - k
        le0 = 0
        for t in range(s0, s0 + k):
            if (bkeys[t] >> np.uint64(shift) <= zero_hi) if exact else bvals[t] <= 0.0:
                le0 += 1
        zero_key[gi] = key_of_count[le0 + implicit]
        p = 0
        while p < k:
            hi = bkeys[s0 + p] >> np.uint64(shift)
            q = p + 1
            same = True
            if exact:
                while q < k and (bkeys[s0 + q] >> np.uint64(shift)) == hi:
                    q += 1
                nonneg = hi >= zero_hi
            else:
                v = bvals[s0 + np.int64(bkeys[s0 + p] & low)]
                while q < k and (bkeys[s0 + q] >> np.uint64(shift)) == hi:
                    same &= bvals[s0 + np.int64(bkeys[s0 + q] & low)] == v
                    q += 1
                nonneg = v >= 0.0
            if not same:
                unequal[gi] = True
                break
            key = key_of_count[q + (implicit if nonneg else 0)]
            for t in range(p, q):
                bres[s0 + np.int64(bkeys[s0 + t] & low)] = key
            p = q


# ------------------------------------------------------------------------------ driver


def _exact_gene_keys(vals: np.ndarray, n: int, key_of_count: np.ndarray) -> tuple:
    """One gene's keys (entry order) and zero key by NumPy, values compared as doubles."""
    ordered = np.sort(vals)
    implicit = n - len(vals)
    counts = np.searchsorted(ordered, vals, side="right") + np.where(vals >= 0, implicit, 0)
    zero = np.searchsorted(ordered, 0.0, side="right") + implicit
    return key_of_count[counts], int(key_of_count[zero])


class SparseEcdfRanks:
    """ECDF ranks of a CSR matrix's genes across its cells, for GSVA ``kcdf="none"``.

    Build it on the input, ask :meth:`gene_sd` for the constant-gene test, then
    :meth:`prepare` the kept genes and take :meth:`positions` chunk by chunk.

    Parameters
    ----------
    expr
        In-memory expression whose values are a CSR matrix, ``(n_cells, n_genes)``.
    """

    def __init__(self, expr: ExpressionMatrix) -> None:
        values = expr.values
        if not sp.issparse(values):
            raise TypeError("SparseEcdfRanks needs sparse values")
        self.expr = expr
        self.values = values
        self.n, self.n_genes = values.shape
        self.indptr = values.indptr if values.indptr.dtype in (np.int32, np.int64) \
            else values.indptr.astype(np.int64)
        self.indices = values.indices if values.indices.dtype in (np.int32, np.int64) \
            else values.indices.astype(np.int64)
        # float32/float64 read as stored (exact in float64); other types as a float64 copy
        self.data = values.data if values.data.dtype in (np.float32, np.float64) \
            else values.data.astype(np.float64)
        self.n_parts = max(1, min(numba.get_num_threads() * 4, self.n))
        counts = np.zeros((self.n_parts, self.n_genes), dtype=np.int64)
        maxabs = np.zeros((self.n_parts, self.n_genes))
        # every argument typed as in the scatter and gather calls: one compiled signature
        kernel_over_rows(_walk_entries, self.n_parts, _STATS, self.indptr, self.indices,
                         self.data, self.n, self.n_parts, self.indptr[:-1].astype(np.int64),
                         self.n_genes, np.zeros(0, dtype=np.bool_), counts,
                         np.zeros(0, dtype=np.int64), 1, True, np.zeros(0, dtype=np.uint64),
                         np.zeros(0), np.zeros(0, dtype=np.int32),
                         np.zeros(0, dtype=np.int32), maxabs)
        self.part_counts = counts
        self.stored = counts.sum(axis=0)
        self.maxabs = maxabs.max(axis=0) if self.n_parts else np.zeros(self.n_genes)
        self.keys: np.ndarray | None = None
        self._pos: np.ndarray | None = None

    # ------------------------------------------------------------------- constant genes

    def gene_sd(self) -> np.ndarray:
        """``(n_genes,)`` standard deviations whose ``sd >= 1e-10`` test is the dense path's.

        The dense path tests :func:`~rrscore.methods._gsva_kcdf.c_sd` after
        :func:`~rrscore.methods._gsva_kcdf.rescale_overflowing_genes`. Here: the float64 sd
        of the sparse moments, except for genes whose float64 sd is below ``100 × 1e-10``
        plus a bound on its rounding error (``8 (k + 2) eps max|x|``, ``k`` stored values),
        or with values above ``1e153``: those get the dense path's exact computation on a
        dense copy of their columns only (all-zero genes: 0, no copy).

        Returns
        -------
        numpy.ndarray
            ``(n_genes,)`` float64; ``~(sd >= 1e-10)`` marks GSVA's constant genes.
        """
        try:
            with np.errstate(over="ignore"):  # huge genes are rescaled in there
                sd = np.array(gene_scaling(self.expr).sd, dtype=np.float64)
        except InputDataError:  # values near the largest float: let C sd() decide them all
            sd = np.full(self.n_genes, np.nan)
        eps = np.finfo(np.float64).eps
        bound = _SD_FACTOR * CONSTANT_SD + 8.0 * (self.stored + 2) * eps * self.maxabs
        unsure = ~(sd >= bound) | (self.maxabs > _OVERFLOW_RISK)
        zero = unsure & (self.maxabs == 0.0)
        sd[zero] = 0.0  # C sd() of zeros is exactly 0
        rest = np.flatnonzero(unsure & ~zero)
        if len(rest):
            sub = self.values[:, rest]  # the few columns, still sparse
            width = max(1, _DENSE_BLOCK // max(self.n, 1))
            for a in range(0, len(rest), width):
                dense = sub[:, a:a + width].toarray().astype(np.float64, copy=False)
                exact = c_sd(dense)
                _, exact = rescale_overflowing_genes(dense, exact)
                sd[rest[a:a + width]] = exact
        return sd

    # ----------------------------------------------------------------------- the keys

    def prepare(self, cols: np.ndarray, *, progress: bool = False) -> None:
        """Order keys of every stored value and every gene's zeros, for the kept genes.

        Sets :attr:`column`: the column of :meth:`positions` that holds each kept gene
        (the genes in the order of their zero keys, so that a cell's genes without a stored
        value are written in column order).

        Parameters
        ----------
        cols
            Increasing indices of the kept (non-constant) genes.
        progress
            Show a tqdm progress bar over the blocks of genes.
        """
        n, g = self.n, self.n_genes
        kept = np.zeros(g, dtype=np.bool_)
        kept[cols] = True
        self.cols = np.asarray(cols, dtype=np.int64)
        self.new_index = np.full(g, -1, dtype=np.int64)
        self.new_index[self.cols] = np.arange(len(self.cols))
        key_of_count = count_keys(n)
        self.kmax = int(key_of_count.max())
        self.keys = np.zeros(len(self.data), dtype=np.int32)
        zero_key = np.full(g, key_of_count[n], dtype=np.int64)  # genes without stored values
        shift = max(1, (n - 1).bit_length())
        per_gene = np.where(kept, self.stored, 0)
        blocks = _gene_blocks(per_gene, max(_BLOCK_ENTRIES,
                                            -(-int(per_gene.sum()) // _MAX_BLOCKS)))
        # one set of block buffers for all blocks: a fresh one would be paged in again for
        # every block (first touches cost ~20 ns per entry here, as much as the scatter)
        largest = max((int(per_gene[a:b].sum()) for a, b in blocks), default=0)
        keys_buf = np.empty(largest, dtype=np.uint64)
        # float32 values fill 24 of a double's 53 significand bits: the key's low ``shift``
        # bits (the entry's index) lose none of them, so the key alone orders and compares
        exact = self.data.dtype == np.float32 and shift <= 29
        vals_buf = np.empty(0 if exact else largest)
        res_buf = np.empty(largest, dtype=np.int32)
        row_at = self.indptr[:-1].astype(np.int64)  # each row's first entry of the block
        no_maxabs = np.zeros((0, 0))
        if progress:
            from tqdm.auto import tqdm

            blocks = tqdm(blocks, unit="block", desc="gsva CDF (none, sparse)", leave=False)
        for g0, g1 in blocks:
            size = per_gene[g0:g1]
            bptr = np.zeros(g1 - g0 + 1, dtype=np.int64)
            np.cumsum(size, out=bptr[1:])
            total = int(bptr[-1])
            if total == 0:  # entries of dropped genes only: the next block skips them
                continue
            parts = np.where(kept[g0:g1], self.part_counts[:, g0:g1], 0)
            cursor = bptr[:-1] + np.cumsum(parts, axis=0) - parts  # (n_parts, genes)
            bkeys, bvals, bres = keys_buf[:total], vals_buf[:total], res_buf[:total]
            kernel_over_rows(_walk_entries, self.n_parts, _SCATTER, self.indptr,
                             self.indices, self.data, n, self.n_parts, row_at, g1, kept,
                             cursor.copy(), bptr[:-1], shift, exact, bkeys, bvals, res_buf,
                             self.keys, no_maxabs)
            unequal = np.zeros(g1 - g0, dtype=np.bool_)
            block_zero = zero_key[g0:g1]

            def work(a: int, b: int, bptr=bptr, bkeys=bkeys, bvals=bvals, bres=bres,
                     unequal=unequal, block_zero=block_zero) -> None:
                for gi in range(a, b):  # NumPy's vectorised sort releases the GIL
                    bkeys[bptr[gi]:bptr[gi + 1]].sort()
                _block_keys(a, b, bptr, bkeys, bvals, n, shift, exact, key_of_count, bres,
                            block_zero, unequal)

            over_row_blocks(work, g1 - g0)
            for gi in np.flatnonzero(unequal):
                part = slice(bptr[gi], bptr[gi + 1])
                bres[part], block_zero[gi] = _exact_gene_keys(bvals[part], n, key_of_count)
            kernel_over_rows(_walk_entries, self.n_parts, _GATHER, self.indptr,
                             self.indices, self.data, n, self.n_parts, row_at, g1, kept,
                             cursor, bptr[:-1], shift, exact, bkeys, bvals, bres, self.keys,
                             no_maxabs)
        m = len(self.cols)
        self.gbits = max(1, (m - 1).bit_length())
        # each kept gene's zero key and index packed as a cell's stored genes are
        # (_row_positions): ascending is (zero key descending, gene)
        packed = (np.uint64(self.kmax) - zero_key[self.cols].astype(np.uint64)) \
            << np.uint64(self.gbits) | np.arange(m, dtype=np.uint64)
        order = np.argsort(packed, kind="stable")
        self.order_comp = np.ascontiguousarray(packed[order])
        self.zcol = np.empty(m, dtype=np.int64)
        self.zcol[order] = np.arange(m)
        self.zero_key = zero_key[self.cols]
        self.select(np.arange(m))

    def select(self, genes: np.ndarray) -> None:
        """Take only these kept genes' positions from :meth:`positions` (the genes in some
        set: the walk needs no other), in zero order; sets :attr:`column`.

        Parameters
        ----------
        genes
            Indices among the kept genes (``0 .. len(cols) - 1``); repeats are ignored.
        """
        genes = np.unique(np.asarray(genes, dtype=np.int64))
        self.selcol = np.ascontiguousarray(np.sort(self.zcol[genes]))
        self.selgene = np.argsort(self.zcol)[self.selcol]
        self.column = np.full(len(self.cols), -1, dtype=np.int64)
        self.column[self.selgene] = np.arange(len(genes))
        # above[x]: selected genes whose zero key is >= x (x = 0 .. kmax + 1)
        per_key = np.bincount(self.zero_key[self.selgene], minlength=self.kmax + 2)
        self.above = np.ascontiguousarray(np.cumsum(per_key[::-1])[::-1], dtype=np.int32)
        # the same per block of 64 keys (small tables, read per stored value): the selected
        # zero keys in later blocks, and a bitmask of those in the block (-1: a key holds
        # several, so bits do not count them)
        n_blocks = (self.kmax >> 6) + 1
        ends = np.minimum((np.arange(n_blocks) + 1) * 64, self.kmax + 1)
        self.block_bin = self.above[ends].astype(np.int64)
        used = np.flatnonzero(per_key)
        self.block_mask = np.zeros(n_blocks, dtype=np.uint64)
        np.bitwise_or.at(self.block_mask, used >> 6,
                         np.uint64(1) << (used & 63).astype(np.uint64))
        self.block_bin[np.unique(used[per_key[used] > 1] >> 6)] = -1
        # per input gene, one row read per stored value: kept gene, zero-order column,
        # column in positions()
        info = np.full((self.n_genes, 3), -1, dtype=np.int32)
        info[self.cols, 0] = np.arange(len(self.cols))
        info[self.cols, 1] = self.zcol
        info[self.cols, 2] = self.column
        self.gene_info = info
        self._pos = None

    def positions(self, start: int, stop: int) -> np.ndarray:
        """``(stop - start, n_selected)`` int32 1-based positions of the selected kept genes
        (:meth:`select`; all of them after :meth:`prepare`) in each cell's decreasing order
        of ECDF log-odds among all the kept genes, ties in gene order: those of
        :func:`~rrscore.ranking._dense.fast_descending_positions` of the dense log-odds,
        with kept gene ``j`` in column ``column[j]`` (-1: not selected). The array is reused
        by the next call (one chunk's memory).

        Parameters
        ----------
        start, stop
            The cells (rows) ``start .. stop - 1``.

        Returns
        -------
        numpy.ndarray
            ``(stop - start, n_selected)`` int32, 1 = largest log-odds.

        Raises
        ------
        RuntimeError
            Before :meth:`prepare`.
        """
        if self.keys is None:
            raise RuntimeError("call prepare() first")
        m = len(self.cols)
        n_sel = len(self.selcol)
        if self._pos is None or self._pos.shape[0] < stop - start:
            self._pos = np.empty((stop - start, n_sel), dtype=np.int32)
        pos = self._pos[:stop - start]
        longest = int(np.diff(self.indptr[start:stop + 1]).max(initial=0))

        words = m // 64 + 1

        def work(i0: int, i1: int) -> None:
            _row_positions(i0, i1, start, self.indptr, self.indices, self.keys,
                           self.gene_info, self.kmax, self.gbits, self.order_comp,
                           self.selcol, self.selgene, self.above, self.block_bin,
                           self.block_mask, np.zeros(n_sel + 1, dtype=np.int64),
                           np.full(n_sel + 1, -1, dtype=np.int64),
                           np.full(n_sel + 1, -1, dtype=np.int64),
                           np.empty(longest, dtype=np.uint64),
                           np.empty(longest, dtype=np.int64),
                           np.empty(4 * longest, dtype=np.int64),
                           np.empty(longest, dtype=np.int64),
                           np.empty(longest, dtype=np.uint64),
                           np.empty(longest, dtype=np.uint64),
                           np.empty(1 << _DIGIT, dtype=np.int64),
                           np.zeros(words, dtype=np.uint64), np.empty(words, dtype=np.int64),
                           pos)

        over_row_blocks(work, stop - start)
        return pos


def _gene_blocks(per_gene: np.ndarray, target: int) -> list[tuple[int, int]]:
    """Contiguous gene ranges with about ``target`` stored entries each (at least one gene)."""
    ends = np.cumsum(per_gene)
    blocks = []
    g0 = 0
    g = len(per_gene)
    while g0 < g:
        base = ends[g0 - 1] if g0 else 0
        g1 = int(np.searchsorted(ends, base + target, side="right"))
        g1 = min(g, max(g1, g0 + 1))
        blocks.append((g0, g1))
        g0 = g1
    return blocks
