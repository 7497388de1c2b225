"""The floors of the house (ADR 0008): each app imports only from the floors below it, and
no module imports itself back through others.

Every ``import`` statement counts, at module level and inside functions alike: a
function-level import hides an upward dependency from the reader, not from the code. A lower
floor that must react to a higher one offers a hook or registry that the higher app fills in
its ``AppConfig.ready()`` (``portal.stages.ON_STAGE``, ``portal.dashboards``).
"""

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = {"portal": 1, "applications": 2, "telemetry": 3, "reports": 4, "acceptance": 5}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for app in FLOORS
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.parts
    }


def imported_modules(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules that ``name`` imports, wherever the statement stands."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            # `from pkg import sub` imports the submodule when there is one.
            targets = [
                f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target.split(".")[0] in FLOORS:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    known = project_modules()
    return {name: imported_modules(name, path, known) for name, path in known.items()}


def floor(module: str) -> int:
    return FLOORS[module.split(".")[0]]


def test_every_app_imports_only_from_its_own_floor_or_below():
    upward = sorted(
        f"{module} -> {target}"
        for module, targets in import_graph().items()
        for target in targets
        if floor(target) > floor(module)
    )
    assert upward == []


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
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
    return found


def test_no_module_imports_itself_back_through_others():
    # A package's __init__ counts as a module: a re-export facade that a submodule reaches
    # back through (services/__init__ -> access -> tasks -> services) is a circle.
    assert cycles(import_graph()) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "from telemetry.models import Connection\n",
            ["applications.services.x -> telemetry.models"],
        ),
        (
            "def f():\n    from telemetry.services import trial\n",
            ["applications.services.x -> telemetry.services.trial"],
        ),
        ("from portal.models import User\n", []),
    ],
)
def test_the_walk_sees_upward_imports_at_any_level(source, expected, tmp_path):
    path = tmp_path / "x.py"
    path.write_text(source)
    known = project_modules()
    targets = imported_modules("applications.services.x", path, known)
    upward = [
        f"applications.services.x -> {t}"
        for t in sorted(targets)
        if floor(t) > FLOORS["applications"]
    ]
    assert upward == expected


def test_the_cycle_finder_finds_a_circle():
    graph = defaultdict(set, {"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}, "a.w": {"a.x"}})
    assert cycles(graph) == [["a.x", "a.y", "a.z"]]
