"""Groups by user-chosen quantiles (no clinical cut-offs)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rrscore.errors import RRScoreError
from rrscore.radiation import (
    assign_groups,
)


def test_assign_groups_by_user_quantiles(cohort_result):
    scores = cohort_result.scores
    groups = assign_groups(scores, quantiles=(0.25, 0.75))
    assert list(groups.cat.categories) == ["q0-25", "q25-75", "q75-100"]
    assert groups.value_counts().to_dict() == {"q0-25": 8, "q25-75": 16, "q75-100": 8}
    low, high = np.quantile(scores["composite"], [0.25, 0.75])
    comp = scores["composite"]
    assert (groups[comp < low] == "q0-25").all()
    assert (groups[comp >= high] == "q75-100").all()
    # against the fitted reference's composite distribution (here the same cohort)
    pd.testing.assert_series_equal(
        assign_groups(scores, quantiles=(0.25, 0.75), reference=cohort_result.scorer), groups
    )
    named = assign_groups(scores["RR_HYPOXIA"], quantiles=[0.5], labels=["lower", "upper"])
    assert named.value_counts().to_dict() == {"lower": 16, "upper": 16}
    for bad in [(), (0.75, 0.25), (0, 0.5), (0.5, 1.0), (float("nan"),)]:
        with pytest.raises(RRScoreError, match="quantiles"):
            assign_groups(scores, quantiles=bad)
    with pytest.raises(TypeError):
        assign_groups(scores)  # no default: the cut points are the user's choice
