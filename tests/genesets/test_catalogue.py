"""The bundled catalogue: registration, versions and checksums, symbols, provenance, Table 1."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
from rrscore.cli import main
from rrscore.errors import GeneSetError
from rrscore.genesets import (
    bundled_dir,
    collection_checksum,
    gene_reference,
    list_collections,
    load,
    verify_collection,
)
from tests.conftest import SHARED_DATA

GENESETS = bundled_dir()

#: Every (collection, version) ever released, with the checksum of its GMT. A changed GMT
#: needs a new version in collections.tsv *and* a new line here; reusing a released version
#: for other content fails test_a_released_version_never_changes_content.
RELEASED = {
    ("hallmark", "MSigDB-v7.0"):
        "4803c09aae50bbd96d53fc681bd5545a4c89278993c15145dd7b7c994f893516",
    ("hallmark", "MSigDB-v7.0-hgnc2022"):
        "396f8b2f1372826d9b449b0e4d4015ea8c1928e9a02698619a0d2e1c1b746ade",
    ("mechanisms", "2026.11.0"):
        "dfa06dc2181785c3d02b713f261e5cf4060c2a1fa45a41ed806b5723c0197f93",
    ("published", "2026.11.0"):
        "f82f3580f2ca0c92e73d5c4a21a0a8188dd739560cbc642f10cadc5c6a8b0656",
    ("confounders", "2026.11.0"):
        "3399eec0eba1d23d3c867c86bd36e058ee7a3bf3b9f14ff0a4742d482a020677",
}

#: The MSigDB v7.0 hallmark file that scripts/build_hallmark_gmt.py brings to current symbols.
HALLMARK_SOURCE = SHARED_DATA.parent / "reference" / "gene_lists" / "h.all.v7.0.symbols.gmt"
RSI_GENES = {"AR", "JUN", "STAT1", "PRKCB", "RELA", "ABL1", "SUMO1", "PAK2", "HDAC1", "IRF1"}


def _read_tsv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)


def _gmt_lines(name: str) -> dict[str, list[str]]:
    """Raw GMT lines (no pairing, no de-duplication): set name -> genes."""
    text = (GENESETS / f"{name}.gmt").read_text(encoding="utf-8")
    lines = [line.split("\t") for line in text.splitlines() if line.strip()]
    return {f[0]: f[2:] for f in lines}


@pytest.fixture(scope="module")
def registry() -> pd.DataFrame:
    return _read_tsv(GENESETS / "collections.tsv").set_index("name")


@pytest.fixture(scope="module")
def approved() -> frozenset[str]:
    return gene_reference().symbols


def test_collections_are_registered_with_versions_and_sizes(registry):
    assert list(registry.index) == ["hallmark", "mechanisms", "published", "confounders"]
    table = list_collections().set_index("name")
    assert table.loc["mechanisms", "version"] == "2026.11.0"
    assert table.loc["published", "version"] == "2026.11.0"
    # mechanisms: 30 GMT lines, 5 _UP/_DN pairs -> 25 sets; 225 distinct genes.
    assert table.loc["mechanisms", ["n_sets", "n_signed", "n_genes"]].tolist() == [25, 5, 225]
    assert table.loc["published", ["n_sets", "n_signed", "n_genes"]].tolist() == [16, 0, 1339]
    # hallmark: v7.0 has 4,384 distinct symbols; 16 unresolvable names were dropped.
    assert table.loc["hallmark", ["n_sets", "n_signed", "n_genes"]].tolist() == [50, 0, 4368]
    assert table.loc["hallmark", "version"] == "MSigDB-v7.0-hgnc2022"
    for name, row in registry.iterrows():
        assert row["title"] and row["licence"] and row["citation"], name
        for doc in filter(None, (d.strip() for d in row["docs"].split(";"))):
            assert (GENESETS / doc).exists(), f"{name}: {doc} missing"
    assert "10.36922/EJMO025190168" in registry.loc["mechanisms", "citation"]
    assert "CC BY 4.0" in registry.loc["published", "licence"]


@pytest.mark.parametrize("name", ["hallmark", "mechanisms", "published", "confounders"])
def test_gmt_matches_the_checksum_recorded_with_its_version(name, registry):
    row = registry.loc[name]
    actual = collection_checksum(name)
    assert actual == row["sha256"], (
        f"genesets/{row['file']} changed but collections.tsv still records the checksum of "
        f"version {row['version']}: give {name} a new version, record sha256 {actual} in "
        "collections.tsv and RELEASED (tests/genesets/test_catalogue.py), and note it in "
        "CHANGELOG.md"
    )
    verify_collection(name)


@pytest.mark.parametrize("name", ["hallmark", "mechanisms", "published", "confounders"])
def test_a_released_version_never_changes_content(name, registry):
    row = registry.loc[name]
    key = (name, row["version"])
    assert key in RELEASED, f"new version {key}: add its sha256 to RELEASED"
    assert RELEASED[key] == row["sha256"], (
        f"{name} {row['version']} was released with sha256 {RELEASED[key]}; a changed "
        "collection needs a new version"
    )
    if name != "hallmark":
        assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", row["version"]), row["version"]


def test_checksum_guard_detects_an_edited_set(tmp_path, monkeypatch, registry):
    edited = tmp_path / "genesets"
    edited.mkdir()
    for f in ("collections.tsv", "mechanisms.gmt", "hallmark.gmt", "published.gmt"):
        (edited / f).write_bytes((GENESETS / f).read_bytes())
    gmt = edited / "mechanisms.gmt"
    gmt.write_text(gmt.read_text().replace("\tPARP1\t", "\tPARP2\t", 1))
    monkeypatch.setattr("rrscore.genesets._bundled.bundled_dir", lambda: edited)
    assert collection_checksum("mechanisms") != registry.loc["mechanisms", "sha256"]
    with pytest.raises(GeneSetError, match="give the changed collection a new version"):
        verify_collection("mechanisms")
    # CRLF line ends (a Windows checkout) do not count as a change.
    gmt.write_bytes((GENESETS / "mechanisms.gmt").read_bytes().replace(b"\n", b"\r\n"))
    verify_collection("mechanisms")


@pytest.mark.parametrize("name", ["hallmark", "mechanisms", "published", "confounders"])
def test_every_symbol_is_an_approved_symbol(name, approved):
    for set_name, genes in _gmt_lines(name).items():
        bad = sorted(set(genes) - approved)
        assert not bad, f"{name}/{set_name}: not approved symbols {bad}"


def test_hallmark_carries_current_symbols_and_the_attribution():
    hallmark = _gmt_lines("hallmark")
    assert len(hallmark) == 50 and sum(map(len, hallmark.values())) == 7303
    g2m = hallmark["HALLMARK_G2M_CHECKPOINT"]
    assert len(g2m) == 197 and "H2AX" in g2m and "H2AFX" not in g2m and "PTTG3P" not in g2m
    assert len(hallmark["HALLMARK_HYPOXIA"]) == 200  # nothing to update in this one
    assert "RIGI" in hallmark["HALLMARK_INTERFERON_GAMMA_RESPONSE"]
    for gs in load("hallmark"):
        assert "CC BY 4.0" in gs.description and "Liberzon et al. 2015" in gs.description


def test_published_hallmarks_are_the_hallmark_collection_sets():
    hallmark, published = _gmt_lines("hallmark"), _gmt_lines("published")
    shared = [name for name in published if name.startswith("HALLMARK_")]
    assert len(shared) == 9
    for name in shared:
        assert published[name] == hallmark[name], name


def test_hallmark_is_msigdb_v7_with_each_symbol_brought_to_its_approved_symbol():
    if not HALLMARK_SOURCE.is_file():
        pytest.skip(f"{HALLMARK_SOURCE} is not present")
    ref = gene_reference()
    source = [line.split("\t") for line in HALLMARK_SOURCE.read_text().splitlines() if line]
    expected = {}
    for name, _url, *genes in source:
        # rrscore's own resolver, independent of the build script: approved symbol, else an
        # unambiguous alias, else dropped; order kept, first occurrence kept.
        current = (ref.approved_symbol(g) for g in genes)
        expected[name] = list(dict.fromkeys(g for g in current if g is not None))
    assert _gmt_lines("hallmark") == expected  # also the set order
    dropped = {g for _n, _u, *genes in source for g in genes if ref.approved_symbol(g) is None}
    assert len(dropped) == 16 and {"PTTG3P", "HBBP1", "CROCCP2", "AC139530.1"} <= dropped


@pytest.mark.parametrize("name", ["hallmark", "mechanisms", "published", "confounders"])
def test_no_set_lists_a_gene_twice(name):
    for set_name, genes in _gmt_lines(name).items():
        assert len(genes) == len(set(genes)), set_name
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the reader warns about duplicates it removes
        rrscore.genesets.read_gmt(GENESETS / f"{name}.gmt")


def test_signed_mechanism_sets_pair_up_and_down():
    mech = load("mechanisms")
    signed = {gs.name: (len(gs.up), len(gs.down)) for gs in mech if gs.signed}
    assert signed == {
        "RR_APOPTOSIS": (9, 5), "RR_CANCER_STEM_CELL": (10, 1),
        "RR_NONCODING_EFFECTORS": (4, 3), "RR_FERROPTOSIS": (4, 1), "RR_EMT": (18, 4),
    }
    assert "STK11" in mech["RR_EMT"].down and "GPX4" in mech["RR_FERROPTOSIS"].up
    assert rrscore.genesets.as_collection("mechanisms") is mech
    assert mech.version == "2026.11.0"


def test_gmt_and_provenance_agree_exactly():
    prov = _read_tsv(GENESETS / "provenance.tsv")
    gmt_pairs = {(s, g) for s, genes in _gmt_lines("mechanisms").items() for g in genes}
    prov_pairs = set(zip(prov["set"], prov["symbol"], strict=True))
    assert len(prov) == len(prov_pairs) == len(gmt_pairs) == 299
    assert gmt_pairs == prov_pairs
    expected = prov["set"].str.rsplit("_", n=1).str[-1].map(
        {"UP": "promotes_resistance", "DN": "sensitises"}
    )
    assert (prov["direction"] == expected).all()
    assert (prov["references"].str.fullmatch(r"\[\d+(,\d+)*\]")).all()


def test_review_table1_molecules_are_all_accounted_for(tests_data):
    t1 = _read_tsv(tests_data / "review_table1_key_molecules.tsv")
    prov = _read_tsv(GENESETS / "provenance.tsv")
    excluded = _read_tsv(GENESETS / "mechanisms_excluded.tsv")
    named = {
        (sym, n.strip())
        for sym, names in zip(prov["symbol"], prov["name_in_review"], strict=True)
        for n in names.split(";")
    }
    assert len(t1) == 118 and set(t1["status"]) == {"in_set", "excluded"}
    for row in t1.itertuples():
        if row.status == "in_set":
            symbols = [s for s in row.expected_symbols.split(";") if s]
            assert symbols, row.name_in_review
            for s in symbols:
                assert (s, row.name_in_review) in named, (row.name_in_review, s)
        else:
            assert row.name_in_review in set(excluded["name_in_review"]), row.name_in_review
    assert (excluded["reason"].str.strip() != "").all()


def test_drivers_are_approved_symbols(approved):
    drivers = _read_tsv(GENESETS / "drivers.tsv")
    assert set(drivers["symbol"]) == {"EGFR", "KRAS", "KEAP1", "NFE2L2", "TP53", "STK11"}
    assert set(drivers["symbol"]) <= approved


def test_published_sets_name_their_papers():
    published = load("published")
    assert set(published["RSI_ESCHRICH2009"].up) == RSI_GENES
    for gs in published:
        assert re.search(r"(19|20)\d\d", gs.description), gs.name
        if gs.name.startswith("HALLMARK_") or gs.name == "SINGH_NFE2L2_TARGETS":
            assert "CC BY 4.0" in gs.description, gs.name
    assert "MRGBP" in published["HYPOXIA_BUFFA2010"].up


def test_cli_lists_shows_and_exports_the_catalogue(tmp_path):
    runner = CliRunner()
    listing = runner.invoke(main, ["genesets", "list"])
    assert listing.exit_code == 0
    assert re.search(r"mechanisms\s+2026\.11\.0\s+25 sets\s+225 genes", listing.output)
    assert re.search(r"published\s+2026\.11\.0\s+16 sets\s+1339 genes", listing.output)
    show = runner.invoke(main, ["genesets", "show", "mechanisms"])
    assert show.exit_code == 0
    assert "RR_EMT\t18 up / 4 down\t" in show.output
    assert "RR_METABOLISM_IRON_UP\t1 gene\t" in show.output
    for name in ("mechanisms", "published"):
        out = tmp_path / f"{name}.gmt"
        export = runner.invoke(main, ["genesets", "export", name, "-o", str(out)])
        assert export.exit_code == 0
        assert out.read_bytes() == (GENESETS / f"{name}.gmt").read_bytes()
    bad = runner.invoke(main, ["genesets", "show", "no_such_collection"])
    assert bad.exit_code == 1 and "neither a gene-set file nor a bundled collection" in (
        bad.output
    )


# --- composite v2 definition, gene assignment and confounders (issue 11) ---------------------


def _composite() -> pd.DataFrame:
    return _read_tsv(GENESETS / "composite.tsv").set_index("mechanism")


def _readout(collection: str, name: str):
    """A read-out set: ``X`` also names an unpaired ``X_UP`` line of the collection."""
    coll = load(collection)
    names = {gs.name for gs in coll}
    return coll[name if name in names else f"{name}_UP"]


def test_every_composite_readout_set_exists_with_a_reason():
    table = _composite()
    assert list(table.columns[:4]) == ["readout_collection", "readout_set", "direction",
                                       "small_parts"]
    assert table.index.is_unique and len(table) == 13
    assert "RR_EXOSOME" not in table.index  # documented in MECHANISMS.md
    for mech, row in table.iterrows():
        gs = _readout(row["readout_collection"], row["readout_set"])
        assert gs.up, mech
        assert row["direction"] in {"+1", "-1"}, mech
        assert row["small_parts"] in {"weight", "fold", "drop"}, mech
        assert len(row["reason"]) > 60 and row["references"], mech
    # the two read-outs that replace or trim the review's set
    assert table.loc["RR_HYPOXIA", "readout_set"] == "HYPOXIA_BUFFA2010"
    assert table.loc["RR_HYPOXIA", "readout_collection"] == "published"
    assert table.loc["RR_CANCER_STEM_CELL", "small_parts"] == "drop"
    assert load("mechanisms")["RR_CANCER_STEM_CELL"].down == ("KEAP1",)


def test_gene_assignment_leaves_each_gene_in_one_readout():
    table = _composite()
    assignment = _read_tsv(GENESETS / "gene_assignment.tsv")
    assert list(assignment.columns) == ["gene", "mechanism", "reason"]
    assert assignment["gene"].is_unique
    assert (assignment["reason"].str.len() > 40).all()
    readouts = {mech: set(_readout(row["readout_collection"], row["readout_set"]).genes)
                for mech, row in table.iterrows()}
    owner = dict(zip(assignment["gene"], assignment["mechanism"], strict=True))
    for gene, mech in owner.items():
        assert mech in readouts, (gene, mech)
        assert gene in readouts[mech], f"{gene} is not in the read-out of {mech}"
    # the 12 review genes of several default mechanisms, each given one home
    review_shared = {"ACSL3", "ANGPTL4", "CD44", "CHEK1", "CHEK2", "CTNNB1", "CXCL12", "JAK2",
                     "PRKDC", "PROM1", "TGFB1", "WEE1"}
    assert review_shared <= set(owner)
    assert owner["WEE1"] == "RR_CELL_CYCLE_CHECKPOINT" and owner["PRKDC"] == "RR_DNA_REPAIR"
    # after the assignment no gene is in two read-outs of the composite
    counted: dict[str, list[str]] = {}
    for mech, genes in readouts.items():
        for gene in genes:
            if owner.get(gene, mech) == mech:
                counted.setdefault(gene, []).append(mech)
    twice = {g: m for g, m in counted.items() if len(m) > 1}
    assert not twice, twice
    # and every gene the read-outs share has an assignment row
    shared = {g for g in counted if sum(g in s for s in readouts.values()) > 1}
    assert shared <= set(owner), sorted(shared - set(owner))


def test_confounder_sets_are_the_published_lists(approved):
    conf = _gmt_lines("confounders")
    assert list(conf) == ["PROLIFERATION", "ESTIMATE_STROMAL", "ESTIMATE_IMMUNE"]
    assert conf["PROLIFERATION"] == ["BIRC5", "CCNB1", "CDC20", "NUF2", "CEP55", "NDC80",
                                     "MKI67", "PTTG1", "RRM2", "TYMS", "UBE2C"]
    assert len(conf["ESTIMATE_STROMAL"]) == len(conf["ESTIMATE_IMMUNE"]) == 141
    assert {"DCN", "LUM", "CCN4", "TENM4"} <= set(conf["ESTIMATE_STROMAL"])
    assert {"PTPRC", "CD3D", "GZMB", "HLA-DRA"} <= set(conf["ESTIMATE_IMMUNE"])
    for genes in conf.values():
        assert set(genes) <= approved
    coll = load("confounders")
    assert "Nielsen" in coll["PROLIFERATION"].description
    assert "Yoshihara" in coll["ESTIMATE_IMMUNE"].description
    source = SHARED_DATA.parent / "reference" / "gene_lists" / "hacksig_signatures.csv"
    if source.is_file():  # hacksig's lists, gene for gene and in order
        hack = pd.read_csv(source, dtype=str)
        for name, sig in (("ESTIMATE_STROMAL", "estimate_stromal"),
                          ("ESTIMATE_IMMUNE", "estimate_immune")):
            assert conf[name] == hack.loc[hack.signature_id == sig, "gene_symbol"].tolist()


def test_egfr_mutations_sensitise_with_primary_references():
    drivers = _read_tsv(GENESETS / "drivers.tsv").set_index("symbol")
    assert drivers.loc["EGFR", "direction"] == "sensitises"
    assert "Das AK et al. Cancer Res 2006" in drivers.loc["EGFR", "primary_evidence"]
    promote = drivers.index[drivers["direction"] == "promotes_resistance"]
    assert set(promote) == {"KRAS", "KEAP1", "NFE2L2", "TP53", "STK11"}
