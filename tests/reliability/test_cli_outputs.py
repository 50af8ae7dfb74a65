"""The CLI never writes over its inputs, writes all or nothing, and says what went wrong in one
line, with the CLI's own spellings."""

from __future__ import annotations

import warnings
from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
from rrscore import _outputs as outputs
from rrscore.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent"


@pytest.fixture(scope="module")
def expr_path(tmp_path_factory) -> Path:
    expr = pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0).dropna().iloc[:4000, :8]
    path = tmp_path_factory.mktemp("cli_io") / "expr.tsv"
    expr.to_csv(path, sep="\t")
    return path


@pytest.fixture
def workdir(expr_path, tmp_path) -> Path:
    """A fresh copy of the input in an empty folder."""
    (tmp_path / "expr.tsv").write_bytes(expr_path.read_bytes())
    return tmp_path


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _files(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


@pytest.mark.parametrize(
    "args",
    [
        ["score", "{in}", "-o", "{in}"],
        ["score", "{in}", "-o", "out.tsv", "--coverage", "{in}"],
        ["radioresistance", "{in}", "--nan-policy", "drop_genes", "-o", "{in}"],
        ["radioresistance", "{in}", "--nan-policy", "drop_genes", "--contributions", "{in}"],
        ["radioresistance", "{in}", "--nan-policy", "drop_genes", "--save-reference", "{in}"],
        ["rsi", "{in}", "--missing", "warn", "-o", "{in}"],
    ],
)
def test_an_output_naming_an_input_is_refused_and_the_input_kept(workdir, args):
    src = workdir / "expr.tsv"
    before = src.read_bytes()
    argv = [a.replace("{in}", str(src)) if "{in}" in a else
            (str(workdir / a) if a.endswith(".tsv") else a) for a in args]
    result = _run(*argv)
    assert result.exit_code == 1
    assert "is an input of this command" in result.output
    assert "Traceback" not in result.output
    assert src.read_bytes() == before
    assert _files(workdir) == {"expr.tsv"}


def test_the_same_file_through_another_path_is_refused(workdir):
    src = workdir / "expr.tsv"
    sneaky = workdir / "sub" / ".." / "expr.tsv"
    (workdir / "sub").mkdir()
    result = _run("score", src, "-o", sneaky)
    assert result.exit_code == 1 and "is an input" in result.output


def test_a_failed_run_leaves_nothing_behind(workdir):
    out, cov = workdir / "scores.tsv", workdir / "coverage.tsv"
    # every set is filtered out by the size limit: the run fails after reading the data
    result = _run("score", workdir / "expr.tsv", "-o", out, "--coverage", cov,
                  "--min-size", "100000")
    assert result.exit_code == 1
    assert _files(workdir) == {"expr.tsv"}


def test_a_write_that_fails_midway_leaves_no_file_and_no_temporary(workdir, monkeypatch):
    real = outputs._write_table
    calls = []

    def flaky(table, path, fmt, compress, **kwargs):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(table, path, fmt, compress, **kwargs)

    monkeypatch.setattr(outputs, "_write_table", flaky)
    result = _run("score", workdir / "expr.tsv", "-o", workdir / "scores.tsv", "--coverage",
                  workdir / "coverage.tsv", "-q")
    assert result.exit_code == 1
    assert "No space left" in result.output
    assert _files(workdir) == {"expr.tsv"}  # neither the first file nor a .part file


def test_an_existing_output_is_replaced_whole_only_on_success(workdir):
    out = workdir / "scores.tsv"
    out.write_text("previous results\n")
    result = _run("score", workdir / "expr.tsv", "-o", out, "--min-size", "100000")
    assert result.exit_code == 1
    assert out.read_text() == "previous results\n"
    assert _run("score", workdir / "expr.tsv", "-o", out, "-q").exit_code == 0
    assert pd.read_csv(out, sep="\t", index_col=0).shape[0] == 8


def test_output_formats_follow_the_extension_or_are_refused(workdir):
    h5ad = workdir / "scores.h5ad"
    assert _run("score", workdir / "expr.tsv", "-o", h5ad, "-q").exit_code == 0
    adata = ad.read_h5ad(h5ad)
    expected = rrscore.score(pd.read_csv(workdir / "expr.tsv", sep="\t", index_col=0),
                             "hallmark", low_coverage=0)
    np.testing.assert_allclose(adata.obsm["rrscore"].to_numpy(), expected.to_numpy(),
                               rtol=1e-12)
    assert list(adata.obs_names) == list(expected.index)
    gz = workdir / "scores.csv.gz"
    assert _run("score", workdir / "expr.tsv", "-o", gz, "-q").exit_code == 0
    assert pd.read_csv(gz, index_col=0).shape == expected.shape
    for bad in ("scores.xlsx", "scores.json", "scores.parquet.gz"):
        result = _run("score", workdir / "expr.tsv", "-o", workdir / bad, "-q")
        assert result.exit_code == 1
        assert "output formats are" in result.output
        assert not (workdir / bad).exists()


def test_a_missing_output_directory_is_one_line(workdir):
    result = _run("score", workdir / "expr.tsv", "-o", workdir / "nope" / "s.tsv")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "does not exist" in result.output


@pytest.mark.parametrize(
    ("method", "param", "message"),
    [
        ("ssgsea", "alpha=abc", "alpha takes a number"),
        ("ucell", "max_rank=abc", "max_rank takes an integer"),
        ("ucell", "max_rank=1.5", "max_rank takes an integer"),
        ("ssgsea", "normalize=maybe", "normalize takes true or false"),
        ("ssgsea", "tau=1", "has no parameter 'tau'"),
    ],
)
def test_method_parameters_are_typed_by_the_method(workdir, method, param, message):
    result = _run("score", workdir / "expr.tsv", "-m", method, "-p", param, "-q")
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_kcdf_none_is_the_string_none(workdir):
    out = workdir / "g.tsv"
    result = _run("score", workdir / "expr.tsv", "-m", "gsva", "-p", "kcdf=none", "-o", out,
                  "-g", "mechanisms", "-q")
    assert result.exit_code == 0, result.output
    expected = rrscore.score(pd.read_csv(workdir / "expr.tsv", sep="\t", index_col=0),
                             "mechanisms", "gsva", kcdf="none", low_coverage=0)
    got = pd.read_csv(out, sep="\t", index_col=0)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=1e-12)


def test_errors_use_the_cli_spelling(tmp_path):
    expr = pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0).iloc[:3000, :5]
    assert expr.isna().any().any()  # the Agilent table has missing values
    path = tmp_path / "with_nan.tsv"
    expr.to_csv(path, sep="\t")
    result = _run("score", path)
    assert result.exit_code == 1
    assert "--nan-policy drop_genes" in result.output
    assert "nan_policy=" not in result.output


def test_only_rrscores_warnings_are_shown(workdir, monkeypatch):
    import rrscore.expression._readers as readers
    from rrscore.errors import LowCoverageWarning

    real = readers.read_expression

    def noisy(path):
        warnings.warn("a dependency's file-format note", UserWarning, stacklevel=1)
        warnings.warn("rrscore's own warning", LowCoverageWarning, stacklevel=1)
        return real(path)

    monkeypatch.setattr(readers, "read_expression", noisy)
    result = _run("score", workdir / "expr.tsv", "-o", workdir / "s.tsv", "-q")
    assert result.exit_code == 0, result.output
    assert "rrscore's own warning" in result.output
    assert "file-format note" not in result.output


def test_a_hard_link_to_an_input_is_the_input_and_outputs_get_the_umask_mode(tmp_path):
    """An output that is the same file as an input under another name (a hard link here; a
    different letter case on macOS/Windows) is refused; outputs are created with the mode
    open() gives under the umask, not mkstemp's 0600 (fresh-user report F3, F7)."""
    import os

    from rrscore._outputs import OutputPlan
    from rrscore.errors import RRScoreError

    data = tmp_path / "expr.tsv"
    data.write_text("gene\ts1\nA\t1\n")
    alias = tmp_path / "alias.tsv"
    os.link(data, alias)
    with pytest.raises(RRScoreError, match="is an input of this command"):
        OutputPlan([data]).table(alias)
    old = os.umask(0o027)
    try:
        plan = OutputPlan([data])
        out = plan.table(tmp_path / "out.tsv")
        plan.set_table(out, pd.DataFrame({"x": [1.0]}, index=["s1"]))
        plan.commit()
    finally:
        os.umask(old)
    assert (tmp_path / "out.tsv").stat().st_mode & 0o777 == 0o640
