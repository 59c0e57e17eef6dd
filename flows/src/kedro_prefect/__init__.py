"""kedro-prefect: run any Kedro 1.x project on Prefect, every Kedro node a Prefect task.

Generic over Kedro 1.x projects. Entry points: :func:`kedro_flow` (a Prefect
flow taking ``kedro run``'s arguments), :func:`pipeline_flow` (a flow bound to
one pipeline, for deployments), :func:`plan_pipeline` (the dry-run plan) and
the ``kedro prefect`` commands (cli.py). See flows/README.md.
"""

import os

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

from kedro_prefect.flow import kedro_flow, pipeline_flow, plan_pipeline  # noqa: E402
from kedro_prefect.runner import PrefectRunner  # noqa: E402

__all__ = ["PrefectRunner", "kedro_flow", "pipeline_flow", "plan_pipeline"]
