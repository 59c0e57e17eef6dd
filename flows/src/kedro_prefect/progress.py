"""Progress of long nodes as Prefect progress artifacts.

The bridge cannot know how a project reports progress, so it listens to the
one channel every project has: logging. Any log record carrying
``extra={"progress": (done, total)}``, emitted while a node's task runs,
updates that task run's progress artifact (created on the first record).
"""

from __future__ import annotations

import logging
import threading
from uuid import UUID

from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.context import TaskRunContext

from kedro_prefect.artifacts import artifact_key


class ProgressArtifactHandler(logging.Handler):
    """Turns ``progress`` log records into one progress artifact per task run."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._artifacts: dict[UUID, UUID] = {}
        self._lock = threading.Lock()

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
            with self._lock:
                task_run = context.task_run
                if task_run.id not in self._artifacts:
                    self._artifacts[task_run.id] = create_progress_artifact(
                        progress=percent,
                        key=artifact_key("progress", task_run.name),
                        description=record.getMessage(),
                    )
                else:
                    update_progress_artifact(
                        self._artifacts[task_run.id], progress=percent,
                        description=record.getMessage(),
                    )  # fmt: skip
        except Exception:
            self.handleError(record)
