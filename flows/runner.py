"""``PrefectRunner``: a Kedro runner whose nodes are Prefect task runs.

Kedro's session does everything around a run exactly as for ``kedro run``
(config environments, runtime params, pipeline filters, catalog, pipeline
hooks); only the step "execute these nodes" is handed to this runner, which
turns the plan into Prefect tasks on the current flow run's task runner.
Independent nodes run concurrently; a node starts when the nodes producing
its inputs have completed (or been served from cache).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl
from kedro.pipeline import Node, Pipeline
from kedro.runner import AbstractRunner
from prefect.results import get_result_store
from prefect.states import State

from flows import artifacts
from flows.config import OrchestrationConfig
from flows.node_task import RUNS, RunContext, make_node_task
from flows.plan import Plan, build_plan

log = logging.getLogger(__name__)


class NodesFailed(RuntimeError):
    """Some nodes failed (after their retries); the message names them."""

    def __init__(self, failed: dict[str, str], not_run: list[str]) -> None:
        self.failed = failed
        self.not_run = not_run
        lines = [f"{name}: {reason}" for name, reason in failed.items()]
        if not_run:
            lines.append(f"not run (upstream failed): {', '.join(not_run)}")
        super().__init__("node(s) failed: " + "; ".join(lines))


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
    """

    def __init__(
        self,
        config: OrchestrationConfig,
        *,
        pipeline_name: str = "__default__",
        refresh: bool | Iterable[str] = False,
        state_dir: Path,
    ) -> None:
        super().__init__(is_async=False)
        self.config = config
        self.pipeline_name = pipeline_name
        self.refresh = refresh
        self.state_dir = state_dir
        self.plan: Plan | None = None
        self.states: dict[str, State] = {}
        self.results: dict[str, dict[str, Any]] = {}

    def _get_executor(self, max_workers: int) -> Executor | None:
        return None  # the flow's Prefect task runner is the executor

    def _run(
        self,
        pipeline: Pipeline,
        catalog: Any,
        hook_manager: Any = None,
        run_id: str | None = None,
    ) -> None:
        plan = build_plan(
            pipeline,
            catalog,
            self.config,
            pipeline_name=self.pipeline_name,
            refresh=self.refresh,
            state_dir=self.state_dir,
            result_exists=get_result_store().exists,
        )
        self.plan = plan
        log.info("%s", plan.to_text())
        artifacts.publish_plan(plan)

        run_key = uuid.uuid4().hex
        context = RunContext(
            catalog=catalog,
            hook_manager=hook_manager,
            run_id=run_id,
            nodes={n.name: n for n in pipeline.nodes},
            planned={p.name: p for p in plan.nodes},
        )
        counter = _RowCounter(context.rows)
        hook_manager.register(counter)
        RUNS[run_key] = context
        try:
            futures = {}
            for planned in plan.nodes:  # wave order: upstream futures exist already
                task = make_node_task(planned, self.pipeline_name, run_key)
                futures[planned.name] = task.submit(
                    run_key, planned.name, wait_for=[futures[u] for u in planned.upstream]
                )
            for name, future in futures.items():
                future.wait()
                self.states[name] = future.state
                if future.state.is_completed():
                    self.results[name] = future.result(raise_on_failure=False)
        finally:
            hook_manager.unregister(counter)
            RUNS.pop(run_key, None)

        artifacts.publish_run_summary(plan, self.states, self.results, context.rows)
        failed = {
            name: str(state.message or state.name)
            for name, state in self.states.items()
            if state.is_failed() or state.is_crashed()
        }
        not_run = [name for name, state in self.states.items() if state.is_pending()]
        if failed or not_run:
            raise NodesFailed(failed, not_run)
