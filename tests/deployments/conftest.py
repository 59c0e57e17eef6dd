"""A deployed stack for the end-to-end tests, built the way the README does it:
a real Prefect server (the session's, with its services: triggers, events), the
work pools from deployments/pools.py, one process worker per pool started with
``prefect worker start``, and ``prefect --no-prompt deploy --all`` of prefect.yaml.
Runs scrape a small replica world served by this process on a free port, so
its request log shows every page fetched; their data lives in tmp folders
(``conf_source``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kedro_prefect.local_server import api
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World, WorldConfig
from tests.deployments.e2e_support import Stack, wait_for
from tests.support import REPO


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture(scope="session")
def stack(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp("deployed")
    env = {
        **os.environ,
        "PREFECT_API_URL": prefect_api,
        "PREFECT_HOME": str(tmp / "prefect_home"),
        "PREFECT_LOCAL_STORAGE_PATH": str(tmp / "prefect_home" / "storage"),
        "PREFECT_WORKER_QUERY_SECONDS": "2",
    }
    env.pop("FORECAST_KEIBA_HOME", None)  # set on the deployer, it would be baked in at deploy
    world = World(WorldConfig(seed=11, n_days=4, races_per_day=6, upcoming_days=1))
    with ReplicaServer(world) as replica:
        stack = Stack(prefect_api, env, world, replica, tmp)
        for module in ("deployments.pools", "deployments.crash_detection"):  # as make up does
            made = subprocess.run(
                [sys.executable, "-m", module], cwd=REPO, env=env,
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            assert made.returncode == 0, made.stderr[-3000:]
        try:
            for pool in ("cpu", "gpu"):
                stack.start_worker(pool)
            deployed = stack.prefect("--no-prompt", "deploy", "--all", timeout=600)
            assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr[-3000:]
            # The scheduler inserts the nightly's next runs (3.8.8's never did); keep
            # them for the test, then pause it: no test worker may run a real nightly.
            stack.nightly_scheduled = wait_for(
                lambda: stack.scheduled_runs("nightly-scraping"), timeout=180
            )
            stack.pause("nightly-scraping")
            yield stack
        finally:
            for worker in stack.workers.values():
                _stop(worker)


@pytest.fixture(scope="session")
def full_pipeline_run(stack: Stack) -> str:
    """One run of the full-pipeline deployment on the small replica world."""
    days = stack.world.racing_days()
    flow_run_id, state = stack.run("full-pipeline", {
        "conf_source": str(stack.conf("full")),
        "params": {
            "source": stack.source_params(),
            "scraping": {"start_date": days[0].isoformat(), "end_date": days[-1].isoformat()},
        },
    })  # fmt: skip
    assert state == "Completed", api(stack.api_url, f"flow_runs/{flow_run_id}")["state"]
    return flow_run_id
