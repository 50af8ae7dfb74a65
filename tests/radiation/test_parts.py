"""Signed mechanisms scored part by part: the size-weighted formula, its relation to
singscore's own signed score, and the small-part rules of composite.tsv."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import DroppedSetsWarning
from rrscore.radiation import CompositeDefinition, radioresistance
from rrscore.radiation._parts import DOWN_TAG, UP_TAG, combine, part_weights
from tests.radiation.conftest import _singscore_signed


def test_combine_is_the_size_weighted_mean_of_the_parts():
    raw = pd.DataFrame({"M" + UP_TAG: [0.2, -0.1], "M" + DOWN_TAG: [0.4, 0.3]})
    # 3 up genes, 1 down gene: (3 * up - 1 * S(down genes)) / 4, then the direction
    np.testing.assert_allclose(combine(raw, "M", 3, 1), [(0.6 - 0.4) / 4, (-0.3 - 0.3) / 4])
    np.testing.assert_allclose(combine(raw, "M", 3, 1, direction=-1),
                               [-(0.6 - 0.4) / 4, (0.3 + 0.3) / 4])
    np.testing.assert_allclose(combine(raw, "M", 3, 0), [0.2, -0.1])  # unsigned
    assert np.isnan(combine(raw.drop(columns="M" + DOWN_TAG), "M", 3, 1)).all()
    assert part_weights(9, 5) == {"up": 9 / 14, "down": 5 / 14}


def test_equal_weights_give_back_singscores_own_signed_score(complete):
    """singscore (centred) scores a signed set as up + down on reversed ranks; the down
    contribution equals minus the down genes' score as an up set, so twice the equal-weight
    combination is R singscore's TotalScore."""
    coll = rrscore.genesets.load("mechanisms")
    data = complete.iloc[:, :10]
    for name in ("RR_APOPTOSIS", "RR_EMT", "RR_FERROPTOSIS"):
        gs = coll[name]
        up = [g for g in gs.up if g in data.index]
        down = [g for g in gs.down if g in data.index]
        raw = rrscore.score(data, {name + UP_TAG: up, name + DOWN_TAG: down}, "singscore")
        signed = rrscore.score(data, {name: up + [f"{g}-" for g in down]}, "singscore")[name]
        np.testing.assert_allclose(2 * combine(raw, name, 1, 1), signed, atol=1e-15)
        independent = _singscore_signed(data, up, down)
        np.testing.assert_allclose(signed, independent.loc[signed.index], atol=1e-12)


def _definition(tmp_path, rule: str) -> CompositeDefinition:
    comp = tmp_path / "composite.tsv"
    comp.write_text("mechanism\treadout_collection\treadout_set\tdirection\tsmall_parts\n"
                    f"RR_APOPTOSIS\tmechanisms\tRR_APOPTOSIS\t1\t{rule}\n"
                    "RR_CANCER_STEM_CELL\tmechanisms\tRR_CANCER_STEM_CELL\t1\tdrop\n")
    return CompositeDefinition.from_files(comp)


def test_a_part_that_became_small_in_the_data_is_dropped_with_a_warning(complete, tmp_path):
    gs = rrscore.genesets.load("mechanisms")["RR_APOPTOSIS"]  # 9 up, 5 down genes
    data = complete.drop(index=list(gs.down[:3])).iloc[:, :10]  # 2 down genes left
    with pytest.warns(DroppedSetsWarning, match=r"RR_APOPTOSIS: only 2 of the 5 genes of its "
                                                r"down part.*BAX.*left out"):
        scores = radioresistance(data, gene_sets=_definition(tmp_path, "drop"),
                                 confounders=False)
    readout = scores.attrs["rrscore"]["readouts"]["RR_APOPTOSIS"]
    assert readout["dropped_parts"] == ["down"]
    assert readout["part_weights"] == {"up": 1.0, "down": 0.0}
    up_only = _singscore_signed(data, list(gs.up), [])
    np.testing.assert_allclose(scores["RR_APOPTOSIS"],
                               (up_only - up_only.mean()) / up_only.std(ddof=1), atol=1e-12)
    # with "weight" the two genes stay, at 2/11 of the score
    weighted = radioresistance(data, gene_sets=_definition(tmp_path, "weight"),
                               confounders=False)
    assert weighted.attrs["rrscore"]["readouts"]["RR_APOPTOSIS"]["part_weights"] == \
        pytest.approx({"up": 9 / 11, "down": 2 / 11})


def test_a_part_small_by_design_is_dropped_and_recorded_without_a_warning(complete, tmp_path):
    # RR_CANCER_STEM_CELL's down part is KEAP1 alone: composite.tsv drops it by design
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scores = radioresistance(complete.iloc[:, :10], gene_sets=_definition(tmp_path, "drop"),
                                 confounders=False)
    readout = scores.attrs["rrscore"]["readouts"]["RR_CANCER_STEM_CELL"]
    assert readout["dropped_parts"] == ["down"] and readout["n_genes"]["down"] == 0
    gs = rrscore.genesets.load("mechanisms")["RR_CANCER_STEM_CELL"]
    assert list(gs.down) == ["KEAP1"]
    raw = _singscore_signed(complete.iloc[:, :10], list(gs.up), [])
    np.testing.assert_allclose(scores["RR_CANCER_STEM_CELL"],
                               (raw - raw.mean()) / raw.std(ddof=1), atol=1e-12)
