"""Helpers shared by method kernels: sample chunks with progress, flattened set indices."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rrscore.expression._matrix import ExpressionMatrix
from rrscore.genesets._matching import AlignedSets

DEFAULT_CHUNK_SIZE = 256


def progress_steps(
    n: int, size: int, *, progress: bool = False, desc: str = "scoring", unit: str = "chunk",
) -> Iterator[tuple[int, int]]:
    """Yield ``(start, stop)`` over ``range(n)`` in steps of ``size``, with a progress bar.

    The bar (tqdm) is silent when stderr is not a terminal (CI logs, pipes).
    """
    size = max(1, int(size))
    starts = range(0, n, size)
    if progress:
        from tqdm.auto import tqdm

        starts = tqdm(starts, total=(n + size - 1) // size, desc=desc, unit=unit,
                      leave=False, disable=None)
    for start in starts:
        yield start, min(start + size, n)


def sample_chunks(
    expr: ExpressionMatrix, chunk_size: int | None = None, *, progress: bool = False,
    desc: str = "scoring",
) -> Iterator[tuple[int, int, np.ndarray]]:
    """Yield ``(start, stop, dense float64 block)`` over rows (samples) of ``expr``.

    Only one block is dense at a time, which bounds memory for sparse single-cell input.
    """
    size = int(chunk_size or DEFAULT_CHUNK_SIZE)
    for start, stop in progress_steps(expr.shape[0], size, progress=progress, desc=desc):
        yield start, stop, expr.dense_rows(start, stop)


def flatten_sets(sets: AlignedSets, part: str = "up") -> tuple[np.ndarray, np.ndarray]:
    """CSR-style ``(ptr, idx)`` arrays of the ``up`` or ``down`` parts, for numba kernels."""
    parts = [getattr(s, part) for s in sets]
    ptr = np.zeros(len(parts) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(p) for p in parts])
    idx = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
    return ptr, idx
