"""MLflow under Prefect: one MLflow run per flow run, every node task logging into it.

The plugin's only MLflow module, and optional: it imports ``mlflow`` only for a
project that tracks, i.e. whose session has kedro-mlflow's hook (which then sets
``context.mlflow``) or that has kedro-mlflow's ``conf/<env>/mlflow.yml``
(``server.mlflow_tracking_uri``, ``tracking.experiment.name``) with nodes calling
``mlflow`` themselves. There is no configuration of its own: kedro-mlflow's file and
MLflow's environment variables say where runs go. A project without either pays
one attribute lookup per flow run and one environment lookup per node.

Why the plugin must do this: kedro-mlflow opens its run in ``before_pipeline_run``
and MLflow's active run is per thread, so nodes on Prefect's worker threads,
in a process pool, on Ray or in a sub-flow on another work pool would each log
into a run of their own (or none). So:

- the flow run creates the MLflow run (tags ``prefect.flow_run_id``,
  ``prefect.flow_run_name``, ``prefect.flow_run_url``; a Prefect link artifact
  points back) and makes it the active run of the flow's thread before the
  pipeline starts: kedro-mlflow adopts an active run and leaves it open;
- its id travels in the environment (``$MLFLOW_RUN_ID``, ``$MLFLOW_TRACKING_URI``,
  ``$MLFLOW_EXPERIMENT_ID`` and the plugin's own copy of the id, because
  ``mlflow.start_run()`` deletes ``$MLFLOW_RUN_ID`` when it adopts it): processes
  inherit it, tasks that re-open the run elsewhere (Ray, process pools) get it
  from the run's spec (:func:`run_environment`), sub-flows on other pools as job
  variables, and a sub-flow adopts the run instead of creating one;
- every node task makes that run the active run of its thread for the node's
  length and then detaches it without ending it (:func:`node_tracking`);
- the flow run ends it, FINISHED or FAILED.

A retried flow run gets a **new** MLflow run tagged ``prefect.retry_of`` (the
previous attempt's run) and ``prefect.attempt``; the previous run is tagged
``prefect.retried_by``. Not the same run resumed: the failed attempt keeps its
FAILED status, metrics and artifacts as they were, and MLflow refuses to log a
parameter twice with another value, which a retry with fixed data may need.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException

log = logging.getLogger(__name__)

CONFIG_KEY = "mlflow"  # kedro-mlflow's config key and file pattern
CONFIG_PATTERNS = ["mlflow*", "mlflow*/**", "**/mlflow*"]
PLUGIN_RUN_ENV = "KEDRO_PREFECT_MLFLOW_RUN_ID"
RUN_ID_ENV = "MLFLOW_RUN_ID"
TRACKING_URI_ENV = "MLFLOW_TRACKING_URI"
EXPERIMENT_ID_ENV = "MLFLOW_EXPERIMENT_ID"
RUN_ENVIRONMENT = (PLUGIN_RUN_ENV, RUN_ID_ENV, TRACKING_URI_ENV, EXPERIMENT_ID_ENV)
# What a session's hooks may point elsewhere (not, say, a telemetry opt-out).
SESSION_ENVIRONMENT = (*RUN_ENVIRONMENT, "MLFLOW_REGISTRY_URI", "MLFLOW_EXPERIMENT_NAME")
FLOW_RUN_TAG = "prefect.flow_run_id"


@dataclass(frozen=True)
class Target:
    """Where a project's runs go, as kedro-mlflow resolved it (or its file says)."""

    tracking_uri: str
    experiment: str
    artifact_location: str | None = None
    ui_url: str | None = None  # kedro-mlflow's `ui` host and port, for links


def tracking_target(context: Any, pipeline: str) -> Target | None:
    """The project's MLflow target, or None when it does not track this pipeline."""
    configured = getattr(context, "mlflow", None)  # set by kedro-mlflow's hook
    if configured is not None:
        if pipeline in configured.tracking.disable_tracking.pipelines:
            return None
        ui = configured.ui
        return Target(
            tracking_uri=configured.server.mlflow_tracking_uri,
            experiment=configured.tracking.experiment.name,
            artifact_location=configured.tracking.experiment.create_experiment_kwargs.artifact_location,
            ui_url=f"http://{ui.host}:{ui.port}",
        )
    if find_spec("mlflow") is None:
        return None
    loader = context.config_loader
    loader.config_patterns.setdefault(CONFIG_KEY, CONFIG_PATTERNS)
    try:
        raw = dict(loader[CONFIG_KEY] or {})
    except (MissingConfigException, KeyError):
        return None
    if not raw:
        return None
    server, tracking = raw.get("server") or {}, raw.get("tracking") or {}
    if pipeline in (tracking.get("disable_tracking") or {}).get("pipelines", []):
        return None
    experiment = tracking.get("experiment") or {}
    ui = raw.get("ui") or {}
    return Target(
        tracking_uri=_absolute(
            server.get("mlflow_tracking_uri") or os.environ.get(TRACKING_URI_ENV) or "mlruns",
            Path(context.project_path),
        ),
        experiment=experiment.get("name") or "Default",
        artifact_location=(experiment.get("create_experiment_kwargs") or {}).get(
            "artifact_location"
        ),
        ui_url=f"http://{ui.get('host', '127.0.0.1')}:{ui.get('port', 5000)}",
    )


class _AdoptionNotes(logging.Filter):
    """kedro-mlflow warns, in five records, that it found a run already active and
    uses it: under this plugin that is the design (the flow run's run, adopted), not
    something a user should act on."""

    LOGGER = "kedro_mlflow.framework.hooks.mlflow_hook"
    NOTES = ("is already active", "was already active", "mlflow_config.")

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not any(note in message for note in self.NOTES)


@contextmanager
def flow_tracking(context: Any, project: Path, pipeline: str) -> Iterator[str | None]:
    """The MLflow run of this flow run (see the module docstring); None without one."""
    # Prefect is imported where it is used: a Kedro session (tracking_environment_kept)
    # and `kedro prefect plan` must not pay for it.
    from prefect.context import FlowRunContext

    target = tracking_target(context, pipeline) if FlowRunContext.get() is not None else None
    if target is None:
        yield None
        return
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import RunStatus

    uri = target.tracking_uri  # kedro-mlflow's precedence: its file, then the environment
    client = MlflowClient(uri)
    adopted = os.environ.get(PLUGIN_RUN_ENV) or os.environ.get(RUN_ID_ENV)
    if adopted:  # a parent flow run (a sub-flow on another pool) or an outer orchestrator
        run_id = adopted
        experiment_id = client.get_run(run_id).info.experiment_id
    else:
        experiment_id = _experiment(client, target, project)
        run_id = _create_run(client, experiment_id, pipeline)
        url = run_url(target, uri, experiment_id, run_id)
        from prefect.artifacts import create_link_artifact

        from kedro_prefect.artifacts import artifact_key, attempt_label

        create_link_artifact(
            key=artifact_key("mlflow-run", pipeline),
            link=url,
            link_text=f"MLflow run {run_id} ({attempt_label()})",
            description=f"The MLflow run of this flow run, {attempt_label()} (store: {uri})",
        )
        log.info("MLflow run %s: %s", run_id, url)
    run_env = {PLUGIN_RUN_ENV: run_id, RUN_ID_ENV: run_id, TRACKING_URI_ENV: uri,
               EXPERIMENT_ID_ENV: experiment_id}  # fmt: skip
    previous = {key: os.environ.get(key) for key in run_env}
    os.environ.update(run_env)
    mlflow.set_tracking_uri(uri)
    status = RunStatus.FAILED
    notes = _AdoptionNotes()
    logging.getLogger(_AdoptionNotes.LOGGER).addFilter(notes)
    try:
        with _active(run_id):  # kedro-mlflow's hook adopts the flow thread's active run
            yield run_id
        status = RunStatus.FINISHED
    finally:
        logging.getLogger(_AdoptionNotes.LOGGER).removeFilter(notes)
        if not adopted:
            client.set_terminated(run_id, RunStatus.to_string(status))
        _restore_environment(previous)


@contextmanager
def tracking_environment_kept() -> Iterator[None]:
    """MLflow's store, experiment and run variables as they were, after a Kedro session.

    kedro-mlflow's hook calls ``mlflow.set_tracking_uri`` and ``set_experiment``
    when the session's context is created, and MLflow writes both into the
    environment for subprocesses to inherit. A process that runs several flows
    (``prefect serve``, a notebook, a test session) would otherwise hand one
    project's store and experiment to the next flow and to every ``kedro run`` it
    starts, where a run id of the right store then is "not found". MLflow's
    in-process tracking URI follows the restored variable (unset when it is)."""
    before = {key: os.environ.get(key) for key in SESSION_ENVIRONMENT}
    try:
        yield
    finally:
        _restore_environment(before)
        mlflow = sys.modules.get("mlflow")
        if mlflow is not None:  # None unsets it: MLflow then reads the variable again
            mlflow.set_tracking_uri(os.environ.get(TRACKING_URI_ENV))  # type: ignore[arg-type]


def _restore_environment(before: dict[str, str | None]) -> None:
    """Variables back to ``before`` (None: unset)."""
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@contextmanager
def node_tracking() -> Iterator[None]:
    """The flow run's MLflow run as this thread's active run for one node task.

    kedro-mlflow's datasets and plain ``mlflow.log_*`` calls log into the active
    run of the calling thread; Prefect's worker threads, process pools and Ray
    workers have none (or a previous node's). Nothing happens outside a tracked
    flow run."""
    run_id = os.environ.get(PLUGIN_RUN_ENV)
    if not run_id:
        yield
        return
    with _active(run_id):
        yield


@contextmanager
def _active(run_id: str) -> Iterator[None]:
    """``run_id`` active in this thread for the block; afterwards the thread's
    stack of active runs is as before, and the run is *not* ended (it belongs to
    the flow run). MLflow has no public "detach": ``end_run`` would mark it ended."""
    import mlflow
    from mlflow.tracking import fluent

    stack = fluent._active_run_stack.get()
    depth = len(stack)
    active = mlflow.active_run()
    if active is None or active.info.run_id != run_id:
        mlflow.start_run(run_id=run_id, nested=active is not None)
    try:
        yield
    finally:
        del stack[depth:]  # kedro-mlflow's hook pushes the run again per node (nested)


def run_environment() -> dict[str, str]:
    """The environment a process needs to log into this flow run's MLflow run
    (empty when the run is not tracked): what tasks re-opening the run in a Ray
    worker or a process pool apply, and what a sub-flow on another pool gets."""
    if not os.environ.get(PLUGIN_RUN_ENV):
        return {}
    return {key: os.environ[key] for key in RUN_ENVIRONMENT if os.environ.get(key)}


def run_url(target: Target, uri: str, experiment_id: str, run_id: str | None = None) -> str:
    """The run's page, or the experiment's runs view (MLflow 3's bare experiment
    link opens the GenAI overview): on the tracking server itself, else on
    kedro-mlflow's ``ui`` address for a local store."""
    base = uri if uri.startswith(("http://", "https://")) else target.ui_url or uri
    page = f"{base.rstrip('/')}/#/experiments/{experiment_id}/runs"
    return f"{page}/{run_id}" if run_id else page


def _create_run(client: Any, experiment_id: str, pipeline: str) -> str:
    """A new run tagged with the flow run, and linked to the run of the flow run's
    previous attempt when this is a retry (module docstring)."""
    from mlflow.entities import RunTag
    from prefect.runtime import flow_run

    tags = {
        FLOW_RUN_TAG: str(flow_run.id),
        "prefect.flow_run_name": str(flow_run.name),
        "prefect.flow_name": str(flow_run.flow_name),
        "kedro.pipeline": pipeline,
    }
    if flow_run.ui_url:
        tags["prefect.flow_run_url"] = flow_run.ui_url
    earlier = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{FLOW_RUN_TAG}` = '{flow_run.id}'",
        order_by=["attributes.start_time DESC"],
    )
    if earlier:
        tags["prefect.retry_of"] = earlier[0].info.run_id
    tags["prefect.attempt"] = str(len(earlier) + 1)
    run_id = client.create_run(experiment_id, run_name=str(flow_run.name), tags=tags).info.run_id
    if earlier:
        client.log_batch(earlier[0].info.run_id, tags=[RunTag("prefect.retried_by", run_id)])
    return run_id


def _experiment(client: Any, target: Target, project: Path) -> str:
    """The experiment's id; created (with its artifact location) when missing, as
    kedro-mlflow would, for projects whose nodes call MLflow without its hook."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(target.experiment)
    if found is not None:
        return found.experiment_id
    location = target.artifact_location
    if location and "://" not in location:
        path = Path(location)
        location = (path if path.is_absolute() else project / path).resolve().as_uri()
    try:
        return client.create_experiment(target.experiment, artifact_location=location)
    except MlflowException:  # created meanwhile by another process
        return client.get_experiment_by_name(target.experiment).experiment_id


def _absolute(uri: str, project: Path) -> str:
    """A bare relative path made a ``file://`` URI under the project, as kedro-mlflow
    does (its own resolution is used whenever its hook is there), and a relative SQLite
    file made absolute: MLflow caches stores by URI, so in one process two projects'
    ``sqlite:///mlruns.db`` would otherwise share the first one's file."""
    if uri.startswith("sqlite:///") and not uri.startswith("sqlite:////"):
        return f"sqlite:///{(project / uri.removeprefix('sqlite:///')).resolve()}"
    if "://" in uri or uri.startswith(("databricks", "sqlite:")):
        return uri
    path = Path(uri)
    return (path if path.is_absolute() else project / path).as_uri()
