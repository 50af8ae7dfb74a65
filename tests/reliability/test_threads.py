"""Concurrent calls never abort the process, whatever numba's threading layer.

numba's ``workqueue`` layer (a machine without TBB/OpenMP) aborts with SIGABRT when two
threads launch parallel kernels at once. Each case runs in a fresh interpreter forced onto
that layer (the layer is chosen once per process) and must exit 0 with the scores a single
thread gives.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

SETUP = """
import threading
import numpy as np, pandas as pd
import rrscore
rng = np.random.default_rng(0)
genes = [f"G{i}" for i in range(600)]
x = pd.DataFrame(rng.gamma(2.0, 1.0, size=(600, 60)), index=genes)
sets = {f"s{i}": list(rng.choice(genes, 25, replace=False)) for i in range(8)}
"""


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue", "NUMBA_NUM_THREADS": "2"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(SETUP + code)], env=env,
                          capture_output=True, text=True, timeout=600)


def test_two_threads_scoring_at_once():
    proc = _run("""
expected = {m: rrscore.score(x, sets, m) for m in ("ssgsea", "zscore", "ucell")}
errors, results = [], []
def work():
    try:
        for _ in range(3):
            for m in ("ssgsea", "zscore", "ucell"):
                results.append((m, rrscore.score(x, sets, m)))
    except Exception as exc:  # pragma: no cover - reported below
        errors.append(repr(exc))
threads = [threading.Thread(target=work) for _ in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
assert not errors, errors
assert len(results) == 18
for m, got in results:
    assert np.array_equal(got.to_numpy(), expected[m].to_numpy(), equal_nan=True), m
import numba; print("layer", numba.threading_layer())
""")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "layer workqueue" in proc.stdout


def test_dask_threaded_scheduler_on_the_blockwise_path():
    pytest.importorskip("dask.array")
    proc = _run("""
import anndata as ad, dask, dask.array as da
adata = ad.AnnData(da.from_array(x.T.to_numpy(), chunks=(7, 600)), var=pd.DataFrame(index=genes))
memory = ad.AnnData(x.T.to_numpy(), var=pd.DataFrame(index=genes))
with dask.config.set(scheduler="threads", num_workers=4):
    got = rrscore.tl.score(adata, sets, "ucell", inplace=False)
expected = rrscore.tl.score(memory, sets, "ucell", inplace=False)
assert got.attrs["rrscore"]["engine"] == "dask-blockwise"
assert np.array_equal(got.to_numpy(), expected.to_numpy())
import numba; print("layer", numba.threading_layer())
""")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "layer workqueue" in proc.stdout


def test_two_threads_computing_rsi_at_once():
    """RSI ranks samples with a parallel kernel of its own (radiation/_rsi.py), outside the
    scoring engine: it must take the same lock (fresh-user report F8: SIGABRT before)."""
    proc = _run("""
import warnings; warnings.simplefilter("ignore")
g = ["AR", "CDK1", "HDAC1", "IRF1", "JUN", "PRKCB", "RELA", "SUMO1", "PAK2", "ABL1", "STAT1"]
y = pd.DataFrame(rng.normal(8, 2, (2000, len(g) + 100)), columns=g + genes[:100])
expected = rrscore.rsi(y)
results = []
def work():
    for _ in range(10):
        results.append(rrscore.rsi(y))
threads = [threading.Thread(target=work) for _ in range(2)]
[t.start() for t in threads]; [t.join() for t in threads]
assert len(results) == 20
for got in results:
    assert np.array_equal(np.asarray(got), np.asarray(expected), equal_nan=True)
import numba; print("layer", numba.threading_layer())
""")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "layer workqueue" in proc.stdout
