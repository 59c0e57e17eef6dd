"""A run's Kedro session, re-opened in a process that is not the flow run's.

On Ray, node tasks execute in Ray worker processes (possibly on other
machines), and under the processes task runner in a local process pool, where
the flow run's catalog and hook manager do not exist. The first task of a run
that lands in a worker opens the project there exactly as the flow run did
(same project, ``--env``, ``--params``, ``--conf-source``):
``bootstrap_project`` + ``KedroSession`` + its catalog, kept for the run's
later tasks in the same worker. Nodes exchange data only through persisted
catalog datasets (the plan refuses in-memory datasets between processes).
Hooks fire through the re-opened session's hook manager.

The project must be at the same path on every Ray node (a shared checkout or
image); the path is the one the flow run resolved.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from kedro_prefect.runs import RUNS, RunContext, RunRef

KEEP_RUNS = 2  # a long-lived worker serves run after run; keep only the latest
_lock = threading.Lock()
_opened: list[str] = []
_logging = contextlib.ExitStack()


def open_run(run: RunRef) -> RunContext:
    """The run registered under ``run.key`` in this process, opened from its spec
    the first time."""
    with _lock:
        if run.key in RUNS:
            return RUNS[run.key]
        spec = run.spec
        if spec is None:
            raise RuntimeError(
                f"run {run.key} is not registered in process {os.getpid()} and its tasks "
                f"carry no spec to re-open it"
            )
        from kedro.framework.project import pipelines
        from kedro.framework.session import KedroSession
        from kedro.framework.startup import bootstrap_project

        os.environ.update(spec.environment)  # before the session: its hooks read it
        project = Path(spec.project_path)
        package = bootstrap_project(project).package_name
        os.chdir(project)  # as `kedro run`: relative paths in parameters start here
        session = KedroSession.create(
            project_path=project,
            env=spec.env,
            runtime_params=spec.params,
            conf_source=spec.conf_source,
        )
        context = session.load_context()
        # The versions `--load-versions` pinned, as KedroSession.run builds its catalog
        # (Kedro has no public way to ask a context for a catalog with pinned versions).
        catalog = context._get_catalog(load_versions=spec.load_versions)
        pipeline = pipelines[spec.pipeline]
        for name in pipeline.datasets():
            # As Kedro's runner before a run: an undeclared name becomes a MemoryDataset
            # (or a factory's dataset), which a group's nodes pass in this process.
            catalog.get(name, fallback_to_runtime_pattern=True)
        if not _opened:
            from kedro_prefect.logs import run_logging

            # Kedro's and the project's log records show under the task run, as in-process.
            _logging.enter_context(run_logging(["kedro", package, "kedro_prefect", *spec.loggers]))
        run_context = RunContext(
            catalog=catalog,
            # The session's own hook manager (the project's hooks and plugins, as in
            # the flow run). Kedro's ``Task(parallel=True)`` would build one per task,
            # but in a spawned process that also opened the project (the processes
            # task runner) it re-configures LOGGING with itself and recurses forever.
            hook_manager=session._hook_manager,
            run_id=spec.run_id,
            nodes={node.name: node for node in pipeline.nodes},
            jobs=spec.jobs,
            groups=spec.groups,
        )
        if spec.artifacts:
            from kedro_prefect.dataset_artifacts import DatasetArtifacts

            session._hook_manager.register(DatasetArtifacts(spec.artifacts))
        RUNS[run.key] = run_context
        _opened.append(run.key)
        while len(_opened) > KEEP_RUNS:
            RUNS.pop(_opened.pop(0), None)
        return run_context
