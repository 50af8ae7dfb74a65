#!/usr/bin/env python3
"""Validate the radioresistance composite against every response the shared data hold.

For each cohort with a measured response it prints:

* the composite's association with the response: Spearman ρ for a continuous response (SF2,
  AUC of the survival curve, LQ α of the five RadioGx lines), with the **exact** p over all
  5! = 120 orderings; Harrell's concordance C for overall survival (TCGA; censored times, so
  ρ is not defined), with a seeded permutation p (9,999 orderings of the scores);
* the composite's **percentile among 1,000 size-matched random-set composites** (seeded): each
  random composite replaces every mechanism's read-out by random genes of the data with the
  same numbers of up and down genes, scored and combined exactly as the composite is (singscore
  per part, parts weighted by size, z against the cohort, equal-weight mean); the percentile is
  the share of random composites whose statistic lies at or below the composite's, and
  ``|stat| rank`` the share with an association at least as strong in either direction;
* the **partial** association given proliferation (the PAM50 proliferation score reported beside
  the composite): Spearman partial ρ (rank residuals) for continuous responses, and the
  concordance of the composite's rank residual for survival, each with the same exact /
  permutation p.

Benjamini–Hochberg q across every p-value in the table. Replicates are cell lines and patients.
It also prints the composite's R² on proliferation + ESTIMATE stromal + ESTIMATE immune in the
bundled TCGA LUAD cohort (n = 32), for composite v1 (the review's sets, rrscore before issue 11)
and v2 (the read-outs of ``genesets/composite.tsv``).

**The read-outs and weights are never chosen by fitting the outcome they are validated on.**
composite.tsv was decided from tumour-vs-normal, published-metagene and known-cell-line checks
(``scripts/readout_checks.py``, written into ``genesets/MECHANISMS.md``) and from the
literature; this script only measures the result, and nothing here feeds back into the
definition. With 5 lines and a handful of deaths, it can refute nothing and confirm nothing:
it shows how a validation is run and how little these data can say.

Usage (from the repository root; needs ``../shared/data`` for every response)::

    python benchmarks/validate_composite.py [--n-random 1000] [--write]

``--write`` replaces the "Composite validation" section at the end of benchmarks/README.md.
About a minute on two cores.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from lifelines.utils import concordance_index
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import _evidence as ev  # noqa: E402

import rrscore  # noqa: E402

MARK = "composite-validation"
SEED = 20261130


# --------------------------------------------------------------------------- scores


def observed(expr: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """rrscore's composite with its mechanism and confounder columns (cohort as reference)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = rrscore.radioresistance(expr, **kwargs)
    meta = result.attrs["rrscore"]
    plain = pd.DataFrame(result.to_numpy(dtype=float), index=result.index,
                         columns=result.columns)
    plain.attrs["rrscore"] = {"readouts": meta["readouts"]}  # all this script reads
    return plain


def random_composites(expr: pd.DataFrame, result: pd.DataFrame, n_random: int,
                      pool: pd.Index) -> pd.DataFrame:
    """``n_random`` composites of random gene sets, size-matched to every mechanism's parts.

    The sizes are the genes rrscore found per part (``attrs["rrscore"]["readouts"]``); random
    genes come from ``pool`` without replacement within a mechanism; the same formula as the
    composite (rrscore.radiation._parts) combines the parts.
    """
    readouts = result.attrs["rrscore"]["readouts"]
    rng = np.random.default_rng(SEED)
    genes = pool.to_numpy()
    sets, plan = {}, []
    for i in range(n_random):
        for mech, info in readouts.items():
            k_up, k_dn = info["n_genes"]["up"], info["n_genes"]["down"]
            if info.get("dropped_parts"):
                k_dn = 0 if "down" in info["dropped_parts"] else k_dn
                k_up = 0 if "up" in info["dropped_parts"] else k_up
            draw = rng.choice(len(genes), size=k_up + k_dn, replace=False)
            if k_up:
                sets[f"{i}\x1f{mech}\x1f+"] = list(genes[draw[:k_up]])
            if k_dn:
                sets[f"{i}\x1f{mech}\x1f-"] = list(genes[draw[k_up:]])
            plan.append((i, mech, k_up, k_dn, int(info["direction"])))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = rrscore.score(expr, sets, method="singscore", map_ids="off")
    # a plain table: pandas deep-copies .attrs (the run record) on every column operation
    raw = pd.DataFrame(raw.to_numpy(), index=raw.index, columns=raw.columns)
    mech_scores = {}
    for i, mech, k_up, k_dn, direction in plan:
        total = 0.0
        if k_up:
            total = total + k_up * raw[f"{i}\x1f{mech}\x1f+"]
        if k_dn:
            total = total - k_dn * raw[f"{i}\x1f{mech}\x1f-"]
        mech_scores[(i, mech)] = direction * total / (k_up + k_dn)
    table = pd.DataFrame(mech_scores)
    z = (table - table.mean()) / table.std(ddof=1)
    return z.T.groupby(level=0).mean().T  # samples × random composites


def check_formula(expr: pd.DataFrame, result: pd.DataFrame) -> float:
    """Largest |difference| between rrscore's composite and the same formula written out."""
    v2 = ev.v2_parts()
    mine = ev.composite(ev.mechanism_scores(expr, v2))
    return float((mine - result.loc[mine.index, "composite"]).abs().max())


# --------------------------------------------------------------------------- statistics


def _ranks_residual(x, z) -> np.ndarray:
    rx = stats.rankdata(x)
    design = np.column_stack([np.ones(len(rx)), stats.rankdata(z)])
    return rx - design @ np.linalg.lstsq(design, rx, rcond=None)[0]


def continuous(score, response, prolif, random_scores) -> dict:
    """Spearman ρ (exact p for n <= 8), partial ρ given proliferation, random percentile."""
    score, response, prolif = (np.asarray(v, dtype=float) for v in (score, response, prolif))
    rho, p, how = ev.spearman(score, response)
    n = len(score)
    partial = ev.partial_spearman(score, response, prolif)
    if n <= 8:
        null = [ev.partial_spearman(score[list(perm)], response, prolif)
                for perm in itertools.permutations(range(n))]
        p_partial = float(np.mean(np.abs(null) >= abs(partial) - 1e-12))
    else:
        rng = np.random.default_rng(SEED)
        null = [ev.partial_spearman(rng.permutation(score), response, prolif)
                for _ in range(9999)]
        p_partial = (1 + int(np.sum(np.abs(null) >= abs(partial) - 1e-12))) / 10000
    null_rho = np.array([stats.spearmanr(random_scores[c], response)[0]
                         for c in random_scores.columns])
    return dict(stat="ρ", value=rho, p=p, how=how, partial=partial, p_partial=p_partial,
                percentile=100 * float(np.mean(null_rho <= rho + 1e-12)),
                abs_rank=100 * float(np.mean(np.abs(null_rho) >= abs(rho) - 1e-12)))


def harrell_c(scores: np.ndarray, time: np.ndarray, event: np.ndarray) -> np.ndarray:
    """Harrell's C of risk scores (rows of ``scores``): over the comparable pairs (the shorter
    time is a death), the share where the patient who died first has the higher score, ties in
    score counting one half. Vectorised over rows; equals lifelines' ``concordance_index`` of
    the negated score (checked in :func:`survival`)."""
    scores = np.atleast_2d(scores)
    first, second = np.nonzero((time[:, None] < time[None, :]) & (event[:, None] == 1))
    a, b = scores[:, first], scores[:, second]
    return ((a > b).sum(axis=1) + 0.5 * (a == b).sum(axis=1)) / len(first)


def survival(score, time, event, prolif, random_scores, n_perm: int = 9999) -> dict:
    """Harrell's C (a higher composite predicting earlier death gives C > 0.5), permutation
    p, C of the composite's rank residual given proliferation, random percentile."""
    score, time, event, prolif = (np.asarray(v, dtype=float)
                                  for v in (score, time, event, prolif))
    c = float(harrell_c(score, time, event)[0])
    # lifelines scores predicted *survival*, so a risk score enters it negated
    assert abs(c - concordance_index(time, -score, event)) < 1e-12
    rng = np.random.default_rng(SEED)
    perms = np.argsort(rng.random((n_perm, len(score))), axis=1)
    null = harrell_c(score[perms], time, event)
    p = (1 + int(np.sum(np.abs(null - 0.5) >= abs(c - 0.5) - 1e-12))) / (1 + n_perm)
    resid = _ranks_residual(score, prolif)
    c_part = float(harrell_c(resid, time, event)[0])
    null_part = harrell_c(resid[perms], time, event)
    p_part = (1 + int(np.sum(np.abs(null_part - 0.5) >= abs(c_part - 0.5) - 1e-12))) / \
        (1 + n_perm)
    null_c = harrell_c(random_scores.to_numpy(dtype=float).T, time, event)
    return dict(stat="C", value=c, p=p, how=f"permutation ({n_perm})", partial=c_part,
                p_partial=p_part, percentile=100 * float(np.mean(null_c <= c + 1e-12)),
                abs_rank=100 * float(np.mean(np.abs(null_c - 0.5) >= abs(c - 0.5) - 1e-12)))


# --------------------------------------------------------------------------- cohorts


def radiogx(n_random: int) -> list[dict]:
    if not (ev.RADIOGX / "expr.tsv.gz").exists():
        return []
    expr = pd.read_csv(ev.RADIOGX / "expr.tsv.gz", sep="\t", index_col=0)
    lines = pd.read_csv(ev.RADIOGX / "samples.tsv", sep="\t", index_col=0)
    res = observed(expr)
    rand = random_composites(expr, res, n_random, expr.index)
    rows = []
    for column, label, expected in (
            ("SF2", "SF2 (surviving fraction at 2 Gy)", "+"),
            ("AUC_published", "AUC of the survival curve (published)", "+"),
            ("alpha", "LQ α (Gy⁻¹)", "−")):
        response = lines.loc[res.index, column]
        row = continuous(res["composite"], response, res["proliferation"], rand.loc[res.index])
        rows.append(dict(cohort="RadioGx Cleveland, neuroblastoma lines (U133 array)", n="5 lines",
                         response=label, expected=expected, **row,
                         formula=check_formula(expr, res)))
    return rows


def tcga_agilent(n_random: int) -> tuple[list[dict], pd.DataFrame]:
    raw = pd.read_csv(ev.TCGA / "expr.tsv.gz", sep="\t", index_col=0)
    samples = pd.read_csv(ev.TCGA / "samples.tsv", sep="\t", index_col=0)
    res = observed(raw, nan_policy="drop_genes")
    expr = raw.dropna()
    rand = random_composites(expr, res, n_random, expr.index)
    os_ = rrscore.stats.tcga_survival(samples.loc[res.index]).dropna(subset=["time", "event"])
    row = survival(res.loc[os_.index, "composite"], os_["time"], os_["event"],
                   res.loc[os_.index, "proliferation"], rand.loc[os_.index])
    rows = [dict(cohort="TCGA LUAD Agilent (bundled)", n=f"{len(os_)} patients, "
                 f"{int(os_['event'].sum())} deaths", response="overall survival",
                 expected="C > 0.5", **row, formula=check_formula(expr, res))]
    return rows, res


def tcga_star(n_random: int) -> list[dict]:
    loaded = ev.star()
    if loaded is None:
        return []
    counts, tumour = loaded
    counts = counts.loc[:, tumour]
    samples = pd.read_csv(ev.STAR / "samples.tsv", sep="\t", index_col=0).loc[counts.columns]
    res = observed(counts)
    # random genes from those the data measure: counted in at least half of the tumours
    pool = counts.index[(counts > 0).mean(axis=1) >= 0.5]
    rand = random_composites(counts, res, n_random, pool)
    os_ = rrscore.stats.tcga_survival(samples).dropna(subset=["time", "event"])
    row = survival(res.loc[os_.index, "composite"], os_["time"], os_["event"],
                   res.loc[os_.index, "proliferation"], rand.loc[os_.index])
    return [dict(cohort="TCGA LUAD STAR counts, tumours", n=f"{len(os_)} patients, "
                 f"{int(os_['event'].sum())} deaths", response="overall survival",
                 expected="C > 0.5", **row, formula=check_formula(counts, res))]


def confounder_r2(res_v2: pd.DataFrame) -> list[str]:
    """R² of composite v1 and v2 on the confounders, TCGA LUAD Agilent (n = 32)."""
    expr, _ = ev.tcga()
    conf = ev.reference_scores(expr, ["PROLIFERATION", "ESTIMATE_STROMAL", "ESTIMATE_IMMUNE",
                                      "HALLMARK_G2M_CHECKPOINT"])
    v1 = ev.composite(ev.mechanism_scores(expr, ev.v1_parts()))
    v2 = res_v2.loc[expr.columns, "composite"]
    out = ["| composite | R² on PROLIFERATION + ESTIMATE_STROMAL + ESTIMATE_IMMUNE | "
           "R² with HALLMARK_G2M_CHECKPOINT for proliferation | ρ with PROLIFERATION | "
           "ρ with ESTIMATE_STROMAL |", "|---|---:|---:|---:|---:|"]
    for label, comp in (("v1: the review's 14 sets, singscore up + down", v1),
                        ("v2: composite.tsv read-outs (rrscore default)", v2)):
        r2 = ev.r_squared(comp, conf[["PROLIFERATION", "ESTIMATE_STROMAL", "ESTIMATE_IMMUNE"]])
        r2_g2m = ev.r_squared(comp, conf[["HALLMARK_G2M_CHECKPOINT", "ESTIMATE_STROMAL",
                                          "ESTIMATE_IMMUNE"]])
        rho_p = stats.spearmanr(comp, conf["PROLIFERATION"])[0]
        rho_s = stats.spearmanr(comp, conf["ESTIMATE_STROMAL"])[0]
        out.append(f"| {label} | {r2:.2f} | {r2_g2m:.2f} | {rho_p:+.2f} | {rho_s:+.2f} |")
    return out


# --------------------------------------------------------------------------- output


def render(rows: list[dict], r2: list[str], n_random: int) -> list[str]:
    q = ev.bh([r["p"] for r in rows] + [r["p_partial"] for r in rows])
    q_main, q_part = q[:len(rows)], q[len(rows):]
    out = [
        f"Printed by `python benchmarks/validate_composite.py --write` (rrscore "
        f"{rrscore.__version__}; {n_random:,} random composites, seed {SEED}). Read-outs and "
        "weights were fixed before this was run, from checks that use no response "
        "(`genesets/MECHANISMS.md`); nothing here was used to choose them.", "",
        "| cohort | n | response | expected | statistic | p | q | random-set percentile | "
        "share of random sets as strong | given proliferation | p | q |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r, qm, qp in zip(rows, q_main, q_part, strict=True):
        out.append(
            f"| {r['cohort']} | {r['n']} | {r['response']} | {r['expected']} | "
            f"{r['stat']} = {r['value']:+.2f} | {ev.fmt_p(r['p'])} | {ev.fmt_p(qm)} | "
            f"{r['percentile']:.0f} | {r['abs_rank']:.0f} % | "
            f"{'partial ρ' if r['stat'] == 'ρ' else 'C'} = {r['partial']:+.2f} | "
            f"{ev.fmt_p(r['p_partial'])} | {ev.fmt_p(qp)} |")
    worst = max(r["formula"] for r in rows)
    out += ["",
            "Statistic: Spearman ρ with the exact p over the 120 orderings of five lines; "
            "Harrell's C for overall survival (C > 0.5: a higher composite goes with earlier "
            "death) with a permutation p (9,999 orderings). Random-set percentile: the share "
            f"of {n_random:,} size-matched random-gene composites with a statistic at or below "
            "the composite's; the next column, the share whose association is at least as "
            "strong in either direction. Given proliferation: partial Spearman ρ (rank "
            "residuals) or the C of the composite's rank residual on PAM50 proliferation. q: "
            "Benjamini–Hochberg across all p-values of the table. Expected sign: SF2 and the "
            "survival-curve AUC rise with resistance, α falls.",
            "",
            f"The random composites use the composite's own formula; written out, it reproduces "
            f"rrscore's composite to {worst:.1e} on every cohort.",
            "",
            "What the table can say: five neuroblastoma lines (not lung) and a few dozen TCGA "
            "patients, most never irradiated, with few deaths. Overall survival after "
            "mixed treatments is not radiation response. No row is evidence for or against the "
            "composite as a radioresistance measure; a lung cohort with radiotherapy outcomes "
            "is needed. Responses the shared data hold but this table leaves out: the STAR "
            "tumours' *chemotherapy* response (not radiation) and `rt_measure_of_response` in "
            "the TCGA clinical table (none of the patients with expression has one).",
            "",
            "Composite on the confounders, TCGA LUAD Agilent (n = 32 tumours; OLS R² with an "
            "intercept; singscore of the `confounders` collection):", ""]
    out += r2
    out += ["", "The issue's R² ≈ 0.69 was measured with the G2M hallmark standing for "
            "proliferation (column 3); PAM50 proliferation is the confounder rrscore reports."]
    return out


def write_section(lines: list[str]) -> None:
    path = ROOT / "benchmarks" / "README.md"
    text = path.read_text(encoding="utf-8")
    start = f"<!-- {MARK}:start (python benchmarks/validate_composite.py --write) -->"
    end = f"<!-- {MARK}:end -->"
    block = start + "\n" + "\n".join(lines) + "\n" + end
    if start in text:
        text = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _m: block, text,
                      flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n## Composite validation\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-random", type=int, default=1000,
                        help="random-set composites per cohort (default 1000)")
    parser.add_argument("--write", action="store_true",
                        help="write the section at the end of benchmarks/README.md")
    args = parser.parse_args(argv)
    rows = radiogx(args.n_random)
    tcga_rows, res_tcga = tcga_agilent(args.n_random)
    rows += tcga_rows + tcga_star(args.n_random)
    lines = render(rows, confounder_r2(res_tcga), args.n_random)
    print("\n".join(lines))
    if args.write:
        write_section(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
