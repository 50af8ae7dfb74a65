"""Value checks: one summed read when all is finite, a block-wise scan (same messages) when not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore.expression._values as values_module
from rrscore.errors import InputDataError
from rrscore.expression._matrix import InputReport
from rrscore.expression._values import all_finite, check_values

GENES = np.array([f"G{i}" for i in range(23)], dtype=object)
SAMPLES = pd.Index([f"S{i}" for i in range(17)])


def _matrix(seed: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(len(SAMPLES), len(GENES)))
    mask = rng.random(x.shape)
    if kind in ("inf", "both"):
        x[mask < 0.02] = np.inf
        x[mask > 0.99] = -np.inf
    if kind in ("nan", "both"):
        x[(mask > 0.4) & (mask < 0.47)] = np.nan
    return x


def _layouts(x: np.ndarray):
    yield "C", np.ascontiguousarray(x)
    yield "F", np.asfortranarray(x)
    yield "strided", np.asfortranarray(np.repeat(x, 2, axis=1))[:, ::2]
    yield "csr", sp.csr_matrix(x)


@pytest.fixture(params=[1 << 22, 5, 40], ids=["one-block", "tiny-blocks", "row-blocks"])
def block(request, monkeypatch):
    monkeypatch.setattr(values_module, "SCAN_BLOCK", request.param)
    return request.param


@pytest.mark.parametrize("seed", range(4))
def test_infinite_values_are_counted_and_the_first_in_row_order_named(seed, block):
    x = _matrix(seed, "both")
    rows, cols = np.nonzero(np.isinf(x))  # numpy: row-major order, whatever the layout
    expected = (f"{len(rows)} infinite values, e.g. gene {GENES[cols[0]]!r} in sample "
                f"{SAMPLES[rows[0]]!r}")
    for _, v in _layouts(x):
        with pytest.raises(InputDataError) as err:
            check_values(v, GENES, SAMPLES, "drop_genes", InputReport())
        assert str(err.value).startswith(expected)


@pytest.mark.parametrize("seed", range(4))
def test_missing_values_per_gene_as_numpy_counts_them(seed, block):
    x = _matrix(seed, "nan")
    per_gene = np.isnan(x).sum(axis=0)
    for _, v in _layouts(x):
        report = InputReport()
        keep = check_values(v, GENES, SAMPLES, "drop_genes", report)
        np.testing.assert_array_equal(keep, per_gene == 0)
        assert report.dropped_genes == list(GENES[per_gene > 0])
        with pytest.raises(InputDataError, match=f"^{int(per_gene.sum())} missing values"):
            check_values(v, GENES, SAMPLES, "error", InputReport())


def test_an_all_nan_sample_is_named(block):
    x = _matrix(0, "none")
    x[5] = np.nan
    for _, v in _layouts(x):
        with pytest.raises(InputDataError, match=r"1 samples have no values at all.*'S5'"):
            check_values(v, GENES, SAMPLES, "drop_genes", InputReport())


def test_finite_values_whose_sum_overflows_pass(block):
    x = np.full((4, 3), 1.7e308)
    with np.errstate(over="ignore"):
        assert not np.isfinite(np.sum(x))
    for _, v in _layouts(x):
        assert check_values(v, GENES[:3], SAMPLES[:4], "error", InputReport()) is None


def test_all_finite_reads_every_layout_and_dtype():
    x = _matrix(1, "none").astype(np.float32)
    assert all_finite(x) and all_finite(x.T) and all_finite(x[:, ::3])
    x[3, 4] = np.nan
    assert not all_finite(x) and not all_finite(x.T) and not all_finite(x[:, 1::3])
    assert all_finite(np.zeros((0, 5)))


def test_one_missing_value_is_counted_in_the_singular():
    x = _matrix(0, "none")
    x[3, 2] = np.nan
    with pytest.raises(InputDataError) as err:
        check_values(x, GENES, SAMPLES, "error", InputReport())
    text = str(err.value)
    assert text.startswith("1 missing value (NaN) in 1 gene (0 entirely NaN)")
    assert f"{GENES[2]} (1 sample)" in text
    x[4, 2] = x[5, 7] = np.nan
    with pytest.raises(InputDataError, match=r"^3 missing values \(NaN\) in 2 genes"):
        check_values(x, GENES, SAMPLES, "error", InputReport())
