"""Gene identifiers sit below the input layer and the gene-set layer (read from the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import rrscore
from rrscore._resources import bundled_dir
from rrscore.ids import gene_reference

SRC = Path(rrscore.__file__).resolve().parent


def _rrscore_imports(folder: str) -> set[str]:
    """Every rrscore module named by an import in ``folder`` (inside functions too)."""
    found: set[str] = set()
    for path in (SRC / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module)
            elif isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level:
                found.add(f"relative import in {path.name}")
    return {name for name in found if name.startswith("rrscore") or "relative" in name}


def test_ids_imports_nothing_above_it():
    outside = {m for m in _rrscore_imports("ids") if not m.startswith("rrscore.ids")}
    assert outside <= {"rrscore.errors", "rrscore._resources"}, outside


def test_input_layer_and_gene_sets_do_not_import_each_other():
    expression = _rrscore_imports("expression")
    genesets = _rrscore_imports("genesets")
    assert not {m for m in expression if m.startswith("rrscore.genesets")}, expression
    assert not {m for m in genesets if m.startswith("rrscore.expression")}, genesets


def test_one_folder_holds_the_bundled_files():
    folder = bundled_dir()
    for name in ("collections.tsv", "gene_reference.tsv.gz", "drivers.tsv"):
        assert (folder / name).is_file(), name
    assert rrscore.genesets.bundled_dir() == folder
    assert gene_reference().approved_symbol("c20orf20") == "MRGBP"  # read from that folder
