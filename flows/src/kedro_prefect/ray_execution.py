"""``ray`` execution: every node a Ray task with its infra class's resources.

prefect-ray's :class:`~prefect_ray.RayTaskRunner` runs Prefect tasks as Ray
tasks; :func:`~prefect_ray.context.remote_options` sets a task's
``ray.remote`` options. The run keeps its own flow-level task runner and
opens a RayTaskRunner beside it for its nodes only, so the mode is chosen by
configuration (``execution.mode: ray``), not by a second flow definition.

Ray schedules a task once the Ray objects among its *arguments* are ready
(``wait_for`` is only waited for inside the task, where the task would
already hold its CPUs/GPUs), so upstream futures are passed as the task's
``upstream`` argument.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prefect import Task
from prefect.futures import PrefectFuture
from prefect.task_runners import TaskRunner

from kedro_prefect.config import RaySettings


@contextmanager
def ray_task_runner(settings: RaySettings) -> Iterator[TaskRunner]:
    """A started RayTaskRunner: the configured cluster, ``$RAY_ADDRESS``, the Ray this
    process is already connected to, or a local Ray for the length of the run."""
    from prefect_ray import RayTaskRunner

    with RayTaskRunner(address=settings.address, init_kwargs=dict(settings.init)) as runner:
        yield runner


def ray_options(resources: Mapping[str, Any]) -> dict[str, Any]:
    """``ray.remote`` options for an infra class's request (memory in whole bytes)."""
    options = {k: resources[k] for k in ("num_cpus", "num_gpus") if k in resources}
    if "memory" in resources:
        options["memory"] = int(resources["memory"])
    return options


def submit_ray_task(
    runner: TaskRunner,
    task: Task,
    parameters: dict[str, Any],
    upstream: list[PrefectFuture],
    resources: Mapping[str, Any],
) -> PrefectFuture:
    from prefect_ray.context import remote_options

    with remote_options(**ray_options(resources)):
        return runner.submit(task, {**parameters, "upstream": upstream})
