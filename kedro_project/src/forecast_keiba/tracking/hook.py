"""kedro-mlflow's hook, with secret-looking parameters redacted before they reach MLflow.

kedro-mlflow logs every parameter a node reads as given, and the run's ``--params``
(``runtime_params``) as a tag. Parameters are configuration, and configuration may
hold secrets (a token passed with ``--params``, a URL with a password), so this
subclass replaces both by their redacted form (:mod:`forecast_keiba.tracking.params`).
settings.py registers it and disables the plugin's own instance.
"""

from __future__ import annotations

from typing import Any

from kedro.framework.hooks import hook_impl
from kedro_mlflow.framework.hooks.mlflow_hook import MlflowHook

from forecast_keiba.tracking.params import redacted_params, redacted_value


class RedactedMlflowHook(MlflowHook):
    """kedro-mlflow's :class:`MlflowHook` that never logs a secret (module docstring)."""

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        safe = dict(run_params)
        for key in ("runtime_params", "extra_params"):
            if safe.get(key):
                safe[key] = redacted_params(safe[key])
        super().before_pipeline_run(safe, pipeline, catalog)

    def _log_param(self, name: str, value: Any) -> None:
        return super()._log_param(name, redacted_value(name, value))
