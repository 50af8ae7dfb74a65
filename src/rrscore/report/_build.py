"""Build the cohort report: score, collect the sections, render the template to one file."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

import rrscore.report._sections as sections
from rrscore.errors import RRScoreError
from rrscore.report._compare import compare_groups

#: Options of the input layer that also shape the coverage table.
_INPUT_OPTIONS = frozenset({"genes", "samples", "orient", "layer", "use_raw", "duplicates",
                           "nan_policy", "map_ids", "low_coverage"})


def _read_table(path: str | os.PathLike) -> pd.DataFrame:
    text = str(path).lower().removesuffix(".gz")
    sep = "," if text.endswith(".csv") else "\t"
    return pd.read_csv(path, sep=sep, index_col=0)


def _read_input(data):
    """(the data to score, words for the source, the file path or None)."""
    if isinstance(data, (str, os.PathLike)):
        from rrscore.expression._readers import read_expression

        path = Path(data)
        if not path.is_file():
            raise RRScoreError(f"input file {str(path)!r} does not exist")
        return read_expression(path), f"file {path.name}", str(path)
    if isinstance(data, pd.DataFrame):
        return data, f"DataFrame {data.shape[0]} × {data.shape[1]}", None
    if hasattr(data, "obs_names") and hasattr(data, "var_names"):
        return data, f"AnnData {data.n_obs} × {data.n_vars}", None
    return data, type(data).__name__, None


def _groups(groupby, annotations: pd.DataFrame | None, scores: pd.DataFrame) -> pd.Series:
    if isinstance(groupby, pd.Series):
        found = groupby.reindex(scores.index)
    elif annotations is not None and groupby in annotations.columns:
        found = annotations[groupby].reindex(scores.index)
    elif groupby in scores.columns:
        found = scores[groupby]
    else:
        where = "annotations" if annotations is not None else "the scores (give annotations=)"
        raise RRScoreError(f"groupby {groupby!r} is not a column of {where}")
    if found.notna().sum() == 0:
        raise RRScoreError(f"groupby {groupby!r} has no value for any scored sample; are the "
                           "annotations indexed by the same sample names?")
    name = groupby if isinstance(groupby, str) else (found.name or "group")
    if not isinstance(found.dtype, pd.CategoricalDtype):
        # groups in a stable, readable order (stage i before stage ii), not first-seen order
        order = sorted(found.dropna().unique(), key=lambda v: (str(type(v)), v))
        found = found.astype(pd.CategoricalDtype(order))
    return found.cat.remove_unused_categories().rename(str(name))


def collect(data, *, mutations=None, annotations=None, groupby=None, reference=None,
            method: str | None = None, gene_sets=None, weights: Mapping | None = None,
            title: str | None = None, n_top: int = 5, command: str | None = None,
            **score_kwargs) -> dict:
    """Everything the template shows, as plain data: score, then compute every section.

    Parameters
    ----------
    data, mutations, annotations, groupby, reference, method
        As in :func:`report`.
    gene_sets, weights, title, n_top, command
        As in :func:`report`.
    **score_kwargs
        As in :func:`report`.

    Returns
    -------
    dict
        The template's context: formatted tables (``{"columns", "rows"}``), figures as PNG
        data URIs, and the facts of each section.

    Raises
    ------
    RRScoreError
        As :func:`report`.
    """
    import rrscore
    import rrscore.pl as pl

    table, source, path = _read_input(data)
    if isinstance(annotations, (str, os.PathLike)):
        annotations = _read_table(annotations)
    scores, contributions, _ = rrscore.radioresistance(
        table, reference=reference, method=method, gene_sets=gene_sets, weights=weights,
        mutations=mutations, return_contributions=True, **score_kwargs,
    )
    record = scores.attrs.get("rrscore", {})
    mechanisms = list(record.get("mechanisms", contributions.columns))
    input_kw = {k: v for k, v in score_kwargs.items() if k in _INPUT_OPTIONS}
    collection = record.get("collection") or "mechanisms"
    coverage = rrscore.coverage(table, gene_sets if gene_sets is not None else collection,
                                **input_kw)
    groups = _groups(groupby, annotations, scores) if groupby is not None else None
    obs = annotations.reindex(scores.index) if annotations is not None else None
    heat = pl.sample_heatmap(scores, obs=obs, groupby=groups, return_fig=True)
    context = {
        "title": title or f"rrscore radioresistance report: {source}",
        "version": rrscore.__version__,
        "n_samples": int(len(scores)),
        "n_mechanisms": len(mechanisms),
        "input": sections.input_summary(record, source, path),
        "coverage": sections.coverage_section(coverage, mechanisms),
        "heatmap": sections.png(heat),
        "heatmap_note": ("columns grouped by " + str(groups.name)) if groups is not None
        else "columns ordered by composite, highest first",
        "composite": sections.composite_section(scores),
        "contributions": sections.contributions_section(scores, contributions, n_top),
        "drivers": sections.drivers_section(scores, record),
        "confounders": sections.confounders_section(scores),
        "groups": None,
        "provenance": sections.provenance(
            record, command=command or _default_command(source, groupby),
            collection_name=collection if isinstance(collection, str) else None,
            collection_file=str(gene_sets) if isinstance(gene_sets, (str, os.PathLike))
            else None,
        ),
    }
    if groups is not None:
        compared, how = compare_groups(scores[[*mechanisms, "composite"]], groups)
        fig = pl.distributions(scores, groups, sets=[*mechanisms, "composite"],
                               return_fig=True)
        context["groups"] = {
            "name": str(groups.name), "how": how, "figure": sections.png(fig),
            "sizes": [(str(k), int(v)) for k, v in groups.value_counts(sort=False).items()],
            "table": sections.table(compared),
        }
    return context


def _default_command(source: str, groupby) -> str:
    extra = f", groupby={groupby!r}" if isinstance(groupby, str) else ""
    return f"rrscore.report(<{source}>{extra})"


def render(context: dict) -> str:
    """The HTML of the report (jinja2 template ``templates/report.html.j2``).

    Parameters
    ----------
    context
        What :func:`collect` returns.

    Returns
    -------
    str
        One self-contained HTML page.
    """
    try:
        import jinja2
    except ImportError as err:  # pragma: no cover - jinja2 is in the test environment
        raise ImportError("rrscore.report needs jinja2: pip install 'rrscore[report]'") from err
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rrscore.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    return env.get_template("report.html.j2").render(**context)


def report(data, output: str | os.PathLike | None = None, *, mutations=None,
           annotations=None, groupby=None, reference=None, method: str | None = None,
           gene_sets=None, weights: Mapping[str, float] | None = None,
           title: str | None = None, n_top: int = 5, command: str | None = None,
           **score_kwargs):
    """One self-contained HTML report of a cohort's radioresistance profile.

    Scores ``data`` with :func:`rrscore.radioresistance` and writes one HTML file (figures
    embedded as PNG, no external files or scripts) with: the input summary (what was read,
    mapped and dropped), coverage of every set, the mechanisms × samples heatmap with driver
    and group bars, the composite's distribution and every sample's percentile, the
    contributions of the highest and lowest composites, the driver calls, the confounder
    columns (when the scores have them), group comparisons (when ``groupby`` is given) and
    the command, versions and collection checksum that made it.

    Parameters
    ----------
    data
        Expression data as :func:`rrscore.radioresistance` takes it (DataFrame, AnnData...)
        or the path of an expression file (TSV/CSV, GCT, parquet, h5ad).
    output
        Where to write the HTML; None returns the HTML text instead.
    mutations
        Driver mutations (MAF, or a samples × genes table or its path), as in
        :func:`rrscore.radioresistance`.
    annotations
        Sample annotations (DataFrame indexed by sample, or a TSV/CSV path with the sample
        in the first column), for ``groupby``.
    groupby
        A column of ``annotations`` (or of the score table, e.g. ``"driver_KRAS"``), or a
        Series of groups: adds the group comparisons and groups the heatmap.
    reference, method, gene_sets, weights
        As in :func:`rrscore.radioresistance`.
    title
        Title of the page.
    n_top
        How many of the highest and of the lowest composites get their contributions shown.
    command
        The command to record (the CLI passes its own command line).
    **score_kwargs
        Input options and method parameters of :func:`rrscore.radioresistance`
        (``nan_policy``, ``orient``, ``map_ids``, ...).

    Returns
    -------
    pathlib.Path or str
        The path written, or the HTML text when ``output`` is None.

    Raises
    ------
    RRScoreError
        For a missing input file or a ``groupby`` found nowhere (and the errors of
        :func:`rrscore.radioresistance`).
    """
    plan = out = None
    if output is not None:
        from rrscore._outputs import OutputPlan

        # checked before any work: never over an input file; written atomically at the end
        inputs = [x for x in (data, mutations, annotations, reference, gene_sets)
                  if isinstance(x, (str, os.PathLike))]
        plan = OutputPlan(inputs)
        out = plan.file(output, option="output")
    html = render(collect(data, mutations=mutations, annotations=annotations,
                          groupby=groupby, reference=reference, method=method,
                          gene_sets=gene_sets, weights=weights, title=title, n_top=n_top,
                          command=command, **score_kwargs))
    if plan is None:
        return html
    plan.set_writer(out, lambda tmp: tmp.write_text(html, encoding="utf-8"))
    plan.commit()
    return out
