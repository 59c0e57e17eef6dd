"""Progress of long nodes as Prefect progress artifacts.

The bridge cannot know how a project reports progress, so it listens to the
one channel every project has: logging. Any log record carrying
``extra={"progress": (done, total)}``, emitted while a node's task runs,
updates that task run's progress artifact in place (``create_progress_artifact``
on the first record, ``update_progress_artifact`` after), so each task run has
exactly one, at its latest value.

When the task run's body ends, :func:`progress_finished` (around every node
task's body) gives the artifact its final value: 100% when the node completed (a node
rarely reports its very last step), the last value reached when it failed, with
a description that says so. The attempt of the flow run is named in the
description: after a retry, the first attempt's ``stopped at 40%`` is told apart
from the second's ``done``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.context import TaskRunContext

from kedro_prefect.artifacts import artifact_key, attempt_label

log = logging.getLogger(__name__)

# task run id -> (artifact id, last percent, attempt label): shared by every handler
# of the process, so that the task's end hook finds the artifact its records made.
# The label is read once per task run: outside the flow run's process it costs an
# API call.
_ARTIFACTS: dict[UUID, tuple[UUID, float, str]] = {}
_LOCK = threading.Lock()


class ProgressArtifactHandler(logging.Handler):
    """Turns ``progress`` log records into one progress artifact per task run."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        progress = getattr(record, "progress", None)
        context = TaskRunContext.get()
        if progress is None or context is None or context.task_run is None:
            return
        done, total = progress
        if not total:
            return
        percent = min(100.0, 100.0 * done / total)
        try:
            with _LOCK:
                task_run = context.task_run
                known = _ARTIFACTS.get(task_run.id)
                label = known[2] if known else attempt_label()
                description = f"{label}: {record.getMessage()}"
                if known is None:
                    artifact = create_progress_artifact(
                        progress=percent,
                        key=artifact_key("progress", task_run.name),
                        description=description,
                    )
                else:
                    artifact = known[0]
                    update_progress_artifact(artifact, progress=percent, description=description)
                _ARTIFACTS[task_run.id] = (artifact, percent, label)
        except Exception:
            self.handleError(record)


@contextmanager
def progress_finished() -> Iterator[None]:
    """Around a task's body: its progress artifact, if it has one, ends at its final
    value — 100% "done" when the body returns, where it stopped when it raises. In
    the body rather than as a task state hook: Prefect logs two lines (to the console
    and the UI) for every state hook it runs, on every task."""
    try:
        yield
    except BaseException:
        _finish(failed=True)
        raise
    _finish(failed=False)


def _finish(failed: bool) -> None:
    context = TaskRunContext.get()
    if context is None or context.task_run is None:
        return
    with _LOCK:
        found = _ARTIFACTS.pop(context.task_run.id, None)
    if found is None:
        return
    artifact, percent, label = found
    final, words = (percent, f"stopped at {percent:.0f}%: Failed") if failed else (100.0, "done")
    try:
        update_progress_artifact(artifact, progress=final, description=f"{label}: {words}")
    except Exception:  # the artifact is a display: never fail the node for it
        log.warning("could not finish the progress artifact of %s", context.task_run.name,
                    exc_info=True)  # fmt: skip
