"""The bridge against a real Prefect server, on a toy Kedro project."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prefect.logging.handlers import APILogHandler

from kedro_prefect import kedro_flow, pipeline_flow, plan_pipeline
from kedro_prefect.local_server import api
from tests.support import REPO

TOY = Path(__file__).parent / "toy_project"
MAIN_NODES = {"make_raw", "clean", "feat.double", "feat.total", "report"}


def events(toy: Path) -> list[str]:
    path = toy.parent / "events.log"
    return path.read_text().splitlines() if path.exists() else []


def retry_from_another_shell(prefect_api: str, flow_run_id: str, home: Path) -> None:
    """``prefect flow-run retry``, as the UI's "Retry" does, from a process with a
    Prefect home of its own (as a worker's or another shell's): it must find what
    the first attempt cached all the same."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env |= {"PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "prefect", "flow-run", "retry", flow_run_id,
         "--entrypoint", "kedro_prefect.flow:kedro_flow"],
        cwd=REPO, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def run(toy: Path, **kwargs: Any):
    return kedro_flow(project_path=str(toy), return_state=True, **kwargs)


def task_runs(prefect_api: str, flow_run_id: object) -> dict[str, dict[str, Any]]:
    """The latest task run of each node in a flow run, by name."""
    runs = api(prefect_api, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [str(flow_run_id)]}},
        "sort": "EXPECTED_START_TIME_ASC", "limit": 200,
    })  # fmt: skip
    latest: dict[str, dict[str, Any]] = {}
    for task_run in sorted(runs, key=lambda r: r["created"]):
        latest[task_run["name"]] = task_run
    return latest


def states(prefect_api: str, state, expect: dict[str, str] | None = None) -> dict[str, str]:
    """Each node's latest task-run state. Task-run states reach the server's
    database through events, a moment after the run: with ``expect``, wait
    (up to a minute) until the server shows those states, then return them all."""
    deadline = time.monotonic() + 60
    while True:
        runs = task_runs(prefect_api, state.state_details.flow_run_id)
        found = {name: (run["state"] or {}).get("name") for name, run in runs.items()}
        if not expect or expect.items() <= found.items() or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_one_task_run_per_node_named_after_it_and_hooks_fire(prefect_api: str, toy: Path) -> None:
    state = run(toy, pipeline="main")
    assert state.is_completed()
    states(prefect_api, state, dict.fromkeys(MAIN_NODES, "Completed"))
    runs = task_runs(prefect_api, state.state_details.flow_run_id)
    assert set(runs) == MAIN_NODES
    assert "pipeline:main" in runs["clean"]["tags"] and "prep" in runs["clean"]["tags"]
    assert "namespace:feat" in runs["feat.total"]["tags"]
    assert "infra:small" in runs["report"]["tags"]
    fired = events(toy)
    assert fired[0] == "before_pipeline_run:main" and fired[-1] == "after_pipeline_run:main"
    for node in MAIN_NODES:
        assert f"before_node_run:{node}" in fired and f"after_node_run:{node}" in fired
    assert "after_dataset_saved:clean" in fired and "after_dataset_loaded:clean" in fired


def test_pipeline_flow_is_bound_to_its_pipeline(prefect_api: str, toy: Path) -> None:
    flaky_flow = pipeline_flow("flaky")
    assert flaky_flow.name == "kedro-flaky"
    state = flaky_flow(project_path=str(toy), return_state=True)
    assert state.is_completed()
    assert set(states(prefect_api, state, {"flaky": "Completed"})) == {"make_raw", "clean", "flaky"}


def test_outputs_equal_kedro_run(prefect_api: str, toy: Path, tmp_path: Path) -> None:
    native = tmp_path / "native"
    shutil.copytree(TOY, native)
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipeline", "main"],
        cwd=native, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert run(toy, pipeline="main").is_completed()
    for name in ("raw.parquet", "clean.parquet"):
        pd.testing.assert_frame_equal(
            pd.read_parquet(toy / "data" / name), pd.read_parquet(native / "data" / name)
        )
    for name in ("summary.json", "report.json"):
        assert json.loads((toy / "data" / name).read_text()) == json.loads(
            (native / "data" / name).read_text()
        )


def test_second_run_is_served_from_cache_as_planned(prefect_api: str, toy: Path) -> None:
    assert run(toy, pipeline="main").is_completed()
    plan = plan_pipeline("main", project_path=str(toy))
    assert plan.predictions == {"make_raw": "hit", "clean": "hit", "feat.double": "excluded",
                                "feat.total": "hit", "report": "hit"}  # fmt: skip
    second = run(toy, pipeline="main")
    expected = {
        "make_raw": "Cached", "clean": "Cached", "feat.double": "Completed",
        "feat.total": "Cached", "report": "Cached",
    }  # fmt: skip
    assert states(prefect_api, second, expected) == expected
    assert "before_node_run:clean" not in events(toy)[-20:]


def test_parameter_change_reruns_only_dependent_nodes(prefect_api: str, toy: Path) -> None:
    assert run(toy, pipeline="main").is_completed()
    plan = plan_pipeline("main", project_path=str(toy), params={"title": "renamed"})
    assert plan.predictions["report"] == "miss" and plan.predictions["feat.total"] == "hit"
    changed = run(toy, pipeline="main", params={"title": "renamed"})
    result = states(prefect_api, changed, {"report": "Completed", "feat.total": "Cached"})
    assert result["report"] == "Completed"
    assert result["make_raw"] == result["clean"] == result["feat.total"] == "Cached"
    assert json.loads((toy / "data" / "report.json").read_text())["title"] == "renamed"


def test_deleted_output_is_rebuilt_not_served_from_cache(prefect_api: str, toy: Path) -> None:
    assert run(toy, pipeline="main").is_completed()
    (toy / "data" / "summary.json").unlink()
    assert plan_pipeline("main", project_path=str(toy)).predictions["feat.total"] == "miss"
    rebuilt = states(prefect_api, run(toy, pipeline="main"), {"feat.total": "Completed"})
    assert rebuilt["feat.total"] == "Completed"
    assert (toy / "data" / "summary.json").exists()
    cached = states(prefect_api, run(toy, pipeline="main"), {"feat.total": "Cached"})
    assert cached["feat.total"] == "Cached"


def test_datasets_without_files_are_cached_when_they_fingerprint_themselves(
    prefect_api: str, toy: Path
) -> None:
    """``published`` is a row of a SQLite table with a ``fingerprint()``: its
    producer and consumer cache like file nodes, and a change made behind the
    bridge's back re-runs the producer. ``opaque_record`` has no fingerprint:
    its producer is excluded from caching."""
    first = run(toy, pipeline="records")
    assert first.is_completed(), first.message
    plan = plan_pipeline("records", project_path=str(toy))
    assert plan.predictions == {"make_raw": "hit", "publish": "hit", "announce": "hit",
                                "publish_opaque": "excluded"}  # fmt: skip
    assert "opaque_record" in plan["publish_opaque"].note
    assert "fingerprint()" in plan["publish_opaque"].note
    expected = {"make_raw": "Cached", "publish": "Cached", "announce": "Cached",
                "publish_opaque": "Completed"}  # fmt: skip
    assert states(prefect_api, run(toy, pipeline="records"), expected) == expected

    records = toy / "data" / "records.db"
    with contextlib.closing(sqlite3.connect(records)) as db, db:
        db.execute("UPDATE records SET body = '{}' WHERE key = 'published'")  # someone else
    # publish re-runs and writes the record it wrote before: announce, which
    # reads it, is then served from cache, as the plan predicts.
    plan = plan_pipeline("records", project_path=str(toy))
    assert (plan.predictions["publish"], plan.predictions["announce"]) == ("miss", "hit")
    rebuilt = {"make_raw": "Cached", "publish": "Completed", "announce": "Cached"}
    assert states(prefect_api, run(toy, pipeline="records"), rebuilt).items() >= rebuilt.items()
    with contextlib.closing(sqlite3.connect(records)) as db:
        (body,) = db.execute("SELECT body FROM records WHERE key = 'published'").fetchone()
    assert json.loads(body) == {"rows": 20, "sum": 190}  # params n: 20, rows 0..19


def test_refresh_ignores_the_cache_of_selected_nodes(prefect_api: str, toy: Path) -> None:
    assert run(toy, pipeline="main").is_completed()
    result = states(
        prefect_api, run(toy, pipeline="main", refresh=["clean"]), {"clean": "Completed"}
    )
    assert result["clean"] == "Completed" and result["make_raw"] == "Cached"


def test_node_with_two_retries_succeeds_on_the_third_attempt(
    prefect_api: str, toy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = tmp_path / "flaky_attempts"
    monkeypatch.setenv("TOY_FLAKY", str(counter))
    state = run(toy, pipeline="flaky")
    assert state.is_completed()
    states(prefect_api, state, {"flaky": "Completed"})
    flaky = task_runs(prefect_api, state.state_details.flow_run_id)["flaky"]
    assert flaky["state"]["name"] == "Completed" and flaky["run_count"] == 3
    assert counter.read_text() == "3"
    assert events(toy).count("on_node_error:flaky") == 2


def test_retrying_a_failed_flow_run_resumes_at_the_failed_node(
    prefect_api: str, toy: Path, tmp_path: Path
) -> None:
    switch = toy / "FAIL_CLEAN"  # read by the clean node from the project folder
    switch.touch()
    failed = run(toy, pipeline="main")
    assert failed.is_failed()
    first = states(prefect_api, failed, {"make_raw": "Completed", "clean": "Failed"})
    assert first["make_raw"] == "Completed" and first["clean"] == "Failed"
    assert "on_node_error:clean" in events(toy) and "on_pipeline_error:NodesFailed" in events(toy)
    assert not (toy / "data" / "report.json").exists()

    switch.unlink()  # the fault is fixed; retry the same flow run
    flow_run_id = str(failed.state_details.flow_run_id)
    retry_from_another_shell(prefect_api, flow_run_id, tmp_path / "other_home")
    retried = api(prefect_api, f"flow_runs/{flow_run_id}")
    assert retried["state"]["type"] == "COMPLETED"
    resumed = states(
        prefect_api, failed, {"make_raw": "Cached", "clean": "Completed", "report": "Completed"}
    )
    # If it fails, the message tells the story: every task run of the flow run.
    query = {"flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200}
    every_run = api(prefect_api, "task_runs/filter", query)
    story = sorted((r["created"], r["name"], str(r["state"]), r["cache_key"]) for r in every_run)
    assert resumed["make_raw"] == "Cached", story
    assert resumed["clean"] == resumed["report"] == resumed["feat.total"] == "Completed", story
    assert (toy / "data" / "report.json").exists()


def test_node_logs_and_run_artifacts_reach_the_server(prefect_api: str, toy: Path) -> None:
    state = run(toy, pipeline="main")
    states(prefect_api, state, {"make_raw": "Completed"})
    make_raw = task_runs(prefect_api, state.state_details.flow_run_id)["make_raw"]
    APILogHandler().flush()  # logs travel to the server in the background
    logs = api(prefect_api, "logs/filter", {
        "logs": {"task_run_id": {"any_": [make_raw["id"]]}}, "limit": 200, "offset": 0,
    })  # fmt: skip
    artifacts = api(prefect_api, "artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [str(state.state_details.flow_run_id)]}},
        "limit": 50, "offset": 0, "sort": "CREATED_DESC",
    })  # fmt: skip
    assert any("toy: making 20 rows" in log["message"] for log in logs)
    keys = {a["key"] for a in artifacts}
    assert {"kedro-plan-main", "kedro-run-main", "progress-make-raw"} <= keys
    progress = next(a for a in artifacts if a["key"] == "progress-make-raw")
    assert progress["type"] == "progress" and progress["data"] == 100.0  # ended: done
    figures = next(a for a in artifacts if a["key"] == "summary-make-raw-rows")
    assert figures["type"] == "table" and figures["task_run_id"] == make_raw["id"]
    assert json.loads(figures["data"]) == [{"figure": "made", "value": 20}]
    summary = next(a for a in artifacts if a["key"] == "kedro-run-main")["data"]
    assert "`clean` (16)" in summary and "| `make_raw` | Completed |" in summary


def test_concurrency_key_takes_a_slot_of_its_global_limit(prefect_api: str, toy: Path) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text(
        "nodes:\n  report:\n    concurrency_key: toy-reports\n"
    )
    missing = run(toy, pipeline="main")
    assert missing.is_failed()  # strict: a key whose limit does not exist is an error
    assert (
        "toy-reports"
        in str(missing.message) + str(states(prefect_api, missing, {"report": "Failed"}))
        or states(prefect_api, missing)["report"] == "Failed"
    )
    api(prefect_api, "v2/concurrency_limits/", {"name": "toy-reports", "limit": 1})
    assert states(prefect_api, run(toy, pipeline="main"), {"report": "Completed"})["report"] == (
        "Completed"
    )
    limit = api(prefect_api, "v2/concurrency_limits/toy-reports")
    assert limit["active_slots"] == 0  # taken while the node ran, released after


def test_flow_run_names_tell_runs_apart(prefect_api: str, toy: Path) -> None:
    plain = run(toy, pipeline="main")
    changed = run(toy, pipeline="main", params={"title": "renamed"})
    again = run(toy, pipeline="main", params={"title": "renamed"})
    names = [api(prefect_api, f"flow_runs/{state.state_details.flow_run_id}")["name"]
             for state in (plain, changed, again)]  # fmt: skip
    assert re.fullmatch(r"kedro main \d{4}-\d{2}-\d{2}", names[0]), names
    assert re.fullmatch(r"kedro main \d{4}-\d{2}-\d{2} #[0-9a-f]{6}", names[1]), names
    assert names[1] == names[2]  # the same request, the same digest
