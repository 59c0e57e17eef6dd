"""Nothing this project runs may phone home.

Kedro, Prefect and MLflow each collect usage data by default. This module is
imported by the package, the Kedro settings and every entry point, and sets
their opt-outs unless the user has set them explicitly. (`kedro_project/.telemetry`
covers the Kedro CLI before any project code is imported.)
"""

import os

OPT_OUTS = {
    "DO_NOT_TRACK": "1",
    "KEDRO_DISABLE_TELEMETRY": "true",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}

for _name, _value in OPT_OUTS.items():
    os.environ.setdefault(_name, _value)
