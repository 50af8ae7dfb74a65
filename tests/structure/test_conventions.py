"""One vocabulary: every public entry point uses the same option names and defaults.

The table is ``rrscore._types.OPTIONS``; scanpy's AnnData conventions (``layer``, ``use_raw``,
``key_added``, ``inplace``, ``copy``) hold for every ``rrscore.tl`` function, and the CLI
spells the same options with dashes and the same defaults.
"""

from __future__ import annotations

import inspect
import math

import click
import pytest

import rrscore
from rrscore._types import DEFAULT_METHODS, OPTIONS
from rrscore.cli import main

ENTRY_SPECIFIC = {"key_added"}  # each tl function stores under its own key
#: Functions whose own default for a shared option differs, and why.
EXEMPT = {
    # GSEA's permutation null needs sets of some size (gseapy: 15-500); the mechanism
    # parts are small, so 3-1000
    "rrscore.gsea_prerank": {"min_size", "max_size"},
}


def _public_functions():
    found = {}
    for name in rrscore.__all__:
        obj = getattr(rrscore, name)
        if inspect.isfunction(obj):
            found[f"rrscore.{name}"] = obj
    for cls in (rrscore.RadioresistanceScorer,):
        for meth in ("fit", "transform", "fit_transform"):
            found[f"{cls.__name__}.{meth}"] = getattr(cls, meth)
    for module in (rrscore.tl, rrscore.get):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                found[f"{module.__name__}.{name}"] = obj
    return found


FUNCTIONS = _public_functions()


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isinf(a) and math.isinf(b):
        return a == b
    return a == b and type(a) is type(b)


@pytest.mark.parametrize("qualname", sorted(FUNCTIONS))
def test_shared_options_have_the_shared_defaults(qualname):
    sig = inspect.signature(FUNCTIONS[qualname])
    wrong = {}
    for name, param in sig.parameters.items():
        if name in OPTIONS and name not in ENTRY_SPECIFIC | EXEMPT.get(qualname, set()):
            if param.default is inspect.Parameter.empty:
                continue
            if not _same(param.default, OPTIONS[name].default):
                wrong[name] = (param.default, OPTIONS[name].default)
    assert wrong == {}, f"{qualname}: defaults differ from rrscore._types.OPTIONS: {wrong}"


@pytest.mark.parametrize("qualname", sorted(FUNCTIONS))
def test_public_functions_document_their_parameters(qualname):
    func = FUNCTIONS[qualname]
    doc = inspect.getdoc(func) or ""
    params = [p for p in inspect.signature(func).parameters
              if p not in ("self", "cls") and not p.startswith("_")]
    if params:
        assert "Parameters\n----------" in doc, f"{qualname} has no Parameters section"


@pytest.mark.parametrize("name", [n for n in rrscore.tl.__all__
                                  if inspect.isfunction(getattr(rrscore.tl, n))])
def test_tl_functions_follow_scanpy_conventions(name):
    params = inspect.signature(getattr(rrscore.tl, name)).parameters
    first = next(iter(params))
    assert first == "adata", f"tl.{name}'s first parameter is {first!r}, not 'adata'"
    if name in ("score", "radioresistance"):  # the ones that compute from a matrix
        for conv in ("layer", "use_raw", "key_added", "inplace", "copy"):
            assert conv in params, f"tl.{name} lacks {conv!r}"


def _cli_options(command: click.Command) -> dict[str, click.Parameter]:
    return {p.name: p for p in command.params if isinstance(p, click.Option)}


@pytest.mark.parametrize("command", ["score", "radioresistance"])
def test_cli_options_are_the_python_ones(command):
    cmd = main.commands[command]
    opts = _cli_options(cmd)
    python = {"score": rrscore.score, "radioresistance": rrscore.radioresistance}[command]
    for name in ("orient", "layer", "use_raw", "duplicates", "nan_policy", "map_ids"):
        assert name in opts, f"rrscore {command} lacks --{name.replace('_', '-')}"
        assert f"--{name.replace('_', '-')}" in opts[name].opts
        assert _same(opts[name].default, OPTIONS[name].default), (name, opts[name].default)
        choices = getattr(opts[name].type, "choices", None)
        if choices is not None:
            assert OPTIONS[name].default in choices
    if command == "score":
        for name in ("min_size", "max_size"):
            assert float(opts[name].default) == float(OPTIONS[name].default)
        sig = inspect.signature(python).parameters
        assert opts["method"].default == sig["method"].default


def test_default_methods_are_the_documented_ones():
    assert inspect.signature(rrscore.score).parameters["method"].default == \
        DEFAULT_METHODS["score"][0]
    assert main.commands["score"].params[0].name == "input_path"
    assert _cli_options(main.commands["score"])["method"].default == DEFAULT_METHODS["score"][0]
    assert inspect.signature(rrscore.tl.score).parameters["method"].default == \
        DEFAULT_METHODS["tl.score"][0]
    assert inspect.signature(rrscore.RadioresistanceScorer).parameters["method"].default == \
        DEFAULT_METHODS["radioresistance"][0]
