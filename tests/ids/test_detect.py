"""Identifier types and cleaning of gene labels as found in expression files."""

from __future__ import annotations

import numpy as np
import pytest

from rrscore.ids import ID_TYPE_WORDS, clean_gene_ids, detect_id_type


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["TP53", "MDM2", "HLA-DRA", "C20orf20"], "symbol"),
        (["ENSG00000141510.16", "ENSG00000135679", "ENSMUSG00000059552"], "ensembl"),
        (["7157", "4193", "1956"], "entrez"),
        (["TP53|7157", "?|100130426", "MDM2|4193"], "tcga_symbol_entrez"),
        (["1007_s_at", "1053_at", "AFFX-BioB-5_at"], "affy_probe"),
        (["ILMN_1343291", "ILMN_1343295"], "illumina_probe"),
        (["A_23_P100001", "A_33_P3246448"], "agilent_probe"),
        (["NM_000546.6", "NR_024540"], "refseq"),
        (["1.5", "#", "?"], "unknown"),
        ([], "unknown"),
    ],
)
def test_detect_id_type(labels, expected):
    assert detect_id_type(labels) == expected
    assert expected in ID_TYPE_WORDS


def test_the_majority_decides():
    assert detect_id_type(["ENSG00000141510", "ENSG00000135679", "TP53"]) == "ensembl"
    assert detect_id_type(["ENSG00000141510", "TP53", "MDM2"]) == "symbol"


def test_clean_gene_ids_ensembl():
    cleaned = clean_gene_ids([" ENSG00000141510.16 ", "ENSG00000182378.14_PAR_Y",
                              "ENSG00000182378.14", None, np.nan, "NA", "ENSG00000124762"])
    assert cleaned.id_type == "ensembl"
    assert list(cleaned.keep) == [True, False, True, False, False, False, True]
    assert list(cleaned.ids[cleaned.keep]) == ["ENSG00000141510", "ENSG00000182378",
                                               "ENSG00000124762"]
    assert cleaned.notes == [
        "dropped 3 rows with an empty gene identifier",
        "removed the version suffix from 3 Ensembl IDs",
        "dropped 1 GENCODE _PAR_Y rows (Y copies of pseudo-autosomal genes)",
    ]


def test_clean_gene_ids_tcga_keeps_the_symbol_and_case():
    cleaned = clean_gene_ids(["TP53|7157", "?|100130426", "Mdm2|4193", "|5"])
    assert cleaned.id_type == "tcga_symbol_entrez"
    assert list(cleaned.ids[cleaned.keep]) == ["TP53", "Mdm2"]
    assert cleaned.notes == [
        "TCGA SYMBOL|ENTREZ identifiers: kept the symbol part",
        "dropped 2 TCGA '?|ENTREZ' rows that have no gene symbol",
    ]
    # a symbol table with TCGA labels on some rows only is still a symbol table, and its
    # TCGA labels are cleaned too (issue 10: they were left unmatched)
    plain = clean_gene_ids(["TP53", "MDM2", "A|1"])
    assert plain.id_type == "symbol" and list(plain.ids) == ["TP53", "MDM2", "A"]
