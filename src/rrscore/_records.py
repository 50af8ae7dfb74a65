"""Plain-data records of results: what ``.attrs``, ``adata.uns`` and JSON files can hold."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def plain(value, *, for_h5ad: bool = False):
    """``value`` with NumPy scalars, tuples and mappings turned into Python data.

    Parameters
    ----------
    value
        Any parameter or report value.
    for_h5ad
        h5ad cannot store ``None`` nor lists of mixed types: ``None`` becomes ``"None"`` and
        list items become strings.
    """
    if value is None:
        return "None" if for_h5ad else None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, (list, tuple)):
        if for_h5ad:
            return [str(v) for v in value]
        return [plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v, for_h5ad=for_h5ad) for k, v in value.items()}
    return str(value) if for_h5ad else value
