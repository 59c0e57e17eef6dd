"""``PrefectRunner``: a Kedro runner whose nodes are Prefect task runs.

Kedro's session does everything around a run exactly as for ``kedro run``
(config environments, runtime params, pipeline filters, catalog, pipeline
hooks); only the step "execute these nodes" is handed to this runner, which
turns the plan into Prefect tasks. A node starts when the nodes producing
its inputs (transcoded names included) have completed or been served from
cache. Where a node runs is the execution mode's business (execution.py): on
this machine under its infra class's concurrency limit (local), as a Ray task
(ray), or inside a sub-flow on another work pool (work_pools). On this machine
the task runner of the plan runs the nodes (task_runners.py: sequential by
default, as ``kedro run``; threads or processes on request).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node, Pipeline
from kedro.runner import AbstractRunner
from prefect.client.orchestration import get_client
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.states import State
from prefect.task_runners import TaskRunner
from prefect.utilities.annotations import quote

from kedro_prefect import artifacts
from kedro_prefect.config import OrchestrationConfig, TaskRunnerChoice
from kedro_prefect.dataset_artifacts import DatasetArtifacts
from kedro_prefect.execution import ExecutionTarget, resource_problem
from kedro_prefect.failures import NodesFailed, failure_exception, failure_reason
from kedro_prefect.node_task import make_node_group_task, make_node_task
from kedro_prefect.not_run import (
    NOT_RUN,
    end_earlier_attempts,
    end_not_run,
    failed_ancestors,
    not_run_state,
)
from kedro_prefect.plan import Plan, PlanError, PlannedGroup, PlannedNode, build_plan
from kedro_prefect.rows import partition_counts
from kedro_prefect.runs import RUNS, GroupJob, NodeJob, RunContext, RunRef, RunSpec
from kedro_prefect.task_runners import started
from kedro_prefect.tracking import run_environment

log = logging.getLogger(__name__)


class _RowCounter:
    """Kedro dataset hook that notes how many rows each saved dataset had."""

    def __init__(self, rows: dict[str, int]) -> None:
        self.rows = rows

    @hook_impl
    def after_dataset_saved(self, dataset_name: str, data: Any, node: Node) -> None:
        with contextlib.suppress(TypeError):  # a model or a scalar has no rows to count
            self.rows[dataset_name] = len(data)


class PrefectRunner(AbstractRunner):
    """Run a Kedro pipeline inside a Prefect flow run, one task run per node.

    Args:
        config: orchestration settings (``prefect.yml``).
        pipeline_name: shown in tags, artifacts and the plan.
        refresh: re-run all nodes (True) or the named ones, ignoring their cache.
        state_dir: where cache validity records and fingerprints are kept.
        execution: the execution mode, overriding ``execution.mode`` of prefect.yml.
        task_runner: sequential, threads or processes, overriding
            ``execution.task_runner`` of prefect.yml.
        group_by: none, namespace or tag, overriding ``grouping.by`` of prefect.yml.
        load_versions: the versions ``--load-versions`` pinned (dataset → version),
            for the processes that open the catalog again.
        session_args: how the run's Kedro session was opened (project_path, env,
            params, conf_source), for the processes that must open it again: Ray
            workers and the sub-flows of other work pools.
        plan: the run's plan if it was made already (``kedro prefect run`` plans
            before the flow run starts: project.py); used when it plans the nodes
            Kedro hands over, else the runner plans.
    """

    def __init__(
        self,
        config: OrchestrationConfig,
        *,
        pipeline_name: str = "__default__",
        refresh: bool | Iterable[str] = False,
        state_dir: Path,
        execution: str | None = None,
        task_runner: str | None = None,
        session_args: dict[str, Any] | None = None,
        group_by: str | None = None,
        load_versions: dict[str, str] | None = None,
        plan: Plan | None = None,
    ) -> None:
        super().__init__(is_async=False)
        self.config = config
        self.pipeline_name = pipeline_name
        self.refresh = refresh
        self.state_dir = state_dir
        self.execution = execution
        self.task_runner = TaskRunnerChoice.resolve(config, task_runner)
        self.task_runner_override = task_runner
        self.session_args = dict(session_args or {})
        self.group_by = group_by
        self.load_versions = load_versions
        self.plan: Plan | None = plan
        self.states: dict[str, State] = {}
        self.results: dict[str, dict[str, Any]] = {}
        self.task_run_ids: dict[str, uuid.UUID] = {}

    def _get_executor(self, max_workers: int) -> Executor | None:
        return None  # the flow's Prefect task runner is the executor

    def _run(
        self,
        pipeline: Pipeline,
        catalog: Any,
        hook_manager: Any = None,
        run_id: str | None = None,
    ) -> None:
        flow_run = getattr(FlowRunContext.get(), "flow_run", None)
        target = ExecutionTarget.resolve(
            self.config, self.execution, getattr(flow_run, "work_pool_name", None)
        )
        plan = self.plan
        if plan is None or plan.node_names != {n.name for n in pipeline.nodes}:
            plan = build_plan(
                pipeline,
                catalog,
                self.config,
                pipeline_name=self.pipeline_name,
                refresh=self.refresh,
                state_dir=self.state_dir,
                target=target,
                task_runner=self.task_runner,
                group_by=self.group_by,  # type: ignore[arg-type]
            )
        self.plan = plan = plan.check_runnable()
        if flow_run is not None:  # a retry: what an attempt that died left unfinished
            end_earlier_attempts(flow_run.id, artifacts.attempt())
        log.info("%s", plan.to_text())
        for planned in plan.nodes:
            if planned.placement.note:
                log.warning("%s: %s", planned.name, planned.placement.note)
        artifacts.publish_plan(plan)

        run_key = uuid.uuid4().hex
        jobs = {p.name: NodeJob.of(p) for p in plan.nodes}
        groups = {g.name: GroupJob.of(g) for g in plan.groups}
        context = RunContext(
            catalog=catalog,
            hook_manager=hook_manager,
            run_id=run_id,
            nodes={n.name: n for n in pipeline.nodes},
            jobs=jobs,
            groups=groups,
        )
        counter = _RowCounter(context.rows)
        hook_manager.register(counter)
        published = DatasetArtifacts(self.config.artifacts)
        hook_manager.register(published)
        RUNS[run_key] = context
        # Every task gets this handle; quoted where the task runner allows, so that
        # Prefect does not walk its spec (all nodes' jobs) in each of n tasks' parameters.
        run = RunRef(run_key, self._spec(run_id, jobs, groups))
        try:
            if plan.mode == "ray":
                self._run_on_ray(plan, target, run)
            else:
                _upsert_limits(plan.limits)
                # Collected inside: a task runner cancels what is pending when it stops.
                with started(plan.task_runner) as task_runner:
                    self._collect(self._submit_here(plan, run, task_runner))
        finally:
            hook_manager.unregister(counter)
            hook_manager.unregister(published)
            RUNS.pop(run_key, None)
        for result in self.results.values():  # rows counted in other processes
            if isinstance(result, dict):
                context.rows.update(result.get("rows") or {})
        cached = [p for p in plan.nodes if getattr(self.states.get(p.name), "name", "") == "Cached"]
        context.rows.update(partition_counts(catalog, [o for p in cached for o in p.node.outputs]))

        failed_states = {
            name: state for name, state in self.states.items()
            if state.is_failed() or state.is_crashed()
        }  # fmt: skip
        # A group fails once, by its name; its nodes all carry the group's state.
        failed = {
            _unit_name(plan[name]): failure_reason(state) for name, state in failed_states.items()
        }
        self._end_not_run(plan, set(failed_states))
        artifacts.publish_run_summary(plan, self.states, self.results, context.rows)
        errors = {
            _unit_name(plan[name]): failure_exception(state)
            for name, state in failed_states.items()
        }
        artifacts.publish_failures({k: v for k, v in errors.items() if v is not None}, failed)
        not_run = [name for name, state in self.states.items() if state.name == NOT_RUN]
        if failed or not_run:
            raise NodesFailed(failed, not_run)

    def _end_not_run(self, plan: Plan, failed: set[str]) -> None:
        """Nodes left Pending because an upstream node failed end ``NotRun``
        (not_run.py), on the server and in :attr:`states`."""
        upstream = {p.name: p.upstream for p in plan.nodes}
        ends = {
            name: not_run_state(failed_ancestors(name, upstream, failed))
            for name, state in self.states.items()
            if state.is_pending()
        }
        if not ends:
            return
        by_task_run = {self.task_run_ids[n]: s for n, s in ends.items() if n in self.task_run_ids}
        end_not_run(by_task_run)
        self.states.update(ends)

    def _collect(self, futures: dict[str, PrefectFuture]) -> None:
        """Wait for every node's future; keep its final state and result."""
        for name, future in futures.items():
            future.wait()
            self.task_run_ids[name] = future.task_run_id
            self.states[name] = future.state
            if future.state.is_completed():
                result = future.result(raise_on_failure=False)
                durations = result.get("durations") if isinstance(result, dict) else None
                if durations and name in durations:  # a group's node: its own duration
                    result = {**result, "duration_s": durations[name]}
                self.results[name] = result

    def _spec(
        self, run_id: str | None, jobs: dict[str, NodeJob], groups: dict[str, GroupJob]
    ) -> RunSpec:
        return RunSpec(
            project_path=str(Path.cwd()),  # the session runs from the project folder
            pipeline=self.pipeline_name,
            env=self.session_args.get("env"),
            params=self.session_args.get("params"),
            conf_source=self.session_args.get("conf_source"),
            run_id=run_id,
            jobs=jobs,
            loggers=list(self.config.loggers),
            groups=groups,
            load_versions=self.load_versions,
            environment=run_environment(),
            artifacts=dict(self.config.artifacts),
        )

    def _submit_here(
        self, plan: Plan, run: RunRef, task_runner: TaskRunner
    ) -> dict[str, PrefectFuture]:
        """Nodes and node groups on the plan's task runner, in a topological order
        (the inline runner of ``sequential`` runs each as it is submitted); delegated
        groups as sub-flow tasks."""
        from kedro_prefect.work_pools import DelegatedGroup, delegated_groups, make_group_task

        futures: dict[str, PrefectFuture] = {}
        groups = delegated_groups(plan, self.config)
        local = [u for u in _units(plan) if not u.placement.is_delegated]
        pending: list[DelegatedGroup | PlannedGroup | PlannedNode] = [*groups, *local]
        grouped = {name for g in groups for name in g.nodes}
        while pending:  # each unit once its upstream units are submitted
            for unit in list(pending):
                upstream = set(unit.upstream)
                if not upstream <= futures.keys():
                    continue
                waits = list({id(futures[u]): futures[u] for u in sorted(upstream)}.values())
                pending.remove(unit)
                if isinstance(unit, DelegatedGroup):
                    task = make_group_task(unit, [f"pipeline:{self.pipeline_name}"])
                    parameters = {
                        "deployment": unit.deployment,
                        "parameters": self._subflow_parameters(unit.nodes),
                        "poll_interval": self.config.execution.poll_interval_seconds,
                    }
                    future = task_runner.submit(task, parameters, wait_for=waits)
                    futures.update(dict.fromkeys(unit.nodes, future))
                elif isinstance(unit, PlannedGroup):
                    task = make_node_group_task(unit, self.pipeline_name)
                    parameters = {"run": quote(run), "group_name": unit.name}
                    future = task_runner.submit(task, parameters, wait_for=waits)
                    futures.update(dict.fromkeys(unit.nodes, future))
                else:
                    task = make_node_task(unit, self.pipeline_name, run.key)
                    parameters = {"run": quote(run), "node_name": unit.name}
                    futures[unit.name] = task_runner.submit(task, parameters, wait_for=waits)
            if pending and not any(set(u.upstream) <= futures.keys() for u in pending):
                raise PlanError(f"cannot order {[getattr(u, 'name', u) for u in pending]}")
        assert grouped <= futures.keys()
        return {p.name: futures[p.name] for p in plan.nodes}

    def _subflow_parameters(self, nodes: list[str]) -> dict[str, Any]:
        refresh = self.refresh
        if refresh is not True and refresh:
            names = {refresh} if isinstance(refresh, str) else set(refresh)
            refresh = sorted(names & set(nodes))
        return {
            "pipeline": self.pipeline_name,
            "node_names": nodes,
            "refresh": refresh or False,
            "execution": "work_pools",
            # Only when overridden: a deployment made before the parameter existed works.
            **({"task_runner": self.task_runner_override} if self.task_runner_override else {}),
            **({"group_by": self.group_by} if self.group_by else {}),
            **({"load_versions": self.load_versions} if self.load_versions else {}),
            **{k: self.session_args.get(k) for k in ("env", "params", "project_path",
                                                       "conf_source")},
        }  # fmt: skip

    def _run_on_ray(self, plan: Plan, target: ExecutionTarget, run: RunRef) -> None:
        """Every node a Ray task. Results are collected before the Ray runner exits:
        a runner that connected for this run disconnects then, and Ray objects
        outlive neither their owner's connection nor a reconnect."""
        from kedro_prefect.execution import RAY
        from kedro_prefect.ray_execution import ray_task_runner, submit_ray_task
        from kedro_prefect.resources import connected_ray_capacity

        futures: dict[str, PrefectFuture] = {}
        with ray_task_runner(self.config.execution.ray) as ray_runner:
            if target.capacity is None:  # a remote cluster: check now that it answers
                connected = dataclasses.replace(target, capacity=connected_ray_capacity())
                for planned in plan.nodes:
                    problem = resource_problem(
                        planned.name, planned.settings.infra, planned.placement, connected
                    )
                    if problem:
                        raise PlanError(problem)
            for unit in _units(plan):
                assert unit.placement.where == RAY
                waits = list({id(futures[u]): futures[u] for u in unit.upstream}.values())
                if isinstance(unit, PlannedGroup):
                    task = make_node_group_task(unit, self.pipeline_name)
                    parameters = {"run": run, "group_name": unit.name}
                else:
                    task = make_node_task(unit, self.pipeline_name, run.key)
                    parameters = {"run": run, "node_name": unit.name}
                # not quoted: prefect-ray rebuilds the quote (a namedtuple) as a tuple
                future = submit_ray_task(
                    ray_runner, task, parameters, waits, unit.placement.resources
                )
                futures.update(dict.fromkeys(_member_names(unit), future))
            self._collect({p.name: futures[p.name] for p in plan.nodes})


def _units(plan: Plan) -> list[PlannedGroup | PlannedNode]:
    """What becomes one task each: the plan's groups and its nodes outside any group,
    each after every unit it waits for (a group may wait for a node of a later wave
    than its first node)."""
    units: list[PlannedGroup | PlannedNode] = [
        *plan.groups,
        *(p for p in plan.nodes if p.group is None),
    ]
    ordered: list[PlannedGroup | PlannedNode] = []
    done: set[str] = set()
    while units:
        ready = [u for u in units if set(u.upstream) <= done]
        if not ready:
            raise PlanError(f"cannot order {[_unit_name(u) for u in units]}")
        for unit in ready:
            units.remove(unit)
            ordered.append(unit)
            done.update(_member_names(unit))
    return ordered


def _member_names(unit: PlannedGroup | PlannedNode) -> tuple[str, ...]:
    return unit.nodes if isinstance(unit, PlannedGroup) else (unit.name,)


def _unit_name(unit: PlannedGroup | PlannedNode) -> str:
    """A group's task name (``group:<name>``), a node's name."""
    if isinstance(unit, PlannedGroup):
        return unit.task_name
    return f"group:{unit.group}" if unit.group else unit.name


def _upsert_limits(limits: dict[str, int]) -> None:
    """Create (or resize) the global concurrency limits of the infra classes the run's
    local nodes take slots of; other flow runs on this machine share them."""
    if not limits:
        return
    with get_client(sync_client=True) as client:
        for name, slots in limits.items():
            client.upsert_global_concurrency_limit_by_name(name, slots)
            log.info("concurrency limit %s: %d slot(s)", name, slots)
