"""Identifiers that matched silently wrong: another species, TCGA labels on some rows, mixed types.

Issue 10: mouse-style symbols (``Cd3e``) matched the human sets case-insensitively at 98 %
coverage without a word; ``SYMBOL|ENTREZ`` labels on some rows only were left unmatched; an
index mixing symbols and Ensembl IDs was not reported.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import GeneMatchError, MixedIdsWarning, SpeciesWarning
from rrscore.genesets import load


@pytest.fixture(scope="module")
def hallmark_genes() -> list[str]:
    return sorted(load("hallmark").genes)


def _frame(labels, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(rng.gamma(2.0, 1.0, size=(len(labels), 6)).round(4), index=labels,
                        columns=[f"s{i}" for i in range(6)])


def test_mouse_symbols_against_human_sets_warn_and_are_recorded(hallmark_genes):
    # the case: 98 % of the hallmark genes, written the mouse way
    kept = hallmark_genes[: int(0.98 * len(hallmark_genes))]
    mouse = _frame([g.capitalize() for g in kept])
    with pytest.warns(SpeciesWarning, match=r"mouse or rat.*'[A-Z][a-z0-9]+'.*human"):
        got = rrscore.score(mouse, "hallmark", "zscore")
    report = got.attrs["rrscore"]["input"]
    assert report["species"] == "mouse_or_rat"
    assert any(n.startswith("species:") for n in report["notes"])
    # still scored as before (the same values as the upper-case data): warned, not refused
    human = _frame([g.upper() for g in kept])
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpeciesWarning)
        expected = rrscore.score(human, "hallmark", "zscore")
    assert expected.attrs["rrscore"]["input"]["species"] == "human"
    pd.testing.assert_frame_equal(got, expected, check_like=True)


def test_mouse_data_with_mouse_sets_says_nothing():
    genes = ["Cd3e", "Cd8a", "Vim", "Actb", "Gapdh", "Myc", "Sox2", "Egfr", "Kras", "Xist"]
    sets = {"T": ["Cd3e", "Cd8a", "Actb"], "M": ["Vim", "Myc", "Sox2", "Kras"]}
    with warnings.catch_warnings():
        warnings.simplefilter("error", SpeciesWarning)
        got = rrscore.score(_frame(genes), sets, "zscore")
    assert got.attrs["rrscore"]["input"]["species"] == "mouse_or_rat"


def test_mouse_ensembl_ids_against_human_sets_are_refused():
    ids = [f"ENSMUSG{i:011d}" for i in (1, 3, 28, 31, 37, 49, 56, 58)]
    with pytest.raises(GeneMatchError, match=r"mouse.*ENSMUSG.*human.*ortholog"):
        rrscore.score(_frame(ids), "hallmark", "zscore")


def test_tcga_labels_on_some_rows_are_cleaned(hallmark_genes):
    genes = hallmark_genes[:300]
    entrez = {"TP53": "7157", "EGFR": "1956", "VIM": "7431"}
    genes = sorted(set(genes) | set(entrez))
    labels = [f"{g}|{entrez[g]}" if g in entrez else g for g in genes]
    partly = _frame(labels)
    clean = _frame(genes)  # the same values, labels cleaned by hand
    sets = {"S": ["TP53", "EGFR", "VIM", *genes[:5]]}
    got = rrscore.score(partly, sets, "zscore")
    pd.testing.assert_frame_equal(got, rrscore.score(clean, sets, "zscore"))
    cov = rrscore.coverage_report(got)
    assert cov.loc["S", "n_found"] == 8
    assert any("3 TCGA-style SYMBOL|ENTREZ labels among gene symbols" in n
               for n in got.attrs["rrscore"]["input"]["notes"])


def test_mixed_symbols_and_ensembl_ids_are_reported_and_mapped(hallmark_genes):
    genes = [g for g in hallmark_genes[:200] if g not in ("TP53", "EGFR", "VIM")]
    ensembl = {"TP53": "ENSG00000141510", "EGFR": "ENSG00000146648", "VIM": "ENSG00000026025"}
    labels = genes + list(ensembl.values())
    sets = {"S": ["TP53", "EGFR", "VIM", *genes[:5]]}
    with pytest.warns(MixedIdsWarning, match=r"200 gene symbols.*3 Ensembl gene IDs"):
        got = rrscore.score(_frame(labels), sets, "zscore")
    report = got.attrs["rrscore"]["input"]
    assert report["id_types"] == {"symbol": 200, "ensembl": 3}
    assert report["id_mapping"]["n_mapped"] == 3
    # the Ensembl rows count as TP53, EGFR and VIM: the same scores as a symbol-only index
    by_hand = _frame(genes + list(ensembl))
    pd.testing.assert_frame_equal(got, rrscore.score(by_hand, sets, "zscore"))
    assert rrscore.coverage_report(got).loc["S", "n_found"] == 8


def test_a_pure_index_reports_no_mixture(hallmark_genes):
    got = rrscore.score(_frame(hallmark_genes[:100]), "hallmark", "zscore", min_size=1)
    assert got.attrs["rrscore"]["input"]["id_types"] == {}
