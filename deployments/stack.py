"""The local stack behind ``make up`` / ``make down`` / ``make status``.

``up`` starts, each only if it is not already running: the offline netkeiba
replica (the world of ``source.embedded_replica``), an MLflow tracking server,
a Prefect server, the work pools (deployments/pools.py), the automation that
marks runs of dead workers Crashed (deployments/crash_detection.py) and one
process worker per pool. Everything listens on 127.0.0.1 only, logs to
``var/log/<name>.log`` and leaves its pid in ``var/run/<name>.pid``; ``down`` stops
exactly the processes those files name (after checking that the pid still runs the command
that was started), and the Prefect server ``make demo`` may have left running.

Settings (environment): ``PREFECT_API_DATABASE_CONNECTION_URL`` moves the
Prefect server from SQLite (``var/prefect/prefect.db``) to e.g. PostgreSQL
(``postgresql+asyncpg://user:pass@host:5432/prefect``); the Prefect port
(``KEIBA_PREFECT_PORT``, else that of a loopback ``PREFECT_API_URL``, else 4200:
forecast_keiba/console/ports.py), ``KEIBA_MLFLOW_PORT`` (5000); ``PREFECT_SERVER_API_AUTH_STRING``
(``user:password``, or ``prefect_server.auth_string`` in conf/local/credentials.yml)
turns on the Prefect server's basic auth and gives it to the workers. The MLflow
server serves the store that runs write to (``kedro_project/conf/<env>/mlflow.yml``,
or ``$MLFLOW_TRACKING_URI``), so it shows the workers' runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from deployments.pools import ensure_pools, infra_classes
from forecast_keiba.console.ports import prefect_port as local_prefect_port
from no_telemetry import OPT_OUTS

REPO = Path(__file__).resolve().parents[1]
VAR = REPO / "var"
LOG_DIR = VAR / "log"
RUN_DIR = VAR / "run"
PREFECT_HOME = VAR / "prefect"  # shared with `make demo`: its runs show in the same UI
KEDRO_PROJECT = REPO / "kedro_project"
HOST = "127.0.0.1"
STARTUP_TIMEOUT_S = 240  # a cold Prefect server on 2 cores takes well over a minute


@dataclass
class Service:
    """One long-running process of the stack.

    Its command is built only when it starts: building MLflow's reads the project's
    config with Kedro and MLflow, seconds of imports that ``make status`` and
    ``make down`` (which find processes by pid file) do not need."""

    name: str
    make_command: Callable[[], list[str]]
    env: dict[str, str] = field(default_factory=dict)
    url: str | None = None  # where people look (UI, API)
    ready: Callable[[], bool] | None = None  # answers = up (also when not started by us)

    @property
    def pid_file(self) -> Path:
        return RUN_DIR / f"{self.name}.pid"

    @property
    def log_file(self) -> Path:
        return LOG_DIR / f"{self.name}.log"

    def pid(self) -> int | None:
        """The pid we started, if that process still runs our command."""
        try:
            record = json.loads(self.pid_file.read_text())
        except (OSError, ValueError):
            return None
        pid = int(record["pid"])
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        started = [part.encode() for part in record["command"]]
        return pid if cmdline[: len(started)] == started else None

    def answers(self) -> bool:
        return bool(self.ready and self.ready())

    def start(self) -> str:
        if self.pid() is not None:
            return f"{self.name}: already running (pid {self.pid()})"
        if self.answers():
            return f"{self.name}: already answering at {self.url} (not started by make up)"
        command = self.make_command()
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        with self.log_file.open("a") as log:  # the child keeps its own handle
            process = subprocess.Popen(
                command,
                cwd=REPO,
                env={**os.environ, **OPT_OUTS, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives `make up`; stopped as a process group
            )
        self.pid_file.write_text(json.dumps({"pid": process.pid, "command": command}))
        if self.ready is not None:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while not self.ready():
                if process.poll() is not None:
                    self.pid_file.unlink(missing_ok=True)
                    raise RuntimeError(
                        f"{self.name} exited with code {process.returncode}; "
                        f"see {self.log_file}:\n{self.log_file.read_text()[-2000:]}"
                    )
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{self.name} not ready after {STARTUP_TIMEOUT_S}s")
                time.sleep(0.5)
        return f"{self.name}: started (pid {process.pid}, log {_shown(self.log_file)})"

    def stop(self) -> str | None:
        pid = self.pid()
        self.pid_file.unlink(missing_ok=True)
        if pid is None:
            return None
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return None
        deadline = time.monotonic() + 30
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(pid):
            os.killpg(pid, signal.SIGKILL)
        return f"{self.name}: stopped (pid {pid})"

    def status(self) -> str:
        pid = self.pid()
        if pid is not None:
            state = f"running (pid {pid})" + (
                "" if not self.ready or self.answers() else ", not ready"
            )
        elif self.answers():
            state = "answering, not started by make up"
        else:
            state = "stopped"
        return f"  {self.name:<16} {state:<34} {self.url or ''}"


def _shown(path: Path) -> Path:
    """``path`` relative to the checkout when it is inside it (shorter to read)."""
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def _alive(pid: int) -> bool:
    """Running (a zombie, exited but not yet reaped by its parent, is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    return check


def port_open(host: str, port: int) -> Callable[[], bool]:
    def check() -> bool:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex((host, port)) == 0

    return check


def replica_source() -> dict:
    """The project's ``source`` parameters (base < local), as a run reads them."""
    from kedro.config import OmegaConfigLoader

    with warnings.catch_warnings():  # OmegaConf's deprecation notes about Kedro's resolvers
        warnings.simplefilter("ignore", UserWarning)
        loader = OmegaConfigLoader(
            str(KEDRO_PROJECT / "conf"), base_env="base", default_run_env="local"
        )
        return dict(loader["parameters"]["source"])


def replica_port() -> int:
    """The replica's port, from ``source.db_base_url`` of conf/local over conf/base, read
    as plain YAML: ``make status`` answers without loading Kedro's config machinery."""
    import yaml

    url = None
    for env in ("base", "local"):
        path = KEDRO_PROJECT / "conf" / env / "parameters.yml"
        if path.is_file():
            source = (yaml.safe_load(path.read_text()) or {}).get("source") or {}
            url = source.get("db_base_url", url)
    return (urlsplit(url).port if url else None) or 80


def replica_command(port: int) -> list[str]:
    """The replica serving the world of ``source.embedded_replica``."""
    world = replica_source().get("embedded_replica") or {}
    command = [sys.executable, "-m", "netkeiba_replica", f"--host={HOST}", f"--port={port}"]
    for key, flag in (("seed", "--seed"), ("start_date", "--start-date"),
                      ("n_days", "--days"), ("races_per_day", "--races-per-day")):  # fmt: skip
        if key in world:
            command.append(f"{flag}={world[key]}")
    return command


def prefect_auth_string(conf: Path | None = None) -> str | None:
    """Basic auth of the stack's Prefect server, ``user:password``, or None (no auth):
    ``$PREFECT_SERVER_API_AUTH_STRING``, else ``prefect_server.auth_string`` in the
    git-ignored ``conf/local/credentials.yml``. It reaches the processes through
    their environment only, never a command line, pid file or log."""
    if value := os.environ.get("PREFECT_SERVER_API_AUTH_STRING"):
        return value
    credentials = (conf or KEDRO_PROJECT / "conf") / "local" / "credentials.yml"
    if not credentials.is_file():
        return None
    import yaml

    section = (yaml.safe_load(credentials.read_text()) or {}).get("prefect_server") or {}
    value = section.get("auth_string")
    if value is not None and (not isinstance(value, str) or ":" not in value):
        raise ValueError(f"{credentials}: prefect_server.auth_string must be 'user:password'")
    return value


def mlflow_command(port: int) -> list[str]:
    """The MLflow server on the store flow runs write to: the project's ``mlflow.yml``
    (``$MLFLOW_TRACKING_URI`` included), so the UI shows the workers' runs."""
    from forecast_keiba.tracking.ui import server_command

    return server_command(os.environ.get("KEDRO_ENV") or "local", port, KEDRO_PROJECT)


def services() -> list[Service]:
    python = sys.executable
    prefect_port = local_prefect_port()
    mlflow_port = int(os.environ.get("KEIBA_MLFLOW_PORT", "5000"))
    api_url = f"http://{HOST}:{prefect_port}/api"
    database = os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL") or (
        f"sqlite+aiosqlite:///{PREFECT_HOME}/prefect.db"
    )
    replica = replica_port()
    auth = prefect_auth_string()
    server_auth = {"PREFECT_SERVER_API_AUTH_STRING": auth} if auth else {}
    client_auth = {"PREFECT_API_AUTH_STRING": auth} if auth else {}
    worker_env = {
        **client_auth,
        "PREFECT_API_URL": api_url,
        "PREFECT_HOME": str(PREFECT_HOME),
        "PREFECT_LOCAL_STORAGE_PATH": str(PREFECT_HOME / "storage"),
        "FORECAST_KEIBA_HOME": str(REPO),  # prefect.yaml's pull step: run from this checkout
    }
    stack = [
        Service(
            "replica",
            lambda: replica_command(replica),
            url=f"http://{HOST}:{replica}/db/",
            ready=port_open(HOST, replica),
        ),
        Service(
            "mlflow",
            lambda: mlflow_command(mlflow_port),
            url=f"http://{HOST}:{mlflow_port}",
            ready=http_ok(f"http://{HOST}:{mlflow_port}/health"),
        ),
        Service(
            "prefect-server",
            lambda: [
                python,
                "-m",
                "prefect",
                "server",
                "start",
                "--host",
                HOST,
                "--port",
                str(prefect_port),
                "--analytics-off",
            ],
            env={
                **server_auth,
                "PREFECT_HOME": str(PREFECT_HOME),
                "PREFECT_SERVER_DATABASE_CONNECTION_URL": database,
                "PREFECT_LOCAL_STORAGE_PATH": str(PREFECT_HOME / "storage"),
                "PREFECT_UI_API_URL": api_url,  # the UI's default says port 4200
            },
            url=f"http://{HOST}:{prefect_port}",
            ready=http_ok(f"{api_url}/health"),
        ),
    ]
    for pool in infra_classes():
        stack.append(
            Service(
                f"worker-{pool}",
                lambda pool=pool: [
                    python,
                    "-m",
                    "prefect",
                    "worker",
                    "start",
                    "--pool",
                    pool,
                    "--type",
                    "process",
                    "--name",
                    f"forecast-keiba-{pool}",
                ],
                env=worker_env,
                url=f"pool {pool}",
            )
        )
    return stack


def prefect_api_url() -> str:
    return f"http://{HOST}:{local_prefect_port()}/api"


def api_url() -> int:
    """Print the local server's API URL (what `make deploy` deploys to)."""
    print(prefect_api_url())
    return 0


def up() -> int:
    PREFECT_HOME.mkdir(parents=True, exist_ok=True)
    stack = services()
    for service in stack:
        if service.name.startswith("worker-"):
            continue
        print(service.start(), flush=True)
    from prefect.settings import PREFECT_API_AUTH_STRING, PREFECT_API_URL, temporary_settings

    from deployments.crash_detection import ensure_crash_detection

    settings = {PREFECT_API_URL: prefect_api_url()}
    if auth := prefect_auth_string():
        settings[PREFECT_API_AUTH_STRING] = auth
    with temporary_settings(updates=settings):
        for line in asyncio.run(ensure_pools("process", infra_classes())):
            print(line, flush=True)
        print(ensure_crash_detection(), flush=True)  # dead runs become Crashed, retryable
    for service in stack:
        if service.name.startswith("worker-"):
            print(service.start(), flush=True)
    print(f"\nPrefect UI  {prefect_api_url().removesuffix('/api')}   deploy: make deploy")
    print(f"logs        {_shown(LOG_DIR)}/   status: make status   stop: make down")
    return 0


def down() -> int:
    from kedro_prefect.local_server import stop_server

    stopped = [line for service in reversed(services()) if (line := service.stop())]
    if stop_server(PREFECT_HOME):  # a server `make demo` started
        stopped.append("prefect server of make demo: stopped")
    print("\n".join(stopped) if stopped else "nothing was running")
    return 0


def status() -> int:
    print("\n".join(service.status() for service in services()))
    return 0


def check_logs() -> int:
    """Every log of the stack (``var/log/*.log``: the Prefect server, the workers,
    MLflow, the replica) read for tracebacks: a service that fails in the background
    (a scheduler failing every cycle) shows only there, while everything answers.
    Prints each traceback found (exit 1), or that there is none (exit 0)."""
    from kedro_prefect.local_server import server_tracebacks

    logs = sorted(LOG_DIR.glob("*.log"))
    found = {log: server_tracebacks(log) for log in logs}
    for log, records in found.items():
        for record in records:
            print(f"--- {log}\n{record}")
    broken = [log.name for log, records in found.items() if records]
    if broken:
        print(f"tracebacks in {', '.join(broken)}")
        return 1
    print(f"no traceback in {len(logs)} log(s) under {LOG_DIR}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m deployments.stack",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = {"up": up, "down": down, "status": status, "check-logs": check_logs,
                "api-url": api_url}  # fmt: skip
    parser.add_argument("command", choices=tuple(commands))
    return commands[parser.parse_args(argv).command]()


if __name__ == "__main__":
    sys.exit(main())
