"""Nothing this project runs may phone home: the one list of telemetry opt-outs.

Kedro, Prefect, MLflow and Ray each collect usage data by default. Importing this
package sets their opt-outs in ``os.environ`` unless the user has set them explicitly,
so every process started from here inherits them. The app (``forecast_keiba``, its
Kedro settings), the bridge (``flows``) and the local stack (``deployments/stack.py``)
import it; the Makefile exports the same list through ``python -m no_telemetry``.
(``kedro_project/.telemetry`` covers the Kedro CLI before any project code is imported.)

A package of its own, free of dependencies, so that the bridge, which imports nothing of
forecast_keiba, and a bare ``python3`` in the Makefile can both read it.
"""

import os

OPT_OUTS = {
    "DO_NOT_TRACK": "1",
    "KEDRO_DISABLE_TELEMETRY": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "RAY_USAGE_STATS_ENABLED": "0",  # a Ray started for a run must not report usage
}

for _name, _value in OPT_OUTS.items():
    os.environ.setdefault(_name, _value)
