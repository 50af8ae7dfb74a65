"""Command line: ``rrscore radioresistance`` and ``rrscore rsi``, against the Python API."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rrscore.cli import main
from rrscore.radiation import dose_for_gard, gard, radioresistance, rsi

EXAMPLE = Path(__file__).resolve().parents[1] / "examples/data/tcga_luad_agilent"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """Twelve tumours of the example cohort, genes without missing values, as a TSV."""
    expr = pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0).dropna().iloc[:, :12]
    path = tmp_path_factory.mktemp("cli_rr") / "cohort.tsv"
    expr.to_csv(path, sep="\t")
    return path, expr


def _run(args: list[str]):
    result = CliRunner().invoke(main, args)
    return result


def test_radioresistance_matches_the_python_api(cohort, tmp_path):
    path, expr = cohort
    out, contrib = tmp_path / "rr.tsv", tmp_path / "contrib.tsv"
    result = _run(["radioresistance", str(path), "-o", str(out), "--contributions", str(contrib),
                   "--mutations", str(EXAMPLE / "samples.tsv")])
    assert result.exit_code == 0, result.output
    assert "against this cohort (scores are relative to it)" in result.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    samples = pd.read_csv(EXAMPLE / "samples.tsv", sep="\t", index_col=0)
    expected = radioresistance(expr, mutations=samples)
    assert list(table.columns) == list(expected.columns)
    assert list(table.index) == list(expected.index)
    np.testing.assert_allclose(table.to_numpy(dtype=float), expected.to_numpy(dtype=float),
                               rtol=1e-13, atol=1e-15)
    parts = pd.read_csv(contrib, sep="\t", index_col=0)
    np.testing.assert_allclose(parts.sum(axis=1), table["composite"], atol=1e-12)


def test_saved_reference_scores_a_single_sample_file(cohort, tmp_path):
    path, expr = cohort
    ref, cohort_out = tmp_path / "ref.json", tmp_path / "cohort_scores.tsv"
    result = _run(["radioresistance", str(path), "--save-reference", str(ref),
                   "-o", str(cohort_out), "-q"])
    assert result.exit_code == 0, result.output
    record = json.loads(ref.read_text())
    assert record["reference"]["n_samples"] == 12 and record["method"] == "singscore"

    one = tmp_path / "one.tsv"
    expr.iloc[:, [5]].to_csv(one, sep="\t")
    single_out = tmp_path / "one_scores.tsv"
    result = _run(["radioresistance", str(one), "--reference", str(ref), "-o", str(single_out)])
    assert result.exit_code == 0, result.output
    assert "12 samples" in result.output
    single = pd.read_csv(single_out, sep="\t", index_col=0)
    within = pd.read_csv(cohort_out, sep="\t", index_col=0)
    assert list(single.index) == [expr.columns[5]]
    np.testing.assert_allclose(single.iloc[0].to_numpy(), within.loc[expr.columns[5]].to_numpy(),
                               rtol=0, atol=1e-15)


def test_radioresistance_options_and_errors(cohort, tmp_path):
    path, expr = cohort
    out = tmp_path / "w.tsv"
    result = _run(["radioresistance", str(path), "-o", str(out), "-q",
                   "-w", "RR_DNA_REPAIR=3", "-w", "RR_EMT=1", "-m", "ssgsea",
                   "-p", "normalize=false"])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    np.testing.assert_allclose(table["composite"],
                               0.75 * table["RR_DNA_REPAIR"] + 0.25 * table["RR_EMT"],
                               atol=1e-12)
    expected = radioresistance(expr, method="ssgsea", normalize=False,
                               weights={"RR_DNA_REPAIR": 3, "RR_EMT": 1})
    np.testing.assert_allclose(table.to_numpy(), expected.to_numpy(), rtol=1e-13, atol=1e-15)

    bad = _run(["radioresistance", str(path), "-w", "RR_NOPE=1"])
    assert bad.exit_code == 1
    assert "error: weights name unknown mechanisms" in bad.output
    assert "Traceback" not in bad.output
    both = _run(["radioresistance", str(path), "--reference", "a.json",
                 "--save-reference", "b.json"])
    assert both.exit_code == 2


def test_rsi_command_gives_rsi_and_gard(tmp_path, tests_data):
    expr = pd.read_csv(tests_data / "radiogx_small" / "expr.tsv.gz", sep="\t", index_col=0)
    path = tmp_path / "radiogx.tsv"
    expr.to_csv(path, sep="\t")
    out = tmp_path / "rsi.tsv"
    result = _run(["rsi", str(path), "--fractions", "33", "--dose", "1.8",
                   "--target-gard", "33", "-o", str(out)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    assert list(table.columns) == ["RSI", "GARD", "dose_for_gard"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = rsi(expr)
    np.testing.assert_allclose(table["RSI"], values, rtol=1e-14)
    np.testing.assert_allclose(table["GARD"], gard(values, fractions=33, dose=1.8), rtol=1e-14)
    np.testing.assert_allclose(table["dose_for_gard"], dose_for_gard(values, 33, dose=1.8),
                               rtol=1e-14)
    default = _run(["rsi", str(path)])
    assert default.exit_code == 0
    lines = default.stdout.strip().splitlines()
    assert lines[0].split("\t") == ["sample", "RSI", "GARD"]
    first = lines[1].split("\t")
    assert float(first[2]) == pytest.approx(float(gard(float(first[1]))), rel=1e-12)


def test_radioresistance_adjust_significance_and_sequenced(cohort, tmp_path):
    path, expr = cohort
    samples = pd.read_csv(EXAMPLE / "samples.tsv", sep="\t", index_col=0)
    sequenced = tmp_path / "sequenced.txt"
    sequenced.write_text("\n".join(expr.columns) + "\n")
    out = tmp_path / "adjusted.tsv"
    result = _run(["radioresistance", str(path), "-o", str(out), "-q", "--adjust",
                   "proliferation", "--adjust", "stromal", "--significance", "20", "--seed",
                   "5", "--mutations", str(EXAMPLE / "samples.tsv"), "--sequenced",
                   str(sequenced)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out, sep="\t", index_col=0)
    expected = radioresistance(expr, adjust=["proliferation", "stromal"], significance=20,
                               seed=5, mutations=samples, sequenced=list(expr.columns))
    assert list(table.columns) == list(expected.columns)
    assert {"proliferation", "stromal", "immune", "RR_EMT_p", "RR_EMT_null_z"} <= \
        set(table.columns)
    np.testing.assert_allclose(table.to_numpy(dtype=float), expected.to_numpy(dtype=float),
                               rtol=1e-12, atol=1e-14)
    bad = _run(["radioresistance", str(path), "--adjust", "purity"])
    assert bad.exit_code == 2  # not one of the confounder columns


def test_a_reference_that_is_not_one_is_a_one_line_error(cohort, tmp_path):
    path, _ = cohort
    for text, message in (("[1, 2]", "the JSON holds list"),
                          ('{"format": "rrscore.RadioresistanceScorer", "format_version": 1}',
                           "format version 1"),
                          ('{"format": "rrscore.RadioresistanceScorer", "format_version": 2, '
                           '"reference": {"sd": {"A": NaN}}}', "NaN is not a number")):
        ref = tmp_path / "ref.json"
        ref.write_text(text)
        result = _run(["radioresistance", str(path), "--reference", str(ref)])
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
        errors = [line for line in result.output.splitlines() if "error:" in line]
        assert len(errors) == 1


def test_rsi_help_says_not_for_dose_decisions_and_log_ratios_warn(tmp_path):
    help_text = _run(["rsi", "--help"]).output
    assert "NOT FOR DOSE DECISIONS" in help_text
    expr = pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0).iloc[:, :6]
    path = tmp_path / "agilent.tsv"
    expr.to_csv(path, sep="\t")
    result = _run(["rsi", str(path), "-o", str(tmp_path / "rsi.tsv")])
    assert result.exit_code == 0, result.output
    assert "off their published scale" in result.output
