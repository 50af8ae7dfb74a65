"""What importing costs: ``import rrscore`` and the CLI load no heavy dependency up front.

Each check runs in a fresh interpreter (``sys.modules`` of the test process already holds
everything). Timings are not asserted; which modules get imported is.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import pytest

import rrscore

HEAVY = ("pandas", "numba", "scipy", "anndata", "matplotlib", "gseapy", "lifelines",
         "jsonschema", "sklearn", "scanpy")


def _imported_after(code: str) -> set[str]:
    probe = (f"import sys\n{code}\nimport json\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize("code", [
    "import rrscore",
    "import rrscore; rrscore.__version__; rrscore.RRScoreError",
    "from rrscore.cli import main",
])
def test_imports_nothing_heavy(code):
    heavy = _imported_after(code) & set(HEAVY)
    assert heavy == set(), f"{code!r} imports {sorted(heavy)}"


def test_cli_help_imports_nothing_heavy():
    probe = ("import sys\nfrom rrscore.cli import main\n"
             "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_scoring_modules_import_numba_only_when_a_kernel_runs():
    # the kernels import numba through rrscore._numba's stand-in; dispatchers are created
    # on a kernel's first call
    imported = _imported_after("import rrscore._api, rrscore.methods, rrscore.radiation, "
                               "rrscore.ranking")
    assert "numba" not in imported
    ran = _imported_after("import numpy as np, rrscore.ranking as r\n"
                          "r.average_ranks(np.array([[1.0, 3.0, 2.0]]))")
    assert "numba" in ran


def test_statistics_and_plots_stay_out_of_scoring():
    # scoring needs pandas, scipy.sparse and numba; not lifelines, gseapy or matplotlib
    imported = _imported_after("import rrscore; rrscore.score; rrscore.radioresistance")
    assert imported & {"lifelines", "gseapy", "matplotlib"} == set()


@pytest.mark.parametrize("name", sorted(rrscore.__all__))
def test_every_public_name_is_the_defining_modules_object(name):
    value = getattr(rrscore, name)
    home = rrscore._LAZY_ATTRIBUTES.get(name)
    if home is not None:
        assert value is getattr(importlib.import_module(home), name)
    assert name in dir(rrscore)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        rrscore.nope  # noqa: B018


def test_subpackages_are_attributes():
    for name in ("tl", "pl", "get", "stats", "genesets", "radiation", "methods"):
        assert getattr(rrscore, name) is importlib.import_module(f"rrscore.{name}")
