"""Figures a node reports about its own work, as Prefect table artifacts.

Like progress (:mod:`kedro_prefect.progress`), the bridge listens to logging, the one
channel every project has: a log record carrying ``extra={"summary": {...}}``,
emitted while a node's task runs, becomes a table artifact of that task run
(key ``summary-<node>-<title>``; a later record with the same title adds a
version). A scraping node reports requests, retries by cause and pages stored
this way, so a bad night is read off the task run in the UI, not off a log file.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from prefect.artifacts import create_table_artifact
from prefect.context import TaskRunContext

from kedro_prefect.artifacts import artifact_key


class SummaryArtifactHandler(logging.Handler):
    """Turns ``summary`` log records into table artifacts of the emitting task run."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        summary = getattr(record, "summary", None)
        context = TaskRunContext.get()
        if not isinstance(summary, Mapping) or context is None or context.task_run is None:
            return
        figures = dict(summary)
        title = str(figures.pop("title", "summary"))
        try:
            create_table_artifact(
                table=[{"figure": name, "value": value} for name, value in figures.items()],
                key=artifact_key("summary", context.task_run.name, title),
                description=record.getMessage(),
            )
        except Exception:
            self.handleError(record)
