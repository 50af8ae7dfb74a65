"""One rule for the type of expression values in every container; size options are numbers.

Issue 10: complex-valued DataFrames and boolean arrays were accepted while boolean DataFrames
and complex arrays were refused, and a NaN ``min_size``/``max_size`` meant "no limit". Now:
real numbers only (integers and floats, nullable ones included), whatever holds them, with a
message naming the dtype; ``min_size``/``max_size`` must be numbers.
"""

from __future__ import annotations

import math

import anndata as ad
import dask.array as da
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import rrscore
from rrscore.errors import GeneMatchError, InputDataError

GENES = [f"G{i}" for i in range(12)]
SETS = {"A": GENES[:4], "B": GENES[4:9]}


def _values(dtype) -> np.ndarray:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(6, len(GENES)))
    if dtype == "bool":
        return x > 2
    if dtype == "complex":
        return x + 1j * x
    if dtype == "str":
        return x.astype(str)
    if dtype == "object":
        return x.astype(object)
    return x.astype(dtype)


def _containers(values: np.ndarray) -> dict:
    cells = [f"c{i}" for i in range(values.shape[0])]
    out = {
        "DataFrame samples x genes": (pd.DataFrame(values, index=cells, columns=GENES), {}),
        "DataFrame genes x samples": (pd.DataFrame(values.T, index=GENES, columns=cells), {}),
        "ndarray": (values, {"genes": GENES}),
        "AnnData": (ad.AnnData(values, obs=pd.DataFrame(index=cells),
                               var=pd.DataFrame(index=GENES)), {}),
    }
    if values.dtype.kind in "biufc":
        out["sparse"] = (sp.csr_matrix(values), {"genes": GENES})
        dask_ad = ad.AnnData(np.zeros(values.shape), obs=pd.DataFrame(index=cells),
                             var=pd.DataFrame(index=GENES))
        dask_ad.X = da.from_array(values, chunks=(3, len(GENES)))
        out["Dask AnnData"] = (dask_ad, {})
    return out


@pytest.mark.parametrize(("dtype", "word"), [("bool", "bool"), ("complex", "complex"),
                                             ("str", "(<U|object|str)"),
                                             ("object", "object")])
def test_every_container_refuses_non_real_values_naming_the_dtype(dtype, word):
    for name, (data, kw) in _containers(_values(dtype)).items():
        with pytest.raises(InputDataError, match=rf"dtype\s*\S*{word}") as info:
            rrscore.score(data, SETS, "ucell", **kw)
        assert "real numbers" in str(info.value) or "non-numeric" in str(info.value), name


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "float32", "float64"])
def test_every_container_accepts_real_numbers_with_the_same_scores(dtype):
    values = _values(dtype)
    expected = rrscore.score(values.astype(np.float64), SETS, "ucell", genes=GENES)
    for name, (data, kw) in _containers(values).items():
        got = rrscore.score(data, SETS, "ucell", **kw)
        np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12,
                                   err_msg=name)


def test_mixed_frame_names_each_bad_column_and_nullable_numbers_are_numbers():
    values = _values("float64")
    df = pd.DataFrame(values, columns=GENES)
    mixed = df.astype({"G1": bool, "G2": complex})
    with pytest.raises(InputDataError, match=r"\['G1', 'G2'\].*bool, complex128"):
        rrscore.score(mixed, SETS, "ucell")
    nullable = df.astype("Int64").astype({"G3": "Float64"})
    pd.testing.assert_frame_equal(rrscore.score(nullable, SETS, "ucell"),
                                  rrscore.score(df, SETS, "ucell"))
    with pytest.raises(InputDataError, match="boolean"):
        rrscore.score((df > 2).astype("boolean"), SETS, "ucell")


@pytest.mark.parametrize(("option", "value", "message"), [
    ("min_size", math.nan, "min_size must be a number, got NaN"),
    ("max_size", math.nan, "max_size must be a number, got NaN"),
    ("max_size", np.float32("nan"), "max_size must be a number, got NaN"),
    ("min_size", None, "min_size must be a number, got None"),
    ("max_size", "10", "max_size must be a number, got '10'"),
    ("min_size", True, "min_size must be a number, got True"),
    ("min_size", 2.5, "min_size must be a whole number, got 2.5"),
    ("min_size", math.inf, "min_size must be a whole number"),
])
def test_size_options_must_be_numbers(option, value, message):
    data = pd.DataFrame(_values("float64"), columns=GENES)
    with pytest.raises(GeneMatchError, match=message.replace("(", r"\(")):
        rrscore.score(data, SETS, "ucell", **{option: value})
    with pytest.raises(GeneMatchError, match="must be"):
        rrscore.coverage(data, SETS, **{option: value})


def test_size_options_that_are_numbers_still_filter():
    data = pd.DataFrame(_values("float64"), columns=GENES)
    # A has 4 genes, B 5: max_size=4.0 (a float) keeps A only, np.int64 min_size too
    got = rrscore.score(data, SETS, "ucell", min_size=np.int64(1), max_size=4.0)
    assert list(got.columns) == ["A"]
    assert list(rrscore.score(data, SETS, "ucell", max_size=math.inf).columns) == ["A", "B"]
