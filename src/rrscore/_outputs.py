"""Every file a command writes: checked before any work, written atomically, all or nothing.

A command declares its inputs and its outputs up front (:class:`OutputPlan`). Before scoring:

* an output that resolves to any input file (the expression table, a reference JSON, a MAF,
  a GMT) is refused — ``rrscore score expr.tsv -o expr.tsv`` would replace the data;
* two outputs naming the same file are refused;
* an output whose directory does not exist or is not writable, an existing output that is
  read-only or not a regular file (``/dev/null`` as root would be replaced by a plain file),
  or an extension naming a format rrscore does not write is refused (``.xlsx``, ``.json``
  tables were silently written as TSV text);
* ``-`` (or ``/dev/stdout``) is standard output: tables are written there as TSV, at most
  one output per command.

After the work, :meth:`OutputPlan.commit` writes each output to a temporary file in its target
directory and only when all of them are complete renames them into place (``os.replace``,
atomic on one file system). A failed run — an error, a full disk, SIGINT/SIGTERM/SIGHUP
before the renames — leaves no new or truncated file behind, and never a side file
(coverage, contributions, saved reference) describing a run whose main table was not
written. A write that fails is an :class:`OutputWriteError` (``cannot write '<path>': ...``).

SIGKILL (``kill -9``, the out-of-memory killer) stops the process with no chance to clean
up: the real names are untouched, but the temporary ``.NAME.rrscore-HOST-PID-XXXXXXXX.part``
files of that run stay. The next run that writes the same output removes them when they
are provably stale: written on this host, by a process that no longer exists, and not
modified for :data:`STALE_AFTER_S` seconds. Parts of any other program, host or live
process are never touched.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from rrscore.errors import RRScoreError

#: Table formats by extension (a trailing ``.gz`` compresses ``.tsv``/``.csv``/``.txt``).
TABLE_FORMATS = {".tsv": "tsv", ".txt": "tsv", ".tab": "tsv", ".csv": "csv",
                 ".parquet": "parquet", ".h5ad": "h5ad"}
#: Names that mean standard output.
STDOUT_NAMES = ("-", "/dev/stdout")
#: The planned path standing for standard output.
STDOUT = Path("-")
#: A leftover temporary file of a dead process is removed once this old (seconds).
STALE_AFTER_S = 300.0


class OutputWriteError(RRScoreError, OSError):
    """An output could not be written (full disk, no permission...); nothing was left."""


def table_format(path: str | os.PathLike) -> str:
    """The format a table is written in, from the file name; raises for unsupported ones.

    ``-`` (standard output) is TSV.
    """
    if str(path) in STDOUT_NAMES:
        return "tsv"
    name = Path(path).name.lower()
    gz = name.endswith(".gz")
    base = name[:-3] if gz else name
    suffix = Path(base).suffix
    fmt = TABLE_FORMATS.get(suffix)
    if fmt is None or (gz and fmt in ("parquet", "h5ad")):
        raise RRScoreError(
            f"cannot write {Path(path).name!r}: output formats are .tsv, .txt, .csv (each "
            "optionally .gz), .parquet and .h5ad (scores in obsm['rrscore']), or - for TSV "
            "on standard output"
        )
    return fmt


def _has_row_labels(table: pd.DataFrame) -> bool:
    """False for a result table numbered 0..n-1 (compare, survival): writing the numbers would
    add an unnamed first column."""
    return not (isinstance(table.index, pd.RangeIndex) and table.index.name is None)


def _write_table(table: pd.DataFrame, path: Path, fmt: str, compress: bool, *,
                 name: str | None = None) -> None:
    """Write ``table`` to ``path``; ``name`` is the real file name a gzip header records
    (``path`` is a temporary file)."""
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
        # a result table numbered 0..n-1 (compare, survival) has no row labels to write:
        # the numbers would be an unnamed first column
        index = _has_row_labels(table)
        if not compress:
            table.to_csv(path, sep=sep, index=index)
            return
        # gzip records a file name in its header (`gunzip -N` restores it): the output's
        # own name, not the temporary file's
        with open(path, "wb") as raw, \
                gzip.GzipFile(filename=name or Path(path).name, mode="wb", fileobj=raw) as gz, \
                io.TextIOWrapper(gz, encoding="utf-8", newline="") as text:
            table.to_csv(text, sep=sep, lineterminator="\n", index=index)


def _copy_to_stdout(path: Path) -> None:
    data = path.read_bytes()
    stream = sys.stdout
    if hasattr(stream, "buffer"):
        stream.flush()
        stream.buffer.write(data)
        stream.buffer.flush()
    else:  # pragma: no cover - a text-only stream
        stream.write(data.decode("utf-8"))


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
        missing or read-only directory, of an unsupported format, or a second output on
        standard output; :class:`OutputWriteError` from :meth:`commit`.
    """

    def __init__(self, inputs: list[str | os.PathLike | None]) -> None:
        self._inputs = {}
        for p in inputs:
            if p is None:
                continue
            path = Path(p)
            if path.exists():
                self._inputs[path.resolve()] = str(p)
        self._pending: list[tuple[Path, Callable[[Path], None], str]] = []
        self._tables: dict[Path, dict] = {}
        self._writers: dict[Path, dict] = {}

    def _check(self, path: str | os.PathLike, option: str) -> Path:
        if str(path) in STDOUT_NAMES:
            for planned, _, other in self._pending:
                if planned == STDOUT:
                    raise RRScoreError(f"{option} {path}: standard output already carries "
                                       f"{other}; give {option} a file name")
            return STDOUT
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
        if any(p != STDOUT and resolved == p.resolve() for p, _, _ in self._pending):
            raise RRScoreError(f"{option} {path} is already an output of this command")
        parent = resolved.parent
        if not parent.exists():
            raise RRScoreError(f"{option} {path}: the directory {parent} does not exist")
        if not parent.is_dir():
            raise RRScoreError(f"{option} {path}: {parent} is a file, not a directory")
        if target.is_dir():
            raise RRScoreError(f"{option} {path} is a directory")
        if target.exists() and not target.is_file():
            # a device or FIFO would be replaced by a plain file (as root: /dev/null)
            raise RRScoreError(f"{option} {path} is not a regular file; give a file name "
                               "(or - for standard output)")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise RRScoreError(f"cannot write '{path}': the directory {parent} is not "
                               "writable (permission denied)")
        if target.exists() and not os.access(target, os.W_OK):
            raise RRScoreError(f"cannot write '{path}': the file is read-only (permission "
                               "denied); remove it or choose another name")
        return target

    def table(self, path: str | os.PathLike, table: pd.DataFrame | None = None, *,
              option: str = "-o/--output") -> Path:
        """Plan a table output (its format from the extension); set its content later.

        Returns the path (:data:`STDOUT` for ``-``); :meth:`set_table` gives the content
        once it is computed.
        """
        target = self._check(path, option)
        fmt = table_format(path)
        compress = target.name.lower().endswith(".gz")
        holder: dict[str, pd.DataFrame | None] = {"table": table}

        def write(tmp: Path | None) -> None:
            if holder["table"] is None:
                raise RuntimeError(f"no content was given for {target}")
            if tmp is None:  # standard output: streamed, no temporary file
                out = holder["table"].copy()
                out.attrs = {}
                out.to_csv(sys.stdout, sep="\t", index=_has_row_labels(out))
                return
            _write_table(holder["table"], tmp, fmt, compress, name=target.name)

        self._pending.append((target, write, f"{option} {path}"))
        self._tables[target] = holder
        return target

    def set_table(self, path: Path, table: pd.DataFrame) -> None:
        """The content of a planned table output."""
        self._tables[path]["table"] = table

    def file(self, path: str | os.PathLike, writer: Callable[[Path], None] | None = None, *,
             option: str) -> Path:
        """Plan an output written by ``writer(temporary_path)`` (e.g. a JSON reference).

        For ``-`` the writer writes a temporary file whose bytes then go to standard output.
        """
        target = self._check(path, option)
        holder = {"writer": writer}

        def write(tmp: Path) -> None:
            if holder["writer"] is None:
                raise RuntimeError(f"no writer was given for {target}")
            holder["writer"](tmp)

        self._pending.append((target, write, f"{option} {path}"))
        self._writers[target] = holder
        return target

    def set_writer(self, path: Path, writer: Callable[[Path], None]) -> None:
        """The writer of a planned file output."""
        self._writers[path]["writer"] = writer

    def commit(self) -> None:
        """Write every planned output to a temporary file, then rename them all into place;
        then write the standard-output one, if any.

        Raises
        ------
        OutputWriteError
            When a file cannot be written (full disk, permissions...); no output, new or
            partial, and no temporary file is left.
        """
        files = [(t, w) for t, w, _ in self._pending if t != STDOUT]
        with _signals_clean_up() as state:
            written: list[tuple[Path, Path]] = []
            try:
                for target, write in files:
                    directory = target.resolve().parent
                    _remove_stale_parts(directory, target.name)
                    try:
                        state["defer"] = True  # no signal between creating and recording
                        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{_tag()}-",
                                                   suffix=".part", dir=directory)
                        os.close(fd)
                        written.append((Path(tmp), target))
                        _resume(state)
                        write(Path(tmp))
                    except OutputWriteError:
                        raise
                    except OSError as exc:
                        raise _write_error(target, exc) from exc
                mode = _new_file_mode()
                state["defer"] = True  # a signal now waits until every rename is done
                for tmp, target in written:
                    try:
                        # mkstemp creates 0600 files; an output gets the mode open() gives
                        os.chmod(tmp, target.stat().st_mode & 0o777 if target.exists()
                                 else mode)
                        os.replace(tmp, target)
                    except OSError as exc:
                        raise _write_error(target, exc) from exc
                _resume(state)
            except BaseException:
                for tmp, _ in written:
                    tmp.unlink(missing_ok=True)
                raise
            for target, write, _ in self._pending:
                if target == STDOUT:
                    try:
                        if target in self._tables:
                            write(None)
                        else:
                            _file_to_stdout(write)
                    except BrokenPipeError:
                        raise  # the reader left (`| head`): the caller ends quietly
                    except OSError as exc:
                        raise OutputWriteError(f"cannot write to standard output: "
                                               f"{exc.strerror or exc}") from exc


def _file_to_stdout(write: Callable[[Path], None]) -> None:
    """``write`` into a temporary file, then its bytes to standard output."""
    fd, tmp = tempfile.mkstemp(prefix=".rrscore-stdout.", suffix=".part")
    os.close(fd)
    try:
        write(Path(tmp))
        _copy_to_stdout(Path(tmp))
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_error(target: Path, exc: OSError) -> OutputWriteError:
    reason = exc.strerror or str(exc) or type(exc).__name__
    return OutputWriteError(f"cannot write '{target}': {reason}")


def _host_tag() -> str:
    host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[:24]
    return host or "host"


def _tag() -> str:
    """The tag of this process's temporary files: host and PID, so that a later run can
    tell a dead run's leftovers from a live one's."""
    return f"rrscore-{_host_tag()}-{os.getpid()}"


_PART = re.compile(r"^\.(?P<name>.+)\.rrscore-(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-"
                   r"[a-z0-9_]+\.part$")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):
        return True  # exists (another user's) or cannot tell: keep its files
    return True


def _remove_stale_parts(directory: Path, name: str) -> None:
    """Remove this output's temporary files left by a killed rrscore run on this host."""
    if os.name != "posix":
        return
    host, now = _host_tag(), time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _PART.match(entry.name)
        if (match is None or match["name"] != name or match["host"] != host
                or int(match["pid"]) == os.getpid() or _pid_alive(int(match["pid"]))):
            continue
        try:
            if (entry.is_file(follow_symlinks=False)
                    and now - entry.stat(follow_symlinks=False).st_mtime >= STALE_AFTER_S):
                os.unlink(entry.path)
        except OSError:
            pass  # gone already, or not ours to remove


class _Interrupted(BaseException):
    """SIGTERM/SIGHUP while outputs are written (a BaseException: no `except Exception`
    in a writer swallows it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def _signals_clean_up() -> Iterator[dict]:
    """While outputs are written, SIGTERM/SIGHUP/SIGINT raise (so that the temporary files
    are removed) and, once renames start, wait until they are done; then the process ends
    as the signal would have ended it. Handlers set by the caller are left alone."""
    state: dict = {"defer": False, "pending": None}

    def handler(signum, frame):
        if state["defer"]:
            state["pending"] = signum
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise _Interrupted(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for name, default in (("SIGTERM", signal.SIG_DFL), ("SIGHUP", signal.SIG_DFL),
                              ("SIGINT", signal.default_int_handler)):
            sig = getattr(signal, name, None)
            if sig is not None and signal.getsignal(sig) is default:
                previous[sig] = signal.signal(sig, handler)
    try:
        yield state
    except _Interrupted as exc:
        for sig, old in previous.items():
            signal.signal(sig, old)
        previous.clear()
        os.kill(os.getpid(), exc.signum)  # the default action: end as killed by it
        raise SystemExit(128 + exc.signum) from None
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _resume(state: dict) -> None:
    """End the deferral of signals; act on one that arrived meanwhile."""
    state["defer"] = False
    signum, state["pending"] = state["pending"], None
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    if signum is not None:
        raise _Interrupted(signum)


def _new_file_mode() -> int:
    """0666 minus the process umask: the mode ``open(path, "w")`` would create."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask
