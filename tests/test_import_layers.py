"""The import graph of `service/` has no cycle and no arrow up a layer.

Every module under `service/` is parsed with `ast`; every import counts, at module level or inside a
function (a function-local import is still a dependency, only a later one). The layers, lowest first:

    config ← db ← domain ← reports ← notify / api / web ← scheduler ← main ← cli

A module may import its own layer or a lower one; within a package files may import each other, but
never in a loop. The three faces of the service share a layer but not both ways: the API and the pages
may call the notification package, the pages may use the API's dependencies (`api/deps.py`), never the
reverse. `main.py` assembles the app; the command line is the top (`yrdmon serve` starts that app), and
nothing imports `service.main` or `service.cli` but themselves.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

from service.config import PROJECT_ROOT

SERVICE = PROJECT_ROOT / "service"

# The first part of a module's dotted name under `service.` gives its place: (layer, rank within the
# layer); an import may go to an equal or lower place. `service/__init__.py` holds only the version.
LAYERS: Mapping[str, tuple[int, int]] = {
    "service": (0, 0),
    "config": (0, 0),
    "db": (1, 0),
    "domain": (2, 0),
    "reports": (3, 0),
    "notify": (4, 0),
    "api": (4, 1),
    "web": (4, 2),
    "scheduler": (5, 0),
    "main": (6, 0),
    "cli": (7, 0),
}

# Entry points: only they may import one another (the command line's `serve` starts the app).
ENTRY_POINTS = ("service.main", "service.cli")


def module_name(path: Path, root: Path = SERVICE) -> str:
    """`service/web/routes.py` → `service.web.routes`; a package's `__init__.py` → the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules(root: Path = SERVICE) -> dict[str, Path]:
    return {module_name(p, root): p for p in sorted(root.rglob("*.py"))}


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    """The absolute dotted name an `ImportFrom` starts from (resolving `from .x import y`)."""
    if node.level == 0:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()  # a module's relative imports start from its package
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_modules(source: str, importer: str, is_package: bool, known: Iterable[str]) -> Iterator[str]:
    """The `service` modules that `source` imports, anywhere in the file."""
    names = set(known)

    def nearest(dotted: str) -> str | None:
        # `import service.web.routes` or `from service.web.routes import x`: the longest known prefix.
        parts = dotted.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in names:
                return candidate
            parts.pop()
        return None

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "service" or alias.name.startswith("service."):
                    found = nearest(alias.name)
                    if found:
                        yield found
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(node, importer, is_package)
            if not (base == "service" or base.startswith("service.")):
                continue
            for alias in node.names:
                # `from service.web import evidence` imports the submodule when there is one.
                sub = f"{base}.{alias.name}"
                found = sub if sub in names else nearest(base)
                if found:
                    yield found


def import_graph(root: Path = SERVICE) -> dict[str, set[str]]:
    found = modules(root)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        targets = imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py", found)
        graph[name] = {t for t in targets if t != name}
    return graph


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm; the components with more than one module (a module never imports itself)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
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
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def cycle_through(graph: Mapping[str, set[str]], component: list[str]) -> list[str]:
    """One concrete loop inside a strongly connected component, as the files an error can name."""
    members = set(component)
    start = component[0]
    path = [start]
    seen = {start}
    # Walk edges inside the component until a module repeats; every module there has such an edge.
    while True:
        nxt = min(w for w in graph[path[-1]] if w in members)
        if nxt in seen:
            return [*path[path.index(nxt) :], nxt]
        path.append(nxt)
        seen.add(nxt)


def layer(module: str) -> tuple[int, int]:
    parts = module.split(".")
    return LAYERS[parts[1] if len(parts) > 1 else parts[0]]


def upward_imports(graph: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    return sorted((a, b) for a, targets in graph.items() for b in targets if layer(b) > layer(a))


def entry_point_imports(graph: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    def entry(m: str) -> str | None:
        return next((e for e in ENTRY_POINTS if m == e or m.startswith(e + ".")), None)

    return sorted((a, b) for a, targets in graph.items() for b in targets if entry(b) and not entry(a))


def unexpected_components(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another in loops."""
    return strongly_connected(graph)


def unexpected_cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """One loop through each such group, as a chain of modules that ends where it starts."""
    return [cycle_through(graph, c) for c in unexpected_components(graph)]


def _as_files(chain: Iterable[str]) -> str:
    return " → ".join(m.replace(".", "/") + ".py" for m in chain)


# ---- the checks on the real tree -------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph()


def test_every_service_package_has_a_layer(graph: dict[str, set[str]]) -> None:
    assert len(graph) > 50, "the analysis must see the whole service package"
    unplaced = sorted({m.split(".")[1] for m in graph if "." in m} - set(LAYERS))
    assert not unplaced, f"give these packages a layer in LAYERS: {unplaced}"


def test_no_import_cycle(graph: dict[str, set[str]]) -> None:
    groups = unexpected_components(graph)
    assert not groups, "import cycles (the files in each loop, then one loop through them):\n" + "\n".join(
        f"{', '.join(_as_files([m]) for m in group)}\n    e.g. {_as_files(cycle_through(graph, group))}"
        for group in groups
    )


def test_no_import_reaches_up_a_layer(graph: dict[str, set[str]]) -> None:
    upward = upward_imports(graph)
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(
        f"{_as_files([a])} → {_as_files([b])}" for a, b in upward
    )


def test_nothing_imports_the_entry_points(graph: dict[str, set[str]]) -> None:
    found = entry_point_imports(graph)
    assert not found, "only entry points may import service.main and service.cli:\n" + "\n".join(
        f"{_as_files([a])} → {_as_files([b])}" for a, b in found
    )


# ---- the analysis itself finds what it must ---------------------------------------------------------


def _tree(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "service"
    for rel, text in {"__init__.py": "", **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_analysis_sees_function_local_relative_and_package_imports(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "db/__init__.py": "",
            "db/models.py": "def f():\n    from service.reports import engine\n",
            "reports/__init__.py": "",
            "reports/engine.py": "from . import queries\n",
            "reports/queries.py": "import service.reports.engine as e\n",
            "api/__init__.py": "",
            "api/deps.py": "async def f():\n    import service.web.charts\n",
            "web/__init__.py": "",
            "web/charts.py": "",
            "web/routes.py": "from ..reports.engine import run\nfrom service.api import deps\n",
            "cli/__init__.py": "from service.main import app\n",
            "main.py": "from service.web import routes\n",
            "notify/__init__.py": "",
            "notify/mail.py": "if True:\n    from service.cli import x\n",
        },
    )
    g = import_graph(root)
    assert g["service.db.models"] == {"service.reports.engine"}
    assert g["service.reports.engine"] == {"service.reports.queries"}
    assert g["service.web.routes"] == {"service.reports.engine", "service.api.deps"}
    assert upward_imports(g) == [
        ("service.api.deps", "service.web.charts"),  # a peer the wrong way: the API reaching into pages
        ("service.db.models", "service.reports.engine"),
        ("service.notify.mail", "service.cli"),
    ]
    assert entry_point_imports(g) == [("service.notify.mail", "service.cli")]
    cycles = unexpected_cycles(g)
    assert cycles == [["service.reports.engine", "service.reports.queries", "service.reports.engine"]]
    assert _as_files(cycles[0]) == (
        "service/reports/engine.py → service/reports/queries.py → service/reports/engine.py"
    )
