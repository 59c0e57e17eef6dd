"""A throwaway local Prefect server: ``prefect server start`` on a free loopback
port with SQLite under its own PREFECT_HOME (or a database given by URL) and no
analytics.

For the demo, tests and benchmarks, which must not touch the user's own
Prefect profile. (Operating a long-lived server: see ``make up``.)"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

STARTUP_TIMEOUT_S = 240  # a cold start on 2 cores can take well over a minute


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(
    home: Path, api_url: str | None = None, database_url: str | None = None
) -> dict[str, str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": (
            database_url or f"sqlite+aiosqlite:///{home}/prefect.db"
        ),
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "DO_NOT_TRACK": "1",
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


def _start(
    home: Path, port: int, *, detached: bool, database_url: str | None = None
) -> subprocess.Popen[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    with (home / "server.log").open("a") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
             "--port", str(port), "--analytics-off"],
            # The UI calls the API at PREFECT_UI_API_URL, which otherwise says port 4200.
            env={
                **server_env(home, database_url=database_url),
                "PREFECT_UI_API_URL": f"http://127.0.0.1:{port}/api",
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=detached,  # a detached server outlives its starter's terminal
        )  # fmt: skip


@contextmanager
def prefect_server(home: Path, database_url: str | None = None) -> Iterator[str]:
    """Yield the API URL of a running server on a free port; stop it afterwards.

    ``database_url`` (e.g. ``postgresql+asyncpg://...``) replaces the SQLite file
    under ``home``; the environment's own database setting is never used, so a
    test or bench cannot write into the user's server by accident."""
    port = free_port()
    process = _start(home, port, detached=False, database_url=database_url)
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        _wait_healthy(api_url, process, home)
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# SQLite refuses a write while another is under way ("database is locked", at once:
# its busy timeout does not cover a read→write upgrade). Under load the server's
# periodic writers (worker heartbeats) meet it and log it; they write again at their
# next beat. Contention, not a broken service; PostgreSQL servers never show it.
TRANSIENT = "database is locked"
# Prefect 3.9.1's server closes a worker's channel (a failed heartbeat write, a
# worker that stopped) while the channel's receive loop still waits on the socket;
# starlette then raises WebSocketDisconnected (a RuntimeError, which the loop's
# list of normal disconnects lacks) into a task nobody awaits, and asyncio logs it.
# The worker reconnects at its next beat; nothing is lost. Matched on both names,
# so any other failure of the channel or of websockets still counts.
CLOSED_WORKER_CHANNEL = ("WorkerChannelConnection._receive_loop", "WebSocketDisconnected")
_RECORD = re.compile(r"^\d{2}:\d{2}:\d{2}\.\d{3} \| ")  # a log record's first line


def server_tracebacks(log: Path, limit: int = 3) -> list[str]:
    """The first ``limit`` log records of a server that carry a traceback, each
    whole (a record runs to the next timestamped line, chained exceptions
    included): a healthy server logs none, so each is a broken service (a
    scheduler failing every cycle) or request that green client calls can hide.
    SQLite's transient write contention (:data:`TRANSIENT`) and Prefect's race on
    a closing worker channel (:data:`CLOSED_WORKER_CHANNEL`) are left out."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    records: list[list[str]] = [[]]
    for line in lines:
        if _RECORD.match(line) and records[-1]:
            records.append([])
        records[-1].append(line)
    broken = [
        record
        for record in records
        if any(line.startswith("Traceback (most recent") for line in record)
        and not any(TRANSIENT in line for line in record)
        and not all(any(name in line for line in record) for name in CLOSED_WORKER_CHANNEL)
    ]
    return ["\n".join(record[:60]) for record in broken[:limit]]


def is_healthy(api_url: str) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def ensure_server(home: Path, port: int = 4200) -> str:
    """A long-lived local server under ``home`` on ``port``: reuse it if it
    answers, else start it detached (it outlives this process; its pid goes to
    ``home/server.pid`` and its log to ``home/server.log``). Returns the API URL."""
    api_url = f"http://127.0.0.1:{port}/api"
    if is_healthy(api_url):
        return api_url
    process = _start(home, port, detached=True)
    (home / "server.pid").write_text(str(process.pid))
    _wait_healthy(api_url, process, home)
    return api_url


def stop_server(home: Path) -> bool:
    """Stop the server :func:`ensure_server` started under ``home``; False if none ran."""
    pid_file = home / "server.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text())
    pid_file.unlink()
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    return True


def _wait_healthy(api_url: str, process: subprocess.Popen[bytes], home: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not is_healthy(api_url):
        if process.poll() is not None:
            log_tail = (home / "server.log").read_text()[-2000:]
            raise RuntimeError(f"prefect server exited: {log_tail}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"prefect server not healthy after {STARTUP_TIMEOUT_S}s")
        time.sleep(0.5)


BUSY_RETRIES = 6  # 503 = the server's database was busy (SQLite locked): nothing was done


def api(api_url: str, path: str, body: dict | None = None) -> list | dict:
    """POST a filter (or GET without a body) to the Prefect REST API; a 503 (the
    server rolled back on a busy database) is retried with backoff, as Prefect's own
    client does."""
    url = f"{api_url}/{path.lstrip('/')}"
    for attempt in range(BUSY_RETRIES + 1):
        response = (
            httpx.post(url, json=body, timeout=30)
            if body is not None
            else httpx.get(url, timeout=30)
        )
        if response.status_code != 503 or attempt == BUSY_RETRIES:
            break
        time.sleep(min(2**attempt, 10) * 0.5)
    response.raise_for_status()
    return response.json()
