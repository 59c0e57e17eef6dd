"""Node groups (``grouping`` in prefect.yml, ``--group-by``): several nodes as one
Prefect task, one retry and cache unit whose in-memory datasets stay in its process;
and ``kedro run``'s ``--load-versions`` and ``--only-missing-outputs``. Projects are
generated in tmp; outputs are compared with ``kedro run``'s on a twin."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kedro_prefect.config import OrchestrationConfig, OrchestrationConfigError
from kedro_prefect.local_server import api
from kedro_prefect.plan import PlanError
from kedro_prefect.scaffold import PREFECT_YML
from tests.kedro_prefect.cli_support import kedro_prefect
from tests.kedro_prefect.generated import NodeSpec, ProjectSpec, Twins, json_entry
from tests.kedro_prefect.test_bridge import retry_from_another_shell

NAMESPACE_GROUPS = {"grouping": {"by": "namespace"}}
SWITCH = "FAIL_SUMMARISE"  # in the project folder: prep.summarise raises

# prep.summarise, failing while SWITCH exists in the working directory (the project).
FAILING_NODE = """from pathlib import Path

from {package}.common import combine

K = 1


def {function}(*args):
    if Path("{switch}").exists():
        raise RuntimeError("summarise switched to fail")
    return combine(K, args, [False])
"""


def two_namespaces(prefect: dict[str, Any] | None = NAMESPACE_GROUPS) -> ProjectSpec:
    """Two modular pipelines, each passing an in-memory dataset between its two
    nodes, and a report reading both namespaces' persisted results."""
    return ProjectSpec(
        package="grouped",
        nodes=[
            NodeSpec("clean", ("raw_a",), ("prep.cleaned",), namespace="prep"),
            NodeSpec(
                "summarise",
                ("prep.cleaned", "params:prep.scale"),
                ("prep.summary",),
                namespace="prep",
            ),
            NodeSpec("build", ("raw_b",), ("feat.table",), namespace="feat"),
            NodeSpec(
                "score", ("feat.table", "params:feat.weight"), ("feat.scores",), namespace="feat"
            ),
            NodeSpec("report", ("prep.summary", "feat.scores"), ("report",)),
        ],
        catalog={
            "prep.summary": json_entry("data/prep_summary.json"),
            "feat.scores": json_entry("data/feat_scores.json"),
            "report": json_entry("data/report.json"),
        },
        parameters={"prep": {"scale": 2}, "feat": {"weight": 3}},
        raw={"raw_a": 1, "raw_b": 2},
        prefect=prefect,
    )


def node_states(state: Any) -> dict[str, str]:
    """Each node's final state name, as the flow returns it (a group's nodes: the group's)."""
    assert state.is_completed(), state.message
    return state.result()


def task_run_states(prefect_api: str, flow_run_id: object, expect: dict[str, str]) -> dict:
    """The latest state of each task run of a flow run, by task-run name; waits (up
    to a minute) until the server shows ``expect`` (states arrive through events)."""
    deadline = time.monotonic() + 60
    while True:
        runs = api(prefect_api, "task_runs/filter", {
            "flow_runs": {"id": {"any_": [str(flow_run_id)]}}, "limit": 200,
        })  # fmt: skip
        latest = {r["name"]: (r["state"] or {}).get("name")
                  for r in sorted(runs, key=lambda r: r["created"])}  # fmt: skip
        if expect.items() <= latest.items() or time.monotonic() > deadline:
            return latest
        time.sleep(0.5)


def test_group_by_namespace_runs_one_task_per_namespace_and_caches_it_as_a_unit(
    prefect_api: str, tmp_path: Path
) -> None:
    twins = Twins(tmp_path, two_namespaces())
    plan = twins.plan()
    assert sorted((g.name, g.nodes) for g in plan.groups) == [
        ("feat", ("feat.build", "feat.score")), ("prep", ("prep.clean", "prep.summarise")),
    ]  # fmt: skip
    # The in-memory datasets stay inside their group: the groups cache.
    assert {g.name: g.prediction for g in plan.groups} == {"prep": "miss", "feat": "miss"}
    assert plan["prep.clean"].group == "prep" and plan["report"].group is None
    text = plan.to_text()
    assert "group:prep  [cache: miss]" in text and "prep.clean, prep.summarise" in text
    as_json = json.loads(plan.to_json())
    assert {g["task"]: g["nodes"] for g in as_json["groups"]}["group:feat"] == [
        "feat.build", "feat.score",
    ]  # fmt: skip

    state = twins.run()
    assert set(node_states(state).values()) == {"Completed"}
    runs = task_run_states(prefect_api, state.state_details.flow_run_id, {"report": "Completed"})
    assert set(runs) == {"group:prep", "group:feat", "report"}
    twins.assert_outputs_equal_kedro_run()

    # Rerun: every unit from cache, as the plan predicts.
    plan = twins.plan()
    assert set(plan.predictions.values()) == {"hit"}
    assert set(node_states(twins.run()).values()) == {"Cached"}

    # A parameter one node of a group reads: that group (and what reads its result)
    # re-runs; the other group is served from cache.
    twins.set_parameters({"prep": {"scale": 5}, "feat": {"weight": 3}})
    predictions = twins.plan().predictions
    assert predictions == {"prep.clean": "miss", "prep.summarise": "miss", "feat.build": "hit",
                           "feat.score": "hit", "report": "miss"}  # fmt: skip
    after = node_states(twins.run())
    rerun = {"prep.clean": "Completed", "prep.summarise": "Completed", "report": "Completed"}
    assert after == {**rerun, "feat.build": "Cached", "feat.score": "Cached"}
    twins.assert_outputs_equal_kedro_run()

    # A deleted output of a group (one only the group reads counts too) re-runs the group.
    (twins.root / "data" / "feat_scores.json").unlink()
    assert twins.plan().predictions["feat.build"] == "miss"


def test_processes_task_runner_needs_groups_for_memory_datasets(
    prefect_api: str, tmp_path: Path
) -> None:
    """Without groups the plan names the in-memory dataset, its two nodes and the fix;
    grouped by namespace, each namespace's memory dataset stays in its task's process."""
    ungrouped = Twins(tmp_path / "ungrouped", two_namespaces(prefect=None))
    with pytest.raises(PlanError) as refused:
        ungrouped.plan(task_runner="processes")
    message = str(refused.value)
    assert "'prep.cleaned'" in message or "'feat.table'" in message
    assert ("'prep.clean'" in message and "'prep.summarise'" in message) or (
        "'feat.build'" in message and "'feat.score'" in message
    )
    assert "grouping" in message and "processes task runner" in message
    # The --group-by override is the fix offered.
    assert len(ungrouped.plan(task_runner="processes", group_by="namespace").groups) == 2

    twins = Twins(tmp_path / "grouped", two_namespaces())
    state = twins.run(task_runner="processes")
    assert set(node_states(state).values()) == {"Completed"}
    twins.assert_outputs_equal_kedro_run()


def test_groups_that_cannot_run_as_units_fail_the_plan_naming_nodes(
    prefect_api: str, tmp_path: Path
) -> None:
    # prep.clean → prep.summarise (outside) → report: the group would wait for itself.
    leaky = two_namespaces({"grouping": {"groups": {"ends": {"nodes": ["prep.clean", "report"]}}}})
    with pytest.raises(PlanError, match=r"'ends' is not convex.*'prep.summarise'"):
        Twins(tmp_path / "leaky", leaky).plan()
    # A namespace that is not convex is split, not refused: it was not asked for by name.
    split = ProjectSpec(
        package="split",
        nodes=[NodeSpec("clean", ("raw_a",), ("prep.cleaned",), namespace="prep"),
               NodeSpec("other", ("raw_a",), ("prep.other",), namespace="prep"),
               NodeSpec("check", ("prep.cleaned",), ("checked",)),
               NodeSpec("final", ("checked", "prep.other"), ("prep.final",), namespace="prep")],
        catalog={"prep.final": json_entry("data/final.json"),
                 "checked": json_entry("data/checked.json")},
        raw={"raw_a": 1},
        prefect=NAMESPACE_GROUPS,
    )  # fmt: skip
    assert [(g.name, g.nodes) for g in Twins(tmp_path / "split", split).plan().groups] == [
        ("prep", ("prep.clean", "prep.other"))
    ]
    # Each group convex, but one waits for the other and the other for the first.
    crossing = ProjectSpec(
        package="crossing",
        nodes=[NodeSpec("a", ("raw_a",), ("x",)), NodeSpec("b", ("x",), ("y",)),
               NodeSpec("c", ("raw_b",), ("z",)), NodeSpec("d", ("z",), ("w",))],
        catalog={n: json_entry(f"data/{n}.json") for n in "xyzw"},
        raw={"raw_a": 1, "raw_b": 2},
        prefect={"grouping": {"groups": {"one": {"nodes": ["a", "d"]},
                                         "two": {"nodes": ["b", "c"]}}}},
    )  # fmt: skip
    with pytest.raises(PlanError, match=r"one, two wait on each other in a circle"):
        Twins(tmp_path / "crossing", crossing).plan()
    # Two infra classes in one task: it cannot run in two places.
    classes = {"gpu": {"num_gpus": 1}, "big": {"num_cpus": 2}}
    nodes = {"prep.clean": {"infra": "gpu"}, "prep.summarise": {"infra": "big"}}
    infra = {**NAMESPACE_GROUPS, "infra": classes, "nodes": nodes}
    with pytest.raises(PlanError, match=r"'prep'.*different infra.*'big' for prep.summarise"):
        Twins(tmp_path / "infra", two_namespaces(infra)).plan()


def test_group_settings_merge_and_the_schema_is_checked(tmp_path: Path) -> None:
    config = {**NAMESPACE_GROUPS, "nodes": {"prep.clean": {"retries": 1, "timeout_seconds": 5},
                                            "prep.summarise": {"retries": 3,
                                                               "timeout_seconds": 7}}}  # fmt: skip
    plan = Twins(tmp_path, two_namespaces(config)).plan()
    assert plan.group("prep").settings.retries == 3
    assert plan.group("prep").settings.timeout_seconds == 12  # the nodes run one after another
    assert plan.group("feat").settings.timeout_seconds is None
    with pytest.raises(OrchestrationConfigError, match=r"grouping\.bogus"):
        OrchestrationConfig.from_mapping({"grouping": {"by": "namespace", "bogus": 1}})
    with pytest.raises(OrchestrationConfigError, match=r"'x' is in two groups"):
        OrchestrationConfig.from_mapping(
            {"grouping": {"groups": {"a": {"nodes": ["x"]}, "b": {"nodes": ["x", "y"]}}}}
        )
    with pytest.raises(OrchestrationConfigError, match=r"by: tag needs"):
        OrchestrationConfig.from_mapping({"grouping": {"by": "tag"}})
    # `kedro prefect init`'s template shows a valid grouping block, commented out.
    block = PREFECT_YML[PREFECT_YML.index("# grouping:") :].split("\n\n")[0]
    uncommented = yaml.safe_load("\n".join(line[2:] for line in block.splitlines()))
    grouping = OrchestrationConfig.from_mapping(uncommented).grouping
    assert grouping.by == "namespace" and "training" in grouping.groups


def test_a_failed_node_fails_its_group_and_a_retry_resumes_at_that_group(
    prefect_api: str, tmp_path: Path
) -> None:
    twins = Twins(tmp_path, two_namespaces())
    for root, spec in ((twins.root, twins.spec), (twins.twin_root, twins.twin)):
        (root / "src" / spec.package / "nodes_1.py").write_text(
            FAILING_NODE.format(package=spec.package, function="node_1", switch=SWITCH)
        )
    switch = twins.root / SWITCH
    switch.touch()
    failed = twins.run()
    assert failed.is_failed()
    assert "group:prep failed at node 'prep.summarise'" in str(failed.message), failed.message
    assert "summarise switched to fail" in str(failed.message)
    flow_run_id = str(failed.state_details.flow_run_id)
    first = task_run_states(prefect_api, flow_run_id, {"group:prep": "Failed"})
    assert first["group:prep"] == "Failed" and first["group:feat"] == "Completed", first

    switch.unlink()  # fixed; retry the same flow run
    retry_from_another_shell(prefect_api, flow_run_id, tmp_path / "other_home")
    expect = {"group:feat": "Cached", "group:prep": "Completed", "report": "Completed"}
    assert task_run_states(prefect_api, flow_run_id, expect) == expect
    twins.assert_outputs_equal_kedro_run()


def versioned_project() -> ProjectSpec:
    return ProjectSpec(
        package="versions",
        nodes=[NodeSpec("count", ("scores",), ("counted",))],
        catalog={
            "scores": {**json_entry("data/01_raw/scores.json"), "versioned": True},
            "counted": json_entry("data/counted.json"),
        },
    )


OLD, NEW = "2026-01-01T00.00.00.000Z", "2026-01-02T00.00.00.000Z"


def write_versions(root: Path) -> None:
    for version, value in ((OLD, 1), (NEW, 2)):
        path = root / "data" / "01_raw" / "scores.json" / version / "scores.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"v": value}))


def test_load_versions_are_read_and_keyed(prefect_api: str, tmp_path: Path) -> None:
    twins = Twins(tmp_path, versioned_project())
    write_versions(twins.root)
    pinned = twins.plan(load_versions={"scores": OLD})
    assert pinned["count"].cache.static_key != twins.plan()["count"].cache.static_key
    # The CLI parses --load-versions with kedro run's own callback.
    result = kedro_prefect(twins.root, "plan", "--json", "--load-versions", f"scores:{OLD}")
    assert result.exit_code == 0, result.output
    text = "\n" + result.output
    as_json = text[text.index("\n{") + 1 :]  # after Kedro's log lines, if any
    assert json.loads(as_json)["waves"][0][0]["node"] == "count"

    counted = twins.root / "data" / "counted.json"
    assert node_states(twins.run(load_versions={"scores": OLD}))["count"] == "Completed"
    old = counted.read_bytes()
    assert node_states(twins.run())["count"] == "Completed"  # the latest: another key
    assert counted.read_bytes() != old
    assert node_states(twins.run(load_versions={"scores": OLD}))["count"] == "Completed"
    assert counted.read_bytes() == old  # the pinned version is what was read
    # Read in a worker process too (it opens the catalog again, with the versions).
    shutil.rmtree(twins.root / "data" / "counted.json", ignore_errors=True)
    counted.unlink(missing_ok=True)
    state = twins.run(load_versions={"scores": OLD}, task_runner="processes")
    assert node_states(state)["count"] == "Completed"
    assert counted.read_bytes() == old


def test_only_missing_outputs_runs_the_nodes_whose_outputs_are_missing(
    prefect_api: str, tmp_path: Path
) -> None:
    twins = Twins(tmp_path, two_namespaces(prefect=None))
    assert set(node_states(twins.run()).values()) == {"Completed"}
    (twins.root / "data" / "report.json").unlink()
    plan = twins.plan(only_missing_outputs=True)
    assert [p.name for p in plan.nodes] == ["report"]
    result = kedro_prefect(twins.root, "plan", "--only-missing-outputs")
    assert result.exit_code == 0, result.output
    assert "- report" in result.output and "prep.clean" not in result.output
    assert node_states(twins.run(only_missing_outputs=True)) == {"report": "Completed"}
    twins.assert_outputs_equal_kedro_run()


def test_kedro_hooks_fire_for_every_node_of_a_group(
    prefect_api: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The toy project's hooks record every node hook; its ``feat`` namespace runs as
    one task, and each of its nodes is seen by the hooks in order, as in ``kedro run``."""
    from kedro_prefect import kedro_flow

    project = tmp_path / "toy"
    shutil.copytree(Path(__file__).parent / "toy_project", project)
    log = tmp_path / "events.log"
    monkeypatch.setenv("TOY_EVENTS", str(log))
    state = kedro_flow(
        pipeline="main", project_path=str(project), group_by="namespace", return_state=True
    )
    assert node_states(state)["feat.double"] == "Completed"
    expect = {"group:feat": "Completed", "report": "Completed"}
    runs = task_run_states(prefect_api, state.state_details.flow_run_id, expect)
    assert "group:feat" in runs and "feat.double" not in runs, runs
    events = log.read_text().splitlines()
    order = [events.index(f"{hook}:{node}") for node in ("feat.double", "feat.total")
             for hook in ("before_node_run", "after_node_run")]  # fmt: skip
    assert order == sorted(order), events
