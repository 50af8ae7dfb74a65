"""Threads for rrscore's kernels: one lock around numba's parallel kernels, and set batches.

numba's ``workqueue`` threading layer — the one a machine without TBB or OpenMP gets — is not
thread-safe: two Python threads launching parallel regions at once (two threads calling
``rrscore.score``, or Dask's threaded scheduler scoring blocks side by side) abort the process
with SIGABRT. Every parallel kernel of rrscore runs under :data:`KERNEL_LOCK`. A kernel
already uses every core, so serialising launches costs little; the input layer (reading
Dask/backed blocks) runs outside the lock, so a Dask scheduler can read blocks while a kernel
runs and no thread ever waits on another that needs the lock.

Row kernels (UCell, AUCell, ssGSEA, ...) are serial ``nogil`` numba functions over a range of
rows, run on threads by :func:`rrscore._numba.kernel_over_rows`: not being numba parallel
regions, they need no lock.

Methods that score sets one by one with BLAS/LAPACK or non-parallel (``nogil``) numba code
(PLAGE) run them with :func:`map_batches`: the sets are dealt into a few batches of about
equal cost, one task per batch — never one thread task per set, whose hand-offs cost more
than a small set's work — or with :func:`largest_first`: one task per thread, each taking
the next set of a shared order, most costly first.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable

import numpy as np

from rrscore._numba import thread_pool

#: Held while a parallel kernel runs (re-entrant: a kernel may call another).
KERNEL_LOCK = threading.RLock()

#: Batches per thread: enough for the threads to even out, few enough to cost nothing.
BATCHES_PER_THREAD = 4


def balanced_batches(costs: np.ndarray, n_batches: int) -> list[np.ndarray]:
    """Split ``range(len(costs))`` into at most ``n_batches`` batches of about equal cost.

    Largest first, each to the batch with the least cost so far (LPT); within a batch the
    items keep their order.

    Parameters
    ----------
    costs
        ``(n_items,)`` non-negative estimated cost of each item.
    n_batches
        Number of batches wanted (at least 1).

    Returns
    -------
    list of numpy.ndarray
        int64 item indices of each non-empty batch, sorted.
    """
    costs = np.asarray(costs, dtype=np.float64)
    n_batches = max(1, min(int(n_batches), len(costs)))
    heap = [(0.0, b) for b in range(n_batches)]
    owner = np.empty(len(costs), dtype=np.int64)
    for i in np.argsort(-costs, kind="stable"):
        load, b = heapq.heappop(heap)
        owner[i] = b
        heapq.heappush(heap, (load + float(costs[i]), b))
    batches = [np.flatnonzero(owner == b) for b in range(n_batches)]
    return [b for b in batches if len(b)]


def map_batches(
    work: Callable[[np.ndarray], None], costs: np.ndarray, n_threads: int, *,
    progress: bool = False, desc: str = "scoring", unit: str = "set",
) -> None:
    """Call ``work(batch)`` on balanced batches of items, ``n_threads`` batches at a time.

    ``work`` must release the GIL for its heavy parts (NumPy, BLAS/LAPACK, ``nogil``
    numba) and must not launch numba parallel regions (see :data:`KERNEL_LOCK`). An
    exception in a batch is raised here.

    Parameters
    ----------
    work
        Called with the int64 indices of one batch of items.
    costs
        ``(n_items,)`` estimated cost of each item (e.g. a set's ``samples × genes²``).
    n_threads
        Worker threads (1: the batches run in this thread).
    progress, desc, unit
        A progress bar over the items.
    """
    n_threads = max(1, int(n_threads))
    batches = balanced_batches(costs, n_threads * BATCHES_PER_THREAD)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(costs), desc=desc, unit=unit, leave=False, disable=None)
    try:
        if n_threads == 1 or len(batches) == 1:
            for batch in batches:
                work(batch)
                if bar is not None:
                    bar.update(len(batch))
            return
        with thread_pool(min(n_threads, len(batches))) as pool:
            for batch, _ in zip(batches, pool.map(work, batches), strict=True):
                if bar is not None:
                    bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()


def largest_first(order: np.ndarray, score, workspace, n_threads: int, *,
                  progress: bool = False, desc: str = "scoring") -> None:
    """``score(j, work)`` for every ``j`` of ``order`` (most costly first), on threads that
    each take the next set when done with one.

    Static batches of equal estimated cost leave a core idle at the end when the estimate
    is off (the eigenvector's cost is not in it) or another process takes a core for a
    while; taking sets one at a time, largest first, ends every thread within about one
    small set of the others. One task per thread, each looping over the shared order (an
    ``itertools.count``, atomic under the GIL): no task per set.

    Parameters
    ----------
    order
        int64 set indices, in the order to take them (most costly first).
    score
        ``score(j, work)``: scores set ``j``, releasing the GIL for its heavy parts.
    workspace
        ``workspace()``: one thread's buffers, ``work``, reused set after set.
    n_threads
        Worker threads (1: every set in this thread).
    progress, desc
        A progress bar over the sets.

    Raises
    ------
    Exception
        The first exception raised by ``score``; the other threads stop at their next set
        (also when the caller is interrupted).
    """
    taken = itertools.count()
    stop = threading.Event()
    lock = threading.Lock()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(order), desc=desc, unit="set", leave=False, disable=None)

    def worker() -> None:
        work = workspace()
        try:
            while not stop.is_set():
                i = next(taken)
                if i >= len(order):
                    return
                score(int(order[i]), work)
                if bar is not None:
                    with lock:
                        bar.update(1)
        except BaseException:
            stop.set()
            raise

    n_threads = max(1, min(int(n_threads), len(order)))
    try:
        if n_threads == 1:
            worker()
            return
        with thread_pool(n_threads) as pool:
            tasks = [pool.submit(worker) for _ in range(n_threads)]
            try:
                for task in tasks:
                    task.result()
            except BaseException:
                stop.set()  # Ctrl-C or a failed set: the running threads end at their next set
                raise
    finally:
        if bar is not None:
            bar.close()
