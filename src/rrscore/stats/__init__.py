"""From scores to answers: group comparisons, survival, GSEA and per-sample significance.

* :func:`compare` — scores between groups: effect sizes, tests, Benjamini–Hochberg q-values.
* :func:`survival` — Cox model of each score (per SD), covariates, treatment interaction;
  :func:`kaplan_meier` and :func:`logrank` by user-given groups; :func:`tcga_survival`
  derives time, event, radiotherapy, stage and age from TCGA clinical tables.
* :func:`gsea_prerank` — gseapy's preranked GSEA of a catalogue on rrscore's
  :func:`ranking_statistic` between two groups.
* :func:`score_significance` — each sample's score against size-matched random gene sets.
* :func:`running_sum`, :func:`gene_contributions` — which genes drive a score.
* :func:`score_thresholds`, :func:`binarize`, :func:`smooth_scores` — from single-cell scores
  to on/off calls, and scores smoothed over the neighbour graph.
"""

from rrscore.stats._calls import binarize, score_thresholds, smooth_scores
from rrscore.stats._clinical import tcga_radiotherapy, tcga_stage, tcga_survival
from rrscore.stats._compare import compare
from rrscore.stats._drivers_genes import gene_contributions, running_sum
from rrscore.stats._gsea import PrerankResult, gsea_prerank, ranking_statistic
from rrscore.stats._km import kaplan_meier, logrank
from rrscore.stats._null import score_significance
from rrscore.stats._survival import survival

__all__ = [
    "PrerankResult",
    "binarize",
    "compare",
    "gene_contributions",
    "gsea_prerank",
    "kaplan_meier",
    "logrank",
    "ranking_statistic",
    "running_sum",
    "score_significance",
    "score_thresholds",
    "smooth_scores",
    "survival",
    "tcga_radiotherapy",
    "tcga_stage",
    "tcga_survival",
]
