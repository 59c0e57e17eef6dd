"""What the project adds to kedro-mlflow's tracking (registered in settings.py).

kedro-mlflow opens one MLflow run per pipeline run (the Prefect flow run's, under
``kedro prefect run``), logs the parameters nodes read, and logs what the catalog
declares as ``Mlflow*Dataset``. This package holds only what it lacks:
:class:`~forecast_keiba.tracking.hook.RedactedMlflowHook` (its hook, never logging a
secret-looking parameter), :class:`~forecast_keiba.tracking.lineage.InputFingerprints`
(digests of the data read), :class:`~forecast_keiba.tracking.git.GitTags`,
:class:`~forecast_keiba.tracking.registry.RegisteredModelDataset` (the ``champion``
alias moves only to a better model), :func:`~forecast_keiba.tracking.metrics.run_metrics`
(the reports' numbers in kedro-mlflow's metrics format) and ``keiba mlflow-ui``.
"""
