"""``rrscore radioresistance`` and ``rrscore rsi``."""

from __future__ import annotations

import click

from rrscore.cli._app import (
    _input_options,
    _table_options,
    main,
    refuse_ignored,
)
from rrscore.errors import RRScoreError


@main.command("radioresistance")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file (.tsv, .csv, .parquet or .h5ad); default (or -): TSV on "
                   "stdout.")
@click.option("-r", "--reference", "reference", type=click.Path(dir_okay=False),
              help="Fitted reference (JSON from --save-reference) to standardise against; "
                   "default: INPUT itself (scores relative to this cohort).")
@click.option("--save-reference", type=click.Path(dir_okay=False),
              help="Fit the reference on INPUT and save it as JSON (needs no --reference).")
@click.option("--mutations", type=click.Path(dir_okay=False),
              help="MAF, or a samples × genes 1/0 table (columns KEAP1 or mut_KEAP1, ...): "
                   "adds the driver columns (never blended into the composite).")
@click.option("--sequenced", type=click.Path(dir_okay=False),
              help="Text file, one sample ID per line: every sample sequenced for --mutations; "
                   "a sequenced sample absent from the MAF is wild type (0), not unknown.")
@click.option("--adjust", "adjust", multiple=True,
              type=click.Choice(["proliferation", "stromal", "immune"]),
              help="Adjust the mechanism scores for this confounder (repeatable): each "
                   "mechanism z becomes its residual from an OLS on the confounders fitted on "
                   "the reference. Proliferation is both sensitising per fraction and a driver "
                   "of repopulation: adjusting for it removes radiation biology too.")
@click.option("--significance", type=click.IntRange(min=0), default=0, show_default=True,
              metavar="N",
              help="N random gene sets per set size: adds <mechanism>_null_z and <mechanism>_p "
                   "(each sample's score against size-matched random sets); 0: off.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the random sets of --significance.")
@click.option("-m", "--method", default=None,
              help="Scoring method (default singscore; with --reference: the reference's).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Method parameter, repeatable (e.g. -m ssgsea -p normalize=false).")
@click.option("-w", "--weight", "weights", multiple=True, metavar="MECHANISM=W",
              help="Composite weight, repeatable; the mechanisms named are the ones that "
                   "enter the composite (default: all, equal weights).")
@click.option("-g", "--gene-sets", default=None,
              help="Mechanism collection: bundled name or GMT (default: mechanisms).")
@click.option("--contributions", "contributions_path", type=click.Path(dir_okay=False),
              help="Also write each mechanism's contribution (weight × z) to this file.")
@_table_options
@_input_options
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def radioresistance_command(input_path, output, reference, save_reference, mutations,
                            sequenced, adjust, significance, seed, method, params, weights,
                            gene_sets, contributions_path, orient, layer, use_raw, duplicates,
                            nan_policy, map_ids, quiet) -> None:
    """Radioresistance score of INPUT: mechanism z-scores, composite, percentile, and the
    proliferation, stromal and immune scores beside them; samples as rows.

    Each mechanism is read by the gene set of genesets/composite.tsv (composite v2); signed
    sets weigh their parts by size. Without --reference the cohort in INPUT is its own
    reference: every score is relative to it. To score single samples, fit a reference on a
    cohort once (--save-reference) and pass it with --reference.
    """
    from rrscore._outputs import STDOUT_NAMES, OutputPlan
    from rrscore.cli._params import parse_method_params, parse_weights, reference_method
    from rrscore.expression._readers import read_expression
    from rrscore.radiation._composite import radioresistance

    if reference and save_reference:
        raise click.UsageError("--save-reference fits on INPUT; it cannot go with --reference")
    weight_map = parse_weights(weights)
    method_params = parse_method_params(params, method or reference_method(reference))
    if significance == 1:
        raise click.BadParameter("needs at least 2 random sets (0 turns it off)",
                                 param_hint="--significance")
    if seed != 0 and not significance:
        raise RRScoreError(f"--seed {seed} only applies with --significance N (the random "
                           "sets); drop it or add --significance")
    refuse_ignored(input_path, orient=orient, layer=layer, use_raw=use_raw)
    plan = OutputPlan([input_path, reference, mutations, gene_sets, sequenced])
    out_path = plan.table(output or "-")
    contrib_path = (plan.table(contributions_path, option="--contributions")
                    if contributions_path else None)
    ref_path = (plan.file(save_reference, option="--save-reference")
                if save_reference else None)
    if (save_reference and save_reference not in STDOUT_NAMES
            and not save_reference.lower().endswith(".json")):
        raise RRScoreError(f"--save-reference {save_reference}: the reference is JSON; give "
                           "a .json name")
    data = read_expression(input_path)
    result = radioresistance(
        data, method=method, reference=reference, weights=weight_map, mutations=mutations,
        sequenced=sequenced, gene_sets=gene_sets, adjust=list(adjust) or None,
        significance=significance or False, seed=seed, return_contributions=True,
        orient=orient, layer=layer,
        use_raw=use_raw, duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids,
        **method_params,
    )
    scores, contributions, scorer = result
    meta = scores.attrs["rrscore"]
    if ref_path is not None:
        plan.set_writer(ref_path, scorer.save)
    if contrib_path is not None:
        plan.set_table(contrib_path, contributions)
    plan.set_table(out_path, scores)
    plan.commit()
    if not quiet:
        ref = meta["reference"]
        where = ("this cohort (scores are relative to it)" if ref["source"] == "cohort"
                 else f"{ref['source']} ({ref['n_samples']} samples)")
        click.echo(
            f"rrscore: radioresistance ({meta['method']}, {len(meta['mechanisms'])} mechanisms) "
            f"of {scores.shape[0]} samples against {where}"
            + (f"; saved reference {save_reference}" if save_reference else "")
            + (f"; wrote {output}" if output and output not in STDOUT_NAMES else ""),
            err=True,
        )


@main.command("rsi")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file (.tsv, .csv, .parquet or .h5ad); default (or -): TSV on "
                   "stdout.")
@click.option("--fractions", type=float, default=30, show_default=True,
              help="Number of fractions for GARD.")
@click.option("--dose", type=float, default=2.0, show_default=True,
              help="Dose per fraction (Gy) for GARD.")
@click.option("--target-gard", type=float, default=None,
              help="Also give the total dose (Gy) reaching this GARD at --dose per fraction.")
@click.option("--missing", type=click.Choice(["error", "warn"]), default="error",
              show_default=True, help="Missing RSI genes: stop, or rank the others (off-scale).")
@click.option("--nonpositive", type=click.Choice(["nan", "error", "clip"]), default="nan",
              show_default=True, help="GARD for RSI <= 0: NaN, stop, or clip RSI at 0.01.")
@_table_options
def rsi_command(input_path, output, fractions, dose, target_gard, missing, nonpositive, orient,
                duplicates) -> None:
    """Radiosensitivity index (Eschrich 2009) and GARD of every sample in INPUT.

    Columns: RSI (high = radioresistant), GARD for FRACTIONS × DOSE Gy, and with
    --target-gard the total dose needed to reach it.

    NOT FOR DOSE DECISIONS: RSI, GARD and the dose for a target GARD are research quantities.
    RSI is defined on absolute log2 intensities of U133 arrays (RMA); on log-ratio (two-colour
    Agilent), centred, count or RNA-seq data its values are off the published scale, and a
    warning says so.
    """
    import math

    from rrscore._outputs import OutputPlan
    from rrscore.expression._readers import read_expression
    from rrscore.radiation import dose_for_gard, gard, rsi

    # checked before reading anything, in the CLI's words (the library says "dose must...")
    for flag, value in (("--fractions", fractions), ("--dose", dose),
                        ("--target-gard", target_gard)):
        if value is not None and not (math.isfinite(value) and value > 0):
            raise RRScoreError(f"{flag} {value:g}: must be a finite positive number")
    refuse_ignored(input_path, orient=orient)
    plan = OutputPlan([input_path])
    out_path = plan.table(output or "-")
    values = rsi(read_expression(input_path), orient=orient, duplicates=duplicates,
                 missing=missing)
    table = values.to_frame()
    table.index.name = "sample"
    table["GARD"] = gard(values, fractions=fractions, dose=dose, nonpositive=nonpositive)
    if target_gard is not None:
        table["dose_for_gard"] = dose_for_gard(values, target_gard, dose=dose,
                                               nonpositive=nonpositive)
    plan.set_table(out_path, table)
    plan.commit()


if __name__ == "__main__":  # pragma: no cover
    main()
