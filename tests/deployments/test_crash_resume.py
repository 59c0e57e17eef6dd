"""A machine dying in the middle of a training run, on the deployed stack.

"Kill the worker" is taken as the realistic case: the machine (or container, or
pod) running the worker goes away, so the worker process and the flow-run
process it spawned die together, by SIGKILL, with no chance to report anything.
(Killing the worker alone does not kill the run: Prefect starts the flow-run
process in its own session, so the test kills the worker's whole process tree.) The test then checks
what an operator relies on (README, "After a crash"): the server marks the run
Crashed by itself (heartbeats + deployments/crash_detection.py's automation);
``prefect flow-run retry`` with a new worker completes it; the nodes that had
finished show as Cached; and every output file is byte-identical to an
uninterrupted ``kedro run`` of the same data and parameters.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from kedro_prefect.local_server import api
from tests.deployments.browser import task_runs_tab
from tests.deployments.e2e_support import Stack, wait_for
from tests.support import KEDRO_PROJECT, write_replica_tables

# Enough boosting rounds that the fit (twice: calibration, then refit) lasts some tens of
# seconds, so the test sees the node Running and kills it mid-fit even when the server
# reports states late (cost grows faster than linearly: 30,000 rounds took minutes).
# Both runs use it.
SLOW_FIT = {"training": {"model": {"max_iter": 8000}}}
TRAINING_NODE = "train_win_model"
UPSTREAM = ("build_features", "split_train_test")


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, grandchildren, ...), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def latest_task_runs(stack: Stack, flow_run_id: str) -> dict[str, dict[str, Any]]:
    runs = api(stack.api_url, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200,
    })  # fmt: skip
    return {run["name"]: run for run in sorted(runs, key=lambda r: r["created"])}


def flow_run_state(stack: Stack, flow_run_id: str) -> dict[str, Any]:
    return api(stack.api_url, f"flow_runs/{flow_run_id}")["state"]


def file_digests(data: Path) -> dict[str, str]:
    """sha256 of every catalog output under ``data`` (not MLflow's store: run ids, times)."""
    return {
        str(path.relative_to(data)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(data.rglob("*"))
        if path.is_file() and "mlflow" not in path.relative_to(data).parts
    }


def test_a_run_killed_with_its_worker_mid_fit_is_crashed_retried_and_identical(
    stack: Stack,
) -> None:
    conf = stack.conf("crashed")
    write_replica_tables(stack.world, stack.tmp / "crashed" / "data")
    started = stack.prefect(
        "deployment", "run", "kedro/training",
        "--params", json.dumps({"conf_source": str(conf), "params": SLOW_FIT}),
    )  # fmt: skip
    found = re.search(r"UUID:\s*([0-9a-f-]{36})", started.stdout)
    assert found, started.stdout[-3000:] + started.stderr[-3000:]
    flow_run_id = found.group(1)

    def fitting() -> bool:
        node = latest_task_runs(stack, flow_run_id).get(TRAINING_NODE)
        return bool(node and (node["state"] or {}).get("type") == "RUNNING")

    assert wait_for(fitting, timeout=900, every=0.5), flow_run_state(stack, flow_run_id)
    assert flow_run_state(stack, flow_run_id)["type"] == "RUNNING"
    worker = stack.workers["gpu"]  # the training deployment's pool
    machine = [worker.pid, *descendants(worker.pid)]
    engine = [pid for pid in machine[1:] if b"prefect" in Path(f"/proc/{pid}/cmdline").read_bytes()]
    assert engine, "the worker has no flow-run process to kill"
    for pid in machine:  # the machine dies: worker and flow run, at once, no cleanup
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert latest_task_runs(stack, flow_run_id)[TRAINING_NODE]["state"]["type"] == "RUNNING"

    # No process is left to report the end: the heartbeat automation must.
    crashed = wait_for(
        lambda: (s := flow_run_state(stack, flow_run_id))["type"] != "RUNNING" and s,
        timeout=600, every=2,
    )  # fmt: skip
    assert crashed and crashed["type"] == "CRASHED", crashed
    assert "heartbeat" in crashed["message"]
    assert not (stack.tmp / "crashed" / "data" / "06_models" / "win_model.pkl").exists()

    stack.start_worker("gpu")  # the machine is back (or another one took its place)
    retried = stack.prefect("flow-run", "retry", flow_run_id)
    assert retried.returncode == 0, retried.stdout[-2000:] + retried.stderr[-2000:]
    final = wait_for(
        lambda: (s := flow_run_state(stack, flow_run_id))["type"]
        in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") and s,
        timeout=900, every=2,
    )  # fmt: skip
    assert final and final["type"] == "COMPLETED", final

    def resumed() -> dict[str, str] | None:
        found = {
            n: (r["state"] or {}).get("name")
            for n, r in latest_task_runs(stack, flow_run_id).items()
        }
        return found if found.get(TRAINING_NODE) == "Completed" else None

    nodes = wait_for(resumed, timeout=120)
    assert nodes, latest_task_runs(stack, flow_run_id)
    assert {name: nodes[name] for name in UPSTREAM} == dict.fromkeys(UPSTREAM, "Cached")

    # What an operator then sees: no task run the dead attempt left unfinished (all
    # attempts' task runs final, none Pending or Running forever), attempt 2's run
    # summary counting what the server holds, and the UI's page saying the same.
    every = api(stack.api_url, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200,
    })  # fmt: skip
    unfinished = [(r["name"], r["state"]["name"]) for r in every
                  if r["state"]["type"] in ("PENDING", "RUNNING", "SCHEDULED")]  # fmt: skip
    assert not unfinished, unfinished
    counts = Counter(state for state in nodes.values())
    (summary, *_) = api(stack.api_url, "artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]},
                      "key": {"any_": ["kedro-run-training"]}},
        "sort": "CREATED_DESC",
    })  # fmt: skip
    assert "(attempt 2)" in summary["data"]
    stated = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    assert f"States: {stated}." in summary["data"], (stated, summary["data"][-300:])
    page = task_runs_tab(stack.api_url, flow_run_id, nodes, "retried_flow_run_task_runs")
    assert not page.off_machine(), page.off_machine()
    shown = {r["state"]["name"] for r in every}
    assert all(state in page.text for state in shown), (shown, page.text[-2000:])
    assert "Pending" not in page.text and "Running" not in page.text, page.text[-2000:]

    # An uninterrupted run of the same data and parameters, with plain `kedro run`.
    reference_conf = stack.conf("reference")
    write_replica_tables(stack.world, stack.tmp / "reference" / "data")
    reference = subprocess.run(
        [sys.executable, "-m", "kedro", "run", "--pipeline", "training",
         "--conf-source", str(reference_conf),
         "--params", f"training.model.max_iter={SLOW_FIT['training']['model']['max_iter']}"],
        cwd=KEDRO_PROJECT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert reference.returncode == 0, reference.stderr[-3000:]
    crashed_files = file_digests(stack.tmp / "crashed" / "data")
    assert "06_models/win_model.pkl" in crashed_files
    assert crashed_files == file_digests(stack.tmp / "reference" / "data")
    # the killed fit never finished a save: no leftover temp file beside any output
    assert not [p for p in (stack.tmp / "crashed" / "data").rglob(".*.tmp")]
