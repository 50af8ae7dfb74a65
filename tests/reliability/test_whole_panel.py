"""A set holding every gene of the data (a targeted panel): each method's answer is stated.

ssGSEA and singscore have nothing to compare such a set with (no gene outside it; singscore's
bounds coincide): NaN with a named MethodWarning, and the other sets keep their scores
(ssGSEA's normalisation runs over the finite scores).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import MethodWarning

GENES = [f"G{i}" for i in range(8)]


@pytest.fixture(scope="module")
def panel():
    rng = np.random.default_rng(2)
    return pd.DataFrame(rng.normal(8, 2, size=(8, 6)), index=GENES,
                        columns=[f"s{i}" for i in range(6)])


@pytest.mark.parametrize(("method", "params"), [("ssgsea", {"normalize": False}),
                                                ("ssgsea", {}), ("singscore", {})])
def test_whole_panel_set_is_nan_with_a_named_warning(panel, method, params):
    sets = {"panel": GENES, "part": GENES[:3]}
    with pytest.warns(MethodWarning, match="hold every gene.*panel"):
        got = rrscore.score(panel, sets, method, **params)
    assert got["panel"].isna().all()
    alone = rrscore.score(panel, {"part": GENES[:3]}, method, **{**params, "normalize": False}
                          if method == "ssgsea" else params)
    if params.get("normalize", True) and method == "ssgsea":
        # normalised by the range of the finite scores, i.e. of "part" alone
        raw = alone["part"].to_numpy()
        np.testing.assert_allclose(got["part"].to_numpy(), raw / (raw.max() - raw.min()),
                                   rtol=1e-12)
    else:
        np.testing.assert_allclose(got["part"].to_numpy(), alone["part"].to_numpy(),
                                   rtol=1e-12)
