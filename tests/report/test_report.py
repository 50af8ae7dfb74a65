"""``rrscore report`` on the bundled TCGA cohort: one self-contained HTML file holding every
section, checked in its content and rendered in headless Chromium (skips without it)."""

from __future__ import annotations

import base64
import hashlib
import html.parser
import io
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import rrscore
import rrscore.report
from rrscore.cli import main

pytest.importorskip("jinja2")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
COHORT = ROOT / "examples" / "data" / "tcga_luad_agilent"
SECTIONS = ("input", "coverage", "heatmap", "composite", "contributions", "drivers",
            "confounders", "groups", "provenance")


class _Page(html.parser.HTMLParser):
    """Section texts, table cells and image sources of a page."""

    def __init__(self):
        super().__init__()
        self.section: str | None = None
        self.text: dict[str, list[str]] = {}
        self.images: list[str] = []
        self.external: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.section = attrs.get("id")
            self.text[self.section] = []
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for name in ("src", "href"):
            value = attrs.get(name) or ""
            if value and not value.startswith(("data:", "#")):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag == "section":
            self.section = None

    def handle_data(self, data):
        if self.section is not None and data.strip():
            self.text[self.section].append(data.strip())


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    args = ["report", str(COHORT / "expr.tsv.gz"), "-o", str(out), "--mutations",
            str(COHORT / "samples.tsv"), "--annotations", str(COHORT / "samples.tsv"),
            "--groupby", "pathologic_stage", "--nan-policy", "drop_genes", "--top", "4"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert list(out.parent.iterdir()) == [out]  # one file, nothing beside it
    parsed = _Page()
    parsed.feed(out.read_text(encoding="utf-8"))
    return out, parsed


def _joined(parsed, section) -> str:
    return " | ".join(parsed.text[section])


def test_report_is_one_self_contained_file_with_every_section(page):
    _, parsed = page
    assert list(parsed.text) == list(SECTIONS)
    assert parsed.external == []  # no link, script or image outside the file
    assert len(parsed.images) == 5  # coverage, heatmap, composite, contributions, groups
    for src in parsed.images:
        assert src.startswith("data:image/png;base64,")
        image = matplotlib.image.imread(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert image.shape[0] > 100 and image[..., :3].std() > 0.05


def test_input_coverage_and_composite_sections_hold_the_cohort(page):
    _, parsed = page
    expr = pd.read_csv(COHORT / "expr.tsv.gz", sep="\t", index_col=0)
    text = _joined(parsed, "input")
    assert f"genes in the input | {expr.shape[0]}" in text
    assert f"samples in the input | {expr.shape[1]}" in text
    n_nan = int(expr.isna().any(axis=1).sum())
    assert f"dropped {n_nan} genes with missing values" in text
    digest = hashlib.sha256((COHORT / "expr.tsv.gz").read_bytes()).hexdigest()
    assert digest in text
    coverage = _joined(parsed, "coverage")
    collection = pd.read_csv(ROOT / "genesets" / "mechanisms.gmt", sep="\t", header=None,
                             usecols=[0])[0]
    base = {name.removesuffix("_UP").removesuffix("_DN") for name in collection}
    assert sum(name in parsed.text["coverage"] for name in
               {*collection, *base}) == len(base)  # one row per (signed) set
    assert "Below half covered: RR_NONCODING_LNCRNA_UP" in coverage
    composite = rrscore.radioresistance(expr, nan_policy="drop_genes")["composite"]
    summary = parsed.text["composite"]
    assert summary[summary.index("median") + 1] == f"{composite.median():.3g}"
    assert summary[summary.index("max") + 1] == f"{composite.max():.3g}"


def test_contributions_drivers_confounders_groups_and_provenance(page):
    _, parsed = page
    samples = pd.read_csv(COHORT / "samples.tsv", sep="\t", index_col=0)
    expr = pd.read_csv(COHORT / "expr.tsv.gz", sep="\t", index_col=0)
    composite = rrscore.radioresistance(expr, nan_policy="drop_genes")["composite"]
    ranked = composite.sort_values(ascending=False)
    contributions = parsed.text["contributions"]
    shown = [s for s in contributions if s.startswith("TCGA-")]
    assert shown == [*ranked.index[:4], *ranked.index[-4:]]
    drivers = parsed.text["drivers"]
    row = drivers.index("driver_KRAS")
    assert drivers[row + 2] == str(int(samples["mut_KRAS"].sum()))  # mutated samples
    # composite v2 reports the confounders beside the composite
    assert "proliferation" in _joined(parsed, "confounders")
    groups = _joined(parsed, "groups")
    for stage, n in samples["pathologic_stage"].value_counts().items():
        assert f"{stage} ({n})" in groups
    provenance = _joined(parsed, "provenance")
    assert "rrscore report" in provenance and "--groupby pathologic_stage" in provenance
    assert rrscore.__version__ in provenance
    index = pd.read_csv(ROOT / "genesets" / "collections.tsv", sep="\t", index_col=0)
    assert index.loc["mechanisms", "sha256"] in provenance
    assert f"version {index.loc['mechanisms', 'version']}" in provenance


def test_report_renders_in_headless_chromium(page, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("headless Chromium is not installed (apt-get install chromium)")
    out, _ = page
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         f"--screenshot={shot}", "--window-size=1200,2000", out.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    image = matplotlib.image.imread(shot)[..., :3]
    assert image.shape[:2] == (2000, 1200)
    assert image.std() > 0.1  # not blank
    header = image[:60, :, :].reshape(-1, 3)  # the dark title bar (#24292f)
    dark = np.all(np.abs(header - np.array([0x24, 0x29, 0x2F]) / 255) < 0.03, axis=1)
    assert dark.mean() > 0.5
    # the heatmap's reds and blues reach the screen
    cmap = matplotlib.colormaps["RdBu_r"]
    for end in (0.9, 0.1):
        close = np.all(np.abs(image - np.asarray(cmap(end)[:3])) < 0.06, axis=-1)
        assert close.sum() > 50


def test_python_call_returns_html_and_the_module_is_callable(tmp_path):
    expr = pd.read_csv(COHORT / "expr.tsv.gz", sep="\t", index_col=0).iloc[:, :12]
    groups = pd.Series(["a", "b"] * 6, index=expr.columns)
    text = rrscore.report(expr, nan_policy="drop_genes", title="twelve tumours",
                          groupby=groups)
    assert isinstance(text, str) and "<title>twelve tumours</title>" in text
    assert "No mutation data given" in text and "Groups from" in text
    assert "rrscore.report(&lt;DataFrame 17814 × 12&gt;)" in text  # the recorded call
    assert rrscore.report.report.__module__ == "rrscore.report._build"


def test_groupby_errors_name_the_column():
    with pytest.raises(rrscore.RRScoreError, match="not_a_column"):
        rrscore.report.collect(pd.read_csv(COHORT / "expr.tsv.gz", sep="\t", index_col=0),
                               nan_policy="drop_genes", groupby="not_a_column")
    result = CliRunner().invoke(main, ["report", str(COHORT / "expr.tsv.gz"), "--groupby",
                                       "stage"])
    assert result.exit_code != 0 and "--annotations" in result.output


def test_the_cli_report_never_replaces_an_input(tmp_path):
    """Fresh-user report F1: ``rrscore report e.tsv -o e.tsv`` replaced the data with HTML."""
    import shutil

    from click.testing import CliRunner

    from rrscore.cli import main

    data = tmp_path / "e.tsv.gz"
    shutil.copy(COHORT / "expr.tsv.gz", data)
    before = data.read_bytes()
    for output in (str(data), str(tmp_path / "report.tsv")):
        result = CliRunner().invoke(main, ["report", str(data), "-q", "-o", output])
        assert result.exit_code != 0, output
        assert "is an input" in result.output or "is HTML" in result.output
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.tsv.gz"]


def test_the_python_report_never_replaces_an_input(tmp_path):
    """The same guard in rrscore.report itself, not only in the CLI."""
    import shutil

    from rrscore.errors import RRScoreError
    from rrscore.report import report

    data = tmp_path / "e.html"  # an input that happens to carry the output's extension
    shutil.copy(COHORT / "expr.tsv.gz", tmp_path / "e.tsv.gz")
    (tmp_path / "e.tsv.gz").rename(data)
    before = data.read_bytes()
    with pytest.raises(RRScoreError, match="is an input"):
        report(str(data), data)
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.html"]
