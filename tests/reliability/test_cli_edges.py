"""CLI edges of every subcommand (fresh-user report of issue 10: F6, F13, F14, F15, F21, F22,
F24, F25): typed -p everywhere, write errors said as write errors, no temporary file left by
a signal, options that would be ignored refused, directories named as such, gzip headers with
the real name, ``-o -`` as standard output, and formats refused by extension."""

from __future__ import annotations

import gzip
import io
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
from rrscore import _outputs as outputs
from rrscore.cli import main
from rrscore.errors import DroppedSetsWarning, GeneSetError, RRScoreError

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/data/tcga_luad_agilent"


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A small expression table and a score table with groups, time and event."""
    folder = tmp_path_factory.mktemp("cli_edges")
    expr = pd.read_csv(EXAMPLE / "expr.tsv.gz", sep="\t", index_col=0).dropna().iloc[:3000, :8]
    expr.to_csv(folder / "expr.tsv", sep="\t")
    rng = np.random.default_rng(3)
    n = 16
    scores = pd.DataFrame({"A": rng.normal(size=n), "B": rng.normal(size=n),
                           "grp": np.arange(n) % 2, "time": 100.0 + 37 * np.arange(n),
                           "event": (np.arange(n) % 3 > 0).astype(int)},
                          index=pd.Index([f"S{i}" for i in range(n)], name="sample"))
    scores.to_csv(folder / "scores.tsv", sep="\t")
    return folder


@pytest.fixture
def work(data_dir, tmp_path) -> Path:
    """Copies of the inputs in an empty folder."""
    for name in ("expr.tsv", "scores.tsv"):
        (tmp_path / name).write_bytes((data_dir / name).read_bytes())
    return tmp_path


def _run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def _names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    errors = [line for line in result.output.splitlines() if line.startswith("rrscore: error:")]
    assert len(errors) == 1, result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


def _command(kind: str, work: Path, out: str) -> list[str]:
    """Every subcommand, writing its main output to ``out``."""
    expr, scores = str(work / "expr.tsv"), str(work / "scores.tsv")
    return {
        "score": ["score", expr, "-m", "zscore", "-q", "-o", out],
        "radioresistance": ["radioresistance", expr, "-q", "-o", out],
        "rsi": ["rsi", expr, "--missing", "warn", "-o", out],
        "compare": ["compare", scores, "--by", "grp", "--sets", "A", "-q", "-o", out],
        "survival": ["survival", scores, "--time", "time", "--event", "event", "--sets", "A",
                     "-q", "-o", out],
        "report": ["report", expr, "-q", "-o", out],
        "genesets export": ["genesets", "export", "mechanisms", "-o", out],
    }[kind]


TABLE_COMMANDS = ["score", "radioresistance", "rsi", "compare", "survival"]
ALL_COMMANDS = [*TABLE_COMMANDS, "report", "genesets export"]
EXTENSION = {"report": "html", "genesets export": "gmt"}


# F13: -p typed by the method's dataclass in every command that takes it -------------------


@pytest.mark.parametrize("command", ["score", "radioresistance", "report"])
@pytest.mark.parametrize(("method", "param", "message"), [
    ("ssgsea", "alpha=abc", "alpha takes a number"),
    ("ucell", "max_rank=abc", "max_rank takes an integer"),
    ("singscore", "nosuch=1", "has no parameter 'nosuch'"),
])
def test_every_p_option_is_typed_by_the_method(work, command, method, param, message):
    out = work / ("out.html" if command == "report" else "out.tsv")
    result = _run(command, work / "expr.tsv", "-m", method, "-p", param, "-q", "-o", out)
    _one_line_error(result, message)
    assert _names(work) == {"expr.tsv", "scores.tsv"}


def test_report_p_values_reach_the_scorer_typed(work, monkeypatch):
    """`report -p kcdf=none` was None (an error) and `-p alpha=0.5` a guess from the text."""
    import rrscore.report as report_module

    seen = {}

    def fake_report(data, output, **kwargs):
        seen.update(kwargs)
        return Path(output)

    monkeypatch.setattr(report_module, "report", fake_report)
    assert _run("report", work / "expr.tsv", "-m", "gsva", "-p", "kcdf=none", "-q",
                "-o", work / "r.html").exit_code == 0
    assert seen["kcdf"] == "none"
    assert _run("report", work / "expr.tsv", "-m", "ssgsea", "-p", "alpha=1", "-p",
                "normalize=false", "-q", "-o", work / "r.html").exit_code == 0
    assert seen["alpha"] == 1.0 and isinstance(seen["alpha"], float)
    assert seen["normalize"] is False
    result = _run("report", work / "expr.tsv", "-w", "RR_EMT=abc", "-q", "-o", work / "r.html")
    _one_line_error(result, "-w RR_EMT=abc", "a weight is a number")


def test_a_typed_parameter_changes_the_scores_as_in_the_api(work):
    """`-p kcdf=none` selects GSVA's "none" kernel: the CLI equals the API with kcdf="none"
    and differs from the default kernel."""
    expr = pd.read_csv(work / "expr.tsv", sep="\t", index_col=0)
    none_out, default_out = work / "none.tsv", work / "default.tsv"
    for extra, out in ((["-p", "kcdf=none"], none_out), ([], default_out)):
        result = _run("radioresistance", work / "expr.tsv", "-m", "gsva", *extra, "-q",
                      "-o", out)
        assert result.exit_code == 0, result.output
    got = pd.read_csv(none_out, sep="\t", index_col=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedSetsWarning)  # a 3,000-gene panel
        api = rrscore.radioresistance(expr, method="gsva", kcdf="none")
    np.testing.assert_allclose(got["composite"], api["composite"], rtol=1e-10)
    default = pd.read_csv(default_out, sep="\t", index_col=0)
    assert np.abs(got["composite"] - default["composite"]).max() > 1e-3
    report = _run("report", work / "expr.tsv", "-m", "gsva", "-p", "kcdf=none", "-q",
                  "-o", work / "r.html")
    assert report.exit_code == 0, report.output
    assert (work / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


# F15: write errors are write errors --------------------------------------------------------


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_a_missing_output_directory_is_one_line_for_every_command(work, command):
    ext = EXTENSION.get(command, "tsv")
    result = _run(*_command(command, work, str(work / "nodir" / f"out.{ext}")))
    _one_line_error(result, "does not exist", "rrscore: error: -o")  # the CLI's spelling
    assert "cannot read" not in result.output
    assert _names(work) == {"expr.tsv", "scores.tsv"}


@pytest.mark.parametrize("command", ALL_COMMANDS)
def test_an_output_under_a_regular_file_is_one_line(work, command):
    (work / "afile").write_text("x")
    ext = EXTENSION.get(command, "tsv")
    result = _run(*_command(command, work, str(work / "afile" / f"out.{ext}")))
    _one_line_error(result, "is a file, not a directory")
    assert _names(work) == {"expr.tsv", "scores.tsv", "afile"}


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not stop root")
def test_a_read_only_directory_or_file_is_refused_before_any_work(work):
    locked = work / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = _run("score", work / "expr.tsv", "-m", "zscore", "-o", locked / "s.tsv")
        _one_line_error(result, f"cannot write '{locked / 's.tsv'}'", "permission denied")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o755)
    kept = work / "kept.tsv"
    kept.write_text("results\n")
    kept.chmod(0o444)
    result = _run("score", work / "expr.tsv", "-m", "zscore", "-o", kept)
    _one_line_error(result, "read-only")
    assert kept.read_text() == "results\n"


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_a_full_disk_says_cannot_write_and_leaves_nothing(work, command, monkeypatch):
    def full(table, path, fmt, compress, **kwargs):
        with open(path, "w") as handle:
            handle.write("sample\tA\nS0\t0.")  # half a table, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(outputs, "_write_table", full)
    target = work / "out.tsv"
    result = _run(*_command(command, work, str(target)))
    _one_line_error(result, f"cannot write '{target}': No space left on device")
    assert "cannot read the input" not in result.output
    assert _names(work) == {"expr.tsv", "scores.tsv"}


def test_a_failing_file_writer_is_an_output_write_error(tmp_path):
    """Report HTML, GMT, JSON references go through the same plan: an OSError there is an
    OutputWriteError (an RRScoreError and still an OSError), and no file is left."""
    plan = outputs.OutputPlan([])
    first = plan.table(tmp_path / "a.tsv", pd.DataFrame({"x": [1.0]}, index=["s"]))

    def no_space(tmp):
        tmp.write_text("<html>")
        raise OSError(28, "No space left on device")

    plan.file(tmp_path / "r.html", no_space, option="-o")
    with pytest.raises(outputs.OutputWriteError,
                       match=r"cannot write '.*r\.html': No space left") as info:
        plan.commit()
    assert isinstance(info.value, OSError) and isinstance(info.value, RRScoreError)
    assert list(tmp_path.iterdir()) == [] and not first.exists()


# F6: signals while outputs are written ------------------------------------------------------

_KILL_SCRIPT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import pandas as pd
    from rrscore import _outputs as o

    folder, sig, when = Path(sys.argv[1]), getattr(signal, sys.argv[2]), sys.argv[3]
    real_write, real_replace, calls = o._write_table, os.replace, []

    def dying_write(table, path, fmt, compress, **kwargs):
        calls.append(path)
        if when == "write" and len(calls) == 2:
            Path(path).write_text("sample\\tA\\nS0\\t0.")  # half a table
            os.kill(os.getpid(), sig)
        real_write(table, path, fmt, compress, **kwargs)

    def dying_replace(src, dst):
        real_replace(src, dst)
        if when == "rename" and not calls.append("renamed") and calls.count("renamed") == 1:
            os.kill(os.getpid(), sig)  # between the renames of the two outputs

    o._write_table, os.replace = dying_write, dying_replace
    table = pd.DataFrame({"A": [1.0, 2.0]}, index=["S0", "S1"])
    plan = o.OutputPlan([])
    for name in ("main.tsv", "side.tsv"):
        plan.table(folder / name, table)
    plan.commit()
    print("finished")
""")


def _default_signals() -> None:
    # a child inherits ignored signals (pytest under nohup ignores SIGHUP; a background job
    # of a non-interactive shell ignores SIGINT), and rrscore rightly leaves an ignored
    # signal alone: the test needs the signals' default actions
    for name in ("SIGHUP", "SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)


def _kill_run(folder: Path, sig: str, when: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _KILL_SCRIPT, str(folder), sig, when],
                          capture_output=True, text=True, timeout=120,
                          preexec_fn=_default_signals)


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGHUP"])
def test_a_signal_while_writing_leaves_no_temporary_file(tmp_path, sig):
    done = _kill_run(tmp_path, sig, "write")
    assert "finished" not in done.stdout
    if sig == "SIGINT":
        assert "KeyboardInterrupt" in done.stderr
    else:  # the process still ends as killed by the signal
        assert done.returncode == -getattr(signal, sig), done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_signal_between_renames_waits_until_every_output_is_in_place(tmp_path):
    done = _kill_run(tmp_path, "SIGTERM", "rename")
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert _names(tmp_path) == {"main.tsv", "side.tsv"}  # both, complete; no .part
    for name in ("main.tsv", "side.tsv"):
        assert pd.read_csv(tmp_path / name, sep="\t", index_col=0)["A"].tolist() == [1.0, 2.0]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_a_cli_run_terminated_while_writing_leaves_nothing(work):
    script = textwrap.dedent("""
        import os, signal, sys
        from rrscore import _outputs as o
        from rrscore.cli import main
        real, calls = o._write_table, []
        def dying(table, path, fmt, compress, **kwargs):
            calls.append(path)
            if len(calls) == 2:
                open(path, "w").write("sample\\tX\\nS0\\t0.")
                os.kill(os.getpid(), signal.SIGTERM)
            real(table, path, fmt, compress, **kwargs)
        o._write_table = dying
        sys.argv = ["rrscore"] + sys.argv[1:]
        main()
    """)
    done = subprocess.run([sys.executable, "-c", script, "score", str(work / "expr.tsv"),
                           "-q", "-m", "zscore", "-o", str(work / "out.tsv"), "--coverage",
                           str(work / "cov.tsv")], capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGTERM, done.stderr
    assert _names(work) == {"expr.tsv", "scores.tsv"}


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_parts_left_by_sigkill_are_removed_only_when_provably_stale(tmp_path):
    """SIGKILL runs no handler: the killed run's parts stay until the same output is written
    again; then only parts of this host's dead processes, untouched for STALE_AFTER_S, go."""
    done = _kill_run(tmp_path, "SIGKILL", "write")
    assert done.returncode == -signal.SIGKILL
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 2 and all(n.endswith(".part") for n in left), left
    main_part = next(n for n in left if n.startswith(".main.tsv."))
    side_part = next(n for n in left if n.startswith(".side.tsv."))
    dead = int(outputs._PART.match(main_part)["pid"])
    host = outputs._host_tag()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        kept = [f".main.tsv.rrscore-{host}-{sleeper.pid}-livepid1.part",  # a live process
                f".main.tsv.rrscore-otherhost-{dead}-otherhst.part",  # another host
                "notours.part", side_part]  # not rrscore's; another output's
        for name in kept[:3]:
            (tmp_path / name).write_text("x")
        old = time.time() - 2 * outputs.STALE_AFTER_S
        for path in tmp_path.iterdir():
            os.utime(path, (old, old))
        young = f".main.tsv.rrscore-{host}-{dead}-young123.part"  # dead but recent
        (tmp_path / young).write_text("x")
        plan = outputs.OutputPlan([])
        plan.table(tmp_path / "main.tsv", pd.DataFrame({"A": [1.0]}, index=["S0"]))
        plan.commit()
    finally:
        sleeper.kill()
        sleeper.wait()
    assert _names(tmp_path) == {"main.tsv", young, *kept}  # only the stale part went


# F21: options the input would silently ignore ------------------------------------------------


@pytest.mark.parametrize("command", ["score", "radioresistance", "report"])
@pytest.mark.parametrize(("option", "message"), [
    (["--layer", "counts"], "--layer counts only applies to AnnData"),
    (["--use-raw"], "--use-raw only applies to AnnData"),
])
def test_anndata_options_on_a_table_are_refused(work, command, option, message):
    out = work / ("r.html" if command == "report" else "o.tsv")
    result = _run(command, work / "expr.tsv", *option, "-q", "-o", out)
    _one_line_error(result, message)
    assert _names(work) == {"expr.tsv", "scores.tsv"}


def test_table_only_and_conditional_options_are_refused_where_they_do_nothing(work):
    import anndata as ad

    expr = pd.read_csv(work / "expr.tsv", sep="\t", index_col=0)
    ad.AnnData(expr.T.astype(float)).write_h5ad(work / "cells.h5ad")
    _one_line_error(_run("score", work / "cells.h5ad", "--orient", "genes_rows", "-q"),
                    "--orient genes_rows only applies to tables")
    _one_line_error(_run("rsi", work / "cells.h5ad", "--orient", "genes_columns"),
                    "--orient genes_columns only applies to tables")
    _one_line_error(_run("radioresistance", work / "expr.tsv", "--seed", "4", "-q"),
                    "--seed 4 only applies with --significance")
    _one_line_error(_run("compare", work / "scores.tsv", "--by", "grp", "--key", "X", "-q"),
                    "--key X names the scores inside an h5ad")
    _one_line_error(_run("survival", work / "scores.tsv", "--time", "time", "--event", "event",
                         "--radiotherapy", "primary", "-q"),
                    "--radiotherapy primary only applies")
    _one_line_error(_run("survival", work / "scores.tsv", "--time", "time", "--event", "event",
                         "--unit", "months", "-q"), "--unit months")
    _one_line_error(_run("survival", work / "scores.tsv", "--time", "time", "--event", "event",
                         "--km-output", work / "km.tsv", "-q"), "need --km-groups")
    for flag, value in (("--dose", "nan"), ("--fractions", "0"), ("--target-gard", "-5"),
                        ("--dose", "inf")):
        _one_line_error(_run("rsi", work / "expr.tsv", flag, value),
                        f"{flag} {value}: must be a finite positive number")


def test_library_messages_use_the_cli_spelling():
    from rrscore.cli._app import cli_spelling

    assert cli_spelling("Give sample_key=<donor column> or replicates='cells'") == \
        "Give --sample-key <donor column> or --replicates cells"
    assert cli_spelling("use_raw=True but adata.raw is None") == \
        "--use-raw but adata.raw is None"
    assert cli_spelling("pass nan_policy='drop_genes'") == "pass --nan-policy drop_genes"
    assert cli_spelling("give time= and event= columns") == "give --time and --event columns"


# F22: a directory given as a file -------------------------------------------------------------


def test_a_directory_as_gene_sets_says_so(work):
    for args in (["score", work / "expr.tsv", "-g", work, "-q"],
                 ["genesets", "show", work], ["genesets", "export", work, "-o", "x.gmt"]):
        _one_line_error(_run(*args), f"{work} is a directory")
    with pytest.raises(GeneSetError, match="is a directory"):
        rrscore.read_gmt(work)
    with pytest.raises(GeneSetError, match="not found"):
        rrscore.read_gmt(work / "missing.gmt")


# F24: gzip headers name the output, not its temporary file -------------------------------


def _gzip_name(path: Path) -> str:
    """The FNAME field of a gzip member's header (RFC 1952)."""
    raw = path.read_bytes()
    assert raw[:2] == b"\x1f\x8b" and raw[3] & 0x08, "no file name in the header"
    assert not raw[3] & 0x04  # no FEXTRA: the name starts at byte 10
    return raw[10:raw.index(b"\x00", 10)].decode("latin-1")


def test_gzip_outputs_record_their_own_name(work):
    out = work / "scores.tsv.gz"
    assert _run("score", work / "expr.tsv", "-m", "zscore", "-q", "-o", out).exit_code == 0
    assert _gzip_name(out) == "scores.tsv"
    table = pd.read_csv(out, sep="\t", index_col=0)
    expected = rrscore.score(pd.read_csv(work / "expr.tsv", sep="\t", index_col=0),
                             "hallmark", "zscore", low_coverage=0)
    np.testing.assert_allclose(table.to_numpy(), expected.to_numpy(), rtol=1e-12)
    gmt = work / "mech.gmt.gz"
    assert _run("genesets", "export", "mechanisms", "-o", gmt).exit_code == 0
    assert _gzip_name(gmt) == "mech.gmt"
    assert rrscore.read_gmt(gmt).names == rrscore.read_gmt(
        Path(rrscore.genesets._bundled.collection_path("mechanisms"))).names


# F25: -o - is standard output ------------------------------------------------------------


@pytest.mark.parametrize("command", TABLE_COMMANDS)
def test_dash_is_stdout_like_no_output(work, command):
    args = _command(command, work, "-")
    dash = _run(*args)
    assert dash.exit_code == 0, dash.output
    i = args.index("-o")
    plain = _run(*args[:i], *args[i + 2:])
    assert plain.exit_code == 0, plain.output
    assert dash.stdout == plain.stdout
    table = pd.read_csv(io.StringIO(dash.stdout), sep="\t", index_col=0)
    assert len(table) > 0
    assert _names(work) == {"expr.tsv", "scores.tsv"}


def test_dash_for_report_html_and_gmt(work):
    gmt = _run("genesets", "export", "mechanisms", "-o", "-")
    assert gmt.exit_code == 0
    from rrscore.genesets._bundled import collection_path

    assert gmt.stdout == Path(collection_path("mechanisms")).read_text(encoding="utf-8")
    html = _run("report", work / "expr.tsv", "-q", "-o", "-")
    assert html.exit_code == 0, html.output
    assert html.stdout.startswith("<!DOCTYPE html>") and html.stdout.rstrip().endswith("</html>")
    assert _names(work) == {"expr.tsv", "scores.tsv"}


def test_only_one_output_may_go_to_stdout(work):
    _one_line_error(_run("score", work / "expr.tsv", "-q", "--coverage", "-"),
                    "standard output already carries")
    _one_line_error(_run("radioresistance", work / "expr.tsv", "-q", "-o", "-",
                         "--contributions", "-"), "standard output already carries")
    result = _run("score", work / "expr.tsv", "-m", "zscore", "-q", "-o", work / "s.tsv",
                  "--coverage", "-")
    assert result.exit_code == 0, result.output
    coverage = pd.read_csv(io.StringIO(result.stdout), sep="\t", index_col=0)
    assert "coverage" in coverage.columns and (work / "s.tsv").exists()


# F14: an extension the command cannot write is refused, nothing written ------------------


@pytest.mark.parametrize(("args", "name", "message"), [
    (["compare", "{scores}", "--by", "grp", "-q", "-o"], "x.json", "output formats are"),
    (["compare", "{scores}", "--by", "grp", "-q", "-o"], "x.xlsx", "output formats are"),
    (["survival", "{scores}", "--time", "time", "--event", "event", "-q", "-o"], "x.xlsx",
     "output formats are"),
    (["survival", "{scores}", "--time", "time", "--event", "event", "--km-groups", "grp",
      "-q", "--km-output"], "km.json", "output formats are"),
    (["rsi", "{expr}", "--missing", "warn", "-o"], "r.xlsx", "output formats are"),
    (["radioresistance", "{expr}", "-q", "--contributions"], "c.json", "output formats are"),
    (["radioresistance", "{expr}", "-q", "--save-reference"], "ref.tsv", "is JSON"),
    (["report", "{expr}", "-q", "-o"], "r.tsv", "the report is HTML"),
    (["genesets", "export", "hallmark", "-o"], "h.tsv", "written as GMT"),
    (["score", "{expr}", "-q", "-o"], "s.parquet.gz", "output formats are"),
])
def test_an_output_extension_the_command_cannot_write_is_refused(work, args, name, message):
    argv = [a.replace("{scores}", str(work / "scores.tsv")).replace("{expr}",
                                                                     str(work / "expr.tsv"))
            for a in args] + [str(work / name)]
    _one_line_error(_run(*argv), message)
    assert _names(work) == {"expr.tsv", "scores.tsv"}


def test_a_closed_pipe_ends_quietly(work):
    """`rrscore ... | head`: the reader leaves; no traceback, no "cannot read the input"."""
    proc = subprocess.Popen([sys.executable, "-c", "from rrscore.cli import main; main()",
                             "genesets", "export", "hallmark", "-o", "-"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in err and "cannot read" not in err and "Exception" not in err


def test_gzip_module_reads_back_what_the_header_names(work):
    """The gzip stream written beside the header is a complete, standard one."""
    out = work / "s.csv.gz"
    assert _run("score", work / "expr.tsv", "-m", "zscore", "-q", "-o", out).exit_code == 0
    with gzip.open(out, "rt", encoding="utf-8") as handle:
        assert handle.readline().startswith("sample,")
