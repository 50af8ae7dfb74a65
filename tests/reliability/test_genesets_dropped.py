"""Issue 10, "Sets that vanish": every set not scored is named with its reason (a
DroppedSetsWarning and the coverage report's ``reason`` column), and a set that can be scored
is scored — including a set holding every gene of the data (a targeted panel).

Expected values are written out with NumPy from the methods' definitions: GSVA 1.46's
combined z-score ``Σ Z / sqrt(k)``, the mean z-score, and GSVA 1.46's ``ks_sample`` walk
(which never steps down when no gene lies outside the set, so the score is 1).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
from rrscore.cli import main
from rrscore.errors import DroppedSetsWarning, GeneMatchError
from rrscore.genesets import GeneSet, GeneSetCollection
from rrscore.genesets._matching import align_gene_sets


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """A targeted panel: 6 genes × 8 samples (genes as rows), log-scale values."""
    rng = np.random.default_rng(10)
    return pd.DataFrame(rng.normal(8.0, 1.5, size=(6, 8)),
                        index=[f"G{i}" for i in range(6)], columns=[f"s{j}" for j in range(8)])


def _z(data: pd.DataFrame) -> pd.DataFrame:
    """Genes standardised across samples, sd with n - 1 (R's t(scale(t(X))))."""
    return data.sub(data.mean(axis=1), axis=0).div(data.std(axis=1, ddof=1), axis=0)


def _quiet_score(*args, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rrscore.score(*args, **kwargs)


def test_a_set_with_no_gene_found_is_named_in_a_warning_and_the_report(panel):
    sets = {"FOUND": ["G0", "G1", "G2"], "GONE": ["NOPE1", "NOPE2"]}
    with pytest.warns(DroppedSetsWarning, match=r"1 of 2 gene sets are not scored.*"
                      r"no gene found in the data: GONE") as caught:
        result = rrscore.score(panel, sets, "mean")
    assert list(result.columns) == ["FOUND"]
    dropped = [w for w in caught if issubclass(w.category, DroppedSetsWarning)]
    assert dropped[0].filename == __file__  # points at the user's line
    cov = rrscore.coverage_report(result)
    assert cov.loc["GONE", "reason"] == "no gene found in the data"
    assert not cov.loc["GONE", "kept"] and cov.loc["FOUND", "kept"]
    expected = _z(panel).loc[["G0", "G1", "G2"]].mean(axis=0)
    np.testing.assert_allclose(result["FOUND"], expected, atol=1e-12)


def test_every_reason_is_named_size_filters_included(panel):
    sets = {"SMALL": ["G0"], "BIG": ["G0", "G1", "G2", "G3", "G4"], "OK": ["G1", "G2"],
            "GONE": ["X1"]}
    with pytest.warns(DroppedSetsWarning) as caught:
        result = rrscore.score(panel, sets, "mean", min_size=2, max_size=4)
    message = " ".join(str(w.message) for w in caught
                       if issubclass(w.category, DroppedSetsWarning))
    assert "3 of 4 gene sets are not scored" in message
    assert "genes found < min_size=2: SMALL (1)" in message
    assert "genes found > max_size=4: BIG (5)" in message
    assert "no gene found in the data: GONE" in message
    reasons = rrscore.coverage_report(result)["reason"]
    assert reasons.to_dict() == {"SMALL": "1 genes found < min_size=2",
                                 "BIG": "5 genes found > max_size=4", "OK": "",
                                 "GONE": "no gene found in the data"}


def test_the_cli_names_the_dropped_set_and_its_reason(panel, tmp_path):
    src, gmt = tmp_path / "panel.tsv", tmp_path / "sets.gmt"
    panel.rename_axis("gene").to_csv(src, sep="\t")
    gmt.write_text("FOUND\t\tG0\tG1\tG2\nGONE\t\tNOPE1\tNOPE2\n")
    result = CliRunner().invoke(main, ["score", str(src), "-g", str(gmt), "-m", "mean",
                                       "-o", str(tmp_path / "out.tsv")])
    assert result.exit_code == 0, result.output
    assert "no gene found in the data: GONE" in result.output


def test_a_set_holding_every_gene_of_a_panel_is_scored(panel):
    """The issue's targeted panel: one set of all 6 genes was refused by a 'size filter'."""
    sets = {"PANEL": list(panel.index)}
    z = _z(panel)
    zscore = _quiet_score(panel, sets, "zscore")["PANEL"]
    np.testing.assert_allclose(zscore, z.sum(axis=0) / math.sqrt(6), atol=1e-12)
    mean = _quiet_score(panel, sets, "mean")["PANEL"]
    np.testing.assert_allclose(mean, z.mean(axis=0), atol=1e-12)
    # GSVA 1.46 ks_sample: every gene steps up, none down: max deviation 1, min 0
    gsva = _quiet_score(panel, sets, "gsva")["PANEL"]
    np.testing.assert_allclose(gsva, 1.0, atol=1e-12)
    cov = rrscore.coverage_report(_quiet_score(panel, sets, "zscore"))
    assert cov.loc["PANEL", "kept"] and cov.loc["PANEL", "reason"] == ""


def test_a_whole_panel_set_beside_others_keeps_every_set(panel):
    sets = {"PANEL": list(panel.index), "HALF": ["G0", "G1", "G2"]}
    result = _quiet_score(panel, sets, "zscore")
    assert list(result.columns) == ["PANEL", "HALF"]
    z = _z(panel)
    np.testing.assert_allclose(result["HALF"], z.iloc[:3].sum(axis=0) / math.sqrt(3),
                               atol=1e-12)


def test_when_no_set_can_be_scored_the_error_gives_each_reason():
    genes = pd.Index([f"G{i}" for i in range(10)])
    coll = GeneSetCollection((GeneSet("TINY", ("G1",)), GeneSet("NONE", ("X1", "X2"))))
    with pytest.raises(GeneMatchError, match=r"no gene set can be scored: genes found "
                       r"< min_size=3: TINY \(1\); no gene found in the data: NONE"):
        align_gene_sets(coll, genes, min_size=3)


@pytest.mark.parametrize("min_size, max_size, message", [
    (float("nan"), math.inf, "min_size must be a number of genes, got NaN"),
    (1, float("nan"), "max_size must be a number of genes, got NaN; use math.inf"),
    ("5", math.inf, r"min_size must be a number of genes, got '5' \(str\)"),
    (True, math.inf, r"min_size must be a number of genes, got True \(bool\)"),
    (1, None, r"max_size must be a number of genes, got None \(NoneType\)"),
    (2.5, math.inf, "min_size must be a whole number of genes, got 2.5"),
    (math.inf, math.inf, "min_size must be a whole number of genes, got inf"),
    (0, math.inf, "min_size must be at least 1, got 0"),
    (5, 3, r"max_size \(3\) is smaller than min_size \(5\)"),
])
def test_invalid_size_options_are_clear_errors(min_size, max_size, message):
    coll = GeneSetCollection((GeneSet("S", ("G1", "G2")),))
    with pytest.raises(GeneMatchError, match=message):
        align_gene_sets(coll, pd.Index(["G1", "G2", "G3"]), min_size=min_size,
                        max_size=max_size)


def test_whole_number_sizes_of_any_numeric_type_are_accepted():
    coll = GeneSetCollection((GeneSet("S", ("G1", "G2")), GeneSet("T", ("G1",))))
    genes = pd.Index(["G1", "G2", "G3"])
    for low, high in ((2, 2), (2.0, 2.0), (np.int64(2), np.float32(2.0))):
        aligned = align_gene_sets(coll, genes, min_size=low, max_size=high, warn=False)
        assert aligned.names == ["S"]
