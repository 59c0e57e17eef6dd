"""The project's own Kedro hooks (registered in settings.py).

:class:`ParameterChecks` validates the parameters a run will read (dates, race ids)
before its first node, so a typo fails in seconds, naming the parameter, instead of
after an hour of scraping. (The data folder's lock is
:class:`~forecast_keiba.data.run_lock.RunLock`; the offline replica a run may serve is a
plugin hook of the replica package, not the project's.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kedro.framework.hooks import hook_impl

from forecast_keiba.data.incremental import resolve_date_range
from forecast_keiba.data.prediction_target import prediction_target


class ParameterChecks:
    """Fail before any node runs when a parameter group the pipeline reads is invalid."""

    CHECKS: dict[str, Callable[[Any], object]] = {  # noqa: RUF012  (a constant table)
        "params:scraping": resolve_date_range,
        "params:prediction": prediction_target,
    }

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        inputs = pipeline.inputs()
        for name, check in self.CHECKS.items():
            if name in inputs:
                check(catalog.load(name))
