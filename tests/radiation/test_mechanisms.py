"""Mechanism selection and weights of the composite: the default catalogue selection, names
and aliases of `_UP`/`_DN` sets, weight validation, mechanisms dropped for too few genes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rrscore.errors import GeneMatchError, RRScoreError
from rrscore.radiation import (
    DEFAULT_MECHANISMS,
    REVIEW_MECHANISMS,
    radioresistance,
)
from tests.radiation.conftest import GENESETS


def test_default_mechanisms_are_those_of_composite_tsv(cohort_result):
    scores = cohort_result.scores
    mechanisms = scores.attrs["rrscore"]["mechanisms"]
    assert mechanisms == list(DEFAULT_MECHANISMS)
    listed = pd.read_csv(GENESETS / "composite.tsv", sep="\t")["mechanism"].tolist()
    assert list(DEFAULT_MECHANISMS) == listed
    assert list(scores.columns) == [*DEFAULT_MECHANISMS, "composite", "composite_percentile",
                                    "proliferation", "stromal", "immune"]
    assert "RR_NONCODING_LNCRNA" not in scores.columns
    assert not any(c.startswith("RR_DNA_REPAIR_") for c in scores.columns)
    assert scores.attrs["rrscore"]["reference"] == {
        "source": "cohort", "n_samples": 32, "n_genes": 17814 - 418,
    }


def test_user_weights_are_validated_and_normalised(complete):
    scores, contributions, scorer = radioresistance(
        complete, weights={"RR_DNA_REPAIR": 2, "RR_HYPOXIA_UP": 1}, return_contributions=True,
    )
    # the GMT line name RR_HYPOXIA_UP is accepted for mechanism RR_HYPOXIA
    assert scorer.weights_["RR_DNA_REPAIR"] == pytest.approx(2 / 3)
    assert scorer.weights_["RR_HYPOXIA"] == pytest.approx(1 / 3)
    assert scorer.weights_.drop(["RR_DNA_REPAIR", "RR_HYPOXIA"]).eq(0).all()
    assert scorer.weights_.sum() == pytest.approx(1)
    expected = 2 / 3 * scores["RR_DNA_REPAIR"] + 1 / 3 * scores["RR_HYPOXIA"]
    np.testing.assert_allclose(scores["composite"], expected, atol=1e-13)
    np.testing.assert_allclose(contributions.sum(axis=1), scores["composite"], atol=1e-13)
    assert (contributions.drop(columns=["RR_DNA_REPAIR", "RR_HYPOXIA"]) == 0).all().all()
    # unweighted mechanisms are still reported
    assert "RR_EMT" in scores.columns


@pytest.mark.parametrize(
    "weights, message",
    [
        ({"RR_NOT_A_MECHANISM": 1}, "unknown mechanisms"),
        ({"RR_DNA_REPAIR": -1}, ">= 0"),
        ({"RR_DNA_REPAIR": float("nan")}, "finite"),
        ({"RR_DNA_REPAIR": float("inf")}, "finite"),
        ({"RR_DNA_REPAIR": "heavy"}, "not a number"),
        ({"RR_DNA_REPAIR": 0, "RR_EMT": 0}, "positive weight"),
        ([1, 2], "dict"),
    ],
)
def test_bad_weights_are_errors(complete, weights, message):
    with pytest.raises(RRScoreError, match=message):
        radioresistance(complete.iloc[:, :5], weights=weights)


def test_mechanism_with_too_few_genes_is_dropped_with_a_warning(complete):
    # the review's catalogue (gene_sets="mechanisms") still holds RR_EXOSOME
    data = complete.drop(index=["ALDOA", "ALDH3A1"])  # RR_EXOSOME keeps 1 of 3 genes
    with pytest.warns(UserWarning, match=r"RR_EXOSOME \(1/3\)"):
        scores, _, scorer = radioresistance(data.iloc[:, :8], gene_sets="mechanisms",
                                            return_contributions=True)
    assert "RR_EXOSOME" not in scores.columns
    assert len(scorer.mechanisms_) == len(REVIEW_MECHANISMS) - 1
    assert scorer.weights_.sum() == pytest.approx(1)
    np.testing.assert_allclose(scores["composite"],
                               scores[scorer.mechanisms_].mean(axis=1), atol=1e-13)


def test_a_lone_sensitising_set_cannot_be_a_mechanism(complete):
    sets = {"GOOD_UP": ["BCL2", "MCL1", "BCL2L1"], "ONLY_DN": ["BAX", "BAD", "BID"]}
    with pytest.raises(GeneMatchError, match="only sensitising genes"):
        radioresistance(complete.iloc[:, :5], gene_sets=sets)
    scores = radioresistance(complete.iloc[:, :5], gene_sets=sets, mechanisms=["GOOD"])
    assert list(scores.columns[:1]) == ["GOOD"]
