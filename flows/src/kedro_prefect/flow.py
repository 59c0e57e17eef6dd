"""Kedro pipelines as Prefect flows.

:func:`kedro_flow` runs any registered pipeline of any Kedro 1.x project with
the same arguments as ``kedro run``; :func:`pipeline_flow` makes a flow bound
to one pipeline, to use as a deployment entrypoint. Both open a Kedro session
per flow run and hand node execution to :class:`~kedro_prefect.runner.PrefectRunner`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from kedro.pipeline import Pipeline
from prefect import Flow, flow
from prefect.states import Failed, State

from kedro_prefect.config import (
    CONFIG_KEY,
    CONFIG_PATTERNS,
    ExecutionMode,
    GroupBy,
    OrchestrationConfig,
    TaskRunnerKind,
)
from kedro_prefect.execution import ExecutionTarget
from kedro_prefect.failures import NodesFailed
from kedro_prefect.logs import run_logging
from kedro_prefect.plan import Plan, PlanError, build_plan
from kedro_prefect.runner import PrefectRunner
from kedro_prefect.task_runners import TaskRunnerChoice
from kedro_prefect.tracking import flow_tracking, tracking_environment_kept

PROJECT_ENV = "KEDRO_PROJECT_PATH"
STATE_ENV = "KEDRO_PREFECT_STATE_DIR"
# `kedro run`'s pipeline filters, under KedroSession.run's argument names.
FILTERS = ("tags", "node_names", "from_nodes", "to_nodes", "from_inputs", "to_outputs",
           "namespaces")  # fmt: skip


def find_project(project_path: str | os.PathLike[str] | None = None) -> Path:
    """The Kedro project to run: the argument, ``$KEDRO_PROJECT_PATH``, or the
    nearest folder upwards from the working directory with ``[tool.kedro]``."""
    candidate = project_path or os.environ.get(PROJECT_ENV)
    if candidate:
        path = Path(candidate).resolve()
        if not _is_kedro_project(path):
            raise FileNotFoundError(f"{path} is not a Kedro project (no [tool.kedro] in pyproject)")
        return path
    for path in [Path.cwd(), *Path.cwd().parents]:
        if _is_kedro_project(path):
            return path
    raise FileNotFoundError(
        f"no Kedro project found from {Path.cwd()} upwards; pass project_path or set {PROJECT_ENV}"
    )


def _is_kedro_project(path: Path) -> bool:
    pyproject = path / "pyproject.toml"
    if not pyproject.is_file():
        return False
    with pyproject.open("rb") as handle:
        return "kedro" in tomllib.load(handle).get("tool", {})


def load_orchestration_config(context: Any) -> OrchestrationConfig:
    """``prefect.yml`` from the session's config loader (so ``--env`` and
    ``conf/local`` override it like any Kedro config); absent means defaults.

    Environments are deep-merged over base ("soft", unless the project's
    settings say otherwise): a ``conf/prod/prefect.yml`` that changes one
    node's retries keeps every other setting of base."""
    loader = context.config_loader
    loader.config_patterns.setdefault(CONFIG_KEY, CONFIG_PATTERNS)
    loader.merge_strategy.setdefault(CONFIG_KEY, "soft")
    try:
        raw = loader[CONFIG_KEY]
    except (MissingConfigException, KeyError):
        raw = {}
    return OrchestrationConfig.from_mapping(raw)


def state_dir(project: Path, config: OrchestrationConfig) -> Path:
    """The project's state folder (see ``state_dir`` in prefect.yml): never inside the
    project's tracked tree unless configured so, and the same for every process that
    runs this checkout (keyed by the project's absolute path)."""
    if config.state_dir:
        return (project / Path(config.state_dir).expanduser()).resolve()
    root = os.environ.get(STATE_ENV) or os.path.join(
        os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state", "kedro-prefect"
    )
    digest = hashlib.sha256(str(project.resolve()).encode()).hexdigest()[:12]
    return Path(root).expanduser() / f"{project.name}-{digest}"


@contextmanager
def in_project(project: Path) -> Iterator[None]:
    """Work from the project folder, as ``kedro run`` does: Kedro makes catalog
    paths absolute, but relative paths in parameters (caches, exports) are
    relative to the working directory."""
    previous = Path.cwd()
    os.chdir(project)
    try:
        yield
    finally:
        os.chdir(previous)


def filtered_pipeline(
    pipelines: dict[str, Pipeline],
    name: str,
    *,
    tags: list[str] | None = None,
    node_names: list[str] | None = None,
    from_nodes: list[str] | None = None,
    to_nodes: list[str] | None = None,
    from_inputs: list[str] | None = None,
    to_outputs: list[str] | None = None,
    namespaces: list[str] | None = None,
) -> Pipeline:
    """The pipeline ``kedro run`` would run for these filters (as KedroSession.run does)."""
    if name not in pipelines:
        known = ", ".join(sorted(pipelines))
        raise ValueError(f"no pipeline named {name!r}; registered: {known}")
    return pipelines[name].filter(
        tags=tags,
        from_nodes=from_nodes,
        to_nodes=to_nodes,
        node_names=node_names,
        from_inputs=from_inputs,
        to_outputs=to_outputs,
        node_namespaces=namespaces,
    )


def apply_project_logging(project: Path) -> None:
    """The project's ``conf/logging.yml``, as ``kedro run`` in the project folder
    applies it. Kedro reads it from the working directory once, at import: a flow
    run started elsewhere (a worker in the repository root, a retry from another
    shell) would otherwise log with Kedro's defaults. ``$KEDRO_LOGGING_CONFIG``
    still wins, as with Kedro."""
    if os.environ.get("KEDRO_LOGGING_CONFIG"):
        return
    found = next((project / "conf" / f"logging{ext}" for ext in (".yml", ".yaml")
                  if (project / "conf" / f"logging{ext}").is_file()), None)  # fmt: skip
    if found is None or Path.cwd().resolve() == project.resolve():
        return  # none, or Kedro has already applied it
    import yaml
    from kedro.framework.project import LOGGING

    with in_project(project):  # its handlers' relative paths (info.log) are the project's
        LOGGING.configure(yaml.safe_load(found.read_text(encoding="utf-8")))


@contextmanager
def kedro_session(
    project_path: str | None,
    env: str | None,
    params: dict[str, Any] | None,
    conf_source: str | None,
) -> Iterator[tuple[Path, str, KedroSession, Any, OrchestrationConfig]]:
    """A session of the project as ``kedro run`` would open it, from the project
    folder: (project path, package name, session, context, prefect.yml)."""
    project = find_project(project_path)
    metadata = bootstrap_project(project)
    apply_project_logging(project)
    with (
        in_project(project),
        tracking_environment_kept(),
        KedroSession.create(
            project_path=project, env=env, runtime_params=params, conf_source=conf_source
        ) as session,
    ):
        context = session.load_context()
        yield project, metadata.package_name, session, context, load_orchestration_config(context)


def run_pipeline(pipeline: str = "__default__", **arguments: Any) -> dict[str, str] | State:
    """The body of every Kedro flow: see :func:`kedro_flow` for the arguments.

    Failed nodes end the flow run Failed with a message naming each one and its
    root cause (not with a traceback of the summary: the nodes' own tracebacks are
    in their task runs' logs and the failure artifacts). A plan that refuses the run
    (missing inputs, a timeout that cannot interrupt) ends it Failed with the
    plan's message, before any task run exists."""
    refresh = arguments.pop("refresh", False)
    execution = arguments.pop("execution", None)
    task_runner = arguments.pop("task_runner", None)
    group_by = arguments.pop("group_by", None)
    load_versions = arguments.pop("load_versions", None) or None
    only_missing_outputs = bool(arguments.pop("only_missing_outputs", False))
    filters = {k: arguments.pop(k, None) for k in FILTERS}
    try:
        with (
            kedro_session(**arguments) as (project, package, session, context, config),
            flow_tracking(context, project, pipeline),
        ):
            runner = PrefectRunner(
                config,
                pipeline_name=pipeline,
                refresh=refresh,
                state_dir=state_dir(project, config),
                execution=execution,
                task_runner=task_runner,
                session_args=arguments,
                group_by=group_by,
                load_versions=load_versions,
            )
            loggers = ["kedro", package, "kedro_prefect", *config.loggers]
            with run_logging(loggers, config.console_logs):
                session.run(
                    pipeline_names=[pipeline],
                    runner=runner,
                    load_versions=load_versions,
                    only_missing_outputs=only_missing_outputs,
                    **filters,
                )
    except NodesFailed as failed:  # Kedro's on_pipeline_error hooks and MLflow saw it
        return Failed(message=str(failed))
    except PlanError as refused:  # before any node: the message is the whole story
        return Failed(message=f"{type(refused).__name__}: {refused}")
    return {name: state.name for name, state in runner.states.items()}


def run_name(bound_pipeline: str | None = None) -> Callable[[], str]:
    """Flow-run names that tell runs apart in the UI: the deployment (if any), the
    pipeline, the day it was due and a digest of what was asked (env, params,
    filters, refresh), e.g. ``nightly-scraping: data_engineering 2026-12-02 #3fa2c1``."""

    def name() -> str:
        from prefect.runtime import deployment, flow_run

        parameters = dict(flow_run.parameters or {})
        pipeline = bound_pipeline or parameters.pop("pipeline", None) or "__default__"
        asked = {k: v for k, v in parameters.items() if v not in (None, False, [], {})}
        asked.pop("project_path", None)
        due = flow_run.scheduled_start_time
        parts = [f"{deployment.name}:" if deployment.name else "kedro", pipeline]
        parts.append(due.date().isoformat() if due else "")
        if asked:
            digest = json.dumps(asked, sort_keys=True, default=str)
            parts.append("#" + hashlib.sha256(digest.encode()).hexdigest()[:6])
        return " ".join(part for part in parts if part)

    return name


@flow(name="kedro", flow_run_name=run_name(), log_prints=True, validate_parameters=True)
def kedro_flow(
    pipeline: str = "__default__",
    env: str | None = None,
    params: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    node_names: list[str] | None = None,
    from_nodes: list[str] | None = None,
    to_nodes: list[str] | None = None,
    from_inputs: list[str] | None = None,
    to_outputs: list[str] | None = None,
    namespaces: list[str] | None = None,
    refresh: bool | list[str] = False,
    project_path: str | None = None,
    conf_source: str | None = None,
    execution: ExecutionMode | None = None,
    task_runner: TaskRunnerKind | None = None,
    group_by: GroupBy | None = None,
    load_versions: dict[str, str] | None = None,
    only_missing_outputs: bool = False,
) -> dict[str, str]:
    """Run a Kedro pipeline, one Prefect task per node.

    Arguments mirror ``kedro run``: ``env`` (--env), ``params`` (--params),
    ``tags``, ``node_names`` (--nodes), ``from_nodes``, ``to_nodes``,
    ``from_inputs``, ``to_outputs``, ``namespaces``, ``conf_source``
    (--conf-source). ``refresh`` re-runs all (true) or the named nodes, ignoring
    their cache. ``execution`` (local, ray,
    work_pools) overrides ``execution.mode`` of prefect.yml, ``task_runner``
    (sequential, threads, processes) its ``execution.task_runner``: how the nodes
    run on this machine (see :mod:`kedro_prefect.task_runners`); ``group_by`` (none,
    namespace, tag) its ``grouping.by``: which nodes run together as one task
    (see :mod:`kedro_prefect.grouping`). ``load_versions`` (--load-versions, dataset →
    version) and ``only_missing_outputs`` (--only-missing-outputs) as ``kedro run``.
    Returns each node's final state name (a group's nodes: the group's).
    """
    return run_pipeline(**locals())


def pipeline_flow(pipeline: str, *, name: str | None = None) -> Flow[..., dict[str, str]]:
    """A flow running one pipeline (a deployment entrypoint), named ``kedro-<pipeline>``.

    Same arguments as :func:`kedro_flow` except ``pipeline``, which is bound.
    """

    def run(
        env: str | None = None,
        params: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        node_names: list[str] | None = None,
        from_nodes: list[str] | None = None,
        to_nodes: list[str] | None = None,
        from_inputs: list[str] | None = None,
        to_outputs: list[str] | None = None,
        namespaces: list[str] | None = None,
        refresh: bool | list[str] = False,
        project_path: str | None = None,
        conf_source: str | None = None,
        execution: ExecutionMode | None = None,
        task_runner: TaskRunnerKind | None = None,
        group_by: GroupBy | None = None,
        load_versions: dict[str, str] | None = None,
        only_missing_outputs: bool = False,
    ) -> dict[str, str]:
        return run_pipeline(**{**locals(), "pipeline": pipeline})  # locals() holds `pipeline` too

    label = pipeline.strip("_") or "default"
    run.__name__ = run.__qualname__ = f"kedro_{label}"
    run.__doc__ = f"Run the Kedro pipeline {pipeline!r}, one Prefect task per node."
    return flow(name=name or f"kedro-{label}", flow_run_name=run_name(pipeline), log_prints=True)(
        run
    )


def plan_pipeline(
    pipeline: str = "__default__",
    *,
    env: str | None = None,
    params: dict[str, Any] | None = None,
    refresh: bool | list[str] = False,
    project_path: str | None = None,
    conf_source: str | None = None,
    execution: ExecutionMode | None = None,
    task_runner: TaskRunnerKind | None = None,
    group_by: GroupBy | None = None,
    load_versions: dict[str, str] | None = None,
    only_missing_outputs: bool = False,
    **filters: Any,
) -> Plan:
    """The dry-run plan of a pipeline: what :func:`kedro_flow` would do now
    (outside a flow run: nodes with a work pool are placed as from no pool)."""
    from kedro.framework.project import pipelines

    with kedro_session(project_path, env, params, conf_source) as (project, _, _, context, config):
        selected = filtered_pipeline(dict(pipelines), pipeline, **filters)
        # The catalog KedroSession.run builds: with the pinned versions (Kedro has no
        # public way to ask a context for it), and the pipeline its runner runs.
        catalog = context._get_catalog(load_versions=load_versions or None)
        if only_missing_outputs:
            selected = PrefectRunner(
                config, state_dir=state_dir(project, config)
            )._filter_pipeline_for_missing_outputs(selected, catalog)
        return build_plan(
            selected,
            catalog,
            config,
            pipeline_name=pipeline,
            refresh=refresh,
            state_dir=state_dir(project, config),
            target=ExecutionTarget.resolve(config, execution),
            task_runner=TaskRunnerChoice.resolve(config, task_runner),
            group_by=group_by,
        )
