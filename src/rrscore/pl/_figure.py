"""scanpy's figure conventions, once: ``ax=``, ``show=``, ``save=``, ``return_fig=``.

- ``return_fig=True`` returns the :class:`matplotlib.figure.Figure` (not shown).
- otherwise ``show=None`` means scanpy's ``settings.autoshow`` (True unless changed): the
  figure is shown with :func:`matplotlib.pyplot.show` and the function returns None. Returning
  the figure as well would make Jupyter draw it twice (once as the cell's value, once by the
  inline backend).
- ``show=False`` returns the axes (one :class:`~matplotlib.axes.Axes`, or a dict of named
  axes for plots made of several panels), for further drawing.
- ``save=`` a path writes the figure there (format from the suffix) before it is shown.
- ``ax=`` draws into an existing axes; plots made of several panels divide its area.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from rrscore.errors import RRScoreError

SaveLike = str | os.PathLike | None


def pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - matplotlib is in the test environment
        raise ImportError("rrscore.pl needs matplotlib: pip install 'rrscore[plot]'") from err
    return plt


def scanpy():
    try:
        import scanpy as sc
    except ImportError as err:  # pragma: no cover - scanpy is in the test environment
        raise ImportError(
            "this rrscore.pl plot draws with scanpy: pip install 'rrscore[sc,plot]'"
        ) from err
    return sc


def _autoshow() -> bool:
    # follow scanpy's switch when scanpy is loaded; never import it just for this
    sc = sys.modules.get("scanpy")
    settings = getattr(sc, "settings", None)
    return bool(getattr(settings, "autoshow", True))


def finish(fig, axes, *, show: bool | None, save: SaveLike, return_fig: bool, dpi: int):
    """Save, then return the figure, show it, or return its axes (scanpy's order)."""
    if save is not None:
        fig.savefig(save, dpi=dpi, bbox_inches="tight")
    if return_fig:
        return fig
    if show is None:
        show = _autoshow()
    if show:
        pyplot().show()
        return None
    return axes


def new_axes(ax, figsize: tuple[float, float]):
    """(figure, axes): a new figure of ``figsize``, or ``ax`` and its figure."""
    if ax is not None:
        return ax.figure, ax
    fig, ax = pyplot().subplots(figsize=figsize)
    return fig, ax


def grid(ax, figsize: tuple[float, float], nrows: int, ncols: int, **gridspec_kw):
    """(figure, GridSpec): a new figure's grid, or a grid over the area of ``ax``.

    ``ax`` is switched off and its rectangle divided, as scanpy's multi-panel plots do.
    """
    plt = pyplot()
    if ax is None:
        fig = plt.figure(figsize=figsize)
        return fig, fig.add_gridspec(nrows, ncols, **gridspec_kw)
    fig = ax.figure
    box = ax.get_position()
    ax.set_axis_off()
    spec = fig.add_gridspec(nrows, ncols, left=box.x0, right=box.x1, bottom=box.y0,
                            top=box.y1, **gridspec_kw)
    return fig, spec


def symmetric_limits(values, vmin=None, vmax=None) -> tuple[float | None, float | None]:
    """Colour limits centred on 0 for signed scores (z-scores), given limits kept.

    Returns (None, None) when the values are not signed (all >= 0 or all <= 0), so that the
    colour map spans their own range.
    """
    if vmin is not None or vmax is not None:
        return vmin, vmax
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0 or finite.min() >= 0 or finite.max() <= 0:
        return None, None
    m = float(np.abs(finite).max())
    return -m, m


def check_kind(kind: str, allowed: tuple[str, ...], what: str) -> str:
    if kind not in allowed:
        raise RRScoreError(f"{what} must be one of {list(allowed)}, got {kind!r}")
    return kind
