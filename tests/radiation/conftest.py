"""Shared fixtures of the composite-score tests: the bundled TCGA LUAD example cohort
(32 Agilent tumours, with mutations) and independent re-computations of its mechanism scores:
the composite v2 definition read with pandas from genesets/composite.tsv and
gene_assignment.tsv, each part scored by plain rrscore.score and combined by size by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import rrscore
from rrscore.radiation import (
    radioresistance,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples/data/tcga_luad_agilent"
GENESETS = ROOT / "genesets"


@pytest.fixture(scope="package")
def expr() -> pd.DataFrame:
    """The 32-tumour Agilent cohort, with its 517 missing cells."""
    return pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0)


@pytest.fixture(scope="package")
def complete(expr) -> pd.DataFrame:
    """Genes without missing values: every sample then has the same gene universe."""
    return expr.dropna()


@pytest.fixture(scope="package")
def annotation() -> pd.DataFrame:
    return pd.read_csv(EXAMPLE / "samples.tsv", sep="\t", index_col=0)


@pytest.fixture(scope="package")
def cohort_result(expr):
    return radioresistance(expr, nan_policy="drop_genes", return_contributions=True)


def _catalogue_scores(expr: pd.DataFrame) -> pd.DataFrame:
    """Plain rrscore.score of the review's catalogue sets, renamed to mechanism names."""
    raw = rrscore.score(expr, "mechanisms", "singscore", nan_policy="drop_genes",
                        low_coverage=0)
    raw.attrs.clear()
    return raw.rename(columns=lambda c: c[:-3] if c.endswith("_UP") else c)


def readout_definition() -> dict[str, tuple[list[str], list[str], int, str]]:
    """Mechanism -> (up genes, down genes, direction, small_parts) from the bundled tables,
    read with pandas: the read-out set of composite.tsv, minus the genes that
    gene_assignment.tsv puts in another mechanism of the composite."""
    comp = pd.read_csv(GENESETS / "composite.tsv", sep="\t", dtype=str)
    assign = pd.read_csv(GENESETS / "gene_assignment.tsv", sep="\t", dtype=str)
    home = dict(zip(assign["gene"], assign["mechanism"], strict=True))
    out = {}
    for row in comp.itertuples(index=False):
        sets = {gs.name: gs for gs in rrscore.genesets.load(row.readout_collection)}
        gs = sets.get(row.readout_set) or sets[f"{row.readout_set}_UP"]
        mine = [g for g in gs.genes if home.get(g, row.mechanism) == row.mechanism]
        out[row.mechanism] = ([g for g in gs.up if g in mine], [g for g in gs.down if g in mine],
                              int(row.direction), row.small_parts)
    return out


def _raw_mechanism_scores(expr: pd.DataFrame) -> pd.DataFrame:
    """Composite v2 mechanism scores before standardisation, computed independently: each
    part of each read-out scored as an unsigned set by rrscore.score (singscore), parts
    weighted by the number of their genes found, k_up/k * up - k_dn/k * down, times the
    direction; a part of <= 2 genes with small_parts=drop is left out."""
    definition = readout_definition()
    sets = {}
    for mech, (up, down, _, _) in definition.items():
        sets[f"{mech}|up"] = up
        if down:
            sets[f"{mech}|down"] = down
    parts = rrscore.score(expr, sets, "singscore", nan_policy="drop_genes", low_coverage=0)
    found = rrscore.coverage_report(parts)["n_found"]
    out = {}
    for mech, (_, down, direction, rule) in definition.items():
        k_up = int(found.get(f"{mech}|up", 0))
        k_dn = int(found.get(f"{mech}|down", 0)) if down else 0
        if rule == "drop" and 0 < k_dn <= 2 < k_up:
            k_dn = 0
        total = k_up * parts[f"{mech}|up"]
        if k_dn:
            total = total - k_dn * parts[f"{mech}|down"]
        out[mech] = direction * total / (k_up + k_dn)
    return pd.DataFrame(out)


def _singscore_signed(expr: pd.DataFrame, up: list[str], down: list[str]) -> pd.Series:
    """Independent singscore of a signed set (ranks ties 'min', centred up + down parts)."""
    ranks = expr.rank(axis=0, method="min")
    n = expr.shape[0]

    def norm(genes, reverse):
        r = ranks.loc[genes]
        r = n + 1 - r if reverse else r  # the down part is scored on reversed ranks
        k = len(genes)
        low, high = (k + 1) / 2, (2 * n - k + 1) / 2
        return (r.mean(axis=0) - low) / (high - low) - 0.5

    return norm(up, False) + (norm(down, True) if len(down) else 0.0)
