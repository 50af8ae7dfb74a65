"""Text expression files: every layout, orientation and compression reads the written values.

Issue 10 (fresh-user battery, F9 F10 F12 F17 F18). The right value is the table the file was
written from (and rrscore.score of that in-memory table); every faulty spelling of the same
file must read as it, or fail in one line that says what is wrong:

* a separator at the end of every line (TSV, CSV, GCT), of the header only, or of the data
  rows only (which R's ``write.table`` rule read as a header one field short, shifting every
  label by one column: silently wrong scores under ``--nan-policy drop_genes``);
* labels are text as written: ``001``/``0012`` are not 1/12, ``NA``/``None``/``NULL``/``nan``
  are labels, not missing;
* a compressed table whose last line is cut (a complete gzip/bz2/xz/zip stream) is "cut off";
* one bad cell (``1.2e``, a decimal comma ``1,5``) is named with its row and column.
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import warnings
import zipfile

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
from rrscore.cli import main
from rrscore.errors import InputDataError
from rrscore.expression._files import names_label_column
from rrscore.expression._readers import read_expression

GENES = ["TP53", "EGFR", "KRAS", "MYC", "VIM", "CDH1", "ACTB", "GAPDH", "SOX2", "NFE2L2",
         "KEAP1", "STK11", "CD3E", "HIF1A", "VEGFA", "CA9"]
SAMPLES = ["S1", "S2", "S3", "S4", "S5"]
SETS = {"A": ["TP53", "MYC", "VIM", "SOX2", "CA9"], "B": ["EGFR", "KRAS", "ACTB", "HIF1A"]}
ORIENTS = ["genes_rows", "genes_columns"]
COMPRESSIONS = ["", ".gz", ".bz2", ".xz", ".zip"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Genes × samples, three decimals (written and read back exactly)."""
    rng = np.random.default_rng(11)
    return pd.DataFrame(rng.gamma(3.0, 1.5, size=(len(GENES), len(SAMPLES))).round(3),
                        index=GENES, columns=SAMPLES)


def _oriented(table: pd.DataFrame, orient: str) -> pd.DataFrame:
    return table if orient == "genes_rows" else table.T


def _rows(frame: pd.DataFrame, label: str = "gene") -> tuple[list[str], list[list[str]]]:
    """Header and data rows of the clean layout, as fields."""
    header = [label, *map(str, frame.columns)]
    rows = [[str(name), *(repr(float(v)) if not np.isnan(v) else "" for v in values)]
            for name, values in zip(frame.index, frame.to_numpy(), strict=True)]
    return header, rows


def _text(header: list[str], rows: list[list[str]], sep: str, layout: str = "clean") -> str:
    """The file's text in one of the layouts (R: the header lacks the label column's name)."""
    if layout.startswith("R"):
        header = header[1:]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(header + ([""] if "every line" in layout or "header" in layout else []))
    for row in rows:
        writer.writerow(row + ([""] if "every line" in layout or "rows" in layout else []))
    return buffer.getvalue()


def _save(text: str, path) -> None:
    """Write ``text`` compressed by the name's suffix (complete streams)."""
    data = text.encode()
    name = str(path)
    if name.endswith(".gz"):
        data = gzip.compress(data)
    elif name.endswith(".bz2"):
        data = bz2.compress(data)
    elif name.endswith(".xz"):
        data = lzma.compress(data)
    elif name.endswith(".zip"):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("table.tsv", data)
        data = buffer.getvalue()
    path.write_bytes(data)


def _gct(frame: pd.DataFrame, layout: str = "clean") -> str:
    """GCT 1.2 text of a genes × samples frame; trailing tabs by layout."""
    head = "\t" if "every line" in layout else ""
    rows = "\t" if "every line" in layout or "rows" in layout else ""
    lines = [f"#1.2{head}", f"{frame.shape[0]}\t{frame.shape[1]}{head}",
             "\t".join(["Name", "Description", *frame.columns]) + head]
    for gene, values in zip(frame.index, frame.to_numpy(), strict=True):
        lines.append("\t".join([gene, "na", *(repr(float(v)) for v in values)]) + rows)
    return "\n".join(lines) + "\n"


def _assert_same(got: pd.DataFrame, expected: pd.DataFrame, what: str) -> None:
    assert list(got.index) == [str(x) for x in expected.index], what
    assert list(got.columns) == [str(x) for x in expected.columns], what
    np.testing.assert_array_equal(got.to_numpy(dtype=float), expected.to_numpy(dtype=float),
                                  err_msg=what)


def _cli(*args) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def _gmt(tmp_path):
    path = tmp_path / "sets.gmt"
    path.write_text("".join(f"{s}\tna\t" + "\t".join(g) + "\n" for s, g in SETS.items()))
    return path


# --- F9, F18: trailing separators ------------------------------------------------------------

TRAILING = ["every line", "data rows", "header", "R", "R, every line", "R, data rows"]


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("layout", TRAILING)
@pytest.mark.parametrize("name", ["t.tsv", "t.csv", "t.tsv.gz", "t.csv.bz2", "t.tsv.xz"])
def test_trailing_separators_read_as_the_written_table(table, tmp_path, orient, layout, name):
    frame = _oriented(table, orient)
    sep = "," if ".csv" in name else "\t"
    _save(_text(*_rows(frame), sep, layout), tmp_path / name)
    _assert_same(read_expression(tmp_path / name), frame, f"{layout} {name}")


@pytest.mark.parametrize("label", ["", "gene", "sample_id", "ID_REF", "Unnamed: 0"])
def test_data_rows_ending_in_a_tab_whatever_the_label_column_name(table, tmp_path, label):
    frame = table.T  # samples × genes, as in the report
    _save(_text(*_rows(frame, label), "\t", "data rows"), tmp_path / "t.tsv")
    got = read_expression(tmp_path / "t.tsv")
    _assert_same(got, frame, label)
    assert got.index.name == (label or None)


@pytest.mark.parametrize("layout", ["every line", "data rows"])
@pytest.mark.parametrize("name", ["t.gct", "t.gct.gz"])
def test_gct_with_trailing_tabs_reads_as_the_clean_gct(table, tmp_path, layout, name):
    _save(_gct(table, layout), tmp_path / name)
    _assert_same(read_expression(tmp_path / name), table, f"{layout} {name}")


@pytest.mark.parametrize("layout", ["every line", "data rows"])
def test_gct_13_with_trailing_tabs_and_any_label_column_name(table, tmp_path, layout):
    """GCT's header always names its label column, whatever the name (here ``rid``)."""
    end = "\t" if layout == "every line" else ""
    lines = [f"#1.3{end}", f"{table.shape[0]}\t{table.shape[1]}\t1\t1{end}",
             "\t".join(["rid", "desc", *table.columns]) + end,
             "\t".join(["batch", "na", *["b1"] * table.shape[1]]) + end]
    for gene, values in zip(table.index, table.to_numpy(), strict=True):
        lines.append("\t".join([gene, "x", *(repr(float(v)) for v in values)]) + "\t")
    (tmp_path / "t.gct").write_text("\n".join(lines) + "\n")
    _assert_same(read_expression(tmp_path / "t.gct"), table, layout)


@pytest.mark.parametrize("orient", ORIENTS)
def test_the_reported_example_scores_right_with_drop_genes(table, tmp_path, orient):
    """F9: the CLI on the faulty file gives the scores of the in-memory table (exit 0)."""
    frame = _oriented(table, orient)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = rrscore.score(table, SETS, "zscore")
    gmt = _gmt(tmp_path)
    for layout in ("data rows", "every line"):
        path = tmp_path / f"{layout.replace(' ', '_')}.tsv"
        _save(_text(*_rows(frame, ""), "\t", layout), path)
        out = tmp_path / f"{path.stem}.out.tsv"
        code, lines = _cli("score", path, "-g", gmt, "-m", "zscore", "--nan-policy",
                           "drop_genes", "-q", "-o", out)
        assert code == 0, lines
        got = pd.read_csv(out, sep="\t", index_col=0)
        assert list(got.index) == SAMPLES, layout
        np.testing.assert_allclose(got[list(SETS)].to_numpy(),
                                   expected[list(SETS)].to_numpy(), rtol=0, atol=1e-12,
                                   err_msg=layout)


def test_a_layout_the_file_cannot_decide_is_an_error(table, tmp_path):
    """Rows one field longer than the header, that field empty on every row: a trailing tab
    or R's layout with an all-empty last column. Without a label-column name in the header
    the file does not say which: an error, never labels shifted by one."""
    header, rows = _rows(table.T)
    for first in ("S0", "TCGA-05-4244-01A"):
        (tmp_path / "a.tsv").write_text(_text([first, *header[1:]], rows, "\t", "data rows"))
        with pytest.raises(InputDataError, match=r"does not say which.*shift every column") \
                as info:
            read_expression(tmp_path / "a.tsv")
        assert "sed 's/\\t$//'" in str(info.value) and "\n" not in str(info.value)
    # sample_1 among sample_2, sample_3: a data column's name, whatever its words
    frame = table.rename(columns=lambda s: f"sample_{s[1:]}")
    header, rows = _rows(frame)
    (tmp_path / "b.tsv").write_text(_text(["sample_0", *header[1:]], rows, "\t", "data rows"))
    with pytest.raises(InputDataError, match="does not say which"):
        read_expression(tmp_path / "b.tsv")
    # R layout and a tab at the end of the header only
    header, rows = _rows(table)
    (tmp_path / "c.tsv").write_text(_text(header, rows, "\t", "R, header"))
    with pytest.raises(InputDataError, match=r"the header ends with an empty field"):
        read_expression(tmp_path / "c.tsv")
    code, lines = _cli("score", tmp_path / "c.tsv", "-g", _gmt(tmp_path), "-q")
    assert code == 1 and len(lines) == 1 and lines[0].startswith("rrscore: error:"), lines


def test_r_layout_with_a_last_column_of_na_is_the_r_layout(table, tmp_path):
    """NA written out (R's default) is a missing value, not a trailing separator."""
    frame = table.copy()
    frame["S5"] = np.nan
    header, rows = _rows(frame)
    rows = [[*row[:-1], "NA"] for row in rows]
    (tmp_path / "r.tsv").write_text(_text(header, rows, "\t", "R"))
    got = read_expression(tmp_path / "r.tsv")
    assert list(got.columns) == SAMPLES and got["S5"].isna().all()
    np.testing.assert_array_equal(got.iloc[:, :4].to_numpy(), table.iloc[:, :4].to_numpy())


def test_names_label_column():
    for header in (["", "S1"], ["gene", "S1"], ["Gene_Symbol", "S1"], ["GeneSymbol", "S1"],
                   ["ID_REF", "GSM1"], ["Unnamed: 0", "S1"], ["X", "S1"], ["sample", "TP53"]):
        assert names_label_column(header), header
    for header in (["S0", "S1"], ["ID1", "ID2"], ["TCGA-05-4244-01A", "TCGA-05-4249-01A"],
                   ["sample_1", "sample_2"], ["TP53", "EGFR"]):
        assert not names_label_column(header), header


# --- F10: labels as written ------------------------------------------------------------------

ODD_SAMPLES = ["001", "0012", "NA", "None", "NULL", "nan"]
ODD_GENES = ["TP53", "EGFR", "NULL", "None", "0012", "TRUE", *GENES[6:]]


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("name", ["t.tsv", "t.csv.gz", "t.gct"])
def test_labels_are_read_as_written(tmp_path, orient, name):
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(5, 1, (len(ODD_GENES), len(ODD_SAMPLES))).round(3),
                         index=ODD_GENES, columns=ODD_SAMPLES)
    if name.endswith(".gct"):
        if orient == "genes_columns":
            pytest.skip("GCT holds genes as rows")
        (tmp_path / name).write_text(_gct(frame))
    else:
        frame = _oriented(frame, orient)
        _save(_text(*_rows(frame), "," if ".csv" in name else "\t"), tmp_path / name)
    got = read_expression(tmp_path / name)
    _assert_same(got, frame, name)
    assert all(isinstance(x, str) for x in got.index), name


def test_all_numeric_and_boolean_looking_row_labels_stay_text(table, tmp_path):
    for labels in (["001", "002", "010", "1.50", "7"], ["TRUE", "FALSE", "True", "true", "T"]):
        frame = table.T.set_axis(labels)
        _save(_text(*_rows(frame, "sample"), "\t"), tmp_path / "t.tsv.gz")
        _assert_same(read_expression(tmp_path / "t.tsv.gz"), frame, str(labels))


@pytest.mark.parametrize("orient", ORIENTS)
def test_sample_ids_survive_to_the_output_table(table, tmp_path, orient):
    """The CLI's output keeps 0012 and NA as sample names, with the in-memory scores."""
    samples = ["001", "0012", "NA", "None", "nan"]
    frame = table.set_axis(samples, axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = rrscore.score(table, SETS, "zscore")
    _save(_text(*_rows(_oriented(frame, orient), "sample"), "\t"), tmp_path / "t.tsv")
    code, lines = _cli("score", tmp_path / "t.tsv", "-g", _gmt(tmp_path), "-m", "zscore", "-q",
                       "-o", tmp_path / "out.tsv")
    assert code == 0, lines
    got = pd.read_csv(tmp_path / "out.tsv", sep="\t", index_col=0, dtype={0: str},
                      keep_default_na=False)
    assert list(got.index) == samples
    np.testing.assert_allclose(got[list(SETS)].to_numpy(dtype=float),
                               expected[list(SETS)].to_numpy(), rtol=0, atol=1e-12)


def test_values_still_read_na_and_empty_cells_as_missing(table, tmp_path):
    header, rows = _rows(table)
    rows[1][2] = "NA"
    rows[3][4] = ""
    rows[5][1] = "nan"
    (tmp_path / "t.tsv").write_text(_text(header, rows, "\t"))
    got = read_expression(tmp_path / "t.tsv")
    expected = table.copy()
    expected.iloc[1, 1] = expected.iloc[3, 3] = expected.iloc[5, 0] = np.nan
    assert list(got.index) == GENES
    np.testing.assert_array_equal(got.to_numpy(), expected.to_numpy())


# --- F12: a cut last line in a compressed file -----------------------------------------------

@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_a_cut_last_line_is_found_in_compressed_files_too(table, tmp_path, orient,
                                                          compression):
    frame = _oriented(table, orient)
    text = _text(*_rows(frame), "\t").rstrip("\n")
    last = text.rsplit("\n", 1)[1]
    cut = text[: len(text) - len(last) + last.index("\t", last.index("\t") + 1)]
    name = f"cut.tsv{compression}"
    _save(cut, tmp_path / name)  # a complete stream of a cut table
    with pytest.raises(InputDataError, match=r"the file is cut off: its last line has 2 of "
                                             rf"{frame.shape[1] + 1} fields") as info:
        read_expression(tmp_path / name)
    assert "\n" not in str(info.value)
    # the same table without its final line end is complete
    _save(text, tmp_path / f"whole.tsv{compression}")
    _assert_same(read_expression(tmp_path / f"whole.tsv{compression}"), frame, compression)


def test_a_cut_gct_gz_and_the_cli(table, tmp_path):
    text = _gct(table)
    _save(text[: text.rindex("\t", 0, len(text) - 12)], tmp_path / "cut.gct.gz")
    with pytest.raises(InputDataError, match="the file is cut off"):
        read_expression(tmp_path / "cut.gct.gz")
    _save(_text(*_rows(table), "\t")[:-30], tmp_path / "cut.tsv.gz")
    code, lines = _cli("score", tmp_path / "cut.tsv.gz", "-g", _gmt(tmp_path), "-q")
    assert code == 1 and len(lines) == 1 and "the file is cut off" in lines[0], lines


# --- F17: one bad cell -----------------------------------------------------------------------

@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("name", ["t.tsv", "t.csv", "t.tsv.gz", "t.gct"])
@pytest.mark.parametrize("bad", ["1.2e", "1,5"])
def test_a_bad_cell_is_named_with_its_row_and_column(table, tmp_path, orient, name, bad):
    if name.endswith(".gct"):
        if orient == "genes_columns":
            pytest.skip("GCT holds genes as rows")
        text = _gct(table).replace(repr(float(table.loc["KRAS", "S3"])), bad, 1)
        row, column = "KRAS", "S3"
    else:
        frame = _oriented(table, orient)
        header, rows = _rows(frame)
        rows[2][3] = bad  # KRAS × S3 either way: the third row, the third value
        row, column = frame.index[2], frame.columns[2]
        text = _text(header, rows, "," if ".csv" in name else "\t")
    _save(text, tmp_path / name)
    with pytest.raises(InputDataError) as info:
        read_expression(tmp_path / name)
    message = str(info.value)
    assert {row, column} == {"KRAS", "S3"}
    assert f"{bad!r} in row {row!r}, column {column!r} is not a number" in message, message
    assert ("decimal comma" in message) == (bad == "1,5"), message
    assert "set_index" not in message and "\n" not in message


def test_the_cli_names_the_cell_without_pandas_advice(table, tmp_path):
    header, rows = _rows(table.T)
    rows[4][2] = "1,25"
    (tmp_path / "t.tsv").write_text(_text(header, rows, "\t"))
    code, lines = _cli("score", tmp_path / "t.tsv", "-g", _gmt(tmp_path), "-q")
    assert code == 1 and len(lines) == 1, lines
    assert "'1,25' in row 'S5', column 'EGFR' is not a number" in lines[0]
    assert "decimal comma" in lines[0]
    assert "set_index" not in lines[0] and "df." not in lines[0] and "pandas" not in lines[0]


def test_a_text_column_is_named_as_one(table, tmp_path):
    frame = table.copy()
    frame.insert(0, "description", [f"gene {g}" for g in GENES])
    frame.to_csv(tmp_path / "t.tsv", sep="\t")
    with pytest.raises(InputDataError, match=r"column 'description' holds text, not numbers "
                                             r"\(e\.g\. 'gene TP53' in row 'TP53'\)"):
        read_expression(tmp_path / "t.tsv")
