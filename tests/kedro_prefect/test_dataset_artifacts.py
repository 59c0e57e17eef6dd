"""Datasets published as Prefect artifacts (prefect.yml's ``artifacts``): the task
run that saves a configured dataset publishes it under the dataset's name, with
the columns and rows configured; data the kind cannot show is a warning, never a
failed node."""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import pandas as pd
import pytest
from prefect.logging.handlers import APILogHandler

from kedro_prefect.config import DatasetArtifact
from kedro_prefect.dataset_artifacts import table_rows
from kedro_prefect.local_server import api
from tests.kedro_prefect.test_bridge import run


def test_table_rows_are_json_values_of_the_configured_columns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    frame = pd.DataFrame({
        "race": ["202406010101", "202406010102", "202406010103"],
        "win_prob": [0.123456, math.nan, 0.5],
        "start": pd.to_datetime(["2024-06-01 10:05", "2024-06-01 10:35", "2024-06-01 11:05"]),
    })  # fmt: skip
    spec = DatasetArtifact(columns=["race", "win_prob", "start", "odds"], max_rows=2,
                           float_digits=3)  # fmt: skip
    rows, total = table_rows("forecast", frame, spec)
    assert total == 3
    assert rows == [
        {"race": "202406010101", "win_prob": 0.123, "start": "2024-06-01T10:05:00.000"},
        {"race": "202406010102", "win_prob": None, "start": "2024-06-01T10:35:00.000"},
    ]
    assert "dataset 'forecast' has no column(s) ['odds']" in caplog.text
    records, _ = table_rows("scores", [{"a": 1}, {"a": 2}], DatasetArtifact())
    assert records == [{"a": 1}, {"a": 2}]
    with pytest.raises(TypeError, match="needs a DataFrame, not dict"):
        table_rows("report", {"title": "x"}, DatasetArtifact())


def test_saved_datasets_are_published_by_their_task_runs(prefect_api: str, toy: Path) -> None:
    (toy / "conf" / "local" / "prefect.yml").write_text(
        "artifacts:\n"
        "  clean: {columns: [x], max_rows: 3, description: The cleaned rows}\n"
        "  report: {kind: markdown}\n"  # a dict, not a string: a warning
    )
    state = run(toy, pipeline="main")
    assert state.is_completed(), state.message  # the misfit artifact fails no node
    flow_run_id = str(state.state_details.flow_run_id)
    APILogHandler().flush()  # logs travel to the server in the background
    logs = api(prefect_api, "logs/filter", {
        "logs": {"flow_run_id": {"any_": [flow_run_id]}, "level": {"ge_": logging.WARNING}},
    })  # fmt: skip
    warning = ("dataset 'report' is not published as a markdown artifact: "
               "a markdown artifact needs a string, not dict")  # fmt: skip
    assert any(warning in log["message"] for log in logs), logs
    found = api(prefect_api, "artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [flow_run_id]}, "key": {"any_": ["clean", "report"]}},
    })  # fmt: skip
    (clean,) = found
    assert clean["type"] == "table"
    data = clean["data"]
    assert (json.loads(data) if isinstance(data, str) else data) == [{"x": 0}, {"x": 1}, {"x": 2}]
    rows = len(pd.read_parquet(toy / "data" / "clean.parquet"))
    assert clean["description"] == (
        f"The cleaned rows (saved by node clean, attempt 1); the first 3 of {rows:,} rows"
    )
    (task_run,) = api(prefect_api, "task_runs/filter", {
        "task_runs": {"id": {"any_": [clean["task_run_id"]]}},
    })  # fmt: skip
    assert task_run["name"].startswith("clean"), task_run["name"]  # the saving task run's
