"""Gene-ID mapping in the input layer (Ensembl/Entrez to symbols) and alias matching."""

from __future__ import annotations

from pathlib import Path

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import GeneMatchError, InputDataError
from rrscore.expression import as_expression
from rrscore.genesets import GeneSet, GeneSetCollection, load, read_gmt
from rrscore.ids import gene_reference

ROOT = Path(__file__).resolve().parents[2]
TCGA = ROOT / "examples" / "data" / "tcga_luad_agilent" / "expr.tsv.gz"


def _ssgsea(data, sets, **kw) -> pd.DataFrame:
    return rrscore.score(data, sets, "ssgsea", normalize=False, low_coverage=0, **kw)


@pytest.fixture(scope="module")
def sc(tests_data):
    """Real CEL-seq2 counts of 5 lung lines keyed by Ensembl ID, the curator's symbol-level
    rows of the same genes, and the curator's mapping (tests/data/idmap)."""
    d = tests_data / "idmap"
    ens = pd.read_csv(d / "sc_mixology_ensembl.tsv.gz", sep="\t", index_col=0)
    sym = pd.read_csv(d / "sc_mixology_symbol.tsv.gz", sep="\t", index_col=0)
    genes = pd.read_csv(d / "sc_mixology_genes.tsv", sep="\t", index_col=0)
    return ens, sym, genes


def _one_to_one(ens: pd.DataFrame, curator: pd.Series, n_curator: pd.Series) -> pd.Series:
    """Ensembl ID -> symbol where both mappings agree and each gives the symbol one ID."""
    ours = pd.Series(gene_reference().ensembl_to_symbol(ens.index), index=ens.index)
    ok = ours.notna() & (ours == curator.reindex(ens.index)) & (n_curator.reindex(ens.index) == 1)
    ok &= ~ours.duplicated(keep=False)
    return ours[ok]


def test_ensembl_rows_become_the_curators_symbol_rows(sc):
    ens, sym, genes = sc
    m = as_expression(ens, gene_universe=load("mechanisms").genes, duplicates="sum")
    info = m.report.id_mapping
    assert info["from"] == "ensembl" and info["n_ids"] == len(ens) == 1632
    assert info["n_mapped"] + info["n_unmapped"] == len(ens)
    assert info["n_unmapped"] == 112 and info["n_ambiguous"] == 3  # ERCC spike-ins too
    assert any(n.startswith(f"mapped {info['n_mapped']} of 1632 Ensembl gene IDs") for n in
               m.report.notes)
    values = pd.DataFrame(m.values.T, index=m.genes, columns=m.samples)
    pairs = _one_to_one(ens, genes["symbol"], genes["n_ids_of_symbol"])
    assert len(pairs) == 1497
    pd.testing.assert_frame_equal(
        values.loc[pairs.to_numpy()], sym.loc[pairs.to_numpy()].astype(float),
        check_names=False,
    )
    # Unmapped IDs keep their label and stay in the data.
    unmapped = [i for i, s in zip(ens.index, gene_reference().ensembl_to_symbol(ens.index),
                                  strict=True) if s is None]
    assert set(unmapped) <= set(m.genes)
    # IDs mapping to one symbol are duplicates of it: 'sum' gives the curator's summed row.
    for symbol in ("PRODH", "BAZ2B", "RGS5", "MRPL23", "DGCR6", "GAGE12B"):
        ids = genes.index[genes["symbol"] == symbol]
        assert len(ids) == 2
        np.testing.assert_array_equal(values.loc[symbol], ens.loc[ids].sum().to_numpy())
        np.testing.assert_array_equal(values.loc[symbol], sym.loc[symbol].to_numpy())
    assert any("collapsed" in n and "'sum'" in n for n in m.report.notes)


def test_ensembl_scores_equal_symbol_scores_for_uniquely_mapped_genes(sc):
    ens, sym, genes = sc
    pairs = _one_to_one(ens, genes["symbol"], genes["n_ids_of_symbol"])
    for name in ("mechanisms", "published"):
        from_ensembl = _ssgsea(ens.loc[pairs.index], name)
        from_symbols = _ssgsea(sym.loc[pairs.to_numpy()], name)
        pd.testing.assert_frame_equal(from_ensembl, from_symbols, check_exact=True)
        cov_e = rrscore.coverage_report(from_ensembl)
        cov_s = rrscore.coverage_report(from_symbols)
        pd.testing.assert_frame_equal(cov_e, cov_s)
        assert from_ensembl.attrs["rrscore"]["input"]["id_mapping"]["n_unmapped"] == 0


def test_mapping_keeps_the_gene_universe(sc):
    """Symbol sets on mapped Ensembl data score exactly as Ensembl-ID sets on the raw IDs."""
    ens, _, _ = sc
    ours = pd.Series(gene_reference().ensembl_to_symbol(ens.index), index=ens.index)
    data = ens[~(ours.notna() & ours.duplicated(keep=False))]  # no collapsing needed
    to_id = {s: i for i, s in ours[data.index].dropna().items()}
    mech = load("mechanisms")
    as_ids = GeneSetCollection(tuple(
        GeneSet(gs.name, [to_id[g] for g in gs.up if g in to_id],
                [to_id[g] for g in gs.down if g in to_id])
        for gs in mech
    ))
    by_symbol = _ssgsea(data, mech)
    by_id = _ssgsea(data, as_ids, map_ids="off")
    pd.testing.assert_frame_equal(by_symbol, by_id, check_exact=True)
    assert by_symbol.attrs["rrscore"]["input"]["id_mapping"]["n_unmapped"] == 112


def test_samples_by_genes_and_anndata_with_ensembl_ids(sc):
    ens, _, _ = sc
    expected = _ssgsea(ens, "mechanisms")
    transposed = _ssgsea(ens.T, "mechanisms")
    assert transposed.attrs["rrscore"]["input"]["orientation"] == "genes_columns"
    pd.testing.assert_frame_equal(transposed, expected)
    adata = ad.AnnData(sp.csr_matrix(ens.T.to_numpy(dtype=np.float64)))
    adata.obs_names = ens.columns
    adata.var_names = [f"{g}.7" for g in ens.index]  # versioned IDs, as GENCODE writes them
    from_adata = _ssgsea(adata, "mechanisms")
    pd.testing.assert_frame_equal(from_adata, expected)


def test_entrez_data_maps_to_symbols(tests_data):
    """Foroutan TGF-b EMT data (Entrez IDs) with singscore's sets in Entrez and in symbols."""
    d = tests_data / "singscore_tgfb"
    expr = pd.read_csv(d / "expr.tsv.gz", sep="\t", index_col=0)
    assert expr.index.dtype.kind == "i"
    by_entrez = read_gmt(d / "genesets.gmt")
    ref = gene_reference()
    as_symbols = GeneSetCollection(tuple(
        GeneSet(gs.name, [s for s in ref.entrez_to_symbol(gs.up)]) for gs in by_entrez
    ))
    assert all(None not in gs.up for gs in as_symbols)  # every set gene maps
    baseline = _ssgsea(expr, by_entrez)  # Entrez sets: nothing to map
    assert baseline.attrs["rrscore"]["input"]["id_mapping"] == {}
    mapped = _ssgsea(expr, as_symbols)
    pd.testing.assert_frame_equal(mapped, baseline, check_exact=True)
    info = mapped.attrs["rrscore"]["input"]["id_mapping"]
    assert (info["from"], info["n_ids"], info["n_mapped"], info["n_unmapped"]) == (
        "entrez", 11900, 11802, 98,
    )


def test_old_symbols_in_tcga_match_current_set_symbols():
    """TCGA 2016 data say C20orf20, HIG2, CTSL2 where the Buffa set says MRGBP, HILPDA, CTSV."""
    data = pd.read_csv(TCGA, sep="\t", index_col=0)
    buffa = load("published").subset(["HYPOXIA_BUFFA2010"])
    res = _ssgsea(data, buffa, nan_policy="drop_genes")
    cov = rrscore.coverage_report(res).loc["HYPOXIA_BUFFA2010"]
    renamed = set(cov["renamed"].split(";"))
    assert renamed == {"MRGBP->C20orf20", "HILPDA->HIG2", "CTSV->CTSL2", "UTP11->UTP11L",
                       "ESRP1->RBM35A"}
    assert cov["n_found"] == 49 and set(cov["missing"].split(";")) == {"PNP", "AK4"}
    off = _ssgsea(data, buffa, nan_policy="drop_genes", map_ids="off")
    cov_off = rrscore.coverage_report(off).loc["HYPOXIA_BUFFA2010"]
    assert cov_off["n_found"] == 44 and "MRGBP" in cov_off["missing"].split(";")
    # Alias matching is the same as writing the set in the data's own names.
    old_names = {"MRGBP": "C20orf20", "HILPDA": "HIG2", "CTSV": "CTSL2", "UTP11": "UTP11L",
                 "ESRP1": "RBM35A"}
    rewritten = {"HYPOXIA_BUFFA2010": [old_names.get(g, g) for g in buffa["HYPOXIA_BUFFA2010"].up]}
    pd.testing.assert_frame_equal(
        _ssgsea(data, rewritten, nan_policy="drop_genes", map_ids="off"), res, check_exact=True
    )


def test_map_ids_switch():
    ens = pd.DataFrame(
        np.arange(12, dtype=float).reshape(4, 3),
        index=["ENSG00000141510.16", "ENSG00000135679", "ENSG00000124762", "ENSG99999999999"],
    )
    kept = as_expression(ens)  # no gene sets to compare with: identifiers stay
    assert list(kept.genes)[:3] == ["ENSG00000141510", "ENSG00000135679", "ENSG00000124762"]
    assert kept.report.id_mapping == {}
    mapped = as_expression(ens, map_ids="symbol")
    assert list(mapped.genes) == ["TP53", "MDM2", "CDKN1A", "ENSG99999999999"]
    assert mapped.report.id_mapping["n_unmapped"] == 1
    assert as_expression(ens, map_ids=True, gene_universe={"TP53"}).genes[0] == "TP53"
    assert as_expression(ens, map_ids=False, gene_universe={"TP53"}).genes[0] != "TP53"
    with pytest.raises(InputDataError, match="map_ids must be one of"):
        as_expression(ens, map_ids="yes please")
    # Gene sets in Ensembl IDs: the data are left alone even with map_ids="auto".
    assert as_expression(ens, gene_universe={"ENSG00000141510"}).genes[0] == "ENSG00000141510"


def test_probe_ids_are_not_mapped_and_keep_the_id_type_error():
    probes = pd.DataFrame(
        np.random.default_rng(0).normal(size=(6, 3)),
        index=["1007_s_at", "1053_at", "117_at", "121_at", "1255_g_at", "1294_at"],
    )
    with pytest.raises(GeneMatchError, match="looks like Affymetrix probe IDs.*gene symbols"):
        rrscore.score(probes, "mechanisms")
    with pytest.raises(GeneMatchError, match="looks like Ensembl gene IDs"):
        rrscore.score(pd.DataFrame(np.ones((3, 2)), index=[f"ENSG{i:011d}" for i in
                                                           (10**9, 10**9 + 1, 10**9 + 2)]),
                      "mechanisms", map_ids="off")


def test_whole_cell_line_data_ensembl_equals_symbol_level(shared_data):
    """../shared sc_mixology, all genes, first 200 cells: expr_ensembl.tsv.gz mapped by rrscore
    scores exactly as the curator's symbol-level expr.tsv.gz, on the genes both map
    one-to-one (cells are independent in ssGSEA, so 200 of the 909 keep the test fast)."""
    d = shared_data / "sc_mixology_luad_celllines_celseq2"
    cols = range(201)
    ens = pd.read_csv(d / "expr_ensembl.tsv.gz", sep="\t", index_col=0, usecols=cols)
    sym = pd.read_csv(d / "expr.tsv.gz", sep="\t", index_col=0, usecols=cols)
    assert list(ens.columns) == list(sym.columns)
    curator = pd.read_csv(d / "genes.tsv", sep="\t", index_col=0)["symbol"]  # "NA" -> NaN
    prep = rrscore._prepare.prepare(ens, "mechanisms", duplicates="sum", low_coverage=0)
    info = prep.expr.report.id_mapping
    assert (info["n_ids"], info["n_mapped"], info["n_unmapped"], info["n_symbols"]) == (
        16074, 13077, 2997, 13069,
    )
    pairs = _one_to_one(ens, curator, curator.map(curator.value_counts()))
    assert len(pairs) == 12931
    for name in ("mechanisms", "published"):
        pd.testing.assert_frame_equal(
            _ssgsea(ens.loc[pairs.index], name), _ssgsea(sym.loc[pairs.to_numpy()], name),
            check_exact=True,
        )
