"""One run at a time per data folder, for runs that write the raw store.

The nightly deployment has a concurrency limit of 1, but nothing stops a
``kedro run``, a ``kedro prefect run`` or a second deployment from scraping into
the same data folder at the same moment: both would read the same ledger,
fetch the same pages, and append the same days. So every run whose pipeline
writes one of ``run_lock.datasets`` takes the lock ``run_lock.path`` (a
:class:`kedro_atomic.FileLock`: released by the kernel if the run dies) before
its first node and holds it to the end. A second run waits, logging the path
and the holder, then reads the ledger the first one left, and finds nothing
new to fetch.

Taken after the parameter checks (a typo still fails at once) and before the
embedded replica starts (a waiting run must not find the first run's replica,
which stops when that run ends).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from kedro.framework.hooks import hook_impl

from kedro_atomic import FileLock

log = logging.getLogger(__name__)


class RunLock:
    """Kedro hook holding ``run_lock.path`` for the runs that write ``run_lock.datasets``."""

    def __init__(self) -> None:
        self._locks: dict[str, FileLock] = {}  # by run id: one session per thread is possible
        self._guard = threading.Lock()

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        try:
            settings = catalog.load("params:run_lock")
        except Exception:
            return  # a project conf without run_lock: nothing to guard
        guarded = set(settings.get("datasets") or ())
        if not guarded & set(pipeline.all_outputs()):
            return
        names = ",".join(run_params.get("pipeline_names") or ["__default__"])
        lock = FileLock(
            settings["path"],
            owner=f"kedro run {names}, session {run_params.get('run_id')}",
            timeout_s=settings.get("timeout_s"),
            log_every_s=float(settings.get("log_every_s", 30)),
        )
        lock.acquire()
        with self._guard:
            self._locks[str(run_params.get("run_id"))] = lock

    @hook_impl
    def after_pipeline_run(self, run_params: dict[str, Any]) -> None:
        self._release(run_params)

    @hook_impl
    def on_pipeline_error(self, run_params: dict[str, Any]) -> None:
        self._release(run_params)

    def _release(self, run_params: dict[str, Any]) -> None:
        with self._guard:
            lock = self._locks.pop(str(run_params.get("run_id")), None)
        if lock is not None:
            lock.release()
