"""The ``rrscore`` command group, its error handling and the options shared by commands."""

from __future__ import annotations

import os
import re
import sys
import warnings
import zlib
from pathlib import Path

import click

from rrscore.errors import RRScoreError, RRScoreWarning

DEFAULT_GENE_SETS = "hallmark"


#: Python spellings of the shared options and their CLI flags, for error messages.
_CLI_SPELLING = {
    "nan_policy": "--nan-policy", "duplicates": "--duplicates", "orient": "--orient",
    "map_ids": "--map-ids", "min_size": "--min-size", "max_size": "--max-size",
    "layer": "--layer", "use_raw": "--use-raw", "gene_sets": "--gene-sets",
    "sample_key": "--sample-key", "pair_key": "--pair-key", "replicates": "--replicates",
    "time": "--time", "event": "--event",
}
_PY_OPTION = re.compile(r"\b(" + "|".join(_CLI_SPELLING) + r")\s*=\s*"
                        r"(?:(<[^>]*>)|(['\"]?)([\w.+-]*)\3)")


def _flag(match: re.Match) -> str:
    flag, value = _CLI_SPELLING[match.group(1)], match.group(2) or match.group(4) or ""
    if flag == "--use-raw" and value in ("True", "False"):
        return "--use-raw" if value == "True" else "--no-use-raw"  # a click flag pair
    return f"{flag} {value}".rstrip()


def cli_spelling(message: str) -> str:
    """``message`` with Python option spellings (``nan_policy='drop_genes'``,
    ``sample_key=<column>``, ``use_raw=True``) in CLI form."""
    return _PY_OPTION.sub(_flag, message)


class _Group(click.Group):
    """Prints user errors as one line on stderr and exits 1, without a traceback."""

    def invoke(self, ctx):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("default")
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except RRScoreError as exc:
            # includes OutputWriteError: "cannot write '<path>': <reason>"
            click.echo(f"rrscore: error: {cli_spelling(str(exc))}", err=True)
            sys.exit(1)
        except BrokenPipeError:
            # `rrscore score x.tsv | head`: the reader left; end quietly, as Unix tools do
            _silence_stdout()
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


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush into a closed pipe
    prints nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file descriptor (tests)
        pass


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


def refuse_ignored(input_path: str, *, orient: str = "auto", layer: str | None = None,
                   use_raw: bool | None = None) -> None:
    """One-line error for an input option that INPUT's format would silently ignore.

    ``--layer``/``--use-raw`` choose a matrix inside an AnnData (``.h5ad``); ``--orient``
    says which axis of a table holds genes (an h5ad's genes are always its ``var``).

    Raises
    ------
    RRScoreError
        For ``--layer`` or ``--use-raw`` with a table, ``--orient`` (other than auto) with h5ad.
    """
    name = Path(input_path).name.lower()
    for packed in (".gz", ".bz2", ".xz", ".zip"):
        name = name.removesuffix(packed)
    if not name.endswith(".h5ad"):
        given = ([f"--layer {layer}"] if layer is not None else []) + (
            ["--use-raw"] if use_raw else [])
        if given:
            raise RRScoreError(
                f"{' and '.join(given)} only appl{'ies' if len(given) == 1 else 'y'} to "
                f"AnnData (.h5ad) input; {input_path} "
                "is a table, whose values are scored as they are: drop the option"
            )
    elif orient != "auto":
        raise RRScoreError(
            f"--orient {orient} only applies to tables; in an h5ad the genes are always "
            f"adata.var ({input_path}): drop the option"
        )


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rrscore")
def main() -> None:
    """Score gene sets (and lung-cancer radioresistance) in expression data."""
