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
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rrscore._version import __version__
from rrscore.errors import DuplicateGenesWarning, RRScoreError, warn


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


#: The input report's note on collapsed duplicated genes (written by
#: ``rrscore.expression._collapse.group_duplicates``: "collapsed 3 rows of 1 duplicated gene
#: into one row each (2 fewer rows; e.g. ['MATR3']) by policy 'highest_mean'"); shown as a
#: DuplicateGenesWarning.
COLLAPSED_NOTE = re.compile(r"^collapsed \d+ rows of \d+ duplicated genes? into one row each")


def warn_collapsed_duplicates(notes) -> None:
    """Warn (:class:`~rrscore.errors.DuplicateGenesWarning`) when the input layer collapsed
    duplicated gene identifiers.

    The input layer records the collapse as a note of the input report (the rrscore command
    prints it in its summary line); the Python entry points call this once per run so that
    every container (DataFrame in either orientation, array with ``genes=``, AnnData,
    backed or Dask AnnData) warns alike. The warning text starts with the note itself (how
    many rows and genes, the policy), then says how to choose another policy.

    Parameters
    ----------
    notes
        The notes of the input report (``InputReport.notes`` or ``record["input"]["notes"]``).
    """
    for note in notes:
        if COLLAPSED_NOTE.match(str(note)):
            warn(f"{note}; another policy can be chosen, e.g. duplicates='mean' averages "
                 "them, duplicates='error' refuses them", DuplicateGenesWarning)


def mark_unscored(coverage: pd.DataFrame, sets: list[str], values: np.ndarray,
                  method: str) -> None:
    """Record in the coverage report the sets a method could not score (in place).

    A set kept by the matching whose every score is NaN (ssGSEA or singscore on a set of
    every gene, score_genes without control genes, PLAGE on a set left without genes) was
    not scored: its row gets ``kept = False`` and a ``reason``, as sets dropped before the
    method do, so the report names every set without a score. The method's warning gives
    the details.

    Parameters
    ----------
    coverage
        The coverage report of the run (indexed by set).
    sets
        Names of the scored sets, in column order of ``values``.
    values
        ``(n_samples, n_sets)`` scores.
    method
        The method's name, for the reason.
    """
    if values.ndim != 2 or values.shape[0] == 0 or "kept" not in coverage.columns:
        return
    empty = np.isnan(values).all(axis=0)
    for name in np.asarray(sets, dtype=object)[empty]:
        if name in coverage.index and bool(coverage.at[name, "kept"]):
            coverage.at[name, "kept"] = False
            coverage.at[name, "reason"] = (
                f"not scored by {method} (every score is NaN; its warning says why)"
            )


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


# --- Keys of an AnnData that rrscore wrote -------------------------------------------------
# rrscore.tl writes over a key only when a record of rrscore in adata.uns says rrscore wrote
# it (a re-run); a key that holds the user's data (an obs column, X_pca, another tool's uns
# entry) is refused unless overwrite=True. scanpy writes over keys silently; losing a
# clustering or an embedding to a default key name is the fault this guards against.

#: Entries of a stored record that name the ``adata.obs`` columns written with it.
_OBS_ENTRIES = ("obs_columns", "obs_key")


def is_rrscore_record(value) -> bool:
    """Whether an ``adata.uns`` entry is a record rrscore stored (in any version).

    Every record rrscore stores carries ``rrscore_version``; records of earlier versions of
    ``tl.radioresistance`` (``composite_version`` and ``obs_key``) and of ``tl.binarize``
    (``thresholds`` and ``source_key``) are recognised by their own keys.
    """
    if not isinstance(value, Mapping):
        return False
    return ("rrscore_version" in value or {"composite_version", "obs_key"} <= set(value)
            or {"thresholds", "source_key"} <= set(value))


def _stored_names(value) -> list[str]:
    """Column names as a record stores them: a list, an array read back from h5ad, a string
    (one name, or ``""`` for none)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value and value != "None" else []
    try:
        items = np.atleast_1d(np.asarray(value, dtype=object)).ravel().tolist()
    except (TypeError, ValueError):
        return []
    return [v for v in items if isinstance(v, str) and v]


def rrscore_keys(adata) -> dict[str, set[str]]:
    """The keys of ``adata`` that rrscore's stored records say rrscore wrote.

    A record stored under ``adata.uns[key]`` owns ``uns[key]`` and ``obsm[key]`` (rrscore
    stores a result's values and its record under one key) and the ``obs`` columns it lists
    (``obs_columns`` of ``tl.score``, ``obs_key`` of ``tl.radioresistance``).

    Returns
    -------
    dict
        ``{"obs": set, "obsm": set, "uns": set}`` of key names.
    """
    owned: dict[str, set[str]] = {"obs": set(), "obsm": set(), "uns": set()}
    for key, value in adata.uns.items():
        if not is_rrscore_record(value):
            continue
        owned["uns"].add(str(key))
        owned["obsm"].add(str(key))
        for entry in _OBS_ENTRIES:
            owned["obs"].update(_stored_names(value.get(entry)))
    return owned


def check_keys_free(adata, *, function: str, obsm=(), obs=(), uns=(), overwrite: bool = False,
                    obs_option: str = "key_added=") -> None:
    """Refuse to write over AnnData keys that hold data rrscore did not write.

    Parameters
    ----------
    adata
        The AnnData about to receive results.
    function
        The public function writing (for the message), e.g. ``"rrscore.tl.score"``.
    obsm, obs, uns
        The keys (column names for ``obs``) it will write.
    overwrite
        True writes over anything (the caller's ``overwrite=True``).
    obs_option
        The option that chooses other ``obs`` column names, for the message (``obsm`` and
        ``uns`` keys are chosen by ``key_added=``).

    Raises
    ------
    RRScoreError
        Naming every existing key that no rrscore record owns, and what to pass instead.
    """
    if overwrite:
        return
    present = {"obsm": adata.obsm.keys(), "obs": adata.obs.columns, "uns": adata.uns.keys()}
    wanted = {"obsm": obsm, "obs": obs, "uns": uns}
    owned = None
    taken = []
    options: list[str] = []
    for where in ("obsm", "obs", "uns"):
        for key in wanted[where]:
            if key in present[where]:
                owned = rrscore_keys(adata) if owned is None else owned
                if key not in owned[where]:
                    taken.append(f"adata.{where}[{key!r}]")
                    option = obs_option if where == "obs" else "key_added="
                    if option not in options:
                        options.append(option)
    if taken:
        listed = ", ".join(taken[:10]) + (" ..." if len(taken) > 10 else "")
        it = "it" if len(taken) == 1 else "them"
        raise RRScoreError(
            f"{function} would write over {listed}, which rrscore did not write (no rrscore "
            f"record in adata.uns names {it}); pass another {' and another '.join(options)}, "
            f"or overwrite=True to replace {it}"
        )
