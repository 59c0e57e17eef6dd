"""The task runner a run's local nodes execute on, and thread-unsafe nodes.

Three choices (``execution.task_runner`` in prefect.yml, the ``task_runner``
flow parameter or ``--task-runner``):

* ``sequential`` (the default): one node at a time, in the flow run's own
  thread, in a topological order: what ``kedro run`` (Kedro's SequentialRunner)
  does. It is the default because it is the only choice that cannot fail where
  ``kedro run`` succeeds: threads break code that is not thread-safe (plotly's
  ``px.histogram`` failed intermittently under threads where ``kedro run``
  never did; matplotlib's pyplot, some C extensions and anything keeping
  module-level state do too), and processes break every in-memory dataset
  passed between nodes and anything that does not pickle. Retries, caching,
  resume and the UI are the same under every choice; only the overlap differs.
* ``threads``: independent nodes at once on Prefect's ``ThreadPoolTaskRunner``
  (at most ``max_workers``), as Kedro's ThreadRunner. Nodes marked
  ``thread_safe: false`` (by node, tag, namespace or default, like any node
  setting) still never overlap with each other: they share one process-wide
  lock (:data:`THREAD_UNSAFE`), taken after the node's concurrency slots so that
  no two nodes ever wait on each other.
* ``processes``: Prefect's ``ProcessPoolTaskRunner`` (spawned processes, at most
  ``max_workers``), as Kedro's ParallelRunner: each process opens the run's
  Kedro session again (worker.py), so nodes exchange data only through
  persisted datasets and the plan refuses in-memory ones between nodes.

In ``work_pools`` mode the groups of nodes delegated to other pools are tasks of
this task runner too: under ``sequential`` they are awaited one after another.
"""

from __future__ import annotations

import concurrent.futures
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from prefect.futures import PrefectConcurrentFuture, PrefectFuture
from prefect.task_engine import run_task_sync
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from kedro_prefect.config import TASK_RUNNERS, TaskRunnerChoice

SEQUENTIAL, THREADS, PROCESSES = TASK_RUNNERS

# Held while a node marked thread_safe: false executes (node_task.py).
THREAD_UNSAFE = threading.Lock()


@contextmanager
def started(choice: TaskRunnerChoice) -> Iterator[TaskRunner]:
    """The chosen task runner, started for the length of the block."""
    with _make(choice) as runner:
        yield runner


def _make(choice: TaskRunnerChoice) -> TaskRunner:
    if choice.kind == THREADS:
        return ThreadPoolTaskRunner(max_workers=choice.workers)
    if choice.kind == PROCESSES:
        return ProcessPoolTaskRunner(max_workers=choice.workers)
    return InlineTaskRunner()


class InlineTaskRunner(TaskRunner[PrefectConcurrentFuture[Any]]):
    """Runs each submitted task at once, in the submitting (flow run's) thread.

    Submitted in a topological order, every upstream future is already done, so
    Prefect's own handling of ``wait_for`` applies unchanged (a node whose
    upstream failed is left NotReady without running, as under threads, and the
    runner then ends it NotRun: not_run.py); the returned future is already resolved."""

    def duplicate(self) -> InlineTaskRunner:
        return type(self)()

    def submit(  # type: ignore[override]
        self,
        task: Any,
        parameters: dict[str, Any],
        wait_for: Iterable[PrefectFuture[Any]] | None = None,
        dependencies: dict[str, set[Any]] | None = None,
    ) -> PrefectConcurrentFuture[Any]:
        if not self._started:
            raise RuntimeError("Task runner is not started")
        task_run_id = uuid.uuid4()
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()
        try:
            state = run_task_sync(
                task=task,
                task_run_id=task_run_id,
                parameters=parameters,
                wait_for=wait_for,
                return_type="state",
                dependencies=dependencies,
            )
        except Exception as exc:  # the engine itself failed: the future carries it
            done.set_exception(exc)
        else:
            done.set_result(state)
        return PrefectConcurrentFuture(task_run_id=task_run_id, wrapped_future=done)
