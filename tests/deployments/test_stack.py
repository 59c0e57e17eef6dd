"""deployments/stack.py's process handling, on real processes: a service starts
detached with its log and pid file, a second start is a no-op, stop ends exactly
the process it started, and a pid file whose pid now runs something else is
never acted on."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deployments import stack
from kedro_prefect.local_server import free_port


@pytest.fixture
def var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(stack, "RUN_DIR", tmp_path / "run")
    monkeypatch.setattr(stack, "LOG_DIR", tmp_path / "log")
    return tmp_path


def http_service(port: int) -> stack.Service:
    return stack.Service(
        "web",
        lambda: [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)],
        url=f"http://127.0.0.1:{port}",
        ready=stack.port_open("127.0.0.1", port),
    )


def test_start_is_idempotent_and_stop_ends_what_start_started(var: Path) -> None:
    service = http_service(free_port())
    assert service.start().startswith("web: started")
    pid = service.pid()
    assert pid is not None and service.answers()
    assert json.loads((var / "run" / "web.pid").read_text())["pid"] == pid
    assert service.start() == f"web: already running (pid {pid})"
    assert service.stop() == f"web: stopped (pid {pid})"
    assert (
        not Path(f"/proc/{pid}").exists()
        or b"http.server" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    )
    assert not (var / "run" / "web.pid").exists()
    # stop() returns once the process is gone or a zombie; its port may take a
    # moment longer to stop answering on a loaded machine
    deadline = time.monotonic() + 15
    while service.answers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert service.stop() is None and "stopped" in service.status()


def test_a_port_answered_by_someone_else_is_left_alone(var: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)]
    other = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        service = http_service(port)
        deadline = time.monotonic() + 30
        while not service.answers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "not started by make up" in service.start()
        assert service.stop() is None
        assert other.poll() is None  # still running
    finally:
        other.terminate()
        other.wait(timeout=10)


def test_a_stale_pid_file_never_stops_an_unrelated_process(var: Path) -> None:
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (var / "run").mkdir()
        (var / "run" / "web.pid").write_text(json.dumps({
            "pid": unrelated.pid, "command": [sys.executable, "-m", "http.server"],
        }))  # fmt: skip
        service = http_service(free_port())
        assert service.pid() is None
        assert service.stop() is None
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait(timeout=10)


def test_the_stack_is_replica_mlflow_prefect_and_a_worker_per_pool() -> None:
    services = {service.name: service for service in stack.services()}
    assert list(services) == ["replica", "mlflow", "prefect-server", "worker-cpu", "worker-gpu"]
    for service in services.values():
        assert "0.0.0.0" not in service.make_command()
    assert services["worker-cpu"].env["FORECAST_KEIBA_HOME"] == str(stack.REPO)
    assert "--analytics-off" in services["prefect-server"].make_command()
    # the MLflow UI shows the store that flow runs write to (conf/base/mlflow.yml)
    mlflow = services["mlflow"].make_command()
    store = mlflow[mlflow.index("--backend-store-uri") + 1]
    assert store.endswith("kedro_project/data/mlflow/mlflow.db")
    assert mlflow[mlflow.index("--host") + 1] == "127.0.0.1"


def test_prefect_basic_auth_comes_from_env_or_conf_local_and_only_into_environments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    conf = tmp_path / "conf"
    (conf / "local").mkdir(parents=True)
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    assert stack.prefect_auth_string(conf) is None  # no credentials: no auth
    credentials = conf / "local" / "credentials.yml"
    credentials.write_text("prefect_server:\n  auth_string: admin:from-conf-local\n")
    assert stack.prefect_auth_string(conf) == "admin:from-conf-local"
    monkeypatch.setenv("PREFECT_SERVER_API_AUTH_STRING", "admin:from-env")
    assert stack.prefect_auth_string(conf) == "admin:from-env"  # the environment wins
    services = {service.name: service for service in stack.services()}
    assert services["prefect-server"].env["PREFECT_SERVER_API_AUTH_STRING"] == "admin:from-env"
    for pool in ("cpu", "gpu"):
        assert services[f"worker-{pool}"].env["PREFECT_API_AUTH_STRING"] == "admin:from-env"
    for service in services.values():  # command lines end up in pid files and `ps`
        assert not any("from-env" in part for part in service.make_command())
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING")
    credentials.write_text("prefect_server:\n  auth_string: no-colon\n")
    with pytest.raises(ValueError, match=r"prefect_server\.auth_string must be 'user:password'"):
        stack.prefect_auth_string(conf)


def test_status_answers_without_loading_mlflow_or_kedro_config() -> None:
    """``make status`` reads pid files and probes ports: it must not pay for the imports
    that building the services' commands needs (MLflow and Kedro: seconds, and warnings)."""
    probe = (
        "import sys, contextlib, io\n"
        "from deployments import stack\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out: stack.status()\n"
        # forecast_keiba.console.ports (the port rule) is allowed: it imports nothing
        "heavy = ('mlflow', 'kedro', 'forecast_keiba.tracking', 'forecast_keiba.console.demo')\n"
        "loaded = sorted(m for m in heavy if m in sys.modules)\n"
        "print('LOADED=' + ','.join(loaded)); print(out.getvalue())\n"
    )
    result = subprocess.run([sys.executable, "-W", "error", "-c", probe], cwd=stack.REPO,
                            capture_output=True, text=True, check=True)  # fmt: skip
    assert "LOADED=\n" in result.stdout, result.stdout
    assert result.stderr == ""
    assert "replica" in result.stdout and "prefect-server" in result.stdout
