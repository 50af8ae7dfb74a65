"""rrscore warmup: covers every method, with parameters the methods have.

Running the warm-up itself compiles every kernel (minutes on a cold cache), so the suite checks
its plan, not its run; ``benchmarks/bench_first_call.py --warmup`` times it.
"""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner

import rrscore
from rrscore.cli import main
from rrscore.warmup import METHOD_VARIANTS


def test_every_method_is_warmed_up():
    assert {m for m, _ in METHOD_VARIANTS} == set(rrscore.list_methods()["method"])


def test_warmup_parameters_are_the_methods_own():
    for method, params in METHOD_VARIANTS:
        fields = {f.name: f for f in dataclasses.fields(rrscore.get_method(method).params)}
        assert set(params) <= set(fields), (method, params)
        for name, value in params.items():
            assert value != fields[name].default, f"{method} {name}={value!r} is the default"


def test_cli_warmup_command_is_registered():
    result = CliRunner().invoke(main, ["warmup", "--help"])
    assert result.exit_code == 0
    assert "Compile every scoring kernel once" in result.output
