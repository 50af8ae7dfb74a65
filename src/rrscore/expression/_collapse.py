"""Collapsing duplicated gene columns into one column per gene, by a named policy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import InputDataError

DUPLICATE_POLICIES = ("highest_mean", "mean", "sum", "max", "first", "error")


def _column_means(values, cols: np.ndarray) -> np.ndarray:
    block = values[:, cols]
    if sp.issparse(block):
        return np.asarray(block.mean(axis=0)).ravel()
    with np.errstate(all="ignore"):
        return np.nanmean(block, axis=0)


def collapse_duplicate_genes(
    values: np.ndarray | sp.csr_matrix, genes: np.ndarray, policy: str
) -> tuple[np.ndarray | sp.csr_matrix, np.ndarray, list[str]]:
    """Collapse columns with the same gene identifier.

    Parameters
    ----------
    values
        ``(n_samples, n_genes)`` matrix.
    genes
        Gene identifier per column.
    policy
        ``highest_mean`` (default in rrscore: keep the column with the highest mean over
        samples, NaNs ignored, first one on ties — the usual choice for probes of one gene),
        ``mean``, ``sum``, ``max`` (element-wise), ``first``, or ``error``.

    Returns
    -------
    values, genes, notes
    """
    if policy not in DUPLICATE_POLICIES:
        raise InputDataError(
            f"unknown duplicate-gene policy {policy!r}; choose one of {DUPLICATE_POLICIES}"
        )
    codes, uniques = pd.factorize(pd.Index(genes), sort=False)
    if len(uniques) == len(genes):
        return values, np.asarray(genes, dtype=object), []
    counts = np.bincount(codes)
    dup_names = [str(uniques[c]) for c in np.flatnonzero(counts > 1)]
    n_extra = int(len(genes) - len(uniques))
    if policy == "error":
        raise InputDataError(
            f"{len(dup_names)} gene identifiers occur more than once ({n_extra} extra rows), "
            f"e.g. {dup_names[:5]}; choose a duplicates policy "
            f"({', '.join(p for p in DUPLICATE_POLICIES if p != 'error')})"
        )
    first = np.full(len(uniques), -1, dtype=np.int64)
    for j, c in enumerate(codes):
        if first[c] < 0:
            first[c] = j
    groups: dict[int, np.ndarray] = {
        c: np.flatnonzero(codes == c) for c in np.flatnonzero(counts > 1)
    }
    note = (
        f"collapsed {n_extra} duplicated gene rows ({len(dup_names)} genes, e.g. "
        f"{dup_names[:3]}) by policy {policy!r}"
    )
    if policy in ("first", "highest_mean"):
        chosen = first.copy()
        if policy == "highest_mean":
            for c, cols in groups.items():
                means = _column_means(values, cols)
                if np.all(np.isnan(means)):
                    continue
                chosen[c] = cols[int(np.nanargmax(means))]
        return values[:, chosen], np.asarray(uniques, dtype=object), [note]

    out = values[:, first]
    if sp.issparse(out):
        out = out.tolil()
    else:
        out = np.array(out, dtype=np.float64)
    for c, cols in groups.items():
        block = values[:, cols]
        block = block.toarray() if sp.issparse(block) else np.asarray(block, dtype=np.float64)
        with np.errstate(all="ignore"):
            if policy == "mean":
                agg = np.nanmean(block, axis=1)
            elif policy == "sum":
                agg = np.nansum(block, axis=1)
                agg[np.all(np.isnan(block), axis=1)] = np.nan
            else:
                agg = np.nanmax(block, axis=1)
        out[:, c] = agg.reshape(-1, 1) if sp.issparse(out) else agg
    if sp.issparse(out):
        out = out.tocsr()
    return out, np.asarray(uniques, dtype=object), [note]
