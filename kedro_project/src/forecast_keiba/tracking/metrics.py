"""The reports' numbers as MLflow metrics, in kedro-mlflow's metrics format.

A node of its own (``track_metrics``) whose output is an
``MlflowMetricsHistoryDataset``: the JSON reports stay files (the report and the
Prefect plugin's cache read them), and because the output is not a file the node
runs in every run, cached or not, so every MLflow run holds the metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def run_metrics(*reports: Mapping[str, Any]) -> dict[str, dict[str, float | int]]:
    """Every number of the reports (nested keys joined by dots) as step 0."""
    metrics: dict[str, dict[str, float | int]] = {}
    for report in reports:
        for key, value in _flatten(report).items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                metrics[key] = {"value": float(value), "step": 0}
    return metrics


def _flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat
