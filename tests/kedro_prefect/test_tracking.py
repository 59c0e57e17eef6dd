"""The plugin's MLflow run on a real Prefect server and a real SQLite store, with the
keiba project tracking through kedro-mlflow: one MLflow run per flow run, tagged
with the flow run and linked from it, shared with nodes in other processes, a
retried flow run's runs linked to each other; projects without MLflow get none."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import yaml
from mlflow import MlflowClient
from prefect import flow

from kedro_prefect import kedro_flow
from kedro_prefect.local_server import api
from kedro_prefect.project import kedro_session
from kedro_prefect.tracking import flow_tracking
from tests.support import KEDRO_PROJECT
from tests.tracking.test_hook import FIRST_NODES, prepare_project

TOY = Path(__file__).parent / "toy_project"


def runs(store: str, experiment: str) -> list:
    client = MlflowClient(store)
    found = client.get_experiment_by_name(experiment)
    return [] if found is None else client.search_runs([found.experiment_id])


def test_a_flow_run_is_one_mlflow_run_tagged_and_linked(prefect_api: str, tmp_path: Path) -> None:
    project = prepare_project(tmp_path)
    state = kedro_flow(
        pipeline="training", project_path=str(KEDRO_PROJECT), conf_source=str(project.conf),
        return_state=True,
    )  # fmt: skip
    assert state.is_completed(), state.message
    (run,) = project.runs()  # the bridge's run; the hook logged into it instead of opening one
    flow_run_id = str(state.state_details.flow_run_id)
    tags = run.data.tags
    assert tags["prefect.flow_run_id"] == flow_run_id
    assert flow_run_id in tags["prefect.flow_run_url"]
    assert run.info.status == "FINISHED"
    assert run.data.params["training.model.kind"] == "race_ranking"
    assert "metrics.log_loss_model" in run.data.metrics and len(run.outputs.model_outputs) == 1
    assert run.data.tags["prefect.attempt"] == "1" and "prefect.retry_of" not in run.data.tags
    artifacts = api(prefect_api, "artifacts/filter", {"artifacts": {
        "flow_run_id": {"any_": [flow_run_id]}, "key": {"any_": ["mlflow-run-training"]},
    }})  # fmt: skip
    (link,) = [str(a["data"]) for a in artifacts]
    assert artifacts[0]["description"].startswith("The MLflow run of this flow run, attempt 1")
    assert f"/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}" in link
    # The run's environment ends with it, and so does the store kedro-mlflow's hook
    # set: a later flow or `kedro run` of this process would log into this store.
    assert not {"MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID"} & set(os.environ)
    assert mlflow.get_tracking_uri() != project.store

    # An unchanged rerun: every node Cached, the nomination too (the registry
    # still holds its model), except track_metrics, whose output is MLflow's: so
    # the rerun's MLflow run still holds the metrics.
    rerun = kedro_flow(
        pipeline="training", project_path=str(KEDRO_PROJECT), conf_source=str(project.conf),
        return_state=True,
    )  # fmt: skip
    states = rerun.result()
    assert states.pop("track_metrics") == "Completed"
    assert set(states.values()) == {"Cached"}, sorted(states.items())
    second = next(r for r in project.runs() if r.info.run_id != run.info.run_id)
    assert (
        second.data.metrics["metrics.log_loss_model"] == run.data.metrics["metrics.log_loss_model"]
    )


@flow
def two_processes(conf: str) -> str:
    """Open the flow's MLflow run as the bridge does, then run half of the
    pipeline in each of two `kedro run` processes started with its environment."""
    with (
        kedro_session(str(KEDRO_PROJECT), None, None, conf) as (project, _, _, context, _),
        flow_tracking(context, project, "training") as run_id,
    ):
        for selection in (["--nodes", FIRST_NODES],
                          ["--from-nodes", "describe_win_model,predict_test_set"]):  # fmt: skip
            result = subprocess.run(
                [sys.executable, "-m", "kedro", "run", "--conf-source", conf,
                 "--pipeline", "training", *selection],
                cwd=KEDRO_PROJECT, capture_output=True, text=True, env=dict(os.environ),
                check=False,
            )  # fmt: skip
            assert result.returncode == 0, result.stderr[-3000:]
        return run_id


def test_nodes_in_other_processes_log_into_the_flow_runs_run(
    prefect_api: str, tmp_path: Path
) -> None:
    project = prepare_project(tmp_path)
    run_id = two_processes(str(project.conf))
    (run,) = project.runs()
    assert run.info.run_id == run_id
    assert run.info.status == "FINISHED"  # ended by the bridge, when the flow ended
    assert "prefect.flow_run_id" in run.data.tags
    assert run.data.params["backtest.ev_threshold"] == "0.0"  # process 2
    assert {"races", "train_set"} <= {i.dataset.name for i in run.inputs.dataset_inputs}  # 1
    assert "metrics.log_loss_model" in run.data.metrics and len(run.outputs.model_outputs) == 1


def test_the_bridge_tracks_any_project_with_mlflow_config_and_skips_others(
    prefect_api: str, tmp_path: Path
) -> None:
    toy = tmp_path / "toy"
    shutil.copytree(TOY, toy)
    assert kedro_flow(pipeline="main", project_path=str(toy), return_state=True).is_completed()
    assert not (toy / "mlruns.db").exists() and "MLFLOW_RUN_ID" not in os.environ
    # kedro-mlflow's own layout; its hook is off in the toy project (plain MLflow)
    (toy / "conf" / "base" / "mlflow.yml").write_text(yaml.safe_dump({
        "server": {"mlflow_tracking_uri": "sqlite:///mlruns.db"},
        "tracking": {"experiment": {"name": "toy",
                                    "create_experiment_kwargs": {"artifact_location": "mlart"}}},
    }))  # fmt: skip
    state = kedro_flow(pipeline="main", project_path=str(toy), return_state=True)
    assert state.is_completed()
    (run,) = runs(f"sqlite:///{toy / 'mlruns.db'}", "toy")  # the toy project has no MLflow hook
    assert run.data.tags["prefect.flow_run_id"] == str(state.state_details.flow_run_id)
    assert run.data.tags["kedro.pipeline"] == "main" and run.info.status == "FINISHED"


def toy_with_mlflow(tmp_path: Path) -> Path:
    toy = tmp_path / "toy"
    shutil.copytree(TOY, toy)
    (toy / "conf" / "base" / "mlflow.yml").write_text(yaml.safe_dump({
        "server": {"mlflow_tracking_uri": "sqlite:///mlruns.db"},
        "tracking": {"experiment": {"name": "toy"}},
    }))  # fmt: skip
    return toy


@flow
def two_attempts(toy: str) -> list[str]:
    """A flow run executed twice, as a retry does: the first attempt fails."""
    ids = []
    with kedro_session(toy, None, None, None) as (project, _, _, context, _):
        try:
            with flow_tracking(context, project, "main") as first:
                ids.append(first)
                raise RuntimeError("the first attempt fails")
        except RuntimeError:
            pass
        with flow_tracking(context, project, "main") as second:
            ids.append(second)
    return ids


def test_a_retried_flow_runs_mlflow_runs_are_linked(prefect_api: str, tmp_path: Path) -> None:
    toy = toy_with_mlflow(tmp_path)
    first_id, second_id = two_attempts(str(toy))
    client = MlflowClient(f"sqlite:///{toy / 'mlruns.db'}")
    first, second = client.get_run(first_id), client.get_run(second_id)
    assert first.info.status == "FAILED" and second.info.status == "FINISHED"
    assert first.data.tags["prefect.flow_run_id"] == second.data.tags["prefect.flow_run_id"]
    assert second.data.tags["prefect.retry_of"] == first_id
    assert first.data.tags["prefect.retried_by"] == second_id
    assert (first.data.tags["prefect.attempt"], second.data.tags["prefect.attempt"]) == ("1", "2")
