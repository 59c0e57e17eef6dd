"""Fixtures shared across the suite: a replica world sized for pipeline runs,
an isolated copy of the Kedro conf (its own data folder), and the real data
beside the repository when it is there."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from netkeiba_replica.world import World, WorldConfig
from tests.support import SHARED, make_conf


@pytest.fixture(scope="session", autouse=True)
def plugin_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plugin's default state folder (projects without ``state_dir``) under the
    session's temp dir, never the user's ~/.local/state; subprocesses inherit it."""
    root = tmp_path_factory.mktemp("kedro_prefect_state")
    previous = os.environ.get("KEDRO_PREFECT_STATE_DIR")
    os.environ["KEDRO_PREFECT_STATE_DIR"] = str(root)
    yield root
    if previous is None:
        os.environ.pop("KEDRO_PREFECT_STATE_DIR", None)
    else:
        os.environ["KEDRO_PREFECT_STATE_DIR"] = previous


@pytest.fixture(scope="session")
def shared_netkeiba() -> Path:
    """../shared/netkeiba (real pages and data); tests needing it skip without it."""
    if not SHARED.is_dir():
        pytest.skip("../shared/netkeiba is not present in this checkout")
    return SHARED


@pytest.fixture(scope="session")
def pipeline_world() -> World:
    """Small but long enough for time-aware features: 16 race days, then 2 upcoming."""
    return World(WorldConfig(seed=5, n_days=16, races_per_day=12, upcoming_days=2))


@pytest.fixture
def kedro_conf(tmp_path: Path) -> Path:
    return make_conf(tmp_path)


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory):
    """A real Prefect server (SQLite) for the whole session; this process talks to it."""
    from prefect.settings import (
        PREFECT_API_URL,
        PREFECT_HOME,
        PREFECT_LOCAL_STORAGE_PATH,
        temporary_settings,
    )

    from kedro_prefect.local_server import prefect_server, server_tracebacks

    home = tmp_path_factory.mktemp("prefect_home")
    with prefect_server(home) as api_url:
        settings = {PREFECT_API_URL: api_url, PREFECT_HOME: str(home),
                    PREFECT_LOCAL_STORAGE_PATH: str(home / "storage")}  # fmt: skip
        with temporary_settings(updates=settings):
            yield api_url
            from prefect.logging.handlers import APILogHandler

            APILogHandler().flush()  # deliver buffered logs while the server still listens
    # A server service that fails (a scheduler that never inserts runs) only shows
    # in its log: any traceback there fails the session.
    problems = server_tracebacks(home / "server.log")
    assert not problems, "the Prefect server logged tracebacks:\n\n" + "\n\n".join(problems)


_MLFLOW_ENVIRONMENT = ("MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID",
                       "KEDRO_PREFECT_MLFLOW_RUN_ID")  # fmt: skip


@pytest.fixture(autouse=True)
def no_mlflow_leak() -> Iterator[None]:
    """A test that leaves an MLflow run active on the main thread, or MLflow's
    run variables in the environment, fails here, naming the leak: later tests
    (and every `kedro run` they start) would log into that run's store and fail
    far from the cause. The leak is cleared so that only its test fails."""
    before = {key: os.environ.get(key) for key in _MLFLOW_ENVIRONMENT}
    yield
    import sys

    leaks = [f"${key}={os.environ.get(key)!r}" for key, value in before.items()
             if os.environ.get(key) != value]  # fmt: skip
    for key, value in before.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is not None:
        stack = fluent._active_run_stack.get()
        if stack:
            leaks.append(f"active MLflow run(s) {[run.info.run_id for run in stack]}")
            del stack[:]
    assert not leaks, "the test leaked MLflow state: " + "; ".join(leaks)
