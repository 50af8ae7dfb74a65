"""rrscore._numba: kernels created on first use, stand-ins replaced, cache fallback."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from rrscore import _numba
from rrscore._numba import Kernel, jit, numba

# cache=False: the tests must not write numba cache files into the source tree


@jit(cache=False)
def _square(x):
    return x * x


@numba.njit(cache=False, parallel=True)  # the stand-in's njit is rrscore's lazy jit
def _row_sums_of_squares(a):
    out = np.empty(a.shape[0])
    for r in numba.prange(a.shape[0]):  # the stand-in, replaced by numba when compiled
        s = 0.0
        for v in a[r]:
            s += _square(v)  # another lazy kernel, replaced by its dispatcher
        out[r] = s
    return out


@jit(cache=False)
def _through_module(x):
    return _this_module._square(x) + 1.0


_this_module = __import__(__name__, fromlist=["_square"])


def test_jit_returns_a_kernel_not_yet_compiled():
    @jit(cache=False)
    def never_called(x):
        return x

    assert isinstance(never_called, Kernel)
    assert never_called._dispatcher is None
    assert never_called.options == {"cache": False}
    assert _numba.jit(lambda x: x).options == {"cache": True}  # the default


def test_kernel_calling_a_kernel_with_prange_computes_the_right_values():
    assert isinstance(_row_sums_of_squares, Kernel)
    assert _row_sums_of_squares.options == {"cache": False, "parallel": True}
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(_row_sums_of_squares(a), (a ** 2).sum(axis=1))
    # the module's globals now hold the real numba module and the callee's dispatcher
    assert globals()["numba"] is __import__("numba")
    assert not isinstance(globals()["_square"], Kernel)
    assert _row_sums_of_squares.signatures  # dispatcher attributes pass through


def test_kernel_reached_through_a_module_attribute():
    assert _through_module(3.0) == 10.0


def test_stand_in_forwards_attributes_to_numba():
    assert _numba.numba.get_num_threads() == __import__("numba").get_num_threads()


def _uncacheable(monkeypatch, tmp_path, fallback_ok: bool):
    """numba finds no cache location; the fallback directory is tmp_path (or unusable)."""
    from numba.core import caching

    monkeypatch.setattr(caching.CacheImpl, "_locator_classes",
                        [caching.UserProvidedCacheLocator])
    monkeypatch.setattr(__import__("numba").core.config, "CACHE_DIR", "")
    target = tmp_path / "fallback"
    if not fallback_ok:
        target.write_text("a file, not a directory")
    monkeypatch.setattr(_numba, "fallback_cache_dir", lambda: target)
    monkeypatch.setattr(_numba, "_WARNED_NO_CACHE", False)
    return target


def _fresh_kernel():
    def triple(x):
        return 3 * x

    return Kernel(triple, {"cache": True})


def test_no_cache_location_falls_back_to_a_private_directory(monkeypatch, tmp_path):
    target = _uncacheable(monkeypatch, tmp_path, fallback_ok=True)
    kernel = _fresh_kernel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a working fallback is silent
        assert kernel(7) == 21
    assert list(target.rglob("*.nbi")), "the kernel was not cached in the fallback directory"
    assert target.stat().st_mode & 0o077 == 0
    # the process's numba setting is left as it was
    assert __import__("numba").core.config.CACHE_DIR == ""


def test_no_cache_anywhere_compiles_uncached_with_one_warning(monkeypatch, tmp_path):
    _uncacheable(monkeypatch, tmp_path, fallback_ok=False)
    from rrscore.errors import RRScoreWarning

    with pytest.warns(RRScoreWarning, match="NUMBA_CACHE_DIR"):
        assert _fresh_kernel()(2) == 6
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _fresh_kernel()(5) == 15  # warned once per process


def test_fallback_refuses_a_directory_others_can_write(monkeypatch, tmp_path):
    target = _uncacheable(monkeypatch, tmp_path, fallback_ok=True)
    target.mkdir()
    target.chmod(0o777)
    from rrscore.errors import RRScoreWarning

    with pytest.warns(RRScoreWarning):
        assert _fresh_kernel()(1) == 3
    assert not list(target.rglob("*.nbi"))


def test_a_created_kernel_replaces_itself_in_every_rrscore_module(monkeypatch):
    import sys
    import types as pytypes

    kernel = Kernel(lambda x: x + 1, {"cache": False})
    holder = pytypes.ModuleType("rrscore._reexport_probe")
    holder.kernel = kernel  # as a package re-exporting a submodule's kernel
    monkeypatch.setitem(sys.modules, holder.__name__, holder)
    assert kernel(1) == 2
    assert holder.kernel is kernel.dispatcher()  # re-exports stay the defining object


def test_ssgsea_weight_table_in_python_has_numbas_bits():
    # the table is built in Python (no kernel to compile on a first call): Python's float
    # power and numba's compiled ** both call the C library's pow
    from rrscore.methods._ssgsea_walk import weight_table

    @jit(cache=False)
    def compiled(n, alpha):
        out = np.empty(n + 1)
        for i in range(n + 1):
            out[i] = float(i) ** alpha
        return out

    for alpha in (0.0, 0.25, 0.5, 1.0, 1.7):
        np.testing.assert_array_equal(weight_table(3000, alpha).view(np.uint64),
                                      compiled(3000, alpha).view(np.uint64))


def test_an_exception_cancels_the_queued_blocks_instead_of_running_them():
    """Ctrl-C (or a failing block) while rows run on threads: the blocks already running
    finish, the queued ones never start (``ThreadPoolExecutor``'s own exit ran them all:
    a GSVA kernel on many samples could not be interrupted for minutes)."""
    import threading
    import time

    from rrscore._numba import over_row_blocks

    ran = []
    lock = threading.Lock()

    def work(a, b):
        with lock:
            ran.append(a)
        if a == 0:
            raise KeyboardInterrupt  # what Ctrl-C raises in the waiting thread
        time.sleep(0.02)

    with pytest.raises(KeyboardInterrupt):
        over_row_blocks(work, 200, n_threads=2, blocks_per_thread=50)  # 100 blocks
    assert 0 in ran
    assert len(ran) <= 10  # a few that were running, not the 100 queued


def test_gsva_cdf_tasks_are_cancelled_when_one_fails(monkeypatch):
    """The Gaussian kernel's tasks (hundreds at 20,000 genes) stop being started once one
    fails or the caller is interrupted."""
    import numpy as np

    from rrscore.methods import _gsva_kcdf

    calls = []

    def task(x, cols, *rest):
        calls.append(len(calls))
        if len(calls) == 1:
            raise KeyboardInterrupt
        import time
        time.sleep(0.01)

    monkeypatch.setattr(_gsva_kcdf, "_gaussian_task", task)
    x = np.random.default_rng(0).normal(size=(1000, 400))  # 16 genes a task: 25 tasks
    with pytest.raises(KeyboardInterrupt):
        _gsva_kcdf.gene_log_odds(x, np.arange(400), "gaussian")
    assert len(calls) <= 6
