"""How GMT text is decoded and split: encodings, compression, line ends, comments, errors."""

from __future__ import annotations

import gzip

import pytest

from rrscore.errors import GeneSetError
from rrscore.genesets import GeneSet, GeneSetCollection, read_gmt, write_gmt

TEXT = "A\tdescription \u2019quoted\u2019 caf\xe9\tTP53\tMDM2\nB\t\tKRAS\n"


def _sets(path, **kw):
    coll = read_gmt(path, **kw)
    return {gs.name: (gs.description, gs.up, gs.down) for gs in coll}


EXPECTED = {"A": ("description \u2019quoted\u2019 caf\xe9", ("TP53", "MDM2"), ()),
            "B": ("", ("KRAS",), ())}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_encodings_decode_to_the_same_sets(tmp_path, encoding):
    data = TEXT.encode(encoding)
    if encoding == "utf-16-le":  # Excel's "Unicode text": little-endian with its mark
        data = b"\xff\xfe" + data
    path = tmp_path / "sets.gmt"
    path.write_bytes(data)
    assert _sets(path) == EXPECTED


def test_a_byte_cp1252_leaves_undefined_falls_back_to_latin1(tmp_path):
    path = tmp_path / "sets.gmt"
    path.write_bytes(b"A\tx\x81y\tTP53\n")
    assert read_gmt(path)["A"].description == "x\x81y"


def test_lines_are_decoded_one_by_one(tmp_path):
    """A latin-1 description on one line does not change how UTF-8 lines read."""
    path = tmp_path / "sets.gmt"
    path.write_bytes("A\tna\xefve\tTP53\n".encode("latin-1") + "B\tna\xefve\tKRAS\n".encode())
    coll = read_gmt(path)
    assert coll["A"].description == coll["B"].description == "na\xefve"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_ends(tmp_path, newline):
    path = tmp_path / "sets.gmt"
    path.write_bytes(TEXT.replace("\n", newline).encode())
    assert _sets(path) == EXPECTED


def test_gzip_is_recognised_from_the_content_whatever_the_name(tmp_path):
    for name in ("sets.gmt.gz", "sets.gmt"):
        path = tmp_path / name
        path.write_bytes(gzip.compress(TEXT.encode()))
        assert _sets(path) == EXPECTED


def test_whitespace_around_fields_and_blank_lines_are_ignored(tmp_path):
    path = tmp_path / "sets.gmt"
    path.write_bytes(b"  A \t description \t TP53 \t\t MDM2\t \n \t \n\nB\t\tKRAS")
    coll = read_gmt(path)
    assert coll["A"].up == ("TP53", "MDM2") and coll["A"].description == "description"
    assert coll.names == ["A", "B"]


def test_comments_are_hash_lines_without_genes(tmp_path):
    path = tmp_path / "sets.gmt"
    path.write_bytes(b"# a comment\n#\tcomment with a tab\t\n#SET\td\tTP53\nB\t\tKRAS\n")
    assert read_gmt(path).names == ["#SET", "B"]


@pytest.mark.parametrize("content, message", [
    (b"A TP53 MDM2\n", r"line 1: no tab in 'A TP53 MDM2': GMT fields are separated by tabs"),
    (b"A\tdesc\tTP53\nB\tdesc\t\t\n", r"line 2: gene set 'B' lists no genes"),
    (b"A\t\tTP53\n\t\tKRAS\n", r"line 2: empty gene-set name"),
    (b"A\t\tTP53\x00\n", r"NUL bytes.*save the gene sets as UTF-8"),
    (b"\x1f\x8b\x08\x00broken", r"not a readable gzip file"),
    (b"# only a comment\n", r"no gene sets found"),
    (b"A\t\tTP53\tTP53-\n", r"sets.gmt: gene set 'A' lists genes in both its up and down"),
])
def test_malformed_files_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "sets.gmt"
    path.write_bytes(content)
    with pytest.raises(GeneSetError, match=message):
        read_gmt(path)


def test_a_missing_file_or_a_folder_is_a_clear_error(tmp_path):
    with pytest.raises(GeneSetError, match="gene-set file not found"):
        read_gmt(tmp_path / "nope.gmt")
    with pytest.raises(GeneSetError, match=r"is a directory; give a GMT file"):
        read_gmt(tmp_path)


def test_write_gmt_marks_split_signed_sets_and_keeps_other_lines_plain(tmp_path):
    coll = GeneSetCollection((
        GeneSet("S", ("A", "B"), ("C",), "signature"),
        GeneSet("U", ("X",), description="plain"),
        GeneSet("T", ("Y",), ("Z",)),
        GeneSet("T_UP", ("W",)),  # T's split names are taken: T is written on one line
    ))
    write_gmt(coll, tmp_path / "o.gmt")
    assert (tmp_path / "o.gmt").read_text().splitlines() == [
        "S_UP\t[signed set S: up] signature\tA\tB",
        "S_DN\t[signed set S: down] signature\tC",
        "U\tplain\tX",
        "T\t\tY\tZ-",
        "T_UP\t\tW",
    ]
    back = read_gmt(tmp_path / "o.gmt")
    assert back.names == ["S", "U", "T", "T_UP"]
    assert back["T"].down == ("Z",) and back["S"].description == "signature"


def test_write_gmt_replaces_a_file_only_when_the_new_one_is_complete(tmp_path):
    path = tmp_path / "o.gmt"
    path.write_text("OLD\t\tG\n")
    bad = GeneSetCollection((GeneSet("ok", ("A",)), GeneSet("bad", ("B-",))))
    with pytest.raises(GeneSetError):
        write_gmt(bad, path)
    assert path.read_text() == "OLD\t\tG\n"
    assert [p.name for p in tmp_path.iterdir()] == ["o.gmt"]  # no temporary file left


def test_read_gmt_is_linear_in_the_number_of_sets(tmp_path):
    """20,000 sets: the duplicate check was quadratic (list.count per name); now a Counter.

    No timing is asserted: a duplicate far down the file is still found and named."""
    lines = [f"SET{i}\t\tG{i}\tH{i}" for i in range(20_000)]
    path = tmp_path / "big.gmt"
    path.write_text("\n".join(lines) + "\nSET19999\t\tX\n")
    with pytest.raises(GeneSetError, match=r"duplicated gene-set names: \['SET19999'\]"):
        read_gmt(path)
    path.write_text("\n".join(lines) + "\n")
    assert len(read_gmt(path)) == 20_000


def test_duplicated_genes_of_a_whole_file_are_one_warning_at_the_callers_line(tmp_path):
    import warnings

    from rrscore.errors import DuplicateGenesWarning

    path = tmp_path / "sets.gmt"
    path.write_text("A\t\tX\tX\nB\t\tY\tY\tZ\tZ\nC\t\tW\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        coll = read_gmt(path)
        GeneSet("T", ("Q", "Q"))
    dup = [w for w in caught if issubclass(w.category, DuplicateGenesWarning)]
    assert len(dup) == 2
    assert str(dup[0].message).startswith("2 gene-set parts listed duplicated genes")
    assert "'A' (up): removed duplicated genes ['X']" in str(dup[0].message)
    assert "'B' (up): removed duplicated genes ['Y', 'Z']" in str(dup[0].message)
    assert str(dup[1].message) == "gene set 'T' (up): removed duplicated genes ['Q']"
    assert [w.filename for w in dup] == [__file__, __file__]
    assert coll["B"].up == ("Y", "Z")
