"""Groups of samples by quantiles the user chooses (rrscore has no clinical cut-offs)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from rrscore.errors import RRScoreError
from rrscore.radiation._scorer import RadioresistanceScorer


def assign_groups(
    scores,
    *,
    quantiles: Sequence[float],
    reference=None,
    column: str = "composite",
    labels: Sequence[str] | None = None,
) -> pd.Series:
    """Groups by quantiles the user chooses (rrscore has no clinical cut-offs).

    Parameters
    ----------
    scores
        The result of :func:`radioresistance` (``column`` is used) or a Series of scores.
    quantiles
        Cut points as probabilities, strictly increasing in (0, 1), e.g. ``(0.25, 0.75)``
        for bottom quarter / middle half / top quarter. Required: choosing them is the
        user's decision.
    reference
        Where the cut points come from: ``None`` — the quantiles of ``scores`` themselves;
        a fitted :class:`RadioresistanceScorer` — the quantiles of its reference composite
        (only for ``column="composite"``); or a Series/array of reference values.
        Quantiles use linear interpolation (NumPy's and pandas' default).
    column
        The column of a DataFrame to group (default ``"composite"``).
    labels
        One label per group (``len(quantiles) + 1``). Default ``"q0-25"``, ``"q25-75"``,
        ``"q75-100"`` style labels from the quantiles.

    Returns
    -------
    pandas.Series
        Ordered categorical, named ``"group"``; a value equal to a cut point goes to the
        upper group; NaN scores give NaN.
    """
    if isinstance(scores, pd.DataFrame):
        if column not in scores.columns:
            raise RRScoreError(f"scores has no column {column!r}")
        values = scores[column]
    elif isinstance(scores, pd.Series):
        values = scores
    else:
        values = pd.Series(np.asarray(scores, dtype=float))
    q = np.asarray(quantiles, dtype=float)
    if q.ndim != 1 or len(q) == 0 or not np.all(np.isfinite(q)) or (q <= 0).any() \
            or (q >= 1).any() or (np.diff(q) <= 0).any():
        raise RRScoreError(
            f"quantiles must be strictly increasing probabilities in (0, 1), got {quantiles!r}"
        )
    if isinstance(reference, RadioresistanceScorer):
        reference._check_fitted()
        if column != "composite":
            raise RRScoreError("a fitted scorer holds the reference composite only")
        ref = reference.reference_composite_
    elif reference is None:
        ref = values.to_numpy(dtype=float)
    else:
        ref = np.asarray(reference, dtype=float)
    ref = ref[np.isfinite(ref)]
    if len(ref) == 0:
        raise RRScoreError("no finite reference value to take quantiles from")
    cuts = np.quantile(ref, q)
    if labels is None:
        edges = [0.0, *(100 * q), 100.0]
        labels = [f"q{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]
    labels = [str(x) for x in labels]
    if len(labels) != len(q) + 1 or len(set(labels)) != len(labels):
        raise RRScoreError(f"labels must be {len(q) + 1} distinct names, got {labels}")
    x = values.to_numpy(dtype=float)
    codes = np.searchsorted(cuts, x, side="right")
    codes = np.where(np.isnan(x), -1, codes)
    groups = pd.Categorical.from_codes(codes, categories=labels, ordered=True)
    return pd.Series(groups, index=values.index, name="group")
