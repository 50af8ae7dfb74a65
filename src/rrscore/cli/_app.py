"""The ``rrscore`` command group, its error handling and the options shared by commands."""

from __future__ import annotations

import re
import sys
import warnings
import zlib

import click

from rrscore.errors import RRScoreError, RRScoreWarning

DEFAULT_GENE_SETS = "hallmark"


#: Python spellings of the shared options and their CLI flags, for error messages.
_CLI_SPELLING = {
    "nan_policy": "--nan-policy", "duplicates": "--duplicates", "orient": "--orient",
    "map_ids": "--map-ids", "min_size": "--min-size", "max_size": "--max-size",
    "layer": "--layer", "use_raw": "--use-raw", "gene_sets": "--gene-sets",
}
_PY_OPTION = re.compile(r"\b(" + "|".join(_CLI_SPELLING) + r")\s*=\s*(['\"]?)([\w.+-]*)\2")


def cli_spelling(message: str) -> str:
    """``message`` with Python option spellings (``nan_policy='drop_genes'``) in CLI form."""
    return _PY_OPTION.sub(
        lambda m: f"{_CLI_SPELLING[m.group(1)]} {m.group(3)}".rstrip(), message
    )


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
            click.echo(f"rrscore: error: {cli_spelling(str(exc))}", err=True)
            sys.exit(1)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            click.echo(f"rrscore: error: {exc}", err=True)
            sys.exit(1)
        except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
            # a file that is not what its name says (gzip that is not, truncated or corrupt
            # binary formats, text in an unexpected encoding): one line, no traceback
            click.echo(f"rrscore: error: cannot read the input: {type(exc).__name__}: {exc}",
                       err=True)
            sys.exit(1)


def _show_warning(message, category, filename, lineno, file=None, line=None):
    # rrscore's own warnings only: a dependency's notes (anndata's file-format warnings on
    # h5ad input, numba's deprecations) would bury the ones about the user's data
    if isinstance(category, type) and issubclass(category, RRScoreWarning):
        click.echo(f"rrscore: warning: {cli_spelling(str(message))}", err=True)

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




def _write_or_print(table, output: str | None) -> None:
    from rrscore.expression._readers import write_table

    table.attrs.clear()
    if output:
        write_table(table, output)
    else:
        table.to_csv(sys.stdout, sep="\t")
