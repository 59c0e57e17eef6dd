"""Helpers of the end-to-end tests of the deployments (fixtures: conftest.py)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from kedro_prefect.local_server import api
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World
from tests.support import REPO, make_conf

WATCH_TIMEOUT_S = 900
T = TypeVar("T")


@dataclass
class Stack:
    api_url: str
    env: dict[str, str]
    world: World
    replica: ReplicaServer
    tmp: Path
    workers: dict[str, subprocess.Popen] = field(default_factory=dict)  # by pool
    # The nightly's runs the server's scheduler made right after `prefect deploy`.
    nightly_scheduled: list[dict[str, Any]] = field(default_factory=list)

    def start_worker(self, pool: str) -> subprocess.Popen:
        """``prefect worker start`` on ``pool`` with the environment ``make up`` gives its
        workers (it replaces the pool's worker of this stack, which must have ended)."""
        number = sum(1 for path in self.tmp.glob(f"worker-{pool}*.log"))
        log = (self.tmp / f"worker-{pool}{'' if not number else f'-{number}'}.log").open("w")
        self.workers[pool] = subprocess.Popen(
            [sys.executable, "-m", "prefect", "worker", "start", "--pool", pool,
             "--type", "process", "--name", f"e2e-{pool}-{number}"],
            cwd=self.tmp, env={**self.env, "FORECAST_KEIBA_HOME": str(REPO)},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        return self.workers[pool]

    def prefect(self, *args: str, timeout: float = WATCH_TIMEOUT_S) -> subprocess.CompletedProcess:
        """The ``prefect`` CLI, as a user runs it from the repository."""
        return subprocess.run(
            [sys.executable, "-m", "prefect", *args],
            cwd=REPO, env={**self.env, "COLUMNS": "200"}, capture_output=True, text=True,
            timeout=timeout, check=False,
        )  # fmt: skip

    def conf(self, name: str) -> Path:
        """A copy of the project's conf whose data (and cache records) live in tmp/name."""
        root = self.tmp / name
        root.mkdir()
        conf = make_conf(root, self.world.config)  # the world the stack serves
        orchestration = conf / "base" / "prefect.yml"
        settings = yaml.safe_load(orchestration.read_text())
        settings["state_dir"] = str(root / "cache_records")
        orchestration.write_text(yaml.safe_dump(settings))
        return conf

    def source_params(self) -> dict[str, str]:
        return {
            "db_base_url": self.replica.urls.db_base,
            "race_base_url": self.replica.urls.race_base,
        }

    def nightly_parameters(self, conf_name: str) -> dict[str, Any]:
        """The nightly-scraping deployment's parameters for the replica's calendar:
        from its first racing day up to "today", its first upcoming day."""
        return {
            "conf_source": str(self.conf(conf_name)),
            "params": {
                "source": self.source_params(),
                "scraping": {"start_date": self.world.racing_days()[0].isoformat(),
                             "end_date": None, "as_of": self.world.today.isoformat()},
            },
        }  # fmt: skip

    def run(self, deployment: str, parameters: dict[str, Any]) -> tuple[str, str]:
        """``prefect deployment run kedro/<deployment> --params ... --watch``:
        (flow run id, final state name); the CLI's output on failure."""
        result = self.prefect(
            "deployment", "run", f"kedro/{deployment}", "--params", json.dumps(parameters),
            "--watch", "--watch-interval", "2",
        )  # fmt: skip
        found = re.search(r"UUID:\s*([0-9a-f-]{36})", result.stdout)
        assert found, result.stdout[-3000:] + result.stderr[-3000:]
        run = api(self.api_url, f"flow_runs/{found.group(1)}")
        return run["id"], run["state"]["name"]

    def scheduled_runs(self, deployment: str) -> list[dict[str, Any]]:
        """The deployment's flow runs that its schedule put in the future (state Scheduled)."""
        return [
            r for r in self.flow_runs(deployment) if (r["state"] or {}).get("type") == "SCHEDULED"
        ]

    def pause(self, deployment: str) -> None:
        """Pause the deployment and drop its scheduled runs, so that no worker of the
        tests ever starts one (the nightly would scrape with the default conf)."""
        found = self.deployment(deployment)
        httpx.patch(f"{self.api_url}/deployments/{found['id']}", json={"paused": True},
                    timeout=30).raise_for_status()  # fmt: skip
        for run in self.scheduled_runs(deployment):
            httpx.delete(f"{self.api_url}/flow_runs/{run['id']}", timeout=30).raise_for_status()

    def deployment(self, name: str) -> dict[str, Any]:
        return api(self.api_url, f"deployments/name/kedro/{name}")

    def flow_runs(self, deployment: str) -> list[dict[str, Any]]:
        deployment_id = self.deployment(deployment)["id"]
        return api(self.api_url, "flow_runs/filter", {
            "flow_runs": {"deployment_id": {"any_": [deployment_id]}},
            "sort": "EXPECTED_START_TIME_ASC",
        })  # fmt: skip


def wait_for(condition: Callable[[], T], timeout: float = 300, every: float = 1.0) -> T:
    """Poll ``condition`` until it returns something truthy (bounded); return it."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def task_runs(stack: Stack, flow_run_id: str, expected: int) -> list[dict[str, Any]]:
    """The flow run's task runs once all ``expected`` have reached the server (they
    arrive through events, a moment after the run) and are final."""

    def settled() -> list[dict[str, Any]] | None:
        runs = api(stack.api_url, "task_runs/filter", {
            "flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200,
        })  # fmt: skip
        done = len(runs) >= expected and all(
            (r["state"] or {}).get("type") == "COMPLETED" for r in runs
        )
        return runs if done else None

    return wait_for(settled, timeout=120) or api(stack.api_url, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run_id]}}, "limit": 200,
    })  # fmt: skip
