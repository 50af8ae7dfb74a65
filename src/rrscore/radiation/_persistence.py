"""A fitted radioresistance reference as JSON: what is stored, and how it is written and read.

The record (``format`` ``"rrscore.RadioresistanceScorer"``, ``format_version`` 2) holds the
method and its parameters, the mechanism catalogue's name and version (``gene_sets``) and the
composite definition file, ``min_genes`` and ``min_coverage``, the mechanisms, their weights,
their read-outs (collection, its version, set, direction, ``small_parts``), the genes found per
mechanism and part (``up``/``down``; their counts are the part weights), the confounders (genes,
reference mean and SD), the adjustment (OLS coefficients, or ``null``) and the reference
statistics (number of samples and genes, per-mechanism mean and SD, the sorted reference
composite). Floats are written by :func:`json.dumps`, whose shortest repr round-trips exactly,
so a reloaded scorer scores bit-identically.

Reading checks the record against a JSON schema (:mod:`rrscore.radiation._schema`): a file
that is not a reference, of format version 1 (before composite v2: refit), malformed, or holding
NaN/Infinity is a one-line :class:`~rrscore.errors.InputDataError`.

:func:`save_scorer` writes atomically: the whole text is built first, written to a temporary
file in the target's directory and moved over the target with :func:`os.replace`. A failure at
any step leaves the target as it was (absent, or the previous complete file) and no temporary
file behind.

:class:`ReferenceJSON` holds the four methods (``to_dict``, ``save``, ``from_dict``, ``load``);
:class:`~rrscore.radiation.RadioresistanceScorer` inherits them, so this module does not import
the scorer (which imports it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import numpy as np
import pandas as pd

from rrscore._records import plain
from rrscore._version import __version__
from rrscore.errors import InputDataError, RRScoreError
from rrscore.radiation._schema import FORMAT, FORMAT_VERSION, check_record

__all__ = ["FORMAT", "FORMAT_VERSION", "ReferenceJSON", "write_atomically"]


class ReferenceJSON:
    """The JSON persistence of a fitted scorer (a mixin of ``RadioresistanceScorer``).

    Expects the scorer's fitted attributes (``method_``, ``mechanisms_``, ``weights_``,
    ``genes_``, ``mean_``, ``scale_``, ...), ``_check_fitted()`` and ``_spec_and_params()``.
    """

    def to_dict(self) -> dict:
        """The fitted reference as plain data (what :meth:`save` writes).

        Returns
        -------
        dict
            JSON-serialisable record: method, parameters, mechanisms, weights, genes and the
            reference statistics (see :mod:`rrscore.radiation._persistence`).

        Raises
        ------
        RRScoreError
            When the scorer is not fitted.
        """
        self._check_fitted()
        adjustment = self.adjustment_
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "rrscore_version": __version__,
            "method": self.method_,
            "method_params": dict(self.method_params_),
            "gene_sets": {"name": self.collection_name_, "version": self.collection_version_},
            "definition": self.definition_,
            "min_genes": int(self.min_genes),
            "min_coverage": float(self.min_coverage),
            "mechanisms": list(self.mechanisms_),
            "weights": {m: float(self.weights_[m]) for m in self.mechanisms_},
            "readouts": plain({m: self.readouts_[m] for m in self.mechanisms_}),
            "genes": {m: {"up": list(g["up"]), "down": list(g["down"])}
                      for m, g in self.genes_.items()},
            "confounders": {
                "columns": list(self.confounders_),
                "sets": plain(self.confounder_info_),
                "genes": {c: {"up": list(g["up"]), "down": list(g["down"])}
                          for c, g in self.confounder_genes_.items()},
                "mean": {c: float(self.confounder_mean_[c]) for c in self.confounders_},
                "sd": {c: float(self.confounder_scale_[c]) for c in self.confounders_},
            },
            "adjustment": None if adjustment is None else plain(adjustment),
            "reference": {
                "n_samples": self.n_reference_,
                "n_genes": self.n_genes_reference_,
                "mean": {m: float(self.mean_[m]) for m in self.mechanisms_},
                "sd": {m: float(self.scale_[m]) for m in self.mechanisms_},
                "composite": [float(v) for v in self.reference_composite_],
                "composite_r2_confounders": (None if not np.isfinite(self.composite_r2_)
                                             else float(self.composite_r2_)),
            },
        }

    def save(self, path: str | os.PathLike) -> None:
        """Write the fitted reference to a JSON file, atomically (floats round-trip exactly).

        Parameters
        ----------
        path
            The JSON file to write; its directory must exist. An existing file is replaced
            only once the new one is complete: a failed save leaves it as it was.

        Raises
        ------
        RRScoreError
            When the scorer is not fitted.
        ValueError
            When the record holds a non-finite float; nothing is written.
        OSError
            When the file cannot be written; ``path`` is left as it was.
        """
        # The whole text first: a record that cannot be serialised never touches the disk.
        text = json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"
        write_atomically(path, text)

    @classmethod
    def from_dict(cls, record: Mapping, *, source: str = "reference") -> Self:
        """Rebuild a fitted scorer from :meth:`to_dict` output.

        Parameters
        ----------
        record
            The plain-data record (checked against the schema first).
        source
            How to name the record in error messages (e.g. the file path).

        Returns
        -------
        RadioresistanceScorer
            Fitted, with ``coverage_ = None`` and ``reference_source_ = "loaded"``.

        Raises
        ------
        InputDataError
            When the record is not a reference, is of another format version, or is
            malformed (one line naming the entry at fault).
        """
        check_record(record, source)
        mechanisms = list(record["mechanisms"])
        ref, conf = record["reference"], record["confounders"]
        adjustment = record["adjustment"]
        try:
            scorer = cls(
                record["method"], weights=dict(record["weights"]),
                gene_sets=None if record.get("definition") else record["gene_sets"]["name"],
                mechanisms=mechanisms, min_genes=int(record["min_genes"]),
                min_coverage=float(record["min_coverage"]),
                adjust=None if adjustment is None else list(adjustment["confounders"]),
                method_params=dict(record["method_params"]),
            )
            spec, params = scorer._spec_and_params()
        except RRScoreError as exc:
            raise InputDataError(f"{source}: not a fitted radioresistance reference: "
                                 f"{exc}") from None
        scorer.method_ = spec.name
        scorer.method_params_ = plain(dataclasses.asdict(params))
        scorer.mechanisms_ = mechanisms
        # stored normalised: kept as stored so that a reload is exact
        scorer.weights_ = pd.Series({m: float(record["weights"][m]) for m in mechanisms})
        scorer.genes_ = {m: {"up": list(record["genes"][m]["up"]),
                             "down": list(record["genes"][m]["down"])} for m in mechanisms}
        scorer.readouts_ = {m: dict(record["readouts"][m]) for m in mechanisms}
        scorer.directions_ = {m: int(record["readouts"][m]["direction"]) for m in mechanisms}
        scorer.mean_ = pd.Series({m: float(ref["mean"][m]) for m in mechanisms})
        scorer.scale_ = pd.Series({m: float(ref["sd"][m]) for m in mechanisms})
        columns = list(conf["columns"])
        scorer.confounders_ = columns
        scorer.confounder_genes_ = {c: {"up": list(conf["genes"][c]["up"]),
                                        "down": list(conf["genes"][c]["down"])}
                                    for c in columns}
        scorer.confounder_info_ = {c: dict(conf.get("sets", {}).get(c, {})) for c in columns}
        scorer.confounder_mean_ = pd.Series({c: float(conf["mean"][c]) for c in columns},
                                            dtype=float)
        scorer.confounder_scale_ = pd.Series({c: float(conf["sd"][c]) for c in columns},
                                             dtype=float)
        scorer.adjustment_ = None if adjustment is None else dict(adjustment)
        r2 = ref.get("composite_r2_confounders")
        scorer.composite_r2_ = float(r2) if isinstance(r2, (int, float)) else float("nan")
        scorer.n_reference_ = int(ref["n_samples"])
        scorer.n_genes_reference_ = int(ref["n_genes"])
        scorer.reference_composite_ = np.sort(np.asarray(ref["composite"], dtype=float))
        scorer.collection_name_ = str(record["gene_sets"]["name"])
        scorer.collection_version_ = str(record["gene_sets"]["version"])
        scorer.definition_ = str(record.get("definition", ""))
        scorer.coverage_ = None
        scorer.reference_source_ = "loaded"
        return scorer

    @classmethod
    def load(cls, path: str | os.PathLike) -> Self:
        """Read a reference written by :meth:`save`.

        Parameters
        ----------
        path
            The JSON file.

        Returns
        -------
        RadioresistanceScorer
            Fitted, with ``reference_source_`` set to the path.

        Raises
        ------
        InputDataError
            When the file does not exist, is not JSON or is not a valid reference.
        """
        path = Path(path)
        if not path.exists():
            raise InputDataError(f"reference file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputDataError(f"{path}: cannot read the reference ({exc})") from None
        try:
            record = json.loads(text, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError) as exc:
            raise InputDataError(f"{path}: not JSON ({exc})") from None
        scorer = cls.from_dict(record, source=str(path))
        scorer.reference_source_ = str(path)
        return scorer


def _no_constant(name: str):
    """``json.loads`` hook: NaN/Infinity are not JSON (Python's reader accepts them)."""
    raise ValueError(f"{name} is not a number JSON allows (no NaN or Infinity)")


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and :func:`os.replace`.

    Parameters
    ----------
    path
        Target file. A symbolic link is written through (its target is replaced), as
        :meth:`pathlib.Path.write_text` would.
    text
        The file's content.

    Raises
    ------
    OSError
        When the temporary file cannot be written or moved; it is removed and the target is
        untouched.
    """
    target = Path(os.path.realpath(path))
    # In the target's own directory, so os.replace is a rename on one file system (atomic).
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    # O_EXCL: never write into someone else's file; mode 0o666 lets the umask decide, so the
    # new file gets the permissions a plain open() would give it.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileNotFoundError):
            # keep the permissions of the file being replaced (a plain rewrite keeps them)
            os.chmod(tmp, stat.S_IMODE(os.stat(target).st_mode))
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
