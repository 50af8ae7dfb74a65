"""Shared test fixtures: paths to committed test data and to the optional ../shared data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

TESTS_DATA = Path(__file__).parent / "data"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture(scope="session")
def tests_data() -> Path:
    """The committed fixtures folder ``tests/data``."""
    return TESTS_DATA


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the repository; tests using it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA


def read_reference(path: Path) -> pd.DataFrame:
    """A reference score table (first column ``gene_set``, then samples) as sets × samples."""
    return pd.read_csv(path, sep="\t", index_col=0, float_precision="round_trip")


def max_abs_diff(result: pd.DataFrame, reference: pd.DataFrame) -> float:
    """Largest |difference| between ``result`` (samples × sets) and a sets × samples table."""
    aligned = result.T.loc[reference.index, reference.columns]
    return float((aligned - reference).abs().to_numpy().max())
