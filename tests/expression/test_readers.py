"""File readers used by the command line: every format gives the same table."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from rrscore.errors import InputDataError
from rrscore.expression._readers import read_expression, write_table

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent/expr.tsv.gz"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE, sep="\t", index_col=0).dropna().iloc[:200, :5]


def test_tsv_csv_gzip_parquet_and_gct_13_read_the_same_table(table, tmp_path):
    table.to_csv(tmp_path / "a.tsv", sep="\t")
    table.to_csv(tmp_path / "a.csv.gz")
    table.to_parquet(tmp_path / "a.parquet")
    gct = tmp_path / "a.gct"
    with open(gct, "w") as fh:  # GCT 1.3: one row-metadata column, two column-metadata rows
        fh.write(f"#1.3\n{table.shape[0]}\t{table.shape[1]}\t1\t2\n")
        fh.write("\t".join(["id", "desc", *table.columns]) + "\n")
        fh.write("\t".join(["subtype", "na", *["LUAD"] * table.shape[1]]) + "\n")
        fh.write("\t".join(["batch", "na", *["b1"] * table.shape[1]]) + "\n")
        for gene, row in table.iterrows():
            fh.write("\t".join([gene, "x", *(repr(float(v)) for v in row)]) + "\n")
    for name in ("a.tsv", "a.csv.gz", "a.parquet", "a.gct"):
        got = read_expression(tmp_path / name)
        np.testing.assert_array_equal(got.to_numpy(dtype=float), table.to_numpy(), err_msg=name)
        assert list(got.index) == list(table.index) and list(got.columns) == list(table.columns)


def test_h5ad_is_read_as_anndata(table, tmp_path):
    ad.AnnData(table.T.copy()).write_h5ad(tmp_path / "a.h5ad")
    got = read_expression(tmp_path / "a.h5ad")
    assert isinstance(got, ad.AnnData) and got.shape == (5, 200)


def test_unknown_extension_and_bad_gct_are_clear_errors(table, tmp_path):
    (tmp_path / "a.xlsx").write_text("x")
    with pytest.raises(InputDataError, match="unknown file type '.xlsx'"):
        read_expression(tmp_path / "a.xlsx")
    (tmp_path / "b.gct").write_text("#2.0\n1\t1\n")
    with pytest.raises(InputDataError, match="not a GCT 1.2/1.3"):
        read_expression(tmp_path / "b.gct")


def test_write_table_by_extension(table, tmp_path):
    for name in ("o.tsv", "o.csv", "o.parquet"):
        write_table(table, tmp_path / name)
        assert read_expression(tmp_path / name).shape == table.shape
