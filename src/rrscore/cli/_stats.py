"""``rrscore compare`` and ``rrscore survival``: from a score table to answers."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from rrscore.cli._app import main
from rrscore.errors import RRScoreError

if TYPE_CHECKING:  # imported where used: `rrscore --help` needs no pandas
    import pandas as pd


def _read_table(path: str) -> pd.DataFrame:
    """A table with sample labels in its first column (TSV/CSV, optionally gzipped, or
    parquet)."""
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise RRScoreError(f"file not found: {p}")
    suffixes = [s.lower() for s in p.suffixes]
    if ".parquet" in suffixes:
        table = pd.read_parquet(p)
        return table if not isinstance(table.index, pd.RangeIndex) else \
            table.set_index(table.columns[0])
    sep = "," if ".csv" in suffixes else "\t"
    return pd.read_csv(p, sep=sep, index_col=0, low_memory=False)


def _read_scores(path: str):
    """A score table, or an AnnData (``.h5ad``) holding scores in ``obsm``."""
    if path.lower().endswith(".h5ad"):
        import anndata

        if not Path(path).exists():
            raise RRScoreError(f"file not found: {path}")
        return anndata.read_h5ad(path)
    return _read_table(path)


@main.command("compare")
@click.argument("scores_path", metavar="SCORES", type=click.Path(dir_okay=False))
@click.option("--by", "by", multiple=True, required=True, metavar="COLUMN",
              help="Grouping column (of --groups, else of SCORES); repeatable.")
@click.option("--groups", "groups_path", type=click.Path(dir_okay=False),
              help="Annotation table (samples in the first column), e.g. the bundled "
                   "samples.tsv; TCGA barcodes match by sample or patient.")
@click.option("--group", default=None, help="Group of interest (default: 1 for 1/0 columns, "
                                             "else each group against the rest).")
@click.option("--reference", default=None, help="Reference group ('rest': all others).")
@click.option("--sets", multiple=True, metavar="SCORE",
              help="Score columns to test (repeatable; default: all scores).")
@click.option("--test", type=click.Choice(["mannwhitney", "welch"]), default="mannwhitney",
              show_default=True, help="Rank test (Wilcoxon when paired) or Welch t (paired t).")
@click.option("--alternative", type=click.Choice(["two-sided", "greater", "less"]),
              default="two-sided", show_default=True)
@click.option("--pair-key", default=None, metavar="COLUMN",
              help="Pairing column (e.g. patient): paired tests.")
@click.option("--sample-key", default=None, metavar="COLUMN",
              help="Sample of every cell (h5ad): scores averaged per sample before testing.")
@click.option("--replicates", type=click.Choice(["samples", "cells"]), default=None,
              help="'cells' tests cells as replicates (warned); 'samples' declares rows "
                   "independent samples.")
@click.option("--fdr", type=click.Choice(["all", "contrast"]), default="all",
              show_default=True, help="Benjamini-Hochberg over all tests or per contrast.")
@click.option("--key", default="rrscore", show_default=True,
              help="adata.obsm key of the scores (h5ad input).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output (.tsv, .csv, .parquet); default (or -): TSV on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def compare_command(scores_path, by, groups_path, group, reference, sets, test, alternative,
                    pair_key, sample_key, replicates, fdr, key, output, quiet) -> None:
    """Compare the scores in SCORES between groups: effects, tests, BH q-values.

    SCORES is a score table (samples as rows, e.g. from 'rrscore score' or 'rrscore
    radioresistance') or an h5ad scored by rrscore.tl.score. One row per grouping, contrast
    and score.
    """
    from rrscore._outputs import STDOUT_NAMES, OutputPlan
    from rrscore.stats import compare

    if key != "rrscore" and not scores_path.lower().endswith(".h5ad"):
        raise RRScoreError(f"--key {key} names the scores inside an h5ad (adata.obsm); "
                           f"{scores_path} is a table: drop the option")
    plan = OutputPlan([scores_path, groups_path])  # never over an input; atomic at the end
    target = plan.table(output or "-")
    scores = _read_scores(scores_path)
    obs = _read_table(groups_path) if groups_path else None
    result = compare(scores, list(by), group=group, reference=reference,
                     obs=obs, key=key, sets=list(sets) or None, test=test,
                     alternative=alternative, pair_key=pair_key, sample_key=sample_key,
                     replicates=replicates, fdr=fdr)
    result.attrs.clear()
    plan.set_table(target, result)
    plan.commit()
    if not quiet:
        best = result.dropna(subset=["pvalue"]).sort_values("pvalue").head(3)
        lines = [f"{r.score} ({r.group} vs {r.reference}): difference {r.difference:+.3g}, "
                 f"AUC {r.auc:.2f}, p {r.pvalue:.2g}, q {r.qvalue:.2g}"
                 for r in best.itertuples()]
        click.echo(f"rrscore: compare: {len(result)} tests ({result['test'].iloc[0]}, "
                   f"{result['unit'].iloc[0]}); smallest p: " + "; ".join(lines)
                   + (f"; wrote {output}" if output and output not in STDOUT_NAMES else ""),
                   err=True)


@main.command("survival")
@click.argument("scores_path", metavar="SCORES", type=click.Path(dir_okay=False))
@click.option("--clinical", "clinical_path", type=click.Path(dir_okay=False),
              help="Clinical table (patients or samples in the first column); default: "
                   "SCORES' own columns. TCGA tables (vital_status, days_to_death, "
                   "days_to_last_followup) give time and event by rrscore's convention.")
@click.option("--time", default=None, metavar="COLUMN", help="Time column (with --event).")
@click.option("--event", default=None, metavar="COLUMN", help="Event column, 1/0 or dead/alive.")
@click.option("--unit", type=click.Choice(["days", "months", "years"]), default="days",
              show_default=True, help="Time unit of the TCGA derivation.")
@click.option("--radiotherapy", "rt_definition", type=click.Choice(["any", "primary"]),
              default="any", show_default=True,
              help="TCGA radiotherapy label: any record, or primary-field/adjuvant only.")
@click.option("--sets", multiple=True, metavar="SCORE",
              help="Score columns to model (repeatable; default: all scores).")
@click.option("--covariate", "covariates", multiple=True, metavar="COLUMN",
              help="Adjustment column, repeatable (TCGA: age, stage_number, stage).")
@click.option("--interaction", default=None, metavar="COLUMN",
              help="Treatment column (e.g. radiotherapy): score x treatment interaction.")
@click.option("--strata", multiple=True, metavar="COLUMN", help="Stratify the baseline hazard.")
@click.option("--no-standardize", is_flag=True, help="Keep the scores' units (not per SD).")
@click.option("--km-groups", default=None, metavar="COLUMN",
              help="Also write Kaplan-Meier curves by this column (of SCORES or --clinical).")
@click.option("--km-output", type=click.Path(dir_okay=False),
              help="Where the Kaplan-Meier table goes (with --km-groups).")
@click.option("--km-plot", type=click.Path(dir_okay=False),
              help="Kaplan-Meier figure (.png/.pdf/.svg; with --km-groups).")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output (.tsv, .csv, .parquet); default (or -): TSV on stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def survival_command(scores_path, clinical_path, time, event, unit, rt_definition, sets,
                     covariates, interaction, strata, no_standardize, km_groups, km_output,
                     km_plot, output, quiet) -> None:
    """Cox model of each score in SCORES (hazard ratio per SD), with covariates and an
    optional score x treatment interaction; Kaplan-Meier curves by a grouping.

    The event count of every model is in the output (n_events) and on stderr: with few
    events, read the hazard ratios as exploratory.
    """
    import pandas as pd

    from rrscore._outputs import STDOUT_NAMES, OutputPlan
    from rrscore.stats import kaplan_meier, survival, tcga_survival
    from rrscore.stats._clinical import has_tcga_survival

    if (km_output or km_plot) and not km_groups:
        raise RRScoreError("--km-output/--km-plot need --km-groups")
    if time is not None or event is not None:
        # these only shape the TCGA derivation of time and event (and --unit the KM axis)
        if rt_definition != "any":
            raise RRScoreError(f"--radiotherapy {rt_definition} only applies when time and "
                               "event come from TCGA columns, not with --time/--event")
        if unit != "days" and not km_plot:
            raise RRScoreError(f"--unit {unit} converts TCGA days (and labels the --km-plot "
                               "axis); with --time/--event the times are used as given: "
                               "drop it")
    # Every output is checked before any work (never over an input, a known format) and all
    # are written together at the end, atomically.
    plan = OutputPlan([scores_path, clinical_path])
    target = plan.table(output or "-")
    km_target = plan.table(km_output, option="--km-output") if km_output else None
    plot_target = None
    if km_plot:
        import matplotlib

        fmt = Path(km_plot).suffix.lower().lstrip(".")
        matplotlib.use("Agg")
        from matplotlib.figure import Figure

        if fmt not in Figure().canvas.get_supported_filetypes():
            raise RRScoreError(f"--km-plot {km_plot}: {fmt or 'no extension'} is not an image "
                               "format; use .png, .pdf or .svg")
        plot_target = plan.file(km_plot, option="--km-plot")
    scores = _read_scores(scores_path)
    if not isinstance(scores, pd.DataFrame):
        raise RRScoreError("survival takes a score table (samples as rows)")
    clinical = _read_table(clinical_path) if clinical_path else scores
    convention = ""
    if time is None and event is None and has_tcga_survival(clinical):
        derived = tcga_survival(clinical, unit=unit, radiotherapy=rt_definition)
        convention = derived.attrs["rrscore_stats"]["convention"]
        clinical = pd.concat([clinical.drop(columns=[c for c in derived.columns
                                                     if c in clinical.columns]), derived],
                             axis=1)
        time, event = "time", "event"
    result = survival(scores, clinical, time=time, event=event, sets=list(sets) or None,
                      covariates=list(covariates), interaction=interaction,
                      strata=list(strata) or None, standardize=not no_standardize)
    if km_groups:
        from rrscore.stats._inputs import align_rows

        source = clinical if km_groups in clinical.columns else scores
        if km_groups not in source.columns:
            raise RRScoreError(f"--km-groups {km_groups!r} is not a column of SCORES or "
                               "--clinical")
        labels = align_rows(source[km_groups], scores.index, what="km groups")
        curves = kaplan_meier(clinical, labels, time=time, event=event)
        meta = dict(curves.attrs["rrscore_stats"])  # writing the table clears its attrs
        if plot_target is not None:
            from rrscore.pl import km

            fig = km(curves, time_unit=unit, show=False, return_fig=True)
            plan.set_writer(plot_target, lambda tmp: fig.savefig(tmp, format=fmt))
        if km_target is not None:
            curves.attrs.clear()
            plan.set_table(km_target, curves)
        if not quiet:
            test = meta.get("logrank", {})
            arms = ", ".join(f"{g}: {n} patients, {meta['n_events'][g]} events"
                             for g, n in meta["n"].items())
            click.echo(f"rrscore: Kaplan-Meier by {km_groups} ({arms})"
                       + (f"; log-rank p {test['pvalue']:.2g}" if test else ""), err=True)
    result.attrs.clear()
    plan.set_table(target, result)
    plan.commit()
    if not quiet:
        main_rows = result[result["term"] == "score"]
        n = int(main_rows["n"].max()) if len(main_rows) else 0
        events = int(main_rows["n_events"].max()) if len(main_rows) else 0
        click.echo(f"rrscore: survival: {len(main_rows)} scores, up to {n} patients with "
                   f"{events} events per model" + (f" ({convention})" if convention else "")
                   + ("; fewer than 10 events per term: exploratory" if events < 10 else "")
                   + (f"; wrote {output}" if output and output not in STDOUT_NAMES else ""),
                   err=True)
