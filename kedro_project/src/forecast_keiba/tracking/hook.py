"""kedro-mlflow's hook, with secret-looking parameters redacted before they reach MLflow.

kedro-mlflow logs every parameter a node reads as given, and the run's ``--params``
(``runtime_params``) as a tag. Parameters are configuration, and configuration may
hold secrets (a token passed with ``--params``, a URL with a password), so this
subclass replaces both by their redacted form (:mod:`forecast_keiba.tracking.params`).
settings.py registers it and disables the plugin's own instance.

It also sets the store up under a file lock: kedro-mlflow creates a SQLite store's
tables (MLflow's migrations) when the context is created, and two runs started
together on a fresh store (two `kedro run`s, two deployment runs) would both
migrate it, and one would fail ("Online migration expected to match one row").
"""

from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from kedro.config import MissingConfigException
from kedro.framework.hooks import hook_impl
from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook

from forecast_keiba.tracking.params import redacted_params, redacted_value
from kedro_atomic import FileLock

SQLITE = "sqlite:///"


def store_lock(context: Any) -> FileLock | None:
    """The lock beside the run's SQLite store (``<database>.lock``); None for a
    tracking server or another store, which set themselves up."""
    patterns = context.config_loader.config_patterns
    patterns.setdefault("mlflow", ["mlflow*", "mlflow*/**", "**/mlflow*"])  # as kedro-mlflow
    try:
        server = (context.config_loader["mlflow"] or {}).get("server") or {}
    except MissingConfigException:
        server = {}
    uri = str(server.get("mlflow_tracking_uri") or os.environ.get("MLFLOW_TRACKING_URI") or "")
    if not uri.startswith(SQLITE):
        return None
    database = Path(uri.removeprefix(SQLITE))
    return FileLock(database.with_name(f"{database.name}.lock"), owner="MLflow store set-up")


class RedactedMlflowHook(MlflowHook):
    """kedro-mlflow's :class:`MlflowHook` that never logs a secret and sets a SQLite
    store up once at a time (module docstring)."""

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        with store_lock(context) or nullcontext():
            super().after_context_created(context)

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        safe = dict(run_params)
        for key in ("runtime_params", "extra_params"):
            if safe.get(key):
                safe[key] = redacted_params(safe[key])
        super().before_pipeline_run(safe, pipeline, catalog)

    def _log_param(self, name: str, value: Any) -> None:
        return super()._log_param(name, redacted_value(name, value))
