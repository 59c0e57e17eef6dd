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
from kedro_prefect.plan import PlannedNode
from kedro_prefect.runs import RUNS, RunRef
from kedro_prefect.task_runners import THREAD_UNSAFE
from kedro_prefect.tracking import node_tracking


def run_node(run: RunRef, node_name: str, upstream: Any = None) -> dict[str, Any]:
    return _execute_node(run, node_name)


# run_node is every node task's function, kept to one line on purpose: Prefect
# reads a task function's source when it builds the task (inspect.getsource,
# ~0.8 ms for a 35-line body, once per node and run); the body lives here.
# ``upstream`` only orders the task after its upstream tasks where the task
# runner cannot (Ray schedules on arguments, not on wait_for); it is unused.
def _execute_node(run: RunRef, node_name: str) -> dict[str, Any]:
    """Execute one node of a run (the body of every node task)."""
    context = RUNS.get(run.key)
    if context is None:  # another process than the flow run's (a Ray worker)
        from kedro_prefect.worker import open_run

        context = open_run(run)
    node = context.nodes[node_name]
    job = context.jobs[node_name]
    # Named Prefect global concurrency limits (the node's concurrency_key, its
    # infra class's limit on this machine) cap how many such nodes run at once,
    # across flow runs; strict: a limit that does not exist fails, naming it.
    # One acquisition per limit (Prefect's strict only fails when *none* of several
    # names exists), in name order so that two nodes never wait on each other; a
    # thread-unsafe node takes the process-wide lock last, for the same reason.
    with contextlib.ExitStack() as slots:
        for limit in sorted(job.limits):
            slots.enter_context(concurrency(limit, occupy=1, strict=True))
        if not job.thread_safe:
            slots.enter_context(THREAD_UNSAFE)
        slots.enter_context(node_tracking())  # the flow run's tracking run, in this thread
        started = time.perf_counter()
        KedroTask(
            node=node,
            catalog=context.catalog,
            is_async=False,
            hook_manager=context.hook_manager,
            run_id=context.run_id,
            # No hook manager (a RunContext made without one): Kedro builds one
            # from the project's settings, as for its ParallelRunner's subprocesses.
            parallel=context.hook_manager is None,
        ).execute()
        duration = time.perf_counter() - started
    outputs: dict[str, str | None] = {}
    if job.cache_policy is not None:
        outputs = dict(job.cache_policy.record_success())
    with context.lock:
        context.durations[node_name] = duration
        rows = {name: context.rows[name] for name in node.outputs if name in context.rows}
    transaction = get_transaction()
    return NodeResult(
        node=node_name,
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
    node, settings = planned.node, planned.settings
    options: dict[str, Any] = {
        "name": node.name,
        "task_run_name": node.name,
        "tags": node_tags(planned, pipeline_name),
        "retries": settings.retries,
        "retry_delay_seconds": settings.retry_delay_seconds,
        "retry_jitter_factor": settings.retry_jitter_factor,
        "timeout_seconds": settings.timeout_seconds,
        "log_prints": True,
    }
    policy = planned.cache_policy
    if policy is None:
        options["cache_policy"] = NO_CACHE
        options["persist_result"] = False
    else:
        options["cache_policy"] = policy
        options["persist_result"] = True
        # The project's own store, not the process's ambient one: a retry in
        # another process must find what the first attempt cached (cache.py).
        # A Path, which Prefect turns into a local-filesystem store in any process.
        options["result_storage"] = Path(policy.results_dir)
        options["refresh_cache"] = planned.refresh
        if settings.cache_expiration_seconds:
            options["cache_expiration"] = dt.timedelta(seconds=settings.cache_expiration_seconds)
    if planned.inputs:
        options["asset_deps"] = [Asset(key=asset_key(loc)) for _, loc in planned.inputs]
    if planned.outputs:
        return MaterializingTask(
            fn=run_node,
            assets=[Asset(key=asset_key(loc)) for _, loc in planned.outputs],
            materialized_by="kedro",
            **options,
        )
    return Task(fn=run_node, **options)
