"""PLAGE on sparse (CSR) input: Gram matrices and scores from the stored values.

For a set ``S`` of ``k`` genes (``k <= N`` cells) PLAGE needs the leading eigenvector ``u``
of the ``k × k`` Gram matrix ``G = Z_S Z_S^T`` of the set's z-scores and the right singular
vector ``v = Z_S^T u / ||Z_S^T u||`` (:mod:`rrscore.methods._plage`). Densifying ``Z_S``
(``k × N`` float64) and keeping a CSC copy of the input, as the dense path does, costs the
input's size plus ``k·N`` per set and ``k²·N`` flops; here nothing input-sized is copied:

* **Gram matrices** from per-cell outer products of the stored values:
  ``G = D⁻¹ (Y_S^T Y_S - N m m^T) D⁻¹`` with ``Y = X - 1 c^T`` for a per-gene shift ``c``,
  ``m = mean - c`` and ``D`` the genes' sd (exact for any ``c``). The rows of the CSR
  matrix are read in chunks of about ``128 × genes`` stored values, each chunk's columns of
  the sets' genes turned into a small CSC (:func:`_chunk_columns`: one chunk of memory),
  from which every set gathers its cells' entries and adds their outer products
  (:func:`_gram_batch`), sets in parallel threads. The cost is ``Σ_cells nnz(cell ∩ S)²/2``
  per set instead of ``k²·N/2``.
* **Cancellation.** ``X^T X - N·mean·mean^T`` loses ``(mean / sd)²`` ulps of a gene's
  variance. A gene whose ``|mean| > sd`` (stored in more than half the cells: the ratio is at
  most ``sqrt(p / (1 - p))`` for a detection rate ``p``) is *dense*: its shift is its
  mean, so its entries are ``x - mean`` in every cell (``-mean`` where nothing is stored),
  computed as the dense path computes them, and its correction term is 0. Every other gene
  has shift 0 and loses at most ~2 ulps. Dense genes come first in each set's Gram order,
  so their part of a cell's outer product is a contiguous (vectorised) update.
* **Eigenvector** of each standardised Gram matrix (lower triangle) with
  :func:`~rrscore.methods._plage_eigen.leading_eigenvector`, LAPACK or Lanczos as for dense
  input.
* **Orientation from the Gram matrix.** The dense rule (:func:`~rrscore.methods._plage.orient`)
  compares ``v`` with ``d = Z_S^T b`` (``b``: ``1/n_up`` on up genes, ``-1/n_down`` on down
  genes). Both are linear in ``Z_S^T``: ``v·d = u^T G b / sqrt(λ)``, ``|d| = sqrt(b^T G b)``,
  ``λ = u^T G u = ||Z_S^T u||²``, so the sign needs no cells-length vector. When the dot
  product is a tie (``|v·d| <= 1e-9 |v| |d|``) the largest-``|v|`` rule is applied to the
  score column after it is written (:func:`~rrscore.methods._plage.tie_break`).
* **Scores** ``±Z_S^T u / sqrt(λ) = X_S w - w·mean`` with ``w = ±u / (sd·sqrt(λ))``: one pass
  over the CSR rows for all sets of a group (:func:`_project_rows`, rows on threads), each
  stored value adding ``x·w`` to the cell's output row for every set holding its gene;
  dense genes add ``(x - mean)·w`` in every cell (``-mean·w`` where nothing is stored),
  without the cancellation of ``x·w - mean·w``.

Memory: the output, the Gram matrices of one group of sets (packed lower triangles,
``k(k + 1)/2`` values; groups are cut so that they hold at most half the output's bytes or
half a 256-cell float64 chunk's, whichever is more), one chunk's CSC (``12`` bytes a stored
value) and per-thread buffers of ``2**14`` entries. Measured at 50,000 cells × 30,000 genes
(8 % stored, float32) × 2,000 sets of 20–200 genes: see the :mod:`rrscore.methods._plage`
notes.

Tolerance: the Gram matrices equal the dense path's to a few ulps of ``N``, so the scores
agree with ``numpy.linalg.svd`` of the densified standardised block as the dense path's do
(tests at 1e-12).
"""

from __future__ import annotations

import contextlib
import queue

import numpy as np
import scipy.sparse as sp

from rrscore._numba import numba, over_row_blocks, thread_pool
from rrscore.genesets._matching import AlignedSet
from rrscore.methods._parallel import balanced_batches, map_batches
from rrscore.methods._plage_eigen import basis_size, leading_eigenvector
from rrscore.methods._standardize import GeneScaling, _canonical_csr, _stored_index

#: CSR input storing more than this fraction of its entries (dense data in sparse form, e.g.
#: bulk values made sparse) keeps the dense blocks and BLAS (:func:`takes_sparse_path`): a
#: scattered multiply-add here costs ~2-3 ns against ~0.03 ns in ``syrk``, so the outer
#: products win only while a set's cells hold a small part of its genes (~15 % break-even
#: for 110-gene sets; 1,000 samples × 20,000 genes × 500 sets stored in full: 7.1 s here,
#: 2.3 s with dense blocks). Droplet single-cell data stores 2-10 %.
MAX_STORED_FRACTION = 0.25
#: A gene is dense (shifted by its mean, an entry in every cell) when ``|mean| > RATIO·sd``.
DENSE_RATIO = 1.0
#: Stored values per chunk of rows, per gene of the matrix (``128 × genes`` values, 12 bytes
#: each in the chunk's CSC: 3/4 of a 256-cell float64 chunk; larger chunks re-read each set's
#: Gram matrix less often: 11.5-12.5 vs 12.4-14.4 CPU-s at 64 on 20,000 cells x 2,000 sets).
CHUNK_VALUES_PER_GENE = 128
#: Rows per chunk at most (the per-cell work arrays: 24 bytes a row, per thread).
CHUNK_ROWS = 4096
#: Entries (position, value) a thread gathers for one set before adding outer products
#: (12 bytes each: fits in L2 with the set's Gram matrix).
ENTRY_BUFFER = 1 << 14
#: Values per temporary array while a Gram matrix is standardised (:func:`_standardised_square`).
SQUARE_BLOCK = 1 << 16
#: A dot product this small relative to the norms is a tie (as ``_plage._ORTHOGONAL``).
ORTHOGONAL = 1e-9


@numba.njit(cache=True, nogil=True)
def _chunk_columns(r0, r1, indptr, indices, data, colmap, cptr, crow, cval):
    """CSC of rows ``r0 .. r1 - 1`` restricted to the columns with ``colmap >= 0``.

    ``cptr`` (``n_cols + 1``) gets the column pointers, ``crow`` the rows relative to
    ``r0`` (increasing within a column), ``cval`` the values as float64.
    """
    n_cols = len(cptr) - 1
    for c in range(n_cols + 1):
        cptr[c] = 0
    for q in range(indptr[r0], indptr[r1]):
        c = colmap[indices[q]]
        if c >= 0:
            cptr[c + 1] += 1
    for c in range(n_cols):
        cptr[c + 1] += cptr[c]
    for i in range(r0, r1):
        for q in range(indptr[i], indptr[i + 1]):
            c = colmap[indices[q]]
            if c >= 0:
                d = cptr[c]
                crow[d] = i - r0
                cval[d] = np.float64(data[q])
                cptr[c] = d + 1
    for c in range(n_cols, 0, -1):
        cptr[c] = cptr[c - 1]
    cptr[0] = 0


@numba.njit(cache=True, nogil=True)
def _gram_batch(batch, set_ptr, n_dense, pos_col, pos_shift, gram_off, grams,
                cptr, crow, cval, n_cells, count, start, fill, cur, epos, evals):
    """Add one chunk's outer products to the raw Gram matrices of the sets in ``batch``.

    Set ``s`` has positions ``set_ptr[s] .. set_ptr[s + 1] - 1`` (its first ``n_dense[s]``
    dense), each a chunk column ``pos_col`` and a shift; its ``k × k`` Gram matrix (lower
    triangle, row-major) starts at ``grams[gram_off[s]]``. A cell's entries are gathered in
    position order (dense ones first, at offsets ``0 .. n_dense - 1``), as many cells at a
    time as fit in ``evals``, then ``G[pa, pb] += va·vb`` for ``pb <= pa``.
    """
    cap = len(evals)
    for t in range(len(batch)):
        s = batch[t]
        p0 = set_ptr[s]
        k = set_ptr[s + 1] - p0
        nq = n_dense[s]
        g0 = gram_off[s]
        for i in range(n_cells):
            count[i] = nq
        for p in range(k):
            col = pos_col[p0 + p]
            cur[p] = cptr[col]
            if p >= nq:
                for q in range(cptr[col], cptr[col + 1]):
                    count[crow[q]] += 1
        i0 = 0
        while i0 < n_cells:
            # the cells whose entries fit (cap >= k >= any count: at least one)
            total = 0
            i1 = i0
            while i1 < n_cells and total + count[i1] <= cap:
                start[i1] = total
                fill[i1] = total + nq
                total += count[i1]
                i1 += 1
            for p in range(nq):
                col = pos_col[p0 + p]
                shift = pos_shift[p0 + p]
                q = cur[p]
                end = cptr[col + 1]
                for i in range(i0, i1):
                    # x - mean as the dense path computes it; 0 - mean where nothing is stored
                    v = 0.0 - shift
                    if q < end and crow[q] == i:
                        v = cval[q] - shift
                        q += 1
                    e = start[i] + p
                    epos[e] = p
                    evals[e] = v
                cur[p] = q
            for p in range(nq, k):
                col = pos_col[p0 + p]
                q = cur[p]
                end = cptr[col + 1]
                while q < end and crow[q] < i1:
                    i = crow[q]
                    e = fill[i]
                    epos[e] = p
                    evals[e] = cval[q]
                    fill[i] = e + 1
                    q += 1
                cur[p] = q
            for i in range(i0, i1):
                e0 = start[i]
                m = count[i]
                for a in range(m):
                    va = evals[e0 + a]
                    pa = epos[e0 + a]
                    row = g0 + pa * (pa + 1) // 2
                    # dense positions are 0 .. nq - 1 at entries 0 .. nq - 1: contiguous
                    for b in range(min(a + 1, nq)):
                        grams[row + b] += va * evals[e0 + b]
                    for b in range(nq, a + 1):
                        grams[row + epos[e0 + b]] += va * evals[e0 + b]
            i0 = i1


def _standardised_square(packed: np.ndarray, m: np.ndarray, sd: np.ndarray, n: float,
                         gram: np.ndarray) -> None:
    """``gram[a, b] = gram[b, a] = (G[a, b] - n·m[a]·m[b]) / (sd[a]·sd[b])`` from the packed
    (row-major) lower triangle of the raw Gram matrix ``G``.

    NumPy, not a kernel (one numba compilation less on a cold cache, ~0.2 s): the same
    operations on the same operands, so the same doubles; blocks of rows keep the
    temporaries at :data:`SQUARE_BLOCK` values.
    """
    k = gram.shape[0]
    nm = n * m
    rows = max(1, SQUARE_BLOCK // k)
    col = np.arange(k)
    # the upper triangle holds whatever the buffer held until it is mirrored: no warnings
    # from it (nor from the lower one: the kernel this replaces raised none)
    with np.errstate(all="ignore"):
        for a0 in range(0, k, rows):
            a1 = min(k, a0 + rows)
            block = gram[a0:a1]
            lower = col <= np.arange(a0, a1)[:, None]
            block[lower] = packed[a0 * (a0 + 1) // 2: a1 * (a1 + 1) // 2]  # packed order
            block -= np.multiply.outer(nm[a0:a1], m)
            block /= np.multiply.outer(sd[a0:a1], sd)
    for a0 in range(0, k, rows):  # the upper triangle: the lower one's mirror image
        a1 = min(k, a0 + rows)
        np.copyto(gram[a0:a1], gram[:, a0:a1].T, where=col > np.arange(a0, a1)[:, None])


@numba.njit(cache=True, nogil=True)
def _project_rows(r0, r1, indptr, indices, data, gptr, mset, mweight, dense_of, dense_genes,
                  dense_mean, active, init, out, ydense):
    """Scores of rows ``r0 .. r1 - 1``: ``out[i, s] = init[s] + Σ x·w`` over the row's
    stored values of sparse genes and ``(x - mean)·w`` over every dense gene.

    ``gptr``/``mset``/``mweight``: each gene's memberships (output column, weight);
    ``dense_of[g]``: the gene's index among ``dense_genes`` or -1.
    """
    n_dense = len(dense_genes)
    for i in range(r0, r1):
        orow = out[i]
        for t in range(len(active)):
            orow[active[t]] = init[t]
        for d in range(n_dense):
            ydense[d] = 0.0 - dense_mean[d]
        for q in range(indptr[i], indptr[i + 1]):
            g = indices[q]
            x = np.float64(data[q])
            d = dense_of[g]
            if d >= 0:
                ydense[d] = x - dense_mean[d]
            else:
                for j in range(gptr[g], gptr[g + 1]):
                    orow[mset[j]] += x * mweight[j]
        for d in range(n_dense):
            g = dense_genes[d]
            y = ydense[d]
            for j in range(gptr[g], gptr[g + 1]):
                orow[mset[j]] += y * mweight[j]


def takes_sparse_path(values) -> bool:
    """Whether PLAGE scores ``values`` here: a scipy sparse matrix storing at most
    :data:`MAX_STORED_FRACTION` of its entries."""
    if not sp.issparse(values):
        return False
    n, g = values.shape
    return values.nnz <= MAX_STORED_FRACTION * n * g


def _chunk_bounds(indptr: np.ndarray, target: int) -> list[tuple[int, int]]:
    """Consecutive row ranges of at most ``target`` stored values and :data:`CHUNK_ROWS`
    rows (at least one row each)."""
    n = len(indptr) - 1
    bounds = []
    r0 = 0
    while r0 < n:
        r1 = int(np.searchsorted(indptr, indptr[r0] + target, side="right")) - 1
        r1 = min(n, max(r1, r0 + 1), r0 + CHUNK_ROWS)
        bounds.append((r0, r1))
        r0 = r1
    return bounds


class _Group:
    """The sets scored together: positions (dense genes first), Gram offsets, chunk columns."""

    def __init__(self, sets: list[AlignedSet], dense: np.ndarray, mean: np.ndarray,
                 sd: np.ndarray) -> None:
        genes, bweights, ptr, n_dense = [], [], [0], []
        for s in sets:
            g = np.concatenate([s.up, s.down]).astype(np.int64)
            b = np.empty(len(g))
            b[: len(s.up)] = 1.0 / len(s.up) if len(s.up) else 0.0
            b[len(s.up):] = -1.0 / len(s.down) if len(s.down) else 0.0
            # dense genes first (a contiguous part of each cell's outer product), then the
            # sparse ones in column order (the chunk's columns are read in address order)
            order = np.lexsort((g, ~dense[g]))
            genes.append(g[order])
            bweights.append(b[order])
            ptr.append(ptr[-1] + len(g))
            n_dense.append(int(dense[g].sum()))
        self.pos_gene = np.concatenate(genes)
        self.pos_b = np.concatenate(bweights)
        self.set_ptr = np.asarray(ptr, dtype=np.int64)
        self.n_dense = np.asarray(n_dense, dtype=np.int64)
        k = np.diff(self.set_ptr)
        self.gram_off = np.zeros(len(sets) + 1, dtype=np.int64)
        np.cumsum(k * (k + 1) // 2, out=self.gram_off[1:])
        self.columns = np.unique(self.pos_gene)
        self.pos_col = np.searchsorted(self.columns, self.pos_gene).astype(np.int64)
        is_dense = dense[self.pos_gene]
        self.pos_shift = np.where(is_dense, mean[self.pos_gene], 0.0)
        self.pos_m = mean[self.pos_gene] - self.pos_shift  # 0 for dense genes
        self.pos_sd = sd[self.pos_gene]
        self.pos_dense = is_dense


def group_budget(out_bytes: int, n_genes: int) -> int:
    """Bytes of Gram matrices held at once: half the output's, or half a 256-cell float64
    chunk's (issue 14's memory bound is 2 × the output + one such chunk)."""
    return max(out_bytes // 2, 256 * n_genes * 8 // 2)


def _groups(sizes: np.ndarray, budget: int) -> list[np.ndarray]:
    """Consecutive runs of set indices whose Gram matrices hold at most ``budget`` bytes."""
    groups, run, held = [], [], 0
    for j, k in enumerate(sizes):
        need = int(k) * (int(k) + 1) // 2 * 8
        if run and held + need > budget:
            groups.append(np.asarray(run, dtype=np.int64))
            run, held = [], 0
        run.append(j)
        held += need
    if run:
        groups.append(np.asarray(run, dtype=np.int64))
    return groups


def score_sparse(values: sp.csr_matrix, scaling: GeneScaling, sets: list[AlignedSet],
                 columns: np.ndarray, out: np.ndarray, q0: np.ndarray,
                 n_threads: int, *, progress: bool = False) -> np.ndarray:
    """PLAGE scores of ``sets`` on CSR input, written into ``out[:, columns]``.

    Parameters
    ----------
    values
        ``(n_cells, n_genes)`` CSR matrix (canonical; not copied when its values are
        float32/float64).
    scaling
        The genes' :func:`~rrscore.methods._standardize.gene_scaling`.
    sets
        Sets of ``1 <= k <= n_cells`` genes, none constant.
    columns
        ``(len(sets),)`` output column of each set.
    out
        ``(n_cells, n_sets)`` C-contiguous float64 output; the sets' columns are
        overwritten (NaN stays where a set's leading eigenvalue is not positive).
    q0
        Lanczos start values (:func:`~rrscore.methods._plage_eigen.start_vector`) for the
        largest set.
    n_threads
        Worker threads.
    progress
        A progress bar over the sets (a group's sets count once its scores are written).

    Returns
    -------
    numpy.ndarray
        int64 output columns whose orientation is a tie (``|v·d| <= 1e-9·|v|·|d|``):
        the caller applies the largest-``|v|`` rule to them.
    """
    values = _canonical_csr(values)
    indptr, indices = _stored_index(values.indptr), _stored_index(values.indices)
    data = values.data
    n, n_genes = values.shape
    mean = np.ascontiguousarray(scaling.mean, dtype=np.float64)
    sd = np.ascontiguousarray(scaling.sd, dtype=np.float64)
    dense = np.abs(mean) > DENSE_RATIO * sd
    sizes = np.array([s.size for s in sets], dtype=np.int64)
    budget = group_budget(out.nbytes, n_genes)
    target = CHUNK_VALUES_PER_GENE * n_genes
    bounds = _chunk_bounds(indptr, target)
    n_threads = max(1, int(n_threads))
    tied = [np.zeros(0, dtype=np.int64)]
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(sets), desc="plage", unit="set", leave=False, disable=None)
    try:
        for group_sets in _groups(sizes, budget):
            group = _Group([sets[j] for j in group_sets], dense, mean, sd)
            grams = _group_grams(group, indptr, indices, data, n_genes, bounds, n_threads)
            weights, ties = _eigen(group, grams, n, q0, n_threads)
            del grams
            _project(group, weights, columns[group_sets], indptr, indices, data, mean, out,
                     n_threads)
            tied.append(columns[group_sets[ties]])
            if bar is not None:
                bar.update(len(group_sets))
    finally:
        if bar is not None:
            bar.close()
    return np.concatenate(tied).astype(np.int64)


def _group_grams(group: _Group, indptr, indices, data, n_genes: int, bounds,
                 n_threads: int) -> np.ndarray:
    """Raw Gram matrices (packed lower triangles, flat) of the group's sets over all rows."""
    grams = np.zeros(int(group.gram_off[-1]))
    colmap = np.full(n_genes, -1, dtype=np.int64)
    colmap[group.columns] = np.arange(len(group.columns))
    cptr = np.zeros(len(group.columns) + 1, dtype=np.int64)
    largest = max(int(indptr[b] - indptr[a]) for a, b in bounds)
    crow = np.empty(largest, dtype=np.int32)
    cval = np.empty(largest)
    max_cells = max(b - a for a, b in bounds)
    k = np.diff(group.set_ptr)
    density = len(data) / max(1, (len(indptr) - 1) * n_genes)
    per_cell = group.n_dense + density * (k - group.n_dense)
    costs = (per_cell * per_cell / 2 + k) * (len(indptr) - 1)
    batches = balanced_batches(costs, n_threads * 4)
    k_max = int(k.max(initial=1))
    cap = max(ENTRY_BUFFER, k_max)
    n_workers = min(n_threads, len(batches))
    # one set of work arrays per worker thread (not per batch), handed out per task
    spare: queue.SimpleQueue = queue.SimpleQueue()
    for _ in range(n_workers):
        spare.put((np.empty(max_cells, dtype=np.int64), np.empty(max_cells, dtype=np.int64),
                   np.empty(max_cells, dtype=np.int64), np.empty(k_max, dtype=np.int64),
                   np.empty(cap, dtype=np.int32), np.empty(cap)))

    def add(r0: int, r1: int, t: int) -> None:
        work = spare.get()
        try:
            count, start, fill, cur, epos, evals = work
            _gram_batch(batches[t], group.set_ptr, group.n_dense, group.pos_col,
                        group.pos_shift, group.gram_off, grams, cptr, crow, cval, r1 - r0,
                        count, start, fill, cur, epos, evals)
        finally:
            spare.put(work)

    # rrscore's pool: an interrupted call does not start the queued batches
    with thread_pool(n_workers) if n_workers > 1 else contextlib.nullcontext() as pool:
        for r0, r1 in bounds:
            _chunk_columns(r0, r1, indptr, indices, data, colmap, cptr, crow, cval)
            if pool is None:
                for t in range(len(batches)):
                    add(r0, r1, t)
            else:
                list(pool.map(lambda t, a=r0, b=r1: add(a, b, t), range(len(batches))))
    return grams


def _eigen(group: _Group, grams: np.ndarray, n: int, q0: np.ndarray,
           n_threads: int) -> tuple[np.ndarray, np.ndarray]:
    """Score weights per position (``±u / (sd·sqrt(λ))``, NaN for a set not scored) and
    which sets' orientation is a tie."""
    n_sets = len(group.set_ptr) - 1
    weights = np.full(len(group.pos_gene), np.nan)
    ties = np.zeros(n_sets, dtype=bool)
    k = np.diff(group.set_ptr)

    def solve(batch: np.ndarray) -> None:
        k_max = int(k[batch].max())
        basis = np.empty(basis_size(k_max))
        square = np.empty(k_max * k_max)
        for s in batch:
            p0, p1 = group.set_ptr[s], group.set_ptr[s + 1]
            ks = int(p1 - p0)
            gram = square[: ks * ks].reshape(ks, ks)
            _standardised_square(grams[group.gram_off[s]: group.gram_off[s + 1]],
                                 group.pos_m[p0:p1], group.pos_sd[p0:p1], float(n), gram)
            u = leading_eigenvector(gram, q0, basis)
            gu = gram @ u
            lam = float(u @ gu)
            if not lam > 0:
                continue  # NaN scores, as the dense path's zero norm
            b = group.pos_b[p0:p1]
            dot = float(b @ gu)
            bgb = max(float(b @ (gram @ b)), 0.0)
            # v = Z^T u / sqrt(lam) has unit norm; v . d = u^T G b / sqrt(lam), |d|² = b^T G b
            if abs(dot) <= ORTHOGONAL * np.sqrt(lam * bgb):
                ties[s] = True
                sign = 1.0
            else:
                sign = -1.0 if dot < 0 else 1.0
            weights[p0:p1] = sign * u / (group.pos_sd[p0:p1] * np.sqrt(lam))

    map_batches(solve, k.astype(np.float64) ** 3, n_threads)
    return weights, ties


def _project(group: _Group, weights: np.ndarray, set_columns: np.ndarray, indptr, indices,
             data, mean: np.ndarray, out: np.ndarray, n_threads: int) -> None:
    """Write the group's scores into their output columns (one pass over the rows)."""
    n_genes = len(mean)
    set_of_pos = np.repeat(np.arange(len(group.set_ptr) - 1), np.diff(group.set_ptr))
    scored = np.isfinite(weights)
    if not scored.any():
        return
    pos = np.flatnonzero(scored)
    genes = group.pos_gene[pos]
    order = np.argsort(genes, kind="stable")
    pos, genes = pos[order], genes[order]
    mset = set_columns[set_of_pos[pos]].astype(np.int64)
    mweight = weights[pos]
    gptr = np.zeros(n_genes + 1, dtype=np.int64)
    np.cumsum(np.bincount(genes, minlength=n_genes), out=gptr[1:])
    # sparse genes: x·w per stored value, and -Σ mean·w once per set
    sets_scored = np.flatnonzero(np.isfinite(weights[group.set_ptr[:-1]]))
    sparse_pos = scored & ~group.pos_dense
    init = -np.bincount(set_of_pos[sparse_pos],
                        weights=(weights * mean[group.pos_gene])[sparse_pos],
                        minlength=len(group.set_ptr) - 1)[sets_scored]
    active = set_columns[sets_scored].astype(np.int64)
    dense_genes = np.unique(group.pos_gene[scored & group.pos_dense]).astype(np.int64)
    dense_of = np.full(n_genes, -1, dtype=np.int64)
    dense_of[dense_genes] = np.arange(len(dense_genes))
    dense_mean = mean[dense_genes]

    def work(r0: int, r1: int) -> None:
        _project_rows(r0, r1, indptr, indices, data, gptr, mset, mweight, dense_of,
                      dense_genes, dense_mean, active, init, out, np.empty(len(dense_genes)))

    over_row_blocks(work, out.shape[0], n_threads=n_threads)
