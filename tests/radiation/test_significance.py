"""How sure is a mechanism score: the per-sample null against size-matched random sets, equal
to rrscore.stats' for unsigned sets and written out by hand for a signed, size-weighted one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import RRScoreError
from rrscore.radiation import RadioresistanceScorer, radioresistance

SETS = {"REPAIR": ["RAD51", "BRCA2", "XRCC1", "PARP1", "ATM", "LIG4"],
        "HYPOXIA": ["VEGFA", "HIF1A", "CA9", "SLC2A1", "LDHA"]}


def test_unsigned_mechanisms_match_rrscore_stats(complete):
    data = complete.iloc[:, :8]
    scores = radioresistance(data, gene_sets=SETS, confounders=False, significance=60, seed=4)
    stats = rrscore.stats.score_significance(data, SETS, "singscore", n_perm=60, seed=4,
                                             alternative="two-sided")
    for name in SETS:
        part = stats[stats["set"] == name].set_index("sample")
        np.testing.assert_allclose(scores[f"{name}_null_z"], part.loc[scores.index, "z"],
                                   atol=1e-12)
        np.testing.assert_allclose(scores[f"{name}_p"], part.loc[scores.index, "pvalue"],
                                   atol=1e-15)
    info = scores.attrs["rrscore"]["significance"]
    assert info["n_perm"] == 60 and info["seed"] == 4 and info["alternative"] == "two-sided"
    assert info["null_sizes"] == [[5, 0], [6, 0]]
    assert list(scores.columns[-4:]) == ["REPAIR_null_z", "HYPOXIA_null_z", "REPAIR_p",
                                         "HYPOXIA_p"]


def test_a_signed_mechanism_null_is_scored_and_weighted_like_the_mechanism(complete):
    """Written out: the same draws as rrscore.stats (one seeded generator, k_up + k_dn genes
    without replacement per random set), each part scored by rrscore.score and combined
    (k_up * up - k_dn * down) / k; z against the null's mean and SD, two-sided p."""
    data = complete.iloc[:, :6]
    gs = rrscore.genesets.load("mechanisms")["RR_APOPTOSIS"]  # 9 up, 5 down
    n_perm, seed = 40, 11
    scores = radioresistance(data, gene_sets="mechanisms", mechanisms=["RR_APOPTOSIS",
                                                                        "RR_HYPOXIA"],
                             confounders=False, significance=n_perm, seed=seed)
    genes = np.asarray(data.index.astype(str))
    rng = np.random.default_rng(seed)
    sizes = [(7, 0), (9, 5)]  # RR_HYPOXIA's 7 genes, then RR_APOPTOSIS's parts, sorted
    draws = {key: [rng.choice(len(genes), key[0] + key[1], replace=False)
                   for _ in range(n_perm)] for key in sizes}
    sets = {}
    for j, idx in enumerate(draws[(9, 5)]):
        sets[f"u{j}"] = list(genes[idx[:9]])
        sets[f"d{j}"] = list(genes[idx[9:]])
    parts = rrscore.score(data, sets, "singscore", map_ids="off")
    null = np.column_stack([(9 * parts[f"u{j}"] - 5 * parts[f"d{j}"]) / 14
                            for j in range(n_perm)])
    up = rrscore.score(data, {"u": list(gs.up), "d": list(gs.down)}, "singscore")
    observed = ((9 * up["u"] - 5 * up["d"]) / 14).to_numpy()
    z = (observed - null.mean(axis=1)) / null.std(axis=1, ddof=1)
    high = (1 + (null >= observed[:, None]).sum(axis=1)) / (1 + n_perm)
    low = (1 + (null <= observed[:, None]).sum(axis=1)) / (1 + n_perm)
    np.testing.assert_allclose(scores["RR_APOPTOSIS_null_z"], z, atol=1e-12)
    np.testing.assert_allclose(scores["RR_APOPTOSIS_p"], np.minimum(1, 2 * np.minimum(high, low)),
                               atol=1e-15)


def test_significance_is_seeded_per_sample_and_needs_a_sample_independent_method(complete):
    data = complete.iloc[:, :10]
    scorer = RadioresistanceScorer(gene_sets=SETS, confounders=False).fit(data)
    a = scorer.transform(data, significance=30, seed=1)
    b = scorer.transform(data, significance=30, seed=1)
    pd.testing.assert_frame_equal(a, b)
    c = scorer.transform(data, significance=30, seed=2)
    assert not np.allclose(a["REPAIR_null_z"], c["REPAIR_null_z"])
    # the null of a sample depends on that sample only
    one = scorer.transform(data.iloc[:, [3]], significance=30, seed=1)
    pd.testing.assert_series_equal(one.iloc[0], a.iloc[3], check_names=False, atol=1e-15,
                                   rtol=0)
    p = a[["REPAIR_p", "HYPOXIA_p"]].to_numpy()
    assert (p >= 1 / 31).all() and (p <= 1).all()
    with pytest.raises(RRScoreError, match="sample-independent"):
        radioresistance(data, method="gsva", gene_sets=SETS, confounders=False,
                        significance=True)
    with pytest.raises(RRScoreError, match="significance must be"):
        radioresistance(data, gene_sets=SETS, confounders=False, significance=1)
