"""The bundled gene-ID reference: lookups, the ambiguity rules, and alias matching."""

from __future__ import annotations

import pandas as pd
import pytest

from rrscore.errors import GeneSetError
from rrscore.genesets import GeneSet, GeneSetCollection
from rrscore.genesets._matching import align_gene_sets
from rrscore.ids import gene_reference


@pytest.fixture(scope="module")
def ref():
    return gene_reference()


def _split(cell: str) -> list[str]:
    return [x for x in cell.split(";") if x]


def test_reference_is_loaded_once_and_cached(ref):
    assert gene_reference() is ref
    assert len(ref) == 44_998  # rows documented in gene_reference.README.md


def test_table_invariants_the_lookups_rely_on(ref):
    table = ref.table
    assert table["symbol"].str.upper().is_unique
    assert table["entrez"].is_unique
    ensembl = [e for cell in table["ensembl"] for e in _split(cell)]
    assert len(ensembl) == len(set(ensembl)) == 31_384
    symbols_upper = set(table["symbol"].str.upper())
    owners: dict[str, set[str]] = {}
    for symbol, cell in zip(table["symbol"], table["aliases"], strict=True):
        for alias in _split(cell):
            owners.setdefault(alias.upper(), set()).add(symbol)
    # Unambiguous aliases name one gene and are nobody's approved symbol.
    assert all(len(v) == 1 for v in owners.values())
    assert not set(owners) & symbols_upper
    ambiguous = {a.upper() for cell in table["ambiguous_aliases"] for a in _split(cell)}
    assert not set(owners) & ambiguous


def test_lookups_documented_in_the_readme(ref):
    assert ref.approved_symbol("C20orf20") == "MRGBP"
    assert ref.approved_symbol("c20ORF20") == "MRGBP"  # aliases match case-insensitively
    assert ref.approved_symbol("tp53") == "TP53"
    assert ref.approved_symbol("Ku70") == "XRCC6"
    assert ref.approved_symbol("HIG2") == "HILPDA"
    assert ref.approved_symbol("C20orf20", aliases=False) is None
    assert ref.ensembl_to_symbol(["ENSG00000141510", "ENSG00000166501", "ENSG00000180370"]) == [
        "TP53", "PRKCB", "PAK2",
    ]
    assert ref.entrez_to_symbol(["7157", 5579, " 5062 ", "999999999"]) == [
        "TP53", "PRKCB", "PAK2", None,
    ]
    assert ref.is_approved("TP53") and not ref.is_approved("tp53")


def test_ambiguous_aliases_and_ensembl_ids_are_never_used(ref):
    assert ref.approved_symbol("NRF2") is None
    assert set(ref.alias_candidates("NRF2")) == {"NFE2L2", "GABPA"}
    assert ref.approved_symbol("CDC2") is None  # CDK1 or POLD1
    assert set(ref.alias_candidates("CDC2")) == {"CDK1", "POLD1"}
    assert ref.synonyms("NRF2") == ()
    assert "NRF2" not in {a.upper() for a in ref.synonyms("NFE2L2")}
    # NCBI links ENSG00000206340 to C4A and to other genes; GENCODE could not decide.
    assert ref.is_ambiguous_ensembl("ENSG00000206340")
    assert ref.ensembl_to_symbol(["ENSG00000206340"]) == [None]


def test_synonyms_go_both_ways(ref):
    assert "C20orf20" in ref.synonyms("MRGBP")
    assert "MRGBP" not in ref.synonyms("MRGBP")
    outdated = ref.synonyms("H2AFX")  # hallmark v7.0 symbol -> the current one first
    assert outdated[0] == "H2AX" and "H2AFX" not in outdated
    assert ref.synonyms("NOT_A_GENE") == ()


def test_to_symbol_dispatches_on_id_type(ref):
    assert ref.to_symbol(["ENSG00000141510"], "ensembl") == ["TP53"]
    assert ref.to_symbol(["7157"], "entrez") == ["TP53"]
    assert ref.to_symbol(["G1P2", "ISG15", "NRF2"], "symbol") == ["ISG15", "ISG15", None]
    with pytest.raises(GeneSetError, match="not 'affy_probe'"):
        ref.to_symbol(["1007_s_at"], "affy_probe")


def test_alias_matching_in_align_gene_sets(ref):
    genes = pd.Index(["C20orf20", "NRF2", "TP53", "H2AX", "MRGBP_OTHER"])
    coll = GeneSetCollection(
        (
            GeneSet("buffa_like", ("MRGBP", "TP53", "NFE2L2")),
            GeneSet("outdated", ("H2AFX", "TP53")),
        )
    )
    aligned = align_gene_sets(coll, genes, synonyms=ref.synonyms, warn=False)
    cov = aligned.coverage
    assert cov.loc["buffa_like", "renamed"] == "MRGBP->C20orf20"
    assert cov.loc["buffa_like", "missing"] == "NFE2L2"  # NRF2 is ambiguous: not matched
    assert list(aligned.sets[0].up) == [0, 2]
    assert cov.loc["outdated", "renamed"] == "H2AFX->H2AX"
    assert list(aligned.sets[1].up) == [3, 2]
    without = align_gene_sets(coll, genes, warn=False).coverage
    assert without.loc["buffa_like", "n_found"] == 1 and without.loc["outdated", "n_found"] == 1


def test_exact_match_wins_over_an_alias(ref):
    genes = pd.Index(["C20orf20", "MRGBP", "TP53"])
    coll = GeneSetCollection((GeneSet("s", ("MRGBP", "TP53")),))
    aligned = align_gene_sets(coll, genes, synonyms=ref.synonyms, warn=False)
    assert list(aligned.sets[0].up) == [1, 2]
    assert aligned.coverage.loc["s", "renamed"] == ""
