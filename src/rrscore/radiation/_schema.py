"""The JSON schema of a saved radioresistance reference (format version 2), and its check.

:func:`check_record` turns every way a reference file can be wrong into one
:class:`~rrscore.errors.InputDataError` line — never a raw ``KeyError``/``TypeError``: a JSON
that is not an object (a list, ``null``), another format, a version that is not an integer, an
old version (1: the composite before read-outs, part weights and confounders; refit), a newer
one, a record that does not follow :data:`SCHEMA` (checked with ``jsonschema``, Draft 2020-12),
numbers that are not finite (NaN/Infinity, which Python's ``json`` reads without complaint),
and entries that disagree with each other (a mechanism without its mean, SD, weight or genes).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import jsonschema

from rrscore.errors import InputDataError

FORMAT = "rrscore.RadioresistanceScorer"
FORMAT_VERSION = 2

_NUMBER = {"type": "number"}
_GENES = {
    "type": "object",
    "required": ["up", "down"],
    "properties": {"up": {"type": "array", "items": {"type": "string"}},
                   "down": {"type": "array", "items": {"type": "string"}}},
}
_NUMBERS_BY_NAME = {"type": "object", "additionalProperties": _NUMBER}

#: JSON schema (Draft 2020-12) of format version 2.
SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "rrscore radioresistance reference",
    "type": "object",
    "required": ["format", "format_version", "method", "method_params", "gene_sets",
                 "min_genes", "min_coverage", "mechanisms", "weights", "genes", "readouts",
                 "confounders", "adjustment", "reference"],
    "properties": {
        "format": {"const": FORMAT},
        "format_version": {"const": FORMAT_VERSION},
        "rrscore_version": {"type": "string"},
        "method": {"type": "string", "minLength": 1},
        "method_params": {"type": "object"},
        "gene_sets": {
            "type": "object", "required": ["name", "version"],
            "properties": {"name": {"type": "string"}, "version": {"type": "string"}},
        },
        "definition": {"type": "string"},
        "min_genes": {"type": "integer", "minimum": 1},
        "min_coverage": {"type": "number", "minimum": 0, "maximum": 1},
        "mechanisms": {"type": "array", "minItems": 1, "uniqueItems": True,
                       "items": {"type": "string", "minLength": 1}},
        "weights": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        "genes": {"type": "object", "additionalProperties": _GENES},
        "readouts": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["collection", "set", "direction"],
                "properties": {
                    "collection": {"type": "string"},
                    "collection_version": {"type": "string"},
                    "set": {"type": "string"},
                    "direction": {"enum": [1, -1]},
                    "small_parts": {"enum": ["weight", "fold", "drop"]},
                },
            },
        },
        "confounders": {
            "type": "object",
            "required": ["columns", "genes", "mean", "sd"],
            "properties": {
                "columns": {"type": "array", "uniqueItems": True, "items": {"type": "string"}},
                "genes": {"type": "object", "additionalProperties": _GENES},
                "mean": _NUMBERS_BY_NAME,
                "sd": {"type": "object",
                       "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
                "sets": {"type": "object"},
            },
        },
        "adjustment": {
            "oneOf": [
                {"type": "null"},
                {"type": "object",
                 "required": ["confounders", "coefficients"],
                 "properties": {
                     "confounders": {"type": "array", "minItems": 1,
                                     "items": {"type": "string"}},
                     "coefficients": {"type": "object",
                                      "additionalProperties": _NUMBERS_BY_NAME},
                     "r2": {"type": "object"},
                 }},
            ],
        },
        "reference": {
            "type": "object",
            "required": ["n_samples", "n_genes", "mean", "sd", "composite"],
            "properties": {
                "n_samples": {"type": "integer", "minimum": 2},
                "n_genes": {"type": "integer", "minimum": 1},
                "mean": _NUMBERS_BY_NAME,
                "sd": {"type": "object",
                       "additionalProperties": {"type": "number", "exclusiveMinimum": 0}},
                "composite": {"type": "array", "minItems": 2, "items": _NUMBER},
            },
        },
    },
}


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _where(path) -> str:
    return "/".join(str(p) for p in path) or "(top level)"


def _non_finite(value: object, path: tuple = ()) -> tuple | None:
    """Path of the first NaN/Infinity in a plain-data record, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path
    if isinstance(value, Mapping):
        for k, v in value.items():
            found = _non_finite(v, (*path, k))
            if found is not None:
                return found
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found = _non_finite(v, (*path, i))
            if found is not None:
                return found
    return None


def check_record(record: object, source: str = "reference") -> None:
    """Raise a one-line :class:`~rrscore.errors.InputDataError` unless ``record`` is a valid
    format-2 reference.

    Parameters
    ----------
    record
        What ``json.load`` gave (any JSON value).
    source
        How to name the record in messages (the file path).

    Raises
    ------
    InputDataError
        For each fault of the module docstring, naming the entry at fault and what to do.
    """
    prefix = f"{source}: not a fitted radioresistance reference"
    if not isinstance(record, Mapping):
        kind = "null" if record is None else type(record).__name__
        raise InputDataError(f"{prefix}: the JSON holds {kind}, expected an object "
                             f"(format {FORMAT!r})")
    if record.get("format") != FORMAT:
        raise InputDataError(f"{prefix} (format {_short(record.get('format'))}, expected "
                             f"{FORMAT!r})")
    version = record.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise InputDataError(f"{prefix}: format_version must be an integer, got "
                             f"{_short(version)}")
    if version < FORMAT_VERSION:
        raise InputDataError(
            f"{source}: reference format version {version} was written by an rrscore before "
            f"composite v2 (read-out sets, part weights, confounders); this rrscore reads "
            f"version {FORMAT_VERSION}. Refit the reference on its cohort and save it again "
            "(RadioresistanceScorer().fit(cohort).save(path), or rrscore radioresistance "
            "COHORT --save-reference path)"
        )
    if version > FORMAT_VERSION:
        raise InputDataError(
            f"{source}: reference format version {version} is newer than this rrscore "
            f"understands ({FORMAT_VERSION}); update rrscore"
        )
    bad = _non_finite(record)
    if bad is not None:
        raise InputDataError(f"{prefix}: {_where(bad)} is not a finite number (NaN and "
                             "Infinity are not allowed)")
    errors = sorted(jsonschema.Draft202012Validator(SCHEMA).iter_errors(record),
                    key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        error = jsonschema.exceptions.best_match(errors)
        where = _where(error.absolute_path)
        if error.validator == "required":
            message = error.message.split(" is a required property")[0] + " is missing"
        elif error.validator == "type":
            message = f"expected {error.validator_value}, got {_short(error.instance)}"
        else:
            message = f"{error.validator} {_short(error.validator_value)} not met by " \
                      f"{_short(error.instance)}"
        raise InputDataError(f"{prefix}: {where}: {message}")
    _check_consistent(record, prefix)


def _check_consistent(record: Mapping, prefix: str) -> None:
    mechanisms = list(record["mechanisms"])
    ref = record["reference"]
    for key, table in (("weights", record["weights"]), ("genes", record["genes"]),
                       ("readouts", record["readouts"]), ("reference/mean", ref["mean"]),
                       ("reference/sd", ref["sd"])):
        lost = [m for m in mechanisms if m not in table]
        if lost:
            raise InputDataError(f"{prefix}: {key} has no entry for {lost}")
    total = sum(float(record["weights"][m]) for m in mechanisms)
    if abs(total - 1.0) > 1e-9:
        raise InputDataError(f"{prefix}: weights must sum to 1, they sum to {total!r}")
    conf = record["confounders"]
    for key in ("genes", "mean", "sd"):
        lost = [c for c in conf["columns"] if c not in conf[key]]
        if lost:
            raise InputDataError(f"{prefix}: confounders/{key} has no entry for {lost}")
    adjustment = record["adjustment"]
    if adjustment is not None:
        unknown = [c for c in adjustment["confounders"] if c not in conf["columns"]]
        if unknown:
            raise InputDataError(f"{prefix}: adjustment names confounders {unknown} that are "
                                 "not stored")
        for m in mechanisms:
            coef = adjustment["coefficients"].get(m)
            need = ["intercept", *adjustment["confounders"]]
            if coef is None or any(k not in coef for k in need):
                raise InputDataError(f"{prefix}: adjustment/coefficients/{m} needs {need}")
