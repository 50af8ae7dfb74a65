"""The bundled cell-line fixture is the ../shared source, unchanged (provenance check)."""

from __future__ import annotations

import pandas as pd

from tests.methods.sc_fixtures import mixology, mixology_counts


def test_bundled_mixology_singlets_equal_the_shared_source(shared_data):
    d = shared_data / "sc_mixology_luad_celllines_celseq2"
    source = pd.read_csv(d / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(d / "samples.tsv", sep="\t", index_col=0)
    singlets = samples.index[samples["demuxlet_cls"] == "SNG"]
    counts, cells = mixology_counts()
    assert list(cells.index) == list(singlets)
    pd.testing.assert_frame_equal(counts, source[singlets])
    pd.testing.assert_series_equal(cells["cell_line_demuxlet"],
                                   samples.loc[singlets, "cell_line_demuxlet"])


def test_bundled_mixology_is_the_documented_shape():
    adata = mixology()
    assert adata.shape == (571, 15665)
    # the shared README: 571 singlets of five lines, 15,665 symbols
    assert set(adata.obs["cell_line_demuxlet"]) == {"A549", "H1975", "H2228", "H838", "HCC827"}
