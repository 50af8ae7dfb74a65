"""The ``rrscore`` command line."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import click

from rrscore.errors import RRScoreError

DEFAULT_GENE_SETS = "hallmark"


def _parse_value(text: str):
    low = text.strip().lower()
    if low in ("true", "yes", "on"):
        return True
    if low in ("false", "no", "off"):
        return False
    if low in ("none", "null"):
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def _parse_params(pairs: tuple[str, ...]) -> dict:
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--param")
        key, value = pair.split("=", 1)
        params[key.strip().replace("-", "_")] = _parse_value(value)
    return params


class _Group(click.Group):
    """Prints user errors as one line on stderr and exits 1, without a traceback."""

    def invoke(self, ctx):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except RRScoreError as exc:
            click.echo(f"rrscore: error: {exc}", err=True)
            sys.exit(1)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            click.echo(f"rrscore: error: {exc}", err=True)
            sys.exit(1)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    click.echo(f"rrscore: warning: {message}", err=True)

# Options shared by every command that reads an expression file (one definition for all).
_ORIENT = click.option(
    "--orient", type=click.Choice(["auto", "genes_rows", "genes_columns"]), default="auto",
    show_default=True, help="Which axis of a table holds genes.")
_LAYER = click.option("--layer", default=None, help="AnnData layer to score (h5ad input).")
_USE_RAW = click.option("--use-raw/--no-use-raw", default=None,
                        help="Score adata.raw (h5ad input).")
_DUPLICATES = click.option(
    "--duplicates", default="highest_mean", show_default=True,
    type=click.Choice(["highest_mean", "mean", "sum", "max", "first", "error"]),
    help="How to collapse duplicated gene identifiers.")
_MAP_IDS = click.option(
    "--map-ids", default="auto", show_default=True, type=click.Choice(["auto", "symbol", "off"]),
    help="Map Ensembl/Entrez IDs to symbols and match old symbols ('off': exact IDs only).")
_NAN_POLICY = click.option(
    "--nan-policy", default="error", show_default=True,
    type=click.Choice(["error", "drop_genes"]), help="What to do with missing values.")


def _table_options(func):
    """--orient and --duplicates (every command reading a table)."""
    return _ORIENT(_DUPLICATES(func))


def _input_options(func):
    """--layer, --use-raw, --nan-policy, --map-ids (commands that score gene sets)."""
    return _LAYER(_USE_RAW(_NAN_POLICY(_MAP_IDS(func))))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rrscore")
def main() -> None:
    """Score gene sets (and lung-cancer radioresistance) in expression data."""


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


def _write_or_print(table, output: str | None) -> None:
    from rrscore.expression._readers import write_table

    table.attrs.clear()
    if output:
        write_table(table, output)
    else:
        table.to_csv(sys.stdout, sep="\t")


@main.command("radioresistance")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file (.tsv, .csv or .parquet); default: TSV on stdout.")
@click.option("-r", "--reference", "reference", type=click.Path(dir_okay=False),
              help="Fitted reference (JSON from --save-reference) to standardise against; "
                   "default: INPUT itself (scores relative to this cohort).")
@click.option("--save-reference", type=click.Path(dir_okay=False),
              help="Fit the reference on INPUT and save it as JSON (needs no --reference).")
@click.option("--mutations", type=click.Path(dir_okay=False),
              help="MAF, or a samples × genes 1/0 table (columns KEAP1 or mut_KEAP1, ...): "
                   "adds the driver columns (never blended into the composite).")
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
def radioresistance_command(input_path, output, reference, save_reference, mutations, method,
                            params, weights, gene_sets, contributions_path, orient, layer,
                            use_raw, duplicates, nan_policy, map_ids, quiet) -> None:
    """Radioresistance score of INPUT: mechanism z-scores, composite, percentile; samples as rows.

    Without --reference the cohort in INPUT is its own reference: every score is relative to
    it. To score single samples, fit a reference on a cohort once (--save-reference) and pass
    it with --reference.
    """
    from rrscore.expression._readers import read_expression
    from rrscore.radiation._composite import radioresistance

    if reference and save_reference:
        raise click.UsageError("--save-reference fits on INPUT; it cannot go with --reference")
    weight_map = None
    if weights:
        weight_map = {}
        for pair in weights:
            if "=" not in pair:
                raise click.BadParameter(f"expected MECHANISM=W, got {pair!r}",
                                         param_hint="--weight")
            key, value = pair.split("=", 1)
            weight_map[key.strip()] = _parse_value(value)
    data = read_expression(input_path)
    result = radioresistance(
        data, method=method, reference=reference, weights=weight_map, mutations=mutations,
        gene_sets=gene_sets, return_contributions=True, orient=orient, layer=layer,
        use_raw=use_raw, duplicates=duplicates, nan_policy=nan_policy, map_ids=map_ids,
        **_parse_params(params),
    )
    scores, contributions, scorer = result
    meta = scores.attrs["rrscore"]
    if save_reference:
        scorer.save(save_reference)
    if contributions_path:
        _write_or_print(contributions, contributions_path)
    _write_or_print(scores, output)
    if not quiet:
        ref = meta["reference"]
        where = ("this cohort (scores are relative to it)" if ref["source"] == "cohort"
                 else f"{ref['source']} ({ref['n_samples']} samples)")
        click.echo(
            f"rrscore: radioresistance ({meta['method']}, {len(meta['mechanisms'])} mechanisms) "
            f"of {scores.shape[0]} samples against {where}"
            + (f"; saved reference {save_reference}" if save_reference else "")
            + (f"; wrote {output}" if output else ""),
            err=True,
        )


@main.command("rsi")
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False),
              help="Output file (.tsv, .csv or .parquet); default: TSV on stdout.")
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
    """
    from rrscore.expression._readers import read_expression
    from rrscore.radiation import dose_for_gard, gard, rsi

    if fractions <= 0 or dose <= 0:
        raise click.BadParameter("--fractions and --dose must be positive")
    values = rsi(read_expression(input_path), orient=orient, duplicates=duplicates,
                 missing=missing)
    table = values.to_frame()
    table.index.name = "sample"
    table["GARD"] = gard(values, fractions=fractions, dose=dose, nonpositive=nonpositive)
    if target_gard is not None:
        table["dose_for_gard"] = dose_for_gard(values, target_gard, dose=dose,
                                               nonpositive=nonpositive)
    _write_or_print(table, output)


if __name__ == "__main__":  # pragma: no cover
    main()
