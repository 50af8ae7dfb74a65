"""Duplicated gene identifiers: grouped from the labels, collapsed by a named policy.

:func:`group_duplicates` decides from the labels alone which columns share a gene and what
the report says about it; :class:`DuplicateGroups` then picks one column per gene (``first``,
``highest_mean``) or combines the columns of each gene row by row (``mean``, ``sum``,
``max``). Because combining is row-wise, a block of rows collapses exactly as the same rows of
the whole matrix would — which lets backed and Dask input collapse one block at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import InputDataError
from rrscore.expression._sums import column_sums

DUPLICATE_POLICIES = ("highest_mean", "mean", "sum", "max", "first", "error")
#: Policies that keep one column of each duplicated gene (the others combine columns).
SELECTING_POLICIES = ("first", "highest_mean")

Means = np.ndarray | Callable[[np.ndarray], np.ndarray]


def check_duplicates_policy(policy: str) -> str:
    """Return ``policy`` if it is one of :data:`DUPLICATE_POLICIES`.

    Parameters
    ----------
    policy
        The ``duplicates=`` option.

    Returns
    -------
    str

    Raises
    ------
    InputDataError
        For an unknown policy.
    """
    if policy not in DUPLICATE_POLICIES:
        raise InputDataError(
            f"unknown duplicate-gene policy {policy!r}; choose one of {DUPLICATE_POLICIES}"
        )
    return policy


def duplicated_positions(genes: np.ndarray) -> np.ndarray:
    """Positions (int64) of the labels that occur more than once in ``genes``."""
    codes = pd.factorize(pd.Index(genes), sort=False)[0]
    return np.flatnonzero(np.bincount(codes, minlength=1)[codes] > 1)


def column_means(values, cols: np.ndarray) -> np.ndarray:
    """Mean of each column ``cols`` of ``values`` over its rows (NaNs ignored).

    Summed row after row (:mod:`rrscore.expression._sums`), in every layout and as lazy
    input sums its blocks, so that ``highest_mean`` picks the same column of near-tied
    duplicates whatever the storage.
    """
    block = values[:, cols]
    n = block.shape[0]
    if sp.issparse(block):
        data = block.data
        if np.isnan(data).any():
            block = block.copy()
            block.data[np.isnan(block.data)] = 0.0
        counts = n - np.bincount(block.indices[np.isnan(data)], minlength=block.shape[1])
    else:
        nan = np.isnan(block)
        if nan.any():
            block = np.where(nan, 0.0, block)
        counts = n - nan.sum(axis=0)
    with np.errstate(all="ignore"):
        return column_sums(block) / counts


@dataclass(frozen=True)
class DuplicateGroups:
    """Columns that carry the same gene identifier, and what a policy does with them.

    Attributes
    ----------
    policy
        The duplicates policy (not ``"error"``: that one raises when the groups are made).
    genes
        One identifier per output gene, in order of first appearance (object array).
    first
        The first input column of each output gene (int64).
    groups
        ``(output gene, input columns)`` of every duplicated gene; columns ascending.
    note
        The input report's note; None when no identifier is duplicated.
    """

    policy: str
    genes: np.ndarray
    first: np.ndarray
    groups: tuple[tuple[int, np.ndarray], ...]
    note: str | None

    @property
    def any(self) -> bool:
        """Whether some identifier occurs more than once."""
        return bool(self.groups)

    def choose(self, means: Means | None = None) -> np.ndarray:
        """The input column kept for every output gene (``first`` or ``highest_mean``).

        Parameters
        ----------
        means
            For ``highest_mean``: the column means, as an array over the input columns (only
            the duplicated ones are read; NaN where unknown) or a function giving the means
            of the columns it is passed. The highest mean wins, the first column on ties and
            when every mean of a gene is NaN.

        Returns
        -------
        numpy.ndarray
            int64 input column per output gene.
        """
        chosen = self.first.copy()
        if self.policy != "highest_mean":
            return chosen
        if means is None:
            raise ValueError("policy 'highest_mean' needs the means of the duplicated columns")
        for c, cols in self.groups:
            m = means(cols) if callable(means) else np.asarray(means)[cols]
            if np.all(np.isnan(m)):
                continue
            chosen[c] = cols[int(np.nanargmax(m))]
        return chosen

    def combine(self, values: np.ndarray | sp.spmatrix) -> np.ndarray | sp.csr_matrix:
        """Combine each duplicated gene's columns row by row (``mean``, ``sum``, ``max``).

        NaNs are ignored; a row where all of a gene's columns are NaN stays NaN.

        Parameters
        ----------
        values
            ``(n_rows, n_input_columns)`` matrix.

        Returns
        -------
        numpy.ndarray or scipy.sparse.csr_matrix
            ``(n_rows, len(genes))``, float64 when dense.
        """
        out = values[:, self.first]
        out = out.tolil() if sp.issparse(out) else np.array(out, dtype=np.float64)
        for c, cols in self.groups:
            block = values[:, cols]
            block = block.toarray() if sp.issparse(block) else np.asarray(block, dtype=np.float64)
            with np.errstate(all="ignore"):
                if self.policy == "mean":
                    agg = np.nanmean(block, axis=1)
                elif self.policy == "sum":
                    agg = np.nansum(block, axis=1)
                    agg[np.all(np.isnan(block), axis=1)] = np.nan
                else:
                    agg = np.nanmax(block, axis=1)
            out[:, c] = agg.reshape(-1, 1) if sp.issparse(out) else agg
        return out.tocsr() if sp.issparse(out) else out


def group_duplicates(genes: np.ndarray, policy: str) -> DuplicateGroups:
    """Group the columns of duplicated identifiers under a duplicates policy.

    Parameters
    ----------
    genes
        Gene identifier per column.
    policy
        One of :data:`DUPLICATE_POLICIES`.

    Returns
    -------
    DuplicateGroups

    Raises
    ------
    InputDataError
        For an unknown policy, and for ``policy="error"`` when an identifier is duplicated
        (naming them).
    """
    check_duplicates_policy(policy)
    codes, uniques = pd.factorize(pd.Index(genes), sort=False)
    uniques = np.asarray(uniques, dtype=object)
    counts = np.bincount(codes, minlength=len(uniques))
    first = np.unique(codes, return_index=True)[1].astype(np.int64)  # codes are 0..k-1
    dup = np.flatnonzero(counts > 1)
    if not len(dup):
        return DuplicateGroups(policy, uniques, first, (), None)
    dup_names = [str(uniques[c]) for c in dup]
    n_extra = int(len(codes) - len(uniques))
    if policy == "error":
        raise InputDataError(
            f"{len(dup_names)} gene identifiers occur more than once ({n_extra} extra rows), "
            f"e.g. {dup_names[:5]}; choose a duplicates policy "
            f"({', '.join(p for p in DUPLICATE_POLICIES if p != 'error')})"
        )
    order = np.argsort(codes, kind="stable")  # each gene's columns together, ascending
    starts = np.concatenate([[0], np.cumsum(counts)])
    groups = tuple((int(c), order[starts[c]:starts[c + 1]].astype(np.int64)) for c in dup)
    n_rows, n_genes = int(counts[dup].sum()), len(dup_names)
    note = (
        f"collapsed {n_rows} rows of {n_genes} duplicated gene{'s' if n_genes != 1 else ''} "
        f"into one row each ({n_extra} fewer row{'s' if n_extra != 1 else ''}; e.g. "
        f"{dup_names[:3]}) by policy {policy!r}"
    )
    return DuplicateGroups(policy, uniques, first, groups, note)


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
        The collapsed matrix, one identifier per column (object array) and the note for the
        input report (empty when nothing was duplicated).

    Raises
    ------
    InputDataError
        For an unknown policy, and for ``policy="error"`` when an identifier is duplicated.
    """
    groups = group_duplicates(genes, policy)
    if not groups.any:
        return values, np.asarray(genes, dtype=object), []
    if policy in SELECTING_POLICIES:
        chosen = groups.choose(lambda cols: column_means(values, cols))
        return values[:, chosen], groups.genes, [groups.note]
    return groups.combine(values), groups.genes, [groups.note]
