"""Data flows one way: every import in planner/ is checked, by reading the source (not by running it).

The module graph is built with `ast` from every `import` statement of every module of the package:
at module level, inside functions and methods, and inside `if TYPE_CHECKING:` blocks. An import
inside a function runs later than one at the top, but it is a dependency all the same, so it
counts. An import under `TYPE_CHECKING` never runs; it counts all the same: a type annotation
that names a higher layer's type ties the lower layer to that layer's API just as much (give the
lower layer its own type or a Protocol instead). Implicit imports of parent packages (importing
`planner.model.core` first runs `planner/__init__.py` and `planner/model/__init__.py`) are not
edges: Python initialises parents before children, so they cannot form a cycle of their own.

Checks on that graph: no cycle of modules anywhere in planner/; no cycle of packages either (the
modules of planner.export importing planner.docgen, which imports planner.export.atomic, was one;
compare and explain sharing a case runner another), but for those listed in `KNOWN_PACKAGE_CYCLES`
with their reason (none today); and no import of a higher layer
(`LAYERS`, lowest first; a module may import its own layer and the layers below it). The tools
(`TOOLS`: datasets, bench, docgen) may import anything; nothing but the command line (and other
tools) imports them.

The checks of what is loaded at run time stay as they were: comparison, results and export never
load Pyomo; the model never loads openpyxl (checked by importing them in a fresh interpreter).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import planner

ROOT = Path(planner.__file__).resolve().parent

#: the layers, lowest first, each with the modules (and packages) it holds
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("schema", ("planner.schema", "planner.resources")),
    ("errors", ("planner.errors",)),
    ("io", ("planner.io",)),
    ("instance", ("planner.instance",)),
    ("cases", ("planner.cases",)),
    ("model", ("planner.model",)),
    ("solve", ("planner.solve",)),
    ("results", ("planner.results",)),
    ("pipeline", ("planner.run",)),
    ("study", ("planner.study", "planner.compare", "planner.explain", "planner.hedge", "planner.explore")),
    ("export", ("planner.export", "planner.report")),
    ("cli", ("planner.cli", "planner.__main__", "planner")),
)
#: tools: they may import anything; only the command line and other tools import them
TOOLS = ("planner.datasets", "planner.bench", "planner.docgen")
#: layers whose modules never import Pyomo themselves (they may call a lower layer that does)
NO_PYOMO = ("results", "pipeline", "study", "export", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _imports(tree: ast.AST, name: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """(imported module, line) of every import statement, wherever it stands."""
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            yield mod, node.lineno
            for a in node.names:  # `from planner.model import core` imports the module planner.model.core
                yield f"{mod}.{a.name}", node.lineno


def graph() -> dict[str, dict[str, int]]:
    """module -> {planner module it imports: line of the first such import}."""
    mods = modules()
    out: dict[str, dict[str, int]] = {}
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: dict[str, int] = {}
        for target, line in _imports(tree, name, path.name == "__init__.py"):
            if target in mods and target != name and not name.startswith(target + "."):
                edges.setdefault(target, line)  # (a parent package is initialised first anyway: no edge)
        out[name] = edges
    return out


def layer_of(module: str) -> int | None:
    """Index of the module's layer in LAYERS; None for a tool."""
    if any(module == t or module.startswith(t + ".") for t in TOOLS):
        return None
    best: tuple[int, int] | None = None  # (length of the matching prefix, layer)
    for i, (_name, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if module == p or module.startswith(p + "."):
                if best is None or len(p) > best[0]:
                    best = (len(p), i)
    if best is None:
        raise AssertionError(f"module {module} belongs to no layer: add it to LAYERS or TOOLS")
    return best[1]


def cycles(g: dict[str, dict[str, int]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan), as a cycle to show."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(max(10_000, sys.getrecursionlimit()))
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_imports_inside_functions_and_type_checking_blocks() -> None:
    # the checks below can fail: the graph holds imports that run late, or never
    source = """
from typing import TYPE_CHECKING
from planner import schema
from . import core
if TYPE_CHECKING:
    from planner.cases.case import CaseInstance
def f():
    from ..results import extract
    import planner.run
"""
    found = {m for m, _line in _imports(ast.parse(source), "planner.model.build", False)}
    assert {"planner.schema", "planner.model.core", "planner.cases.case.CaseInstance",
            "planner.results.extract", "planner.run"} <= found
    assert "planner.model.build" in graph()["planner.run"]  # imported inside solve_case


def test_every_module_has_a_layer() -> None:
    for name in graph():
        layer_of(name)


def test_no_import_cycle() -> None:
    found = cycles(graph())
    assert not found, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def package_of(module: str) -> str:
    """The package (or top-level module) of planner a module belongs to: planner.model.core -> planner.model."""
    return ".".join(module.split(".")[:2])


#: package cycles within one layer, each with the reason it stands and what removes it (none other may appear)
KNOWN_PACKAGE_CYCLES: dict[frozenset[str], str] = {}


def test_no_import_cycle_between_packages() -> None:
    g = graph()
    pg: dict[str, dict[str, int]] = {}
    for mod, edges in g.items():
        for target, line in edges.items():
            a, b = package_of(mod), package_of(target)
            if a != b:
                pg.setdefault(a, {}).setdefault(b, line)
    found = [c for c in cycles(pg) if frozenset(c) not in KNOWN_PACKAGE_CYCLES]
    assert not found, "package cycles:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_no_import_of_a_higher_layer() -> None:
    g = graph()
    bad = []
    for mod, edges in g.items():
        mine = layer_of(mod)
        for target, line in edges.items():
            theirs = layer_of(target)
            if theirs is None:  # a tool: only the command line and tools may import it
                if mine is not None and LAYERS[mine][0] != "cli":
                    bad.append(f"{mod} (line {line}) imports the tool {target}")
            elif mine is not None and theirs > mine:
                bad.append(f"{mod} ({LAYERS[mine][0]}, line {line}) imports {target} ({LAYERS[theirs][0]})")
    assert not bad, "imports against the layer order:\n" + "\n".join(bad)


def test_layers_above_the_model_never_import_pyomo_themselves() -> None:
    bad = []
    for name, path in modules().items():
        layer = layer_of(name)
        if layer is None or LAYERS[layer][0] not in NO_PYOMO:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for target, line in _imports(tree, name, path.name == "__init__.py"):
            if target == "pyomo" or target.startswith("pyomo."):
                bad.append(f"{name} line {line}")
    assert not bad, "Pyomo imported by: " + ", ".join(bad)


def _imported_packages(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


@pytest.mark.parametrize("module", [
    "planner.compare.compare", "planner.compare.session",  # works on Solutions
    "planner.study", "planner.study.worker", "planner.study.pool", "planner.explain.analysis",  # call lower layers
    "planner.results.solution",
    "planner.export.results", "planner.export.comparison", "planner.export.explanation",
    "planner.hedge", "planner.export.hedge",
    "planner.explore.alternatives", "planner.explore.risk", "planner.explore.frontier", "planner.export.alternatives",
    "planner.export.risk",
    "planner.export.decision", "planner.export.tables",
])
def test_comparison_results_and_export_never_import_pyomo(module: str) -> None:
    assert "pyomo" not in _imported_packages(module)


def test_model_never_reads_excel() -> None:
    loaded = _imported_packages("planner.model.build")
    assert "pyomo" in loaded  # the check can fail: the model does import Pyomo
    assert "openpyxl" not in loaded
