"""kedro-prefect: run any Kedro 1.x project on Prefect, every Kedro node a Prefect task.

Generic over Kedro 1.x projects. Entry points: :func:`kedro_flow` (a Prefect
flow taking ``kedro run``'s arguments), :func:`pipeline_flow` (a flow bound to
one pipeline, for deployments), :func:`plan_pipeline` (the dry-run plan) and
the ``kedro prefect`` commands (cli.py). See flows/README.md.
"""

import os
import warnings

# This tool must never phone home, whatever project it runs.
for _name, _value in {
    "DO_NOT_TRACK": "1",
    "KEDRO_DISABLE_TELEMETRY": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "RAY_USAGE_STATS_ENABLED": "0",  # a Ray started for a run must not report usage
    # Under `uv run`, Ray would start its workers with `uv run` in a copy of the working
    # directory, re-resolving the project there (a hang without network); workers
    # use this interpreter and environment instead.
    "RAY_ENABLE_UV_RUN_RUNTIME_ENV": "0",
}.items():
    os.environ.setdefault(_name, _value)
# Kedro's config loader calls an OmegaConf API that OmegaConf deprecated: a warning
# meant for Kedro's developers, printed at every config load of every run.
warnings.filterwarnings(
    "ignore", message=r"register_new_resolver\(\) is deprecated", category=UserWarning
)
# Without PREFECT_API_URL, Prefect starts a temporary local server; its 20 s default
# start-up budget is not enough on a busy 2-core machine (it then fails the whole run).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


from typing import TYPE_CHECKING, Any  # noqa: E402

if TYPE_CHECKING:
    from kedro_prefect.flow import kedro_flow, pipeline_flow
    from kedro_prefect.project import plan_pipeline
    from kedro_prefect.runner import PrefectRunner

__all__ = ["PrefectRunner", "kedro_flow", "pipeline_flow", "plan_pipeline"]
_HOMES = {"kedro_flow": "flow", "pipeline_flow": "flow", "plan_pipeline": "project",
          "PrefectRunner": "runner"}  # fmt: skip


def __getattr__(name: str) -> Any:
    """The entry points, imported on first use. Kedro imports this package (through
    the ``kedro.project_commands`` entry point) for every ``kedro`` command of every
    project it is installed in — ``kedro run``, ``kedro viz`` — which must not pay
    seconds of importing Prefect for a plugin they do not use."""
    if name in _HOMES:
        from importlib import import_module

        return getattr(import_module(f"kedro_prefect.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'kedro_prefect' has no attribute {name!r}")
