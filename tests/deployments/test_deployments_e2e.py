"""prefect.yaml end to end: deployed with ``prefect --no-prompt deploy --all`` onto a
real server, run by real process workers with ``prefect deployment run --watch``."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import yaml
from mlflow import MlflowClient

from forecast_keiba.pipeline_registry import register_pipelines
from kedro_prefect.local_server import api
from tests.deployments.e2e_support import Stack, task_runs, wait_for
from tests.support import REPO

DECLARED = {
    d["name"]: d for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]
}


def test_full_pipeline_runs_one_task_per_kedro_node(stack: Stack, full_pipeline_run: str) -> None:
    nodes = [node.name for node in register_pipelines()["__default__"].nodes]
    runs = task_runs(stack, full_pipeline_run, expected=len(nodes))
    assert sorted(run["name"] for run in runs) == sorted(nodes)
    assert {run["state"]["name"] for run in runs} == {"Completed"}
    flow_run = api(stack.api_url, f"flow_runs/{full_pipeline_run}")
    assert flow_run["work_pool_name"] == "cpu"
    assert (stack.tmp / "full" / "data" / "08_reporting" / "forecast.txt").is_file()


def test_the_forecast_is_published_in_prefect_and_mlflow(
    stack: Stack, full_pipeline_run: str
) -> None:
    """What an operator opens: the flow run's forecast table and printed forecast,
    and the same files in the flow run's MLflow run."""
    data = stack.tmp / "full" / "data"
    forecast = pd.read_parquet(data / "07_model_output" / "forecast.parquet")
    artifacts = {a["key"]: a for a in api(stack.api_url, "artifacts/filter", {
        "artifacts": {"flow_run_id": {"any_": [full_pipeline_run]},
                      "key": {"any_": ["forecast", "forecast-report"]}},
    })}  # fmt: skip
    table = artifacts["forecast"]
    rows = json.loads(table["data"]) if isinstance(table["data"], str) else table["data"]
    assert table["type"] == "table" and len(rows) == min(len(forecast), 500) > 0
    assert list(rows[0]) == ["race_id", "race_name", "start_time", "horse_number",
                             "horse_name", "win_prob", "fair_odds"]  # fmt: skip
    first = forecast.iloc[0]
    assert (rows[0]["race_id"], rows[0]["horse_number"]) == (
        first["race_id"],
        first["horse_number"],
    )
    assert rows[0]["win_prob"] == round(float(first["win_prob"]), 3)
    printed = (data / "08_reporting" / "forecast.txt").read_text().rstrip()
    assert artifacts["forecast-report"]["data"] == f"```text\n{printed}\n```\n"

    client = MlflowClient(f"sqlite:///{data / 'mlflow' / 'mlflow.db'}")
    (run,) = client.search_runs(
        [e.experiment_id for e in client.search_experiments()],
        filter_string=f"tags.`prefect.flow_run_id` = '{full_pipeline_run}'",
    )
    logged = {artifact.path for artifact in client.list_artifacts(run.info.run_id)}
    assert {"forecast.parquet", "forecast.txt"} <= logged, logged


def test_nightly_schedule_and_limits_are_as_declared(stack: Stack) -> None:
    declared = DECLARED["nightly-scraping"]
    deployment = stack.deployment("nightly-scraping")
    schedules = [s["schedule"] for s in deployment["schedules"]]  # paused by the tests
    assert [(s["cron"], s["timezone"]) for s in schedules] == [
        (s["cron"], s["timezone"]) for s in declared["schedules"]
    ]
    assert schedules[0]["timezone"] == "Asia/Tokyo"
    assert deployment["global_concurrency_limit"]["limit"] == declared["concurrency_limit"] == 1
    assert deployment["work_pool_name"] == "cpu"
    assert deployment["parameters"]["pipeline"] == "data_engineering"
    assert deployment["pull_steps"] == [
        {"prefect.deployments.steps.set_working_directory": {
            "directory": "{{ $FORECAST_KEIBA_HOME }}"}}
    ]  # fmt: skip


def test_bad_race_id_fails_fast_naming_it(stack: Stack) -> None:
    flow_run_id, state = stack.run("prediction", {
        "conf_source": str(stack.conf("bad_prediction")),
        "params": {"source": stack.source_params(), "prediction": {"race_id": "2023-13-45"}},
    })  # fmt: skip
    assert state == "Failed"
    message = api(stack.api_url, f"flow_runs/{flow_run_id}")["state"]["message"]
    assert "prediction.race_id: invalid race id '2023-13-45'" in message
    assert api(stack.api_url, "task_runs/filter", {
        "flow_runs": {"id": {"any_": [flow_run_id]}}})  == []  # fmt: skip


def test_nightly_scrape_triggers_training_and_a_second_night_fetches_nothing_twice(
    stack: Stack,
) -> None:
    world = stack.world
    nightly = stack.nightly_parameters("nightly")
    conf = nightly["conf_source"]
    stack.replica.clear_log()
    started = dt.datetime.now(dt.UTC).isoformat()
    _, state = stack.run("nightly-scraping", nightly)
    assert state == "Completed"
    requests_after_first_night = len(stack.replica.request_log)
    assert requests_after_first_night > 0

    def triggered_trainings(count: int):
        runs = [
            run
            for run in stack.flow_runs("training")
            if run["created"] > started and (run["created_by"] or {}).get("type") == "AUTOMATION"
        ]
        return runs if len(runs) >= count and all((r["state"] or {}).get("type") in (
            "COMPLETED", "FAILED", "CRASHED") for r in runs) else None  # fmt: skip

    trainings = wait_for(lambda: triggered_trainings(1), timeout=600)
    assert trainings, "no training run was triggered by the nightly scrape"
    training = trainings[0]
    assert training["state"]["name"] == "Completed", training["state"]
    assert training["parameters"]["conf_source"] == conf  # trained on what was scraped
    assert training["work_pool_name"] == "gpu"
    assert (stack.tmp / "nightly" / "data" / "06_models" / "win_model.pkl").is_file()

    _, state = stack.run("nightly-scraping", nightly)  # right after the first
    assert state == "Completed"
    assert len(stack.replica.request_log) == requests_after_first_night
    counts = stack.replica.fetch_counts()
    assert max(counts.values()) == 1, counts.most_common(3)
    races = pd.read_parquet(stack.tmp / "nightly" / "data" / "02_intermediate" / "races.parquet")
    assert sorted(races["race_id"]) == sorted(world.run_race_ids())
    assert not races["race_id"].duplicated().any()
    # Every successful night triggers training. After a night with no new race, the
    # training serves every node from cache but the one whose output is MLflow's run.
    trainings = wait_for(lambda: triggered_trainings(2), timeout=600)
    assert trainings, "the second night triggered no training"
    second = max(trainings, key=lambda run: run["created"])
    assert second["state"]["name"] == "Completed", second["state"]
    nodes = [node.name for node in register_pipelines()["training"].nodes]
    states = {run["name"]: run["state"]["name"]
              for run in task_runs(stack, second["id"], expected=len(nodes))}  # fmt: skip
    assert states.pop("track_metrics") == "Completed"
    assert set(states.values()) == {"Cached"}, states
