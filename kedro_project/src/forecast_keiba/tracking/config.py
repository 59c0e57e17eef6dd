"""``conf/*/mlflow.yml``: where runs are tracked and what the hook logs.

The top-level keys ``enabled``, ``tracking_uri``, ``artifact_location``,
``experiment`` and ``ui_url`` are shared with the Prefect bridge (flows/),
which opens the run of a flow run from them; ``log`` and ``redact`` are read
by this package only. ``$MLFLOW_TRACKING_URI`` overrides ``tracking_uri``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG_KEY = "mlflow"
CONFIG_PATTERNS = ["mlflow*", "mlflow*/**", "**/mlflow*"]
RUN_ID_ENV = "MLFLOW_RUN_ID"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"  # where MLflow 3 files models logged for the run


class LogSettings(BaseModel):
    """Catalog datasets the hook logs when a node saves them."""

    model_config = ConfigDict(extra="forbid")
    metrics: list[str] = []  # dicts of numbers → metrics
    params: list[str] = []  # dicts → params prefixed with the dataset name
    artifacts: list[str] = []  # files or folders → artifacts under the dataset name
    inputs: bool = True  # fingerprint every persisted dataset a node loads (lineage)


class TrackingConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    tracking_uri: str
    artifact_location: str | None = None
    experiment: str
    ui_url: str | None = None
    log: LogSettings = LogSettings()
    redact: list[str] = Field(default_factory=list)

    def resolved_tracking_uri(self, project: Path) -> str:
        """``$MLFLOW_TRACKING_URI`` or ``tracking_uri`` with relative paths made
        absolute against the project (every process of a run agrees)."""
        return os.environ.get(TRACKING_URI_ENV) or absolute_uri(self.tracking_uri, project)

    def ensure_experiment(self, client: MlflowClient, project: Path) -> str:
        """The experiment's id, created (with its artifact location) if missing."""
        found = client.get_experiment_by_name(self.experiment)
        if found is not None:
            return found.experiment_id
        location = self.artifact_location
        if location:
            path = Path(location) if Path(location).is_absolute() else project / location
            location = path.resolve().as_uri()
        try:
            return client.create_experiment(self.experiment, artifact_location=location)
        except MlflowException:  # another process created it meanwhile
            found = client.get_experiment_by_name(self.experiment)
            if found is None:
                raise
            return found.experiment_id


class TrackingConfigError(ValueError):
    """mlflow.yml is invalid; the message names the key."""


def load_tracking_config(config_loader: Any) -> TrackingConfig | None:
    """The project's mlflow.yml (None when there is none or ``enabled: false``)."""
    config_loader.config_patterns.setdefault(CONFIG_KEY, CONFIG_PATTERNS)
    try:
        raw = config_loader[CONFIG_KEY]
    except (MissingConfigException, KeyError):
        return None
    if not raw:
        return None
    try:
        config = TrackingConfig.model_validate(dict(raw))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise TrackingConfigError(f"mlflow.yml: {problems}") from None
    return config if config.enabled else None


def absolute_uri(uri: str, project: Path) -> str:
    """``sqlite:///relative.db`` and bare paths resolved against ``project``;
    parent folders of a SQLite file are created."""
    if uri.startswith("sqlite:///"):
        path = Path(uri.removeprefix("sqlite:///"))
        path = path if path.is_absolute() else (project / path).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if "://" not in uri and ":" not in uri[1:2]:
        return (project / uri).resolve().as_uri()
    return uri
