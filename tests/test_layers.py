"""The rules of dependency of docs/architecture.md, checked over the import graph of rag/, cogs/ and the entry points.

Every import counts, at the top of a module or inside a function, under TYPE_CHECKING or not: a
stage imports only itself and the stages below it, no two modules import each other (directly or
round a cycle), and no module imports another module's private name. There is no list of exceptions.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The stages, bottom to top: a module may import its own stage and any stage of a lower rank.
# Stages of one rank (sources, index, state) are side by side and do not import each other.
STAGES = {  # module prefix -> stage
    "rag": "rag",  # the package itself (only the exact name: its modules belong to the stages below)
    "rag.core": "core",
    "rag.sources": "sources", "rag.index": "index", "rag.state": "state",
    "rag.search": "search",
    "rag.answer": "answer",
    "rag.service": "service",
    "rag.app": "app",
    "rag.cli": "cli",
    "cogs": "discord", "newsbot": "discord",  # the Bot subclass and its cogs
    "bot": "entry", "rag.__main__": "entry",
    "rag.tools": "tools", "rag.bench": "tools", "rag.learn": "tools",
}
RANKS = {"rag": 0, "core": 0, "sources": 1, "index": 1, "state": 1, "search": 2, "answer": 3, "service": 4,
         "app": 5, "cli": 6, "discord": 6, "entry": 7,
         # Tools on top of everything: they may import any stage, and no stage imports them.
         "tools": 8}


def stage_of(module: str) -> str:
    """The stage a module belongs to, by the longest prefix in STAGES."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in STAGES and (prefix != "rag" or module == "rag"):
            return STAGES[prefix]
    raise KeyError(f"{module} belongs to no stage; add it to STAGES (and to docs/architecture.md)")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    names: tuple[str, ...]  # names imported from it (``from target import a, b``)
    line: int


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    files = [*sorted((ROOT / "rag").rglob("*.py")), *sorted((ROOT / "cogs").rglob("*.py")),
             ROOT / "bot.py", ROOT / "newsbot.py"]
    return {module_name(p): p for p in files}


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(known: dict[str, Path]) -> list[Import]:
    """Every import of a project module by a project module."""
    out = []
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in known or alias.name.split(".")[0] in ("rag", "cogs", "bot", "newsbot"):
                        out.append(Import(name, alias.name, (), node.lineno))
            elif isinstance(node, ast.ImportFrom):
                target = _resolve(name, path.name == "__init__.py", node)
                if target.split(".")[0] not in ("rag", "cogs", "bot", "newsbot"):
                    continue
                # ``from package import module`` imports the module.
                subs = [a.name for a in node.names if f"{target}.{a.name}" in known]
                for sub in subs:
                    out.append(Import(name, f"{target}.{sub}", (), node.lineno))
                names = tuple(a.name for a in node.names if a.name not in subs)
                if names or not subs:
                    out.append(Import(name, target, names, node.lineno))
    return out


def upward(edges: list[Import]) -> list[str]:
    wrong = []
    for e in edges:
        a, b = stage_of(e.source), stage_of(e.target)
        if a != b and RANKS[b] >= RANKS[a]:
            wrong.append(f"{e.source} (line {e.line}) imports {e.target}: {a} may not import {b}")
    return wrong


def cycles(edges: list[Import], known: dict[str, Path]) -> list[list[str]]:
    """The import cycles between modules (strongly connected components of two or more, or a self-import)."""
    graph: dict[str, set[str]] = {m: set() for m in known}
    for e in edges:
        if e.target in known:
            graph[e.source].add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:  # Tarjan's algorithm
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph[v]:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def private(edges: list[Import]) -> list[str]:
    return [f"{e.source} (line {e.line}) imports {e.target}.{n}" for e in edges for n in e.names
            if n.startswith("_") and not n.startswith("__") and e.source != e.target]


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, Path], list[Import]]:
    known = modules()
    return known, imports(known)


def test_every_module_belongs_to_a_stage(graph):
    known, _ = graph
    for name in known:
        stage_of(name)


def test_no_stage_imports_upward(graph):
    _, edges = graph
    assert upward(edges) == []


def test_no_module_is_part_of_an_import_cycle(graph):
    known, edges = graph
    assert cycles(edges, known) == []


def test_no_private_name_is_imported_from_another_module(graph):
    _, edges = graph
    assert private(edges) == []


@pytest.mark.parametrize(("source", "target", "wrong"), [
    ("rag.core.types", "rag.index.sentences", True),  # core is the bottom
    ("rag.sources.feeds.sync", "rag.index.indexer", True),  # side by side
    ("rag.index.indexer", "rag.sources.ingest", True),
    ("rag.search.features", "rag.learn.candidates", True),  # no stage imports a tool
    ("rag.answer.extractive", "rag.bench.data", True),
    ("rag.learn.candidates", "rag.bench.data", False),  # tools import each other and anything below
    ("rag.bench.verify", "rag.answer.verify", False),
    ("cogs.ask", "rag.core.types", False),
    ("rag.service", "cogs.ask", True),
    ("rag.answer.answering", "rag.service", True),  # nothing below the facade imports it
    ("rag.state.memory", "rag.answer.conversation", True),
    ("rag.app", "rag.state.feedback", False),
])
def test_the_rules_themselves(source, target, wrong):
    assert bool(upward([Import(source, target, (), 1)])) == wrong


def test_a_cycle_and_a_private_import_are_found():
    known = {"rag.core.a": Path("a"), "rag.core.b": Path("b")}
    edges = [Import("rag.core.a", "rag.core.b", ("_hidden",), 1), Import("rag.core.b", "rag.core.a", (), 2)]
    assert cycles(edges, known) == [["rag.core.a", "rag.core.b"]]
    assert private(edges) == ["rag.core.a (line 1) imports rag.core.b._hidden"]
