"""The fitted reference as JSON: round trip, format, and atomic writing."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.radiation import (
    RadioresistanceScorer,
    radioresistance,
)
from tests.radiation.conftest import _raw_mechanism_scores


def test_fit_transform_save_load_round_trip(complete, tmp_path):
    ref, new = complete.iloc[:, :20], complete.iloc[:, 20:]
    scorer = RadioresistanceScorer(weights={"RR_DNA_REPAIR": 1, "RR_EMT": 3}).fit(ref)
    path = tmp_path / "reference.json"
    scorer.save(path)
    record = json.loads(path.read_text())
    assert record["method"] == "singscore"
    assert record["method_params"] == {"ties_method": "min", "center_score": True,
                                       "known_direction": True}
    assert record["gene_sets"]["name"] == "mechanisms"
    assert record["gene_sets"]["version"] == rrscore.genesets.load("mechanisms").version
    assert record["reference"]["n_samples"] == 20
    assert record["reference"]["n_genes"] == complete.shape[0]
    assert record["genes"]["RR_APOPTOSIS"]["down"] == ["CASP3", "CASP8", "BID", "BAD", "BAX"]
    # genes are stored under the catalogue symbol even when the data used an older one
    assert "MRE11" in record["genes"]["RR_DNA_REPAIR"]["up"]
    assert record["weights"]["RR_EMT"] == pytest.approx(0.75)
    assert path.stat().st_size < 20_000

    loaded = RadioresistanceScorer.load(path)
    assert loaded.to_dict() == scorer.to_dict()
    a, b = scorer.transform(new), loaded.transform(new)
    pd.testing.assert_frame_equal(a, b)
    # transform uses the reference statistics, not the new samples'
    raw = _raw_mechanism_scores(new)[scorer.mechanisms_]
    expected = (raw - scorer.mean_) / scorer.scale_
    np.testing.assert_allclose(a[scorer.mechanisms_], expected, atol=1e-12)
    # the one-call API with a JSON path gives the same
    pd.testing.assert_frame_equal(radioresistance(new, reference=path), a, check_like=False)
    # and with the reference cohort as data
    pd.testing.assert_frame_equal(
        radioresistance(new, reference=ref, weights={"RR_DNA_REPAIR": 1, "RR_EMT": 3}), a
    )


@pytest.fixture(scope="module")
def two_scorers(complete):
    """Two fitted references that write different JSON."""
    first = RadioresistanceScorer().fit(complete.iloc[:, :8])
    second = RadioresistanceScorer(weights={"RR_EMT": 1}).fit(complete.iloc[:, 8:16])
    return first, second


def _fail(*args, **kwargs):
    raise OSError(28, "No space left on device")


class _HalfWriter:
    """A file handle that writes half of the text, then fails as a full disk does."""

    def __init__(self, handle):
        self._handle = handle

    def write(self, text):
        self._handle.write(text[: len(text) // 2])
        self._handle.flush()
        _fail()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()
        return False

    def __getattr__(self, name):
        return getattr(self._handle, name)


@pytest.mark.parametrize("step", ["write", "fsync", "replace"])
def test_a_failing_save_leaves_the_previous_file_whole_and_no_partial_file(
    two_scorers, tmp_path, monkeypatch, step,
):
    import rrscore.radiation._persistence as persistence

    old, new = two_scorers
    path = tmp_path / "reference.json"
    old.save(path)
    before = path.read_bytes()
    if step == "write":
        real_fdopen = persistence.os.fdopen
        monkeypatch.setattr(persistence.os, "fdopen",
                            lambda *a, **k: _HalfWriter(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(persistence.os, step, _fail)
    with pytest.raises(OSError, match="No space left"):
        new.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.json"]
    assert RadioresistanceScorer.load(path).to_dict() == old.to_dict()
    # a failed first save creates nothing
    monkeypatch.setattr(persistence.os, "replace", _fail)
    with pytest.raises(OSError):
        new.save(tmp_path / "fresh.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.json"]


def test_a_record_that_cannot_be_serialised_touches_no_file(two_scorers, tmp_path):
    old, new = two_scorers
    path = tmp_path / "reference.json"
    old.save(path)
    before = path.read_bytes()
    broken = RadioresistanceScorer.from_dict(new.to_dict())
    broken.mean_ = broken.mean_.copy()
    broken.mean_.iloc[0] = np.nan  # JSON has no NaN: allow_nan=False refuses it
    with pytest.raises(ValueError, match="not JSON compliant"):
        broken.save(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.json"]


def test_a_successful_save_replaces_the_file_whole_and_keeps_its_permissions(
    two_scorers, tmp_path,
):
    old, new = two_scorers
    path = tmp_path / "reference.json"
    umask = os.umask(0o022)
    os.umask(umask)
    old.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as a plain open() gives
    path.chmod(0o640)
    new.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert json.loads(path.read_text()) == json.loads(json.dumps(new.to_dict()))
    assert RadioresistanceScorer.load(path).to_dict() == new.to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reference.json"]
