"""The stack of ``make up`` with Prefect basic auth, on real processes: what it
listens on (read from the kernel, not from its configuration), that the API
refuses callers without the password, that an authenticated worker still runs a
bridge flow run, and that no planted secret reaches a log, the Prefect database
(logs, artifacts, parameters), results, MLflow (params, tags, artifacts) or the
data written.

The secrets are planted where the project takes credentials from: the
git-ignored ``conf/local/credentials.yml`` (the Prefect auth string, a netkeiba
login cookie), ``conf/local/parameters.yml`` (a password-named parameter) and the
workers' environment."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from mlflow import MlflowClient

from deployments import stack
from kedro_prefect.local_server import free_port
from netkeiba_replica.world import World, WorldConfig
from tests.support import (
    KEDRO_PROJECT,
    REPO,
    listening_addresses,
    make_conf,
    write_replica_tables,
)

WORLD = WorldConfig(seed=11, n_days=4, races_per_day=6, upcoming_days=1)


@dataclass
class Secured:
    root: Path
    api_url: str
    auth: str
    planted: dict[str, str]  # where -> secret
    ports: dict[str, int]  # service -> port
    started: float  # time.monotonic() when the stack was up

    def client_env(self, **extra: str) -> dict[str, str]:
        """What an operator exports to use the CLI against the stack."""
        return {**stack_env(self.root), "PREFECT_API_URL": self.api_url,
                "PREFECT_API_AUTH_STRING": self.auth, **extra}  # fmt: skip


def stack_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    return {**env, "PREFECT_HOME": str(root / "client_home"), "DO_NOT_TRACK": "1"}


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    root = tmp_path_factory.mktemp("secured")
    conf = make_conf(root, WORLD)
    write_replica_tables(World(WORLD), root / "data")
    password = f"PW-{secrets.token_hex(8)}"
    planted = {
        "credentials.yml prefect_server.auth_string": password,
        "credentials.yml netkeiba.cookie": f"COOKIE-{secrets.token_hex(8)}",
        "parameters.yml netkeiba_login.password": f"PARAM-{secrets.token_hex(8)}",
        "worker environment NETKEIBA_PASSWORD": f"ENV-{secrets.token_hex(8)}",
    }
    auth = f"keiba:{password}"
    (conf / "local" / "credentials.yml").write_text(yaml.safe_dump({
        "prefect_server": {"auth_string": auth},
        "netkeiba": {"cookie": planted["credentials.yml netkeiba.cookie"]},
    }))  # fmt: skip
    (conf / "local" / "parameters.yml").write_text(yaml.safe_dump({
        "netkeiba_login": {"user": "keiba",
                           "password": planted["parameters.yml netkeiba_login.password"]},
    }))  # fmt: skip
    orchestration = conf / "base" / "prefect.yml"  # cache records beside the data, too
    settings = yaml.safe_load(orchestration.read_text())
    orchestration.write_text(yaml.safe_dump({**settings, "state_dir": str(root / "cache")}))
    ports = {"prefect-server": free_port(), "mlflow": free_port(), "replica": free_port()}
    world = {"seed": WORLD.seed, "start_date": WORLD.start_date.isoformat(),
             "n_days": WORLD.n_days, "races_per_day": WORLD.races_per_day}  # fmt: skip
    with pytest.MonkeyPatch.context() as patch:
        # `make up` of a project whose folder is `root` (its conf, data, MLflow store),
        # with its run-time state there too instead of the checkout's var/.
        patch.setattr(stack, "KEDRO_PROJECT", root)
        patch.setattr(stack, "RUN_DIR", root / "var" / "run")
        patch.setattr(stack, "LOG_DIR", root / "var" / "log")
        patch.setattr(stack, "PREFECT_HOME", root / "var" / "prefect")
        patch.setattr(stack, "replica_port", lambda: ports["replica"])
        patch.setattr(stack, "replica_source", lambda: {"embedded_replica": world})
        patch.setenv("KEIBA_PREFECT_PORT", str(ports["prefect-server"]))
        patch.setenv("KEIBA_MLFLOW_PORT", str(ports["mlflow"]))
        patch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
        patch.setenv("NETKEIBA_PASSWORD", planted["worker environment NETKEIBA_PASSWORD"])
        try:
            assert stack.up() == 0
            yield Secured(root, stack.prefect_api_url(), auth, planted, ports, time.monotonic())
        finally:
            stack.down()


def test_every_server_of_the_stack_listens_on_loopback_only(secured: Secured) -> None:
    for service, port in secured.ports.items():
        assert listening_addresses(port) == {"127.0.0.1"}, service


def test_the_local_server_of_demo_and_tests_listens_on_loopback_only(prefect_api: str) -> None:
    port = int(prefect_api.rsplit(":", 1)[1].split("/")[0])
    assert listening_addresses(port) == {"127.0.0.1"}


def test_the_api_refuses_callers_without_the_password(secured: Secured) -> None:
    url = f"{secured.api_url}/flow_runs/filter"
    assert httpx.post(url, json={}, timeout=30).status_code == 401
    wrong = httpx.BasicAuth("keiba", "not-the-password")
    assert httpx.post(url, json={}, auth=wrong, timeout=30).status_code == 401
    user, password = secured.auth.split(":", 1)
    right = httpx.BasicAuth(user, password)
    assert httpx.post(url, json={}, auth=right, timeout=30).status_code == 200
    assert httpx.get(f"{secured.api_url}/health", timeout=30).status_code == 200  # probes
    # the CLI without PREFECT_API_AUTH_STRING cannot use it either
    env = {k: v for k, v in secured.client_env().items() if k != "PREFECT_API_AUTH_STRING"}
    listed = subprocess.run(
        [sys.executable, "-m", "prefect", "work-pool", "ls"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert listed.returncode != 0 and "401" in listed.stdout + listed.stderr


def test_an_authenticated_worker_runs_a_bridge_flow_run_and_no_secret_leaks(
    secured: Secured,
) -> None:
    env = secured.client_env()
    deployed = subprocess.run(
        [sys.executable, "-m", "kedro_prefect.pool_deployment", "cpu"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert deployed.returncode == 0, deployed.stdout[-2000:] + deployed.stderr[-2000:]
    parameters = {"pipeline": "training", "project_path": str(KEDRO_PROJECT),
                  "conf_source": str(secured.root / "conf")}  # fmt: skip
    ran = subprocess.run(
        [sys.executable, "-m", "prefect", "deployment", "run", "kedro/cpu",
         "--params", json.dumps(parameters), "--watch", "--watch-interval", "2"],
        cwd=REPO, env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip
    output = ran.stdout + ran.stderr
    assert ran.returncode == 0 and "Completed" in output, output[-3000:]
    user, password = secured.auth.split(":", 1)
    auth = httpx.BasicAuth(user, password)
    (flow_run,) = httpx.post(
        f"{secured.api_url}/flow_runs/filter", json={}, auth=auth, timeout=30
    ).json()
    assert flow_run["state"]["type"] == "COMPLETED" and flow_run["work_pool_name"] == "cpu"
    logs = httpx.post(f"{secured.api_url}/logs/filter", auth=auth, timeout=30, json={
        "logs": {"flow_run_id": {"any_": [flow_run["id"]]}}, "limit": 200,
    }).json()  # fmt: skip
    artifacts = httpx.post(f"{secured.api_url}/artifacts/filter", auth=auth, timeout=30, json={
        "artifacts": {"flow_run_id": {"any_": [flow_run["id"]]}},
    }).json()  # fmt: skip
    assert logs and artifacts  # the places the grep below must cover are not empty
    mlflow_files = [p for p in (secured.root / "data" / "mlflow").rglob("*") if p.is_file()]
    store = MlflowClient(f"sqlite:///{secured.root / 'data' / 'mlflow' / 'mlflow.db'}")
    (run,) = store.search_runs([store.get_experiment_by_name("forecast_keiba").experiment_id])
    assert run.data.tags["prefect.flow_run_id"] == flow_run["id"]
    # kedro-mlflow logs the parameters that nodes read (no node reads the planted login);
    # any secret-looking one is logged as "[redacted]" (tests/tracking: redaction itself)
    secret_like = {k: v for k, v in run.data.params.items() if "password" in k.lower()}
    assert all(value == "[redacted]" for value in secret_like.values()), secret_like
    assert any(p.name == "mlflow.db" for p in mlflow_files) and len(mlflow_files) > 10

    texts = {"CLI output": output, "flow run (API)": json.dumps(flow_run),
             "flow run logs (API)": json.dumps(logs, ensure_ascii=False),
             "artifacts (API)": json.dumps(artifacts, ensure_ascii=False)}  # fmt: skip
    conf_local = secured.root / "conf" / "local"
    written = [  # every log, database, result, MLflow file and output the run left
        path for path in secured.root.rglob("*")
        if path.is_file() and not path.is_relative_to(conf_local)
    ]  # fmt: skip
    assert any(p.name == "prefect.db" for p in written)
    assert any(p.parent.name == "log" and p.name.startswith("worker-") for p in written)
    for where, secret in secured.planted.items():
        for name, text in texts.items():
            assert secret not in text, f"{where} leaks into {name}"
        for path in written:
            assert secret.encode() not in path.read_bytes(), f"{where} leaks into {path}"


# Last in the module: the stack has done its work above and is left alone here.
def test_the_stack_left_idle_logs_no_traceback(
    secured: Secured, capsys: pytest.CaptureFixture[str]
) -> None:
    """`make up`, a flow run, then idle: once the stack has been up five minutes (the
    scheduler, the workers' heartbeats and polls, the crash-detection automation have
    each run many times), `make check-logs` finds no traceback in any of its logs."""
    time.sleep(max(60.0, 300.0 - (time.monotonic() - secured.started)))
    clean = stack.check_logs() == 0
    out = capsys.readouterr().out
    assert clean, out
    logs = sorted(path.name for path in (secured.root / "var" / "log").glob("*.log"))
    assert {"prefect-server.log", "worker-cpu.log"} <= set(logs), logs  # it read them
    assert f"no traceback in {len(logs)} log(s)" in out
