"""The fitted reference as JSON: round trip, format, and atomic writing."""

from __future__ import annotations

import json
import os
import stat

import numpy as np
import pandas as pd
import pytest

import rrscore
from rrscore.errors import InputDataError
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


# --- format 2: versions, schema, non-finite numbers ----------------------------------------------

def _saved(two_scorers, tmp_path) -> tuple[dict, str]:
    path = tmp_path / "reference.json"
    two_scorers[0].save(path)
    text = path.read_text()
    return json.loads(text), text


def _load_text(tmp_path, text: str):
    path = tmp_path / "edited.json"
    path.write_text(text)
    return RadioresistanceScorer.load(path)


def test_the_saved_record_is_format_2_with_versions_and_readouts(two_scorers, tmp_path):
    record, _ = _saved(two_scorers, tmp_path)
    assert record["format_version"] == 2
    assert record["gene_sets"]["version"] == rrscore.genesets.load("mechanisms").version
    assert record["definition"].endswith("composite.tsv")
    assert record["readouts"]["RR_HYPOXIA"]["collection_version"] == \
        rrscore.genesets.load(record["readouts"]["RR_HYPOXIA"]["collection"]).version
    assert record["confounders"]["columns"] == ["proliferation", "stromal", "immune"]
    assert record["adjustment"] is None
    assert record["min_coverage"] == 0.8


def test_a_version_1_file_is_refused_naming_the_version_and_what_to_do(two_scorers, tmp_path):
    record, _ = _saved(two_scorers, tmp_path)
    old = {k: v for k, v in record.items()
           if k not in ("readouts", "confounders", "adjustment", "min_coverage", "definition")}
    old["format_version"] = 1
    with pytest.raises(InputDataError, match=r"format version 1 was written by an rrscore "
                                             r"before composite v2.*Refit the reference"):
        _load_text(tmp_path, json.dumps(old))
    newer = dict(record, format_version=3)
    with pytest.raises(InputDataError, match="version 3 is newer.*update rrscore"):
        _load_text(tmp_path, json.dumps(newer))


def _edit(record: dict, edit) -> dict:
    copy = json.loads(json.dumps(record))
    edit(copy)
    return copy


@pytest.mark.parametrize("text_of, message", [
    (lambda r, t: "[1, 2]", "the JSON holds list"),
    (lambda r, t: "null", "the JSON holds null"),
    (lambda r, t: "3.5", "the JSON holds float"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x.update(format_version="2"))),
     "format_version must be an integer, got '2'"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x.update(format_version=None))),
     "format_version must be an integer"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x.pop("reference"))), "'reference' is missing"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x["reference"].pop("sd"))),
     "reference: 'sd' is missing"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x["reference"]["mean"].update(
        RR_EMT="high"))), "reference/mean/RR_EMT: expected number"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x["reference"]["sd"].update(RR_EMT=0))),
     "reference/sd/RR_EMT"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x["weights"].pop("RR_EMT"))),
     "weights has no entry for \\['RR_EMT'\\]"),
    (lambda r, t: json.dumps(_edit(r, lambda x: x.update(mechanisms="RR_EMT"))),
     "mechanisms: expected array"),
    (lambda r, t: t.replace('"sd": {\n', '"sd": {\n  "RR_EMT": NaN,\n', 1),
     "NaN is not a number JSON allows"),
    (lambda r, t: t.replace('"composite": [\n', '"composite": [\n  -Infinity,\n', 1),
     "-Infinity is not a number JSON allows"),
    (lambda r, t: t[: len(t) // 2], "not JSON"),
])
def test_a_malformed_reference_is_a_one_line_error(two_scorers, tmp_path, text_of, message):
    record, text = _saved(two_scorers, tmp_path)
    with pytest.raises(InputDataError, match=message) as info:
        _load_text(tmp_path, text_of(record, text))
    assert "\n" not in str(info.value)


def test_non_finite_values_in_a_record_given_as_a_dict_are_refused(two_scorers):
    record = two_scorers[0].to_dict()
    record["reference"]["composite"][3] = float("nan")
    with pytest.raises(InputDataError, match="reference/composite/3 is not a finite number"):
        RadioresistanceScorer.from_dict(record)
    record = two_scorers[0].to_dict()
    record["reference"]["mean"]["RR_EMT"] = float("inf")
    with pytest.raises(InputDataError, match="reference/mean/RR_EMT is not a finite"):
        RadioresistanceScorer.from_dict(record)


# --- min_genes and coverage at transform ---------------------------------------------------------

def test_transform_never_scores_a_mechanism_from_the_genes_that_remain(complete):
    import warnings

    from rrscore.errors import DroppedSetsWarning, LowCoverageWarning

    scorer = RadioresistanceScorer().fit(complete.iloc[:, :16])
    new = complete.iloc[:, 16:]
    ferro = scorer.genes_["RR_FERROPTOSIS"]  # 4 up + ACSL4 down
    nrf2 = scorer.genes_["RR_DRIVER_NRF2_TARGETS"]["up"]
    # ferroptosis keeps 2 of 5 genes (< min_genes=3); NRF2 targets keep 11 of 14 (< 80 %);
    # DNA repair loses one gene of 40 (scored, with a warning naming it)
    dropped = [*ferro["up"][:2], *ferro["down"], *nrf2[:3], scorer.genes_["RR_DNA_REPAIR"]["up"][0]]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = scorer.transform(new.drop(index=dropped))
    messages = {type(w.message): str(w.message) for w in caught}
    nan = messages[DroppedSetsWarning]
    assert "RR_FERROPTOSIS (2/5 genes; its down part has no gene)" in nan
    assert "RR_DRIVER_NRF2_TARGETS (11/14 genes; min_coverage=0.8)" in nan
    assert "RR_DNA_REPAIR: " in messages[LowCoverageWarning]
    assert out["RR_FERROPTOSIS"].isna().all() and out["RR_DRIVER_NRF2_TARGETS"].isna().all()
    assert out["RR_DNA_REPAIR"].notna().all()
    assert out.attrs["rrscore"]["mechanisms_unscored"] == ["RR_FERROPTOSIS",
                                                           "RR_DRIVER_NRF2_TARGETS"]
    used = out.attrs["rrscore"]["weights"]
    assert used["RR_FERROPTOSIS"] == 0 and sum(used.values()) == pytest.approx(1)
    kept = [m for m in scorer.mechanisms_ if used[m] > 0]
    np.testing.assert_allclose(out["composite"], out[kept].mean(axis=1), atol=1e-13)
    # a mechanism below min_genes although most of its genes are there
    strict = RadioresistanceScorer(gene_sets="mechanisms", mechanisms=["RR_EXOSOME", "RR_EMT"],
                                   min_coverage=0.5).fit(complete.iloc[:, :16])
    with pytest.warns(DroppedSetsWarning, match=r"RR_EXOSOME \(2/3 genes; min_genes=3\)"):
        out = strict.transform(new.drop(index=["ALDOA"]))
    assert out["RR_EXOSOME"].isna().all()


def test_thresholds_are_validated(complete):
    from rrscore.errors import RRScoreError

    for bad in ({"min_genes": 0}, {"min_genes": 2.5}, {"min_coverage": 1.5},
                {"min_coverage": "most"}):
        with pytest.raises(RRScoreError, match="min_genes|min_coverage"):
            RadioresistanceScorer(**bad).fit(complete.iloc[:, :4])
