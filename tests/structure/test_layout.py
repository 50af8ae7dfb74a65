"""The package's shape: no import cycle, small modules, capabilities asked of the spec.

These read the source (``ast``), so they hold for deferred imports inside functions too.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "rrscore"
MAX_LINES = 600


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in SRC.rglob("*.py")}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The rrscore module ``name`` refers to (a module, or the module defining an attribute)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """rrscore modules imported anywhere in ``path`` (top level or inside functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{alias.name}" for alias in node.names] + [prefix]
        else:
            continue
        for target in targets:
            if not target.startswith("rrscore"):
                continue
            resolved = _resolve(target, modules)
            # importing a package's own submodule from the package is not an edge upward
            if resolved and resolved != module:
                found.add(resolved)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _is_parent_package_edge(a: str, b: str) -> bool:
    # a package __init__ re-exporting its submodules and a submodule importing a sibling via
    # the package are the same layer; only edges between different packages count below
    return a.startswith(b + ".") or b.startswith(a + ".")


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_import_cycle_between_modules():
    graph = _graph()
    # a package's __init__ importing its own submodules is how it re-exports them; the
    # submodules must not import the package __init__ back (that is a cycle and counts)
    cycles = _cycles(graph)
    assert cycles == [], f"import cycles (deferred imports included): {cycles}"


def test_no_module_over_the_size_limit():
    sizes = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in _modules().items()}
    big = {m: n for m, n in sizes.items() if n > MAX_LINES}
    assert big == {}, f"modules over {MAX_LINES} lines: {big}"


_METHOD_NAMES = ("ssgsea", "gsva", "zscore", "plage", "singscore", "ucell", "aucell",
                 "score_genes", "mean")
_NAMES = "|".join(_METHOD_NAMES)
_COMPARISON = re.compile(
    r"""(==|!=|\bin\b)\s*[\(\[\{]?\s*["'](""" + _NAMES + r""")["']|["'](""" + _NAMES
    + r""")["']\s*(==|!=)"""
)


@pytest.mark.parametrize("module", sorted(_modules()))
def test_no_method_name_comparison_outside_its_own_module(module):
    path = _modules()[module]
    own = module.rsplit(".", 1)[-1].lstrip("_")
    offending = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        code = line.split("#", 1)[0]
        if not re.search(r"\b(method\w*|spec\w*)\b|\.name\b", code):
            continue  # "mean" is also a duplicates policy: only comparisons of method names
        for match in _COMPARISON.finditer(code):
            name = match.group(2) or match.group(3)
            if name != own:
                offending.append(f"{path.name}:{lineno}: {line.strip()}")
    assert offending == [], "method names compared outside the method's module:\n" + "\n".join(
        offending)


#: Layers, bottom to top: a module may import its own package and lower layers only. The same
#: table is drawn in docs/architecture.md; a new package must be placed here.
LAYERS = {
    "_version": 0, "_types": 0, "errors": 0,
    "_resources": 1, "_numba": 1, "_outputs": 1,
    "ids": 2,
    "expression": 3, "genesets": 3,
    "ranking": 4,
    "methods": 5,
    "_prepare": 6, "_records": 6,
    "_runner": 7,
    "_api": 8, "radiation": 8,
    "rrscore": 9, "stats": 9,
    "tl": 10, "get": 10, "pl": 10, "warmup": 10,
    "report": 11,
    "cli": 12,
}


def _package(module: str) -> str:
    parts = module.split(".")
    return "rrscore" if len(parts) == 1 else parts[1]


def test_every_package_has_a_layer():
    unknown = sorted({_package(m) for m in _modules()} - set(LAYERS))
    assert unknown == [], f"place these in LAYERS (and docs/architecture.md): {unknown}"


def test_imports_only_go_down():
    upward = []
    for module, targets in _graph().items():
        a = _package(module)
        for target in targets:
            b = _package(target)
            if a != b and LAYERS.get(b, -1) >= LAYERS.get(a, -1):
                upward.append(f"{module} -> {target}")
    assert upward == [], "imports that do not go down:\n" + "\n".join(sorted(upward))
