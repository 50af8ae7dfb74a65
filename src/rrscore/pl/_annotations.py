"""Colour bars for sample annotations (drivers, groups) above a samples heatmap."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Most distinct values an annotation may have to be drawn as categories (more: a gradient).
MAX_CATEGORIES = 12
_MISSING = "#ffffff"
_BINARY = {"0": "#e6e6e6", "1": "#222222"}


def palette(n: int) -> list[str]:
    import matplotlib

    cmap = matplotlib.colormaps["tab10" if n <= 10 else "tab20"]
    return [matplotlib.colors.to_hex(cmap(i % cmap.N)) for i in range(n)]


def _text(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def annotation_colors(values: pd.Series, colors: list | None = None):
    """Colours of one annotation, one per sample, and its legend.

    Returns
    -------
    (list of colours, dict label -> colour, or None), (title suffix)
        Categories (or 0/1 calls, drawn light grey / black) get a legend; a numeric
        annotation with many values gets the ``viridis`` gradient and a "(min–max)" suffix
        for its title instead. Missing values are white.
    """
    import matplotlib

    present = values.dropna()
    numeric = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype)
    if numeric and present.nunique() > MAX_CATEGORIES:
        x = values.to_numpy(dtype=float)
        lo, hi = np.nanmin(x), np.nanmax(x)
        scaled = (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)
        cmap = matplotlib.colormaps["viridis"]
        out = [_MISSING if np.isnan(v) else matplotlib.colors.to_hex(cmap(v)) for v in scaled]
        return out, None, f" ({lo:.3g}–{hi:.3g})"
    if isinstance(values.dtype, pd.CategoricalDtype):
        labels = [_text(c) for c in values.cat.remove_unused_categories().cat.categories]
    else:
        uniq = present.unique()
        try:
            uniq = sorted(uniq)
        except TypeError:
            uniq = sorted(uniq, key=str)
        labels = list(dict.fromkeys(_text(v) for v in uniq))
    if set(labels) <= set(_BINARY) and colors is None:
        lookup = {lab: _BINARY[lab] for lab in labels}
    else:
        chosen = colors if colors is not None and len(colors) == len(labels) \
            else palette(len(labels))
        lookup = dict(zip(labels, chosen, strict=True))
    out = [_MISSING if pd.isna(v) else lookup[_text(v)] for v in values]
    legend = dict(lookup)
    if values.isna().any():
        legend["NA"] = _MISSING
    return out, legend, ""


def draw_bar(ax, colors: list[str], title: str) -> None:
    """One row of coloured cells, one per sample, titled on its left."""
    import matplotlib

    rgba = np.array([matplotlib.colors.to_rgba(c) for c in colors])[None, :, :]
    ax.imshow(rgba, aspect="auto", interpolation="nearest",
              extent=(0, len(colors), 1, 0))
    ax.set_xlim(0, len(colors))
    ax.set_yticks([0.5], [title], fontsize=8)
    ax.set_xticks([])
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_linewidth(0.5)


def draw_legends(ax, legends: list[tuple[str, dict]]) -> None:
    """The annotations' legends as one list with a header per annotation, in an axes with
    no frame. Annotations with the same colours (0/1 driver calls) share one entry."""
    from matplotlib.patches import Patch

    ax.set_axis_off()
    merged: list[tuple[list[str], dict]] = []
    for title, mapping in legends:
        for titles, seen in merged:
            if seen == mapping:
                titles.append(title)
                break
        else:
            merged.append(([title], mapping))
    handles = []
    for titles, mapping in merged:
        header = titles[0] if len(titles) == 1 else "calls (" + ", ".join(titles) + ")"
        if len(titles) > 1 and all(t.startswith("driver_") for t in titles):
            header = "driver calls"
        handles.append(Patch(facecolor="none", edgecolor="none", label=header))
        handles.extend(Patch(facecolor=c, edgecolor="0.5", linewidth=0.5, label=f"  {lab}")
                       for lab, c in mapping.items())
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(0.0, 1.0), frameon=False,
                  fontsize=7, handlelength=1.0, handleheight=1.0, borderaxespad=0.0)
