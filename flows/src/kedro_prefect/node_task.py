"""One Kedro node as one Prefect task.

The task body is Kedro's own :class:`kedro.runner.Task`, which loads inputs
from the catalog, fires every node and dataset hook, runs the node and saves
its outputs: the bridge adds orchestration around Kedro, never a second way of
running a node. Prefect options (retries, timeout, cache policy, tags, assets)
come from the plan.

The live Kedro objects (catalog, hook manager) cannot be task parameters: a
run registers them (runs.py) and tasks receive only a
:class:`~kedro_prefect.runs.RunRef` and the node name; a task in another
process re-opens the run (worker.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kedro.runner import Task as KedroTask
from prefect import Task
from prefect.assets import Asset
from prefect.cache_policies import NO_CACHE
from prefect.concurrency.sync import concurrency
from prefect.tasks import MaterializingTask
from prefect.transactions import get_transaction

from kedro_prefect.cache import NodeResult
from kedro_prefect.cache_policy import KedroNodeCachePolicy
from kedro_prefect.failures import GroupNodeFailed, describe
from kedro_prefect.grouping import GROUP_PREFIX
from kedro_prefect.plan import PlannedGroup, PlannedNode
from kedro_prefect.progress import progress_finished
from kedro_prefect.runs import RUNS, RunContext, RunRef
from kedro_prefect.task_runners import THREAD_UNSAFE
from kedro_prefect.tracking import node_tracking


def run_node(run: RunRef, node_name: str, upstream: Any = None) -> dict[str, Any]:
    return _execute_node(run, node_name)


def run_node_group(run: RunRef, group_name: str, upstream: Any = None) -> dict[str, Any]:
    return _execute_group(run, group_name)


# run_node and run_node_group are the tasks' functions, kept to one line on purpose:
# Prefect reads a task function's source when it builds the task (inspect.getsource,
# ~0.8 ms for a 35-line body, once per node and run); the bodies live here.
# ``upstream`` only orders the task after its upstream tasks where the task
# runner cannot (Ray schedules on arguments, not on wait_for); it is unused.
def _execute_node(run: RunRef, node_name: str) -> dict[str, Any]:
    """Execute one node of a run (the body of every node task)."""
    context = _run_context(run)
    job = context.jobs[node_name]
    with progress_finished(), _slots(job.limits, job.thread_safe):
        duration = _run_kedro_node(context, node_name)
    outputs: dict[str, str | None] = {}
    if job.cache is not None:
        outputs = dict(job.cache.record_success())
    return _receipt(context, node_name, (node_name,), outputs, duration)


def _execute_group(run: RunRef, group_name: str) -> dict[str, Any]:
    """Execute a group's nodes one after another in this process (the body of every
    group task, grouping.py): in-memory datasets between them stay in this process's
    catalog, and Kedro's node hooks fire for each node as in ``kedro run``. The first
    node that fails fails the group (its retry re-runs the whole group); the cache
    record is written once all nodes succeeded."""
    context = _run_context(run)
    job = context.groups[group_name]
    durations: dict[str, float] = {}
    with progress_finished(), _slots(job.limits, job.thread_safe):
        for node_name in job.nodes:
            try:
                durations[node_name] = _run_kedro_node(context, node_name)
            except Exception as exc:
                # The message carries the cause itself: an exception's __cause__ does
                # not survive the pickling that brings it back from a process pool.
                raise GroupNodeFailed(f"at node {node_name!r}: {describe(exc)}") from exc
    outputs: dict[str, str | None] = {}
    if job.cache is not None:
        outputs = dict(job.cache.record_success())
    receipt = _receipt(
        context, f"{GROUP_PREFIX}{group_name}", job.nodes, outputs, sum(durations.values())
    )
    return receipt | {"durations": {name: round(s, 3) for name, s in durations.items()}}


def _run_context(run: RunRef) -> RunContext:
    context = RUNS.get(run.key)
    if context is None:  # another process than the flow run's (a Ray worker)
        from kedro_prefect.worker import open_run

        context = open_run(run)
    return context


@contextlib.contextmanager
def _slots(limits: tuple[str, ...], thread_safe: bool) -> Iterator[None]:
    """Named Prefect global concurrency limits (the node's concurrency_key, its
    infra class's limit on this machine) cap how many such nodes run at once,
    across flow runs; strict: a limit that does not exist fails, naming it.
    One acquisition per limit (Prefect's strict only fails when *none* of several
    names exists), in name order so that two nodes never wait on each other; a
    thread-unsafe node takes the process-wide lock last, for the same reason."""
    with contextlib.ExitStack() as slots:
        for limit in sorted(limits):
            slots.enter_context(concurrency(limit, occupy=1, strict=True))
        if not thread_safe:
            slots.enter_context(THREAD_UNSAFE)
        slots.enter_context(node_tracking())  # the flow run's tracking run, in this thread
        yield


def _run_kedro_node(context: RunContext, node_name: str) -> float:
    """Kedro's own Task runs the node (hooks, load, run, save); returns its seconds."""
    started = time.perf_counter()
    KedroTask(
        node=context.nodes[node_name],
        catalog=context.catalog,
        is_async=False,
        hook_manager=context.hook_manager,
        run_id=context.run_id,
        # No hook manager (a RunContext made without one): Kedro builds one
        # from the project's settings, as for its ParallelRunner's subprocesses.
        parallel=context.hook_manager is None,
    ).execute()
    duration = time.perf_counter() - started
    with context.lock:
        context.durations[node_name] = duration
    return duration


def _receipt(
    context: RunContext,
    name: str,
    nodes: tuple[str, ...],
    outputs: dict[str, str | None],
    duration: float,
) -> dict[str, Any]:
    with context.lock:
        rows = {
            out: context.rows[out]
            for node in nodes
            for out in context.nodes[node].outputs
            if out in context.rows
        }
    transaction = get_transaction()
    return NodeResult(
        node=name,
        outputs=outputs,
        rows=rows,
        duration_s=round(duration, 3),
    ).to_dict() | {"cache_key": transaction.key if transaction else None}


def asset_key(location: str) -> str:
    """A Prefect asset key for a dataset location (a URI; local paths as file://)."""
    return location if "://" in location else f"file://{location}"


def node_tags(planned: PlannedNode, pipeline_name: str) -> list[str]:
    """The Prefect tags of a node's task runs: pipeline, node tags, namespace, infra class.

    They make the UI filterable by what Kedro knows; note that Prefect asks
    the server for tag concurrency limits once per distinct tag set (every
    few seconds at most), like for any tagged task.
    """
    node, settings = planned.node, planned.settings
    tags = {f"pipeline:{pipeline_name}", *node.tags}
    if node.namespace:
        tags.add(f"namespace:{node.namespace}")
    if settings.infra:
        tags.add(f"infra:{settings.infra}")
    return sorted(tags)


def make_node_task(planned: PlannedNode, pipeline_name: str, run_key: str) -> Task:
    """The Prefect task for one planned node, configured from the plan."""
    return _make_task(
        run_node,
        name=planned.node.name,
        tags=node_tags(planned, pipeline_name),
        unit=planned,
    )


def make_node_group_task(group: PlannedGroup, pipeline_name: str) -> Task:
    """The Prefect task for a group of nodes (grouping.py), named ``group:<name>``:
    its settings are the group's merged settings, its cache policy the group's, its
    assets what its nodes read from outside and all they write."""
    tags = {f"pipeline:{pipeline_name}", f"group:{group.name}"}
    if group.settings.infra:
        tags.add(f"infra:{group.settings.infra}")
    return _make_task(run_node_group, name=group.task_name, tags=sorted(tags), unit=group)


def _make_task(fn: Any, *, name: str, tags: list[str], unit: PlannedNode | PlannedGroup) -> Task:
    settings = unit.settings
    options: dict[str, Any] = {
        "name": name,
        "task_run_name": name,
        "tags": tags,
        "retries": settings.retries,
        "retry_delay_seconds": settings.retry_delay_seconds,
        "retry_jitter_factor": settings.retry_jitter_factor,
        "timeout_seconds": settings.timeout_seconds,
        "log_prints": True,
    }
    cache = unit.cache
    if cache is None:
        options["cache_policy"] = NO_CACHE
        options["persist_result"] = False
    else:
        options["cache_policy"] = KedroNodeCachePolicy(cache=cache)
        options["persist_result"] = True
        # The project's own store, not the process's ambient one: a retry in
        # another process must find what the first attempt cached (cache.py).
        # A Path, which Prefect turns into a local-filesystem store in any process.
        options["result_storage"] = Path(cache.results_dir)
        options["refresh_cache"] = unit.refresh
        if settings.cache_expiration_seconds:
            options["cache_expiration"] = dt.timedelta(seconds=settings.cache_expiration_seconds)
    if unit.inputs:
        options["asset_deps"] = [Asset(key=asset_key(loc)) for _, loc in unit.inputs]
    if unit.outputs:
        return MaterializingTask(
            fn=fn,
            assets=[Asset(key=asset_key(loc)) for _, loc in unit.outputs],
            materialized_by="kedro",
            **options,
        )
    return Task(fn=fn, **options)
