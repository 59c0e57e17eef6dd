"""``keiba mlflow-ui``: the MLflow UI on 127.0.0.1 for an environment's store.

Reads kedro-mlflow's ``conf/<env>/mlflow.yml`` as a run does (so it opens the store
runs write to), starts ``mlflow server`` on loopback with telemetry off
(``no_telemetry``, inherited by the server process) and prints the experiment's runs
view (MLflow 3's bare experiment link opens its GenAI overview instead).
``kedro mlflow ui`` would serve the same store, but not a relative SQLite path
from another working directory, nor another environment's store for ``make up``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from kedro.config import MissingConfigException, OmegaConfigLoader
from kedro_mlflow.config.kedro_mlflow_config import KedroMlflowConfig

import no_telemetry  # noqa: F401  (MLflow telemetry off before the server starts)

KEDRO_PROJECT = Path(__file__).resolve().parents[3]


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("mlflow-ui", help="MLflow UI for a Kedro env's store")
    parser.add_argument("--env", default="local", help="Kedro environment (default: local)")
    parser.add_argument("--port", type=int, default=5000)
    parser.set_defaults(func=run)


def tracking_config(env: str, project: Path = KEDRO_PROJECT) -> KedroMlflowConfig:
    """kedro-mlflow's config of ``env`` (base merged under it, as in a run)."""
    loader = OmegaConfigLoader(
        str(project / "conf"), base_env="base", default_run_env=env,
        config_patterns={"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]},
        merge_strategy={"mlflow": "soft"},
    )  # fmt: skip
    try:
        return KedroMlflowConfig.model_validate(dict(loader["mlflow"]))
    except MissingConfigException:
        raise SystemExit(f"no mlflow.yml in {project / 'conf'} for env {env!r}") from None


def store_uri(uri: str, project: Path) -> str:
    """A relative SQLite or file path made absolute against the project folder."""
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        return f"sqlite:///{path if path.is_absolute() else (project / path).resolve()}"
    if "://" not in uri:
        path = Path(uri)
        return (path if path.is_absolute() else project / path).resolve().as_uri()
    return uri


def server_command(env: str, port: int, project: Path = KEDRO_PROJECT) -> list[str]:
    """The ``mlflow server`` command line for ``env``'s store, bound to 127.0.0.1."""
    config = tracking_config(env, project)
    uri = store_uri(config.server.mlflow_tracking_uri or "mlruns", project)
    if uri.startswith("sqlite:///"):
        Path(uri.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri", uri,
               "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    location = config.tracking.experiment.create_experiment_kwargs.artifact_location
    if location:
        command += ["--default-artifact-root", store_uri(location, project)]
    return command


def runs_view(env: str, port: int, project: Path = KEDRO_PROJECT) -> str:
    """The UI's page of the experiment's runs (the UI's root when it does not exist yet)."""
    from mlflow import MlflowClient

    config = tracking_config(env, project)
    uri = store_uri(config.server.mlflow_tracking_uri or "mlruns", project)
    found = MlflowClient(uri).get_experiment_by_name(config.tracking.experiment.name)
    base = f"http://127.0.0.1:{port}"
    return f"{base}/#/experiments/{found.experiment_id}/runs" if found else base


def run(args: argparse.Namespace) -> int:
    command = server_command(args.env, args.port)
    store = command[command.index("--backend-store-uri") + 1]
    print(f"MLflow UI: {runs_view(args.env, args.port)} (store {store})", flush=True)
    return subprocess.call(command, env=dict(os.environ))
