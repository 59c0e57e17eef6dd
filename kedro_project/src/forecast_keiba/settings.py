"""Kedro project settings. https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

from kedro.config import OmegaConfigLoader

import no_telemetry  # noqa: F401  (telemetry off before anything else loads)
from forecast_keiba.data.run_lock import RunLock
from forecast_keiba.hooks import ParameterChecks
from forecast_keiba.tracking.config import CONFIG_KEY, CONFIG_PATTERNS
from forecast_keiba.tracking.hook import MlflowTracking

# pluggy calls the last registered first: parameters are checked before a run waits for
# the data folder's lock, and the lock is held before an MLflow run opens. The offline
# replica's hook is a plugin (the root project's `kedro.hooks` entry point) that acts only
# where conf describes a replica world, after these (trylast).
HOOKS = (MlflowTracking(), RunLock(), ParameterChecks())

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {CONFIG_KEY: CONFIG_PATTERNS},  # conf/*/mlflow.yml
    # An environment overrides single keys (conf/replica2y: the world's size) and
    # keeps the rest of base's blocks, instead of replacing whole top-level blocks.
    "merge_strategy": {"parameters": "soft", CONFIG_KEY: "soft"},
}
