"""GSVA step 2 with ``kcdf="poisson"``: each gene's Poisson-kernel CDF log-odds, as R GSVA 1.46.

R's ``ppois(x, lambda)`` is SciPy's ``pdtr`` of ``floor(x + 1e-7)``; the kernels are centred on
``x_i + 0.5``. Used by :func:`rrscore.methods._gsva_kcdf.gene_log_odds`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import pdtr

from rrscore._numba import numba, thread_pool


@numba.njit(nogil=True, cache=True, error_model="numpy")
def _poisson_sums(inv, table, out):
    """``out[j] = -log((1 - F_j) / F_j)``, ``F_j = Σ_i table[inv[j], inv[i]] / N`` in R's order."""
    n = len(inv)
    for j in range(n):
        row = inv[j]
        acc = 0.0
        for i in range(n):
            acc += table[row, inv[i]]
        lt = acc / n
        out[j] = -math.log((1.0 - lt) / lt)


def poisson_log_odds(x: np.ndarray, cols: np.ndarray, out: np.ndarray) -> None:
    """Poisson-kernel log-odds; R ``ppois(x, λ)`` floors ``x + 1e-7`` and is ``pdtr``.

    One ``pdtr`` per pair of *distinct* values of a gene (rows: evaluation points,
    columns: kernels), summed in R's order. Genes are shared out to threads (SciPy's
    ufunc and the summing kernel release the GIL).
    """
    def work(lo: int, hi: int) -> None:
        column = np.empty(x.shape[0])
        for c in range(lo, hi):
            values, inv = np.unique(x[:, cols[c]], return_inverse=True)
            table = pdtr(np.floor(values + 1e-7)[:, None], (values + 0.5)[None, :])
            _poisson_sums(inv.astype(np.int64).ravel(), np.ascontiguousarray(table), column)
            out[:, c] = column

    n_threads = max(1, min(numba.get_num_threads(), len(cols)))
    bounds = np.linspace(0, len(cols), n_threads + 1).astype(int)
    if n_threads == 1:
        work(0, len(cols))
        return
    with thread_pool(n_threads) as pool:
        list(pool.map(work, bounds[:-1], bounds[1:]))
