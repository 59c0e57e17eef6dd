"""The Kedro hook that logs a pipeline run into one MLflow run.

Every call names its run explicitly (``MlflowClient`` with a run id): MLflow's
"active run" is per thread, and orchestrated nodes run on worker threads or in
other processes. The run id is published in ``$MLFLOW_RUN_ID`` for the length
of the pipeline run, so datasets (the registry) and child processes find the
same run. A run the hook opened itself it also closes (FINISHED or FAILED);
a run it was given belongs to whoever gave it.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunStatus, RunTag

from forecast_keiba.tracking.config import (
    EXPERIMENT_ID_ENV,
    RUN_ID_ENV,
    TRACKING_URI_ENV,
    TrackingConfig,
    load_tracking_config,
)
from forecast_keiba.tracking.lineage import Fingerprints, dataset_input, dataset_locations
from forecast_keiba.tracking.params import DEFAULT_PATTERNS, flatten, redacted_params

log = logging.getLogger(__name__)

_BATCH = 100  # MLflow accepts at most 100 params per log_batch call


class MlflowTracking:
    """One MLflow run per Kedro pipeline run (see the module docstring)."""

    def __init__(self) -> None:
        self._config: TrackingConfig | None = None
        self._project = Path.cwd()
        self._context: Any = None
        self._client: MlflowClient | None = None
        self._run_id: str | None = None
        self._owned = False
        self._saved_env: dict[str, str | None] = {}
        self._locations: dict[str, str] = {}
        self._logged_inputs: set[str] = set()
        self._logged_outputs: set[str] = set()
        self._fingerprints = Fingerprints()
        self._lock = threading.Lock()

    # -- session ----------------------------------------------------------------------
    @hook_impl
    def after_context_created(self, context: Any) -> None:
        # No mlflow.set_tracking_uri here: it also writes $MLFLOW_TRACKING_URI for
        # good, and the next session of this process would take it for the user's.
        self._config = load_tracking_config(context.config_loader)
        self._project = Path(context.project_path)
        self._context = context

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        self._locations = dataset_locations(catalog)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        if self._config is None:
            return
        uri = self._config.resolved_tracking_uri(self._project)
        client = MlflowClient(uri)
        given = os.environ.get(RUN_ID_ENV)
        if given:
            info = client.get_run(given).info  # fails clearly if it does not exist
            run_id, experiment_id = info.run_id, info.experiment_id
            self._owned = False
        else:
            experiment_id = self._config.ensure_experiment(client, self._project)
            name = f"kedro-{(run_params.get('pipeline_names') or ['__default__'])[0]}"
            run_id = client.create_run(experiment_id, run_name=name).info.run_id
            self._owned = True
        self._client, self._run_id = client, run_id
        self._logged_inputs = set()
        self._logged_outputs = set()
        run_env = {RUN_ID_ENV: run_id, TRACKING_URI_ENV: uri, EXPERIMENT_ID_ENV: experiment_id}
        self._saved_env = {key: os.environ.get(key) for key in run_env}
        os.environ.update(run_env)
        self._log_params(self._context.params)
        self._log_tags(run_params)
        log.info("MLflow run %s (%s)", run_id, uri)

    @hook_impl
    def after_pipeline_run(self, pipeline: Any, catalog: Any) -> None:
        try:
            self._log_unsaved_outputs(pipeline, catalog)
        finally:
            self._finish(RunStatus.FINISHED)

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._finish(RunStatus.FAILED)

    # -- datasets ---------------------------------------------------------------------
    @hook_impl
    def after_dataset_loaded(self, dataset_name: str, data: Any, node: Any) -> None:
        if not self._active or not self._config.log.inputs:
            return
        location = self._locations.get(dataset_name)
        with self._lock:
            if location is None or dataset_name in self._logged_inputs:
                return
            self._logged_inputs.add(dataset_name)
        digest = self._fingerprints.of(location)
        if digest is not None:
            self._client.log_inputs(self._run_id, [dataset_input(dataset_name, digest, location)])

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Any) -> None:
        if not self._active:
            return
        self._log_output(dataset_name, data)

    def _log_output(self, dataset_name: str, data: Any) -> None:
        settings = self._config.log
        with self._lock:
            self._logged_outputs.add(dataset_name)
        if dataset_name in settings.metrics:
            self._log_metrics(dataset_name, data)
        if dataset_name in settings.params:
            self._log_params(data, prefix=f"{dataset_name}.")
        if dataset_name in settings.artifacts:
            self._log_artifact(dataset_name)

    def _log_unsaved_outputs(self, pipeline: Any, catalog: Any) -> None:
        """Log the configured outputs this run did not save, from the catalog.

        An orchestrator may serve a node from its cache (the Prefect bridge does):
        the node does not run, so no save hook fires, yet its outputs are this
        run's results. Loading them keeps every run complete in MLflow, and a
        tag names what was logged that way.
        """
        if not self._active:
            return
        settings = self._config.log
        wanted = {*settings.metrics, *settings.params, *settings.artifacts}
        unsaved = sorted((set(pipeline.all_outputs()) & wanted) - self._logged_outputs)
        for name in unsaved:
            needs_data = name in settings.metrics or name in settings.params
            self._log_output(name, catalog.load(name) if needs_data else None)
        if unsaved:
            tag = RunTag("kedro.outputs_from_cache", ",".join(unsaved))
            self._client.log_batch(self._run_id, tags=[tag])

    # -- helpers -----------------------------------------------------------------------
    @property
    def _active(self) -> bool:
        return self._config is not None and self._run_id is not None

    def _log_params(self, values: Mapping[str, Any], prefix: str = "") -> None:
        patterns = [*DEFAULT_PATTERNS, *self._config.redact]
        params = redacted_params(values, patterns, prefix)
        # A run shared by several processes sees the same parameters more than
        # once; MLflow refuses to log a param twice, so only new keys are sent.
        known = self._client.get_run(self._run_id).data.params
        for key in sorted(set(params) & set(known)):
            if known[key] != params[key]:
                log.warning(
                    "MLflow run %s already has param %s=%r; this process has %r (kept the first)",
                    self._run_id, key, known[key], params[key],
                )  # fmt: skip
        new = [Param(k, v) for k, v in sorted(params.items()) if k not in known]
        for start in range(0, len(new), _BATCH):
            self._client.log_batch(self._run_id, params=new[start : start + _BATCH])

    def _log_tags(self, run_params: Mapping[str, Any]) -> None:
        tags = {
            "kedro.pipeline": ",".join(run_params.get("pipeline_names") or ["__default__"]),
            "kedro.env": str(run_params.get("env") or self._context.env or "local"),
            "kedro.session_id": str(run_params.get("run_id") or run_params.get("session_id")),
            "kedro.project": str(self._project),
        }
        for filter_name in ("tags", "node_names", "from_nodes", "to_nodes", "namespaces"):
            if run_params.get(filter_name):
                tags[f"kedro.{filter_name}"] = ",".join(map(str, run_params[filter_name]))
        commit, dirty = _git_state(self._project)
        if commit:
            tags["mlflow.source.git.commit"] = commit
            tags["git.commit"] = commit
            tags["git.dirty"] = str(dirty).lower()
        known = self._client.get_run(self._run_id).data.tags
        new = [RunTag(k, v) for k, v in tags.items() if k not in known]
        if new:
            self._client.log_batch(self._run_id, tags=new)

    def _log_metrics(self, dataset_name: str, data: Any) -> None:
        if not isinstance(data, Mapping):
            raise TypeError(f"mlflow.yml log.metrics: dataset {dataset_name!r} is not a dict")
        now = int(time.time() * 1000)
        metrics = [
            Metric(key, float(value), now, 0)
            for key, value in flatten(data).items()
            if isinstance(value, int | float) and not isinstance(value, bool)
        ]
        for start in range(0, len(metrics), _BATCH * 10):
            self._client.log_batch(self._run_id, metrics=metrics[start : start + _BATCH * 10])

    def _log_artifact(self, dataset_name: str) -> None:
        location = self._locations.get(dataset_name)
        path = Path(location) if location else None
        if path is None or not path.exists():
            raise FileNotFoundError(
                f"mlflow.yml log.artifacts: dataset {dataset_name!r} has no file to log "
                f"(location {location!r})"
            )
        if path.is_dir():
            self._client.log_artifacts(self._run_id, str(path), artifact_path=dataset_name)
        else:
            self._client.log_artifact(self._run_id, str(path), artifact_path=dataset_name)

    def _finish(self, status: int) -> None:
        if not self._active:
            return
        if self._owned:
            self._client.set_terminated(self._run_id, RunStatus.to_string(status))
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._run_id, self._client, self._owned = None, None, False


def _git_state(folder: Path) -> tuple[str | None, bool]:
    """(HEAD commit, uncommitted changes?) of the repository holding ``folder``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain"], cwd=folder, capture_output=True, text=True,
            check=True,
        ).stdout  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None, False
    return commit or None, bool(status.strip())
