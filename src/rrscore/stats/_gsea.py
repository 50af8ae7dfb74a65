"""Preranked GSEA of a gene-set catalogue between two groups, through gseapy.

The recipe, in two steps that can be run separately:

1. :func:`ranking_statistic` — one differential statistic per gene between two groups,
   computed by rrscore on its own input layer (orientation, gene IDs, duplicates, missing
   values handled as in :func:`rrscore.score`): Welch's t (default), GSEA's signal-to-noise
   with its σ floor (σ ≥ 0.2·|μ|, 0.2 when μ = 0, as GSEA and gseapy), or the difference of
   means.
2. :func:`gsea_prerank` — gseapy's ``prerank`` on that ranking with the catalogue's sets,
   a signed set's up and down parts kept as two sets (``<name>_UP``, ``<name>_DN``), so a
   mechanism that is higher in the group shows a positive NES for its up part and a negative
   one for its down part.

gseapy is an optional dependency (``pip install 'rrscore[stats]'``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import RRScoreError, StatisticsWarning, warn
from rrscore.stats._compare import REST, _contrasts, _normalise_labels
from rrscore.stats._inputs import check_replicates, is_anndata, labels_for

METRICS = ("welch_t", "signal_to_noise", "difference")

#: Columns of :attr:`PrerankResult.table`, in order.
COLUMNS = ("set", "parent", "part", "n_genes", "es", "nes", "pvalue", "fdr", "fwer",
           "leading_edge", "n_leading_edge", "tag_pct", "gene_pct", "circular")


def gseapy():
    try:
        import gseapy as gp
    except ImportError as err:
        raise ImportError("rrscore's preranked GSEA runs gseapy: pip install 'rrscore[stats]'"
                          ) from err
    return gp


def _prepared(data, gene_sets, options: dict):
    from rrscore._prepare import prepare

    return prepare(data, gene_sets, low_coverage=0.0, **options)


def _sample_means(values, member: np.ndarray) -> np.ndarray:
    """Mean of the rows of ``values`` in each column of the 0/1 ``member`` (rows × units)."""
    weights = member / member.sum(axis=0, keepdims=True)
    if sp.issparse(values):
        return np.asarray((sp.csr_matrix(weights.T) @ values).todense())
    return weights.T @ np.asarray(values, dtype=float)


def _two_arms(labels: pd.Series, group, reference, name: str) -> tuple[np.ndarray, np.ndarray,
                                                                      str, str]:
    norm, levels, binary = _normalise_labels(labels)
    contrasts = _contrasts(levels, binary, group, reference, name)
    if len(contrasts) != 1:
        raise RRScoreError(f"grouping {name!r} has {len(levels)} levels ({levels}): give "
                           "group= (and reference=) for one contrast")
    g, r = contrasts[0]
    in_g = (norm == g).to_numpy()
    in_r = (norm.notna() & (norm != g)).to_numpy() if r == REST else (norm == r).to_numpy()
    return in_g, in_r, g, r


def _statistic(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Per column of ``a`` (group rows) and ``b`` (reference rows)."""
    n1, n2 = a.shape[0], b.shape[0]
    m1, m2 = a.mean(axis=0), b.mean(axis=0)
    if metric == "difference":
        return m1 - m2
    v1 = a.var(axis=0, ddof=1) if n1 > 1 else np.full(a.shape[1], np.nan)
    v2 = b.var(axis=0, ddof=1) if n2 > 1 else np.full(b.shape[1], np.nan)
    if metric == "welch_t":
        with np.errstate(divide="ignore", invalid="ignore"):
            return (m1 - m2) / np.sqrt(v1 / n1 + v2 / n2)
    s1 = np.maximum(np.sqrt(v1), 0.2 * np.abs(m1))
    s1 = np.where(s1 == 0, 0.2, s1)
    s2 = np.maximum(np.sqrt(v2), 0.2 * np.abs(m2))
    s2 = np.where(s2 == 0, 0.2, s2)
    return (m1 - m2) / (s1 + s2)


def _ranking(data, groups, *, group, reference, obs, metric, gene_sets, sample_key,
             replicates, input_options):
    """(statistic per gene, prepared input, group rows, reference rows) — rows of the
    samples when not aggregated, else None."""
    if metric not in METRICS:
        raise RRScoreError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    prepared = _prepared(data, gene_sets, input_options)
    expr = prepared.expr
    if expr.is_lazy:
        raise RRScoreError("ranking_statistic needs the expression in memory (not backed)")
    rows = pd.Index(expr.samples)
    obs = obs if obs is not None else (data.obs if is_anndata(data) else None)
    table = pd.DataFrame(index=rows)
    labels = labels_for(groups, rows, table=table, obs=obs, what="groups")
    unit = check_replicates(is_anndata(data), sample_key, replicates)
    values = expr.values
    name = str(groups if isinstance(groups, str) else getattr(groups, "name", None) or "group")
    if unit == "pseudobulk":
        samples = labels_for(sample_key, rows, table=table, obs=obs, what="sample_key")
        keys = pd.DataFrame({"s": samples.astype(object), "g": labels.astype(object)}).dropna()
        units = keys.drop_duplicates().reset_index(drop=True)
        code = pd.MultiIndex.from_frame(units).get_indexer(pd.MultiIndex.from_frame(keys))
        member = np.zeros((len(rows), len(units)))
        member[rows.get_indexer(keys.index), code] = 1.0
        values = _sample_means(values, member)
        labels = pd.Series(units["g"].to_numpy(), index=units["s"].astype(str) + "|" +
                           units["g"].astype(str))
    in_g, in_r, g, r = _two_arms(labels, group, reference, name)
    if sp.issparse(values):
        a = np.asarray(values[np.flatnonzero(in_g)].todense())
        b = np.asarray(values[np.flatnonzero(in_r)].todense())
    else:
        a, b = np.asarray(values)[in_g], np.asarray(values)[in_r]
    if len(a) < 2 or len(b) < 2:
        raise RRScoreError(f"each group needs at least 2 samples; got {len(a)} ({g}) and "
                           f"{len(b)} ({r})")
    stat = pd.Series(_statistic(a.astype(float), b.astype(float), metric),
                     index=pd.Index(expr.genes, name="gene"), name=f"{g} vs {r}")
    n_undefined = int((~np.isfinite(stat)).sum())
    stat = stat[np.isfinite(stat)].sort_values(ascending=False, kind="stable")
    stat.attrs["rrscore_stats"] = {"metric": metric, "group": g, "reference": r,
                                   "n_group": int(len(a)), "n_reference": int(len(b)),
                                   "grouping": name, "unit": unit,
                                   "n_genes_undefined": n_undefined}
    if unit == "pseudobulk":
        return stat, prepared, None, None
    return stat, prepared, in_g, in_r


def ranking_statistic(
    data, groups, *, group=None, reference=None, obs: pd.DataFrame | None = None,
    metric: str = "welch_t", gene_sets="mechanisms", sample_key=None,
    replicates: str | None = None, **input_options,
) -> pd.Series:
    """A differential statistic per gene between two groups (the ranking for GSEA).

    Parameters
    ----------
    data
        Expression as for :func:`rrscore.score` (table, array with ``genes=``, AnnData).
    groups, group, reference, obs
        The grouping and contrast, as in :func:`rrscore.compare` (one contrast only).
    metric
        ``"welch_t"`` (default; ``scipy.stats.ttest_ind(equal_var=False)``'s statistic),
        ``"signal_to_noise"`` (GSEA's, with its σ floor) or ``"difference"`` of means.
    gene_sets
        Sets used to find the gene axis and map gene IDs (as in :func:`rrscore.score`).
    sample_key, replicates
        For single cells: expression is averaged per sample (``sample_key``) before the
        statistic; cells as replicates only with ``replicates="cells"`` (a warning).
    **input_options
        ``orient``, ``layer``, ``use_raw``, ``duplicates``, ``nan_policy``, ``map_ids``,
        ``genes``, ``samples`` of :func:`rrscore.score`.

    Returns
    -------
    pandas.Series
        The statistic per gene (the data's gene labels), sorted decreasing, named by the
        contrast (``"<group> vs <reference>"``); genes where it is undefined (no variance
        in either group) are left out. ``.attrs["rrscore_stats"]`` records the contrast,
        metric and group sizes.

    Raises
    ------
    RRScoreError
        An unknown metric, more than one possible contrast, or a group with < 2 samples.
    """
    return _ranking(data, groups, group=group, reference=reference, obs=obs, metric=metric,
                    gene_sets=gene_sets, sample_key=sample_key, replicates=replicates,
                    input_options=input_options)[0]


def split_signed_sets(aligned, genes: pd.Index) -> tuple[dict[str, list[str]], dict[str, tuple]]:
    """Sets as gene lists in the data's labels, a signed set's parts as two sets.

    Returns (``name -> genes``, ``name -> (parent set, part)``), part ``up``/``down``/``all``.
    """
    out: dict[str, list[str]] = {}
    origin: dict[str, tuple] = {}
    for s in aligned:
        if len(s.down) == 0:
            out[s.name] = [str(genes[i]) for i in s.up]
            origin[s.name] = (s.name, "all")
            continue
        for part, idx, suffix in (("up", s.up, "_UP"), ("down", s.down, "_DN")):
            if len(idx):
                out[f"{s.name}{suffix}"] = [str(genes[i]) for i in idx]
                origin[f"{s.name}{suffix}"] = (s.name, part)
    return out, origin


@dataclass
class PrerankResult:
    """Result of :func:`gsea_prerank`.

    Attributes
    ----------
    table
        One row per tested set (see :func:`gsea_prerank`).
    ranking
        The ranking statistic per gene (decreasing).
    gene_sets
        The sets run (``name -> genes``, after splitting signed sets).
    prerank
        gseapy's ``Prerank`` object (its ``results``, ``res2d`` and plots).
    """

    table: pd.DataFrame
    ranking: pd.Series
    gene_sets: dict[str, list[str]] = field(repr=False)
    prerank: object = field(repr=False)

    def plot(self, terms: str | Sequence[str], **kwargs):
        """gseapy's enrichment plot of ``terms`` (``Prerank.plot``; ``ofname=`` saves)."""
        return self.prerank.plot(terms, **kwargs)

    def gseaplot(self, term: str, **kwargs):
        """gseapy's classic ``gseaplot`` (running sum, hits, ranking) of one set."""
        res = self.prerank.results[term]
        return gseapy().gseaplot(term=term, hits=res["hits"], nes=res["nes"],
                                 pval=res["pval"], fdr=res["fdr"], RES=res["RES"],
                                 rank_metric=self.prerank.ranking, **kwargs)


def _separated_sets(data, aligned_names, labels_g, labels_r, input_options, gene_sets):
    """Tested sets whose singscore separates the two arms perfectly (AUC 0 or 1)."""
    from rrscore._api import score

    scores = score(data, gene_sets, method="singscore", low_coverage=0.0, **input_options)
    out = []
    for name in aligned_names:
        if name not in scores.columns:
            continue
        a, b = scores[name].to_numpy()[labels_g], scores[name].to_numpy()[labels_r]
        if len(a) >= 3 and len(b) >= 3 and (a.min() > b.max() or a.max() < b.min()):
            out.append(name)
    return out


def gsea_prerank(
    data, groups=None, *, gene_sets="mechanisms", group=None, reference=None,
    obs: pd.DataFrame | None = None, metric: str = "welch_t", permutation_num: int = 1000,
    seed: int = 123, min_size: int = 3, max_size: int = 1000, weight: float = 1.0,
    threads: int = 1, derived_from: str | Sequence[str] | None = None,
    check_circular: bool = True, sample_key=None, replicates: str | None = None,
    **input_options,
) -> PrerankResult:
    """Preranked GSEA (gseapy) of a gene-set catalogue between two groups.

    Parameters
    ----------
    data
        Expression (as for :func:`rrscore.score`), or a ready ranking: a Series of one
        statistic per gene (then ``groups`` is not used).
    groups, group, reference, obs, metric, sample_key, replicates
        The contrast and statistic of :func:`ranking_statistic`.
    gene_sets
        The catalogue (default the ``mechanisms``); signed sets are split into
        ``<name>_UP`` and ``<name>_DN``.
    permutation_num, seed, weight, threads
        gseapy ``prerank`` options (gene-set permutations, seeded; ``weight=1`` is the
        classic weighted KS statistic).
    min_size, max_size
        Sizes (genes found in the ranking) of the sets run; gseapy's default minimum of 15
        would drop most mechanisms, so the default here is 3.
    derived_from
        The set(s) whose scores made the grouping (e.g. high vs low ``RR_HYPOXIA``), or
        ``"all"`` when the grouping came from a composite of all of them: those sets, and
        sets sharing genes with them, are marked ``circular`` and a warning says why.
    check_circular
        Warn when the groups are perfectly separated by a tested set's singscore (at least
        3 samples per group), as a grouping cut from that score would be.
    **input_options
        Input options of :func:`rrscore.score` (``orient``, ``nan_policy``, ``map_ids``, ...).

    Returns
    -------
    PrerankResult
        ``.table``: one row per set run, sorted by NES: ``set``, ``parent`` (the catalogue's
        set), ``part`` (``all``, ``up``, ``down``), ``n_genes`` (in the ranking), ``es``,
        ``nes``, ``pvalue`` (nominal), ``fdr``, ``fwer``, ``leading_edge`` (genes,
        ``;``-joined), ``n_leading_edge``, ``tag_pct``, ``gene_pct``, ``circular``;
        ``.ranking``, ``.gene_sets``, ``.prerank`` (gseapy's object), ``.plot(terms)`` and
        ``.gseaplot(term)``.
    """
    gp = gseapy()
    in_g = in_r = None
    if isinstance(data, pd.Series):
        ranking = data.dropna().astype(float).sort_values(ascending=False, kind="stable")
        prepared = _prepared(ranking.to_frame("statistic").T, gene_sets,
                             {"orient": "genes_columns",
                              "map_ids": input_options.get("map_ids", "auto")})
        arms = None
    else:
        if groups is None:
            raise RRScoreError("give groups= (or a ready ranking Series as data)")
        ranking, prepared, in_g, in_r = _ranking(
            data, groups, group=group, reference=reference, obs=obs, metric=metric,
            gene_sets=gene_sets, sample_key=sample_key, replicates=replicates,
            input_options=input_options)
        arms = ranking.attrs["rrscore_stats"]
    sets, origin = split_signed_sets(prepared.sets, pd.Index(prepared.expr.genes))
    in_ranking = set(ranking.index.astype(str))
    sets = {k: [g for g in v if g in in_ranking] for k, v in sets.items()}
    sets = {k: v for k, v in sets.items() if min_size <= len(v) <= max_size}
    if not sets:
        raise RRScoreError(f"no gene set has between {min_size} and {max_size} genes in the "
                           "ranking")
    circular = _circular(derived_from, prepared.sets, origin)
    if check_circular and derived_from is None and in_g is not None:
        parents = sorted({origin[k][0] for k in sets})
        separated = _separated_sets(data, parents, in_g, in_r, input_options, gene_sets)
        if separated:
            warn(f"gsea_prerank: the groups are perfectly separated by the score of "
                 f"{', '.join(separated)}; if the grouping was derived from that score, its "
                 "enrichment (and that of sets sharing its genes) is circular — tested on "
                 "the data that defined the groups. Pass derived_from= to mark it, or "
                 "check_circular=False if the grouping is independent.", StatisticsWarning)
    rnk = pd.Series(ranking.to_numpy(), index=ranking.index.astype(str))
    res = gp.prerank(rnk=rnk, gene_sets=sets, permutation_num=int(permutation_num),
                     seed=int(seed), min_size=min_size, max_size=max_size, weight=weight,
                     threads=threads, outdir=None, no_plot=True, verbose=False)
    rows = []
    for term, r in res.results.items():
        lead = [g for g in str(r.get("lead_genes", "")).split(";") if g]
        parent, part = origin[term]
        rows.append({
            "set": term, "parent": parent, "part": part, "n_genes": len(sets[term]),
            "es": float(r["es"]), "nes": float(r["nes"]), "pvalue": float(r["pval"]),
            "fdr": float(r["fdr"]), "fwer": float(r["fwerp"]), "leading_edge": ";".join(lead),
            "n_leading_edge": len(lead), "tag_pct": str(r.get("tag %", "")),
            "gene_pct": str(r.get("gene %", "")), "circular": term in circular,
        })
    table = pd.DataFrame(rows, columns=list(COLUMNS)).sort_values(
        "nes", ascending=False, kind="stable").reset_index(drop=True)
    table.attrs["rrscore_stats"] = {
        "analysis": "gsea_prerank", "gseapy": getattr(gp, "__version__", ""),
        "permutation_num": int(permutation_num), "seed": int(seed), "weight": weight,
        "contrast": arms or {"ranking": str(ranking.name)},
    }
    if circular:
        warn(f"gsea_prerank: the grouping was derived from {derived_from!r}: the enrichment "
             f"of {', '.join(sorted(circular))} is circular (marked in the 'circular' "
             "column) and says nothing beyond how the groups were made", StatisticsWarning)
    return PrerankResult(table=table, ranking=ranking, gene_sets=sets, prerank=res)


def _circular(derived_from, aligned, origin) -> set[str]:
    """Run-set names that are circular given ``derived_from``."""
    if derived_from is None:
        return set()
    names = [derived_from] if isinstance(derived_from, str) else list(derived_from)
    if "all" in names:
        return set(origin)
    by_name = {s.name: s for s in aligned}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise RRScoreError(f"derived_from names no tested set: {unknown}")
    genes = set()
    for n in names:
        genes |= set(by_name[n].up.tolist()) | set(by_name[n].down.tolist())
    parents = {s.name for s in aligned
               if s.name in names or genes & (set(s.up.tolist()) | set(s.down.tolist()))}
    return {term for term, (parent, _) in origin.items() if parent in parents}

