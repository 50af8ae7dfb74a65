"""Read rrscore results back out of an AnnData (scanpy's ``sc.get`` idea).

``rrscore.tl.score(adata, ..., key_added=key)`` stores the scores in ``adata.obsm[key]`` and
their record in ``adata.uns[key]``; these functions give them back as DataFrames, with the
record attached, whether the AnnData is the one scored or one read back from an h5ad file.
"""

from __future__ import annotations

import pandas as pd

from rrscore._records import coverage_table
from rrscore.errors import RRScoreError

__all__ = ["coverage", "record", "scores"]


def _check(adata, key: str) -> None:
    if not hasattr(adata, "obsm") or not hasattr(adata, "uns"):
        raise RRScoreError(f"expected an AnnData, got {type(adata).__name__}")
    if key not in adata.obsm:
        stored = [k for k in adata.uns if isinstance(adata.uns[k], dict)
                  and "method" in adata.uns[k]]
        raise RRScoreError(
            f"no rrscore result under key {key!r}"
            + (f"; results stored under {stored}" if stored else
               "; run rrscore.tl.score(adata, ..., key_added=key) first")
        )


def record(adata, key: str = "rrscore") -> dict:
    """The record of the scoring run stored under ``key`` (``adata.uns[key]``).

    Parameters
    ----------
    adata
        An AnnData scored by :func:`rrscore.tl.score` or :func:`rrscore.tl.radioresistance`.
    key
        The ``key_added`` of that call.

    Returns
    -------
    dict
        Method, parameters, collection, sets, coverage, input report, engine, ...

    Raises
    ------
    RRScoreError
        When nothing is stored under ``key``.
    """
    _check(adata, key)
    return dict(adata.uns.get(key, {}))


def scores(adata, key: str = "rrscore", sets: list[str] | None = None) -> pd.DataFrame:
    """The scores stored under ``key``: cells × sets, with the record in ``.attrs``.

    Parameters
    ----------
    adata
        An AnnData scored by :func:`rrscore.tl.score`.
    key
        The ``key_added`` of that call.
    sets
        Columns to return (default: all, in the stored order).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``adata.obs_names``; ``.attrs["rrscore"]`` holds the record.

    Raises
    ------
    RRScoreError
        When nothing is stored under ``key`` or a set is not among the stored ones.
    """
    _check(adata, key)
    stored = adata.obsm[key]
    if not isinstance(stored, pd.DataFrame):
        names = list(adata.uns.get(key, {}).get("sets", []))
        stored = pd.DataFrame(stored, index=adata.obs_names,
                              columns=names if len(names) == stored.shape[1] else None)
    table = stored.copy()
    if sets is not None:
        missing = [s for s in sets if s not in table.columns]
        if missing:
            raise RRScoreError(f"sets {missing} are not stored under {key!r}; stored: "
                               f"{list(table.columns)}")
        table = table[list(sets)]
    table.attrs = {"rrscore": record(adata, key)}
    return table


def coverage(adata, key: str = "rrscore") -> pd.DataFrame:
    """The coverage report of the run stored under ``key``, indexed by set name.

    Parameters
    ----------
    adata, key
        As in :func:`scores`.

    Raises
    ------
    RRScoreError
        When nothing (or no coverage) is stored under ``key``.
    """
    return coverage_table(record(adata, key))
