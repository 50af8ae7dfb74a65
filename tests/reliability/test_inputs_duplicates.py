"""A duplicated gene gets the same policy whatever the orientation, container or file reader.

Issue 10: a cells × genes file with a repeated gene column was read by pandas as ``TBCE`` and
``TBCE.1`` and the second copy ranked as another gene; a samples × genes DataFrame with a
repeated column was refused as "non-numeric columns ['MATR3', 'MATR3']". The right value is
the score of the collapsed matrix, computed here by hand from the table (UCell by R's
formula), and every path gives it with the same note in the input report.
"""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from click.testing import CliRunner

import rrscore
from rrscore.cli import main
from rrscore.errors import DuplicateGenesWarning, InputDataError
from rrscore.expression._readers import read_expression

GENES = ["TBCE", "MATR3", "TP53", "VIM", "CDH1", "EGFR", "KRAS", "MYC", "SOX2", "NFE2L2",
         "KEAP1", "STK11", "CD3E", "CD8A", "GAPDH", "ACTB", "HIF1A", "VEGFA", "CA9", "LDHA"]
SETS = {"S1": ["TBCE", "TP53", "MYC", "CD3E"], "S2": ["MATR3", "VIM", "KRAS", "ACTB", "CA9"]}
NOTE = ("collapsed 4 rows of 2 duplicated genes into one row each (2 fewer rows; e.g. "
        "['TBCE', 'MATR3']) by policy 'highest_mean'")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    """Genes × samples with TBCE and MATR3 twice (the second copies have the higher mean)."""
    rng = np.random.default_rng(7)
    values = rng.gamma(2.0, 1.5, size=(len(GENES) + 2, 5)).round(3)
    labels = [*GENES, "TBCE", "MATR3"]
    values[-2] = values[0] + 2.0  # the second TBCE wins under highest_mean
    values[-1] = values[1] + 1.0  # so does the second MATR3
    return pd.DataFrame(values, index=labels, columns=[f"cell{i}" for i in range(5)])


def _ucell_by_hand(table: pd.DataFrame, genes: list[str]) -> pd.Series:
    """R UCell (max_rank = number of genes) of the collapsed table, written out."""
    collapsed = table[~table.index.duplicated(keep="last")]  # the copies with the higher mean
    collapsed = collapsed.loc[list(dict.fromkeys(table.index))]
    n_genes, n = collapsed.shape[0], len(genes)
    ranks = (-collapsed).rank(method="average")  # 1 = highest, per cell
    u = ranks.loc[genes].sum() - n * (n + 1) / 2
    return 1 - u / (n * n_genes - n * (n + 1) / 2)


def _score(data, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateGenesWarning)
        return rrscore.score(data, SETS, "ucell", max_rank=len(GENES), **kw)


def _write_gct(table: pd.DataFrame, path) -> None:
    with open(path, "w") as fh:
        fh.write(f"#1.2\n{table.shape[0]}\t{table.shape[1]}\n")
        fh.write("\t".join(["Name", "Description", *table.columns]) + "\n")
        for gene, row in zip(table.index, table.to_numpy(), strict=True):
            fh.write("\t".join([gene, "na", *(repr(float(v)) for v in row)]) + "\n")


def _inputs(table: pd.DataFrame, tmp_path) -> dict:
    """The same data in every orientation, container and file format."""
    cells = table.T
    inputs = {
        "frame genes x samples": table,
        "frame samples x genes": cells,
        "array genes rows": (table.to_numpy(), list(table.index), list(table.columns)),
        "array genes columns": (cells.to_numpy(), list(table.index), list(table.columns)),
        "sparse genes columns": (sp.csr_matrix(cells.to_numpy()), list(table.index),
                                 list(table.columns)),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata: "Variable names are not unique"
        adata = ad.AnnData(cells.to_numpy(), obs=pd.DataFrame(index=cells.index),
                           var=pd.DataFrame(index=cells.columns))
        adata.write_h5ad(tmp_path / "cells.h5ad")
    inputs["anndata"] = adata
    files = {
        "tsv genes x samples": ("genes.tsv", lambda p: table.to_csv(p, sep="\t")),
        "tsv samples x genes": ("cells.tsv", lambda p: cells.to_csv(p, sep="\t")),
        "csv samples x genes": ("cells.csv", lambda p: cells.to_csv(p)),
        "csv.gz genes x samples": ("genes.csv.gz", lambda p: table.to_csv(p)),
        "gct": ("genes.gct", lambda p: _write_gct(table, p)),
        "parquet samples x genes": ("cells.parquet", lambda p: pq.write_table(
            pa.table([pa.array(cells.index), *(pa.array(cells.iloc[:, j])
                                              for j in range(cells.shape[1]))],
                     names=["cell", *cells.columns]), p)),
    }
    for name, (file, write) in files.items():
        write(tmp_path / file)
        inputs[name] = read_expression(tmp_path / file)
    inputs["h5ad file"] = read_expression(tmp_path / "cells.h5ad")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        inputs["backed h5ad"] = ad.read_h5ad(tmp_path / "cells.h5ad", backed="r")
    return inputs


def test_every_path_gives_the_hand_computed_scores_and_the_same_note(table, tmp_path):
    expected = pd.DataFrame({s: _ucell_by_hand(table, g) for s, g in SETS.items()})
    for name, data in _inputs(table, tmp_path).items():
        if isinstance(data, tuple):
            values, genes, samples = data
            got = _score(values, genes=genes, samples=samples)
        else:
            got = _score(data)
        np.testing.assert_allclose(got[list(SETS)].to_numpy(), expected.to_numpy(),
                                   rtol=0, atol=1e-12, err_msg=name)
        assert list(got.index) == list(table.columns), name
        notes = got.attrs["rrscore"]["input"]["notes"]
        assert NOTE in notes, (name, notes)


def test_the_issue_example_first_cell(table, tmp_path):
    """The CLI on a cells × genes file with a repeated column: the first cell's right score."""
    cells = table.T
    cells.to_csv(tmp_path / "cells.tsv", sep="\t")
    (tmp_path / "sets.gmt").write_text(
        "".join(f"{s}\tna\t" + "\t".join(g) + "\n" for s, g in SETS.items()))
    result = CliRunner().invoke(main, [
        "score", str(tmp_path / "cells.tsv"), "-g", str(tmp_path / "sets.gmt"), "-m", "ucell",
        "-p", f"max_rank={len(GENES)}", "-o", str(tmp_path / "out.tsv")])
    assert result.exit_code == 0, result.output
    # said once, as a warning line, not again in the summary line
    assert result.output.count("collapsed 4 rows of 2 duplicated genes") == 1, result.output
    assert "rrscore: warning: collapsed 4 rows of 2 duplicated genes" in result.output
    out = pd.read_csv(tmp_path / "out.tsv", sep="\t", index_col=0)
    assert out.loc["cell0", "S1"] == pytest.approx(_ucell_by_hand(table, SETS["S1"])["cell0"],
                                                   abs=1e-12)
    # pandas' reading renames the copy and ranks it as another gene: a different score
    mangled = pd.read_csv(tmp_path / "cells.tsv", sep="\t", index_col=0)
    assert "TBCE.1" in mangled.columns
    with pytest.warns(DuplicateGenesWarning, match=r"renamed by pandas.read_csv \(TBCE\.1"):
        wrong = rrscore.score(mangled, SETS, "ucell", max_rank=len(GENES))
    assert abs(wrong.loc["cell0", "S1"] - out.loc["cell0", "S1"]) > 0.01
    assert any("pandas.read_csv" in n for n in wrong.attrs["rrscore"]["input"]["notes"])


def test_duplicates_error_policy_names_the_genes_in_every_orientation(table):
    for data in (table, table.T):
        with pytest.raises(InputDataError, match=r"2 gene identifiers occur more than once"):
            rrscore.score(data, SETS, "ucell", duplicates="error")


def test_repeated_sample_names_are_refused_from_a_file(table, tmp_path):
    renamed = table.copy()
    renamed.columns = ["a", "b", "a", "c", "d"]
    renamed.to_csv(tmp_path / "x.tsv", sep="\t")
    with pytest.raises(InputDataError, match=r"duplicated sample names.*'a'"):
        rrscore.score(read_expression(tmp_path / "x.tsv"), SETS, "ucell")
