"""``work_pools`` execution: groups of nodes run as sub-flows on other work pools.

Prefect gives a flow run one infrastructure; a node whose infra class names
another work pool (``infra.gpu.work_pool: gpu``) therefore runs in a flow run
of its own on that pool: a deployment of the generic :func:`~kedro_prefect.kedro_flow`
on the pool (``kedro/<pool>`` unless the class names another ``deployment``)
is started with ``run_deployment`` for the group's nodes (``node_names``) and
the same pipeline, env, params and conf source, and the parent waits for it.
The child plans again and finds its nodes on its own pool, so it runs them
itself. Data passes through persisted catalog datasets on storage both sides
reach (a shared path or an fsspec URL); the plan refuses in-memory datasets
into or out of a delegated node.

Consecutive nodes of the same pool become one sub-flow: a node joins a group
of its pool when it depends on the group or shares a wave with it, unless a
path from the group to the node leaves the group (the group would wait for
itself).

:func:`~kedro_prefect.pool_deployment.deploy_node_runner` creates the deployment a
pool needs; operators run it once per pool (``python -m kedro_prefect.pool_deployment gpu``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect import Task
from prefect.cache_policies import NO_CACHE
from prefect.deployments import run_deployment

from kedro_prefect.config import OrchestrationConfig
from kedro_prefect.plan import Plan, PlannedNode
from kedro_prefect.tracking import run_environment

DEFAULT_FLOW_NAME = "kedro"  # kedro_flow's name; deployments are "<flow>/<deployment>"


class SubflowFailed(RuntimeError):
    """A delegated group's flow run did not complete; the message names it and its pool."""


@dataclass
class DelegatedGroup:
    pool: str
    deployment: str
    nodes: list[str] = field(default_factory=list)  # in plan (topological) order
    upstream: set[str] = field(default_factory=set)  # outside nodes it waits for
    waves: set[int] = field(default_factory=set)

    @property
    def label(self) -> str:
        return f"{self.pool}: {', '.join(self.nodes)}"


def deployment_for(config: OrchestrationConfig, planned: PlannedNode) -> str:
    infra = config.infra[planned.settings.infra or ""]
    return infra.deployment or f"{DEFAULT_FLOW_NAME}/{infra.work_pool}"


def delegated_groups(plan: Plan, config: OrchestrationConfig) -> list[DelegatedGroup]:
    """The plan's delegated nodes, grouped into sub-flows (see the module docstring)."""
    ancestors: dict[str, set[str]] = {}
    for planned in plan.nodes:  # wave order: upstream ancestors are known already
        ancestors[planned.name] = set(planned.upstream).union(
            *(ancestors[u] for u in planned.upstream)
        )
    groups: list[DelegatedGroup] = []
    group_of: dict[str, DelegatedGroup] = {}
    for planned in plan.nodes:
        if not planned.placement.is_delegated:
            continue
        deployment = deployment_for(config, planned)
        outside = ancestors[planned.name]
        group = next(
            (
                g
                for g in groups
                if g.deployment == deployment
                and (set(planned.upstream) & set(g.nodes) or planned.wave in g.waves)
                # no ancestor outside the group that itself descends from the group
                and not any(a not in g.nodes and ancestors[a] & set(g.nodes) for a in outside)
            ),
            None,
        )
        if group is None:
            group = DelegatedGroup(pool=planned.placement.pool or "", deployment=deployment)
            groups.append(group)
        group.nodes.append(planned.name)
        group.waves.add(planned.wave)
        group.upstream |= set(planned.upstream)
        group_of[planned.name] = group
    for group in groups:
        group.upstream -= set(group.nodes)
    return groups


def run_group(deployment: str, parameters: dict[str, Any], poll_interval: float) -> dict:
    return _run_group(deployment, parameters, poll_interval)


def _run_group(deployment: str, parameters: dict[str, Any], poll_interval: float) -> dict:
    """Start the group's sub-flow on its pool and wait for it (no timeout: the
    nodes' own timeouts apply inside it)."""
    environment = run_environment()  # the sub-flow logs into the parent's tracking run
    flow_run = run_deployment(
        name=deployment,
        parameters=parameters,
        job_variables={"env": environment} if environment else None,
        timeout=None,
        poll_interval=poll_interval,
        as_subflow=True,
    )
    state = flow_run.state
    if state is None or not state.is_completed():
        raise SubflowFailed(
            f"sub-flow {flow_run.name!r} ({flow_run.id}) of deployment {deployment!r} on work "
            f"pool {flow_run.work_pool_name!r} for node(s) "
            f"{', '.join(parameters.get('node_names') or [])} ended "
            f"{state.name if state else 'without a state'}: {state.message if state else ''}"
        )
    return {"flow_run_id": str(flow_run.id), "work_pool": flow_run.work_pool_name}


def make_group_task(group: DelegatedGroup, tags: list[str]) -> Task:
    """One task of the parent flow run standing for the whole group (never cached:
    the child caches its nodes itself)."""
    return Task(
        fn=run_group,
        name=f"pool:{group.pool}",
        task_run_name=group.label,
        tags=sorted({*tags, f"work_pool:{group.pool}"}),
        cache_policy=NO_CACHE,
        persist_result=False,
        log_prints=True,
    )
