"""GSVA's fast kernels against plain transcriptions of what R computes.

* the Gaussian kernel CDF (one table look-up per unordered sample pair, strips of 16
  density samples, chunks of 256 test samples) against R's ``row_d`` written out pair by
  pair, at sizes around the strip and chunk edges and where the fast table index must fall
  back to R's two divisions;
* ``c_sd`` (whole-block ``np.add.reduce`` on threads) against C's ``sd()`` written out as a
  row-by-row long-double loop;
* the ECDF log-odds (sorted 64-bit keys) against ``#{x_i <= x_j} / N`` counted directly;
* the per-sample positions (sorted 64-bit keys) against the stable mergesort positions.

The R-fixture parity and R's own C code (``test_gsva.py``) check the same kernels end to end.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest

from rrscore.methods._gsva_kcdf import (
    _CHUNK,
    _STRIP,
    PNORM_TABLE,
    _gaussian_log_odds,
    c_sd,
    c_sd_bandwidths,
    gene_log_odds,
)
from rrscore.ranking._dense import descending_positions, fast_descending_positions


def r_row_d(x: np.ndarray, bw: np.ndarray) -> np.ndarray:
    """GSVA 1.46 ``row_d`` + ``precomputedCdf``: for every test sample j the terms of the
    density samples i = 0..N-1 added in that order (vectorised over j only)."""
    n, g = x.shape
    out = np.empty((n, g))
    for c in range(g):
        y = x[:, c]
        left_tail = np.zeros(n)
        for i in range(n):
            v = (y - y[i]) / bw[c]
            cdf = PNORM_TABLE[(np.abs(np.clip(v, -10, 10)) / 10.0 * 10000.0).astype(np.int64)]
            term = np.where(v < -10.0, 0.0, np.where(v > 10.0, 1.0, np.where(v < 0, 1.0 - cdf,
                                                                               cdf)))
            left_tail += term
        left_tail /= n
        out[:, c] = [-1.0 * math.log(q) for q in (1.0 - left_tail) / left_tail]
    return out


def gaussian(x: np.ndarray, bw: np.ndarray | None = None) -> np.ndarray:
    x = np.asfortranarray(x)
    bw = c_sd_bandwidths(x) if bw is None else bw
    out = np.empty(x.shape)
    _gaussian_log_odds(x, np.arange(x.shape[1]), bw, PNORM_TABLE, out)
    return out


def mixed_genes(n: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian, rounded (ties), heavy-tailed, two-valued, far tie blocks, tiny spread."""
    x = np.column_stack([
        rng.normal(8.0, 2.0, n),
        np.round(rng.normal(size=n), 1),
        rng.lognormal(0.0, 2.5, n),
        rng.integers(0, 2, n).astype(float),
        np.repeat([1.0, 1.0, 1.0, 30.0], n // 4 + 1)[:n],
        rng.normal(1e6, 1e-3, n),
    ])
    x[0, 3], x[-1, 3] = 0.0, 1.0
    return x[:, c_sd(x) > 0]  # GSVA drops constant genes before the kernel


@pytest.mark.parametrize("n", [2, 3, 15, _STRIP, _STRIP + 1, 2 * _STRIP + 1,
                               _STRIP + _CHUNK, _STRIP + _CHUNK + 3])
def test_gaussian_kernel_is_r_row_d_at_strip_and_chunk_edges(n):
    x = mixed_genes(n, np.random.default_rng(n))
    assert np.array_equal(gaussian(x), r_row_d(x, c_sd_bandwidths(x)))


def test_gaussian_kernel_falls_back_to_r_divisions_inside_strips_and_chunks():
    """Values on a 0.05 grid with h = 0.5 or 0.25: |d| * 1000 / h lands exactly on integers,
    where one multiplication cannot tell R's truncation; rows in the strip's own block and
    in its chunks must take R's two divisions."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 60, size=(_STRIP + 70, 3)) * 0.05
    for h in (0.5, 0.25):
        bw = np.full(3, h)
        assert np.array_equal(gaussian(x, bw), r_row_d(x, bw))


def test_gaussian_kernel_gene_does_not_depend_on_its_neighbours():
    """Genes are shared out in runs: a gene's log-odds are the same alone or among others."""
    x = np.asfortranarray(mixed_genes(40, np.random.default_rng(9)))
    bw = c_sd_bandwidths(x)
    together = gaussian(x, bw)
    for c in range(x.shape[1]):
        alone = np.empty((x.shape[0], 1))
        _gaussian_log_odds(x, np.array([c]), bw[c:c + 1], PNORM_TABLE, alone)
        assert np.array_equal(alone[:, 0], together[:, c])


def c_sd_by_rows(x: np.ndarray) -> np.ndarray:
    """C ``sd()`` of GSVA 1.46 in long double, one row at a time (as the C loop runs)."""
    ld = np.longdouble
    n = x.shape[0]
    out = np.empty(x.shape[1])
    for c in range(x.shape[1]):
        total = ld(0)
        for i in range(n):
            total += ld(x[i, c])
        mean = total / ld(n)
        if np.isfinite(float(mean)):
            corr = ld(0)
            for i in range(n):
                corr += ld(x[i, c]) - mean
            mean = mean + corr / ld(n)
        m = float(mean)
        squares = ld(0)
        for i in range(n):
            squares += ld((x[i, c] - m) * (x[i, c] - m))
        out[c] = math.sqrt(float(squares / ld(n - 1)))
    return out


@pytest.mark.parametrize("threads", [1, 2])
def test_c_sd_is_the_row_by_row_long_double_loop(threads):
    rng = np.random.default_rng(3)
    n = 150
    x = np.column_stack([
        rng.normal(1e8, 1.0, n),  # needs the long-double correction pass
        rng.choice([1e16, 1.0, -1e16, 3.3], n) * rng.normal(size=n),  # cancellation
        rng.lognormal(0.0, 5.0, n),
        np.full(n, 2.5),
    ] + [rng.normal(size=n) for _ in range(300)])  # more than one column block
    before = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        got = c_sd(np.asfortranarray(x))
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(got, c_sd_by_rows(x))


def test_ecdf_log_odds_count_values_at_or_below():
    rng = np.random.default_rng(4)
    n = 300
    near = 1.0 + np.arange(n) * 2.2e-16  # neighbours one ulp apart share a truncated key
    x = np.column_stack([
        rng.normal(size=n), np.round(rng.normal(size=n), 1), near, near[::-1],
        np.r_[np.zeros(n // 2), -np.zeros(n - n // 2)],  # -0.0 == 0.0
        rng.integers(0, 3, n).astype(float),
    ])
    z = gene_log_odds(np.asfortranarray(x), np.arange(x.shape[1]), "none")
    for c in range(x.shape[1]):
        count = (x[:, c][None, :] <= x[:, c][:, None]).sum(axis=1)
        expected = [math.log((k / n) / (1 - k / n)) if k < n else math.inf for k in count]
        assert np.array_equal(z[:, c], expected)


def test_fast_positions_equal_mergesort_positions_on_hard_rows():
    rng = np.random.default_rng(6)
    near = 1.0 + np.arange(3000) * 2.2e-16  # values that differ only in their lowest bits
    rows = [
        np.array([0.0, -0.0, 1.0, np.nan, -np.inf, np.inf, np.nan, -0.0, 5e-324, -5e-324]),
        np.round(rng.normal(size=500), 1),
        rng.integers(0, 3, 500).astype(float),
        near, near[::-1], rng.permutation(near),
    ]
    for row in rows:
        x = row[None, :]
        assert np.array_equal(fast_descending_positions(x), descending_positions(x))
    x = rng.normal(size=(40, 700))
    assert np.array_equal(fast_descending_positions(x), descending_positions(x))
    assert fast_descending_positions(np.empty((0, 4))).shape == (0, 4)
    assert fast_descending_positions(np.array([[2.0]])).tolist() == [[1]]
