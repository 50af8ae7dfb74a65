"""Faulty expression files: one clear line (Python: InputDataError; CLI: exit 1), never a
traceback; byte-order marks and latin-1 descriptions read right (issue 10)."""

from __future__ import annotations

import gzip
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rrscore.cli import main
from rrscore.errors import InputDataError
from rrscore.expression._readers import read_expression

GENES = ["TP53", "EGFR", "KRAS", "MYC", "VIM", "CDH1", "ACTB", "GAPDH"]


@pytest.fixture
def table() -> pd.DataFrame:
    rng = np.random.default_rng(2)
    return pd.DataFrame(rng.gamma(2.0, 1.0, size=(len(GENES), 3)).round(6), index=GENES,
                        columns=["S1", "S2", "S3"])


def _gct12(table: pd.DataFrame, descriptions: list[str] | None = None,
           n_rows: int | None = None) -> str:
    lines = ["#1.2", f"{n_rows or table.shape[0]}\t{table.shape[1]}",
             "\t".join(["Name", "Description", *table.columns])]
    for i, (gene, row) in enumerate(table.iterrows()):
        desc = descriptions[i] if descriptions else "na"
        lines.append("\t".join([gene, desc, *(repr(float(v)) for v in row)]))
    return "\n".join(lines) + "\n"


def _faulty_files(table: pd.DataFrame, tmp_path) -> dict:
    """name -> (path, pattern the one-line message must match)."""
    files = {}

    def add(name, content: bytes, pattern):
        path = tmp_path / name
        path.write_bytes(content)
        files[name] = (path, pattern)

    tsv = table.to_csv(sep="\t").encode()
    add("empty.tsv", b"", "the file is empty")
    add("header_only.tsv", b"gene\tS1\tS2\n", "no data rows after the header")
    add("plain.tsv.gz", tsv, r"not gzip-compressed .*rename it")
    add("cut.tsv.gz", gzip.compress(tsv)[:-12], "cannot read")
    add("cut_line.tsv", tsv[:-25], r"cut off: its last line has \d of 4 fields")
    add("cut.gct", _gct12(table, n_rows=20).encode(), r"GCT header says 20 × 3, found 8 × 3")
    add("dims.gct", b"#1.2\nabc\tdef\nName\tDescription\tS1\n", "malformed GCT 1.2 dimension")
    latin = table.to_csv(sep="\t").replace("VIM", "VIMé").encode("latin-1")
    add("latin_label.tsv", latin, r"'VIMé' is not UTF-8 text .*iconv")
    add("latin_header.csv", "gène,S1\nTP53,1\nEGFR,2\n".encode("latin-1"),
        r"line 1 \(the header\) is not UTF-8 .*iconv")
    add("corrupt.h5ad", b"\x89HDF\r\n\x1a\n" + b"\0" * 200, "cannot read the h5ad file")
    add("text.h5ad", b"gene\tS1\n", "not an h5ad file")
    add("corrupt.parquet", b"PAR1" + b"\0" * 50 + b"PAR1", "cannot read the parquet file")
    table.to_parquet(tmp_path / "ok.parquet")
    whole = (tmp_path / "ok.parquet").read_bytes()
    add("cut.parquet", whole[: len(whole) // 2], "not a parquet file, or a cut-off one")
    add("ragged.csv", b"gene,S1,S2\nTP53,1,2\nEGFR,1,2,3,4\n", "malformed table")
    return files


def test_every_faulty_file_is_one_input_data_error(table, tmp_path):
    for name, (path, pattern) in _faulty_files(table, tmp_path).items():
        with pytest.raises(InputDataError, match=pattern) as info:
            read_expression(path)
        assert "\n" not in str(info.value), name


def test_the_cli_says_one_line_and_exits_1(table, tmp_path):
    runner = CliRunner()
    for name, (path, _) in _faulty_files(table, tmp_path).items():
        result = runner.invoke(main, ["score", str(path), "-g", "hallmark", "-o",
                                      str(tmp_path / f"{name}.out.tsv")])
        assert result.exit_code == 1, (name, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("rrscore: error:"), (name, lines)
        assert "Traceback" not in result.output


def test_byte_order_marks_are_removed(table, tmp_path):
    bom = "\ufeff"
    # R's write.table header (one field short): the mark would stick to the first sample
    r_style = "\t".join(table.columns) + "\n" + table.to_csv(sep="\t", header=False)
    (tmp_path / "r.tsv").write_text(bom + r_style, encoding="utf-8")
    (tmp_path / "a.csv").write_text(bom + table.to_csv(), encoding="utf-8")
    (tmp_path / "a.gct").write_text(bom + _gct12(table), encoding="utf-8")
    for name in ("r.tsv", "a.csv", "a.gct"):
        got = read_expression(tmp_path / name)
        assert list(got.columns) == ["S1", "S2", "S3"], name
        assert list(got.index) == GENES, name
        np.testing.assert_array_equal(got.to_numpy(), table.to_numpy(), err_msg=name)


def test_latin1_descriptions_of_a_gct_are_read(table, tmp_path):
    text = _gct12(table, descriptions=[f"café {g}" for g in GENES])
    (tmp_path / "latin.gct").write_bytes(text.encode("latin-1"))
    got = read_expression(tmp_path / "latin.gct")
    assert list(got.columns) == ["S1", "S2", "S3"] and list(got.index) == GENES
    np.testing.assert_array_equal(got.to_numpy(), table.to_numpy())


def test_utf8_labels_survive_the_latin1_fallback(table, tmp_path):
    # a UTF-8 sample name in a file whose descriptions are latin-1: the name is UTF-8 text
    renamed = table.rename(columns={"S1": "Süd"}, index={"VIM": "VIM"})
    text = _gct12(renamed, descriptions=["x"] * 4 + ["\xe9"] * 4)
    raw = text.encode("utf-8").replace("\xe9".encode(), b"\xe9")  # descriptions in latin-1
    (tmp_path / "mixed.gct").write_bytes(raw)
    got = read_expression(tmp_path / "mixed.gct")
    assert list(got.columns) == ["Süd", "S2", "S3"]


def test_gzip_is_recognised_from_the_bytes(table, tmp_path):
    (tmp_path / "a.tsv").write_bytes(gzip.compress(table.to_csv(sep="\t").encode()))
    got = read_expression(tmp_path / "a.tsv")
    np.testing.assert_array_equal(got.to_numpy(), table.to_numpy())


def test_reading_h5ad_passes_on_no_anndata_warning(table, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = ad.AnnData(table.T.to_numpy(), obs=pd.DataFrame(index=table.columns),
                           var=pd.DataFrame(index=["TP53", "TP53", *GENES[2:]]))
        adata.write_h5ad(tmp_path / "dup.h5ad")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = read_expression(tmp_path / "dup.h5ad")
    assert got.shape == (3, len(GENES))
    assert not [w for w in caught if "rrscore" not in w.category.__module__], \
        [str(w.message) for w in caught]
