"""The memory pre-flight: what the process can still get, and the error before any work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import InsufficientMemoryError, RRScoreError
from rrscore.methods import _memory
from rrscore.methods._memory import ENV_SWITCH, available_memory, check_memory


def fake_root(tmp_path, meminfo_kb=None, cgroup=None, files=None):
    """A file tree with /proc/meminfo, /proc/self/cgroup and cgroup files."""
    (tmp_path / "proc" / "self").mkdir(parents=True)
    if meminfo_kb is not None:
        (tmp_path / "proc" / "meminfo").write_text(
            f"MemTotal:       99999999 kB\nMemFree:  1 kB\nMemAvailable:   {meminfo_kb} kB\n")
    if cgroup is not None:
        (tmp_path / "proc" / "self" / "cgroup").write_text(cgroup)
    for rel, text in (files or {}).items():
        path = tmp_path / "sys" / "fs" / "cgroup" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_system_memory_without_cgroup_limit(tmp_path):
    root = fake_root(tmp_path, meminfo_kb=2048, cgroup="0::/job\n",
                     files={"job/memory.max": "max\n", "job/memory.current": "100\n"})
    assert available_memory(root) == 2048 * 1024


def test_cgroup_v2_limit_is_what_the_process_can_get(tmp_path):
    root = fake_root(tmp_path, meminfo_kb=10**8, cgroup="0::/slurm/job_7\n",
                     files={"slurm/job_7/memory.max": str(5 * 2**30),
                            "slurm/job_7/memory.current": str(2**30)})
    assert available_memory(root) == 4 * 2**30


def test_cgroup_v1_limit_and_unlimited_value(tmp_path):
    root = fake_root(tmp_path, meminfo_kb=10**8, cgroup="4:memory:/docker/abc\n2:cpu:/x\n",
                     files={"memory/docker/abc/memory.limit_in_bytes": str(3 * 2**30),
                            "memory/docker/abc/memory.usage_in_bytes": str(2**30)})
    assert available_memory(root) == 2 * 2**30
    unlimited = fake_root(tmp_path / "u", meminfo_kb=1000, cgroup="4:memory:/\n",
                          files={"memory/memory.limit_in_bytes": "9223372036854771712",
                                 "memory/memory.usage_in_bytes": "5"})
    assert available_memory(unlimited) == 1000 * 1024


def test_usage_above_the_limit_leaves_nothing(tmp_path):
    root = fake_root(tmp_path, meminfo_kb=10**8, cgroup="0::/\n",
                     files={"memory.max": "1000", "memory.current": "5000"})
    assert available_memory(root) == 0


def test_nothing_readable_is_unknown(tmp_path):
    assert available_memory(fake_root(tmp_path)) is None


def test_this_machine_reports_a_positive_amount():
    got = available_memory()
    assert got is None or got > 0


def test_check_counts_output_and_working_arrays():
    # 10,000 samples x 1,000 sets x 1 output = 80 MB, + 100 MB working
    check_memory("m", 10_000, 1_000, 1, 100 << 20, "w", available=lambda: 177 << 20)
    with pytest.raises(InsufficientMemoryError, match=r"the scores, 10,000 samples .*76 MiB"
                       r".*log-odds: 100 MiB.*only 176 MiB"):
        check_memory("gsva", 10_000, 1_000, 1, 100 << 20, "log-odds",
                     available=lambda: 176 << 20)
    # two outputs are computed side by side, then split: twice their size
    with pytest.raises(InsufficientMemoryError):
        check_memory("singscore", 10_000, 1_000, 2, 0, "", available=lambda: 300 << 20)
    check_memory("singscore", 10_000, 1_000, 2, 0, "", available=lambda: 306 << 20)
    check_memory("m", 10_000, 1_000, 1, 0, "", available=lambda: None)  # unknown: no check


def test_switched_off_by_the_environment(monkeypatch):
    monkeypatch.setenv(ENV_SWITCH, "0")
    check_memory("m", 10**6, 10**4, 1, 0, "", available=lambda: 0)


@pytest.fixture
def tiny_budget(monkeypatch):
    monkeypatch.setattr(_memory, "MIN_CHECKED", 0)
    monkeypatch.setattr(_memory, "available_memory", lambda: 50)  # bytes: < any output


def small_data():
    rng = np.random.default_rng(0)
    genes = [f"G{i}" for i in range(40)]
    expr = pd.DataFrame(rng.normal(size=(40, 12)), index=genes,
                        columns=[f"S{j}" for j in range(12)])
    return expr, {"A": genes[:10], "B": genes[10:25]}


@pytest.mark.parametrize("method", ["mean", "ssgsea", "gsva"])
def test_score_refuses_before_any_work(tiny_budget, method):
    expr, sets = small_data()
    with pytest.raises(InsufficientMemoryError, match=f"^{method} would need"):
        rrscore.score(expr, sets, method)


def test_error_is_an_rrscore_error_and_a_memory_error(tiny_budget):
    expr, sets = small_data()
    with pytest.raises(RRScoreError):
        rrscore.score(expr, sets, "mean")
    with pytest.raises(MemoryError):
        rrscore.score(expr, sets, "mean")


def test_score_runs_with_the_check_off(tiny_budget, monkeypatch):
    monkeypatch.setenv(ENV_SWITCH, "off")
    expr, sets = small_data()
    scores = rrscore.score(expr, sets, "mean")
    z = expr.sub(expr.mean(axis=1), axis=0).div(expr.std(axis=1, ddof=1), axis=0)
    np.testing.assert_allclose(scores["A"].to_numpy(), z.iloc[:10].mean().to_numpy(),
                               rtol=0, atol=1e-12)


def test_plage_declares_its_gene_major_copy_only_when_it_makes_one(monkeypatch):
    import scipy.sparse as sp

    import rrscore.methods._engine as engine

    seen = {}
    monkeypatch.setattr(engine, "check_memory", lambda *a, **k: seen.update(args=a))
    monkeypatch.setattr("numba.get_num_threads", lambda: 2)
    genes = [f"G{i}" for i in range(300)]
    x = sp.random(500, 300, density=0.08, format="csr", random_state=1)
    sets = {"A": genes[:20], "B": genes[20:80]}  # 80 genes, the largest set 60
    blocks = 8 * 500 * 60 * 2  # one (k_max x cells) block per thread
    rrscore.score(np.ascontiguousarray(x.toarray()), sets, "plage", genes=genes)
    assert seen["args"][:4] == ("plage", 500, 2, 1)
    assert seen["args"][4] == 8 * 500 * 80 + blocks
    rrscore.score(np.asfortranarray(x.toarray()), sets, "plage", genes=genes)
    assert seen["args"][4] == blocks  # genes x samples read in place
    rrscore.score(x, sets, "plage", genes=genes)  # the sparse path: Gram matrices + a chunk
    packed = 8 * (20 * 21 // 2 + 60 * 61 // 2)
    assert seen["args"][4] == packed + (64 << 20)


def test_gsva_declares_log_odds_and_its_dense_copy(monkeypatch):
    import scipy.sparse as sp

    import rrscore.methods._engine as engine

    seen = {}
    monkeypatch.setattr(engine, "check_memory", lambda *a, **k: seen.update(args=a))
    genes = [f"G{i}" for i in range(300)]
    x = sp.random(250, 300, density=0.08, format="csr", random_state=2)
    sets = {"A": genes[:20], "B": genes[20:80]}
    chunk = 4 * 256 * 300  # a chunk of int32 positions
    dense = x.toarray()  # float64: read as given
    rrscore.score(dense, sets, "gsva", genes=genes, kcdf="none")
    assert seen["args"][4] == 8 * 250 * 300 + chunk  # the log-odds
    rrscore.score(x, sets, "gsva", genes=genes)  # Gaussian on sparse input: densified
    assert seen["args"][4] == 2 * 8 * 250 * 300 + chunk  # + a float64 copy
    rrscore.score(x, sets, "gsva", genes=genes, kcdf="auto")  # >= 200 cells: sparse ECDF
    assert seen["args"][4] == 5 * x.nnz + chunk


def test_huge_gsva_gaussian_call_is_refused_before_any_work(monkeypatch):
    """A dense 100,000 × 20,000 GSVA needs ~32 GB of log-odds and copy: refused at once when
    the process cannot get that (the array is never built: a stub stands for its shape)."""
    from rrscore.expression._matrix import ExpressionMatrix
    from rrscore.methods._gsva import GsvaParams, _working_memory

    class Shape:  # only what the estimate reads
        is_sparse = False
        shape = (100_000, 20_000)
        values = np.empty((1, 1), dtype=np.float32)

    got, what = _working_memory(Shape(), None, GsvaParams())
    assert got == 2 * 8 * 100_000 * 20_000 + 4 * 256 * 20_000
    assert "log-odds" in what and "copy" in what
    with pytest.raises(InsufficientMemoryError, match="gsva would need about 29.9 GiB.*"
                       "batches would change gsva's scores"):
        check_memory("gsva", 100_000, 50, 1, got, what, sample_independent=False,
                     available=lambda: 16 << 30)
    assert ExpressionMatrix  # the real container is what the engine passes


@pytest.mark.parametrize("method, params, batches_ok", [
    ("ucell", {}, True), ("ssgsea", {"normalize": False}, True), ("ssgsea", {}, False),
    ("plage", {}, False),
])
def test_the_advice_says_whether_batches_of_samples_keep_the_scores(tiny_budget, method,
                                                                    params, batches_ok):
    expr, sets = small_data()
    with pytest.raises(InsufficientMemoryError) as err:
        rrscore.score(expr, sets, method, **params)
    text = str(err.value)
    assert ("batches give the same scores" in text) is batches_ok
    assert ("would change" in text) is (not batches_ok)
