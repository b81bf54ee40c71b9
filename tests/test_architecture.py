"""The layers stay layers: each package imports only those below it, and nothing imports in a
circle. Read from the code's own imports with grimp (the engine of import-linter)."""

from __future__ import annotations

import ast
from pathlib import Path

import grimp
import pytest

# From the process edge down to the neutral core; each may import only those after it.
LAYERS = ["app", "resolvers", "services", "models", "core"]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def imports() -> grimp.ImportGraph:
    """Every import, type-only ones included: a layer may not even name what is above it."""
    return grimp.build_graph(*LAYERS, include_external_packages=True, cache_dir=None)


@pytest.fixture(scope="module")
def runtime_imports() -> grimp.ImportGraph:
    """The imports that run. GraphQL types name each other (a job's testimonial, a
    testimonial's job) through ``strawberry.lazy`` and type-only imports, which load nothing."""
    return grimp.build_graph(
        *LAYERS,
        include_external_packages=True,
        exclude_type_checking_imports=True,
        cache_dir=None,
    )


def test_each_layer_imports_only_the_layers_below_it(imports: grimp.ImportGraph) -> None:
    illegal = imports.find_illegal_dependencies_for_layers(layers=LAYERS)
    assert [
        (
            dependency.importer,
            dependency.imported,
            sorted(route.heads for route in dependency.routes),
        )
        for dependency in illegal
    ] == []


@pytest.mark.parametrize(
    ("package", "foreign"),
    [
        ("core", "models"),
        ("core", "services"),
        ("services", "strawberry"),
        ("services", "aiohttp"),
        ("resolvers", "app"),
    ],
)
def test_a_package_does_not_import_what_it_must_not_know(
    imports: grimp.ImportGraph, package: str, foreign: str
) -> None:
    assert not imports.direct_import_exists(importer=package, imported=foreign, as_packages=True)


def _packages(graph: grimp.ImportGraph) -> list[str]:
    ours = [module for module in graph.modules if module.split(".")[0] in LAYERS]
    return sorted(module for module in ours if graph.find_children(module))


def test_no_two_packages_or_modules_import_each_other(
    runtime_imports: grimp.ImportGraph,
) -> None:
    """Inside every package, its modules and subpackages form no circle."""
    circles = {
        package: sorted(runtime_imports.nominate_cycle_breakers(package))
        for package in _packages(runtime_imports)
    }
    assert {package: found for package, found in circles.items() if found} == {}


def _defined_in(folder: str, names: set[str]) -> list[str]:
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            defined = isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name
            if defined in names:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    return found


def test_only_the_node_base_resolves_types_and_nodes() -> None:
    found = _defined_in("resolvers", {"is_type_of", "resolve_nodes"})
    assert [place.split(":")[0] for place in found] == ["resolvers/nodes.py"] * 2, found


def test_every_limit_lives_in_the_limits_module() -> None:
    """A bound written elsewhere is a second value waiting to disagree with the first."""
    stray = []
    for folder in ("app", "models", "resolvers", "services"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                targets = node.targets if isinstance(node, ast.Assign) else []
                if isinstance(node, ast.AnnAssign):
                    targets = [node.target]
                for target in targets:
                    if isinstance(target, ast.Name) and target.id.startswith(("MAX_", "MIN_")):
                        stray.append(f"{path.relative_to(ROOT)}:{node.lineno} {target.id}")
    assert stray == []


def test_only_the_transactions_module_opens_tortoise_transactions() -> None:
    """Tortoise's ``in_transaction`` left the database locked when a cancellation landed as
    it began; ``services.transactions`` is the one way in (``atomic`` wraps the same)."""
    importers = []
    for folder in LAYERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                named = [node.module] if isinstance(node, ast.ImportFrom) else []
                if isinstance(node, ast.Import):
                    named = [alias.name for alias in node.names]
                if "tortoise.transactions" in named:
                    importers.append(str(path.relative_to(ROOT)))
    assert importers == ["services/transactions.py"]
