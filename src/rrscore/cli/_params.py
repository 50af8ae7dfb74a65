"""``-p NAME=VALUE`` and ``-w MECHANISM=W``: typed values, the same for every command.

``-p kcdf=none`` is the string ``"none"`` for GSVA (a kernel choice), ``-p random_state=none``
is ``None`` for score_genes (its field admits None), ``-p alpha=abc`` is a one-line error that
says ``alpha`` takes a number — the field's annotation decides, never a guess from the text.
``score``, ``radioresistance`` and ``report`` all parse ``-p`` here.
"""

from __future__ import annotations

import dataclasses

import click

from rrscore.errors import RRScoreError
from rrscore.methods import get_method

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _convert(name: str, text: str, annotation: str):
    kinds = [k.strip() for k in str(annotation).split("|")]
    low = text.strip().lower()
    if "None" in kinds and low in ("none", "null"):
        return None
    for kind in kinds:
        if kind == "bool":
            if low in _TRUE:
                return True
            if low in _FALSE:
                return False
        elif kind == "int":
            try:
                return int(text)
            except ValueError:
                pass
        elif kind == "float":
            try:
                return float(text)
            except ValueError:
                pass
        elif kind == "str":
            return text
        elif kind.startswith("tuple"):
            return tuple(p.strip() for p in text.split(",") if p.strip())
    words = {"bool": "true or false", "int": "an integer", "float": "a number",
             "None": "none"}
    expected = " or ".join(words.get(k, k) for k in kinds)
    raise RRScoreError(f"-p {name}={text}: {name} takes {expected}, got {text!r}")


def parse_method_params(pairs: tuple[str, ...], method: str) -> dict:
    """``NAME=VALUE`` pairs as the parameters of ``method``, typed by its dataclass.

    Raises
    ------
    click.BadParameter
        For a pair without ``=``.
    RRScoreError
        For an unknown parameter (naming the method's parameters) or a value of the wrong
        type.
    """
    spec = get_method(method)
    fields = {f.name: f for f in dataclasses.fields(spec.params)}
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="-p")
        key, value = pair.split("=", 1)
        key = key.strip().replace("-", "_")
        if key not in fields:
            raise RRScoreError(
                f"-p {key}: method {spec.name!r} has no parameter {key!r}; its parameters "
                f"are {sorted(fields) or 'none'}"
            )
        params[key] = _convert(key, value, fields[key].type)
    return params


def parse_weights(pairs: tuple[str, ...]) -> dict[str, float] | None:
    """``MECHANISM=W`` pairs as composite weights (numbers); None when none are given.

    Raises
    ------
    click.BadParameter
        For a pair without ``=``.
    RRScoreError
        For a weight that is not a number.
    """
    if not pairs:
        return None
    weights = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected MECHANISM=W, got {pair!r}",
                                     param_hint="--weight")
        key, value = pair.split("=", 1)
        try:
            weights[key.strip()] = float(value)
        except ValueError:
            raise RRScoreError(f"-w {pair}: a weight is a number, got {value!r}") from None
    return weights


def reference_method(reference: str | None) -> str:
    """The method of a saved reference (to type ``-p`` values), default singscore."""
    import json

    from rrscore._types import DEFAULT_METHODS

    if reference:
        try:
            with open(reference, encoding="utf-8") as handle:
                method = json.load(handle).get("method")
            if isinstance(method, str):
                return method
        except (OSError, ValueError, AttributeError):
            pass  # the scorer's loader gives the clear error
    return DEFAULT_METHODS["radioresistance"][0]
