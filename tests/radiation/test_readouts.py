"""Composite v2 read-outs: the definition tables (composite.tsv, gene_assignment.tsv) read from
fixtures and from the bundle, each gene counted once, no single gene ruling a mechanism in TCGA
LUAD, and the A549/H838 examples of issue 11 on the five-line single-cell data (../shared)."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import GeneSetError
from rrscore.radiation import (
    DEFAULT_MECHANISMS,
    CompositeDefinition,
    RadioresistanceScorer,
    bundled_definition,
    radioresistance,
)
from tests.radiation.conftest import GENESETS, _singscore_signed, readout_definition

HEADER = "mechanism\treadout_collection\treadout_set\tdirection\tsmall_parts\treason\treferences\n"


def _write(path, rows: list[str], header: str = HEADER):
    path.write_text(header + "".join(r + "\n" for r in rows))
    return path


@pytest.fixture
def definition(tmp_path) -> CompositeDefinition:
    """Hypoxia read by Buffa's metagene, EMT read with its sign flipped (a test of direction),
    and VEGFA (in both Buffa and nothing else here) assigned to a third mechanism."""
    comp = _write(tmp_path / "composite.tsv", [
        "RR_HYPOXIA\tpublished\tHYPOXIA_BUFFA2010\t+1\tweight\tresponse genes\tBuffa 2010",
        "ANTI_EMT\tmechanisms\tRR_EMT\t-1\tweight\tsign test\t",
        "RR_ANGIO\tmechanisms\tRR_HYPOXIA_UP\t1\tweight\tholds VEGFA\t",
    ])
    assign = _write(tmp_path / "gene_assignment.tsv", ["VEGFA\tRR_ANGIO\tangiogenesis"],
                    header="gene\tmechanism\treason\n")
    return CompositeDefinition.from_files(comp, assign)


def test_a_definition_reads_each_mechanism_from_its_named_set(definition, complete):
    buffa = rrscore.genesets.load("published")["HYPOXIA_BUFFA2010"]
    assert "VEGFA" in buffa.up
    sets, info = definition.sets()
    by_name = {gs.name: gs for gs in sets}
    # VEGFA counts in RR_ANGIO only
    assert list(by_name["RR_HYPOXIA"].up) == [g for g in buffa.up if g != "VEGFA"]
    assert "VEGFA" in by_name["RR_ANGIO"].up
    assert info["RR_HYPOXIA"]["reassigned"] == ["VEGFA"]
    assert info["ANTI_EMT"]["direction"] == -1
    # a gene assigned to a mechanism that is not selected stays where it is
    alone, _ = definition.sets(["RR_HYPOXIA"])
    assert "VEGFA" in alone[0].up

    data = complete.iloc[:, :12]
    scores = radioresistance(data, gene_sets=definition, confounders=False)
    assert list(scores.columns[:3]) == ["RR_HYPOXIA", "ANTI_EMT", "RR_ANGIO"]
    # RR_HYPOXIA: singscore of the Buffa genes found (VEGFA excluded), standardised
    labels = _data_labels(data, [g for g in buffa.up if g != "VEGFA"])
    raw = _singscore_signed(data, list(labels.values()), [])
    np.testing.assert_allclose(scores["RR_HYPOXIA"], (raw - raw.mean()) / raw.std(ddof=1),
                               atol=1e-12)
    # ANTI_EMT: the RR_EMT score with its sign flipped (z of -x is -z of x)
    emt = radioresistance(data, gene_sets="mechanisms", mechanisms=["RR_EMT", "RR_CAF"],
                          confounders=False)
    np.testing.assert_allclose(scores["ANTI_EMT"], -emt["RR_EMT"], atol=1e-12)
    readouts = scores.attrs["rrscore"]["readouts"]
    assert readouts["RR_HYPOXIA"]["collection"] == "published"
    assert readouts["RR_HYPOXIA"]["set"] == "HYPOXIA_BUFFA2010"
    assert readouts["RR_HYPOXIA"]["collection_version"] == \
        rrscore.genesets.load("published").version
    assert scores.attrs["rrscore"]["definition"].endswith("composite.tsv")


@pytest.mark.parametrize("row, message", [
    ("X\tmechanisms\tRR_EMT\t2\tweight\t\t", "must be \\+1 or -1"),
    ("X\tmechanisms\tRR_EMT\tup\tweight\t\t", "must be \\+1 or -1"),
    ("X\tmechanisms\tRR_EMT\t1\tmaybe\t\t", "small_parts of X must be one of"),
    ("X\tnot_a_collection\tRR_EMT\t1\tweight\t\t", "not a bundled collection"),
])
def test_a_malformed_definition_is_a_clear_error(tmp_path, row, message):
    with pytest.raises(GeneSetError, match=message):
        CompositeDefinition.from_files(_write(tmp_path / "c.tsv", [row]))


def test_definition_errors_name_the_fault(tmp_path):
    with pytest.raises(GeneSetError, match="lacks the columns \\['direction'"):
        CompositeDefinition.from_files(_write(tmp_path / "a.tsv", ["X\tmechanisms\tRR_EMT"],
                                              header="mechanism\treadout_collection\t"
                                                     "readout_set\n"))
    twice = _write(tmp_path / "b.tsv", ["X\tmechanisms\tRR_EMT\t1\tweight\t\t"] * 2)
    with pytest.raises(GeneSetError, match="listed twice: \\['X'\\]"):
        CompositeDefinition.from_files(twice)
    one = _write(tmp_path / "c.tsv", ["X\tmechanisms\tRR_EMT\t1\tweight\t\t"])
    bad_assign = _write(tmp_path / "g.tsv", ["VIM\tY\t"], header="gene\tmechanism\treason\n")
    with pytest.raises(GeneSetError, match="assigned to 'Y', which is not a mechanism"):
        CompositeDefinition.from_files(one, bad_assign)
    missing = _write(tmp_path / "d.tsv", ["X\tmechanisms\tRR_NOPE\t1\tweight\t\t"])
    with pytest.raises(GeneSetError, match="'RR_NOPE' is not in the bundled collection"):
        CompositeDefinition.from_files(missing).sets()


def test_the_bundled_definition_is_the_default(cohort_result):
    definition = bundled_definition()
    assert definition is not None
    assert list(DEFAULT_MECHANISMS) == definition.mechanisms
    table = pd.read_csv(GENESETS / "composite.tsv", sep="\t", dtype=str)
    readouts = cohort_result.scores.attrs["rrscore"]["readouts"]
    for row in table.itertuples(index=False):
        got = readouts[row.mechanism]
        assert got["collection"] == row.readout_collection
        assert got["set"] in (row.readout_set, f"{row.readout_set}_UP")
        assert got["direction"] == int(row.direction)
        assert got["small_parts"] == row.small_parts
    # the mechanisms collection's version is recorded with the result and the saved reference
    record = cohort_result.scorer.to_dict()
    assert record["gene_sets"] == {"name": "mechanisms",
                                   "version": rrscore.genesets.load("mechanisms").version}


def test_no_gene_counts_in_two_default_mechanisms(cohort_result):
    listed = Counter(g for up, down, _, _ in readout_definition().values() for g in up + down)
    assert {g: n for g, n in listed.items() if n > 1} == {}
    scorer = cohort_result.scorer
    used = Counter(g for m in scorer.mechanisms_ for part in ("up", "down")
                   for g in scorer.genes_[m][part])
    assert {g: n for g, n in used.items() if n > 1} == {}
    # the 12 review genes of several mechanisms (issue 11) are among those assigned
    assign = pd.read_csv(GENESETS / "gene_assignment.tsv", sep="\t")
    assert {"WEE1", "CTNNB1"} <= set(assign["gene"])


def _data_labels(data: pd.DataFrame, genes: list[str]) -> dict[str, str]:
    """Set gene -> its row in the data (the data may use an older symbol: MRE11A for MRE11),
    from rrscore's coverage report."""
    cov = rrscore.coverage(data, {"genes": genes}).iloc[0]
    renamed = dict(pair.split("->") for pair in cov["renamed"].split(";") if pair)
    return {g: renamed.get(g, g) for g in genes if renamed.get(g, g) in data.index}


def _single_gene_rho(scores: pd.Series, ranks: pd.DataFrame, genes: list[str]) -> pd.Series:
    labels = _data_labels(ranks, genes)
    assert len(labels) == len(genes)  # every gene scored is a row of the data
    return pd.Series({g: scores.corr(ranks.loc[row], method="spearman")
                      for g, row in labels.items()})


# Issue 11's criterion, literally: |rho| with one gene's within-sample rank <= 0.8. Two read-outs
# exceed it on the 32 bundled tumours through co-expression hubs, not leverage (the next test):
# leaving the gene out changes the score by < 1% (rho >= 0.995) and keeps rho >= 0.8 with it.
_HUBS = {"RR_HYPOXIA": "CDKN3 (rho 0.91), a hub of the Buffa 2010 hypoxia metagene",
         "RR_EMT": "FN1 (rho 0.85), a hub of the mesenchymal program"}


@pytest.mark.parametrize("mechanism", [
    pytest.param(m, marks=pytest.mark.xfail(strict=True, reason=_HUBS[m])) if m in _HUBS
    else m for m in DEFAULT_MECHANISMS])
def test_no_default_mechanism_follows_one_genes_rank(expr, cohort_result, mechanism):
    data = expr.dropna()
    ranks = data.rank(axis=0)  # each gene's rank within its sample, as singscore ranks
    g = cohort_result.scorer.genes_[mechanism]
    rho = _single_gene_rho(cohort_result.scores[mechanism], ranks, g["up"] + g["down"])
    assert rho.abs().max() <= 0.8, rho.abs().sort_values().tail(3).to_dict()


def test_published_programmes_exceed_the_literal_criterion_too(expr):
    """Why the two expected failures above are not fixed by another read-out: on the same 32
    tumours the published hypoxia and EMT hallmarks also have a member gene at |rho| > 0.8
    (MECHANISMS.md, table 5), while random sets of the Buffa read-out's size stay below it."""
    data = expr.dropna()
    ranks = data.rank(axis=0)
    hallmark = {gs.name: list(gs.genes) for gs in rrscore.genesets.load("hallmark")}

    def max_hub(genes):
        genes = [g for g in genes if g in data.index]
        score = rrscore.score(data, {"s": genes}, "singscore")["s"]
        return max(abs(score.corr(ranks.loc[g], method="spearman")) for g in genes)

    assert max_hub(hallmark["HALLMARK_HYPOXIA"]) > 0.8
    assert max_hub(hallmark["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"]) > 0.8
    rng = np.random.default_rng(1)
    random_hubs = [max_hub(list(rng.choice(data.index, 45, replace=False))) for _ in range(20)]
    assert max(random_hubs) < 0.8


def test_no_gene_rules_a_default_mechanism(expr, cohort_result):
    """A gene whose rank the mechanism follows (|rho| > 0.8) must not be what makes the
    score: without it the score is the same (rho >= 0.95). KEAP1 in the review's CSC set
    failed this: its up part alone had rho -0.04 with the signed score's KEAP1 rank."""
    data = expr.dropna()
    ranks = data.rank(axis=0)
    scorer = cohort_result.scorer
    checked = 0
    for m in scorer.mechanisms_:
        g = scorer.genes_[m]
        rho = _single_gene_rho(cohort_result.scores[m], ranks, g["up"] + g["down"])
        for gene in rho.index[rho.abs() > 0.8]:
            without = {m: [x for x in g["up"] if x != gene] + [f"{x}-" for x in g["down"]
                                                               if x != gene]}
            loo = RadioresistanceScorer(gene_sets=without, confounders=False).fit_transform(data)
            assert loo[m].corr(cohort_result.scores[m], method="spearman") >= 0.95, (m, gene)
            checked += 1
    assert checked >= 1  # the hubs above are checked


# --- the five lung lines (issue 11's A549/H838 examples) ------------------------------------------

@pytest.fixture(scope="module")
def five_lines(shared_data):
    folder = shared_data / "sc_mixology_luad_celllines_celseq2"
    counts = pd.read_csv(folder / "expr.tsv.gz", sep="\t", index_col=0)
    meta = pd.read_csv(folder / "samples.tsv", sep="\t", index_col=0)
    singlets = meta.index[meta["demuxlet_cls"] == "SNG"]
    counts = counts[singlets]
    logged = np.log1p(counts / counts.sum(axis=0) * 1e4)  # log1p CP10k, as the example
    return logged, meta.loc[singlets, "cell_line_demuxlet"]


def test_one_gene_parts_no_longer_decide_the_five_lines(five_lines):
    data, line = five_lines
    ranks = data.rank(axis=0, method="min")
    v1 = rrscore.score(data, "mechanisms", "singscore")  # the review's sets, equal halves
    v2 = radioresistance(data, confounders=False)
    keap1, acsl4 = ranks.loc["KEAP1"], ranks.loc["ACSL4"]
    # the examples reproduce with equal halves: each mechanism is one gene's rank
    assert v1["RR_CANCER_STEM_CELL"].corr(keap1, method="spearman") < -0.8
    assert v1["RR_FERROPTOSIS"].corr(acsl4, method="spearman") < -0.8
    # H838 (lowest KEAP1 mRNA of the five) "led" the CSC mechanism for that reason alone
    assert data.loc["KEAP1"].groupby(line).mean().idxmin() == "H838"
    assert v1["RR_CANCER_STEM_CELL"].groupby(line).median().idxmax() == "H838"
    # composite v2: KEAP1's part is dropped, ACSL4 is 1 of 5 genes
    assert v2.attrs["rrscore"]["readouts"]["RR_CANCER_STEM_CELL"]["dropped_parts"] == ["down"]
    assert abs(v2["RR_CANCER_STEM_CELL"].corr(keap1, method="spearman")) < 0.3
    assert v2["RR_CANCER_STEM_CELL"].groupby(line).median().idxmax() != "H838"
    assert abs(v2["RR_FERROPTOSIS"].corr(acsl4, method="spearman")) < 0.8
    assert v2.attrs["rrscore"]["readouts"]["RR_FERROPTOSIS"]["part_weights"] == \
        pytest.approx({"up": 0.8, "down": 0.2})
    # A549 (KEAP1-mutant) still leads the NRF2 read-out
    assert v2["RR_DRIVER_NRF2_TARGETS"].groupby(line).median().idxmax() == "A549"
