"""Shared pieces of the evidence scripts: data, read-out sets, scores and small-sample tests.

Used by ``scripts/readout_checks.py`` and ``benchmarks/validate_composite.py``. Everything here
goes through rrscore's public API (``rrscore.score``, ``rrscore.genesets``) and scipy; the
composite's read-out sets are read from ``genesets/composite.tsv`` and
``genesets/gene_assignment.tsv`` with pandas, independently of rrscore's own reader, so the
scripts can check the package against the tables.

Statistics follow the project's rules for small samples:

* Spearman ρ with an exact permutation p over all ``n!`` orderings when ``n <= 8`` (120 for
  n = 5) and a seeded Monte Carlo permutation p otherwise (``(1 + #{|ρ*| >= |ρ|}) / (1 + B)``);
* Mann–Whitney with scipy's exact distribution (two-sided), AUC = U / (n1 n2);
* Benjamini–Hochberg q over everything a script reports in one table.

Replicates are patients (TCGA) or cell lines (single cells are summed per line first).
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

import rrscore

ROOT = Path(__file__).resolve().parents[1]
GENESETS = ROOT / "genesets"
TCGA = ROOT / "examples" / "data" / "tcga_luad_agilent"
SHARED = ROOT.parent / "shared" / "data"
STAR = SHARED / "tcga_luad_star_counts_omicskit"
LINES = SHARED / "sc_mixology_luad_celllines_celseq2"
RADIOGX = SHARED / "radiogx_cleveland_small"
ANNOTATIONS = SHARED / "tcga_lung_annotations"

#: Published comparison sets: name -> (collection, set).
REFERENCE_SETS = {
    "HALLMARK_DNA_REPAIR": ("published", "HALLMARK_DNA_REPAIR"),
    "HALLMARK_G2M_CHECKPOINT": ("published", "HALLMARK_G2M_CHECKPOINT"),
    "HALLMARK_GLYCOLYSIS": ("published", "HALLMARK_GLYCOLYSIS"),
    "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION":
        ("published", "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"),
    "HALLMARK_INTERFERON_GAMMA_RESPONSE": ("published", "HALLMARK_INTERFERON_GAMMA_RESPONSE"),
    "HYPOXIA_BUFFA2010": ("published", "HYPOXIA_BUFFA2010"),
    "HYPOXIA_EUSTACE2013": ("published", "HYPOXIA_EUSTACE2013"),
    "PROLIFERATION": ("confounders", "PROLIFERATION"),
    "ESTIMATE_STROMAL": ("confounders", "ESTIMATE_STROMAL"),
    "ESTIMATE_IMMUNE": ("confounders", "ESTIMATE_IMMUNE"),
}

#: The mechanisms of composite v1 (rrscore <= issue 10): the review's parent sets.
V1_MECHANISMS = (
    "RR_DNA_REPAIR", "RR_CELL_CYCLE_CHECKPOINT", "RR_APOPTOSIS", "RR_HYPOXIA", "RR_CAF",
    "RR_IMMUNE", "RR_CANCER_STEM_CELL", "RR_AUTOPHAGY", "RR_METABOLISM", "RR_EXOSOME",
    "RR_NONCODING_EFFECTORS", "RR_FERROPTOSIS", "RR_EMT", "RR_DRIVER_NRF2_TARGETS",
)

#: A part (up or down) of at most this many genes is "small" (composite.tsv small_parts).
SMALL_PART = 2


# --------------------------------------------------------------------------- data


def tcga() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The bundled TCGA LUAD Agilent cohort: expression (genes × 32 tumours, genes with a
    missing value dropped, as ``nan_policy="drop_genes"`` does) and the sample table."""
    expr = pd.read_csv(TCGA / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(TCGA / "samples.tsv", sep="\t", index_col=0)
    return expr.dropna(), samples.loc[expr.columns]


def star() -> tuple[pd.DataFrame, pd.Series] | None:
    """STAR counts (genes × 32) and ``True`` for the 16 tumours; None without ../shared."""
    if not (STAR / "expr.tsv.gz").exists():
        return None
    counts = pd.read_csv(STAR / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(STAR / "samples.tsv", sep="\t", index_col=0).loc[counts.columns]
    return counts, samples["sample_type"].eq("tumor")


def cell_lines() -> tuple[pd.DataFrame, pd.Series] | None:
    """The five lung lines as pseudo-bulk profiles: UMI counts of the demuxlet singlets summed
    per line, then log1p counts per million (genes × 5), and the cells per line.

    A cell line, not a cell, is the replicate: cells of one line are not independent samples
    of the line's biology, so every line-level statement uses these five profiles."""
    if not (LINES / "expr.tsv.gz").exists():
        return None
    counts = pd.read_csv(LINES / "expr.tsv.gz", sep="\t", index_col=0)
    cells = pd.read_csv(LINES / "samples.tsv", sep="\t", index_col=0).loc[counts.columns]
    singlets = cells.index[cells["demuxlet_cls"] == "SNG"]
    line = cells.loc[singlets, "cell_line_demuxlet"]
    summed = counts[singlets].T.groupby(line.to_numpy()).sum().T
    return np.log1p(summed / summed.sum() * 1e6), line.value_counts().sort_index()


# --------------------------------------------------------------------------- read-out sets


def composite_table() -> pd.DataFrame:
    """``genesets/composite.tsv``, indexed by mechanism, in the composite's order."""
    return pd.read_csv(GENESETS / "composite.tsv", sep="\t", dtype=str).set_index("mechanism")


def assignment_table() -> pd.Series:
    """``genesets/gene_assignment.tsv`` as gene -> mechanism."""
    table = pd.read_csv(GENESETS / "gene_assignment.tsv", sep="\t", dtype=str)
    return table.set_index("gene")["mechanism"]


def find_set(collection: str, name: str) -> rrscore.GeneSet:
    """Set ``name`` of a bundled collection (``X`` also finds an unpaired ``X_UP`` line)."""
    coll = rrscore.genesets.load(collection)
    names = [gs.name for gs in coll]
    for candidate in (name, f"{name}_UP"):
        if candidate in names:
            return coll[candidate]
    raise KeyError(f"{name} is not in the bundled collection {collection}")


def v2_parts() -> dict[str, dict]:
    """Composite v2's read-out of every mechanism, after the gene assignment.

    Returns
    -------
    dict
        mechanism -> ``{"up", "down", "rule", "direction", "collection", "set"}``; genes that
        ``gene_assignment.tsv`` gives to another mechanism of the composite are removed.
    """
    table, assignment = composite_table(), assignment_table()
    out = {}
    for mech, row in table.iterrows():
        gs = find_set(row["readout_collection"], row["readout_set"])

        def keep(genes, mech=mech):
            return [g for g in genes if assignment.get(g, mech) == mech
                    or assignment.get(g) not in table.index]

        out[mech] = {"up": keep(gs.up), "down": keep(gs.down), "rule": row["small_parts"],
                     "direction": int(float(row["direction"])),
                     "collection": row["readout_collection"], "set": gs.name}
    return out


def v1_parts() -> dict[str, dict]:
    """Composite v1's mechanisms: the review's parent sets as they are in mechanisms.gmt."""
    out = {}
    for mech in V1_MECHANISMS:
        gs = find_set("mechanisms", mech)
        out[mech] = {"up": list(gs.up), "down": list(gs.down), "rule": "singscore",
                     "direction": 1, "collection": "mechanisms", "set": gs.name}
    return out


# --------------------------------------------------------------------------- scores


def _quiet_score(expr: pd.DataFrame, sets, **kwargs) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # coverage notes are reported by the callers
        scores = rrscore.score(expr, sets, method="singscore", min_size=1, **kwargs)
    # a plain table: pandas deep-copies .attrs (the run record) on every operation
    return pd.DataFrame(scores.to_numpy(), index=scores.index, columns=scores.columns)


def _found(expr: pd.DataFrame, sets: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """Per set: listed gene -> its row label in ``expr``, for the genes rrscore finds (exact,
    case-insensitive or through an unambiguous previous symbol, e.g. PKM -> PKM2 in the
    Firehose 2016 TCGA labels), as ``rrscore.score`` matches them by default. One
    ``rrscore.coverage`` call for all sets."""
    sets = {k: list(dict.fromkeys(v)) for k, v in sets.items() if v}
    if not sets:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = rrscore.coverage(expr, sets)
    out = {}
    for name, genes in sets.items():
        row = report.loc[name]
        missing = set(filter(None, str(row["missing"]).split(";")))
        renamed = dict(p.split("->") for p in filter(None, str(row["renamed"]).split(";")))
        out[name] = {g: renamed.get(g, g) for g in genes if g not in missing}
    return out


def found_genes(expr: pd.DataFrame, genes) -> dict[str, str]:
    """Listed gene -> row label in ``expr`` for the genes rrscore finds (see :func:`_found`)."""
    return _found(expr, {"_probe": list(genes)}).get("_probe", {})


def _apply_rule(part: dict, found: dict[str, str]) -> tuple[list[str], list[str]]:
    up = [g for g in part["up"] if g in found]
    down = [g for g in part["down"] if g in found]
    if part["rule"] == "drop" and up and down:
        if len(down) <= SMALL_PART and len(up) > len(down):
            down = []
        elif len(up) <= SMALL_PART and len(down) > len(up):
            up = []
    return up, down


def scored_parts(part: dict, expr: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The up and down genes of a mechanism that rrscore finds in ``expr`` and scores: the
    ``drop`` rule leaves out a part of at most :data:`SMALL_PART` genes found when the other
    part is larger (as rrscore's composite does)."""
    return _apply_rule(part, found_genes(expr, [*part["up"], *part["down"]]))


def mechanism_scores(expr: pd.DataFrame, parts: dict[str, dict]) -> pd.DataFrame:
    """Raw singscore mechanism scores (samples × mechanisms) by each mechanism's rule.

    ``rule == "singscore"`` (composite v1): singscore's own signed score, up score plus down
    score on reversed ranks, each part weighing the same. Any composite v2 rule: the parts are
    scored as unsigned sets and combined by size, ``(k_up S(up) - k_dn S(down)) / (k_up +
    k_dn)`` with ``k`` the genes found, so that each gene weighs the same; ``drop`` first leaves
    out a part of at most two genes found. This is the formula of rrscore's composite v2
    (``rrscore.radiation._parts``), written out here from composite.tsv.
    """
    found = _found(expr, {m: [*p["up"], *p["down"]] for m, p in parts.items()
                          if p["rule"] != "singscore"})
    signed, unsigned, plan = {}, {}, {}
    for mech, p in parts.items():
        if p["rule"] == "singscore":
            signed[mech] = p["up"] + [f"{g}-" for g in p["down"]]
            continue
        up, down = _apply_rule(p, found.get(mech, {}))
        if up:
            unsigned[f"{mech}\x1f+"] = up
        if down:
            unsigned[f"{mech}\x1f-"] = down
        plan[mech] = (len(up), len(down), p["direction"])
    out = {}
    if signed:
        scored = _quiet_score(expr, signed)
        for mech in signed:
            out[mech] = scored[mech]
    if unsigned:
        scored = _quiet_score(expr, unsigned)
        for mech, (k_up, k_dn, direction) in plan.items():
            total = 0.0
            if k_up:
                total = total + k_up * scored[f"{mech}\x1f+"]
            if k_dn:
                total = total - k_dn * scored[f"{mech}\x1f-"]
            out[mech] = direction * total / (k_up + k_dn)
    return pd.DataFrame(out)[list(parts)]


def reference_scores(expr: pd.DataFrame, names=None) -> pd.DataFrame:
    """Singscore of the published comparison sets (:data:`REFERENCE_SETS`)."""
    names = list(REFERENCE_SETS) if names is None else list(names)
    sets = {n: list(find_set(*REFERENCE_SETS[n]).genes) for n in names}
    return _quiet_score(expr, sets)


def composite(z_scores: pd.DataFrame) -> pd.Series:
    """Equal-weight mean of mechanism z-scores (z against the cohort itself, SD ddof=1)."""
    z = (z_scores - z_scores.mean()) / z_scores.std(ddof=1)
    return z.mean(axis=1)


# --------------------------------------------------------------------------- statistics


def spearman(x, y, *, n_perm: int = 9999, seed: int = 0) -> tuple[float, float, str]:
    """Spearman ρ and its two-sided permutation p.

    Exact over all orderings for n <= 8; otherwise ``n_perm`` seeded random orderings with
    p = (1 + #{|ρ*| >= |ρ|}) / (1 + n_perm). Returns (ρ, p, how)."""
    x = stats.rankdata(np.asarray(x, dtype=float))
    y = stats.rankdata(np.asarray(y, dtype=float))
    n = len(x)
    rho = float(np.corrcoef(x, y)[0, 1])
    if n <= 8:
        perms = np.array(list(itertools.permutations(range(n))))
        null = np.array([np.corrcoef(x, y[p])[0, 1] for p in perms])
        p = float(np.mean(np.abs(null) >= abs(rho) - 1e-12))
        return rho, p, f"exact ({math.factorial(n)} orderings)"
    rng = np.random.default_rng(seed)
    yc = y - y.mean()
    xc = x - x.mean()
    perm = np.argsort(rng.random((n_perm, n)), axis=1)
    null = (yc[perm] @ xc) / (np.sqrt((xc ** 2).sum() * (yc ** 2).sum()))
    p = (1 + int(np.sum(np.abs(null) >= abs(rho) - 1e-12))) / (1 + n_perm)
    return rho, p, f"permutation ({n_perm})"


def partial_spearman(x, y, z) -> float:
    """Spearman partial correlation of x and y given z (ranks, then residuals of OLS on z)."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    rz = np.column_stack([np.ones(len(rx)), stats.rankdata(z)])
    ex = rx - rz @ np.linalg.lstsq(rz, rx, rcond=None)[0]
    ey = ry - rz @ np.linalg.lstsq(rz, ry, rcond=None)[0]
    return float(np.corrcoef(ex, ey)[0, 1])


def mann_whitney(a, b) -> tuple[float, float]:
    """AUC = U / (n_a n_b) (probability that a value of ``a`` exceeds one of ``b``) and the
    exact two-sided Mann–Whitney p."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    res = stats.mannwhitneyu(a, b, alternative="two-sided", method="exact")
    return float(res.statistic / (len(a) * len(b))), float(res.pvalue)


def bh(pvalues) -> np.ndarray:
    """Benjamini–Hochberg q-values (NaN kept as NaN)."""
    p = np.asarray(pvalues, dtype=float)
    q = np.full_like(p, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        q[ok] = stats.false_discovery_control(p[ok], method="bh")
    return q


def r_squared(y, covariates: pd.DataFrame) -> float:
    """R² of the OLS fit of ``y`` on ``covariates`` with an intercept."""
    x = np.column_stack([np.ones(len(covariates)), covariates.to_numpy(dtype=float)])
    y = np.asarray(y, dtype=float)
    fitted = x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return float(1 - ((y - fitted) ** 2).sum() / ((y - y.mean()) ** 2).sum())


def fmt_p(p: float) -> str:
    """p or q to two significant digits."""
    return "–" if p is None or np.isnan(p) else f"{p:.2g}"
