"""The package layout's rules, checked on the code itself.

* No import circles: none in the graph of every import statement between our modules,
  and every module of ``forecast_keiba``, ``netkeiba_replica`` and the plugin
  ``kedro_prefect`` imports on its own,
  in a process where no other module of ours was loaded before it (a circle cannot hide
  behind the order in which a test session happened to import things).
* The domain packages (the lifecycle stages) import neither the Kedro pipelines, nor
  Prefect, nor the plugin (``kedro_prefect``), nor the replica, nor the command layer; nothing of
  ``forecast_keiba`` imports the replica.
* The plugin (``kedro_prefect``, flows/) imports nothing of ``forecast_keiba`` (nor the replica).

The rules read every ``import`` statement, those inside functions too (a lazy import is
still a dependency).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

import forecast_keiba
import kedro_atomic
import kedro_prefect
import netkeiba_replica

OURS = ("forecast_keiba", "netkeiba_replica", "kedro_prefect", "kedro_atomic", "no_telemetry",
        "durable_rename")  # fmt: skip
# The stages in data-flow order: the source, its data, features, models, their evaluation,
# reporting, and the tracking of runs and models.
STAGES = ("netkeiba", "data", "features", "models", "evaluation", "reporting", "tracking")
DOMAIN = tuple(f"forecast_keiba.{stage}" for stage in STAGES)
# The progress display every long loop uses, whatever its stage.
SHARED_BY_ALL_STAGES = "forecast_keiba.reporting.progress"
NOT_FOR_DOMAIN = {
    "forecast_keiba.pipelines": "the Kedro pipelines (they wire the domain, not the reverse)",
    "forecast_keiba.pipeline_registry": "the Kedro pipelines",
    "kedro.pipeline": "Kedro's pipeline API",
    "prefect": "Prefect",
    "prefect_ray": "Prefect",
    "kedro_prefect": "the Kedro→Prefect plugin",
    "netkeiba_replica": "the replica",
    "forecast_keiba.console": "the command layer",
}


def package_dir(package: object) -> Path:
    return Path(package.__file__).parent  # type: ignore[attr-defined]


def modules_of(package: object) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (``__main__`` left out: it runs)."""
    root = package_dir(package)
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported module) for every import statement in ``path``, at any depth."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:  # pkg.module, or pkg.name (a name defined by pkg)
                yield node.lineno, f"{base}.{alias.name}"


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(modules: dict[str, Path], forbidden: dict[str, str]) -> list[str]:
    """One line per import statement that reaches a forbidden package."""
    found: dict[tuple[str, int, str], str] = {}
    for module, path in modules.items():
        for line, name in imports_of(module, path):
            for prefix, what in forbidden.items():
                if within(name, prefix) and not within(module, prefix):
                    message = f"{path}:{line}: {module} imports {name} ({what})"
                    found.setdefault((str(path), line, prefix), message)
    return sorted(found.values())


PRODUCTION = modules_of(forecast_keiba)
REPLICA = modules_of(netkeiba_replica)
BRIDGE = modules_of(kedro_prefect)


def test_the_domain_packages_import_no_pipeline_orchestrator_bridge_or_replica() -> None:
    domain = {m: p for m, p in PRODUCTION.items() if any(within(m, d) for d in DOMAIN)}
    assert len(domain) > 40  # every stage is there
    assert violations(domain, NOT_FOR_DOMAIN) == []


def stage_of(module: str) -> int | None:
    """The position of ``module``'s stage in the data flow (``None``: not in a stage)."""
    for position, stage in enumerate(DOMAIN):
        if within(module, stage):
            return position
    return None


def test_a_stage_imports_only_the_stages_before_it() -> None:
    later = []
    for module, path in PRODUCTION.items():
        stage = stage_of(module)
        for line, name in imports_of(module, path):
            target = stage_of(name)
            if stage is None or target is None or within(name, SHARED_BY_ALL_STAGES):
                continue
            if target > stage:
                later.append(f"{path}:{line}: {module} imports {name}, a later stage")
    assert later == []


def test_the_replica_uses_only_the_page_model_of_the_app() -> None:
    """The replica renders the page model the scraper parses, and nothing else of the app."""
    found = [
        f"{path}:{line}: {module} imports {name}"
        for module, path in REPLICA.items()
        for line, name in imports_of(module, path)
        if within(name, "forecast_keiba") and not within(name, "forecast_keiba.netkeiba")
    ]
    assert found == []


def test_production_code_never_imports_the_replica() -> None:
    assert violations(PRODUCTION, {"netkeiba_replica": "the replica"}) == []


def test_the_bridge_imports_nothing_of_the_project() -> None:
    assert BRIDGE
    forbidden = {"forecast_keiba": "the project", "netkeiba_replica": "the project's replica"}
    assert violations(BRIDGE, forbidden) == []


def test_the_plugin_names_mlflow_only_in_its_optional_tracking_module() -> None:
    """MLflow is optional for the plugin's users: one module owns it (issue #15)."""
    repo = Path(kedro_prefect.__file__).resolve().parents[3]
    tracked = subprocess.run(["git", "ls-files", "flows"], cwd=repo, capture_output=True,
                             text=True, check=True).stdout.split()  # fmt: skip
    naming = [name for name in tracked if b"mlflow" in (repo / name).read_bytes()]
    assert naming == ["flows/src/kedro_prefect/tracking.py"]


def test_the_rules_see_lazy_and_relative_imports(tmp_path: Path) -> None:
    module = tmp_path / "stage.py"
    module.write_text(
        "from . import sibling\n"
        "def later():\n"
        "    from netkeiba_replica.world import World\n"
        "    import prefect\n",
        encoding="utf-8",
    )
    names = {name for _, name in imports_of("forecast_keiba.data.stage", module)}
    assert "forecast_keiba.data.sibling" in names
    found = violations({"forecast_keiba.data.stage": module}, NOT_FOR_DOMAIN)
    assert [v.split(": ", 1)[1] for v in found] == [
        "forecast_keiba.data.stage imports netkeiba_replica.world.World (the replica)",
        "forecast_keiba.data.stage imports prefect (Prefect)",
    ]


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """module -> the modules of ours it imports (a ``from`` name resolved to the module
    that defines it: the longest dotted prefix that is a module)."""
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = set()
        for _, name in imports_of(module, path):
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                target = ".".join(parts[:end])
                if target in modules:
                    if target != module:
                        targets.add(target)
                    break
        graph[module] = targets
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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


def test_no_import_circles() -> None:
    graph = import_graph({**PRODUCTION, **REPLICA, **modules_of(kedro_atomic), **BRIDGE})
    assert circles(graph) == []


def test_a_circle_through_a_lazy_import_is_found(tmp_path: Path) -> None:
    (tmp_path / "page.py").write_text("from pkg.helpers import escape\n", encoding="utf-8")
    (tmp_path / "helpers.py").write_text(
        "def escape():\n    from pkg.page import render\n", encoding="utf-8"
    )
    graph = import_graph({"pkg.page": tmp_path / "page.py", "pkg.helpers": tmp_path / "helpers.py"})
    assert circles(graph) == [["pkg.helpers", "pkg.page"]]


# One process loads the third-party libraries our modules use (the slow part), checks that
# nothing of ours came with them, then forks a child per module: each child starts with
# none of our modules loaded and imports just the one.
IMPORT_ALONE = textwrap.dedent(
    """
    import importlib, json, os, sys, traceback
    ours, preload, modules = json.loads(sys.argv[1])
    for name in preload:
        try:
            importlib.import_module(name)
        except ImportError:
            pass  # a name imported from a module, or an optional extra (xgboost)
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ours)
    if loaded:
        sys.exit(f"preloading third-party modules loaded ours: {loaded}")
    failures = {}
    for module in modules:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            try:
                importlib.import_module(module)
                code = 0
            except BaseException:
                os.write(write, traceback.format_exc().encode())
                code = 1
            os._exit(code)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            message = pipe.read().decode()
        _, status = os.waitpid(pid, 0)
        if status != 0:
            failures[module] = message or f"exit status {status}"
    print(json.dumps(failures))
    """
)


def third_party_imports(modules: dict[str, Path]) -> list[str]:
    """Every module (and ``from`` name) of others that ours import, submodules included."""
    names = {name for m, p in modules.items() for _, name in imports_of(m, p)}
    return sorted(n for n in names if n.split(".")[0] not in (*OURS, "__future__", ""))


@pytest.mark.skipif(sys.platform == "win32", reason="forks a child per module")
def test_every_module_imports_on_its_own() -> None:
    modules = {**PRODUCTION, **REPLICA, **BRIDGE}
    assert "forecast_keiba.models.fitting" in modules and "netkeiba_replica.world" in modules
    assert "kedro_prefect.runner" in modules
    libraries = third_party_imports({**modules, **modules_of(kedro_atomic)})
    argument = json.dumps([list(OURS), libraries, sorted(modules)])
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALONE, argument],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    failures = json.loads(result.stdout.strip().splitlines()[-1])
    assert failures == {}, "\n".join(f"{m}:\n{tb}" for m, tb in failures.items())
