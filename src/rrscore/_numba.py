"""numba for rrscore's kernels: imported when a kernel first runs, one set of compile options.

A kernel module imports the stand-in instead of numba and writes its kernels as usual::

    from rrscore._numba import numba

    @numba.njit(parallel=True, cache=True)
    def _kernel(x):
        for r in numba.prange(len(x)):
            ...

The stand-in imports numba on first attribute access (``numba.get_num_threads()``), except
for ``numba.njit``, which is :func:`jit`: ``numba.njit`` with ``cache=True`` by default that
returns a :class:`Kernel`, whose numba dispatcher is created on its first call (or first
attribute access such as ``.signatures``). So ``import rrscore.methods``, and commands that
run no kernel (``rrscore --help``, ``rrscore genesets list``, ``rrscore methods``), import
no numba (~0.25 s) and build no dispatcher for the ~65 kernels they do not use.

When a kernel is compiled, the names its code reads from its module — the ``numba``
stand-in, other kernels (``csr_row``), kernels reached through a module attribute — are
replaced in that module by the real numba module and the kernels' dispatchers, because
numba's compiler types a global by its value and knows neither stand-in. After that the
module looks exactly as if it had imported numba itself.

Where the compiled code is cached: numba's own rules (``numba.core.caching``) — in
``$NUMBA_CACHE_DIR`` when set, else next to the sources (``__pycache__``) when that directory
is writable, else numba's per-user cache directory (``~/.cache/numba``). Where none of these
is writable — a read-only install run by a user without a writable home, as in containers
started under an arbitrary user ID — numba refuses to create a cached kernel at all
(``RuntimeError: cannot cache function``); rrscore then caches in
``<tempdir>/rrscore-numba-cache-<uid>`` (:func:`fallback_cache_dir`), and only if that fails
too compiles without a cache, with one warning. ``python -m rrscore.warmup`` fills the cache
once for every kernel.

Row kernels run on threads, not in numba parallel regions: a serial ``nogil`` kernel over a
range of rows, called on blocks of rows by :func:`kernel_over_rows`. numba compiles a
``parallel=True`` kernel twice (the function, then its loop body as a gufunc, with every
function it calls linked and optimised once more): several seconds more per kernel on a
cold cache than the serial loop, which threads run as fast. Not being parallel regions,
they are also safe to launch from several Python threads at once (numba's ``workqueue``
threading layer is not).
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import os
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Iterator
from pathlib import Path

from rrscore.errors import RRScoreWarning, warn

#: ``numba.njit`` options every kernel gets unless it says otherwise: the compiled code is
#: cached on disk, so only the first call after an install (or a source change) compiles.
DEFAULTS = {"cache": True}

# Kernels reference each other: materialising one may materialise those it calls.
_LOCK = threading.RLock()
_REGISTRY: list[Kernel] = []


def _numba() -> types.ModuleType:
    return importlib.import_module("numba")


class _LazyNumba(types.ModuleType):
    """Stand-in for the ``numba`` module: imports it on first attribute access."""

    def __getattr__(self, name: str):
        return getattr(_numba(), name)

    def __dir__(self) -> list[str]:
        return dir(_numba())


#: ``from rrscore._numba import numba`` instead of ``import numba`` in a kernel module.
numba = _LazyNumba("numba", "numba, imported on first attribute access (rrscore._numba)")


class Kernel:
    """A numba kernel whose dispatcher is created on first use.

    Calling it calls the ``numba.njit`` dispatcher; any other attribute (``signatures``,
    ``overloads``, ``parallel_diagnostics``, ``py_func``) is the dispatcher's.

    Parameters
    ----------
    func
        The Python function to compile (numba's nopython subset).
    options
        ``numba.njit`` options (``parallel``, ``nogil``, ``error_model``, ``cache``...).
    """

    def __init__(self, func: Callable, options: dict) -> None:
        self.py_func = func
        self.options = options
        self._dispatcher = None
        functools.update_wrapper(self, func)

    def dispatcher(self):
        """The ``numba.njit`` dispatcher of this kernel (created on the first call)."""
        if self._dispatcher is None:
            with _LOCK:
                if self._dispatcher is None:
                    _bind_globals(self.py_func)
                    self._dispatcher = _create(self.py_func, self.options)
                    _replace_everywhere(self, self._dispatcher)
        return self._dispatcher

    def __call__(self, *args, **kwargs):
        return self.dispatcher()(*args, **kwargs)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher(), name)

    def __repr__(self) -> str:
        state = "compiled" if self._dispatcher is not None else "not yet created"
        return f"<rrscore kernel {self.py_func.__module__}.{self.__qualname__} ({state})>"


def fallback_cache_dir() -> Path:
    """Where kernels are cached when numba finds no writable cache directory itself."""
    uid = os.getuid() if hasattr(os, "getuid") else os.getpid()
    return Path(tempfile.gettempdir()) / f"rrscore-numba-cache-{uid}"


@contextlib.contextmanager
def _cache_dir(path: Path):
    # numba reads config.CACHE_DIR when a dispatcher picks its cache location (once, at
    # enable_caching); setting it only for that moment leaves the process's other numba
    # users exactly as configured
    config = importlib.import_module("numba.core.config")
    before = config.CACHE_DIR
    config.CACHE_DIR = str(path)
    try:
        yield
    finally:
        config.CACHE_DIR = before


_WARNED_NO_CACHE = False


def _create(func: Callable, options: dict):
    """``numba.njit(**options)(func)``, with a cache location that works wherever we run."""
    global _WARNED_NO_CACHE
    njit = _numba().njit
    try:
        return njit(**options)(func)
    except RuntimeError as exc:
        if not options.get("cache") or "cannot cache" not in str(exc):
            raise
    dispatcher = njit(**{**options, "cache": False})(func)
    path = fallback_cache_dir()
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        # cache files are pickles that numba loads: in a shared temporary directory use only
        # a directory that this user owns and nobody else can write to
        st = path.stat()
        if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
            raise OSError(f"{path} is not private to this user")
        with _cache_dir(path):
            dispatcher.enable_caching()
    except (OSError, RuntimeError):
        if not _WARNED_NO_CACHE:
            _WARNED_NO_CACHE = True
            warn(f"numba finds no writable directory to cache rrscore's compiled kernels "
                 f"(next to the installed sources, ~/.cache/numba, {path}): every new "
                 "process compiles them again (seconds per method). Set NUMBA_CACHE_DIR to a "
                 "writable directory.", RRScoreWarning)
    return dispatcher


def _names(code: types.CodeType) -> Iterator[str]:
    """Global and attribute names read by ``code`` and the code objects nested in it."""
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names(const)


def _replace_everywhere(kernel: Kernel, dispatcher) -> None:
    """Every rrscore module that holds ``kernel`` holds its dispatcher from now on.

    A kernel re-exported by a package (``rrscore.ranking.row_tie_blocks``) stays the same
    object as its defining module's name, and numba's compiler, which types a global by its
    value, sees the dispatcher in whichever module a calling kernel lives.
    """
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "rrscore" or name.startswith("rrscore.")):
            continue
        namespace = vars(module)
        for key, value in list(namespace.items()):
            if value is kernel:
                namespace[key] = dispatcher


def _bind_globals(func: Callable) -> None:
    """Give ``func``'s module the real objects behind the stand-ins ``func`` reads."""
    namespace = func.__globals__
    names = set(_names(func.__code__))
    for name in names:
        value = namespace.get(name)
        if isinstance(value, _LazyNumba):
            namespace[name] = _numba()
        elif isinstance(value, Kernel):
            namespace[name] = value.dispatcher()
        elif isinstance(value, types.ModuleType):
            # ``module.kernel(...)`` inside a kernel: numba reads the module attribute
            for attr in names:
                member = getattr(value, attr, None)
                if isinstance(member, Kernel):
                    setattr(value, attr, member.dispatcher())


def jit(func: Callable | None = None, **options) -> Kernel | Callable[[Callable], Kernel]:
    """``numba.njit`` with ``cache=True``, creating the dispatcher on first use.

    Usable bare (``@jit``) or with options (``@jit(parallel=True, nogil=True)``); the
    options are ``numba.njit``'s.

    Parameters
    ----------
    func
        The function, when used as ``@jit`` without parentheses.
    **options
        ``numba.njit`` options; ``cache`` defaults to True.

    Returns
    -------
    Kernel, or a decorator returning one.
    """
    merged = {**DEFAULTS, **options}

    def decorate(f: Callable) -> Kernel:
        kernel = Kernel(f, merged)
        _REGISTRY.append(kernel)
        return kernel

    return decorate(func) if func is not None else decorate


def kernels() -> list[Kernel]:
    """Every kernel defined so far through :func:`jit` (in modules imported so far)."""
    return list(_REGISTRY)


@contextlib.contextmanager
def thread_pool(n_threads: int) -> Iterator:
    """A ``ThreadPoolExecutor`` whose queued tasks are cancelled when the block raises.

    ``with ThreadPoolExecutor(...)`` waits on exit for every submitted task, queued ones
    included, so an exception in the caller — a failed task, or Ctrl-C while waiting on a
    result — returned only after all the work was done (minutes for a GSVA kernel on tens of
    thousands of samples). Here the tasks already running finish (a thread cannot be
    stopped inside a numba kernel; tasks are kept short) and the queued ones never start.

    Parameters
    ----------
    n_threads
        Worker threads.

    Yields
    ------
    concurrent.futures.ThreadPoolExecutor
    """
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max(1, int(n_threads)))
    try:
        yield pool
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def over_row_blocks(
    work: Callable[[int, int], None], n_rows: int, *, n_threads: int | None = None,
    blocks_per_thread: int = 4,
) -> None:
    """Call ``work(start, stop)`` over contiguous blocks of ``range(n_rows)`` on threads.

    ``work`` should spend its time in a ``nogil`` numba kernel (or GIL-free NumPy); each row
    must be computed on its own, so the result does not depend on the blocks. An exception
    in a block is raised here.

    Parameters
    ----------
    work
        Called with ``(start, stop)`` of each block, ``0 <= start < stop <= n_rows``.
    n_rows
        Rows to cover.
    n_threads
        Worker threads; default ``numba.get_num_threads()`` of the calling thread (which
        ``n_jobs`` sets, :func:`rrscore.methods._engine.numba_threads`).
    blocks_per_thread
        Blocks per thread, so that the threads finish together.
    """
    if n_rows <= 0:
        return
    if n_threads is None:
        n_threads = numba.get_num_threads()
    n_threads = max(1, min(int(n_threads), n_rows))
    n_blocks = min(n_rows, n_threads * max(1, int(blocks_per_thread))) if n_threads > 1 else 1
    bounds = [n_rows * i // n_blocks for i in range(n_blocks + 1)]
    if n_blocks == 1:
        work(0, n_rows)
        return
    with thread_pool(n_threads) as pool:
        futures = [pool.submit(work, a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
        for f in futures:
            f.result()


def kernel_over_rows(kernel: Callable, n_rows: int, *args, n_threads: int | None = None) -> None:
    """``kernel(start, stop, *args)`` over blocks of ``range(n_rows)`` (:func:`over_row_blocks`).

    ``kernel`` is a serial ``nogil`` numba kernel that fills rows ``start .. stop - 1`` of
    its output arguments.
    """
    over_row_blocks(lambda start, stop: kernel(start, stop, *args), n_rows, n_threads=n_threads)


# ``@numba.njit(...)`` in a module that imported the stand-in creates a lazy Kernel
numba.njit = jit
