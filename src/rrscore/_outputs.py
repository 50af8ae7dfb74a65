"""Every file a command writes: checked before any work, written atomically, all or nothing.

A command declares its inputs and its outputs up front (:class:`OutputPlan`). Before scoring:

* an output that resolves to any input file (the expression table, a reference JSON, a MAF,
  a GMT) is refused — ``rrscore score expr.tsv -o expr.tsv`` would replace the data;
* two outputs naming the same file are refused;
* an output whose directory does not exist, or whose extension names a format rrscore does
  not write, is refused (``.xlsx``, ``.json`` tables were silently written as TSV text).

After the work, :meth:`OutputPlan.commit` writes each output to a temporary file in its target
directory and only when all of them are complete renames them into place (``os.replace``,
atomic on one file system). A failed run — an error, a full disk, a killed process before
the renames — leaves no new or truncated file behind, and never a side file (coverage,
contributions, saved reference) describing a run whose main table was not written.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from rrscore.errors import RRScoreError

#: Table formats by extension (a trailing ``.gz`` compresses ``.tsv``/``.csv``/``.txt``).
TABLE_FORMATS = {".tsv": "tsv", ".txt": "tsv", ".tab": "tsv", ".csv": "csv",
                 ".parquet": "parquet", ".h5ad": "h5ad"}


def table_format(path: str | os.PathLike) -> str:
    """The format a table is written in, from the file name; raises for unsupported ones."""
    name = Path(path).name.lower()
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    suffix = Path(base).suffix
    fmt = TABLE_FORMATS.get(suffix)
    if fmt is None or (gz and fmt in ("parquet", "h5ad")):
        raise RRScoreError(
            f"cannot write {Path(path).name!r}: output formats are .tsv, .txt, .csv (each "
            "optionally .gz), .parquet and .h5ad (scores in obsm['rrscore'])"
        )
    return fmt


def _write_table(table: pd.DataFrame, path: Path, fmt: str, compress: bool) -> None:
    table = table.copy()
    table.attrs = {}
    if fmt == "parquet":
        try:
            table.to_parquet(path)
        except ImportError as exc:
            raise RRScoreError(f"writing parquet needs pyarrow: pip install 'rrscore[io]' "
                               f"({exc})") from None
    elif fmt == "h5ad":
        import anndata as ad

        obs = pd.DataFrame(index=table.index.astype(str))
        adata = ad.AnnData(obs=obs)
        scores = table.copy()
        scores.index = obs.index
        scores.columns = scores.columns.astype(str)
        adata.obsm["rrscore"] = scores
        adata.write_h5ad(path)
    else:
        sep = "," if fmt == "csv" else "\t"
        table.to_csv(path, sep=sep, compression="gzip" if compress else None)


class OutputPlan:
    """The outputs of one command run, checked against its inputs and written at the end.

    Parameters
    ----------
    inputs
        Paths the command reads (``None`` entries and non-file names such as bundled
        collection names are ignored).

    Raises
    ------
    RRScoreError
        From :meth:`table`/:meth:`file` for an output that is an input, repeated, in a
        missing directory or of an unsupported format.
    """

    def __init__(self, inputs: list[str | os.PathLike | None]) -> None:
        self._inputs = {}
        for p in inputs:
            if p is None:
                continue
            path = Path(p)
            if path.exists():
                self._inputs[path.resolve()] = str(p)
        self._pending: list[tuple[Path, Callable[[Path], None]]] = []

    def _check(self, path: str | os.PathLike, option: str) -> Path:
        target = Path(path)
        resolved = target.resolve()
        # samefile also catches hard links and another spelling of the same file on a
        # case-insensitive file system (macOS, Windows), which resolve() does not
        if target.exists() and resolved not in self._inputs:
            for inp in self._inputs:
                if os.path.samefile(target, inp):
                    resolved = inp
                    break
        if resolved in self._inputs:
            raise RRScoreError(
                f"{option} {path} is an input of this command ({self._inputs[resolved]}); "
                "refusing to write over it — choose another output name"
            )
        if any(resolved == p.resolve() for p, _ in self._pending):
            raise RRScoreError(f"{option} {path} is already an output of this command")
        if not resolved.parent.is_dir():
            raise RRScoreError(f"{option} {path}: the directory {resolved.parent} does not "
                               "exist")
        if target.is_dir():
            raise RRScoreError(f"{option} {path} is a directory")
        return target

    def table(self, path: str | os.PathLike, table: pd.DataFrame | None = None, *,
              option: str = "-o/--output") -> Path:
        """Plan a table output (its format from the extension); set its content later.

        Returns the path; :meth:`set_table` gives the content once it is computed.
        """
        target = self._check(path, option)
        fmt = table_format(target)
        compress = target.name.lower().endswith(".gz")
        holder: dict[str, pd.DataFrame | None] = {"table": table}

        def write(tmp: Path) -> None:
            if holder["table"] is None:
                raise RuntimeError(f"no content was given for {target}")
            _write_table(holder["table"], tmp, fmt, compress)

        self._pending.append((target, write))
        self._tables = getattr(self, "_tables", {})
        self._tables[target] = holder
        return target

    def set_table(self, path: Path, table: pd.DataFrame) -> None:
        """The content of a planned table output."""
        self._tables[path]["table"] = table

    def file(self, path: str | os.PathLike, writer: Callable[[Path], None] | None = None, *,
             option: str) -> Path:
        """Plan an output written by ``writer(temporary_path)`` (e.g. a JSON reference)."""
        target = self._check(path, option)
        holder = {"writer": writer}

        def write(tmp: Path) -> None:
            if holder["writer"] is None:
                raise RuntimeError(f"no writer was given for {target}")
            holder["writer"](tmp)

        self._pending.append((target, write))
        self._writers = getattr(self, "_writers", {})
        self._writers[target] = holder
        return target

    def set_writer(self, path: Path, writer: Callable[[Path], None]) -> None:
        """The writer of a planned file output."""
        self._writers[path]["writer"] = writer

    def commit(self) -> None:
        """Write every planned output to a temporary file, then rename them all into place."""
        written: list[tuple[Path, Path]] = []
        try:
            for target, write in self._pending:
                fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part",
                                           dir=target.resolve().parent)
                os.close(fd)
                written.append((Path(tmp), target))
                write(Path(tmp))
        except BaseException:
            for tmp, _ in written:
                tmp.unlink(missing_ok=True)
            raise
        mode = _new_file_mode()
        for tmp, target in written:
            # mkstemp creates 0600 files; an output gets the mode a plain open() would give
            os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists() else mode)
            os.replace(tmp, target)


def _new_file_mode() -> int:
    """0666 minus the process umask: the mode ``open(path, "w")`` would create."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
