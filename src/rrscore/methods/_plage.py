"""PLAGE (Tomfohr et al. 2005) as R GSVA 1.46 ``gsva(method="plage")``, with a fixed sign.

1. Genes with standard deviation below ``1e-10`` are removed (GSVA ``.filterFeatures``);
   rrscore removes them from the sets and warns.
2. Every gene is standardised across samples (``Z = (x - mean) / sd``, sd with ``n - 1``).
3. A set's scores are the first right singular vector of its ``k × N`` block of ``Z``
   (GSVA: ``svd(Z[set, ])$v[, 1]``): one value per sample, unit Euclidean norm over the
   samples, so scores depend on all the samples of the call.

The vector is the leading eigenvector of the smaller Gram matrix of the block (``k × k`` or
``N × N``, one BLAS ``syrk``), much cheaper than a full SVD and equal to it to rounding. Up
to :data:`~rrscore.methods._plage_eigen.SMALL` dimensions LAPACK's ``syevr`` computes it;
larger Gram matrices use Lanczos iterations (:mod:`rrscore.methods._plage_eigen`), which need
a few dozen matrix-vector products (each reading one triangle of the Gram matrix) instead of
a full tridiagonal reduction, stop only when the Ritz vector's residual bound is within
``1e-13`` of the spectral gap (or at rounding level, as LAPACK's own), and hand over to
``syevr`` when they do not get there. When some set of the call needs Lanczos anyway (its
kernels are then compiled or loaded), Gram matrices from
:data:`~rrscore.methods._plage_eigen.LANCZOS_FROM` (64) dimensions up use it too (0.24 vs
0.43 ms at 64–128, 0.48 vs 1.3 ms at 128–200 dimensions on independent genes). Measured
against ``numpy.linalg.svd``, the scores differ by at most a few 1e-14 (tests at 1e-12).
The right vector is ``block^T u`` (one BLAS ``gemv``, one pass over the block); the
orienting direction (below) is never formed: its dot product with ``v`` and its norm come
from ``G b`` (``k²`` work, see :func:`_set_vector`). (SciPy's ``dsyrk`` filling one triangle
instead of NumPy's ``syrk`` plus its symmetrising copy: no measurable gain, the copy is
``d²`` of ``d²·N`` work; measured again in session 6 at 60–500 genes: ratios 0.94–1.09.)

Where the time goes (20,000 genes × 1,000 samples, 5,000 sets of 10–500 genes, the
``bench_many_sets.py --sizes uniform`` workload, independent genes; one thread, CPU time per
part on 1,000 of the sets scaled to 5,000, shared 2-core machine at load ~4): Gram matrices
``Σ k²·N ≈ 4.3e11`` flops, 11.3–13 CPU-s (33–38 GFlop/s, this core's peak: the floor under
float64), eigenvectors 5.6 (was 6.4: Lanczos from 64 dimensions), gathering the blocks 1.9
(row copies from a 160 MB genes × samples copy: memory-bound), ``block^T u`` and the
orientation 0.85 (was 1.7: a ``2 × k`` by ``k × N`` matmul, which packs the block), Python
per set ~0.4; then matching the sets and the input layer (``rrscore.prepare``) ~1–2 s, on one
thread. Whole call, two ``bench_trees.py`` sessions alternating the trees before and after
(medians of 2 runs each, load 3.4–4.5, so wall times are the load's): uniform CPU 29.6 →
26.4 and 29.7 → 27.1 s (wall 39.7 → 40.0, 42.7 → 34.7 s); the ``c2`` default workload (3 runs
each) CPU 8.3 → 7.2 and 8.7 → 6.7 s (wall 12.8 → 10.7, 15.1 → 8.7 s). Estimated floor of
the uniform workload on two quiet cores: ~20 CPU-s, ~10–11 s wall (the 10 s target needs
fewer flops than float64 Gram matrices take).
Sets are scored in parallel threads (:func:`~rrscore.methods._parallel.largest_first`): the
most costly first, each thread taking the next set when done with one (an idle core at the end
is at most one small set), each reusing one buffer for its sets' blocks. The blocks of dense
input are read by :class:`~rrscore.methods._set_rows.SetRows`: straight from a genes ×
samples layout, else from one standardised genes × samples copy of the genes the sets use (at
most the size of the input).

**Sparse (CSR) input** (single cells) takes another path, :mod:`rrscore.methods._plage_sparse`,
for every set with at most as many genes as cells, when the matrix stores at most a quarter
of its entries (denser CSR input, e.g. bulk values made sparse, keeps the dense blocks and
BLAS, faster there): no copy of the matrix and no dense ``k × N`` block. Each set's ``k × k``
Gram matrix is summed from per-cell outer products of its stored values, over chunks of rows
(``Σ_cells nnz(cell ∩ set)²/2`` products instead of ``k²·N/2``), centred and scaled
afterwards (``D⁻¹(X^T X - N·mean·mean^T)D⁻¹``); genes whose ``|mean| > sd`` are shifted by
their mean first, so the centring cancels nothing. The sign comes from ``u^T G b`` (the Gram
matrix, no cells-length vector), and the scores from one pass over the rows for all sets
(``X_S·w - mean·w``). Sets with more genes than cells (whose Gram matrix is the cells') use a
CSC copy of their genes. Measured (50,000 cells × 30,000 genes, 8 % stored, float32 CSR,
2,000 sets of 20–200 genes, ``bench_singlecell.py --cells 50000 --genes 30000 --sets 2000
--no-peers --methods plage``, shared 2-core machine): the call's extra memory 1,946 → ~900 MB
(2.55 → 1.18 × the output; the CSC copy of the input and the dense blocks are gone, the Gram
matrices of all 2,000 sets take ~120 MB packed), 83 s → 27 s at load ~1 (99 → 34 s at load
~2.5; ~55 CPU-s, most of it the outer products: ~2–3 ns per scattered multiply-add);
200,000 cells × 20,000 genes × 20 sets: 8.2 → 7.7 s, peak RSS 1.60 → 1.17 × the input, call
extra 1,104 → 40 MB. The scores equal the dense path's and ``numpy.linalg.svd``'s of the
densified block to a few 1e-14 (tests at 1e-12, with genes at mean 1000 sds: without the
mean shift those lost 9e-11); they do not depend on the chunks or the threads (every Gram
entry is summed over the cells in order).

**Orientation (deviation, documented).** A singular vector's sign is arbitrary; R returns
whatever LAPACK gives. rrscore orients it so that the score correlates positively with the
set's mean z-score per sample (for a signed set, with mean z(up) - mean z(down)): a high
score then means high expression of the set. If that correlation is 0 (to 1e-9), the
largest-magnitude entry is made positive (both tests robust to rounding: see :func:`orient`).
Compare to R up to the sign of each set.

**Signed sets.** Negating genes does not change the singular vectors, so the up and down
genes form one block; the sign of the down genes only enters the orientation above.

**Size-1 sets (deviation).** R drops the 1-row block to a vector, takes the SVD of that
``N × 1`` column and returns the constant ±1 for every sample. rrscore uses the SVD of the
``1 × N`` block, which is the gene's z-scores scaled to unit norm, ``z / ||z||`` (oriented
with ``z``).

A set left without genes after the constant-gene removal is scored NaN (GSVA drops it).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from rrscore._numba import numba
from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets
from rrscore.methods._parallel import largest_first
from rrscore.methods._plage_eigen import (
    LANCZOS_FROM,
    SMALL,
    basis_size,
    leading_eigenvector,
    start_vector,
)
from rrscore.methods._plage_sparse import score_sparse, takes_sparse_path
from rrscore.methods._registry import MethodSpec, ReadMode
from rrscore.methods._set_rows import SetRows
from rrscore.methods._standardize import (
    STANDARDISED_SCALE,
    constant_genes,
    drop_constant_genes,
    gene_scaling,
)


@dataclass(frozen=True)
class PlageParams:
    """PLAGE has no parameters (the orientation rule is fixed, see the module docs)."""


class _Workspace:
    """One thread's buffers, sized for the largest set of its batch (reused set after set)."""

    def __init__(self, k_max: int, n: int) -> None:
        d_max = min(k_max, n)
        self.block = np.empty(k_max * n)
        self.gram = np.empty(d_max * d_max)
        self.basis = np.empty(basis_size(d_max))
        self.weights = np.empty(k_max)

    def rows(self, k: int, n: int) -> np.ndarray:
        return self.block[: k * n].reshape(k, n)


def _set_vector(block: np.ndarray, n_up: int, q0: np.ndarray, work: _Workspace,
                lapack_up_to: int) -> np.ndarray:
    """The oriented unit first right singular vector, ``(N,)``, of the C-contiguous
    ``(k, N)`` block of a set whose first ``n_up`` rows are its up genes (NaN where the
    block is 0).

    The orienting direction is ``d = block^T b`` (``b``: ``1/n_up`` on up genes,
    ``-1/n_down`` on down genes: mean z(up) - mean z(down) per sample). For ``k <= N`` it is
    never formed: with ``G = block block^T``, ``λ = u^T G u = |block^T u|²``,
    ``v·d = u^T G b / sqrt(λ)`` and ``|d|² = b^T G b`` (one product ``G b``, ``k²`` work,
    instead of a second pass over the block), as the sparse path does; :func:`orient`'s
    rule on those numbers.
    """
    k, n = block.shape
    d = min(k, n)
    gram = work.gram[: d * d].reshape(d, d)
    b = work.weights[:k]
    b[:n_up] = 1.0 / n_up if n_up else 0.0
    b[n_up:] = -1.0 / (k - n_up) if k > n_up else 0.0
    # A @ A.T of one buffer is BLAS syrk in NumPy (half the products of a general matmul;
    # NumPy fills the upper triangle too, which the products with G below read)
    if k > n:
        gram = np.matmul(block.T, block, out=gram)
        v = leading_eigenvector(gram, q0, work.basis, lapack_up_to=lapack_up_to)
        return orient(v, b @ block)
    gram = np.matmul(block, block.T, out=gram)
    u = leading_eigenvector(gram, q0, work.basis, lapack_up_to=lapack_up_to)
    v = u @ block  # one pass over the block (BLAS gemv)
    lam = float(v @ v)  # u^T G u
    if not lam > 0:
        return np.full(n, np.nan)
    v /= np.sqrt(lam)
    gb = gram @ b
    dot = float(u @ gb)  # u^T G b
    bgb = max(float(b @ gb), 0.0)
    if abs(dot) > _ORTHOGONAL * float(np.sqrt(lam * bgb)):
        return -v if dot < 0 else v
    return -v if tie_break(v) < 0 else v


#: A dot product this small relative to the norms is a tie (rounding noise, not a sign).
_ORTHOGONAL = 1e-9


def orient(v: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """``v`` or ``-v``: the one with a positive dot product with ``direction``.

    Both are centred over samples (z-scores are), so the dot product has the sign of their
    correlation. When ``v`` is orthogonal to ``direction`` — exactly so for a 2-gene set whose
    genes are anti-correlated: ``v ∝ z1 - z2`` and ``direction ∝ z1 + z2``, whose dot product
    is ``|z1|² - |z2|² = 0`` up to rounding — the rounding noise must not decide the sign
    (dense and sparse input would get opposite scores). A dot product within
    ``1e-9 × |v| × |direction|`` of 0 is a tie, and a tie makes positive the first sample
    (in row order) among those whose ``|v|`` is within ``1e-9`` of the largest
    (:func:`tie_break`): a rule on the data, not on the last bits of the arithmetic.
    """
    dot = float(v @ direction)
    scale = float(np.linalg.norm(v) * np.linalg.norm(direction))
    if abs(dot) > _ORTHOGONAL * scale:
        return -v if dot < 0 else v
    return -v if tie_break(v) < 0 else v


def tie_break(v: np.ndarray) -> float:
    """The sign (``±1.0``) that makes positive the first entry of ``v`` (in order) among those
    whose ``|v|`` is within ``1e-9`` of the largest: :func:`orient`'s rule for a tie.

    ``v`` may be a strided view (a column of the output); it is read once.
    """
    magnitude = np.abs(v)
    top = magnitude.max() if magnitude.size else 0.0
    first = int(np.flatnonzero(magnitude >= top * (1 - _ORTHOGONAL))[0]) if top > 0 else 0
    return -1.0 if magnitude.size and v[first] < 0 else 1.0


def _one_blas_thread():
    """Limit BLAS/LAPACK to one thread while sets are scored in parallel threads.

    The per-set products and eigenproblems are small (k ≤ a few hundred); multi-threaded
    OpenBLAS is slower on them than one thread, and collapses when the cores are busy
    (measured 40× slower on a loaded 2-core machine). Uses ``threadpoolctl`` when it is
    installed; without it BLAS keeps its own setting.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with the scientific stack
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _set_score(rows: SetRows, up: np.ndarray, down: np.ndarray, q0: np.ndarray,
               work: _Workspace, lapack_up_to: int) -> np.ndarray:
    """One set's oriented PLAGE scores, ``(n_samples,)``."""
    cols = np.concatenate([up, down]).astype(np.int64)
    block = rows.block(cols, out=work.rows(len(cols), rows.n))  # (k, N)
    return _set_vector(block, len(up), q0, work, lapack_up_to)


def run(
    expr: ExpressionMatrix, sets: AlignedSets, params: PlageParams, *,
    chunk_size: int | None = None, progress: bool = False,
) -> np.ndarray:
    """PLAGE scores of all sets, ``(n_samples, n_sets)``, oriented as documented."""
    scaling = gene_scaling(expr)
    sets = drop_constant_genes(sets, scaling, expr.genes, "plage")
    n = expr.shape[0]
    out = np.full((n, len(sets)), np.nan)
    if not any(s.size for s in sets):
        return out
    sizes = np.array([s.size for s in sets], dtype=np.float64)
    q0 = start_vector(int(min(sizes.max(initial=1), n)))
    todo = np.flatnonzero(sizes > 0)
    if expr.is_sparse and takes_sparse_path(expr.values):
        # Gram matrices and scores from the stored values: no copy of the matrix, no dense
        # k × N block (sets of more genes than cells, whose Gram matrix is the cells', go on)
        small = todo[sizes[todo] <= n]
        with _one_blas_thread():
            tied = score_sparse(expr.values, scaling, [sets.sets[j] for j in small], small,
                                out, q0, numba.get_num_threads(), progress=progress)
        for j in tied:
            if tie_break(out[:, j]) < 0:
                out[:, j] *= -1.0
        todo = todo[sizes[todo] > n]
        if not len(todo):
            return out
    rows = SetRows(expr, scaling, _union([sets.sets[j] for j in todo]))
    dims = np.minimum(sizes[todo], n)
    # Lanczos beats LAPACK from LANCZOS_FROM dimensions, but its kernels cost seconds to
    # compile on a cold cache: below SMALL they are used only when some set needs them anyway
    lapack_up_to = LANCZOS_FROM - 1 if dims.max() > SMALL else SMALL
    # cost of a set: its Gram matrix (N·k·min(k, N)) and its gather (N·k)
    costs = n * sizes[todo] * (dims + 1)
    order = todo[np.argsort(-costs, kind="stable")]

    def score(j: int, work: _Workspace) -> None:
        s = sets.sets[j]
        out[:, j] = _set_score(rows, s.up, s.down, q0, work, lapack_up_to)

    with _one_blas_thread():
        largest_first(order, score, lambda: _Workspace(int(sizes[order[0]]), n),
                      numba.get_num_threads(), progress=progress, desc="plage")
    return out


def _union(sets) -> np.ndarray:
    """int64 sorted indices of every gene (up or down) of ``sets``; empty for no sets."""
    parts = [np.concatenate([s.up, s.down]) for s in sets]
    return np.unique(np.concatenate(parts)).astype(np.int64) if parts else \
        np.empty(0, dtype=np.int64)


def _working_memory(expr: ExpressionMatrix, sets: AlignedSets,
                    params: PlageParams) -> tuple[int, str]:
    """Bytes PLAGE holds beyond its input and output at its peak, and what they are."""
    n = expr.shape[0]
    sizes = np.array([s.size for s in sets], dtype=np.int64)
    sizes = sizes[sizes > 0]
    if not len(sizes):
        return 0, ""
    threads = numba.get_num_threads()
    if expr.is_sparse and takes_sparse_path(expr.values):
        small = sizes[sizes <= n]
        # packed Gram matrices of a group of sets (at most half the output), one chunk
        grams = min(int((small * (small + 1) // 2).sum()) * 8, max(4 * n * len(sets), 1 << 26))
        big = [s for s in sets if s.size > n]
        genes = len(_union(big))
        return (grams + (64 << 20) + 8 * n * genes,
                "Gram matrices of a group of sets, one chunk of cells"
                + (", a gene-major copy of the sets larger than the cell count" if big else ""))
    values = expr.values
    genes = len(_union(sets))
    if expr.is_sparse:  # a column-major copy of the stored values (SetRows)
        copy = int(values.nnz * (values.dtype.itemsize + 8) * genes / max(values.shape[1], 1))
    elif SetRows.reads_in_place(values):
        copy = 0
    else:
        copy = 8 * n * genes
    blocks = 8 * n * int(sizes.max()) * threads
    return copy + blocks, ("a gene-major copy of the sets' genes and " if copy else "") \
        + "one set block per thread"


SPEC = MethodSpec(
    name="plage",
    summary="PLAGE: first right singular vector of the set's standardised expression",
    reference="R GSVA 1.46 gsva(method='plage'), sign fixed; Tomfohr et al. BMC Bioinf. 2005",
    params=PlageParams,
    run=run,
    sample_independent=False,
    signed_sets="SVD of up and down genes together; oriented with mean z(up) - mean z(down)",
    read_mode=ReadMode(
        "memory", "it takes a singular value decomposition of each set over all samples"
    ),
    excluded_genes=constant_genes,
    input_scale=STANDARDISED_SCALE,
    working_memory=_working_memory,
)
