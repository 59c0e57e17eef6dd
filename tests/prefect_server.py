"""A real Prefect server for tests: `prefect server start` on a free loopback
port, SQLite in a temporary PREFECT_HOME, no analytics. Started once per test
session, only by the tests that ask for it."""

from __future__ import annotations

import os
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


def server_env(home: Path, api_url: str | None = None) -> dict[str, str]:
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{home}/prefect.db",
        "PREFECT_LOCAL_STORAGE_PATH": str(home / "storage"),
        "DO_NOT_TRACK": "1",
    }
    if api_url:
        env["PREFECT_API_URL"] = api_url
    return env


@contextmanager
def prefect_server(home: Path) -> Iterator[str]:
    """Yield the API URL of a running server; stop it afterwards."""
    home.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = (home / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1",
         "--port", str(port), "--analytics-off"],
        env=server_env(home),
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    api_url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"prefect server exited: {(home / 'server.log').read_text()[-2000:]}"
                )
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"prefect server not healthy after {STARTUP_TIMEOUT_S}s")
            time.sleep(0.5)
        yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def api(api_url: str, path: str, body: dict | None = None) -> list | dict:
    """POST a filter (or GET without a body) to the Prefect REST API."""
    url = f"{api_url}/{path.lstrip('/')}"
    response = (
        httpx.post(url, json=body, timeout=30) if body is not None else httpx.get(url, timeout=30)
    )
    response.raise_for_status()
    return response.json()
