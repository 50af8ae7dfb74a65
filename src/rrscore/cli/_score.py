"""``rrscore score``, ``rrscore methods`` and ``rrscore genesets``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rrscore.cli._app import (
    DEFAULT_GENE_SETS,
    _input_options,
    _parse_params,
    _table_options,
    main,
)


@main.command("score")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-g", "--gene-sets", default=DEFAULT_GENE_SETS, show_default=True,
              help="GMT file or bundled collection name (see 'rrscore genesets list').")
@click.option("-m", "--method", default="ssgsea", show_default=True,
              help="Scoring method (see 'rrscore methods').")
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file (.tsv, .csv or .parquet); default: TSV on stdout.")
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
    """Score gene sets in INPUT (.tsv/.csv[.gz], .gct, .parquet, .h5ad); samples as rows."""
    from rrscore._api import coverage_report, score
    from rrscore.expression._readers import read_expression, write_table

    data = read_expression(input_path)
    result = score(
        data, gene_sets, method, min_size=min_size, max_size=max_size, orient=orient,
        layer=layer, use_raw=use_raw, duplicates=duplicates, nan_policy=nan_policy,
        map_ids=map_ids, progress=not quiet, **_parse_params(params),
    )
    meta = result.attrs["rrscore"]
    cov = coverage_report(result)
    if coverage_path:
        write_table(cov, coverage_path)
    result.attrs.clear()
    if output:
        write_table(result, output)
    else:
        result.to_csv(sys.stdout, sep="\t")
    if not quiet:
        notes = "; ".join(meta["input"]["notes"])
        click.echo(
            f"rrscore: {meta['method']} on {result.shape[0]} samples × {result.shape[1]} sets "
            f"({int((~cov['kept']).sum())} sets dropped; median coverage "
            f"{cov['coverage'].median():.0%})" + (f"; input: {notes}" if notes else "")
            + (f"; wrote {output}" if output else ""),
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
              help="GMT file to write.")
def genesets_export(name: str, output: str) -> None:
    """Write a bundled collection (or any GMT) as a GMT file."""
    import shutil

    from rrscore.genesets import as_collection, load, write_gmt
    from rrscore.genesets._bundled import collection_path, is_bundled

    if is_bundled(name):
        # The shipped file itself: keeps the _UP/_DN lines and their own descriptions.
        shutil.copyfile(collection_path(name), output)
        click.echo(f"rrscore: wrote {output} ({name} {load(name).version})", err=True)
        return
    write_gmt(as_collection(name), Path(output))
    click.echo(f"rrscore: wrote {output}", err=True)
