"""The report's sections as plain data (tables as lists of rows, figures as PNG data URIs).

Each function takes the radioresistance result (and what else it needs) and returns a dict
the template renders; none of them writes HTML.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

#: Score-table columns read as confounders (proliferation, ESTIMATE stromal/immune scores).
CONFOUNDER_NAMES = ("proliferation", "stromal", "immune")
_CONFOUNDER_PREFIX = "confounder_"
_SIGN_SUFFIX = re.compile(r"_(UP|DN|DOWN)$", re.IGNORECASE)


def png(fig, dpi: int = 90) -> str:
    """The figure as a ``data:image/png;base64`` URI (the figure is closed)."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def fmt(value, digits: int = 3) -> str:
    """A cell of a table: numbers with ``digits`` significant digits, missing as "–"."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.{digits}g}"
    return str(value)


def table(frame: pd.DataFrame, *, index: str | None = None, digits: int = 3) -> dict:
    """A DataFrame as ``{"columns": [...], "rows": [[...], ...]}`` of formatted strings."""
    shown = frame.reset_index() if index is not None else frame
    if index is not None:
        shown = shown.rename(columns={shown.columns[0]: index})
    return {"columns": [str(c) for c in shown.columns],
            "rows": [[fmt(v, digits) for v in row] for row in shown.itertuples(index=False)]}


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_summary(record: dict, source: str, path: str | None) -> dict:
    """What was read, mapped and dropped (the input layer's record)."""
    info = record.get("input", {}) or {}
    reference = record.get("reference", {}) or {}
    facts = [
        ("source", source),
        ("orientation", info.get("orientation", "–")),
        ("gene identifiers", info.get("id_type", "–")),
        ("genes in the input", fmt(info.get("n_genes_input"))),
        ("samples in the input", fmt(info.get("n_samples_input"))),
        ("genes dropped", fmt(info.get("n_dropped_genes", 0))),
        ("reference", f"{reference.get('source', '–')} "
                      f"({fmt(reference.get('n_samples'))} samples, "
                      f"{fmt(reference.get('n_genes'))} genes)"),
    ]
    if path is not None:
        facts.insert(1, ("file SHA-256", sha256(path)))
    mapping = info.get("id_mapping") or {}
    notes = list(info.get("notes") or [])
    if mapping:
        notes.append("gene identifiers mapped: " + ", ".join(f"{k}: {fmt(v)}"
                                                             for k, v in mapping.items()))
    missing = record.get("genes_missing") or {}
    unscored = record.get("mechanisms_unscored") or []
    return {"facts": facts, "notes": notes,
            "unscored": [str(u) for u in unscored],
            "genes_missing": {str(k): ", ".join(map(str, v)) if isinstance(v, list) else str(v)
                              for k, v in missing.items()}}


def coverage_section(coverage: pd.DataFrame, mechanisms: list[str]) -> dict:
    """Coverage of every set of the collection; the composite's sets marked."""
    import rrscore.pl as pl

    base = [_SIGN_SUFFIX.sub("", str(s)) for s in coverage.index]
    used = ["yes" if b in mechanisms else "" for b in base]
    columns = [c for c in ("n_listed", "n_found", "coverage", "fraction", "missing", "renamed",
                           "reason") if c in coverage.columns]
    shown = coverage[columns].copy()
    shown.insert(0, "in composite", used)
    fig = pl.coverage(coverage, return_fig=True)
    low = [str(s) for s, f in zip(coverage.index, coverage["n_found"] / coverage["n_listed"],
                                  strict=True) if f < 0.5]
    return {"figure": png(fig), "table": table(shown, index="set"), "low": low}


def composite_section(scores: pd.DataFrame) -> dict:
    """Distribution of the composite, its quantiles and every sample's percentile."""
    import matplotlib.pyplot as plt

    composite = scores["composite"].dropna()
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.hist(composite.to_numpy(), bins=min(30, max(8, len(composite) // 3)), color="#6a6a6a",
            edgecolor="white")
    ax.axvline(0, color="black", linewidth=0.8)
    for q, style in ((0.25, ":"), (0.5, "--"), (0.75, ":")):
        ax.axvline(composite.quantile(q), color="#b2182b", linestyle=style, linewidth=1)
    ax.set_xlabel("composite (weighted mean of mechanism z-scores)")
    ax.set_ylabel("samples")
    quantiles = composite.quantile([0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
    summary = pd.DataFrame({"quantile": ["min", "10 %", "25 %", "median", "75 %", "90 %",
                                         "max"],
                            "composite": quantiles.to_numpy()})
    columns = [c for c in ("composite", "composite_percentile") if c in scores.columns]
    per_sample = scores[columns].sort_values("composite", ascending=False)
    return {"figure": png(fig), "summary": table(summary),
            "samples": table(per_sample, index="sample"), "n": int(len(composite))}


def contributions_section(scores: pd.DataFrame, contributions: pd.DataFrame, n_top: int
                          ) -> dict:
    """Contributions of the ``n_top`` highest and lowest composites: a figure and, per
    sample, the three mechanisms that push it most."""
    import rrscore.pl as pl

    ranked = scores["composite"].dropna().sort_values(ascending=False)
    n = min(n_top, len(ranked) // 2) if len(ranked) > 1 else len(ranked)
    chosen = list(dict.fromkeys([*ranked.index[:n], *ranked.index[len(ranked) - n:]]))
    fig = pl.contributions(contributions, chosen, kind="bar", return_fig=True)
    rows = []
    for sample in chosen:
        row = contributions.loc[sample].dropna()
        top = row.reindex(row.abs().sort_values(ascending=False).index[:3])
        rows.append([str(sample), fmt(float(ranked[sample])),
                     "; ".join(f"{m} {v:+.3f}" for m, v in top.items())])
    return {"figure": png(fig), "n": n,
            "table": {"columns": ["sample", "composite", "largest contributions"],
                      "rows": rows}}


def drivers_section(scores: pd.DataFrame, record: dict) -> dict | None:
    """Driver calls: mutated samples per driver and the composite by status."""
    columns = [c for c in scores.columns if str(c).startswith("driver_") and c != "driver_score"]
    if not columns:
        return None
    rows = []
    for column in columns:
        calls = scores[column]
        known = calls.notna()
        mutated = calls == 1
        rows.append({
            "driver": column, "samples with a call": int(known.sum()),
            "mutated": int(mutated.sum()),
            "composite, mutated": scores.loc[mutated.fillna(False), "composite"].mean(),
            "composite, not mutated": scores.loc[(calls == 0).fillna(False),
                                                 "composite"].mean(),
        })
    info = record.get("drivers", {}) or {}
    notes = []
    if info.get("unmatched_samples"):
        notes.append(f"{len(info['unmatched_samples'])} samples of the mutation data are not "
                     f"in the expression data")
    if info.get("absent_genes"):
        notes.append("driver genes absent from the mutation data: "
                     + ", ".join(map(str, info["absent_genes"])))
    return {"table": table(pd.DataFrame(rows)), "source": str(info.get("source", "–")),
            "notes": notes}


def confounders_section(scores: pd.DataFrame) -> dict | None:
    """Confounder columns (proliferation, stromal, immune...) and their Spearman correlation
    with the composite; None when the score table has none."""
    columns = [c for c in scores.columns
               if str(c).startswith(_CONFOUNDER_PREFIX) or str(c) in CONFOUNDER_NAMES]
    if not columns:
        return None
    rows = []
    for column in columns:
        values = pd.to_numeric(scores[column], errors="coerce")
        rho = values.corr(scores["composite"], method="spearman")
        rows.append({"column": column, "mean": values.mean(), "SD": values.std(),
                     "Spearman ρ with composite": rho})
    return {"table": table(pd.DataFrame(rows))}


def provenance(record: dict, *, command: str, collection_name: str | None,
               collection_file: str | None) -> dict:
    """Command, versions and collection checksum that made the report."""
    import matplotlib
    import scipy

    import rrscore

    checksum = "–"
    if collection_name is not None and collection_name in set(
            rrscore.genesets.list_collections()["name"]):
        checksum = rrscore.genesets.collection_checksum(collection_name)
    elif collection_file is not None and Path(collection_file).is_file():
        checksum = sha256(collection_file)
    params = record.get("params") or {}
    facts = [
        ("command", command),
        ("rrscore", rrscore.__version__),
        ("method", f"{record.get('method', '–')} "
                   + ", ".join(f"{k}={v}" for k, v in params.items())),
        ("gene-set collection", f"{record.get('collection', '–')} "
                                f"(version {record.get('collection_version', '–')})"),
        ("collection SHA-256", checksum),
        ("standardisation", str(record.get("standardisation", "–"))),
        ("created", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("Python / NumPy / pandas / SciPy / matplotlib",
         f"{platform.python_version()} / {np.__version__} / {pd.__version__} / "
         f"{scipy.__version__} / {matplotlib.__version__}"),
    ]
    weights = record.get("weights") or {}
    return {"facts": facts,
            "weights": [(str(k), fmt(float(v))) for k, v in weights.items()]}
