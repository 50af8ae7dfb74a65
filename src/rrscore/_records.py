"""The one record of a scoring run, rendered to ``DataFrame.attrs`` or to ``adata.uns``.

Every entry point (``rrscore.score``, ``rrscore.tl.score``, the composite's scorer, the
dispersion variant) builds a :class:`ResultRecord` once, from the same run, and renders it:

* :meth:`ResultRecord.to_attrs`: plain Python data only (no DataFrame, no NumPy scalar), so
  results print, ``pd.concat`` and serialise like any DataFrame (pandas compares ``.attrs``
  when it concatenates: a DataFrame there raises ``ValueError``);
* :meth:`ResultRecord.to_uns`: values h5ad can store (``None`` becomes ``"None"``, lists of
  mixed types become strings, empty lists become text), so ``write_h5ad`` keeps them.

Both carry the same keys; :func:`coverage_table` turns the stored coverage back into a
DataFrame.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rrscore._version import __version__
from rrscore.errors import RRScoreError


def plain(value, *, for_h5ad: bool = False):
    """``value`` with NumPy scalars, tuples and mappings turned into Python data.

    Parameters
    ----------
    value
        Any parameter or report value.
    for_h5ad
        h5ad cannot store ``None`` nor lists of mixed types: ``None`` becomes ``"None"`` and
        list items become strings.
    """
    if value is None:
        return "None" if for_h5ad else None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        if for_h5ad:
            return [str(v) for v in value]
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v, for_h5ad=for_h5ad) for k, v in value.items()}
    return str(value) if for_h5ad else value


def coverage_record(table: pd.DataFrame) -> dict[str, list]:
    """A coverage table as plain lists keyed by column (``set`` first).

    Parameters
    ----------
    table
        The coverage report, indexed by set name.
    """
    flat = table.reset_index()
    # tolist() gives Python bool/int/float/str, which h5ad and JSON store as they are
    return {str(col): flat[col].tolist() for col in flat.columns}


def coverage_table(record: Mapping) -> pd.DataFrame:
    """The coverage stored in a record (``attrs`` or ``uns`` form) as a DataFrame by set.

    Raises
    ------
    RRScoreError
        When the record carries no coverage.
    """
    try:
        columns = record["coverage"]
        table = pd.DataFrame({k: list(v) for k, v in columns.items()})
    except (KeyError, TypeError, AttributeError):
        raise RRScoreError("this record carries no rrscore coverage report") from None
    # h5ad stores mapping keys sorted: restore the report's column order
    order = [c for c in record.get("coverage_columns", []) if c in table.columns]
    if order:
        table = table[order + [c for c in table.columns if c not in order]]
    return table.set_index("set")


def _h5ad_value(value):
    """A value of the input report as h5ad stores it."""
    if isinstance(value, Mapping):
        return {str(k): plain(v, for_h5ad=True) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # an empty list would come back from h5ad as a float array: store the text
        return "\n".join(map(str, value))
    return plain(value, for_h5ad=True)


@dataclass
class ResultRecord:
    """Provenance of one scoring run: what was scored, how, and what the input layer did.

    Attributes
    ----------
    method, params
        The method's name and its validated parameters (a dict).
    collection, collection_version
        The gene-set collection's name and version (``None`` for user sets without them).
    sets
        Names of the sets scored, in column order.
    coverage
        The coverage report (DataFrame indexed by set).
    input
        The input report (:meth:`rrscore.expression.InputReport.to_dict`).
    engine
        How the matrix was read: ``in-memory``, ``backed``, ``dask-blockwise`` or
        ``dask-streaming``.
    matrix
        Which matrix of an AnnData was scored (``adata.X``, ``adata.raw.X``,
        ``adata.layers['counts']``); empty for tables and arrays.
    output
        Which output of the method the values are (``score``, ``dispersion``).
    input_scale
        The detected scale of the values and whether it fits the method
        (``kind``, ``evidence``, ``fits_method``).
    extra
        Entry-specific plain values added to both renderings (e.g. ``obs_columns``).
    """

    method: str
    params: dict
    collection: str | None
    collection_version: str | None
    sets: list[str]
    coverage: pd.DataFrame
    input: dict
    engine: str
    matrix: str = ""
    output: str = "score"
    input_scale: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    def _common(self) -> dict:
        return {
            "method": self.method,
            "collection": self.collection,
            "collection_version": self.collection_version,
            "sets": list(self.sets),
            "coverage": coverage_record(self.coverage),
            "coverage_columns": ["set", *map(str, self.coverage.columns)],
            "engine": self.engine,
            "matrix": self.matrix,
            "output": self.output,
            "input_scale": dict(self.input_scale),
            "rrscore_version": __version__,
        }

    def to_attrs(self) -> dict:
        """The record as plain Python data, for ``DataFrame.attrs["rrscore"]``."""
        record = self._common()
        record["params"] = plain(self.params)
        record["input"] = plain(self.input)
        record.update(plain(self.extra))
        return record

    def to_uns(self) -> dict:
        """The record as values h5ad can store, for ``adata.uns[key_added]``.

        ``params`` has ``None`` stored as ``"None"``; ``params_json`` keeps them exactly.
        """
        record = {k: plain(v, for_h5ad=True) if k != "coverage" else v
                  for k, v in self._common().items()}
        # h5ad: an absent collection name is stored as empty text, as users compare it
        record["collection"] = self.collection or ""
        record["collection_version"] = self.collection_version or ""
        record["params"] = {k: plain(v, for_h5ad=True) for k, v in self.params.items()}
        record["params_json"] = json.dumps(plain(self.params), default=str)
        record["input"] = {str(k): _h5ad_value(v) for k, v in self.input.items()}
        for key, value in self.extra.items():
            record[key] = plain(value, for_h5ad=True) if value is not None else "None"
        return record
