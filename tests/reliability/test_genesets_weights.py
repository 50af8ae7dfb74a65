"""Issue 10, "Weights ignored": rrscore's methods are unweighted, so a long table's weights
count by their sign only — and a MethodWarning says so, with the table's weight range, unless
every weight is +1 or -1. The scores are the unweighted ones, computed here with pandas
(mean z-score of the up genes minus that of the down genes).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import GeneSetError, MethodWarning
from rrscore.genesets import as_collection


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    return pd.DataFrame(rng.normal(7.0, 1.2, size=(6, 9)), index=[f"G{i}" for i in range(6)],
                        columns=[f"s{j}" for j in range(9)])


def _table(weights) -> pd.DataFrame:
    return pd.DataFrame({"source": ["P", "P", "P", "P", "Q"],
                         "target": ["G0", "G1", "G2", "G3", "G4"], "weight": weights})


def test_weight_magnitudes_are_ignored_with_a_warning_naming_their_range(data):
    with pytest.warns(MethodWarning, match=r"weights range from -4 to 2\.5, but rrscore's "
                      r"methods are unweighted: only the sign is used") as caught:
        weighted = rrscore.score(data, _table([2.5, 0.3, -4.0, -0.5, 1.0]), "mean")
    assert caught[0].filename == __file__
    z = data.sub(data.mean(axis=1), axis=0).div(data.std(axis=1, ddof=1), axis=0)
    expected = z.loc[["G0", "G1"]].mean(axis=0) - z.loc[["G2", "G3"]].mean(axis=0)
    np.testing.assert_allclose(weighted["P"], expected, atol=1e-12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MethodWarning)  # unit weights: nothing to say
        unit = rrscore.score(data, _table([1, 1, -1, -1, 1]), "mean")
    pd.testing.assert_frame_equal(weighted, unit, check_like=False)


def test_zero_weights_are_left_out_and_counted_in_the_warning():
    with pytest.warns(MethodWarning, match=r"1 gene\(s\) with weight 0 left out"):
        coll = as_collection(_table([1.0, 0.0, -2.0, 1.0, 1.0]))
    assert coll["P"].up == ("G0", "G3") and coll["P"].down == ("G2",)
    with pytest.raises(GeneSetError, match=r"every gene of set\(s\) \['Q'\] has weight 0"):
        as_collection(_table([1.0, 1.0, 1.0, 1.0, 0.0]))


@pytest.mark.parametrize("weights", [
    ["a", "b", "c", "d", "e"], [True, False, True, True, True], [1 + 1j, 1, 1, 1, 1],
    [1.0, None, 1.0, 1.0, 1.0],
])
def test_weights_that_are_not_real_numbers_are_clear_errors(weights):
    with pytest.raises(GeneSetError, match=r"'weight' (must be real numbers|has missing)"):
        as_collection(_table(weights))
