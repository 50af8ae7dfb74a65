"""``rrscore report``: one self-contained HTML report of a cohort."""

from __future__ import annotations

import shlex

import click

from rrscore.cli._app import _input_options, _table_options, main, refuse_ignored
from rrscore.errors import RRScoreError


def _command_line(ctx: click.Context) -> str:
    """The command as it ran, rebuilt from the parsed values (options left at their default
    omitted), so the report records what made it whatever the shell or caller."""
    words = ["rrscore", ctx.info_name or "report"]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if isinstance(param, click.Argument):
            words.append(str(value))
            continue
        if value is None or value == param.default or value == () or param.name == "quiet":
            continue
        flag = max(param.opts, key=len)
        if getattr(param, "is_flag", False):
            if param.secondary_opts and value is False:
                words.append(max(param.secondary_opts, key=len))
            elif value:
                words.append(flag)
            continue
        for item in value if param.multiple else (value,):
            words.extend([flag, str(item)])
    return " ".join(shlex.quote(w) for w in words)


@main.command("report")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), default="report.html",
              show_default=True, help="The HTML file to write (- for stdout).")
@click.option("--mutations", type=click.Path(dir_okay=False),
              help="MAF, or a samples × genes 1/0 table: adds the driver bars and section.")
@click.option("--annotations", type=click.Path(dir_okay=False),
              help="Sample annotations (TSV/CSV, sample names in the first column), for "
                   "--groupby.")
@click.option("--groupby", default=None,
              help="Column of --annotations (or of the scores, e.g. driver_KRAS) whose groups "
                   "are compared, each against the rest.")
@click.option("-r", "--reference", type=click.Path(dir_okay=False),
              help="Fitted reference (JSON from 'rrscore radioresistance --save-reference'); "
                   "default: INPUT itself.")
@click.option("-m", "--method", default=None,
              help="Scoring method (default singscore; with --reference: the reference's).")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Method parameter, repeatable.")
@click.option("-w", "--weight", "weights", multiple=True, metavar="MECHANISM=W",
              help="Composite weight, repeatable (default: all mechanisms, equal weights).")
@click.option("-g", "--gene-sets", default=None,
              help="Mechanism collection: bundled name or GMT (default: mechanisms).")
@click.option("--title", default=None, help="Title of the page.")
@click.option("--top", "n_top", type=click.IntRange(min=1), default=5, show_default=True,
              help="Highest and lowest composites whose contributions are shown.")
@_table_options
@_input_options
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def report_command(input_path, output, mutations, annotations, groupby, reference, method,
                   params, weights, gene_sets, title, n_top, orient, layer, use_raw,
                   duplicates, nan_policy, map_ids, quiet) -> None:
    """Write one self-contained HTML report of INPUT's radioresistance profile.

    Sections: input summary, coverage per set, mechanisms × samples heatmap, composite
    distribution and percentiles, contributions of the top and bottom samples, drivers,
    confounders, group comparisons (with --groupby) and the command, versions and
    collection checksum that made it.
    """
    from rrscore._outputs import STDOUT_NAMES, OutputPlan
    from rrscore.cli._params import parse_method_params, parse_weights, reference_method
    from rrscore.report import report

    weight_map = parse_weights(weights)
    # typed by the method's own parameters, as in `score` and `radioresistance`
    method_params = parse_method_params(params, method or reference_method(reference))
    if groupby is not None and annotations is None and not groupby.startswith("driver_"):
        raise click.UsageError("--groupby needs --annotations (or a driver_* column)")
    to_stdout = output in STDOUT_NAMES
    # report() refuses an output that is an input and writes atomically (fresh-user F1)
    if not to_stdout and not str(output).lower().endswith((".html", ".htm")):
        raise RRScoreError(f"-o/--output {output}: the report is HTML; give a .html name "
                           "(or - for stdout)")
    refuse_ignored(input_path, orient=orient, layer=layer, use_raw=use_raw)
    if not to_stdout:
        # report() checks its output too; here the same checks speak the CLI's -o spelling
        OutputPlan([input_path, mutations, annotations, reference, gene_sets]).file(
            output, option="-o/--output")
    command = _command_line(click.get_current_context())
    target = report(
        input_path, None if to_stdout else output, mutations=mutations,
        annotations=annotations, groupby=groupby,
        reference=reference, method=method, gene_sets=gene_sets, weights=weight_map,
        title=title, n_top=n_top, command=command, orient=orient, layer=layer,
        use_raw=use_raw, duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids,
        **method_params,
    )
    if to_stdout:
        click.echo(target, nl=False)  # the HTML text
    elif not quiet:
        click.echo(f"rrscore: wrote the report {target}", err=True)
