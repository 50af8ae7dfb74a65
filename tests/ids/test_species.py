"""Species from gene identifiers: Ensembl prefixes and the nomenclatures' case conventions."""

from __future__ import annotations

import pytest

from rrscore.ids import detect_species, gene_reference, same_species
from rrscore.ids._species import symbol_case


@pytest.mark.parametrize(("symbol", "case"), [
    ("CD3E", "upper"), ("C1orf112", "upper"), ("HLA-DRA", "upper"), ("MT-ND1", "upper"),
    ("Cd3e", "capitalised"), ("Gm12345", "capitalised"), ("cd3e", "lower"),
    ("mt-Nd1", None), ("1700001C19Rik", None), ("A1", None), ("7SK", "upper"),
])
def test_symbol_case(symbol, case):
    assert symbol_case(symbol) == case


def test_ensembl_prefixes_name_the_species():
    assert detect_species([f"ENSG{i:011d}" for i in range(10)]).name == "human"
    assert detect_species([f"ENSMUSG{i:011d}" for i in range(10)]).name == "mouse"
    assert detect_species([f"ENSRNOG{i:011d}" for i in range(10)]).name == "rat"
    assert detect_species([f"ENSDARG{i:011d}" for i in range(10)]).name == "zebrafish"
    assert detect_species([f"FBgn{i:07d}" for i in range(10)]).name == "fly"


def test_symbol_case_conventions_on_the_whole_human_reference():
    symbols = list(gene_reference().table["symbol"])
    human = detect_species(symbols)
    assert human.name == "human"
    assert detect_species([s.capitalize() for s in symbols]).name == "mouse_or_rat"
    assert detect_species([s.lower() for s in symbols]).name == "zebrafish"


def test_too_little_or_split_evidence_is_unknown():
    assert detect_species(["G0", "G1", "G2", "7157", "1956"]).name == "unknown"
    assert detect_species(["Cd3e", "Vim", "CD3E", "VIM", "Actb", "ACTB"]).name == "unknown"
    assert detect_species(["Cd3e", "Vim"]).name == "unknown"  # fewer than five


def test_same_species():
    assert same_species("human", "human") and same_species("unknown", "mouse")
    assert same_species("mouse_or_rat", "mouse") and same_species("rat", "mouse_or_rat")
    assert not same_species("mouse_or_rat", "human") and not same_species("mouse", "rat")
