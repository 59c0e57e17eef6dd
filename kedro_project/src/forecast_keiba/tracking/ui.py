"""``keiba mlflow-ui``: the MLflow UI on 127.0.0.1 for an environment's store.

Reads ``conf/<env>/mlflow.yml`` like a run does (so it opens the store runs
write to, ``$MLFLOW_TRACKING_URI`` included) and starts ``mlflow server`` on
loopback with telemetry off (``no_telemetry``, inherited by the
server process).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from kedro.config import OmegaConfigLoader

import no_telemetry  # noqa: F401  (MLflow telemetry off before the server starts)
from forecast_keiba.tracking.config import absolute_uri, load_tracking_config

KEDRO_PROJECT = Path(__file__).resolve().parents[3]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("mlflow-ui", help="MLflow UI for a Kedro env's store")
    parser.add_argument("--env", default="local", help="Kedro environment (default: local)")
    parser.add_argument("--port", type=int, default=5000)
    parser.set_defaults(func=run)


def server_command(env: str, port: int, project: Path = KEDRO_PROJECT) -> list[str]:
    """The ``mlflow server`` command line for ``env``'s store, bound to 127.0.0.1."""
    loader = OmegaConfigLoader(str(project / "conf"), base_env="base", default_run_env=env)
    config = load_tracking_config(loader)
    if config is None:
        raise SystemExit(f"no enabled mlflow.yml in {project / 'conf'} for env {env!r}")
    uri = config.resolved_tracking_uri(project)
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    if config.artifact_location:
        command += ["--default-artifact-root", absolute_uri(config.artifact_location, project)]
    return command


def run(args: argparse.Namespace) -> int:
    command = server_command(args.env, args.port)
    store = command[command.index("--backend-store-uri") + 1]
    print(f"MLflow UI on http://127.0.0.1:{args.port} (store {store})", flush=True)
    return subprocess.call(command, env=dict(os.environ))
