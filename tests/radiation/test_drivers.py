"""Driver-mutation columns of the composite result: mutation tables, MAF classes and protein
rules; reported beside the composite, never blended into it."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

from rrscore.errors import InputDataError, RRScoreError
from rrscore.radiation import (
    radioresistance,
)

DRIVER_COLUMNS = ["driver_KEAP1_NFE2L2", "driver_STK11", "driver_KRAS", "driver_EGFR",
                  "driver_TP53", "driver_score"]
DRIVERS_TSV = Path(__file__).resolve().parents[2] / "genesets" / "drivers.tsv"


def _promoting() -> list[str]:
    """Driver columns whose genes promote resistance per drivers.tsv (read with pandas)."""
    table = pd.read_csv(DRIVERS_TSV, sep="\t", index_col=0)
    direction = table["direction"]
    components = {"driver_KEAP1_NFE2L2": ["KEAP1", "NFE2L2"], "driver_STK11": ["STK11"],
                  "driver_KRAS": ["KRAS"], "driver_EGFR": ["EGFR"], "driver_TP53": ["TP53"]}
    return [c for c, genes in components.items()
            if all(direction[g] == "promotes_resistance" for g in genes)]


def test_mutation_table_gives_driver_columns_beside_the_composite(expr, annotation,
                                                                  cohort_result):
    scores = radioresistance(expr, nan_policy="drop_genes", mutations=annotation)
    assert list(scores.columns[-6:]) == DRIVER_COLUMNS
    ann = annotation.loc[scores.index]
    keap1_nfe2l2 = (ann["mut_KEAP1"] | ann["mut_NFE2L2"]).astype(int)
    assert scores["driver_KEAP1_NFE2L2"].tolist() == keap1_nfe2l2.tolist()
    for gene in ("STK11", "KRAS", "EGFR", "TP53"):
        assert scores[f"driver_{gene}"].tolist() == ann[f"mut_{gene}"].tolist()
    # driver_score counts only the components that promote resistance (not EGFR: activating
    # EGFR mutations go with radiosensitivity, drivers.tsv; the old test summed all five)
    counted = _promoting()
    assert "driver_EGFR" not in counted and len(counted) == 4
    assert scores["driver_score"].tolist() == scores[counted].sum(axis=1).tolist()
    assert (scores["driver_EGFR"] == 1).any()
    # the driver component is never blended into the expression composite
    pd.testing.assert_series_equal(scores["composite"], cohort_result.scores["composite"])
    meta = scores.attrs["rrscore"]["drivers"]
    assert meta["in_driver_score"] == counted
    assert meta["signs"] == {c: (1 if c in counted else -1) for c in DRIVER_COLUMNS[:5]}
    assert meta["not_counted"] == {"driver_EGFR": "sensitises"}


def test_table_columns_by_symbol_or_review_name_and_unknowns(complete):
    samples = list(complete.columns[:4])
    table = pd.DataFrame({"LKB1": [1, 0, 0, None], "KEAP1": [0, 0, 1, 0], "NRF2": [0, 0, 0, 0],
                          "KRAS": ["true", "false", "false", "true"], "EGFR": 0, "TP53": 0,
                          "age": [60, 61, 62, 63]}, index=samples)
    scores = radioresistance(complete.iloc[:, :4], mutations=table)
    assert scores["driver_STK11"].tolist()[:3] == [1, 0, 0]
    assert scores["driver_STK11"].isna().tolist() == [False, False, False, True]
    assert scores["driver_KEAP1_NFE2L2"].tolist() == [0, 0, 1, 0]
    assert scores["driver_KRAS"].tolist() == [1, 0, 0, 1]
    assert scores["driver_score"].isna().tolist() == [False, False, False, True]
    assert scores["driver_score"].tolist()[:3] == [2, 0, 1]  # STK11+KRAS, none, KEAP1
    with pytest.raises(InputDataError, match="1/0"):
        radioresistance(complete.iloc[:, :4], mutations=table.assign(KRAS="G12C"))
    with pytest.raises(InputDataError, match="no driver-gene column"):
        radioresistance(complete.iloc[:, :4], mutations=table[["age"]])


def _maf(samples: list[str]) -> pd.DataFrame:
    """Aliquot barcodes (as in a TCGA MAF) for the cohort's sample barcodes."""
    s = [f"{x}-01D-1234-08" for x in samples]
    rows = [
        ("KEAP1", s[0], "Silent", "p.L10L"),             # silent: ignored
        ("KEAP1", s[1], "Nonsense_Mutation", "p.Q75*"),  # loss of function: counts
        ("NFE2L2", s[2], "Frame_Shift_Del", "p.E79fs"),  # truncating NFE2L2: does not count
        ("NFE2L2", s[3], "Missense_Mutation", "p.E79Q"),  # activating: counts
        ("KRAS", s[0], "Missense_Mutation", "p.G12C"),   # codon 12: counts
        ("KRAS", s[1], "Missense_Mutation", "p.Q61H"),   # not codon 12/13: does not count
        ("KRAS", s[2], "Missense_Mutation", "p.Gly13Asp"),  # three-letter codes: counts
        ("EGFR", s[0], "Missense_Mutation", "p.L858R"),  # counts
        ("EGFR", s[1], "In_Frame_Del", "p.E746_A750del"),  # exon 19 deletion: counts
        ("EGFR", s[2], "Missense_Mutation", "p.R108K"),  # unlisted missense: does not count
        ("TP53", s[3], "Splice_Site", ""),               # counts
        ("TP53", s[2], "Intron", ""),                    # ignored
        ("STK11", s[4], "3'UTR", ""),                    # ignored (sample sequenced)
        ("TTN", s[5], "Missense_Mutation", "p.A1V"),     # not a driver (sample sequenced)
    ]
    return pd.DataFrame(rows, columns=["Hugo_Symbol", "Tumor_Sample_Barcode",
                                       "Variant_Classification", "HGVSp_Short"])


def test_maf_classes_and_protein_rules(complete, tmp_path):
    samples = list(complete.columns[:7])  # the 7th sample is not in the MAF
    maf = _maf(samples)
    with pytest.warns(UserWarning, match="1 samples have no mutation data.*pass sequenced="):
        scores = radioresistance(complete.iloc[:, :7], mutations=maf)
    d = scores[DRIVER_COLUMNS]
    assert d["driver_KEAP1_NFE2L2"].tolist()[:6] == [0, 1, 0, 1, 0, 0]
    assert d["driver_KRAS"].tolist()[:6] == [1, 0, 1, 0, 0, 0]
    assert d["driver_EGFR"].tolist()[:6] == [1, 1, 0, 0, 0, 0]
    assert d["driver_TP53"].tolist()[:6] == [0, 0, 0, 1, 0, 0]
    assert d["driver_STK11"].tolist()[:6] == [0, 0, 0, 0, 0, 0]
    # KRAS; KEAP1; KRAS; NFE2L2 + TP53 (EGFR, mutated in the first two, is not counted)
    assert d["driver_score"].tolist()[:6] == [1, 1, 1, 2, 0, 0]
    assert d.iloc[6].isna().all()
    meta = scores.attrs["rrscore"]["drivers"]
    assert "Silent" not in meta["counted_classes"]["KEAP1"]
    assert meta["protein_filter"] == "HGVSp_Short"
    assert meta["variants_seen"]["KRAS"] == 3 and meta["variants_counted"]["KRAS"] == 2

    # without a protein column only the classes filter applies (KRAS Q61H, EGFR R108K count)
    loose = radioresistance(complete.iloc[:, :6], mutations=maf.drop(columns="HGVSp_Short"))
    assert loose["driver_KRAS"].tolist() == [1, 1, 1, 0, 0, 0]
    assert loose["driver_EGFR"].tolist() == [1, 1, 1, 0, 0, 0]

    # a MAF file with '#' header lines
    path = tmp_path / "cohort.maf"
    with open(path, "w") as fh:
        fh.write("#version 2.4\n#annotation by test\n")
        maf.to_csv(fh, sep="\t", index=False)
    from_file = radioresistance(complete.iloc[:, :6], mutations=path)
    pd.testing.assert_frame_equal(from_file[DRIVER_COLUMNS], d.iloc[:6])


def test_sequenced_samples_absent_from_a_maf_are_wild_type(complete, tmp_path):
    samples = list(complete.columns[:7])  # the 7th sample has no row in the MAF
    maf = _maf(samples)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # declared sequenced: no "no mutation data" warning
        scores = radioresistance(complete.iloc[:, :7], mutations=maf, sequenced=samples)
    assert scores[DRIVER_COLUMNS].iloc[6].tolist() == [0, 0, 0, 0, 0, 0]
    assert scores.attrs["rrscore"]["drivers"]["sequenced_wild_type"] == [samples[6]]
    # the samples that are in the MAF keep their calls
    without = radioresistance(complete.iloc[:, :6], mutations=maf)
    pd.testing.assert_frame_equal(scores[DRIVER_COLUMNS].iloc[:6], without[DRIVER_COLUMNS])
    # a file with one ID per line; TCGA aliquot barcodes match the sample barcode
    path = tmp_path / "sequenced.txt"
    path.write_text("# sequenced aliquots\n" + "\n".join(f"{s}-01D-0001-08" for s in samples))
    from_file = radioresistance(complete.iloc[:, :7], mutations=maf, sequenced=path)
    pd.testing.assert_frame_equal(from_file[DRIVER_COLUMNS], scores[DRIVER_COLUMNS])
    # a sample neither in the MAF nor declared stays unknown
    with pytest.warns(UserWarning, match="1 samples have no mutation data"):
        partial = radioresistance(complete.iloc[:, :8], mutations=maf, sequenced=samples)
    assert partial[DRIVER_COLUMNS].iloc[7].isna().all()
    assert partial[DRIVER_COLUMNS].iloc[6].tolist() == [0, 0, 0, 0, 0, 0]


def test_sequenced_keeps_a_tables_unknowns_and_needs_mutations(complete):
    samples = list(complete.columns[:3])
    table = pd.DataFrame({"KEAP1": [1, None, 0], "NFE2L2": 0, "STK11": 0, "KRAS": 0,
                          "EGFR": 0, "TP53": 0}, index=samples)
    scores = radioresistance(complete.iloc[:, :3], mutations=table, sequenced=samples)
    # an empty cell is "unknown" in a table: being sequenced does not make it wild type
    assert scores["driver_KEAP1_NFE2L2"].isna().tolist() == [False, True, False]
    with pytest.raises(RRScoreError, match="pass the mutations too"):
        radioresistance(complete.iloc[:, :3], sequenced=samples)
    with pytest.raises(InputDataError, match="sequenced must be a list"):
        radioresistance(complete.iloc[:, :3], mutations=table, sequenced=3)
