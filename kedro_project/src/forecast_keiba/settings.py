"""Kedro project settings. https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

from kedro.config import OmegaConfigLoader

import forecast_keiba.privacy  # noqa: F401  (telemetry off before anything else loads)
from forecast_keiba.hooks import EmbeddedReplica, ParameterChecks

# pluggy calls the last registered first: parameters are checked before a replica starts.
HOOKS = (EmbeddedReplica(), ParameterChecks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
}
