"""Pages generated from the package at build time: API list, catalogue, methods table.

Each is rewritten on every build into ``docs/_generated/`` (ignored by git), so the API
reference follows the public names of ``rrscore``, the catalogue the bundled GMT and
provenance files, and the methods page the README's table.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pandas as pd

import rrscore

ROOT = Path(__file__).resolve().parents[1]
#: Sub-namespaces documented after the top level, when they exist.
NAMESPACES = ("tl", "pl", "get", "stats", "report", "genesets", "errors")


def _public(module) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if not n.startswith("_")]


def _write(path: Path, text: str) -> None:
    # rewrite only on change, so Sphinx does not reread unchanged pages
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def api_page() -> str:
    """``api.rst``: autosummary tables of the top level and of each namespace."""
    lines = ["API reference", "=============", "",
             "Generated from ``rrscore.__all__`` and each namespace's ``__all__`` at build "
             "time.", ""]
    top = [n for n in _public(rrscore)
           if n not in NAMESPACES and not isinstance(getattr(rrscore, n, None), type(rrscore))]
    sections = [("Top level: ``rrscore``", "rrscore", top)]
    for name in NAMESPACES:
        try:
            module = importlib.import_module(f"rrscore.{name}")
        except ImportError:
            continue
        # a name also exported at the top level is documented there only (one target
        # for cross-references)
        members = [m for m in _public(module)
                   if not isinstance(getattr(module, m, None), type(rrscore))
                   and getattr(module, m, None) is not getattr(rrscore, m, object())]
        if members:
            sections.append((f"``rrscore.{name}``", f"rrscore.{name}", members))
    for title, module, members in sections:
        lines += [title, "-" * len(title), "", f".. currentmodule:: {module}", "",
                  ".. autosummary::", "   :toctree: .", "   :nosignatures:", ""]
        lines += [f"   {m}" for m in members]
        lines.append("")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def _table(frame: pd.DataFrame) -> list[str]:
    out = ["| " + " | ".join(map(str, frame.columns)) + " |",
           "|" + "---|" * len(frame.columns)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |"
            for row in frame.itertuples(index=False)]
    return out + [""]


def catalogue_page() -> str:
    """``catalogue.md``: each mechanism with its genes, direction and provenance."""
    folder = rrscore.genesets.bundled_dir()
    index = rrscore.genesets.list_collections().set_index("name")
    provenance = pd.read_csv(folder / "provenance.tsv", sep="\t", dtype=str)
    base = provenance["set"].str.replace(r"_(UP|DN)$", "", regex=True)
    mechanisms = rrscore.genesets.load("mechanisms")
    info = index.loc["mechanisms"]
    lines = ["# The catalogue", "",
             "Generated at build time from the bundled files "
             "(`genesets/mechanisms.gmt`, `provenance.tsv`, `mechanisms_excluded.tsv`, "
             "`published.gmt`, `collections.tsv`).", "",
             "## Collections", ""]
    lines += _table(index.reset_index()[["name", "version", "n_sets", "n_genes", "title",
                                         "licence"]])
    lines += [f"## Mechanisms (`mechanisms`, version {info['version']})", "",
              f"{info['citation']}", "",
              "Each mechanism is one signed set: *up* genes promote resistance, *down* genes "
              "sensitise; a high score is more resistance-like. The provenance table gives, "
              "for every gene, the name used in the review, its section and reference "
              "numbers, the evidence and how the name was mapped to an HGNC symbol.", ""]
    for gene_set in mechanisms:
        # signed sets are named without the _UP/_DN of their provenance rows; up-only
        # sets keep their _UP
        rows = provenance[(provenance["set"] == gene_set.name) | (base == gene_set.name)]
        lines += [f"### `{gene_set.name}`", "", _cell(gene_set.description), "",
                  f"- **up** ({len(gene_set.up)}): {', '.join(gene_set.up) or '–'}",
                  f"- **down** ({len(gene_set.down)}): {', '.join(gene_set.down) or '–'}", ""]
        if len(rows):
            shown = rows[["symbol", "direction", "name_in_review", "section", "references",
                          "evidence"]].rename(columns={"name_in_review": "name in review"})
            lines += _table(shown)
    excluded = pd.read_csv(folder / "mechanisms_excluded.tsv", sep="\t", dtype=str)
    lines += ["## Names of the review not scored", "",
              f"{len(excluded)} names from the review are not in any set, each with the "
              "reason (`mechanisms_excluded.tsv`).", ""]
    lines += _table(excluded)
    published = rrscore.genesets.load("published")
    lines += [f"## Published signatures (`published`, version "
              f"{index.loc['published', 'version']})", ""]
    lines += _table(pd.DataFrame(
        [(f"`{s.name}`", len(s.genes), s.description) for s in published],
        columns=["set", "genes", "description"]))
    lines += [f"## MSigDB hallmarks (`hallmark`, {index.loc['hallmark', 'version']})", "",
              f"{index.loc['hallmark', 'n_sets']} sets; {index.loc['hallmark', 'licence']}. "
              f"{index.loc['hallmark', 'citation']}", ""]
    return "\n".join(lines)


def methods_section() -> str:
    """The README's "Methods and exactness" section (table and deviations), one source."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.find("\n## Methods and exactness")
    if start < 0:
        raise RuntimeError("README.md has no '## Methods and exactness' section for the docs")
    body = text[start + 1:].split("\n", 1)[1]
    end = body.find("\n## ")
    return body[:end if end >= 0 else len(body)].strip() + "\n"


def write_generated(folder: Path) -> None:
    """Write the generated pages into ``folder``, removing autosummary stubs of names that
    are no longer public (so a renamed or removed function leaves no page behind)."""
    folder.mkdir(exist_ok=True)
    for stale in folder.glob("rrscore.*.rst"):
        stale.unlink()
    _write(folder / "api.rst", api_page())
    _write(folder / "catalogue.md", catalogue_page())
    _write(folder / "methods_table.md", methods_section())
