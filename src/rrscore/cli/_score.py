"""``rrscore score``, ``rrscore methods`` and ``rrscore genesets``."""

from __future__ import annotations

import click

from rrscore.cli._app import (
    DEFAULT_GENE_SETS,
    _input_options,
    _table_options,
    main,
    refuse_ignored,
)


@main.command("score")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-g", "--gene-sets", default=DEFAULT_GENE_SETS, show_default=True,
              help="GMT file or bundled collection name (see 'rrscore genesets list').")
@click.option("-m", "--method", default="ssgsea", show_default=True,
              help="Scoring method (see 'rrscore methods').")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file (.tsv, .csv, .parquet or .h5ad); default (or -): TSV on "
                   "stdout.")
@click.option("--min-size", type=int, default=1, show_default=True,
              help="Minimum number of set genes found in the data.")
@click.option("--max-size", type=float, default=float("inf"),
              help="Maximum number of set genes found in the data.")
@click.option("-p", "--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Method parameter, repeatable (e.g. -p alpha=0.25 -p normalize=false).")
@_table_options
@_input_options
@click.option("--coverage", "coverage_path", type=click.Path(dir_okay=False),
              help="Also write the per-set coverage report (TSV).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary on stderr.")
def score_command(input_path, gene_sets, method, output, orient, min_size, max_size, params,
                  layer, use_raw, duplicates, nan_policy, map_ids, coverage_path,
                  quiet) -> None:
    """Score gene sets in INPUT (.tsv/.csv[.gz], .gct, .parquet, .h5ad); samples as rows.

    Outputs (-o, --coverage) are checked before any work (never an input file, an existing
    directory, a known format by extension) and written atomically once everything is
    computed: a failed run leaves no file behind.
    """
    from rrscore._api import coverage_report, score
    from rrscore._outputs import OutputPlan
    from rrscore.cli._params import parse_method_params
    from rrscore.expression._readers import read_expression

    method_params = parse_method_params(params, method)
    refuse_ignored(input_path, orient=orient, layer=layer, use_raw=use_raw)
    plan = OutputPlan([input_path, gene_sets])
    out_path = plan.table(output or "-")
    cov_path = plan.table(coverage_path, option="--coverage") if coverage_path else None
    data = read_expression(input_path)
    result = score(
        data, gene_sets, method, min_size=min_size, max_size=max_size, orient=orient,
        layer=layer, use_raw=use_raw, duplicates=duplicates, nan_policy=nan_policy,
        map_ids=map_ids, progress=not quiet, **method_params,
    )
    meta = result.attrs["rrscore"]
    cov = coverage_report(result)
    result.attrs.clear()
    if cov_path is not None:
        plan.set_table(cov_path, cov)
    plan.set_table(out_path, result)
    plan.commit()
    if not quiet:
        from rrscore._records import COLLAPSED_NOTE

        # the duplicate collapse was a warning line already
        notes = "; ".join(n for n in meta["input"]["notes"] if not COLLAPSED_NOTE.match(n))
        dropped = list(cov.index[~cov["kept"].astype(bool)])
        click.echo(
            f"rrscore: {meta['method']} on {result.shape[0]} samples × {result.shape[1]} sets "
            f"({len(dropped)} sets dropped{': ' + ', '.join(dropped[:10]) if dropped else ''}"
            f"{' ...' if len(dropped) > 10 else ''}; median coverage "
            f"{cov['coverage'].median():.0%}; input scale {meta['input_scale']['kind']})"
            + (f"; input: {notes}" if notes else "")
            + (f"; wrote {output}" if output and output != "-" else ""),
            err=True,
        )


@main.command("methods")
def methods_command() -> None:
    """List the scoring methods and their parameters."""
    from rrscore.methods import list_methods

    for _, row in list_methods().iterrows():
        click.echo(f"{row['method']:<12} {row['summary']}")
        click.echo(f"{'':<12} parameters: {row['parameters'] or '-'}")
        click.echo(f"{'':<12} reference: {row['reference']}")


@main.group("genesets")
def genesets_group() -> None:
    """Bundled gene-set collections."""


@genesets_group.command("list")
def genesets_list() -> None:
    """List bundled collections with versions and sizes."""
    from rrscore.genesets import list_collections

    table = list_collections()
    for _, row in table.iterrows():
        click.echo(
            f"{row['name']:<14} {row['version']:<14} {row['n_sets']:>4} sets "
            f"{row['n_genes']:>6} genes  {row['title']}  [{row['licence']}]"
        )


@genesets_group.command("show")
@click.argument("name")
def genesets_show(name: str) -> None:
    """Show the sets of a bundled collection or GMT file (name, size, direction, description)."""
    from rrscore.genesets import as_collection

    coll = as_collection(name)
    click.echo(
        f"rrscore: {coll.name} {coll.version or '(no version)'}: {len(coll)} sets", err=True
    )
    for gs in coll:
        if gs.signed:
            size = f"{len(gs.up)} up / {len(gs.down)} down"
        else:
            size = f"{len(gs.up)} gene{'s' if len(gs.up) != 1 else ''}"
        click.echo(f"{gs.name}\t{size}\t{gs.description}")


@genesets_group.command("export")
@click.argument("name")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="GMT file to write (.gmt, or .gmt.gz gzipped; - for stdout).")
def genesets_export(name: str, output: str) -> None:
    """Write a bundled collection (or any GMT) as a GMT file."""
    import shutil

    from rrscore._outputs import STDOUT_NAMES, OutputPlan
    from rrscore.errors import RRScoreError
    from rrscore.genesets import as_collection, load, write_gmt
    from rrscore.genesets._bundled import collection_path, is_bundled

    low = output.lower()
    if output not in STDOUT_NAMES and not low.endswith((".gmt", ".gmt.gz")):
        raise RRScoreError(f"-o {output}: gene sets are written as GMT; give a .gmt (or "
                           ".gmt.gz) name, or - for stdout")
    plan = OutputPlan([name])  # checked before reading: never over an input
    target = plan.file(output, option="-o")
    if is_bundled(name):
        # The shipped file itself: keeps the _UP/_DN lines and their own descriptions.
        source = collection_path(name)

        def write_text(tmp):
            shutil.copyfile(source, tmp)
        done = f"{name} {load(name).version}"
    else:
        collection = as_collection(name)

        def write_text(tmp):
            write_gmt(collection, tmp)
        done = None
    if low.endswith(".gz"):
        plan.set_writer(target, lambda tmp: _gzip_in_place(write_text, tmp, target.name))
    else:
        plan.set_writer(target, write_text)
    plan.commit()
    if output not in STDOUT_NAMES:
        click.echo(f"rrscore: wrote {output}" + (f" ({done})" if done else ""), err=True)


def _gzip_in_place(write_text, tmp, name: str) -> None:
    """``write_text(tmp)``, then ``tmp`` gzipped, its header naming ``name``."""
    import gzip

    write_text(tmp)
    data = tmp.read_bytes()
    with open(tmp, "wb") as raw, gzip.GzipFile(filename=name, mode="wb", fileobj=raw) as gz:
        gz.write(data)
