"""Checks of rendered PNG files: valid, not blank, and showing given colours."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_png(path: Path, min_side: int = 150) -> np.ndarray:
    """The image as RGB floats, after checking it is a real, non-blank PNG."""
    import matplotlib.image as mpimg

    path = Path(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 5_000
    image = mpimg.imread(path)
    h, w = image.shape[:2]
    assert min(h, w) >= min_side and max(h, w) <= 6_000
    assert image.std() > 0.01  # not a blank canvas
    return image[..., :3]


def colour_fraction(image: np.ndarray, rgb, tol: float = 0.02) -> float:
    """Fraction of pixels within ``tol`` of ``rgb`` in every channel."""
    close = np.all(np.abs(image - np.asarray(rgb[:3], dtype=float)) <= tol, axis=-1)
    return float(close.mean())
