"""Radiosensitivity index (RSI), Eschrich et al. 2009, exactly as the authors' code computes it.

Reference implementation: Steven Eschrich's ``predict.u133.rsi.rank()`` in
``steveneschrich/rsi-rnaseq@674ef6e:src/U133Predictor.R`` (MIT licence). For every sample:

1. keep only the 10 RSI genes;
2. rank their 10 values within the sample, ascending, ties averaged (R ``rank()``), so the
   lowest-expressed of the 10 gets rank 1 and the highest rank 10;
3. RSI = sum(rank * coefficient) with the full-precision rank-model coefficients; no
   intercept, no clipping.

High RSI means radioresistant: RSI models SF2, the surviving fraction after 2 Gy. With ranks
1..10 the index lies in [-0.6051, 1.2191]; ten tied values give 5.5 * sum(coefficients) =
0.3070022. The genes are AR, JUN, STAT1, PRKCB, RELA, ABL1, SUMO1, PAK2, HDAC1 and IRF1.
Two well-known mistakes in copies of RSI are rejected: the hub paper's "CDK1" is not the RSI
gene (the probe 205962_at is PAK2), and "PKC" is PRKCB, not PRKCA or PRRT2.

**Where RSI is defined.** The model was trained on within-sample ranks of RMA log2 intensities
of Affymetrix U133 arrays. Ranks do not change under a monotone transform of a sample's values,
but they do change with the platform and with any per-gene transform: on two-colour
log-ratios (Agilent TCGA data, ratios to a reference RNA), per-gene centred or scaled values and
RNA-seq, RSI values are off the published scale (the same five lung lines give RSI 0.78–0.93 on
arrays, 0.06–0.65 on RNA-seq). :func:`rsi` reads the data's scale
(:func:`rrscore.expression._scale.detect_scale`) and warns
(:class:`~rrscore.errors.RadiationModelWarning`) for: negative values (log-ratios, centred or
scaled data); non-negative integers (counts: RNA-seq, UMIs); non-negative, not logged values
above 100 (most often RNA-seq TPM/FPKM); log-scale values with exact zeros (most often
log-transformed RNA-seq: log2(TPM+1), log-CPM). It cannot tell apart: log RNA-seq without zeros
(filtered to expressed genes, other pseudo-counts) from log arrays; a linear-scale array (same
ranks as its log, so RSI is unaffected) from TPM; other array platforms (Illumina, Agilent
single-channel) or MAS5 from U133 RMA; fewer than 100 values are not judged. RSI and GARD are
research quantities: they are not for dose decisions.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from types import MappingProxyType
from typing import Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from rrscore.errors import (
    GeneMatchError,
    InputDataError,
    LowCoverageWarning,
    RadiationModelWarning,
    RRScoreError,
    warn,
)
from rrscore.expression._adapters import as_expression
from rrscore.expression._collapse import collapse_duplicate_genes
from rrscore.expression._scale import detect_scale
from rrscore.ids import clean_gene_ids
from rrscore.methods._parallel import KERNEL_LOCK
from rrscore.ranking import average_ranks

#: The 10 RSI genes, in the order of the authors' coefficient vector.
RSI_GENES: tuple[str, ...] = (
    "AR", "JUN", "STAT1", "PRKCB", "RELA", "ABL1", "SUMO1", "PAK2", "HDAC1", "IRF1",
)

#: Rank-model coefficients at full precision, from ``U133Predictor.R`` (the published 7-decimal
#: values are roundings of these; using the rounded ones shifts RSI by up to ~1e-7).
RSI_COEFFICIENTS: MappingProxyType[str, float] = MappingProxyType({
    "AR": -0.00980092741843779,
    "JUN": 0.0128282697929755,
    "STAT1": 0.0254552046046931,
    "PRKCB": -0.00175888592095915,
    "RELA": -0.00381713588908642,
    "ABL1": 0.107021274358643,
    "SUMO1": -0.00025093287356907,
    "PAK2": -0.00924314364533049,
    "HDAC1": -0.020446868981449,
    "IRF1": -0.0441682719957224,
})

#: Other labels accepted for each RSI gene when the approved symbol is absent (matched
#: case-insensitively, like gene-set matching). Sources: the authors' own keys — the Affymetrix
#: U133 probe sets (``U133Predictor.R``) and Ensembl gene IDs (``RNASeqPredictor.R``) — the
#: names used in the authors' code and the hub paper (CJUN, CABL, c-Jun, c-Abl, PKC-beta,
#: SUMO-1), and previous symbols met in real data (PRKCB1: TCGA Firehose 2016 Agilent
#: matrices; PKCB). This small table stands in until general alias resolution through the
#: bundled gene-ID reference is available.
RSI_ALIASES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    "AR": ("211110_s_at", "ENSG00000169083"),
    "JUN": ("CJUN", "c-Jun", "201466_s_at", "ENSG00000177606"),
    "STAT1": ("AFFX-HUMISGF3A/M97935_MA_at", "ENSG00000115415"),
    "PRKCB": ("PRKCB1", "PKCB", "PKC-beta", "207957_s_at", "ENSG00000166501"),
    "RELA": ("201783_s_at", "ENSG00000173039"),
    "ABL1": ("CABL", "c-Abl", "202123_s_at", "ENSG00000097007"),
    "SUMO1": ("SUMO-1", "208762_at", "ENSG00000116030"),
    "PAK2": ("205962_at", "ENSG00000180370"),
    "HDAC1": ("201209_at", "ENSG00000116478"),
    "IRF1": ("202531_at", "ENSG00000125347"),
})

#: Genes that RSI copies substitute by mistake. They are never used; their presence only makes
#: the missing-gene error more helpful.
_WRONG_SUBSTITUTES: dict[str, tuple[str, ...]] = {
    "PAK2": ("CDK1", "CDC2"),  # hub paper lists CDK1; probe 205962_at is PAK2
    "PRKCB": ("PRKCA", "PRRT2"),  # RadSigBench labels PRKCA; RadiationGeneSigDB maps PRRT2
    "HDAC1": ("HDAC9",),
}

MISSING_POLICIES = ("error", "warn")

_ENSEMBL_VERSION = re.compile(r"^(ENSG\d{11})\.\d+$")

#: Fewer values than this are not judged for scale.
_MIN_VALUES_FOR_SCALE = 100

#: Share of exact zeros in log-scale data above which the data are taken as log RNA-seq.
_RNASEQ_ZERO_SHARE = 0.005

_CANDIDATES_UPPER: dict[str, str] = {}
for _gene in RSI_GENES:
    for _label in (_gene, *RSI_ALIASES[_gene]):
        _CANDIDATES_UPPER[_label.upper()] = _gene
del _gene, _label

# Orientation detection in the input layer counts labels that match this universe.
_UNIVERSE = frozenset([*RSI_GENES, *(a for v in RSI_ALIASES.values() for a in v)])


def _is_candidate(label: object) -> bool:
    """Whether a (cleaned) data label could stand for an RSI gene."""
    key = str(label).upper()
    versioned = _ENSEMBL_VERSION.match(key)
    return (versioned.group(1) if versioned else key) in _CANDIDATES_UPPER


def _match_rsi_genes(labels: pd.Index) -> tuple[dict[str, int], list[str]]:
    """Column position of each RSI gene among ``labels``: exact, then case-insensitive, then alias.

    Returns the found genes (RSI gene → position) and notes on aliases used.
    """
    exact = {str(g): i for i, g in enumerate(labels)}
    upper: dict[str, list[int]] = {}
    for i, g in enumerate(labels):
        key = str(g).upper()
        upper.setdefault(key, []).append(i)
        versioned = _ENSEMBL_VERSION.match(key)
        if versioned:  # a versioned Ensembl ID among symbols is not cleaned upstream
            upper.setdefault(versioned.group(1), []).append(i)
    found: dict[str, int] = {}
    notes: list[str] = []
    for gene in RSI_GENES:
        if gene in exact:
            found[gene] = exact[gene]
            continue
        hits = upper.get(gene.upper(), [])
        if len(hits) == 1:
            found[gene] = hits[0]
            continue
        if len(hits) > 1:
            raise GeneMatchError(
                f"RSI gene {gene} matches several data genes that differ only in case: "
                f"{[str(labels[i]) for i in hits]}; rename them so that one is {gene!r}"
            )
        alias_hits = sorted(
            {i for a in RSI_ALIASES[gene] for i in upper.get(a.upper(), [])}
        )
        if len(alias_hits) == 1:
            found[gene] = alias_hits[0]
            notes.append(f"RSI gene {gene} taken from data gene {labels[alias_hits[0]]!s}")
        elif len(alias_hits) > 1:
            raise GeneMatchError(
                f"RSI gene {gene} is absent but several of its aliases are present: "
                f"{[str(labels[i]) for i in alias_hits]}; keep one of them (or rename it {gene})"
            )
    return found, notes


def _missing_message(missing: list[str], labels: pd.Index) -> str:
    present = {str(g).upper(): str(g) for g in labels}
    hints = []
    for gene in missing:
        wrong = [present[w] for w in _WRONG_SUBSTITUTES.get(gene, ()) if w in present]
        if wrong:
            hints.append(
                f"{gene}: the data has {', '.join(wrong)}, which some RSI copies use by "
                f"mistake; it is a different gene and is not used in its place"
            )
    accepted = "; ".join(f"{g}: {', '.join(RSI_ALIASES[g])}" for g in missing)
    msg = (
        f"{len(missing)} of the 10 RSI genes are not in the data: {', '.join(missing)} "
        f"(also accepted under: {accepted})"
    )
    if hints:
        msg += ". " + ". ".join(hints)
    return msg


def _raw_candidate_block(
    data, orientation: str, genes: Sequence[object] | None, layer: str | None,
    use_raw: bool | None,
) -> tuple[np.ndarray | sp.spmatrix, np.ndarray]:
    """Columns of the RSI genes (and aliases) straight from the input, NaNs kept.

    Used only when the input layer had to drop an RSI gene because of missing values: the
    input layer has no policy that passes NaNs through, so the few columns RSI needs are read
    from the original object in the orientation the input layer decided. Returns the block
    ``(n_samples, k)`` and the cleaned gene labels of its columns.
    """
    if isinstance(data, pd.DataFrame):
        labels = data.index if orientation == "genes_rows" else data.columns
        values = data
    elif isinstance(data, np.ndarray) or sp.issparse(data):
        labels, values = list(genes), data
    elif hasattr(data, "obs_names"):  # AnnData, same source rule as the input layer
        orientation = "genes_columns"
        raw = use_raw if use_raw is not None else (data.raw is not None and layer is None)
        if raw:
            labels, values = data.raw.var_names, data.raw.X
        elif layer is not None:
            labels, values = data.var_names, data.layers[layer]
        else:
            labels, values = data.var_names, data.X
    else:
        raise InputDataError(
            f"missing values in RSI genes cannot be handled for input of type "
            f"{type(data).__name__}; impute them or pass a DataFrame"
        )
    cleaned = clean_gene_ids(labels)
    pos = np.array(
        [
            i for i, (g, k) in enumerate(zip(cleaned.ids, cleaned.keep, strict=True))
            if k and _is_candidate(g)
        ],
        dtype=np.int64,
    )
    if isinstance(values, pd.DataFrame):
        sub = values.iloc[pos] if orientation == "genes_rows" else values.iloc[:, pos]
        block = sub.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        block = values[pos] if orientation == "genes_rows" else values[:, pos]
        block = block.toarray() if sp.issparse(block) else np.asarray(block, dtype=np.float64)
    if orientation == "genes_rows":
        block = block.T
    return np.ascontiguousarray(block, dtype=np.float64), cleaned.ids[pos]


def published_scale(expr) -> dict:
    """Whether the data look like RSI's training data: absolute log2 array intensities.

    Parameters
    ----------
    expr
        The :class:`~rrscore.expression.ExpressionMatrix` RSI is computed from.

    Returns
    -------
    dict
        ``kind`` (``detect_scale``'s, or ``"log_rnaseq"``), ``evidence``, ``on_published_scale``
        (bool, or None when not judged) and ``reason`` (why not; empty otherwise). The rules
        and what they cannot tell apart: the module docstring.
    """
    n_values = int(expr.shape[0]) * int(expr.shape[1])
    if n_values < _MIN_VALUES_FOR_SCALE:
        return {"kind": "unknown", "evidence": f"{n_values} values: too few to judge",
                "on_published_scale": None, "reason": ""}
    scale = detect_scale(expr)
    kind, evidence = scale.kind, scale.evidence
    reasons = {
        "log_ratio": "negative values, as in two-colour log-ratios (TCGA Agilent) or centred "
                     "log values: ranks of ratios to a reference are not ranks of absolute "
                     "intensities",
        "scaled": "per-gene centred and scaled values: within-sample ranks of z-scores are not "
                  "ranks of intensities",
        "counts": "non-negative integers, as in RNA-seq or UMI counts: RSI was trained on "
                  "U133 array intensities, and RNA-seq ranks the 10 genes differently",
        "linear": "non-negative values above 100, not log-transformed: most often RNA-seq "
                  "TPM/FPKM (a linear-scale array ranks as its log2 does; rrscore cannot tell "
                  "them apart)",
    }
    if kind == "log":
        values = expr.values
        if sp.issparse(values):
            share = 1.0 - values.count_nonzero() / n_values
        else:
            share = float(np.mean(np.asarray(values) == 0))
        if share >= _RNASEQ_ZERO_SHARE:
            kind = "log_rnaseq"
            evidence = f"{evidence}; {share:.1%} of values are exactly 0"
            reasons[kind] = ("log-scale values with exact zeros, as in log-transformed RNA-seq "
                             "(log2(TPM+1), log-CPM): RSI was trained on U133 array "
                             "intensities, and RNA-seq ranks the 10 genes differently")
    reason = reasons.get(kind, "")
    return {"kind": kind, "evidence": evidence, "on_published_scale": not reason,
            "reason": reason}


def rsi(
    data,
    *,
    genes: Sequence[object] | None = None,
    samples: Sequence[object] | None = None,
    orient: str = "auto",
    layer: str | None = None,
    use_raw: bool | None = None,
    duplicates: str = "highest_mean",
    missing: Literal["error", "warn"] = "error",
) -> pd.Series:
    """Radiosensitivity index (Eschrich et al. 2009) of every sample.

    RSI = sum over the 10 genes of rank * coefficient, where the ranks are those of the 10
    genes' values within the sample (ascending, ties averaged) and the coefficients are the
    authors' full-precision rank-model coefficients (:data:`RSI_COEFFICIENTS`); no intercept,
    no clipping. High RSI = radioresistant. This equals ``predict.u133.rsi.rank()`` of the
    Moffitt code. The original model was fitted on RMA log2 Affymetrix U133 data; other
    platforms (RNA-seq) give correlated but shifted values, so published cut-offs (e.g. 0.46)
    do not transfer to them, and log-ratio data (two-colour arrays) give values off the scale
    altogether. The data's scale is checked and a
    :class:`~rrscore.errors.RadiationModelWarning` says when RSI is off its published scale
    (what the check can and cannot tell apart: :mod:`rrscore.radiation._rsi`).

    **Not for dose decisions.** RSI is a research score; neither it nor GARD or
    :func:`dose_for_gard` computed from it is validated by rrscore for choosing a patient's
    radiation dose.

    Parameters
    ----------
    data
        Expression input in any shape :func:`rrscore.score` accepts (DataFrame genes × samples
        or samples × genes, array with ``genes=``, AnnData, :class:`ExpressionMatrix`).
        Only the 10 RSI genes are used; genes are matched by symbol (then case-insensitively,
        then through :data:`RSI_ALIASES`, which includes the authors' U133 probe sets and
        Ensembl IDs). CDK1, PRKCA and PRRT2 are never used in place of PAK2 or PRKCB.
    genes, samples, orient, layer, use_raw, duplicates
        As in :func:`rrscore.score`. Duplicated genes (e.g. several probes of one gene) are
        collapsed by ``duplicates`` before ranking.
    missing
        What to do when RSI genes are absent from the data. ``"error"`` (default) raises a
        :class:`~rrscore.errors.GeneMatchError` naming them. ``"warn"`` goes on with a
        warning: the genes present are ranked among themselves (ranks 1..k for k genes) and
        the missing genes' terms are dropped. That changes the scale — the all-tied value
        becomes (k+1)/2 times the sum of the remaining coefficients and the bounds move — so
        such values are not comparable with published RSI, its cut-offs or GARD. At least two
        RSI genes are needed in any case.

    Returns
    -------
    pandas.Series
        RSI per sample, named ``"RSI"``, indexed by sample. ``.attrs["rrscore"]`` records the
        data gene used for each RSI gene, missing genes, samples set to NaN, the data's scale
        (``scale``: kind, evidence, ``on_published_scale``, reason) and the input report.

    Notes
    -----
    Missing values: NaNs in genes other than the 10 are ignored. A sample with a NaN in any
    of the RSI genes used gets RSI NaN (with a warning naming the samples), because the
    within-sample ranking of the 10 genes is undefined without that value. An RSI gene that
    is NaN in every sample counts as missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from rrscore.radiation import RSI_GENES, rsi
    >>> expr = pd.DataFrame({"s1": [5.0, 9.1, 10.2, 4.4, 8.8, 7.5, 11.0, 6.3, 9.9, 7.9]},
    ...                     index=list(RSI_GENES))
    >>> round(float(rsi(expr)["s1"]), 7)
    0.2880612
    """
    if missing not in MISSING_POLICIES:
        raise RRScoreError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
    # NaNs elsewhere in the matrix are irrelevant to RSI, so the input layer may drop those
    # genes; an RSI gene it drops for NaN is read back with its NaNs below.
    expr = as_expression(
        data, genes=genes, samples=samples, orient=orient, layer=layer, use_raw=use_raw,
        gene_universe=set(_UNIVERSE), duplicates=duplicates, nan_policy="drop_genes",
    )
    scale = published_scale(expr)
    if scale["on_published_scale"] is False:
        warn(
            f"RSI and GARD are off their published scale: {scale['reason']} "
            f"({scale['evidence']}). RSI was fitted on within-sample ranks of absolute log2 "
            "U133 RMA intensities, so these values, their published cut-offs (e.g. 0.46) and "
            "GARD computed from them are not comparable with published ones; not for dose "
            "decisions",
            RadiationModelWarning,
        )

    nan_dropped = sorted(
        {str(g) for g in expr.report.dropped_genes if _is_candidate(g)}
    )
    notes: list[str] = []
    if scale["on_published_scale"] is False:
        notes.append(f"not on the published RSI scale: {scale['reason']}")
    if nan_dropped:
        block, labels = _raw_candidate_block(
            data, expr.report.orientation, genes, layer, use_raw
        )
        block, labels, collapse_notes = collapse_duplicate_genes(block, labels, duplicates)
        labels = pd.Index([str(g) for g in labels])
        notes.extend(collapse_notes)
        notes.append(
            f"RSI genes with missing values read with their NaNs: {', '.join(nan_dropped)}"
        )
        values = block
    else:
        labels = expr.genes
        values = None
    cols, alias_notes = _match_rsi_genes(labels)
    notes.extend(alias_notes)

    used = [g for g in RSI_GENES if g in cols]
    idx = np.array([cols[g] for g in used], dtype=np.int64)
    if values is None:
        sub = expr.values[:, idx]
        sub = sub.toarray() if sp.issparse(sub) else sub
    else:
        sub = values[:, idx]
    sub = np.ascontiguousarray(sub, dtype=np.float64)

    # A gene with no value in any sample carries no information: treat it as missing.
    all_nan = np.isnan(sub).all(axis=0) if sub.shape[0] else np.zeros(len(used), bool)
    if all_nan.any():
        notes.append(
            "RSI genes with no value in any sample: "
            + ", ".join(g for g, a in zip(used, all_nan, strict=True) if a)
        )
        keep = ~all_nan
        used = [g for g, k in zip(used, keep, strict=True) if k]
        sub = np.ascontiguousarray(sub[:, keep])
    missing_genes = [g for g in RSI_GENES if g not in used]
    if missing_genes:
        msg = _missing_message(missing_genes, expr.genes.append(labels))
        if missing == "error" or len(used) < 2:
            if len(used) < 2 and missing == "warn":
                msg += "; at least 2 RSI genes are needed"
            else:
                msg += (
                    "; pass missing='warn' to rank the remaining genes among themselves "
                    "(RSI is then on a different scale)"
                )
            raise GeneMatchError(msg)
        warn(
            msg + f"; RSI computed from the {len(used)} genes present, ranked among "
            "themselves: values are not on the published RSI scale",
            LowCoverageWarning,
        )

    coef = np.array([RSI_COEFFICIENTS[g] for g in used], dtype=np.float64)
    out = np.full(sub.shape[0], np.nan)
    nan_rows = np.isnan(sub).any(axis=1)
    ok = ~nan_rows
    if ok.any():
        # a parallel numba kernel: two threads in it at once abort under the workqueue layer
        with KERNEL_LOCK:
            ranks = average_ranks(np.ascontiguousarray(sub[ok]))
        out[ok] = ranks @ coef
    nan_samples = [str(s) for s in expr.samples[nan_rows]]
    if nan_samples:
        nan_genes = [g for g, c in zip(used, np.isnan(sub).any(axis=0), strict=True) if c]
        warn(
            f"RSI set to NaN for {len(nan_samples)} samples with missing values in RSI genes "
            f"({', '.join(nan_genes)}): {nan_samples[:5]}{' ...' if len(nan_samples) > 5 else ''}",
            RadiationModelWarning,
        )

    result = pd.Series(out, index=pd.Index(expr.samples, name=None), name="RSI")
    result.attrs["rrscore"] = {
        "method": "rsi",
        "reference": "Eschrich et al. 2009, predict.u133.rsi.rank (steveneschrich/rsi-rnaseq)",
        "genes": {g: str(labels[cols[g]]) for g in used},
        "missing_genes": missing_genes,
        "nan_samples": nan_samples,
        "notes": notes,
        "scale": scale,
        "input": expr.report.to_dict(),
    }
    return result
