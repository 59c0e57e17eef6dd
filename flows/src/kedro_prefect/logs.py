"""Where a bridge run's log records go: the Prefect API (under the task run that
emitted them), artifacts, and the console.

Kedro's and the project's loggers are routed to Prefect so their lines show
under each node's task run in the UI, their progress records become progress
artifacts and their summary records table artifacts.

The console: Kedro's default logging renders every record with a rich table
layout, about 1 ms a line, and a node logs three or four lines (load, run,
save); through the bridge that was most of its cost per node over a hand-written
Prefect flow (bench/bridge_overhead.py: 29 vs 22 ms/node; 19 vs 19 with plain
console lines). With ``console_logs: prefect`` (prefect.yml, the default) the
routed records are printed by Prefect's own console handler instead, in the same
format as the flow's and tasks' lines, and the project's console handlers skip
them, so every line is printed once; ``console_logs: kedro`` leaves the
project's logging configuration to print them as ``kedro run`` does.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from prefect.logging.formatters import PrefectFormatter
from prefect.logging.handlers import APILogHandler, PrefectConsoleHandler
from rich.logging import RichHandler

from kedro_prefect.progress import ProgressArtifactHandler
from kedro_prefect.summary import SummaryArtifactHandler

ConsoleLogs = Literal["prefect", "kedro"]
CONSOLE_FORMAT = "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s"


def outermost(names: list[str]) -> list[str]:
    """The names without those under another one of them: a record propagates to
    its ancestors, so a handler on both ``kedro`` and ``kedro.io`` would see it twice."""
    unique = list(dict.fromkeys(names))
    return [n for n in unique if not any(n.startswith(f"{o}.") for o in unique if o != n)]


class SkipRouted(logging.Filter):
    """Drops records of the routed loggers on a console handler that prints them too."""

    def __init__(self, names: list[str]) -> None:
        super().__init__()
        self.names = tuple(names)

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        return not any(name == n or name.startswith(f"{n}.") for n in self.names)


def is_console(handler: logging.Handler) -> bool:
    """A handler that prints to the terminal (not a file, a test's capture, the API)."""
    if isinstance(handler, RichHandler):
        return True
    stream = getattr(handler, "stream", None)
    return isinstance(handler, logging.StreamHandler) and stream in (sys.stdout, sys.stderr)


def console_handler() -> logging.Handler:
    handler = PrefectConsoleHandler(stream=sys.stderr)
    handler.setFormatter(PrefectFormatter(CONSOLE_FORMAT, datefmt="%H:%M:%S"))
    return handler


@contextmanager
def run_logging(names: list[str], console: ConsoleLogs = "prefect") -> Iterator[None]:
    """Route these loggers' records to Prefect for the duration of a run."""
    routed = outermost(names)
    added: list[tuple[logging.Logger, logging.Handler]] = []
    filtered: list[logging.Handler] = []
    skip = SkipRouted(routed)
    handlers: list[logging.Handler] = [
        APILogHandler(),
        ProgressArtifactHandler(),
        SummaryArtifactHandler(),
    ]
    # A project logger configured not to propagate (its own handler: plain tables in
    # the console, a file) never reaches a handler on its parent: it is routed itself.
    secluded = [
        name for name, logger in sorted(logging.Logger.manager.loggerDict.items())
        if isinstance(logger, logging.Logger) and not logger.propagate
        and any(name.startswith(f"{r}.") for r in routed)
    ]  # fmt: skip
    if console == "prefect":
        handlers.append(console_handler())
        owners = [logging.getLogger(), *map(logging.getLogger, secluded)]
        filtered = [h for owner in owners for h in owner.handlers if is_console(h)]
        for handler in filtered:
            handler.addFilter(skip)
    for name in [*routed, *secluded]:
        logger = logging.getLogger(name)
        if any(isinstance(h, APILogHandler) for h in logger.handlers):
            continue  # routed already, by an enclosing run in this process
        for handler in handlers:
            logger.addHandler(handler)
            added.append((logger, handler))
    try:
        yield
    finally:
        for logger, handler in added:
            logger.removeHandler(handler)
        for handler in filtered:
            handler.removeFilter(skip)
