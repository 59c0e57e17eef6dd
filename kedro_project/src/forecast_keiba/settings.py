"""Kedro project settings. https://docs.kedro.org/en/stable/kedro_project_setup/settings.html"""

from kedro.config import OmegaConfigLoader

import no_telemetry  # noqa: F401  (telemetry off before anything else loads)
from forecast_keiba.data.run_lock import RunLock
from forecast_keiba.hooks import ParameterChecks
from forecast_keiba.tracking.git import GitTags
from forecast_keiba.tracking.hook import RedactedMlflowHook
from forecast_keiba.tracking.lineage import InputFingerprints

# pluggy calls the last registered first: parameters are checked before a run waits for
# the data folder's lock, the lock is held before the MLflow run opens, and the run is
# open (kedro-mlflow's hook) before it is tagged with git. The offline replica's hook is a
# plugin (the root project's `kedro.hooks` entry point) that acts only where conf
# describes a replica world, after these (trylast).
HOOKS = (InputFingerprints(), GitTags(), RedactedMlflowHook(), RunLock(), ParameterChecks())
# kedro-mlflow's own instance of its hook: RedactedMlflowHook above replaces it (Kedro
# compares the distribution's metadata name, which kedro-mlflow spells "kedro_mlflow").
DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")

CONFIG_LOADER_CLASS = OmegaConfigLoader
CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    "config_patterns": {"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]},  # kedro-mlflow's
    # An environment overrides single keys (conf/replica2y: the world's size) and
    # keeps the rest of base's blocks, instead of replacing whole top-level blocks.
    "merge_strategy": {"parameters": "soft", "mlflow": "soft"},
}
