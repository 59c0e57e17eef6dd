"""infra/: no Docker engine here, so the images and the compose stack are checked
for structure: what they install, where the code lives, what they publish."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.support import REPO

INFRA = REPO / "infra"
COMPOSE = yaml.safe_load((INFRA / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
TELEMETRY_OFF = (
    "DO_NOT_TRACK=1",
    "KEDRO_DISABLE_TELEMETRY=true",
    "PREFECT_SERVER_ANALYTICS_ENABLED=false",
    "MLFLOW_DISABLE_TELEMETRY=true",
)


def dockerfile(name: str) -> str:
    return (INFRA / name).read_text()


def uv_syncs(text: str) -> list[str]:
    return re.findall(r"uv sync [^\n\\]*", text)


def test_cpu_and_cuda_images_install_the_same_project_with_different_extras() -> None:
    cpu, gpu = dockerfile("Dockerfile"), dockerfile("Dockerfile.cuda")
    assert re.search(r"^FROM python:3\.11", cpu, re.M)
    assert re.search(r"^FROM nvidia/cuda:\S+", gpu, re.M)
    for sync in uv_syncs(cpu):
        assert "--locked" in sync and "--no-dev" in sync and "--extra gpu" not in sync
    for sync in uv_syncs(gpu):
        assert "--locked" in sync and "--no-dev" in sync and "--extra gpu" in sync
    for text in (cpu, gpu):
        assert "WORKDIR /opt/forecast-keiba" in text
        assert "FORECAST_KEIBA_HOME=/opt/forecast-keiba" in text
        assert all(setting in text for setting in TELEMETRY_OFF)
        assert "USER keiba" in text


def test_the_dockerignore_keeps_state_and_secrets_out_of_the_images() -> None:
    ignored = (REPO / ".dockerignore").read_text().splitlines()
    for entry in (".venv", "var", "kedro_project/data", "infra/.env", "kedro_project/conf/local/*"):
        assert entry in ignored


def test_compose_has_the_team_stack() -> None:
    assert {"postgres", "prefect-server", "mlflow", "pools", "worker-cpu", "worker-gpu"} <= set(
        SERVICES
    )
    prefect_db = SERVICES["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert prefect_db.startswith("postgresql+asyncpg://") and "@postgres:5432/" in prefect_db
    mlflow = SERVICES["mlflow"]
    assert mlflow["environment"]["MLFLOW_BACKEND_STORE_URI"].startswith("postgresql://")
    assert "--artifacts-destination" in mlflow["command"]
    assert any(volume.endswith(":/mlflow/artifacts") for volume in mlflow["volumes"])
    assert "CREATE DATABASE mlflow" in (INFRA / "postgres-init.sql").read_text()
    # the one-shot job makes the pools and the automation that marks dead runs Crashed
    setup = " ".join(SERVICES["pools"]["command"])
    assert "python -m deployments.pools" in setup and "deployments.crash_detection" in setup


def test_workers_poll_the_pools_of_the_infra_classes() -> None:
    for pool in ("cpu", "gpu"):
        worker = SERVICES[f"worker-{pool}"]
        command = worker["command"]
        assert command[:3] == ["prefect", "worker", "start"]
        assert command[command.index("--pool") + 1] == pool
        assert worker["environment"]["PREFECT_API_URL"] == "http://prefect-server:4200/api"
        assert worker["environment"]["FORECAST_KEIBA_HOME"] == "/opt/forecast-keiba"
        assert "data:/opt/forecast-keiba/kedro_project/data" in worker["volumes"]
        assert worker["depends_on"]["pools"]["condition"] == "service_completed_successfully"
    assert SERVICES["worker-cpu"]["build"]["dockerfile"] == "infra/Dockerfile"
    assert SERVICES["worker-gpu"]["build"]["dockerfile"] == "infra/Dockerfile.cuda"


def test_the_gpu_worker_reserves_a_gpu_and_the_cpu_worker_does_not() -> None:
    devices = SERVICES["worker-gpu"]["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert "deploy" not in SERVICES["worker-cpu"]


def test_ports_are_published_on_loopback_only_and_secrets_come_from_the_env_file() -> None:
    published = [port for service in SERVICES.values() for port in service.get("ports", [])]
    assert published and all(port.startswith("127.0.0.1:") for port in published)
    text = (INFRA / "compose.yaml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text  # a missing password fails, naming it
    assert "change-me" not in text
    assert "infra/.env" in (REPO / ".gitignore").read_text()


def test_build_contexts_exist() -> None:
    for service in SERVICES.values():
        build = service.get("build")
        if build:
            context = (INFRA / build["context"]).resolve()
            assert context == REPO
            assert (context / build["dockerfile"]).is_file()
    assert Path(INFRA / "env.example").is_file()
