"""Every script in ``examples/`` runs, in its own process, as a user would run it.

Scripts that need ``../shared/data`` are skipped without it; each runs with ``--quick`` where it
has one and writes its files to a temporary folder, never into the repository. A script that
takes more than ~30 s runs only when ``RRSCORE_SLOW_EXAMPLES=1`` (today: ``make_results.py``,
which runs the three evidence scripts again, ~35 s). Beyond "it runs", each test checks a
property of what the script prints that a wrong implementation would break (exact and
permutation p-values on their lattices, the replicate counts taken from the data files).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import SHARED_DATA

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: Scripts that read ../shared/data (they print "skipped" and exit 0 without it).
NEEDS_SHARED = {"radioresistance_celllines.py", "radioresistance_radiogx.py",
                "singlecell_lung_celllines.py", "make_results.py"}
#: Scripts over ~30 s: run only with RRSCORE_SLOW_EXAMPLES=1.
SLOW = {"make_results.py"}


def _run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(EXAMPLES / script), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "MPLBACKEND": "Agg"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    return done.stdout


def _needs(script: str) -> None:
    if script in SLOW and os.environ.get("RRSCORE_SLOW_EXAMPLES") != "1":
        pytest.skip(f"{script} takes > 30 s: set RRSCORE_SLOW_EXAMPLES=1 to run it")
    if script in NEEDS_SHARED and not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")


def test_every_example_has_a_test():
    scripts = {p.name for p in EXAMPLES.glob("*.py")}
    tested = {"radioresistance_tcga_luad.py", "radioresistance_celllines.py",
              "radioresistance_radiogx.py", "scores_to_answers.py",
              "singlecell_lung_celllines.py", "make_results.py"}
    assert scripts == tested, f"untested or vanished examples: {scripts ^ tested}"


def test_tcga_example_runs_on_the_bundled_cohort():
    out = _run("radioresistance_tcga_luad.py", "--quick")
    samples = pd.read_csv(EXAMPLES / "data/tcga_luad_agilent/samples.tsv", sep="\t")
    n_mut = int(((samples["mut_KEAP1"] == 1) | (samples["mut_NFE2L2"] == 1)).sum())
    assert f"KEAP1- or NFE2L2-mutant: {n_mut} tumours" in out
    assert f"wild-type: {len(samples) - n_mut}" in out
    rows = re.findall(r"^\| (composite vs [^|]+) \| ([+-]\d\.\d\d) \| ([\d.e-]+) \| ([\d.e-]+) \|",
                      out, flags=re.M)
    assert len(rows) >= 2
    for _label, _rho, p, q in rows:
        # permutation p with 999 orderings: never below 1/1000, and q >= p (BH)
        assert float(p) >= 1 / 1000 and float(q) >= float(p)


def test_cell_line_example_uses_lines_not_cells_as_replicates():
    _needs("radioresistance_celllines.py")
    out = _run("radioresistance_celllines.py", "--quick")
    cells = pd.read_csv(SHARED_DATA / "sc_mixology_luad_celllines_celseq2/samples.tsv",
                        sep="\t")
    assert f"{int((cells['demuxlet_cls'] == 'SNG').sum())} singlet cells" in out
    ranks = re.findall(r"A549 ranks (\d) of 5 \(p = \d/5 = ([\d.]+)", out)
    assert len(ranks) == 2
    for rank, p in ranks:  # a rank among five lines, not a test over hundreds of cells
        assert float(p) == pytest.approx(int(rank) / 5)
    assert "Mann–Whitney" not in out


def test_radiogx_example_gives_exact_permutation_p():
    _needs("radioresistance_radiogx.py")
    out = _run("radioresistance_radiogx.py", "--quick")
    found = re.findall(r"ρ\(SF2, (\w+)\) = ([+-]\d\.\d\d) \(exact p = ([\d.]+)", out)
    assert [name for name, *_ in found] == ["composite", "RSI"]
    for _name, rho, p in found:
        # exact p over 120 orderings is a multiple of 1/120 (shown to 3 decimals)
        assert abs(float(p) * 120 - round(float(p) * 120)) < 0.07
        assert Fraction(round(float(p) * 120), 120) >= Fraction(2, 120)
        assert -1 <= float(rho) <= 1


def test_scores_to_answers_writes_its_files_where_told(tmp_path):
    out = _run("scores_to_answers.py", "--quick", "--outdir", str(tmp_path))
    written = {p.name for p in tmp_path.iterdir()}
    assert {"keap1_compare.tsv", "keap1_gsea.tsv", "composite_cox.tsv",
            "scores_to_answers.png"} <= written
    table = pd.read_csv(tmp_path / "keap1_compare.tsv", sep="\t")
    assert f"q over the {len(table)} tests" in out
    assert (table["qvalue"] >= table["pvalue"] - 1e-12).all()


def test_singlecell_example_draws_its_figure(tmp_path):
    _needs("singlecell_lung_celllines.py")
    figure = tmp_path / "heatmap.png"
    out = _run("singlecell_lung_celllines.py", "--out", str(figure))
    assert figure.stat().st_size > 10_000
    assert re.search(r"RR_DRIVER_NRF2_TARGETS.*: highest in A549", out)


def test_make_results_writes_the_evidence_page(tmp_path):
    _needs("make_results.py")
    page = tmp_path / "RESULTS.md"
    _run("make_results.py", "--out", str(page))
    text = page.read_text()
    for heading in ("## 1. Lung cell lines", "## 2. TCGA LUAD", "## 3. RadioGx"):
        assert heading in text
    assert text == (EXAMPLES / "RESULTS.md").read_text(), (
        "examples/RESULTS.md is not what the scripts print now: run "
        "python examples/make_results.py")
