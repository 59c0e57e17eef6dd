"""bench/whole_command.py: the projects it generates have the shapes it claims, and a
command that fails stops the bench naming it (a figure is never made of failed runs)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.bench.loader import load_bench


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return load_bench("whole_command")


def registered(project: Path) -> dict:
    sys.path.insert(0, str(project / "src"))
    try:
        module = importlib.import_module(f"{project.name}.pipeline_registry")
        return module.register_pipelines()
    finally:
        sys.path.remove(str(project / "src"))


def test_chain_and_fan_out_have_the_shapes_measured(bench: ModuleType, tmp_path: Path) -> None:
    chain = registered(bench.shaped_project(tmp_path, "chain", 7))["__default__"]
    assert len(chain.nodes) == 7
    assert len(chain.grouped_nodes) == 7  # one after another
    fanout = registered(bench.shaped_project(tmp_path, "fanout", 7))["__default__"]
    assert len(fanout.nodes) == 7
    assert [len(wave) for wave in fanout.grouped_nodes] == [1, 6]  # one seed, six readers


def test_the_parallel_project_is_eight_independent_branches_of_two(
    bench: ModuleType, tmp_path: Path
) -> None:
    project = bench.parallel_project(tmp_path)
    pipeline = registered(project)["__default__"]
    assert [len(wave) for wave in pipeline.grouped_nodes] == [8, 8]
    catalog = (project / "conf/base/catalog.yml").read_text()
    assert catalog.count("JSONDataset") == 16  # persisted: processes could run it too


def test_a_failing_command_stops_the_bench_naming_it(bench: ModuleType, tmp_path: Path) -> None:
    commands = bench.Commands(env={}, log=tmp_path / "log")
    commands.time("ok", [sys.executable, "-c", "pass"], tmp_path)
    assert len(commands.runs["ok"]) == 1
    with pytest.raises(bench.CommandFailed, match=r"broken: .* exited 3"):
        commands.time("broken", [sys.executable, "-c", "raise SystemExit(3)"], tmp_path)
    assert "broken" not in commands.runs


def test_the_marginal_cost_is_what_each_added_node_cost(bench: ModuleType) -> None:
    # A fixed 2 s, then 20 ms a node up to 100 and 25 ms a node beyond.
    walls = {10: 2.2, 100: 4.0, 1000: 26.5}
    growth = {f"{shape}_{n}": {"wall": wall} for shape in ("chain", "fanout")
              for n, wall in walls.items()}  # fmt: skip
    assert bench.marginal_costs(growth, [10, 100, 1000]) == {
        "chain": [20.0, 25.0],
        "fanout": [20.0, 25.0],
    }
