"""Shared fixtures of the composite-score tests: the bundled TCGA LUAD example cohort
(32 Agilent tumours, with mutations) and independent re-computations of its mechanism scores."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import rrscore
from rrscore.radiation import (
    radioresistance,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent"


@pytest.fixture(scope="package")
def expr() -> pd.DataFrame:
    """The 32-tumour Agilent cohort, with its 517 missing cells."""
    return pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture(scope="package")
def complete(expr) -> pd.DataFrame:
    """Genes without missing values: every sample then has the same gene universe."""
    return expr.dropna()


@pytest.fixture(scope="package")
def annotation() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "samples.tsv", sep="\t", index_col=0)


@pytest.fixture(scope="package")
def cohort_result(expr):
    return radioresistance(expr, nan_policy="drop_genes", return_contributions=True)


def _raw_mechanism_scores(expr: pd.DataFrame) -> pd.DataFrame:
    """Plain rrscore.score of the bundled sets, renamed to mechanism names."""
    raw = rrscore.score(expr, "mechanisms", "singscore", nan_policy="drop_genes",
                        low_coverage=0)
    raw.attrs.clear()
    return raw.rename(columns=lambda c: c[:-3] if c.endswith("_UP") else c)


def _singscore_signed(expr: pd.DataFrame, up: list[str], down: list[str]) -> pd.Series:
    """Independent singscore of a signed set (ranks ties 'min', centred up + down parts)."""
    ranks = expr.rank(axis=0, method="min")
    n = expr.shape[0]

    def norm(genes, reverse):
        r = ranks.loc[genes]
        r = n + 1 - r if reverse else r  # the down part is scored on reversed ranks
        k = len(genes)
        low, high = (k + 1) / 2, (2 * n - k + 1) / 2
        return (r.mean(axis=0) - low) / (high - low) - 0.5

    return norm(up, False) + norm(down, True)
