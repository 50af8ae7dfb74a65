"""Issue 10, "GMT text quirks" and "GMT round trip loses information".

* A UTF-8 byte-order mark no longer sticks to the first set name, so ``X_UP``/``X_DN`` pair
  and the signed set scores ``mean(Z_up) - mean(Z_down)`` (computed here with pandas).
* ``write_gmt`` → ``read_gmt`` gives the same collection back for any names and signs
  (hypothesis): a set with only down genes keeps its sign, a set named ``#...`` is not a
  comment, and names that GMT cannot hold are refused when writing.
"""

from __future__ import annotations

import gzip
import re
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rrscore
from rrscore.errors import GeneSetError
from rrscore.genesets import GeneSet, GeneSetCollection, read_gmt, write_gmt

UNWRITABLE = set("\t\n\r\x00")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(rng.normal(6.0, 1.0, size=(5, 7)), index=["G0", "G1", "G2", "G3", "G4"],
                        columns=[f"s{j}" for j in range(7)])


def _z(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sub(frame.mean(axis=1), axis=0).div(frame.std(axis=1, ddof=1), axis=0)


def _mean_score(data, sets) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rrscore.score(data, sets, "mean")


def test_a_byte_order_mark_does_not_break_up_dn_pairing(data, tmp_path):
    path = tmp_path / "excel.gmt"
    path.write_bytes(b"\xef\xbb\xbfX_UP\tup\tG0\tG1\r\nX_DN\tdown\tG2\r\n")
    coll = read_gmt(path, pair_signed=True)
    assert coll.names == ["X"]
    assert coll["X"].up == ("G0", "G1") and coll["X"].down == ("G2",)
    z = _z(data)
    expected = z.loc[["G0", "G1"]].mean(axis=0) - z.loc["G2"]
    np.testing.assert_allclose(_mean_score(data, coll)["X"], expected, atol=1e-12)
    # unpaired, the names are still clean
    assert read_gmt(path).names == ["X_UP", "X_DN"]


def test_latin1_descriptions_and_a_bom_in_the_middle_of_a_file(data, tmp_path):
    path = tmp_path / "joined.gmt"
    first = "A_UP\tr\xe9sum\xe9 fran\xe7ais\tG0\tG1\n".encode("latin-1")
    second = "\ufeffA_DN\tcaf\xe9\tG3\n".encode("utf-8")  # `cat a.gmt b.gmt`
    path.write_bytes(first + second)
    coll = read_gmt(path, pair_signed=True)
    assert coll.names == ["A"]
    assert coll["A"].description == "r\xe9sum\xe9 fran\xe7ais | caf\xe9"
    z = _z(data)
    expected = z.loc[["G0", "G1"]].mean(axis=0) - z.loc["G3"]
    np.testing.assert_allclose(_mean_score(data, coll)["A"], expected, atol=1e-12)


def test_a_down_only_set_keeps_its_sign(data, tmp_path):
    coll = GeneSetCollection((GeneSet("X", (), ("G0", "G1")), GeneSet("Y", ("G2",))))
    write_gmt(coll, tmp_path / "o.gmt")
    back = read_gmt(tmp_path / "o.gmt")
    assert back.names == ["X", "Y"]
    assert back["X"].up == () and back["X"].down == ("G0", "G1")
    # scored as a down set: minus the mean z of its genes (it was scored as +mean before)
    expected = -_z(data).loc[["G0", "G1"]].mean(axis=0)
    np.testing.assert_allclose(_mean_score(data, back)["X"], expected, atol=1e-12)


def test_a_set_named_with_a_hash_is_not_a_comment(tmp_path):
    coll = GeneSetCollection((GeneSet("#1 hit", ("G0", "G1")), GeneSet("B", ("G2",))))
    write_gmt(coll, tmp_path / "o.gmt")
    assert read_gmt(tmp_path / "o.gmt").names == ["#1 hit", "B"]


def test_exported_signed_sets_come_back_through_the_cli_reader(tmp_path):
    """`rrscore genesets export` of a signed GMT, then `-g FILE`: the sets stay signed."""
    coll = rrscore.genesets.load("mechanisms")
    write_gmt(coll, tmp_path / "m.gmt")
    back = rrscore.genesets.as_collection(str(tmp_path / "m.gmt"))
    assert back.names == coll.names
    for gs in coll:
        assert (back[gs.name].up, back[gs.name].down) == (gs.up, gs.down)


def test_pair_signed_merges_unsigned_up_dn_names_as_documented(tmp_path):
    coll = GeneSetCollection((GeneSet("A_UP", ("G0",)), GeneSet("A_DN", ("G1",))))
    write_gmt(coll, tmp_path / "o.gmt")
    assert read_gmt(tmp_path / "o.gmt").names == ["A_UP", "A_DN"]
    paired = read_gmt(tmp_path / "o.gmt", pair_signed=True)
    assert paired.names == ["A"] and paired["A"].down == ("G1",)


@pytest.mark.parametrize("bad_set, what", [
    (GeneSet("tab\tname", ("G0",)), "name 'tab\\\\tname' contains a tab"),
    (GeneSet("line\nbreak", ("G0",)), "contains a tab, line break or NUL"),
    (GeneSet("S", ("G\r0",)), "gene 'G\\\\r0' contains a tab, line break or NUL"),
    (GeneSet("S", ("G0-",)), "gene 'G0-' ends in '\\+' or '-'"),
    (GeneSet("A_UP", ("G0",), description="[signed set A: up] x"), "mark of a split signed"),
])
def test_what_gmt_cannot_hold_is_refused_at_write_time(bad_set, what, tmp_path):
    with pytest.raises(GeneSetError, match=what):
        write_gmt(GeneSetCollection((bad_set,)), tmp_path / "o.gmt")
    assert not (tmp_path / "o.gmt").exists()  # nothing half-written


# --- property tests ------------------------------------------------------------------------

_special_names = st.sampled_from([
    "#", "#X", "# comment-like", "X", "X_UP", "X_DN", "X_DOWN", "X.UP", "X_UP_UP", "A_UP",
    "A_DN", "\ufeffY", " Z ", "UP", "_DN", "[signed set X: up]",
])
_names = st.one_of(_special_names, st.text(min_size=1, max_size=10))
_genes = st.lists(st.one_of(st.text(min_size=1, max_size=6),
                            st.sampled_from(["TP53", "tp53", "HLA-A", "#G", "G,1"])),
                  max_size=6)
_descriptions = st.one_of(st.just(""), st.text(max_size=15))


@st.composite
def collections(draw, names=_names):
    """Any collection GeneSet accepts: unsigned, signed and down-only sets, any text."""
    sets: list[GeneSet] = []
    seen: set[str] = set()
    for _ in range(draw(st.integers(1, 6))):
        up, down = draw(_genes), draw(_genes)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # duplicated genes are removed with a warning
                gs = GeneSet(draw(names), up, down, description=draw(_descriptions))
        except GeneSetError:  # empty name, no genes, a gene in both parts
            continue
        if gs.name not in seen:
            seen.add(gs.name)
            sets.append(gs)
    if not sets:
        sets.append(GeneSet("S", ("G",)))
    return GeneSetCollection(tuple(sets))


def _writable(coll: GeneSetCollection) -> bool:
    return all(
        not UNWRITABLE & set(gs.name)
        and all(not UNWRITABLE & set(g) and not g.endswith(("+", "-")) for g in gs.genes)
        for gs in coll
    )


def _one_line(text: str) -> str:
    return re.sub(r"[\t\n\r\x00]", " ", text).strip()


def _assert_same(back: GeneSetCollection, coll: GeneSetCollection) -> None:
    assert back.names == coll.names
    for gs in coll:
        got = back[gs.name]
        assert (got.up, got.down) == (gs.up, gs.down), gs.name
        assert got.description == _one_line(gs.description), gs.name


def _round_trip(coll: GeneSetCollection, **read_options) -> GeneSetCollection:
    folder = Path(tempfile.mkdtemp())
    try:
        write_gmt(coll, folder / "sets.gmt")
        return read_gmt(folder / "sets.gmt", **read_options)
    finally:
        shutil.rmtree(folder)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coll=collections())
def test_write_then_read_gives_the_collection_back(coll):
    if not _writable(coll):
        with pytest.raises(GeneSetError, match="GMT cannot hold|reads as a direction"):
            _round_trip(coll)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _assert_same(_round_trip(coll), coll)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coll=collections(names=st.from_regex(r"[A-Za-z#][A-Za-z0-9 #-]{0,8}", fullmatch=True)),
       one_line=st.booleans())
def test_round_trip_with_pairing_and_in_one_line_form(coll, one_line):
    """Names that cannot form an X_UP/X_DN pair: pair_signed=True changes nothing, and the
    one-line form (down genes suffixed '-') reads back the same."""
    if not _writable(coll):
        return
    folder = Path(tempfile.mkdtemp())
    try:
        write_gmt(coll, folder / "sets.gmt", split_signed=not one_line)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _assert_same(read_gmt(folder / "sets.gmt", pair_signed=True), coll)
            _assert_same(read_gmt(folder / "sets.gmt"), coll)
        # gzip is recognised from the content
        with open(folder / "sets.gmt", "rb") as src, gzip.open(folder / "sets.gz", "wb") as dst:
            dst.write(src.read())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _assert_same(read_gmt(folder / "sets.gz"), coll)
    finally:
        shutil.rmtree(folder)
