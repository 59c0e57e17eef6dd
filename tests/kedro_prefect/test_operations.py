"""Operations that hold up (issue #14), against a real Prefect server on the toy
project: a failed attempt and its retry leave no task run Pending and artifacts
that agree with the server; a run whose inputs do not exist fails before any
node, naming them and their producers; a node that overruns its timeout ends
TimedOut, and a timeout that could not interrupt its node is refused."""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from kedro_prefect import plan_pipeline
from kedro_prefect.local_server import api
from kedro_prefect.plan import PlanError
from tests.kedro_prefect.cli_support import kedro_prefect
from tests.kedro_prefect.test_bridge import retry_from_another_shell, run, states

FINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


def every_task_run(prefect_api: str, flow_run_id: str) -> list[dict[str, Any]]:
    return api(prefect_api, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200,
    })  # fmt: skip


def all_final(prefect_api: str, flow_run_id: str, expected: int) -> list[dict[str, Any]]:
    """Every task run of the flow run once ``expected`` of them reached the server
    and all are final (states arrive through events, a moment late); else what is there."""
    deadline = time.monotonic() + 60
    while True:
        runs = every_task_run(prefect_api, flow_run_id)
        types = [(r["state"] or {}).get("type") for r in runs]
        if (len(runs) >= expected and set(types) <= FINAL) or time.monotonic() > deadline:
            return runs
        time.sleep(0.5)


def artifacts_of(prefect_api: str, flow_run_id: str) -> list[dict[str, Any]]:
    """The flow run's artifacts, oldest first."""
    return api(prefect_api, "artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]}},
        "limit": 100, "offset": 0, "sort": "CREATED_DESC",
    })[::-1]  # fmt: skip


def summary_states(markdown: str) -> dict[str, int]:
    """The ``States: 1 Completed, 3 NotRun.`` line of a run summary."""
    line = re.search(r"^States: (.*)\.$", markdown, re.M)
    assert line, markdown
    return {name: int(n) for n, name in (part.split(" ", 1) for part in line.group(1).split(", "))}


def test_failed_attempt_and_its_retry_leave_nothing_pending(
    prefect_api: str, toy: Path, tmp_path: Path
) -> None:
    switch = toy / "FAIL_RAW"  # make_raw reports 50%, then fails
    switch.touch()
    failed = run(toy, pipeline="main")
    assert failed.is_failed()
    flow_run_id = str(failed.state_details.flow_run_id)
    message = str(failed.message)
    assert message.startswith("node 'make_raw' failed: RuntimeError: toy: make_raw failed"), message
    assert "not run (upstream failed): " in message

    first = all_final(prefect_api, flow_run_id, expected=5)
    assert {(r["state"] or {}).get("type") for r in first} <= FINAL, [
        (r["name"], r["state"]) for r in first
    ]
    by_name = {r["name"]: r["state"] for r in first}
    assert by_name["make_raw"]["name"] == "Failed"
    for node in ("clean", "feat.double", "feat.total", "report"):
        assert by_name[node]["type"] == "CANCELLED" and by_name[node]["name"] == "NotRun"
        assert by_name[node]["message"] == "not run: upstream node 'make_raw' failed"

    found = artifacts_of(prefect_api, flow_run_id)
    summary = next(a for a in found if a["key"] == "kedro-run-main")
    assert "attempt 1" in summary["description"] and "(attempt 1)" in summary["data"]
    server_counts = Counter(state["name"] for state in by_name.values())
    assert summary_states(summary["data"]) == dict(server_counts) == {"Failed": 1, "NotRun": 4}
    assert "| `clean` | NotRun | - | - |" in summary["data"]
    failure = next(a for a in found if a["key"] == "kedro-failure-make-raw")
    assert "RuntimeError: toy: make_raw failed half way on purpose" in failure["data"]
    assert "Traceback (most recent call last)" in failure["data"] and "nodes.py" in failure["data"]
    progress = next(a for a in found if a["key"] == "progress-make-raw")
    assert progress["data"] == 50.0  # where it stopped, and it says so
    assert progress["description"] == "attempt 1: stopped at 50%: Failed"

    switch.unlink()  # the fault is fixed; retry the same flow run, as the UI's "Retry" does
    retry_from_another_shell(prefect_api, flow_run_id, tmp_path / "other_home")
    assert api(prefect_api, f"flow_runs/{flow_run_id}")["state"]["type"] == "COMPLETED"
    every = all_final(prefect_api, flow_run_id, expected=10)
    assert len(every) == 10 and {r["state"]["type"] for r in every} <= FINAL, [
        (r["name"], r["state"]) for r in every
    ]
    latest = states(prefect_api, failed, dict.fromkeys(["make_raw", "report"], "Completed"))
    assert set(latest.values()) == {"Completed"}

    found = artifacts_of(prefect_api, flow_run_id)
    plans = [a for a in found if a["key"] == "kedro-plan-main"]
    assert [p["description"].split(":")[0] for p in plans] == [
        "Kedro plan, attempt 1", "Kedro plan, attempt 2"
    ]  # fmt: skip
    second = [a for a in found if a["key"] == "kedro-run-main"][-1]
    assert "attempt 2" in second["description"]
    assert summary_states(second["data"]) == dict(Counter(latest.values())) == {"Completed": 5}
    progress = [a for a in found if a["key"] == "progress-make-raw"]
    assert [(p["data"], p["description"]) for p in progress] == [
        (50.0, "attempt 1: stopped at 50%: Failed"), (100.0, "attempt 2: done"),
    ]  # fmt: skip


def test_summary_cache_column_and_rows_come_from_what_happened(prefect_api: str, toy: Path) -> None:
    assert run(toy, pipeline="main").is_completed()
    second = run(toy, pipeline="main")
    states(prefect_api, second, {"make_raw": "Cached", "clean": "Cached"})
    found = artifacts_of(prefect_api, str(second.state_details.flow_run_id))
    summary = next(a for a in found if a["key"] == "kedro-run-main")["data"]
    assert "| `clean` | Cached | - | hit | `clean` (16) |" in summary, summary
    assert "| `feat.double` | Completed |" in summary and "| excluded | `feat.doubled`" in summary
    assert "States: 4 Cached, 1 Completed." in summary


def test_missing_free_inputs_fail_before_any_node_naming_their_producers(
    prefect_api: str, toy: Path
) -> None:
    expected = (
        "pipeline 'main' cannot start: its input(s) do not exist: raw (written by pipeline "
        "flaky, infra, main, records). Run the pipeline that writes them first"
    )
    plan = plan_pipeline("main", project_path=str(toy), node_names=["clean"])
    assert plan.cannot_start == expected  # the dry run shows the plan, and why it cannot start
    assert f"CANNOT START: {expected}" in plan.to_text()
    with pytest.raises(PlanError, match=re.escape(expected)):
        plan.check_runnable()

    state = run(toy, pipeline="main", node_names=["clean"])
    assert state.is_failed()
    assert state.message == f"PlanError: {expected}"
    assert every_task_run(prefect_api, str(state.state_details.flow_run_id)) == []

    for command in ("run", "plan"):
        result = kedro_prefect(toy, command, "--pipeline", "main", "--nodes", "clean")
        assert result.exit_code == 2, result.output
        errors = [line for line in result.output.splitlines() if line.startswith("kedro prefect")]
        assert errors == [f"kedro prefect: error: {expected}"], result.output  # Kedro's INFO aside


@pytest.mark.timeout(600, method="thread")  # pytest-timeout's SIGALRM would take Prefect's
def test_a_node_that_overruns_its_timeout_ends_timed_out(prefect_api: str, toy: Path) -> None:
    timed = "nodes:\n  fit_a:\n    timeout_seconds: 2\n"
    (toy / "conf" / "local" / "prefect.yml").write_text(timed)
    started = time.monotonic()
    state = run(toy, pipeline="infra", to_nodes=["fit_a"], params={"fit_seconds": 120})
    took = time.monotonic() - started
    assert state.is_failed()
    assert "node 'fit_a' failed" in str(state.message), state.message
    assert "TaskRunTimeoutError: Scope timed out after 2" in str(state.message), state.message
    assert took < 90, f"the node was not interrupted: the run took {took:.0f} s"
    result = states(prefect_api, state, {"fit_a": "TimedOut"})
    assert result["fit_a"] == "TimedOut" and result["prepare"] == "Completed"

    with pytest.raises(PlanError, match=r"timeout_seconds cannot interrupt node\(s\) fit_a under "
                                        r"the threads task runner"):  # fmt: skip
        plan_pipeline("infra", project_path=str(toy), task_runner="threads")


def test_cached_partitioned_outputs_count_the_partitions_they_hold(tmp_path: Path) -> None:
    from kedro.io import DataCatalog
    from kedro_datasets.json import JSONDataset
    from kedro_datasets.partitions import PartitionedDataset

    from kedro_prefect.rows import partition_counts

    pages = tmp_path / "pages"
    pages.mkdir()
    for day in ("2024-01-06", "2024-01-07", "2024-01-08"):
        (pages / f"{day}.txt").write_text(day)
    catalog = DataCatalog({
        "pages": PartitionedDataset(path=str(pages), dataset="text.TextDataset"),
        "none_yet": PartitionedDataset(path=str(tmp_path / "empty"), dataset="text.TextDataset"),
        "report": JSONDataset(filepath=str(tmp_path / "report.json")),
    })  # fmt: skip
    assert partition_counts(catalog, ["pages", "none_yet", "report"]) == {"pages": 3}


def test_not_run_names_the_failed_nodes_it_waited_on() -> None:
    from kedro_prefect.not_run import failed_ancestors, not_run_state

    upstream = {"a": (), "b": ("a",), "c": ("b",), "d": ("c", "x"), "x": ()}
    assert failed_ancestors("d", upstream, {"a", "x"}) == {"a", "x"}
    state = not_run_state({"x", "a"})
    assert (state.type.value, state.name) == ("CANCELLED", "NotRun")
    assert state.message == "not run: upstream nodes 'a', 'x' failed"


def test_a_retry_ends_every_unfinished_task_run_of_a_dead_attempt_not_one_page(
    prefect_api: str,
) -> None:
    """A 1,000-node attempt that died leaves more task runs than the server returns at
    once (200): the retry must end them all, or the UI shows the rest Running forever."""
    from uuid import UUID

    from kedro_prefect.not_run import NOT_RUN, end_earlier_attempts

    flow = api(prefect_api, "flows/", {"name": "a-dead-attempt"})
    flow_run = api(prefect_api, "flow_runs/", {"flow_id": flow["id"], "name": "dead",
                                               "state": {"type": "RUNNING"}})  # fmt: skip
    left = 230
    for i in range(left):
        state = {"type": "RUNNING"} if i % 2 else {"type": "PENDING"}
        api(prefect_api, "task_runs/", {"flow_run_id": flow_run["id"], "name": f"n{i}",
                                        "task_key": f"n{i}", "dynamic_key": "0",
                                        "state": state})  # fmt: skip
    assert end_earlier_attempts(UUID(flow_run["id"]), attempt=1) == 0  # a first attempt
    assert end_earlier_attempts(UUID(flow_run["id"]), attempt=2) == left
    runs = api(prefect_api, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run["id"]]}}, "limit": 200, "offset": 0,
    })  # fmt: skip
    runs += api(prefect_api, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run["id"]]}}, "limit": 200, "offset": 200,
    })  # fmt: skip
    assert len(runs) == left
    assert {r["state"]["name"] for r in runs} == {NOT_RUN}


def test_a_timeout_is_its_own_root_cause_not_the_cancellation_that_delivered_it() -> None:
    from kedro_prefect.failures import describe

    class Interrupted(BaseException):
        pass

    try:
        try:
            raise Interrupted()
        except Interrupted:
            raise TimeoutError("Scope timed out after 2.0 second(s).") from None
    except TimeoutError as timeout:
        suppressed = timeout
    try:
        try:
            raise Interrupted()
        except Interrupted:
            raise TimeoutError("Scope timed out after 2.0 second(s).")  # noqa: B904
    except TimeoutError as timeout:
        chained = timeout
    for error in (suppressed, chained):
        assert describe(error) == "TimeoutError: Scope timed out after 2.0 second(s)."
