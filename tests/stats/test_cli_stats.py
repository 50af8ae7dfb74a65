"""``rrscore compare`` and ``rrscore survival`` on the bundled TCGA files: the same numbers as
the Python functions, scipy and lifelines; errors in one line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy import stats

from rrscore.cli import main
from rrscore.stats import compare, survival
from tests.stats.conftest import COHORT

SAMPLES = str(COHORT / "samples.tsv")


@pytest.fixture(scope="module")
def rr_file(rr, tmp_path_factory):
    path = tmp_path_factory.mktemp("stats_cli") / "rr.tsv"
    table = rr.copy()
    table.attrs = {}
    table.to_csv(path, sep="\t")
    return path


def test_compare_on_the_bundled_cohort(rr_file, rr, tmp_path):
    out = tmp_path / "keap1.tsv"
    result = CliRunner().invoke(main, ["compare", str(rr_file), "--by", "driver_KEAP1_NFE2L2",
                                       "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "RR_DRIVER_NRF2_TARGETS" in result.output.splitlines()[-1]
    table = pd.read_csv(out, sep="\t")
    expected = compare(rr, "driver_KEAP1_NFE2L2")
    assert list(table.columns) == list(expected.columns)  # no unnamed 0..n column
    np.testing.assert_allclose(table["pvalue"], expected["pvalue"], rtol=1e-12)
    np.testing.assert_allclose(table["qvalue"], expected["qvalue"], rtol=1e-12)
    mutant = rr["driver_KEAP1_NFE2L2"] == 1
    nrf2 = table.set_index("score").loc["RR_DRIVER_NRF2_TARGETS"]
    ref = stats.mannwhitneyu(rr.loc[mutant, "RR_DRIVER_NRF2_TARGETS"],
                             rr.loc[~mutant, "RR_DRIVER_NRF2_TARGETS"], method="exact")
    assert nrf2["pvalue"] == pytest.approx(ref.pvalue, rel=1e-12)


def test_compare_groups_from_an_annotation_file(rr_file, rr, samples):
    result = CliRunner().invoke(main, ["compare", str(rr_file), "--groups", SAMPLES, "--by",
                                       "mut_STK11", "--by", "mut_TP53", "--test", "welch",
                                       "--sets", "composite", "-q"])
    assert result.exit_code == 0, result.output
    from io import StringIO

    table = pd.read_csv(StringIO(result.output), sep="\t")
    assert table.columns[0] == "grouping"  # no unnamed 0..n column on stdout either
    assert list(table["grouping"]) == ["mut_STK11", "mut_TP53"]
    for row in table.itertuples():
        mutant = samples.loc[rr.index, row.grouping] == 1
        ref = stats.ttest_ind(rr.loc[mutant, "composite"], rr.loc[~mutant, "composite"],
                              equal_var=False)
        assert row.pvalue == pytest.approx(ref.pvalue, rel=1e-10)


def test_survival_with_covariates_and_kaplan_meier(rr_file, rr, samples, tmp_path):
    out, km_out, km_png = tmp_path / "cox.tsv", tmp_path / "km.tsv", tmp_path / "km.png"
    result = CliRunner().invoke(main, [
        "survival", str(rr_file), "--clinical", SAMPLES, "--sets", "composite",
        "--covariate", "age", "--km-groups", "driver_KEAP1_NFE2L2", "--km-output", str(km_out),
        "--km-plot", str(km_png), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 events" in result.output and "exploratory" in result.output
    table = pd.read_csv(out, sep="\t")
    with pytest.warns(UserWarning):
        expected = survival(rr, samples, sets=["composite"], covariates=["age"])
    np.testing.assert_allclose(table["coef"], expected["coef"], rtol=1e-9)
    assert list(table["term"]) == ["score", "age"]
    curves = pd.read_csv(km_out, sep="\t")
    assert list(table.columns) == list(expected.columns)
    assert not any(str(c).startswith("Unnamed") for c in curves.columns)
    assert set(curves["group"].astype(str)) == {"0", "1"}
    assert km_png.stat().st_size > 5_000


def test_errors_are_one_line(rr_file):
    result = CliRunner().invoke(main, ["compare", str(rr_file), "--by", "no_such_column"])
    assert result.exit_code == 1
    assert result.output.startswith("rrscore: error:") and "no_such_column" in result.output
    result = CliRunner().invoke(main, ["survival", str(rr_file)])
    assert result.exit_code == 1 and "time" in result.output


def test_outputs_never_replace_an_input_and_fail_whole(rr_file, tmp_path):
    """Fresh-user report F2/F5: compare and survival wrote over their inputs (exit 0), and a
    bad --km-plot left the main output behind with a traceback."""
    import shutil

    groups = tmp_path / "groups.tsv"
    shutil.copy(SAMPLES, groups)
    before = groups.read_bytes()
    runner = CliRunner()
    result = runner.invoke(main, ["compare", str(rr_file), "--groups", str(groups), "--by",
                                  "mut_TP53", "-o", str(groups)])
    assert result.exit_code != 0 and "is an input of this command" in result.output
    assert groups.read_bytes() == before
    result = runner.invoke(main, ["survival", str(rr_file), "--clinical", str(groups),
                                  "-o", str(groups)])
    assert result.exit_code != 0 and "is an input of this command" in result.output
    assert groups.read_bytes() == before
    rr_before = rr_file.read_bytes()
    result = runner.invoke(main, ["survival", str(rr_file), "--clinical", str(groups),
                                  "--km-groups", "driver_KEAP1_NFE2L2",
                                  "--km-output", str(rr_file)])
    assert result.exit_code != 0 and "is an input of this command" in result.output
    assert rr_file.read_bytes() == rr_before
    out = tmp_path / "s.tsv"
    result = runner.invoke(main, ["survival", str(rr_file), "--clinical", str(groups),
                                  "--km-groups", "driver_KEAP1_NFE2L2", "--km-plot",
                                  str(tmp_path / "km.tsv"), "-o", str(out)])
    assert result.exit_code != 0 and "not an image format" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["groups.tsv"]
