"""The command line: score, methods, genesets; errors without tracebacks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
from rrscore.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples/data/tcga_luad_agilent/expr.tsv.gz"


@pytest.fixture(scope="module")
def small_input(tmp_path_factory) -> Path:
    expr = pd.read_csv(EXAMPLE, sep="\t", index_col=0).dropna().iloc[:3000, :6]
    path = tmp_path_factory.mktemp("cli") / "expr.tsv"
    expr.to_csv(path, sep="\t")
    return path


def test_score_writes_samples_as_rows_matching_the_python_api(small_input, tmp_path):
    out = tmp_path / "scores.tsv"
    cov = tmp_path / "coverage.tsv"
    result = CliRunner().invoke(
        main, ["score", str(small_input), "-g", "hallmark", "-o", str(out), "-p", "alpha=0.5",
               "--min-size", "5", "--coverage", str(cov)],
    )
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, sep="\t", index_col=0)
    expected = rrscore.score(pd.read_csv(small_input, sep="\t", index_col=0), "hallmark",
                             alpha=0.5, min_size=5, low_coverage=0)
    assert list(scores.index) == list(expected.index)
    np.testing.assert_allclose(scores.to_numpy(), expected.to_numpy(), rtol=1e-12)
    coverage = pd.read_csv(cov, sep="\t", index_col=0)
    assert coverage["kept"].sum() == scores.shape[1]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_output_format_follows_the_extension(small_input, tmp_path, suffix):
    out = tmp_path / f"scores{suffix}"
    result = CliRunner().invoke(main, ["score", str(small_input), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    table = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out, index_col=0)
    assert table.shape[0] == 6 and "HALLMARK_HYPOXIA" in table.columns


def test_gct_input_is_read(small_input, tmp_path):
    expr = pd.read_csv(small_input, sep="\t", index_col=0)
    gct = tmp_path / "expr.gct"
    body = expr.copy()
    body.insert(0, "Description", "na")
    with open(gct, "w") as fh:
        fh.write(f"#1.2\n{expr.shape[0]}\t{expr.shape[1]}\n")
        body.to_csv(fh, sep="\t", index_label="Name")
    out = tmp_path / "o.tsv"
    assert CliRunner().invoke(main, ["score", str(gct), "-o", str(out), "-q"]).exit_code == 0
    ref = tmp_path / "r.tsv"
    run = CliRunner().invoke(main, ["score", str(small_input), "-o", str(ref), "-q"])
    assert run.exit_code == 0
    pd.testing.assert_frame_equal(pd.read_csv(out, sep="\t"), pd.read_csv(ref, sep="\t"))


def test_user_errors_print_one_line_without_traceback(tmp_path):
    bad = tmp_path / "bad.tsv"
    # Probe IDs: Ensembl/Entrez IDs would be mapped to symbols, probes are not.
    pd.DataFrame({"gene": ["1007_s_at", "1053_at"], "s1": [1.0, 2.0],
                  "s2": [3.0, 1.0]}).to_csv(bad, sep="\t", index=False)
    result = CliRunner().invoke(main, ["score", str(bad), "-q"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Affymetrix probe IDs" in result.output
    missing = CliRunner().invoke(main, ["score", str(tmp_path / "nope.tsv")])
    assert missing.exit_code == 1 and "not found" in missing.output
    unknown = CliRunner().invoke(main, ["score", str(bad), "-m", "nosuch"])
    assert unknown.exit_code == 1 and "unknown method 'nosuch'" in unknown.output


def test_methods_and_genesets_commands(tmp_path):
    methods = CliRunner().invoke(main, ["methods"])
    assert methods.exit_code == 0 and "ssgsea" in methods.output and "alpha=0.25" in methods.output
    listing = CliRunner().invoke(main, ["genesets", "list"])
    assert listing.exit_code == 0 and "hallmark" in listing.output and "50 sets" in listing.output
    out = tmp_path / "h.gmt"
    export = CliRunner().invoke(main, ["genesets", "export", "hallmark", "-o", str(out)])
    assert export.exit_code == 0
    assert rrscore.read_gmt(out).names == rrscore.genesets.load("hallmark").names


def test_map_ids_off_requires_exact_identifiers(tmp_path):
    data = pd.DataFrame({"s1": [1.0, 2.0, 3.0, 4.0], "s2": [4.0, 3.0, 2.0, 1.0]},
                        index=["ENSG00000141510", "ENSG00000135679", "ENSG00000124762",
                               "ENSG00000150907"])  # TP53, MDM2, CDKN1A, FOXO1
    path = tmp_path / "ens.tsv"
    data.to_csv(path, sep="\t")
    sets = tmp_path / "p53.gmt"
    sets.write_text("P53\t\tTP53\tMDM2\tCDKN1A\n")
    mapped = CliRunner().invoke(main, ["score", str(path), "-g", str(sets), "-q",
                                       "-p", "normalize=false"])
    assert mapped.exit_code == 0, mapped.output
    assert "P53" in mapped.output.splitlines()[0]
    exact = CliRunner().invoke(main, ["score", str(path), "-g", str(sets), "--map-ids", "off"])
    assert exact.exit_code == 1 and "Ensembl gene IDs" in exact.output
