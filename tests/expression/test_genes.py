"""The gene plan: decided from the gene labels, applied to a whole matrix or to blocks of rows."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from rrscore.errors import InputDataError
from rrscore.expression import as_expression
from rrscore.expression._collapse import column_means
from rrscore.expression._genes import plan_genes
from rrscore.expression._lazy import lazy_expression

#: labels as found in files, and what each should become, written out by hand (None: dropped)
LABELS = {
    "tcga": [("TP53|7157", "TP53"), ("?|100130426", None), ("MDM2|4193", "MDM2"),
             ("TP53|7157", "TP53"), ("?|10357", None), ("EGFR|1956", "EGFR"),
             ("KRAS|3845", "KRAS")],
    "ensembl": [("ENSG00000141510.16", "ENSG00000141510"),
                ("ENSG00000135679.25", "ENSG00000135679"),
                ("ENSG00000182378.14_PAR_Y", None),
                ("ENSG00000141510.17", "ENSG00000141510"),
                ("ENSG00000124762.13", "ENSG00000124762"),
                ("ENSG00000146648.21", "ENSG00000146648")],
    "symbols": [(" DUP ", "DUP"), ("DUP", "DUP"), ("A", "A"), ("B", "B"), ("A", "A"),
                ("C", "C")],
}
POLICIES = ["first", "highest_mean", "mean", "sum", "max"]


def _frame(kind: str, seed: int = 0) -> pd.DataFrame:
    """Genes × 5 samples, distinct values; a later row has a higher mean (so that
    ``highest_mean`` keeps the last copy of a duplicated gene, ``first`` the first)."""
    raw = [label for label, _ in LABELS[kind]]
    rng = np.random.default_rng(seed)
    within = rng.permuted(np.tile(np.arange(5.0), (len(raw), 1)), axis=1)
    values = (within + 5.0 * np.arange(len(raw))[:, None]) / 4.0
    return pd.DataFrame(values, index=raw, columns=[f"s{j}" for j in range(5)])


def _by_hand(kind: str, df: pd.DataFrame, policy: str) -> pd.DataFrame:
    """The expected genes × samples table from pandas, with the cleaning written out above."""
    clean = [c for _, c in LABELS[kind]]
    kept = df.set_axis(clean)[[c is not None for c in clean]]
    groups = kept.groupby(level=0, sort=False)
    if policy == "highest_mean":
        return groups.apply(lambda g: g.iloc[int(np.argmax(g.mean(axis=1).to_numpy()))])
    return getattr(groups, policy)()


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("kind", sorted(LABELS))
def test_plan_from_labels_on_the_matrix_is_what_as_expression_gives(kind, policy):
    df = _frame(kind)
    x = df.to_numpy().T  # samples × stored columns, as the plan reads values
    plan = plan_genes(df.index)
    plan = plan.grouped(policy, lambda cols: column_means(x, plan.read[cols]))
    got = pd.DataFrame(plan.apply(x).T, index=plan.genes, columns=df.columns)
    expected = _by_hand(kind, df, policy)
    pd.testing.assert_frame_equal(got, expected, check_names=False)
    m = as_expression(df, duplicates=policy)
    assert list(m.genes) == list(plan.genes)
    np.testing.assert_array_equal(np.asarray(m.values), plan.apply(x))
    assert m.report.notes == [*plan.notes, *plan.collapse_notes]
    assert m.report.id_type == plan.id_type
    assert m.report.dropped_genes == list(plan.dropped)


def test_the_plan_needs_no_values():
    raw = [label for label, _ in LABELS["tcga"]]
    plan = plan_genes(raw)
    assert plan.id_type == "tcga_symbol_entrez"
    assert list(plan.read) == [0, 2, 3, 5, 6]
    assert plan.dropped == ("?|100130426", "?|10357")
    assert "dropped 2 TCGA '?|ENTREZ' rows that have no gene symbol" in plan.notes
    # combining policies: the genes are known before any value is read
    assert list(plan.grouped("sum").genes) == ["TP53", "MDM2", "EGFR", "KRAS"]
    # highest_mean says which columns it must compare, and refuses to guess without them
    assert list(plan.mean_columns("highest_mean")) == [0, 2]
    assert len(plan.mean_columns("first")) == 0
    with pytest.raises(ValueError, match="needs the means"):
        plan.grouped("highest_mean")
    assert list(plan.grouped("highest_mean", np.array([1.0, 0, 3.0, 0, 0])).read) == [3, 2, 5, 6]
    with pytest.raises(InputDataError, match=r"1 gene identifiers occur more than once.*TP53"):
        plan.grouped("error")
    # a gene dropped for missing values (the caller found them) is no longer duplicated
    single = plan.without(np.array([False, False, True, False, False]))
    assert single.grouped("error").genes.tolist() == ["TP53", "MDM2", "EGFR", "KRAS"]
    with pytest.raises(InputDataError, match="no gene has a usable identifier"):
        plan_genes(["?|1", "?|2", None])


@pytest.mark.filterwarnings("ignore:(Mean of empty slice|All-NaN slice):RuntimeWarning")
@pytest.mark.parametrize("policy", ["mean", "sum", "max"])
def test_blocks_of_rows_combine_as_the_whole_matrix(policy):
    df = _frame("symbols", seed=3)
    x = df.to_numpy().T.copy()
    x[1, 0] = x[3, 1] = x[3, 0] = np.nan  # one row has both DUP columns missing
    plan = plan_genes(df.index).grouped(policy)
    whole = plan.apply(x)
    blocks = np.vstack([plan.apply(x[a:b]) for a, b in ((0, 2), (2, 3), (3, 5))])
    np.testing.assert_array_equal(blocks, whole)
    sparse = np.vstack([plan.apply(sp.csr_matrix(x[a:b])).toarray() for a, b in ((0, 4), (4, 5))])
    np.testing.assert_array_equal(sparse, whole)
    assert np.isnan(whole[3, 0])  # both DUP columns missing in that row


def _anndata(kind: str, storage: str) -> ad.AnnData:
    df = _frame(kind, seed=5)
    x = df.to_numpy().T.copy()
    x[2, 5] = np.nan  # a missing value in a gene that is kept (EGFR, ENSG00000146648)
    x[x < 2] = 0.0  # some zeros, so that sparse storage stores less
    values = sp.csr_matrix(x) if storage == "sparse" else x
    adata = ad.AnnData(values, obs=pd.DataFrame(index=list(df.columns)))
    adata.var_names = pd.Index(list(df.index))
    return adata


@pytest.mark.filterwarnings("ignore:Variable names are not unique")
@pytest.mark.parametrize("storage", ["sparse", "dense"])
@pytest.mark.parametrize(("kind", "map_ids"), [("tcga", "off"), ("ensembl", "symbol")])
def test_backed_input_reports_what_in_memory_input_reports(tmp_path, kind, map_ids, storage):
    adata = _anndata(kind, storage)
    adata.write_h5ad(tmp_path / "x.h5ad")
    backed = ad.read_h5ad(tmp_path / "x.h5ad", backed="r")
    kw = {"duplicates": "highest_mean", "nan_policy": "drop_genes", "map_ids": map_ids}
    lazy = lazy_expression(backed, chunk_size=2, **kw)
    memory = as_expression(adata, **kw)
    assert lazy.is_lazy and not memory.is_lazy
    notes = memory.report.notes
    assert lazy.report.notes == notes
    assert lazy.report.id_type == memory.report.id_type
    assert lazy.report.dropped_genes == memory.report.dropped_genes
    assert lazy.report.id_mapping == memory.report.id_mapping
    assert list(lazy.genes) == list(memory.genes)
    np.testing.assert_array_equal(lazy.dense_rows(0, 5), memory.dense_rows(0, 5))
    # the notes say what happened: cleaning, mapping, the NaN gene, the duplicate
    words = {"tcga": ["TCGA '?|ENTREZ'", "kept the symbol part"],
             "ensembl": ["version suffix", "_PAR_Y", "mapped 5 of 5 Ensembl gene IDs"]}[kind]
    for word in [*words, "nan_policy='drop_genes': dropped 1 genes", "by policy 'highest_mean'"]:
        assert any(word in n for n in notes), (word, notes)
    backed.file.close()
