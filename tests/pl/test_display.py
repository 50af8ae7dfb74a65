"""In Jupyter a plot is drawn once (it used to be drawn twice: as the cell's value and by
the inline backend). Runs a real kernel through nbclient; skips when it is not installed."""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = [
    """%matplotlib inline
import numpy as np, pandas as pd, rrscore
table = pd.DataFrame(np.random.default_rng(0).normal(size=(20, 3)), columns=list("abc"))
groups = pd.Series(["x", "y"] * 10)""",
    "rrscore.pl.dotplot(table, groups)",
    "rrscore.pl.sample_heatmap(table)",
    "rrscore.pl.distributions(table, groups)",
    "fig = rrscore.pl.contributions(table, return_fig=True)",
    "axes = rrscore.pl.sample_heatmap(table, show=False)",
]


def _images(cell) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell.outputs)


def test_each_plot_is_displayed_once_in_jupyter():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code) for code in CELLS]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    assert _images(nb.cells[0]) == 0
    for cell in nb.cells[1:]:
        assert _images(cell) == 1, cell.source
        assert not [o for o in cell.outputs if o.output_type == "execute_result"], cell.source
