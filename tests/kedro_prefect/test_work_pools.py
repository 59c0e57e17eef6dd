"""``work_pools`` execution with two process work pools and two real workers.

The toy's "infra" pipeline runs as a deployment on the ``cpu`` pool; its
trainings (class gpu, work pool ``gpu``) run as a sub-flow deployment on the
``gpu`` pool, picked up by the gpu worker; data passes through the toy's
catalog on a folder both reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.deployments import run_deployment

from kedro_prefect.local_server import api
from kedro_prefect.pool_deployment import deploy_node_runner
from tests.kedro_prefect.timeline import overlapping, read_timeline

TOY = Path(__file__).parent / "toy_project"
# Pools of this test's own: the session's Prefect server may also have the
# deployments' cpu/gpu pools, whose workers would pick up runs meant for ours.
CPU, GPU = POOLS = ("wp-cpu", "wp-gpu")


@pytest.fixture(scope="module")
def workers(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Pools cpu and gpu, the generic flow deployed on each, one process worker per pool."""
    with get_client(sync_client=True) as client:
        existing = {pool.name for pool in client.read_work_pools(limit=50)}
        for pool in POOLS:
            if pool not in existing:
                client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
    for pool in POOLS:
        deploy_node_runner(pool)
    home = tmp_path_factory.mktemp("workers")
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH

    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_HOME": str(home / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(PREFECT_LOCAL_STORAGE_PATH.value()),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
    }
    logs = {pool: home / f"worker-{pool}.log" for pool in POOLS}
    processes = {}
    for pool in POOLS:
        with logs[pool].open("w") as log:
            processes[pool] = subprocess.Popen(
                [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
                 "--type", "process", "--name", f"test-{pool}-worker"],
                env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home,
            )  # fmt: skip
    try:
        yield {"logs": logs}
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for_log(path: Path, text: str, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in path.read_text():
            return True
        time.sleep(0.5)
    return False


def test_training_group_runs_on_the_gpu_pools_worker(
    workers: dict, prefect_api: str, tmp_path: Path
) -> None:
    toy = tmp_path / "toy"
    shutil.copytree(TOY, toy)
    (toy / "conf" / "local" / "prefect.yml").write_text(
        "execution:\n  mode: work_pools\n  poll_interval_seconds: 1\n"
        f"infra:\n  cpu:\n    work_pool: {CPU}\n  gpu:\n    work_pool: {GPU}\n"
    )
    timeline = tmp_path / "timeline.jsonl"
    parent = run_deployment(
        f"kedro/{CPU}",
        parameters={"pipeline": "infra", "project_path": str(toy),
                    "params": {"timeline": str(timeline), "fit_seconds": 1.0}},
        timeout=600, poll_interval=1, as_subflow=False,
    )  # fmt: skip
    assert parent.state is not None and parent.state.is_completed(), parent.state
    assert parent.work_pool_name == CPU

    children = api(prefect_api, "flow_runs/filter", {
        "flow_runs": {"parent_flow_run_id": {"any_": [str(parent.id)]}}, "limit": 10,
    })  # fmt: skip
    assert len(children) == 1
    child = children[0]
    assert child["work_pool_name"] == GPU and child["state"]["type"] == "COMPLETED"
    assert child["parameters"]["node_names"] == ["fit_a", "fit_b"]

    records = read_timeline(timeline)
    assert {records[n]["flow_run"] for n in ("fit_a", "fit_b")} == {child["id"]}
    assert {records[n]["flow_run"] for n in ("prepare", "score")} == {str(parent.id)}
    assert overlapping([records["fit_a"], records["fit_b"]]) == []  # the gpu class's limit
    # Each flow run was picked up by the worker of its own pool.
    logs = workers["logs"]
    assert wait_for_log(logs[GPU], child["id"]) and child["id"] not in logs[CPU].read_text()
    assert wait_for_log(logs[CPU], str(parent.id))
    assert str(parent.id) not in logs[GPU].read_text()
    # The parent's outputs and the sub-flow's are all in the shared catalog.
    for name in ("raw.parquet", "prepared.parquet", "model_a.json", "model_b.json",
                 "scores.json"):  # fmt: skip
        assert (toy / "data" / name).exists(), name
