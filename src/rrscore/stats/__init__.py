"""From scores to answers: group comparisons, survival, GSEA and per-sample significance."""

from rrscore.stats._clinical import tcga_survival
from rrscore.stats._compare import compare
from rrscore.stats._km import kaplan_meier, logrank
from rrscore.stats._survival import survival

__all__ = ["compare", "kaplan_meier", "logrank", "survival", "tcga_survival"]
