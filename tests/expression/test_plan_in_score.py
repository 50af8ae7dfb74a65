"""rrscore.score and the entry points through the scoring runner apply the gene plan block by
block for methods that read blocks of samples, with the results of the whole-matrix copy.

With ``nan_policy="drop_genes"`` and duplicated gene labels the input layer used to copy the
selected (and combined) columns of the whole matrix. For ssgsea, singscore, UCell, AUCell and
score_genes the runner now reads the caller's matrix block by block instead. The expected
values come from the copy path itself (the matrix the input layer copies, passed as an
:class:`~rrscore.expression.ExpressionMatrix`) and, for the scores, from a matrix collapsed
by hand; scores, the whole record (engine, input report, notes, input scale) and the warnings
must be the copy path's.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
import rrscore.expression._adapters as adapters
from rrscore.errors import DuplicateGenesWarning, RRScoreWarning
from rrscore.expression._adapters import as_expression, expression_by_blocks

N_SAMPLES, N_GENES = 23, 80
SAMPLES = [f"S{i}" for i in range(N_SAMPLES)]
SETS = {"A": ["G1", "G3", "G5", "G22", "G30", "G44"],
        "B": ["G2", "G8", "G40", "G41", "G50", "G61"],
        "C": ["G3", "G9", "G12", "G70", "G21-", "G33-", "G47-"]}  # signed: "-" marks down
POLICIES = ["highest_mean", "first", "mean", "sum", "max"]
LAYOUTS = ["frame_genes_rows", "frame_genes_columns", "array_C", "array_F", "csr"]
#: (method, parameters): every method that reads blocks of samples, both read modes of
#: ssgsea and AUCell (streaming and blockwise).
METHODS = [
    ("ssgsea", {}), ("ssgsea", {"normalize": False}), ("singscore", {}), ("ucell", {}),
    ("aucell", {}), ("aucell", {"ties": "random"}), ("score_genes", {"ctrl_size": 10}),
]


def _labels() -> list[str]:
    genes = [f"G{i}" for i in range(N_GENES)]
    genes[7] = genes[3]  # a pair
    genes[20] = genes[21] = genes[22]  # a triple, one of them with missing values
    genes[60] = genes[61]  # a pair
    return genes


def _values(seed: int = 0) -> np.ndarray:
    """Samples × genes, non-negative, with ties and zeros; NaN in three genes."""
    rng = np.random.default_rng(seed)
    x = np.round(np.abs(rng.normal(5, 2, size=(N_SAMPLES, N_GENES))), 1)
    x[rng.random(x.shape) < 0.4] = 0.0
    x[4, 10] = np.nan
    x[:, 21] = np.nan
    x[9, 55] = np.nan
    return x


def _data(layout: str, x: np.ndarray, genes: list[str]):
    """The same matrix in ``layout``, and the input options it needs."""
    if layout == "frame_genes_rows":
        return pd.DataFrame(x.T, index=genes, columns=SAMPLES), {}
    if layout == "frame_genes_columns":
        return pd.DataFrame(x, index=SAMPLES, columns=genes), {"orient": "genes_columns"}
    kw = {"genes": genes, "samples": SAMPLES}
    if layout == "csr":
        return sp.csr_matrix(x), kw
    return np.array(x, order="C" if layout == "array_C" else "F"), kw


def _plain(record: dict) -> str:
    return json.dumps(record, sort_keys=True, default=str)  # NaN-safe comparison


def _scored(call):
    """``call()``'s result and its warnings as (category, message)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = call()
    return out, [(w.category, str(w.message)) for w in caught
                 if issubclass(w.category, RRScoreWarning)]


@pytest.fixture
def by_blocks_calls(monkeypatch):
    """The shapes of the stored matrices the input layer read block by block."""
    made = []
    real = adapters._by_blocks

    def spy(values, *args):
        made.append(values.shape)
        return real(values, *args)

    monkeypatch.setattr(adapters, "_by_blocks", spy)
    return made


def _copy_path(data, kw, **options):
    """The input layer's whole-matrix copy, as rrscore.score made it before."""
    return as_expression(data, **kw, **options)


@pytest.mark.parametrize("method,params", METHODS, ids=[f"{m}{p or ''}" for m, p in METHODS])
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("duplicates", POLICIES)
def test_score_equals_the_copy_path(method, params, layout, duplicates, by_blocks_calls):
    data, kw = _data(layout, _values(), _labels())
    options = {"nan_policy": "drop_genes", "duplicates": duplicates, "map_ids": "off"}
    copy = _copy_path(data, kw, **options)
    assert not copy.is_lazy
    want, want_warnings = _scored(lambda: rrscore.score(
        copy, SETS, method, **params, chunk_size=5))
    assert by_blocks_calls == []
    got, got_warnings = _scored(lambda: rrscore.score(
        data, SETS, method, **params, chunk_size=5, **kw, **options))
    assert by_blocks_calls == [(N_SAMPLES, N_GENES)]  # read block by block, not copied
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert list(got.index) == list(want.index) and list(got.columns) == list(want.columns)
    assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
    assert got.attrs["rrscore"]["engine"] == "in-memory"
    assert got_warnings == want_warnings
    assert any(c is DuplicateGenesWarning for c, _ in got_warnings)


@pytest.mark.parametrize("method,params", METHODS[:5], ids=[m for m, _ in METHODS[:5]])
def test_scores_equal_a_matrix_collapsed_by_hand(method, params):
    """Independent of the input layer: genes with NaN dropped, the first of duplicates kept."""
    x, genes = _values(1), _labels()
    frame = pd.DataFrame(x.T, index=genes, columns=SAMPLES)
    got = rrscore.score(frame, SETS, method, **params, nan_policy="drop_genes",
                        duplicates="first", map_ids="off")
    clean = frame[~frame.isna().any(axis=1)]
    clean = clean[~clean.index.duplicated(keep="first")]
    want = rrscore.score(clean, SETS, method, **params, map_ids="off")
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())


def test_csr_with_explicit_zeros_and_float32(by_blocks_calls):
    x = np.nan_to_num(_values(2), nan=0.0).astype(np.float32)
    x[:, 21] = np.nan  # one gene dropped
    m = sp.csr_matrix(x)
    m.data[::7] = 0.0  # stored zeros, kept as stored entries
    options = {"genes": _labels(), "samples": SAMPLES, "nan_policy": "drop_genes",
               "duplicates": "sum", "map_ids": "off"}
    for method in ("ucell", "score_genes", "ssgsea"):
        copy = _copy_path(m, {}, **options)
        want = rrscore.score(copy, SETS, method)
        got = rrscore.score(m, SETS, method, **options)
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
        assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
    assert len(by_blocks_calls) == 3


def test_input_scale_judged_from_rows_spread_over_all_samples(by_blocks_calls):
    """More than 500 samples and 2,000 genes: the scale check reads the rows and columns it
    reads from the copy (spread over the matrix), not the first block a method reads."""
    rng = np.random.default_rng(4)
    n, g = 540, 2050
    x = rng.poisson(3.0, size=(n, g)).astype(np.float64)  # counts in the first rows ...
    x[300:] += 0.25  # ... not integers further down: the copy's sample says so
    x[17, 5] = np.nan
    genes = [f"G{i}" for i in range(g)]
    genes[11] = genes[10]
    options = {"genes": genes, "nan_policy": "drop_genes", "map_ids": "off"}
    copy = _copy_path(x, {}, **options)
    for method in ("singscore", "ucell"):
        want, want_w = _scored(lambda m=method: rrscore.score(copy, SETS, m))
        got, got_w = _scored(lambda m=method: rrscore.score(x, SETS, m, chunk_size=64,
                                                             **options))
        assert got.attrs["rrscore"]["input_scale"] == want.attrs["rrscore"]["input_scale"]
        assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
        assert got_w == want_w
        np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert len(by_blocks_calls) == 2


def test_input_scale_warning_is_the_copy_paths(by_blocks_calls):
    """Per-gene scaled values warn InputScaleWarning for ssgsea, with the same evidence."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(60, N_GENES))
    x = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    x[3, 10] = np.nan
    frame = pd.DataFrame(x.T, index=_labels())
    options = {"nan_policy": "drop_genes", "map_ids": "off"}
    want, want_w = _scored(lambda: rrscore.score(_copy_path(frame, {}, **options), SETS,
                                                 "ssgsea"))
    got, got_w = _scored(lambda: rrscore.score(frame, SETS, "ssgsea", **options))
    assert any(c is rrscore.errors.InputScaleWarning for c, _ in want_w)
    assert got_w == want_w
    assert got.attrs["rrscore"]["input_scale"]["fits_method"] is False
    assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert len(by_blocks_calls) == 1


def test_score_with_dispersion_and_chunk_size_auto(by_blocks_calls):
    x = _values(6)
    m = sp.csr_matrix(np.nan_to_num(x, nan=0.0))
    frame = pd.DataFrame(x.T, index=_labels(), columns=SAMPLES)
    for data, kw in ((frame, {}), (m, {"genes": _labels(), "samples": SAMPLES})):
        options = {"nan_policy": "drop_genes", "duplicates": "mean", "map_ids": "off"}
        copy = _copy_path(data, kw, **options)
        want = rrscore.score_with_dispersion(copy, SETS, chunk_size="auto")
        got = rrscore.score_with_dispersion(data, SETS, chunk_size="auto", **kw, **options)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
            assert _plain(a.attrs["rrscore"]) == _plain(b.attrs["rrscore"])
    assert len(by_blocks_calls) == 2


@pytest.mark.parametrize("sparse", [False, True])
def test_tl_score_on_anndata_with_duplicated_var_names(sparse, by_blocks_calls, monkeypatch):
    ad = pytest.importorskip("anndata")
    x = np.nan_to_num(_values(7), nan=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # anndata: var names are not unique
        adata = ad.AnnData(sp.csr_matrix(x) if sparse else x,
                           obs=pd.DataFrame(index=SAMPLES), var=pd.DataFrame(index=_labels()))

    def tl_score():
        return rrscore.tl.score(adata, SETS, method="ucell", duplicates="max", map_ids="off",
                                inplace=False, obs_columns=True)

    got, got_w = _scored(tl_score)
    assert by_blocks_calls == [(N_SAMPLES, N_GENES)]
    # the copy path: the runner's input layer without the block adapter
    monkeypatch.setattr(rrscore._prepare, "expression_by_blocks", lambda *a, **k: None)
    want, want_w = _scored(tl_score)
    assert by_blocks_calls == [(N_SAMPLES, N_GENES)]
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert got.attrs["rrscore"]["engine"] == "in-memory"
    assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
    assert got_w == want_w


@pytest.mark.parametrize("method", ["zscore", "mean"])
def test_methods_that_need_the_whole_matrix_keep_the_copy(method, by_blocks_calls):
    x = _values(8)
    frame = pd.DataFrame(x.T, index=_labels(), columns=SAMPLES)
    options = {"nan_policy": "drop_genes", "map_ids": "off"}
    want = rrscore.score(_copy_path(frame, {}, **options), SETS, method)
    got = rrscore.score(frame, SETS, method, **options)
    assert by_blocks_calls == []
    np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
    assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
    # a matrix already read by blocks is given the copy's values for such a method
    blocks = expression_by_blocks(frame, **options)
    assert blocks.is_lazy
    again = rrscore.score(blocks, SETS, method)
    np.testing.assert_array_equal(again.to_numpy(), want.to_numpy())
    assert _plain(again.attrs["rrscore"]) == _plain(want.attrs["rrscore"])


def test_composite_record_is_the_copy_paths():
    x = np.abs(_values(9))
    rng = np.random.default_rng(10)
    frame = pd.DataFrame(x.T + rng.random(x.T.shape) * 0.01, index=_labels(),
                         columns=SAMPLES)
    sets = {"M1": [f"G{i}" for i in range(0, 40, 3)], "M2": [f"G{i}" for i in range(1, 70, 4)]}
    options = {"nan_policy": "drop_genes", "map_ids": "off"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RRScoreWarning)
        got = rrscore.radioresistance(frame, gene_sets=sets, confounders=False, **options)
        want = rrscore.radioresistance(_copy_path(frame, {}, **options), gene_sets=sets,
                                       confounders=False)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert _plain(got.attrs["rrscore"]) == _plain(want.attrs["rrscore"])
