"""The public API: results that concatenate, one record everywhere, n_jobs, warnings, get."""

from __future__ import annotations

import json
import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import ConstantGenesWarning, LowCoverageWarning, RRScoreError

from .conftest import TESTS_DATA


@pytest.fixture(scope="module")
def leukemia() -> pd.DataFrame:
    """The committed leukemia subset (genes × samples, log2 intensities)."""
    return pd.read_csv(TESTS_DATA / "leukemia_small" / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture(scope="module")
def gmt():
    return TESTS_DATA / "leukemia_small" / "genesets.gmt"


def test_two_results_concatenate_and_their_record_is_plain_data(leukemia, gmt):
    a = rrscore.score(leukemia.iloc[:, :10], gmt, "ssgsea", normalize=False)
    b = rrscore.score(leukemia.iloc[:, 10:20], gmt, "ssgsea", normalize=False)
    both = pd.concat([a, b])
    assert both.shape == (20, a.shape[1])
    json.dumps(a.attrs["rrscore"])  # plain data only: no DataFrame, no NumPy scalar
    # sample-independent scores: concatenating halves gives the scores of the whole
    whole = rrscore.score(leukemia.iloc[:, :20], gmt, "ssgsea", normalize=False)
    np.testing.assert_array_equal(both.to_numpy(), whole.to_numpy())


def test_score_with_dispersion_results_concatenate(leukemia, gmt):
    s1, d1 = rrscore.score_with_dispersion(leukemia.iloc[:, :5], gmt)
    s2, d2 = rrscore.score_with_dispersion(leukemia.iloc[:, 5:9], gmt)
    assert pd.concat([s1, s2]).shape[0] == 9
    assert pd.concat([d1, d2]).shape[0] == 9
    assert d1.attrs["rrscore"]["output"] == "dispersion"
    assert s1.attrs["rrscore"]["output"] == "score"
    json.dumps(d1.attrs["rrscore"])
    # the scores are those of rrscore.score
    plain = rrscore.score(leukemia.iloc[:, :5], gmt, "singscore")
    np.testing.assert_array_equal(s1.to_numpy(), plain.to_numpy())
    # the dispersion is the MAD of the set genes' ranks: check one set in one sample
    name = s1.columns[0]
    genes = [g for g in rrscore.read_gmt(gmt)[name].up if g in leukemia.index]
    ranks = leukemia.iloc[:, 0].rank(method="min")
    r = ranks[genes].to_numpy()
    mad = 1.4826 * np.median(np.abs(r - np.median(r)))
    assert d1.iloc[0, 0] == pytest.approx(mad, abs=1e-12)


def test_n_jobs_gives_the_same_scores_and_is_validated(leukemia, gmt):
    one = rrscore.score(leukemia, gmt, "gsva", n_jobs=1)
    every = rrscore.score(leukemia, gmt, "gsva", n_jobs=-1)
    np.testing.assert_array_equal(one.to_numpy(), every.to_numpy())
    for bad in (0, 10_000, "two", True):
        with pytest.raises(RRScoreError, match="n_jobs"):
            rrscore.score(leukemia, gmt, "zscore", n_jobs=bad)


def test_record_is_the_same_in_attrs_and_uns(leukemia, gmt, tmp_path):
    frame = rrscore.score(leukemia, gmt, "zscore")
    adata = ad.AnnData(leukemia.T.copy())
    rrscore.tl.score(adata, gmt, "zscore", key_added="z")
    np.testing.assert_array_equal(adata.obsm["z"].to_numpy(), frame.to_numpy())
    attrs, uns = frame.attrs["rrscore"], adata.uns["z"]
    for key in ("method", "collection", "sets", "coverage", "engine", "output",
                "rrscore_version"):
        assert key in attrs and key in uns
    assert attrs["sets"] == list(uns["sets"]) == list(frame.columns)
    assert uns["matrix"] == "adata.X" and attrs["matrix"] == ""
    # the uns record survives write_h5ad; get.* reads it back
    path = tmp_path / "scored.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    scores = rrscore.get.scores(back, "z")
    np.testing.assert_array_equal(scores.to_numpy(), frame.to_numpy())
    assert scores.attrs["rrscore"]["method"] == "zscore"
    cov = rrscore.get.coverage(back, "z")
    pd.testing.assert_frame_equal(cov, rrscore.coverage_report(frame), check_dtype=False)
    with pytest.raises(RRScoreError, match="no rrscore result under key 'nope'.*'z'"):
        rrscore.get.scores(back, "nope")


def test_warnings_have_categories_and_point_at_the_callers_line(leukemia):
    sets = {"mostly_missing": ["NOT_A_GENE1", "NOT_A_GENE2", "NOT_A_GENE3",
                               leukemia.index[0]]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rrscore.score(leukemia, sets, "ssgsea")
    low = [w for w in caught if issubclass(w.category, LowCoverageWarning)]
    assert len(low) == 1
    assert low[0].filename == __file__  # the user's line, not the library's


def test_constant_genes_warning_has_its_category(leukemia):
    data = leukemia.copy()
    data.iloc[0, :] = 3.0
    sets = {"with_constant": [data.index[0], data.index[1], data.index[2]]}
    with pytest.warns(ConstantGenesWarning, match="constant across samples") as record:
        rrscore.score(data, sets, "zscore")
    assert record[0].filename == __file__


def test_coverage_refuses_unknown_options(leukemia, gmt):
    with pytest.raises(RRScoreError, match="no option.*'alpha'"):
        rrscore.coverage(leukemia, gmt, alpha=0.5)


def test_top_level_namespace_is_the_public_face():
    public = set(rrscore.__all__)
    assert {"score", "coverage", "radioresistance", "RadioresistanceScorer", "rsi", "gard",
            "read_gmt", "write_gmt", "list_methods"} <= public
    for internal in ("prepare", "as_expression", "ExpressionMatrix"):
        assert internal not in public
        assert not hasattr(rrscore, internal)
    for name in rrscore.__all__:
        assert hasattr(rrscore, name)
