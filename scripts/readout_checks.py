#!/usr/bin/env python3
"""The checks behind the composite's read-out sets (``genesets/composite.tsv``).

For every mechanism of composite v2 this prints (and with ``--write`` puts into
``genesets/MECHANISMS.md`` between the ``readout-checks`` markers, and the confounder-set
check into ``genesets/CONFOUNDERS.md``):

1. **Read-out checks**, one row per check, Benjamini–Hochberg q across the table:
   - tumour vs normal lung on the TCGA LUAD STAR counts (16 tumours + 16 normal samples from
     different patients except 4 with both; unpaired exact Mann–Whitney, AUC = P(tumour >
     normal));
   - agreement with a published metagene in the bundled TCGA LUAD cohort (n = 32 tumours;
     Spearman ρ, two-sided permutation p over 9,999 seeded orderings);
   - KEAP1/NFE2L2-mutant vs wild-type tumours (4 vs 28, exact Mann–Whitney) where the NRF2
     axis is concerned;
   - the known cell line: rank of KEAP1-mutant A549 (literature: homozygous KEAP1 G333C,
     Singh et al. PLoS Med 2006) among the five lung lines, each line one pseudo-bulk profile
     (cells summed per line); p = rank / 5 is the chance of that rank or better in a random
     order (the smallest p five lines can give is 0.2).
   The review's set (composite v1) and the chosen read-out (v2) are both shown where they
   differ, and the hypoxia metagene that was not chosen (Buffa 2010) beside the one that was.
2. **Single genes**: per mechanism, in TCGA LUAD (n = 32), the largest |Spearman ρ| between the
   mechanism score and one member gene's within-sample rank, and the smallest ρ between the
   score and the score without one gene (leave-one-out), for v1 (singscore's up + down, each
   part weighing the same) and v2 (parts weighted by size, small parts by composite.tsv).
3. **Confounders**: ρ of each v2 mechanism with PAM50 proliferation and ESTIMATE stromal and
   immune scores (TCGA LUAD, n = 32; permutation p, BH q across the table).
4. **Hypoxia candidates**: the review's set, Buffa 2010 and Eustace 2013, and the genes of each
   metagene that the other lacks: tumour vs normal, and ρ with proliferation and stroma.

The read-outs were chosen from these checks and the literature, never from radiotherapy
outcome or SF2 (``benchmarks/validate_composite.py`` is where the composite meets those).

Usage (from the repository root)::

    python scripts/readout_checks.py [--write]

Needs the bundled TCGA cohort; the STAR and cell-line checks need ``../shared/data`` and are
reported as "not run" without it. Runs in one to three minutes on two cores.
"""

from __future__ import annotations

import argparse
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _evidence as ev  # noqa: E402

import rrscore  # noqa: E402

#: Mechanism -> (published comparison set, expected sign of ρ) for the agreement check.
AGREEMENT = {
    "RR_DNA_REPAIR": ("HALLMARK_DNA_REPAIR", +1),
    "RR_CELL_CYCLE_CHECKPOINT": ("HALLMARK_G2M_CHECKPOINT", +1),
    "RR_HYPOXIA": ("HYPOXIA_EUSTACE2013", +1),
    "RR_CAF": ("ESTIMATE_STROMAL", +1),
    "RR_IMMUNE": ("HALLMARK_INTERFERON_GAMMA_RESPONSE", +1),
    "RR_METABOLISM": ("HALLMARK_GLYCOLYSIS", +1),
    "RR_EMT": ("HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION", +1),
}

#: Mechanisms whose read-out is expected higher in tumour than in normal lung, and why.
TUMOUR_HIGHER = {
    "RR_DNA_REPAIR": "tumours proliferate and repair more",
    "RR_CELL_CYCLE_CHECKPOINT": "tumours proliferate",
    "RR_HYPOXIA": "normal lung is well oxygenated",
}

#: Mechanisms checked on the KEAP1-mutant line and on KEAP1/NFE2L2-mutant tumours.
NRF2_AXIS = ("RR_DRIVER_NRF2_TARGETS", "RR_FERROPTOSIS")

#: Published read-outs considered for a mechanism besides the review's set (the one not in
#: composite.tsv is shown as the alternative).
CANDIDATES = {"RR_HYPOXIA": ("HYPOXIA_BUFFA2010", "HYPOXIA_EUSTACE2013")}

MARK = "readout-checks"
CONF_MARK = "confounder-checks"

#: Venet meta-PCNA genes that are erythroid or platelet genes (read blood content in tissue).
ERYTHROID_PLATELET = (
    "AHSP", "ALAS2", "BPGM", "EPB42", "FECH", "GATA1", "GYPA", "GYPB", "HMBS", "KEL", "KLF1",
    "KLF15", "LYL1", "NFE2", "PF4", "PPBP", "RHAG", "RHCE", "RHD", "SPTA1", "TAL1", "TRIM10",
    "TRIM58", "TSPO2",
)


def _label(parts: dict, mech: str) -> str:
    p = parts[mech]
    k = f"{len(p['up'])} up" + (f" / {len(p['down'])} down" if p["down"] else "")
    if p["rule"] == "drop" and p["down"] and len(p["down"]) <= ev.SMALL_PART:
        k = f"{len(p['up'])} up; {len(p['down'])}-gene down part dropped"
    return f"`{p['set']}` ({k})"


def readout_rows(tcga, samples, star, lines, v1, v2, refs) -> list[dict]:
    """Section 1: one row per check."""
    rows = []
    scores = {"v1": ev.mechanism_scores(tcga, v1), "v2": ev.mechanism_scores(tcga, v2)}
    alt = {}
    for mech, names in CANDIDATES.items():
        for name in names:
            if name != v2[mech]["set"]:
                alt[mech] = {"up": list(ev.find_set("published", name).up), "down": [],
                             "rule": "weight", "direction": 1, "collection": "published",
                             "set": name}
    scores["alt"] = ev.mechanism_scores(tcga, alt)
    star_scores = line_scores = None
    if star is not None:
        counts, tumour = star
        star_scores = {"v1": ev.mechanism_scores(counts, v1),
                       "v2": ev.mechanism_scores(counts, v2),
                       "alt": ev.mechanism_scores(counts, alt)}
    if lines is not None:
        profile, _ = lines
        line_scores = {"v1": ev.mechanism_scores(profile, v1),
                       "v2": ev.mechanism_scores(profile, v2)}
    mutant = (samples["mut_KEAP1"] == 1) | (samples["mut_NFE2L2"] == 1)

    for mech in [*v2, "RR_EXOSOME"]:
        versions = []
        if mech in v2:
            versions.append(("v2", v2, "read-out (v2)"))
        same = mech in v2 and v1[mech]["up"] == v2[mech]["up"] \
            and v1[mech]["down"] == v2[mech]["down"] and not v1[mech]["down"]
        if not same:
            versions.append(("v1", v1, "review set (v1)"))
        if mech in alt:
            versions.append(("alt", alt, "alternative (published, whole set)"))
        for key, parts, role in versions:
            label = f"{role}: {_label(parts, mech)}"
            if star_scores is not None:
                s = star_scores[key][mech]
                auc, p = ev.mann_whitney(s[tumour], s[~tumour])
                expect = TUMOUR_HIGHER.get(mech, "")
                rows.append(dict(mechanism=mech, scored=label,
                                 check="tumour vs normal lung" + (f" (expected higher: {expect})"
                                                                   if expect else ""),
                                 data="TCGA LUAD STAR, 16 + 16", stat=f"AUC {auc:.2f}", p=p))
            if mech in AGREEMENT and key != "alt":
                if mech in CANDIDATES:  # agreement with the metagene(s) it is not
                    refs_here = tuple(n for n in CANDIDATES[mech] if n != parts[mech]["set"])
                else:
                    refs_here = (AGREEMENT[mech][0],)
                for r in refs_here:
                    rho, p, how = ev.spearman(scores[key][mech], refs[r])
                    rows.append(dict(mechanism=mech, scored=label, check=f"agreement with `{r}`",
                                     data="TCGA LUAD Agilent, n = 32",
                                     stat=f"ρ {rho:+.2f}", p=p))
            if mech in NRF2_AXIS and key in ("v1", "v2"):
                s = scores[key][mech]
                auc, p = ev.mann_whitney(s[mutant], s[~mutant])
                rows.append(dict(mechanism=mech, scored=label,
                                 check="KEAP1/NFE2L2-mutant vs wild type",
                                 data="TCGA LUAD Agilent, 4 vs 28", stat=f"AUC {auc:.2f}", p=p))
                if line_scores is not None:
                    order = line_scores[key][mech].sort_values(ascending=False)
                    rank = list(order.index).index("A549") + 1
                    rows.append(dict(mechanism=mech, scored=label,
                                     check="KEAP1-mutant A549 ranks first",
                                     data="5 lung lines (pseudo-bulk)",
                                     stat=f"rank {rank} of 5 ({' > '.join(order.index)})",
                                     p=rank / 5))
        if mech == "RR_CANCER_STEM_CELL":
            # the one-gene down part of the review's set: does KEAP1 mRNA read the NRF2 axis?
            keap1 = tcga.rank(axis=0).loc["KEAP1"]
            auc, p = ev.mann_whitney(keap1[mutant], keap1[~mutant])
            rows.append(dict(mechanism=mech, scored="KEAP1 mRNA (the v1 down part)",
                             check="KEAP1/NFE2L2-mutant vs wild type",
                             data="TCGA LUAD Agilent, 4 vs 28", stat=f"AUC {auc:.2f}", p=p))
            rho, p, _ = ev.spearman(keap1, scores["v2"]["RR_DRIVER_NRF2_TARGETS"])
            rows.append(dict(mechanism=mech, scored="KEAP1 mRNA (the v1 down part)",
                             check="agreement with the NRF2 targets (`SINGH_NFE2L2_TARGETS`)",
                             data="TCGA LUAD Agilent, n = 32", stat=f"ρ {rho:+.2f}", p=p))
            nfe2l2 = tcga.rank(axis=0).loc["NFE2L2"]
            rho, p, _ = ev.spearman(nfe2l2, scores["v2"]["RR_DRIVER_NRF2_TARGETS"])
            rows.append(dict(mechanism=mech, scored="NFE2L2 mRNA (kept in the up part)",
                             check="agreement with the NRF2 targets (`SINGH_NFE2L2_TARGETS`)",
                             data="TCGA LUAD Agilent, n = 32", stat=f"ρ {rho:+.2f}", p=p))
        if mech == "RR_EXOSOME":
            # what is left of the exosome set once ANGPTL4 counts in ferroptosis
            ranks = tcga.rank(axis=0)
            auc, p = ev.mann_whitney(ranks.loc["ALDH3A1"][mutant], ranks.loc["ALDH3A1"][~mutant])
            rows.append(dict(mechanism=mech, scored="ALDH3A1 mRNA (an NRF2 target)",
                             check="KEAP1/NFE2L2-mutant vs wild type",
                             data="TCGA LUAD Agilent, 4 vs 28", stat=f"AUC {auc:.2f}", p=p))
    if star_scores is None:
        rows.append(dict(mechanism="–", scored="–", check="tumour vs normal lung",
                         data="not run: ../shared/data absent", stat="–", p=np.nan))
    q = ev.bh([r["p"] for r in rows])
    for r, qq in zip(rows, q, strict=True):
        r["q"] = qq
    return rows


def gene_rows(tcga, v1, v2) -> list[dict]:
    """Section 2: largest single-gene ρ and smallest leave-one-out ρ, v1 and v2."""
    ranks = tcga.rank(axis=0)
    rows = []
    for mech in [*v2, "RR_EXOSOME"]:
        row = {"mechanism": mech}
        for key, parts in (("v1", v1), ("v2", v2)):
            if mech not in parts:
                row[key] = "not in the composite"
                continue
            up, down = ev.scored_parts(parts[mech], tcga)
            p = dict(parts[mech], up=up, down=down)
            full = ev.mechanism_scores(tcga, {mech: p})[mech]
            genes = [*up, *down]
            label = ev.found_genes(tcga, genes)
            best = max(genes, key=lambda g: abs(ev.spearman(full, ranks.loc[label[g]],
                                                             n_perm=1)[0]))
            best_rho = ev.spearman(full, ranks.loc[label[best]], n_perm=1)[0]
            loo = {}
            for g in genes:
                part = dict(p, up=[x for x in p["up"] if x != g],
                            down=[x for x in p["down"] if x != g])
                if not part["up"] and not part["down"]:
                    continue
                loo[g] = ev.mechanism_scores(tcga, {mech: part})[mech]
            worst = min(loo, key=lambda g: ev.spearman(full, loo[g], n_perm=1)[0])
            worst_rho = ev.spearman(full, loo[worst], n_perm=1)[0]
            row[key] = (f"{len(genes)} genes; max ρ {best_rho:+.2f} ({best}); "
                        f"LOO ρ {worst_rho:.2f} (without {worst})")
        rows.append(row)
    return rows


def confounder_rows(tcga, v2, refs) -> list[dict]:
    """Section 3: each v2 mechanism against the three confounder read-outs."""
    scores = ev.mechanism_scores(tcga, v2)
    rows = []
    for mech in v2:
        for conf in ("PROLIFERATION", "ESTIMATE_STROMAL", "ESTIMATE_IMMUNE"):
            rho, p, _ = ev.spearman(scores[mech], refs[conf])
            rows.append(dict(mechanism=mech, confounder=conf, rho=rho, p=p))
    q = ev.bh([r["p"] for r in rows])
    for r, qq in zip(rows, q, strict=True):
        r["q"] = qq
    return rows


def hypoxia_rows(tcga, star, refs) -> list[dict]:
    """Section 4: the hypoxia candidates."""
    review = list(ev.find_set("mechanisms", "RR_HYPOXIA").up)
    buffa = list(ev.find_set("published", "HYPOXIA_BUFFA2010").up)
    eustace = list(ev.find_set("published", "HYPOXIA_EUSTACE2013").up)
    shared = set(buffa) & set(eustace)
    sets = {"review set RR_HYPOXIA_UP": review, "HYPOXIA_BUFFA2010": buffa,
            "HYPOXIA_EUSTACE2013": eustace,
            "Buffa genes not in Eustace": [g for g in buffa if g not in shared],
            "Eustace genes not in Buffa": [g for g in eustace if g not in shared]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = rrscore.score(tcga, sets, method="singscore")
        star_scores = rrscore.score(star[0], sets, method="singscore") if star else None
    rows = []
    for name, genes in sets.items():
        row = {"set": name, "genes": len(genes)}
        if star_scores is not None:
            auc, p = ev.mann_whitney(star_scores.loc[star[1], name],
                                     star_scores.loc[~star[1], name])
            row["tumour"] = f"AUC {auc:.2f}, p {ev.fmt_p(p)}"
        else:
            row["tumour"] = "not run"
        for conf in ("PROLIFERATION", "ESTIMATE_STROMAL"):
            rho, p, _ = ev.spearman(scores[name], refs[conf])
            row[conf] = f"{rho:+.2f} (p {ev.fmt_p(p)})"
        rows.append(row)
    rho, p, _ = ev.spearman(scores["Buffa genes not in Eustace"],
                            scores["Eustace genes not in Buffa"])
    rho_b, p_b, _ = ev.spearman(scores["HYPOXIA_BUFFA2010"], scores["HYPOXIA_EUSTACE2013"])
    part = ev.partial_spearman(scores["Buffa genes not in Eustace"],
                               scores["Eustace genes not in Buffa"], refs["PROLIFERATION"])
    rows.append({"set": "_pairs", "text": (
        f"Buffa vs Eustace: ρ {rho_b:+.2f} (p {ev.fmt_p(p_b)}); on the genes each lacks "
        f"({len(shared)} genes shared): ρ {rho:+.2f} (p {ev.fmt_p(p)}), partial ρ given "
        f"proliferation {part:+.2f}")})
    return rows


def hub_rows(tcga, *, n_random: int = 1000, seed: int = 0) -> dict:
    """Section 5: is a member gene with |ρ| > 0.8 leverage or coherence? The same statistic
    for every MSigDB hallmark set and for the published hypoxia/EMT alternatives, against
    random gene sets of the hypoxia read-out's size (the chance level of the statistic)."""
    ranks = tcga.rank(axis=0)
    hallmark = {gs.name: list(gs.genes) for gs in rrscore.genesets.load("hallmark")}
    buffa = list(ev.find_set("published", "HYPOXIA_BUFFA2010").up)
    eustace = list(ev.find_set("published", "HYPOXIA_EUSTACE2013").up)
    cell_cycle = set(hallmark["HALLMARK_G2M_CHECKPOINT"]) | set(hallmark["HALLMARK_E2F_TARGETS"])
    candidates = {
        "HYPOXIA_BUFFA2010": buffa,
        "HYPOXIA_EUSTACE2013": eustace,
        "Buffa ∩ Eustace": [g for g in buffa if g in set(eustace)],
        "Buffa without G2M/E2F hallmark genes": [g for g in buffa if g not in cell_cycle],
        "HALLMARK_HYPOXIA": hallmark["HALLMARK_HYPOXIA"],
        "HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION":
            hallmark["HALLMARK_EPITHELIAL_MESENCHYMAL_TRANSITION"],
    }

    def max_hub(genes: list[str]) -> tuple[float, str, int]:
        label = ev.found_genes(tcga, genes)
        score = ev._quiet_score(tcga, {"s": list(label)})["s"]
        rho = {g: abs(score.corr(ranks.loc[row], method="spearman")) for g, row in label.items()}
        best = max(rho, key=rho.get)
        return rho[best], best, len(label)

    hall = {name: max_hub(genes)[0] for name, genes in hallmark.items()}
    rows = []
    for name, genes in candidates.items():
        rho, best, n = max_hub(genes)
        rows.append({"set": name, "genes": n, "rho": rho, "gene": best})
    # Chance level: random sets of the Buffa read-out's size, scored the same way.
    rng = np.random.default_rng(seed)
    size = len(ev.found_genes(tcga, buffa))
    universe = np.asarray(tcga.index)
    draws = [universe[rng.choice(len(universe), size, replace=False)] for _ in range(n_random)]
    random_sets = {f"r{i}": list(d) for i, d in enumerate(draws)}
    scores = ev._quiet_score(tcga, random_sets)
    rank_of = ranks.rank(axis=1).to_numpy()  # Spearman = Pearson on ranks across samples
    score_ranks = scores.rank(axis=0).to_numpy()
    null = []
    for i, d in enumerate(draws):
        rows_i = rank_of[tcga.index.get_indexer(d)]
        r = np.corrcoef(np.vstack([score_ranks[:, i], rows_i]))[0, 1:]
        null.append(np.abs(r).max())
    return {"hallmark": pd.Series(hall).sort_values(), "rows": rows, "size": size,
            "null": np.asarray(null), "n_random": n_random}


def confounder_set_rows(tcga, star) -> list[str]:
    """The check behind the choice of PROLIFERATION (CONFOUNDERS.md)."""
    venet_file = ev.ROOT.parent / "shared" / "reference" / "gene_lists" / \
        "radsigbench_Genes_Venet.txt"
    pam50 = list(ev.find_set("confounders", "PROLIFERATION").up)
    sets = {"PAM50 proliferation (PROLIFERATION)": pam50}
    if venet_file.exists():
        ref = rrscore.genesets.gene_reference()
        venet = [ref.approved_symbol(g) or g for g in venet_file.read_text().split()]
        sets["Venet meta-PCNA (131)"] = venet
        sets["its 24 erythroid/platelet genes"] = [g for g in venet if g in ERYTHROID_PLATELET]
        sets["meta-PCNA without them"] = [g for g in venet if g not in ERYTHROID_PLATELET]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = rrscore.score(tcga, sets, method="singscore")
        g2m = ev.reference_scores(tcga, ["HALLMARK_G2M_CHECKPOINT"])["HALLMARK_G2M_CHECKPOINT"]
        star_scores = rrscore.score(star[0], sets, method="singscore") if star else None
    out = ["| Set | Genes | ρ with HALLMARK_G2M_CHECKPOINT (TCGA LUAD, n = 32) | "
           "ρ with PROLIFERATION | tumour vs normal lung (STAR, 16 + 16) |",
           "|---|---:|---:|---:|---:|"]
    for name, genes in sets.items():
        rho, p, _ = ev.spearman(scores[name], g2m)
        rho_p, p_p, _ = ev.spearman(scores[name], scores["PAM50 proliferation (PROLIFERATION)"])
        if star_scores is not None:
            auc, pt = ev.mann_whitney(star_scores.loc[star[1], name],
                                      star_scores.loc[~star[1], name])
            tn = f"AUC {auc:.2f}, p {ev.fmt_p(pt)}"
        else:
            tn = "not run"
        same = "–" if name.startswith("PAM50") else f"{rho_p:+.2f} (p {ev.fmt_p(p_p)})"
        out.append(f"| {name} | {len(genes)} | {rho:+.2f} (p {ev.fmt_p(p)}) | {same} | {tn} |")
    out += ["", "Singscore; ρ with two-sided permutation p (9,999 seeded orderings); exact "
            "Mann–Whitney. Printed by `python scripts/readout_checks.py`."]
    return out


def package_check(tcga_raw: pd.DataFrame, v2: dict, tcga: pd.DataFrame) -> str:
    """Does rrscore.radioresistance score the same read-outs as written out here?"""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = rrscore.radioresistance(tcga_raw, nan_policy="drop_genes")
    mechs = [c for c in res.columns if c.startswith("RR_")]
    if mechs != list(v2):
        return ("rrscore.radioresistance does not score composite v2 yet (mechanisms "
                f"{[c for c in res.columns if c.startswith('RR_')]}); the tables above are "
                "computed from composite.tsv by this script.")
    mine = ev.mechanism_scores(tcga, v2)
    r = {m: np.corrcoef(mine[m], res.loc[mine.index, m])[0, 1] for m in mechs}
    worst = min(r, key=r.get)
    verdict = "agree" if r[worst] > 0.999999 else "DISAGREE"
    return (f"rrscore.radioresistance and this script {verdict} on the {len(mechs)} read-outs: "
            f"the smallest Pearson r between its mechanism z-scores and the scores written out "
            f"here is {r[worst]:.7f} ({worst}).")


def render_hubs(hubs: dict) -> list[str]:
    """Section 5 as Markdown."""
    hall = hubs["hallmark"]
    over = hall[hall > 0.8]
    null = hubs["null"]
    out = ["", "#### 5. Is a gene with |ρ| > 0.8 leverage or coherence? (TCGA LUAD, n = 32)", "",
           "The largest |ρ| between a set's singscore and one member gene's within-sample rank, "
           "for sets that nobody suspects of being one gene. A coherent programme correlates "
           "with its best marker; leverage shows as a low leave-one-out ρ (section 2).", "",
           f"- All {len(hall)} MSigDB hallmark sets: median {hall.median():.2f}; "
           f"{len(over)} of {len(hall)} exceed 0.8 ("
           + ", ".join(f"{k.removeprefix('HALLMARK_')} {v:.2f}" for k, v in
                       over.sort_values(ascending=False).items()) + ").",
           f"- Random sets of {hubs['size']} genes (the Buffa read-out's size; "
           f"{hubs['n_random']:,} seeded draws): median {np.median(null):.2f}, "
           f"95th percentile {np.quantile(null, 0.95):.2f}, maximum {null.max():.2f}.", "",
           "| Candidate read-out | Genes found | max \\|ρ\\| | Gene |", "|---|---:|---:|---|"]
    for r in hubs["rows"]:
        out.append(f"| {r['set']} | {r['genes']} | {r['rho']:.2f} | {r['gene']} |")
    return out


def render(readouts, genes, confounders, hypoxia, pkg, have_shared: bool) -> list[str]:
    out = ["Printed by `python scripts/readout_checks.py --write` (do not edit by hand). "
           "Singscore; replicates are patients (TCGA) or cell lines (single cells summed per "
           "line). ρ: Spearman with two-sided permutation p (9,999 seeded orderings); AUC: "
           "exact two-sided Mann–Whitney; the A549 rank check has p = rank / 5. q: "
           "Benjamini–Hochberg across each table.", ""]
    if not have_shared:
        out += ["**../shared/data was absent: the STAR and cell-line checks did not run.**", ""]
    out += ["#### 1. Read-out checks", "",
            "| Mechanism | Set scored | Check | Data | Statistic | p | q |",
            "|---|---|---|---|---|---:|---:|"]
    for r in readouts:
        out.append(f"| {r['mechanism']} | {r['scored']} | {r['check']} | {r['data']} | "
                   f"{r['stat']} | {ev.fmt_p(r['p'])} | {ev.fmt_p(r['q'])} |")
    out += ["", "#### 2. Does one gene carry a mechanism? (TCGA LUAD, n = 32)", "",
            "max ρ: the largest |Spearman ρ| between the mechanism score and one member gene's "
            "within-sample rank (a coherent set also correlates highly with its best marker). "
            "LOO ρ: the smallest Spearman ρ between the score and the score without one gene "
            "(low = that one gene decides the score). v1 = singscore's up + down, each part "
            "weighing the same; v2 = parts weighted by size after the gene assignment "
            "(composite.tsv, gene_assignment.tsv).", "",
            "| Mechanism | v1 (review set) | v2 (read-out) |", "|---|---|---|"]
    for r in genes:
        out.append(f"| {r['mechanism']} | {r['v1']} | {r['v2']} |")
    out += ["", "#### 3. Each read-out against the confounders (TCGA LUAD, n = 32)", "",
            "| Mechanism | PROLIFERATION ρ (q) | ESTIMATE_STROMAL ρ (q) | ESTIMATE_IMMUNE ρ (q) |",
            "|---|---:|---:|---:|"]
    by_mech: dict[str, dict] = {}
    for r in confounders:
        by_mech.setdefault(r["mechanism"], {})[r["confounder"]] = r
    for mech, cs in by_mech.items():
        cells = [f"{cs[c]['rho']:+.2f} ({ev.fmt_p(cs[c]['q'])})"
                 for c in ("PROLIFERATION", "ESTIMATE_STROMAL", "ESTIMATE_IMMUNE")]
        out.append(f"| {mech} | " + " | ".join(cells) + " |")
    out += ["", "#### 4. Hypoxia read-out candidates", "",
            "| Set | Genes | Tumour vs normal lung (STAR, 16 + 16) | ρ with PROLIFERATION "
            "(TCGA, n = 32) | ρ with ESTIMATE_STROMAL |", "|---|---:|---|---:|---:|"]
    for r in hypoxia:
        if r["set"] == "_pairs":
            continue
        out.append(f"| {r['set']} | {r['genes']} | {r['tumour']} | {r['PROLIFERATION']} | "
                   f"{r['ESTIMATE_STROMAL']} |")
    out += ["", next(r["text"] for r in hypoxia if r["set"] == "_pairs") + ".", "", pkg]
    return out


def write_between(path: Path, mark: str, lines: list[str]) -> None:
    text = path.read_text(encoding="utf-8")
    start = f"<!-- {mark}:start (python scripts/readout_checks.py --write) -->"
    end = f"<!-- {mark}:end -->"
    block = start + "\n" + "\n".join(lines) + "\n" + end
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: markers {start!r} ... {end!r} not found")
    path.write_text(pattern.sub(lambda _m: block, text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true",
                        help="write the tables into genesets/MECHANISMS.md and CONFOUNDERS.md")
    args = parser.parse_args(argv)
    tcga_raw = pd.read_csv(ev.TCGA / "expr.tsv.gz", sep="\t", index_col=0)
    tcga, samples = ev.tcga()
    star, lines = ev.star(), ev.cell_lines()
    v1, v2 = ev.v1_parts(), ev.v2_parts()
    refs = ev.reference_scores(tcga)
    readouts = readout_rows(tcga, samples, star, lines, v1, v2, refs)
    genes = gene_rows(tcga, v1, v2)
    confounders = confounder_rows(tcga, v2, refs)
    hypoxia = hypoxia_rows(tcga, star, refs)
    pkg = package_check(tcga_raw, v2, tcga)
    table = render(readouts, genes, confounders, hypoxia, pkg, star is not None)
    table += render_hubs(hub_rows(tcga))
    conf_table = confounder_set_rows(tcga, star)
    print("\n".join(table))
    print()
    print("\n".join(conf_table))
    if args.write:
        write_between(ev.GENESETS / "MECHANISMS.md", MARK, table)
        write_between(ev.GENESETS / "CONFOUNDERS.md", CONF_MARK, conf_table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
