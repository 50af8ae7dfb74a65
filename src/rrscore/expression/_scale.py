"""What scale the expression values are on: counts, log, linear, log-ratio or scaled.

Methods assume a scale (z-score, PLAGE, mean and GSVA's Gaussian kernel assume log-scale
values; UCell/AUCell non-negative values where zero means "not expressed"; scanpy's
``score_genes`` log-normalised data; within-sample rank methods anything but per-gene scaled
values). Users give raw counts, TPM, log-CPM, Agilent log-ratios or scaled matrices without
saying which. :func:`detect_scale` reads a sample of the values and names the likely scale
from simple, stated rules, so the runner can record it and warn when the method's assumption
does not hold (``rrscore.errors.InputScaleWarning``). The rules (``v`` = the sampled values):

* some ``v < 0`` and genes centred (median |gene mean| < 0.1) with unit spread (median gene
  SD within 0.7–1.3): ``"scaled"`` (per-gene z-scores, ``sc.pp.scale``);
* some ``v < 0`` otherwise: ``"log_ratio"`` (log-ratios of two-colour arrays, centred log
  values);
* ``v >= 0`` and all integers: ``"counts"``;
* ``v >= 0``, not all integers, max > 100: ``"linear"`` (TPM/FPKM/intensities, not logged);
* otherwise ``"log"`` (log2 intensities, log-CPM, log1p-normalised counts).

For in-memory data up to 500 rows × 2,000 genes spread over the matrix are read (at most 10^6
values, so the check costs milliseconds on any cohort); for Dask data the first 500 rows; for
backed h5ad data the first block the method reads anyway (no extra read of the file:
:func:`scale_of_block` on that block).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

#: The scales :func:`detect_scale` names.
SCALES = ("counts", "log", "linear", "log_ratio", "scaled")

_MAX_ROWS = 500
_MAX_GENES = 2000  # with _MAX_ROWS: at most 1e6 values judged, whatever the matrix's size
_MAX_LAZY_ROWS = 500


class Scale(NamedTuple):
    """The likely scale of an expression matrix and the evidence for it.

    Attributes
    ----------
    kind
        One of :data:`SCALES`.
    evidence
        One sentence with the numbers the rule used (shown in warnings and records).
    """

    kind: str
    evidence: str


def _sample_rows(expr) -> np.ndarray | sp.csr_matrix:
    n = expr.shape[0]
    if expr.is_lazy:
        return expr.rows(0, min(n, _MAX_LAZY_ROWS))
    values = expr.values
    g = expr.shape[1]
    rows = (np.arange(n) if n <= _MAX_ROWS else
            np.unique(np.linspace(0, n - 1, _MAX_ROWS).astype(np.int64)))
    cols = (np.arange(g) if g <= _MAX_GENES else
            np.unique(np.linspace(0, g - 1, _MAX_GENES).astype(np.int64)))
    if n <= _MAX_ROWS and g <= _MAX_GENES:
        return values
    if sp.issparse(values):
        return sp.csr_matrix(values[rows])[:, cols]
    return np.asarray(values)[np.ix_(rows, cols)]


def detect_scale(expr) -> Scale:
    """The likely scale of ``expr``'s values (see the module's rules).

    Parameters
    ----------
    expr
        An :class:`~rrscore.expression.ExpressionMatrix` (in memory, sparse or lazy).

    Returns
    -------
    Scale
    """
    return scale_of_block(_sample_rows(expr))


def scale_of_block(block) -> Scale:
    """The likely scale of a block of rows (dense array or CSR matrix).

    Parameters
    ----------
    block
        ``(n_rows, n_genes)`` values, dense or sparse.

    Returns
    -------
    Scale
    """
    if sp.issparse(block):
        stored = np.asarray(block.data, dtype=np.float64)
        has_zeros = block.nnz < block.shape[0] * block.shape[1]
        values = np.concatenate([stored, [0.0]]) if has_zeros else stored
    else:
        values = np.asarray(block, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return Scale("log", "no finite value to judge from")
    vmin, vmax = float(values.min()), float(values.max())
    if vmin < 0:
        dense = block.toarray() if sp.issparse(block) else np.asarray(block, dtype=np.float64)
        if dense.shape[0] >= 3:
            # an sd that overflows (values above ~1e154) is inf: not unit spread, no warning
            with np.errstate(invalid="ignore", over="ignore"):
                means = np.nanmean(dense, axis=0)
                sds = np.nanstd(dense, axis=0, ddof=1)
            centre = float(np.nanmedian(np.abs(means)))
            spread = float(np.nanmedian(sds))
            if centre < 0.1 and 0.7 <= spread <= 1.3:
                return Scale("scaled", f"genes centred (median |mean| {centre:.3g}) with unit "
                             f"spread (median SD {spread:.3g})")
        frac = float(np.mean(values < 0))
        return Scale("log_ratio", f"{frac:.0%} of values are negative (range {vmin:.3g} to "
                     f"{vmax:.3g})")
    if np.all(values == np.round(values)):
        return Scale("counts", f"non-negative integers (max {vmax:.6g})")
    if vmax > 100:
        return Scale("linear", f"non-negative, not log-transformed (max {vmax:.6g})")
    return Scale("log", f"non-negative, max {vmax:.3g}")
