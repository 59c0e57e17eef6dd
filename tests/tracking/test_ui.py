"""`keiba mlflow-ui` serves the environment's own store, on loopback only."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from mlflow import MlflowClient

from forecast_keiba.tracking.ui import server_command
from tests.support import make_conf


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_ui_serves_the_configured_store_on_loopback(tmp_path: Path) -> None:
    make_conf(tmp_path)  # a project folder whose data (and store) live in tmp_path/data
    port = free_port()
    command = server_command("local", port, project=tmp_path)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    store = command[command.index("--backend-store-uri") + 1]
    assert store == f"sqlite:///{tmp_path / 'data' / 'mlflow' / 'mlflow.db'}"
    MlflowClient(store).create_experiment("forecast_keiba")
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/ajax-api/2.0/mlflow/experiments/search"
                         "?max_results=10", server)  # fmt: skip
        assert "forecast_keiba" in [e["name"] for e in json.loads(body)["experiments"]]
    finally:
        server.terminate()
        server.wait(timeout=60)


def _wait_for(url: str, server: subprocess.Popen, timeout: float = 180) -> str:
    """The body at ``url`` once the server answers (a cold MLflow server takes a while)."""
    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, "mlflow server exited"
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
