"""The package's shape: no import cycles, no two modules with one name, layers kept."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import asyncmig

PACKAGE = Path(asyncmig.__file__).parent
# The alias package mirrors Alembic's own module paths (alembic.operations.base, ...),
# which scripts and plugins import by those names; its module names are not ours to pick.
MIRRORED = "asyncmig._alembic"


def _module_name(path: Path) -> str:
    parts = ["asyncmig", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _resolve(importer: str, is_package: bool, level: int, module: str | None) -> str:
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


def _known(name: str) -> str | None:
    """The innermost asyncmig module `name` is, or lies in."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name: str, path: Path) -> Iterator[str]:
    """Every asyncmig module `name` imports at run time, at module level or inside functions.

    Imports under ``if TYPE_CHECKING:`` are left out: they never run.
    """
    is_package = path.name == "__init__.py"
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                pending.extend(child.orelse)
                continue
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                source = (
                    _resolve(name, is_package, child.level, child.module)
                    if child.level
                    else child.module or ""
                )
                targets = [f"{source}.{alias.name}" for alias in child.names]
            else:
                pending.append(child)
                continue
            for target in targets:
                found = _known(target) if target.startswith("asyncmig") else None
                if found is not None and found != name:
                    yield found


GRAPH = {name: set(_imports(name, path)) for name, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    """No set of asyncmig modules imports itself round, lazily (inside functions) or not."""
    assert _cycles(GRAPH) == []


def test_cycle_finder_sees_a_cycle() -> None:
    """The walk above reports a cycle when there is one (a check that can fail)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_lazy_imports_are_counted() -> None:
    """An import inside a function counts: hiding a cycle there does not make it go away."""
    runner = GRAPH["asyncmig._runtime.runner"]
    assert "asyncmig._runtime.offline" in runner


def test_module_names_are_unique() -> None:
    """No two modules share a file name (``_alembic``'s mirror of Alembic's layout aside)."""
    by_name: dict[str, list[str]] = defaultdict(list)
    for name, path in MODULES.items():
        if path.name != "__init__.py" and not name.startswith(MIRRORED):
            by_name[path.stem].append(name)
    assert {stem: names for stem, names in by_name.items() if len(names) > 1} == {}


def test_script_graph_never_imports_the_runtime() -> None:
    """``_script`` (the revision graph and files) sits below the runtime, dialects and ops."""
    upward = ("asyncmig._runtime", "asyncmig._commands", "asyncmig._dialects", "asyncmig._cli")
    for name, imported in GRAPH.items():
        if name.startswith("asyncmig._script"):
            assert not [i for i in imported if i.startswith(upward)], name


def test_operations_never_import_dialects_or_runtime() -> None:
    """``_operations`` knows nothing of the dialect registry or the runner above it."""
    upward = ("asyncmig._runtime", "asyncmig._commands", "asyncmig._dialects")
    for name, imported in GRAPH.items():
        if name.startswith("asyncmig._operations"):
            assert not [i for i in imported if i.startswith(upward)], name
