"""GMT/dict/long-table input and the gene-set model."""

from __future__ import annotations

import pandas as pd
import pytest

import rrscore
from rrscore.errors import GeneSetError
from rrscore.genesets import GeneSet, GeneSetCollection, as_collection, load, read_gmt, write_gmt


def _write(tmp_path, text: str, name="sets.gmt"):
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_read_gmt_tolerates_crlf_trailing_tabs_empty_fields_and_blank_lines(tmp_path):
    path = _write(
        tmp_path,
        "A\tdesc a\tTP53\tMDM2\t\tCDKN1A\t\t\r\n\r\n   \nB\t\tKRAS\r\n# comment\nC\tc\tEGFR\t",
    )
    coll = read_gmt(path)
    assert coll.names == ["A", "B", "C"]
    assert coll["A"].up == ("TP53", "MDM2", "CDKN1A")
    assert coll["A"].description == "desc a"
    assert coll["B"].up == ("KRAS",)
    assert coll["C"].up == ("EGFR",)


def test_duplicated_genes_in_a_set_are_removed_with_a_warning(tmp_path):
    path = _write(tmp_path, "A\t\tTP53\tMDM2\tTP53\n")
    with pytest.warns(UserWarning, match="duplicated genes.*TP53"):
        coll = read_gmt(path)
    assert coll["A"].up == ("TP53", "MDM2")


def test_duplicated_set_names_are_an_error_naming_them(tmp_path):
    path = _write(tmp_path, "A\t\tTP53\nB\t\tKRAS\nA\t\tEGFR\n")
    with pytest.raises(GeneSetError, match=r"duplicated gene-set names: \['A'\]"):
        read_gmt(path)


def test_pairing_up_and_dn_lines_into_signed_sets(tmp_path):
    path = _write(
        tmp_path,
        "EMT_UP\tup\tVIM\tCDH2\nEMT_DN\tdn\tCDH1\nLONE_UP\t\tMYC\nPLAIN\t\tA1\tB2-\tC3+\n",
    )
    coll = read_gmt(path, pair_signed=True)
    assert coll.names == ["EMT", "LONE_UP", "PLAIN"]
    assert coll["EMT"].up == ("VIM", "CDH2") and coll["EMT"].down == ("CDH1",)
    assert coll["LONE_UP"].up == ("MYC",) and not coll["LONE_UP"].signed
    assert coll["PLAIN"].up == ("A1", "C3") and coll["PLAIN"].down == ("B2",)
    unpaired = read_gmt(path)
    assert unpaired.names == ["EMT_UP", "EMT_DN", "LONE_UP", "PLAIN"]


def test_write_then_read_round_trips_signed_sets(tmp_path):
    coll = GeneSetCollection((GeneSet("S", ("A", "B"), ("C",), "d"), GeneSet("U", ("X",))))
    write_gmt(coll, tmp_path / "o.gmt")
    back = read_gmt(tmp_path / "o.gmt", pair_signed=True)
    assert back.names == ["S", "U"]
    assert back["S"].up == ("A", "B") and back["S"].down == ("C",)
    assert back["S"].description == "d"


def test_gene_in_both_parts_is_an_error():
    with pytest.raises(GeneSetError, match="both its up and down"):
        GeneSet("S", ("A", "B"), ("B",))


def test_dict_and_long_table_inputs_agree():
    from_dict = as_collection({"S1": ["A", "B", "C-"], "S2": ["D"]})
    long = pd.DataFrame(
        {"source": ["S1", "S1", "S1", "S2"], "target": ["A", "B", "C", "D"],
         "weight": [1.0, 0.5, -2.0, 1.0]}
    )
    from_long = as_collection(long)
    for coll in (from_dict, from_long):
        assert coll.names == ["S1", "S2"]
        assert coll["S1"].up == ("A", "B") and coll["S1"].down == ("C",)
    no_weight = as_collection(long.drop(columns="weight"))
    assert no_weight["S1"].up == ("A", "B", "C")
    with pytest.raises(GeneSetError, match="duplicated"):
        as_collection(pd.concat([long, long.head(1)]))
    with pytest.raises(GeneSetError, match="missing"):
        as_collection(long.rename(columns={"target": "gene"}))


def test_a_string_instead_of_a_gene_list_is_an_error():
    with pytest.raises(GeneSetError, match="expected a list"):
        as_collection({"S": "TP53"})


def test_bundled_hallmark_collection_loads_by_name():
    coll = load("hallmark")
    assert len(coll) == 50
    assert len(coll["HALLMARK_HYPOXIA"]) == 200
    assert "SLC2A1" in coll["HALLMARK_HYPOXIA"].up
    table = rrscore.genesets.list_collections()
    row = table.set_index("name").loc["hallmark"]
    assert row["n_sets"] == 50 and "CC BY 4.0" in row["licence"]
    assert as_collection("hallmark") is coll


def test_unknown_collection_or_missing_file_is_a_clear_error():
    with pytest.raises(GeneSetError, match="neither a gene-set file nor a bundled collection"):
        as_collection("no_such_collection")
    with pytest.raises(GeneSetError, match="no bundled gene-set collection"):
        load("nope")
