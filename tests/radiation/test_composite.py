"""The one-call composite API `rrscore.radioresistance`: reference options, the AnnData entry
(`rrscore.tl.radioresistance`), and results that concatenate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from rrscore.errors import InputDataError, RRScoreError
from rrscore.radiation import (
    DEFAULT_MECHANISMS,
    RadioresistanceScorer,
    radioresistance,
)


def test_single_sample_without_reference_is_an_error(complete):
    with pytest.raises(RRScoreError, match="at least 2"):
        radioresistance(complete.iloc[:, [0]])


def test_mechanism_selection_and_fixed_reference_options(complete, tmp_path):
    scores = radioresistance(complete.iloc[:, :6],
                             mechanisms=["RR_DNA_REPAIR_HR_UP", "RR_METABOLISM_IRON"],
                             min_genes=1)
    assert list(scores.columns[:3]) == ["RR_DNA_REPAIR_HR", "RR_METABOLISM_IRON", "composite"]
    # the lncRNA set is not on the Agilent array at all
    with pytest.warns(UserWarning, match=r"RR_NONCODING_LNCRNA \(0/4\)"):
        radioresistance(complete.iloc[:, :6], mechanisms=["RR_EMT", "RR_NONCODING_LNCRNA"])
    with pytest.raises(RRScoreError, match="not in the gene sets"):
        radioresistance(complete.iloc[:, :6], mechanisms=["RR_NOPE"])
    scorer = RadioresistanceScorer().fit(complete.iloc[:, :6])
    with pytest.raises(RRScoreError, match="fixed when the reference is fitted"):
        radioresistance(complete.iloc[:, 6:9], reference=scorer, weights={"RR_EMT": 1})
    with pytest.raises(RRScoreError, match="differs from the fitted"):
        radioresistance(complete.iloc[:, 6:9], reference=scorer, method="ssgsea")
    with pytest.raises(RRScoreError, match="not fitted"):
        RadioresistanceScorer().transform(complete)
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something else"}')
    with pytest.raises(InputDataError, match="not a fitted radioresistance reference"):
        RadioresistanceScorer.load(bad)


def test_anndata_wrapper_stores_scores_scanpy_style(complete, tmp_path):
    import anndata as ad
    import scipy.sparse as sp

    from rrscore.tl import radioresistance as radioresistance_anndata

    data = complete.iloc[:, :10]
    adata = ad.AnnData(sp.csr_matrix(data.T.to_numpy()),
                       obs=pd.DataFrame(index=list(data.columns)),
                       var=pd.DataFrame(index=list(data.index)))
    assert radioresistance_anndata(adata) is None
    expected = radioresistance(data)
    stored = adata.obsm["rrscore_radioresistance"]
    np.testing.assert_allclose(stored.to_numpy(), expected.to_numpy(), atol=1e-14)
    np.testing.assert_allclose(adata.obs["rr_composite"], expected["composite"], atol=1e-14)
    record = adata.uns["rrscore_radioresistance"]
    assert record["mechanisms"] == list(DEFAULT_MECHANISMS)
    assert record["reference"]["n_samples"] == 10
    adata.write_h5ad(tmp_path / "cells.h5ad")  # the record is h5ad-serialisable
    back = ad.read_h5ad(tmp_path / "cells.h5ad")
    assert back.uns["rrscore_radioresistance"]["method"] == "singscore"
    only = radioresistance_anndata(adata, inplace=False, mechanisms=["RR_EMT", "RR_HYPOXIA"])
    assert list(only.columns) == ["RR_EMT", "RR_HYPOXIA", "composite", "composite_percentile",
                                  "proliferation", "stromal", "immune"]


def _plain_types(value, where: str = "attrs") -> list[str]:
    """Paths of values that are not JSON-like plain data (exact types, not subclasses)."""
    if type(value) is dict:
        return [bad for k, v in value.items()
                for bad in ([f"{where} key {k!r}"] if type(k) is not str else [])
                + _plain_types(v, f"{where}[{k!r}]")]
    if type(value) is list:
        return [bad for i, v in enumerate(value) for bad in _plain_types(v, f"{where}[{i}]")]
    if value is None or type(value) in (str, int, float, bool):
        return []
    return [f"{where}: {type(value).__name__}"]


def test_results_concatenate_and_their_attrs_are_plain_data(complete, annotation):
    scorer = RadioresistanceScorer().fit(complete.iloc[:, :20])
    first = radioresistance(complete.iloc[:, 20:26], reference=scorer, mutations=annotation)
    second = radioresistance(complete.iloc[:, 26:], reference=scorer, mutations=annotation)
    for part in (first, second):
        assert _plain_types(part.attrs) == []
        assert json.loads(json.dumps(part.attrs)) == part.attrs
    joined = pd.concat([first, second])
    # scored against one reference, the parts are the rows of the whole, bit for bit
    whole = radioresistance(complete.iloc[:, 20:], reference=scorer, mutations=annotation)
    pd.testing.assert_frame_equal(joined, whole, check_exact=True)
    assert joined.attrs["rrscore"]["mechanisms"] == list(DEFAULT_MECHANISMS)
    # cohorts standardised against themselves (different records) concatenate too
    own = [radioresistance(complete.iloc[:, cols]) for cols in (slice(0, 5), slice(5, 12))]
    stacked = pd.concat(own)
    assert list(stacked.index) == list(complete.columns[:12])
    np.testing.assert_array_equal(stacked["composite"].to_numpy(),
                                  np.concatenate([o["composite"].to_numpy() for o in own]))
