"""The shape of the house (docs/architecture.md), checked on every run: module sizes, which way
imports point, no private names across apps, no import cycles between modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ["common", "registers", "absences", "interventions", "letters", "reports", "lessons", "api", "demo"]
MAX_LINES = 600

# Which packages each may import at module level (docs/architecture.md, "Which way dependencies point").
# A layer may import any layer listed for it, never one above.
ALLOWED = {
    "common": set(),
    "registers": {"common"},
    "lessons": {"common", "registers"},
    "absences": {"common", "registers"},
    "interventions": {"common", "registers", "absences", "lessons"},
    "letters": {"common", "registers", "absences", "interventions"},
    "reports": {"common", "registers", "lessons"},
    "api": {"common", "registers", "absences", "interventions", "letters", "reports", "lessons"},
    "demo": {"common", "registers", "absences", "interventions", "letters", "reports", "lessons"},
}


def _modules():
    for app in APPS:
        base = ROOT / app
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield app, path


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, *, top_level_only: bool):
    """(module imported, names imported) for each import in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:
        # `if TYPE_CHECKING:` blocks and try/except at module level still count; function bodies do not
        expanded = []
        for node in nodes:
            expanded.append(node)
            if isinstance(node, ast.If | ast.Try):
                expanded.extend(n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom))
        nodes = expanded
    for node in nodes:
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                if node.level > 1:
                    base = base[: -(node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            yield module, [a.name for a in node.names]


def test_no_module_in_the_apps_is_over_600_lines():
    long = {
        str(path.relative_to(ROOT)): n
        for _, path in _modules()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these along their sub-domains: {long}"


def test_no_app_imports_another_apps_private_names():
    found = []
    for app, path in _modules():
        for module, names in _imports(path, top_level_only=False):
            target = module.split(".")[0]
            if target in APPS and target != app:
                private = [n for n in names if n.startswith("_")]
                private_module = [p for p in module.split(".")[1:] if p.startswith("_") and p != "__init__"]
                if private or private_module:
                    found.append(f"{path.relative_to(ROOT)}: {module} {private}")
    assert found == []


def test_imports_point_down_the_layers():
    found = []
    for app, path in _modules():
        for module, _ in _imports(path, top_level_only=False):
            target = module.split(".")[0]
            if target in APPS and target != app and target not in ALLOWED[app]:
                found.append(f"{path.relative_to(ROOT)} imports {module}")
    assert found == [], "see docs/architecture.md for which way dependencies point"


def _graph():
    """Module → modules it imports. Imports inside functions count too (a lazy import that closes
    a loop is still a loop a reader must hold in their head), except a task's import of the
    service it wraps: that is the one sanctioned way round (DESIGN.md)."""
    known = {_module_name(path) for _, path in _modules()}
    graph: dict[str, set[str]] = {}
    for _, path in _modules():
        name = _module_name(path)
        edges = set()
        for module, names in _imports(path, top_level_only=path.name == "tasks.py"):
            # `from package import module` names a module too
            candidates = [f"{module}.{n}" for n in names if f"{module}.{n}" in known]
            if candidates:
                edges.update(candidates)
            elif module in known:
                edges.add(module)
        edges.discard(name)
        graph[name] = edges
    return graph


def test_no_import_cycles_between_modules():
    graph = _graph()
    # A package's __init__ importing its own submodules (re-exports) is not a cycle of the design.
    for name, edges in graph.items():
        graph[name] = {e for e in edges if not (e.startswith(name + ".") and name in graph)}
    # Strongly connected components (Tarjan): every group of modules that import each other.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    assert groups == [], "modules that import each other: " + "; ".join(" ⇄ ".join(g) for g in groups)


@pytest.mark.parametrize("app", [a for a in APPS if (ROOT / a).is_dir()])
def test_tasks_import_their_services_inside_the_task(app):
    """Services import tasks at module level (to enqueue them); tasks import services inside the
    function, so the two never import each other at load time."""
    for path in (ROOT / app).rglob("tasks.py"):
        for module, _ in _imports(path, top_level_only=True):
            assert "services" not in module.split("."), f"{path.relative_to(ROOT)} imports {module} at module level"
