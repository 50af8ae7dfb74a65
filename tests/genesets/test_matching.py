"""Matching gene sets to data genes: coverage report, size filtering, ID-type errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import GeneMatchError
from rrscore.genesets import GeneSet, GeneSetCollection, load
from rrscore.genesets._matching import align_gene_sets

EXAMPLE = "examples/data/tcga_luad_agilent/expr.tsv.gz"


@pytest.fixture(scope="module")
def luad_genes() -> pd.Index:
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / EXAMPLE
    return pd.Index(pd.read_csv(path, sep="\t", usecols=[0]).iloc[:, 0].astype(str))


def test_coverage_report_counts_match_set_intersection_on_real_data(luad_genes):
    hallmark = load("hallmark")
    aligned = align_gene_sets(hallmark, luad_genes, warn=False)
    cov = aligned.coverage
    genes = set(luad_genes)
    for gs in hallmark:
        found = [g for g in gs.up if g in genes]
        assert cov.loc[gs.name, "n_found"] == len(found)
        assert cov.loc[gs.name, "n_listed"] == len(gs)
        assert cov.loc[gs.name, "missing"].split(";") == [g for g in gs.up if g not in genes] or (
            cov.loc[gs.name, "missing"] == "" and len(found) == len(gs)
        )
    hyp = next(s for s in aligned if s.name == "HALLMARK_HYPOXIA")
    assert list(luad_genes[hyp.up]) == [g for g in hallmark["HALLMARK_HYPOXIA"].up if g in genes]


def test_size_filter_counts_genes_found_not_listed():
    genes = pd.Index([f"G{i}" for i in range(20)])
    coll = GeneSetCollection(
        (
            GeneSet("small_after_matching", ("G1", "G2", "X1", "X2", "X3")),
            GeneSet("ok", ("G1", "G2", "G3", "G4")),
            GeneSet("big", tuple(f"G{i}" for i in range(10))),
        )
    )
    aligned = align_gene_sets(coll, genes, min_size=3, max_size=8, warn=False)
    assert aligned.names == ["ok"]
    reasons = aligned.coverage["reason"]
    assert "2 genes found < min_size=3" == reasons["small_after_matching"]
    assert "10 genes found > max_size=8" == reasons["big"]


def test_low_coverage_warns_and_names_the_set():
    genes = pd.Index([f"G{i}" for i in range(20)])
    coll = GeneSetCollection((GeneSet("patchy", ("G1", "X1", "X2", "X3")),))
    with pytest.warns(UserWarning, match=r"patchy \(1/4\)"):
        align_gene_sets(coll, genes)


def test_case_insensitive_match_is_reported():
    genes = pd.Index(["Tp53", "MDM2", "CDKN1A"])
    coll = GeneSetCollection((GeneSet("p53", ("TP53", "MDM2")),))
    aligned = align_gene_sets(coll, genes, warn=False)
    assert list(aligned.sets[0].up) == [0, 1]
    assert aligned.coverage.loc["p53", "renamed"] == "TP53->Tp53"


def test_no_overlap_error_names_the_id_types():
    genes = pd.Index([f"ENSG{i:011d}" for i in range(50)])
    with pytest.raises(GeneMatchError, match="looks like Ensembl gene IDs.*gene symbols"):
        align_gene_sets(load("hallmark"), genes)


def test_score_reports_coverage_in_attrs(luad_genes):
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(len(luad_genes), 4)), index=luad_genes,
                        columns=list("abcd"))
    data = data[~data.index.duplicated()]
    result = rrscore.score(data, "hallmark", normalize=False)
    cov = rrscore.coverage_report(result)
    assert list(result.columns) == list(cov.index[cov["kept"]])
    assert result.attrs["rrscore"]["method"] == "ssgsea"
    # only plain data in attrs: printing and concatenating results works
    assert "HALLMARK_TNFA_SIGNALING_VIA_NFKB" in repr(result)
    assert pd.concat([result.iloc[:2], result.iloc[2:]]).shape == result.shape


def test_constant_genes_are_excluded_before_the_size_filter_for_gsva_like_methods(tests_data):
    """GSVA 1.46 drops constant genes from the data first, so sizes count without them."""
    import warnings

    d = tests_data / "edge_cases"
    expr = pd.read_csv(d / "expr.tsv", sep="\t", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sets = rrscore.read_gmt(d / "genesets.gmt")
        # WITH_CONSTANT lists one constant gene and four others
        by_zscore = rrscore.score(expr, sets, "zscore", min_size=5, low_coverage=0)
        by_ssgsea = rrscore.score(expr, sets, "ssgsea", min_size=5, low_coverage=0)
    assert "WITH_CONSTANT" not in by_zscore.columns and "WITH_CONSTANT" in by_ssgsea.columns
    cov = rrscore.coverage_report(by_zscore)
    constant_gene = expr.index[120]
    assert cov.loc["WITH_CONSTANT", "n_found"] == 4
    assert cov.loc["WITH_CONSTANT", "excluded"] == constant_gene
    assert cov.loc["ONLY_CONSTANT", "reason"] == "only genes constant across samples"
    assert rrscore.coverage_report(by_ssgsea).loc["WITH_CONSTANT", "n_found"] == 5


def test_non_text_and_repeated_data_labels():
    """Labels that are not text are matched exactly only; a repeated label is its last column
    (as the per-gene dictionary it replaces did)."""
    coll = GeneSetCollection((GeneSet("S", ("TP53", "1234", "kras")),))
    aligned = align_gene_sets(coll, pd.Index([1234, "TP53", "KRAS", "TP53"], dtype=object),
                              warn=False)
    assert aligned.sets[0].up.tolist() == [3, 2]
    assert aligned.coverage.loc["S", "missing"] == "1234"
    assert aligned.coverage.loc["S", "renamed"] == "kras->KRAS"


def test_membership_arrays_are_cached_on_the_collection():
    coll = GeneSetCollection((GeneSet("A", ("X", "Y"), ("Z",)), GeneSet("B", ("Y",))))
    flat = coll.memberships()
    assert flat is coll.memberships()
    assert flat.names.tolist() == ["X", "Y", "Z", "Y"]
    assert flat.set_id.tolist() == [0, 0, 0, 1]
    assert flat.is_down.tolist() == [False, False, True, False]
    assert flat.distinct[flat.codes].tolist() == flat.names.tolist()
    assert coll.genes == {"X", "Y", "Z"} and coll.genes is not coll.genes


def _reference_unique(genes):
    """The per-gene definition the fast path must equal: clean, drop empties, first wins."""
    from rrscore.genesets._model import clean_label

    out, dup = [], set()
    for g in genes:
        g = clean_label(g)
        if not g:
            continue
        (dup.add(g) if g in out else out.append(g))
    return tuple(out), sorted(dup)


@pytest.mark.parametrize("genes", [
    ["A", " B ", "C\t", "", "A", "\ufeffD", "E\ufeff ", " \ufeff F", "B"],
    [1, 2.5, "1", " x ", "x", None],  # not text: str() of each, as clean_label does
    ["TP53", "MDM2", "CDKN1A"],
    ("G", "G", "G"),
])
def test_gene_set_cleaning_equals_the_per_gene_rule(genes):
    from rrscore.errors import DuplicateGenesWarning

    expected, dups = _reference_unique(genes)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gs = GeneSet("s", genes)
    assert gs.up == expected
    messages = [str(w.message) for w in caught if issubclass(w.category, DuplicateGenesWarning)]
    assert messages == ([f"gene set 's' (up): removed duplicated genes {dups}"] if dups else [])


@pytest.mark.parametrize("genes", [
    ["A", "B-", " C+ ", "-", "+", "", "D -", "E", "F--", "G+-"],
    ["A", "B", "C"],
    ["A\n-", "B"],  # a line break inside a name is not a suffix boundary
    [3, "4-"],
])
def test_split_signed_genes_equals_the_per_gene_rule(genes):
    from rrscore.genesets._model import split_signed_genes

    up, down = [], []
    for g in genes:
        g = str(g).strip()
        if len(g) > 1 and g.endswith("-"):
            down.append(g[:-1].strip())
        elif len(g) > 1 and g.endswith("+"):
            up.append(g[:-1].strip())
        elif g not in ("", "+", "-"):
            up.append(g)
    assert split_signed_genes(genes) == (up, down)
    assert split_signed_genes(iter(genes)) == (up, down)


def test_collection_genes_are_the_distinct_member_genes():
    coll = GeneSetCollection.from_dict({"a": ["X", "Y", "Z-"], "b": ["Y", "W"]})
    assert coll.genes == {"X", "Y", "Z", "W"}
    assert set(coll.memberships().distinct) == coll.genes
