"""Kedro pipelines as Prefect flows.

:func:`kedro_flow` runs any registered pipeline of any Kedro 1.x project with
the same arguments as ``kedro run``; :func:`pipeline_flow` makes a flow bound
to one pipeline, to use as a deployment entrypoint. Both open a Kedro session
per flow run (or take over the one ``kedro prefect run`` opened: project.py)
and hand node execution to :class:`~kedro_prefect.runner.PrefectRunner`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any

from prefect import Flow, flow
from prefect.states import Failed, State

from kedro_prefect.config import ExecutionMode, GroupBy, TaskRunnerKind
from kedro_prefect.failures import NodesFailed
from kedro_prefect.logs import run_logging
from kedro_prefect.plan import PlanError
from kedro_prefect.project import FILTERS, kedro_session, state_dir, take_prepared
from kedro_prefect.runner import PrefectRunner
from kedro_prefect.tracking import flow_tracking


def run_pipeline(pipeline: str = "__default__", **arguments: Any) -> dict[str, str] | State:
    """The body of every Kedro flow: see :func:`kedro_flow` for the arguments.

    Failed nodes end the flow run Failed with a message naming each one and its
    root cause (not with a traceback of the summary: the nodes' own tracebacks are
    in their task runs' logs and the failure artifacts). A plan that refuses the run
    (missing inputs, a timeout that cannot interrupt) ends it Failed with the
    plan's message, before any task run exists."""
    prepared = take_prepared({"pipeline": pipeline, **arguments})
    refresh = arguments.pop("refresh", False)
    execution = arguments.pop("execution", None)
    task_runner = arguments.pop("task_runner", None)
    group_by = arguments.pop("group_by", None)
    load_versions = arguments.pop("load_versions", None) or None
    only_missing_outputs = bool(arguments.pop("only_missing_outputs", False))
    filters = {k: arguments.pop(k, None) for k in FILTERS}
    try:
        with (
            nullcontext(prepared.opened) if prepared else kedro_session(**arguments) as (
                project,
                package,
                session,
                context,
                config,
            ),
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
                plan=prepared.plan if prepared else None,
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
