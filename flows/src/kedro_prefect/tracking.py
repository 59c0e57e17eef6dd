"""An MLflow run per flow run, shared by every node wherever it executes.

Optional: it acts only when the project has an ``mlflow`` config
(``conf/*/mlflow.yml``: ``tracking_uri``, ``experiment``, optionally
``artifact_location``, ``ui_url``, ``enabled``) and MLflow is installed.
At flow start the bridge creates the run, tags it with the Prefect flow run
(id, name, URL), links it from the flow run as a Prefect artifact, and
publishes its id in ``$MLFLOW_RUN_ID`` (the store in ``$MLFLOW_TRACKING_URI``,
its experiment in ``$MLFLOW_EXPERIMENT_ID``) for the length of the run: the project's own Kedro
hook logs into that run instead of opening one, in this process and in every
process started with this environment. The run ends with the flow's outcome.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException
from prefect.artifacts import create_link_artifact
from prefect.context import FlowRunContext
from prefect.runtime import flow_run

from kedro_prefect.artifacts import artifact_key

log = logging.getLogger(__name__)

CONFIG_KEY = "mlflow"
CONFIG_PATTERNS = ["mlflow*", "mlflow*/**", "**/mlflow*"]
RUN_ID_ENV = "MLFLOW_RUN_ID"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"


def tracking_settings(context: Any) -> dict[str, Any] | None:
    """The project's ``mlflow`` config, or None (absent, disabled, MLflow not installed)."""
    if find_spec("mlflow") is None:
        return None
    loader = context.config_loader
    loader.config_patterns.setdefault(CONFIG_KEY, CONFIG_PATTERNS)
    try:
        settings = dict(loader[CONFIG_KEY] or {})
    except (MissingConfigException, KeyError):
        return None
    if not settings or not settings.get("enabled", True):
        return None
    missing = [key for key in ("tracking_uri", "experiment") if not settings.get(key)]
    if missing:
        raise ValueError(f"mlflow.yml: missing {', '.join(missing)} (needed to open a run)")
    return settings


@contextmanager
def flow_mlflow_run(context: Any, project: Path, pipeline: str) -> Iterator[str | None]:
    """The MLflow run of this flow run (see the module docstring); None without MLflow."""
    settings = tracking_settings(context)
    if settings is None or FlowRunContext.get() is None:
        yield None
        return
    if os.environ.get(RUN_ID_ENV):
        yield os.environ[RUN_ID_ENV]  # an outer orchestrator owns the run
        return
    from mlflow import MlflowClient
    from mlflow.entities import RunStatus

    uri = os.environ.get(TRACKING_URI_ENV) or _absolute_uri(settings["tracking_uri"], project)
    client = MlflowClient(uri)
    experiment_id = _experiment(client, settings, project)
    tags = {
        "prefect.flow_run_id": str(flow_run.id),
        "prefect.flow_run_name": str(flow_run.name),
        "prefect.flow_name": str(flow_run.flow_name),
        "kedro.pipeline": pipeline,
    }
    if flow_run.ui_url:
        tags["prefect.flow_run_url"] = flow_run.ui_url
    run_id = client.create_run(experiment_id, run_name=str(flow_run.name), tags=tags).info.run_id
    url = run_url(settings, uri, experiment_id, run_id)
    create_link_artifact(
        key=artifact_key("mlflow-run", pipeline),
        link=url,
        link_text=f"MLflow run {run_id}",
        description=f"The MLflow run of this flow run (store: {uri})",
    )
    log.info("MLflow run %s: %s", run_id, url)
    run_env = {RUN_ID_ENV: run_id, TRACKING_URI_ENV: uri, EXPERIMENT_ID_ENV: experiment_id}
    previous = {key: os.environ.get(key) for key in run_env}
    os.environ.update(run_env)
    status = RunStatus.FAILED
    try:
        yield run_id
        status = RunStatus.FINISHED
    finally:
        client.set_terminated(run_id, RunStatus.to_string(status))
        for key, value in previous.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_url(settings: dict[str, Any], uri: str, experiment_id: str, run_id: str) -> str:
    """The run's page: on the tracking server itself, or on ``ui_url`` for a local store."""
    base = uri if uri.startswith(("http://", "https://")) else settings.get("ui_url") or uri
    return f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def _experiment(client: Any, settings: dict[str, Any], project: Path) -> str:
    from mlflow.exceptions import MlflowException

    name = str(settings["experiment"])
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    location = settings.get("artifact_location")
    if location:
        path = Path(location)
        location = (path if path.is_absolute() else project / path).resolve().as_uri()
    try:
        return client.create_experiment(name, artifact_location=location)
    except MlflowException:  # created meanwhile by another process
        return client.get_experiment_by_name(name).experiment_id


def _absolute_uri(uri: str, project: Path) -> str:
    """Relative SQLite paths resolved against the project (every process agrees)."""
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        path = path if path.is_absolute() else (project / path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    return uri
