"""Kedro's feature set through the plugin, on projects generated in tmp: transcoding,
in-memory datasets, dataset factories, nodes without inputs or outputs, the
``parameters`` input, task runners and thread-unsafe nodes. Each run's outputs are
compared with ``kedro run``'s (SequentialRunner) on a twin of the project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kedro_prefect.plan import PlanError
from tests.kedro_prefect.generated import (
    FACTORY,
    NodeSpec,
    ProjectSpec,
    Twins,
    json_entry,
    transcoded_entries,
)


def transcoding(producer_sleep: float = 1.0) -> ProjectSpec:
    """make writes ``shuttles@json`` (slowly); use reads the same file as ``shuttles@text``."""
    return ProjectSpec(
        package="transcoding",
        nodes=[
            NodeSpec("make", ("raw_a",), ("shuttles@json",), sleep=producer_sleep),
            NodeSpec("use", ("shuttles@text", "params:scale"), ("table",)),
        ],
        catalog={**transcoded_entries("shuttles"), "table": json_entry("data/table.json")},
        parameters={"scale": 2},
        raw={"raw_a": 1},
    )


def test_transcoded_input_waits_for_its_producer(prefect_api: str, tmp_path: Path) -> None:
    """Regression: ``use`` started before ``make`` (x@text was matched to no producer)
    and failed on a missing file, though Kedro's own waves were right."""
    twins = Twins(tmp_path, transcoding())
    plan = twins.plan()
    assert plan["use"].upstream == ("make",)
    assert [[p.name for p in wave] for wave in plan.waves] == [["make"], ["use"]]
    # Kedro's filters know transcoding; a filtered plan is the nodes they select.
    assert [p.name for p in twins.plan(from_inputs=["shuttles@text"]).nodes] == ["use"]
    assert [p.name for p in twins.plan(to_outputs=["shuttles@json"]).nodes] == ["make"]
    state = twins.run(task_runner="threads")
    assert state.is_completed(), state.message
    twins.assert_outputs_equal_kedro_run()


def test_transcoded_consumer_is_not_served_stale_after_a_raw_change(
    prefect_api: str, tmp_path: Path
) -> None:
    """Regression: after a raw input changed, the producer of x@json missed but the
    consumer of x@text was predicted (and, run before its producer, served) a hit:
    a Completed flow with a wrong table."""
    twins = Twins(tmp_path, transcoding())
    assert twins.run(task_runner="threads").is_completed()
    assert twins.plan().predictions == {"make": "hit", "use": "hit"}
    twins.set_raw("raw_a", 2)
    assert twins.plan().predictions == {"make": "miss", "use": "miss"}
    assert twins.run(task_runner="threads").is_completed()
    twins.assert_outputs_equal_kedro_run()
    assert twins.plan().predictions == {"make": "hit", "use": "hit"}


def test_consumer_of_a_memory_dataset_sees_a_change_upstream_of_its_producer(
    prefect_api: str, tmp_path: Path
) -> None:
    """``passed`` is a MemoryDataset: its producer always runs and its consumer's key
    stands on the producer's content key, which sees the raw file the producer read
    (its static key alone did not: the consumer was served stale)."""
    spec = ProjectSpec(
        package="memory",
        nodes=[
            NodeSpec("produce", ("raw_a",), ("passed",)),
            NodeSpec("consume", ("passed",), ("result",)),
        ],
        catalog={"result": json_entry("data/result.json")},
        raw={"raw_a": 1},
    )
    twins = Twins(tmp_path, spec)
    assert twins.run().is_completed()
    plan = twins.plan()
    assert plan.predictions == {"produce": "excluded", "consume": "hit"}
    assert "in-memory dataset(s) passed" in plan["produce"].note
    twins.set_raw("raw_a", 5)
    assert twins.plan().predictions["consume"] == "miss"
    assert twins.run().is_completed()
    twins.assert_outputs_equal_kedro_run()


def test_factories_parameters_and_nodes_without_inputs_or_outputs(
    prefect_api: str, tmp_path: Path
) -> None:
    spec = ProjectSpec(
        package="shapes",
        nodes=[
            NodeSpec("seed", (), ("seed_data",)),  # no inputs; a "{name}_data" dataset
            NodeSpec("everything", ("seed_data", "parameters"), ("all_data",)),
            NodeSpec("nested", ("seed_data", "params:group.inner.value"), ("nested_data",)),
            NodeSpec("check", ("all_data",), ()),  # no outputs
        ],
        catalog=dict(FACTORY),
        parameters={"group": {"inner": {"value": 3}, "other": 1}},
    )
    twins = Twins(tmp_path, spec)
    plan = twins.plan()
    assert plan["seed"].outputs == (("seed_data", str(twins.root / "data" / "seed.json")),)
    assert plan["check"].prediction == "excluded" and "no outputs" in plan["check"].note
    assert twins.run().is_completed()
    twins.assert_outputs_equal_kedro_run()
    assert twins.plan().predictions == {
        "seed": "hit", "everything": "hit", "nested": "hit", "check": "excluded",
    }  # fmt: skip
    twins.set_parameters({"group": {"inner": {"value": 3}, "other": 2}})
    # Only the node reading all parameters sees a change of a key no one names.
    assert twins.plan().predictions == {
        "seed": "hit", "everything": "miss", "nested": "hit", "check": "excluded",
    }  # fmt: skip
    twins.set_parameters({"group": {"inner": {"value": 4}, "other": 2}})
    assert twins.plan().predictions["nested"] == "miss"
    assert twins.run().is_completed()
    twins.assert_outputs_equal_kedro_run()


def exclusive_branches(prefect: dict[str, Any] | None) -> ProjectSpec:
    """Six independent nodes that raise if another node runs at the same time (as
    plotly's px.histogram failed intermittently under threads)."""
    branches = [
        NodeSpec(f"plot_{i}", ("raw_a",), (f"plot_{i}",), tags=("plots",), sleep=0.3,
                 exclusive=True)
        for i in range(6)
    ]  # fmt: skip
    return ProjectSpec(
        package="plots",
        nodes=branches,
        catalog={f"plot_{i}": json_entry(f"data/plot_{i}.json") for i in range(6)},
        raw={"raw_a": 1},
        prefect=prefect,
    )


def test_thread_unsafe_nodes_never_overlap_by_default(prefect_api: str, tmp_path: Path) -> None:
    twins = Twins(tmp_path, exclusive_branches(None))
    plan = twins.plan()
    assert plan.task_runner.kind == "sequential"
    assert "task runner sequential" in plan.to_text()
    state = twins.run()
    assert state.is_completed(), state.message
    twins.assert_outputs_equal_kedro_run()


def test_thread_unsafe_tag_serialises_its_nodes_under_threads(
    prefect_api: str, tmp_path: Path
) -> None:
    threads = {"execution": {"task_runner": "threads", "max_workers": 4}}
    marked = {**threads, "tags": {"plots": {"thread_safe": False}}}
    twins = Twins(tmp_path / "marked", exclusive_branches(marked))
    plan = twins.plan()
    assert "task runner threads (max 4)" in plan.to_text()
    assert json.loads(plan.to_json())["task_runner"] == {"kind": "threads", "max_workers": 4}
    assert not plan["plot_0"].settings.thread_safe
    assert "- plot_0  [cache: miss]" in plan.to_text() and "not thread-safe" in plan.to_text()
    state = twins.run()
    assert state.is_completed(), state.message
    twins.assert_outputs_equal_kedro_run()
    # The same nodes unmarked do overlap under threads (and fail): the check can fail.
    unmarked = Twins(tmp_path / "unmarked", exclusive_branches(threads))
    assert unmarked.run().is_failed()


def test_processes_task_runner_runs_persisted_nodes_and_refuses_memory(
    prefect_api: str, tmp_path: Path
) -> None:
    twins = Twins(tmp_path, transcoding(producer_sleep=0))
    state = twins.run(task_runner="processes")
    assert state.is_completed(), state.message
    twins.assert_outputs_equal_kedro_run()
    memory = ProjectSpec(
        package="memory_processes",
        nodes=[NodeSpec("produce", ("raw_a",), ("passed",)),
               NodeSpec("consume", ("passed",), ("result",))],
        catalog={"result": json_entry("data/result.json")},
        raw={"raw_a": 1},
    )  # fmt: skip
    with pytest.raises(PlanError, match=r"'passed' is not declared.*processes task runner"):
        Twins(tmp_path / "memory", memory).plan(task_runner="processes")


def test_editing_a_helper_module_of_the_project_reruns_its_users(
    prefect_api: str, tmp_path: Path
) -> None:
    """Every node's module imports ``combine`` from the project's ``common`` module:
    changing what it computes must re-run them, not serve the old results."""
    twins = Twins(tmp_path, transcoding(producer_sleep=0))
    assert twins.run().is_completed()
    assert twins.plan().predictions == {"make": "hit", "use": "hit"}
    for root, spec in ((twins.root, twins.spec), (twins.twin_root, twins.twin)):
        common = root / "src" / spec.package / "common.py"
        common.write_text(common.read_text().replace("    v = k\n", "    v = k + 1\n"))
    assert twins.plan().predictions == {"make": "miss", "use": "miss"}
    assert twins.run().is_completed()
    twins.assert_outputs_equal_kedro_run()


def test_a_pinned_load_version_is_part_of_its_readers_key(tmp_path: Path) -> None:
    """A versioned dataset's fingerprint covers every version in its folder; which
    one ``--load-versions`` reads is in the key of the nodes reading it."""
    from kedro.io import DataCatalog
    from kedro.pipeline import node, pipeline

    from kedro_prefect.config import OrchestrationConfig
    from kedro_prefect.plan import build_plan

    config = {
        "x": {"type": "json.JSONDataset", "filepath": str(tmp_path / "x.json"), "versioned": True},
        "n": {"type": "json.JSONDataset", "filepath": str(tmp_path / "n.json")},
    }
    steps = pipeline([node(len, "x", "n", name="count")])

    def static_key(load_versions: dict[str, str]) -> str:
        catalog = DataCatalog.from_config(config, load_versions=load_versions)
        plan = build_plan(steps, catalog, OrchestrationConfig(), state_dir=tmp_path / "state")
        return plan["count"].cache.static_key

    latest, pinned = static_key({}), static_key({"x": "2026-01-01T00.00.00.000Z"})
    assert latest == static_key({}) and pinned != latest
