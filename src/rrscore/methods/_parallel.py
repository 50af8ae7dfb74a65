"""One lock around numba's parallel kernels, so concurrent calls cannot abort the process.

numba's ``workqueue`` threading layer — the one a machine without TBB or OpenMP gets — is not
thread-safe: two Python threads launching parallel regions at once (two threads calling
``rrscore.score``, or Dask's threaded scheduler scoring blocks side by side) abort the process
with SIGABRT. Every parallel kernel of rrscore runs under :data:`KERNEL_LOCK`. A kernel
already uses every core, so serialising launches costs little; the input layer (reading
Dask/backed blocks) runs outside the lock, so a Dask scheduler can read blocks while a kernel
runs and no thread ever waits on another that needs the lock.
"""

from __future__ import annotations

import threading

#: Held while a parallel kernel runs (re-entrant: a kernel may call another).
KERNEL_LOCK = threading.RLock()
