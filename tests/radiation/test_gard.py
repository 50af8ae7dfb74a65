"""GARD and its inverse: published worked values, the LQ algebra, types, and the RSI <= 0 policy."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from rrscore.errors import RRScoreError
from rrscore.radiation import RSI_FLOOR, dose_for_gard, gard


def _lq_gard(rsi, n, d, beta=0.05):
    """GARD written out independently: E = n(alpha d + beta d^2), SF2 = exp(-2 alpha - 4 beta)."""
    alpha = (-np.log(rsi) - 4 * beta) / 2
    return n * (alpha * d + beta * d**2)


def test_published_worked_values():
    # Scott et al. 2017 / signatures.md §2: 60 Gy in 30 x 2 Gy, and 33 x 1.8 Gy
    assert round(gard(0.30), 2) == 36.12
    assert round(gard(0.46), 2) == 23.30
    assert round(gard(0.30, fractions=33, dose=1.8), 2) == 35.16
    # GARD 33 at 30 x 2 Gy corresponds to RSI exp(-33/30) = 0.333
    assert gard(np.exp(-33 / 30)) == pytest.approx(33.0, abs=1e-12)


def test_two_gray_closed_form_and_general_formula():
    rng = np.random.default_rng(3)
    r = rng.uniform(0.01, 1.2, 200)
    assert np.allclose(gard(r, fractions=25), -25 * np.log(r), rtol=1e-13, atol=1e-13)
    n = rng.integers(5, 40, 200)
    d = rng.uniform(1.2, 8.0, 200)
    for beta in (0.05, 0.0, 0.1):
        assert np.allclose(
            gard(r, fractions=n, dose=d, beta=beta), _lq_gard(r, n, d, beta),
            rtol=1e-13, atol=1e-12,
        )


def test_return_kind_follows_input():
    assert isinstance(gard(0.3), float)
    out = gard([0.2, 0.4])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    s = pd.Series([0.2, 0.4], index=["p1", "p2"], name="RSI")
    g = gard(s)
    assert isinstance(g, pd.Series) and g.name == "GARD" and list(g.index) == ["p1", "p2"]
    assert g["p2"] == pytest.approx(-30 * np.log(0.4), abs=1e-12)
    with pytest.raises(RRScoreError, match="Series"):
        gard(s.to_frame())


def test_per_sample_schedule_series_is_aligned_by_index():
    s = pd.Series([0.2, 0.4, 0.6], index=["a", "b", "c"])
    n = pd.Series([35, 30, 20], index=["c", "a", "b"])  # another order
    d = pd.Series([2.0, 1.8, 3.0], index=["a", "b", "c"])
    out = gard(s, fractions=n, dose=d)
    expected = _lq_gard(np.array([0.2, 0.4, 0.6]), np.array([30, 20, 35]), d.to_numpy())
    assert np.allclose(out.to_numpy(), expected, rtol=1e-14)
    with pytest.raises(RRScoreError, match="no value for 1 samples"):
        gard(s, fractions=n.drop("b"))


def test_nonpositive_rsi_default_is_nan_with_warning_naming_samples():
    s = pd.Series([0.3, -0.2, 0.0, np.nan], index=["ok", "neg", "zero", "missing"])
    with pytest.warns(UserWarning, match=r"2 RSI values are <= 0.*\['neg', 'zero'\]"):
        out = gard(s)
    assert out["ok"] == pytest.approx(36.119184, abs=1e-6)
    assert out[["neg", "zero", "missing"]].isna().all()


def test_nan_rsi_alone_gives_nan_without_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.isnan(gard(np.array([np.nan, 0.5]))[0])


def test_nonpositive_error_and_clip():
    with pytest.raises(RRScoreError, match="<= 0"):
        gard([0.3, -0.1], nonpositive="error")
    clipped = gard([-0.4, 0.0, 0.005, 0.3], nonpositive="clip")
    assert RSI_FLOOR == 0.01
    assert np.allclose(clipped[:3], -30 * np.log(0.01), rtol=1e-14)
    assert clipped[3] == pytest.approx(-30 * np.log(0.3), rel=1e-14)
    assert gard(-1.0, nonpositive="clip", floor=1e-4) == pytest.approx(-30 * np.log(1e-4))
    with pytest.raises(RRScoreError, match="nonpositive must be one of"):
        gard(0.3, nonpositive="drop")
    with pytest.raises(RRScoreError, match="floor"):
        gard(0.3, nonpositive="clip", floor=0.0)


def test_rsi_at_or_above_one_gives_nonpositive_gard_at_two_gray():
    assert gard(1.0) == pytest.approx(0.0, abs=1e-15)
    assert gard(1.2) < 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fractions": 0}, "fractions"),
        ({"dose": -2.0}, "dose"),
        ({"beta": -0.01}, "beta"),
        ({"fractions": np.inf}, "fractions"),
    ],
)
def test_schedule_validation(kwargs, match):
    with pytest.raises(RRScoreError, match=match):
        gard(0.3, **kwargs)


def test_dose_for_gard_inverts_gard():
    rng = np.random.default_rng(5)
    r = rng.uniform(0.05, 0.9, 100)
    for d in (1.8, 2.0, 3.0):
        total = dose_for_gard(r, 33.0, dose=d)
        assert np.allclose(gard(r, fractions=total / d, dose=d), 33.0, rtol=1e-12)
    assert dose_for_gard(0.30, 36.119184129778084) == pytest.approx(60.0, abs=1e-9)
    # closed form at 2 Gy: D = 2 * target / -ln(RSI)
    assert dose_for_gard(0.25, 40.0) == pytest.approx(80.0 / -np.log(0.25), rel=1e-14)


def test_dose_for_gard_series_and_unreachable_target():
    s = pd.Series([0.3, 1.0, 1.5, -0.1], index=["a", "b", "c", "d"])
    with pytest.warns(UserWarning) as record:
        out = dose_for_gard(s, 33.0)
    messages = " ".join(str(w.message) for w in record)
    assert "no finite dose" in messages and "['b', 'c']" in messages
    assert "['d']" in messages  # RSI <= 0 -> NaN policy
    assert out.name == "dose_for_gard" and list(out.index) == list(s.index)
    assert np.isfinite(out["a"]) and np.isinf(out["b"]) and np.isinf(out["c"])
    assert np.isnan(out["d"])
    # hypofractionation: at 3 Gy per fraction RSI 1.0 still has alpha + beta d = 0.05 > 0
    assert dose_for_gard(1.0, 33.0, dose=3.0) == pytest.approx(33.0 / 0.05, rel=1e-12)


def test_dose_for_gard_target_validation():
    with pytest.raises(RRScoreError, match="target"):
        dose_for_gard(0.3, 0.0)
    with pytest.raises(RRScoreError, match="target"):
        dose_for_gard(0.3, -5.0)
