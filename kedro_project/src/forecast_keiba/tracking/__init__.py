"""MLflow tracking of Kedro runs: one MLflow run per pipeline run.

:class:`~forecast_keiba.tracking.hook.MlflowTracking` (registered in
settings.py) logs every run into the store configured in ``conf/*/mlflow.yml``:
parameters, tags, input fingerprints, metrics and artifacts named there. The
run is the one named by ``$MLFLOW_RUN_ID`` when set (an orchestrator such as
the Prefect bridge created it and shares it with every process of the run),
otherwise the hook opens and closes one itself (``kedro run``).
:class:`~forecast_keiba.tracking.registry.RegisteredModelDataset` is the model
registry as a catalog dataset.
"""
