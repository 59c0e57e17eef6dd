"""Tracking through kedro-mlflow on a real SQLite store: `kedro run` of the training
pipeline logs one complete run (params, tags, lineage, metrics, model, plots), secrets
never reach the store, the champion moves only to a better model, and processes
sharing $MLFLOW_RUN_ID share one run."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
import yaml
from mlflow import MlflowClient
from mlflow.entities import Run

from netkeiba_replica.world import World, WorldConfig
from tests.support import KEDRO_PROJECT, make_conf, write_replica_tables

WORLD = WorldConfig(seed=11, n_days=16, races_per_day=12, upcoming_days=0)
SECRETS = ("FAKE-SECRET-token-5f1c", "FAKE-SECRET-url-9d2e", "FAKE-SECRET-cred-7a3b",
           "FAKE-SECRET-cli-3e8f")  # fmt: skip
FIRST_NODES = "build_features,split_train_test,train_win_model,train_baseline_model"
RUN_ENVIRONMENT = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID", "MLFLOW_TRACKING_URI")


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.conf = root / "conf"
        self.data = root / "data"
        self.store = f"sqlite:///{self.data / 'mlflow' / 'mlflow.db'}"
        self.client = MlflowClient(self.store)

    def kedro(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        # This test process may be inside a run itself: the child gets only ``env``'s.
        environment = {k: v for k, v in os.environ.items() if k not in RUN_ENVIRONMENT}
        result = subprocess.run(
            [sys.executable, "-m", "kedro", "run", "--conf-source", str(self.conf), *args],
            cwd=KEDRO_PROJECT, capture_output=True, text=True, check=False,
            env={**environment, "COLUMNS": "200", **(env or {})},
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        return result

    def runs(self) -> list[Run]:
        experiment = self.client.get_experiment_by_name("forecast_keiba")
        return self.client.search_runs([experiment.experiment_id], order_by=["start_time ASC"])


def prepare_project(root: Path) -> Project:
    """A tmp copy of the conf with its own data (and MLflow store), the tables of a
    small world, and fake secrets in conf/local (in parameters the training nodes
    read, so that kedro-mlflow would log them)."""
    world = World(WORLD)
    make_conf(root, world.config)
    write_replica_tables(world, root / "data")
    local = root / "conf" / "local"
    (local / "parameters.yml").write_text(yaml.safe_dump({"training": {"fitting": {
        "vendor_api": {"api_token": SECRETS[0], "mirror": f"https://bob:{SECRETS[1]}@x.invalid/db"}
    }}}))  # fmt: skip
    (local / "credentials.yml").write_text(yaml.safe_dump({"db": {"password": SECRETS[2]}}))
    return Project(root)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = prepare_project(tmp_path_factory.mktemp("tracked"))
    project.kedro(
        "--pipeline", "training", "--params", f"training.fitting.session_key={SECRETS[3]}"
    )
    return project


def test_kedro_run_logs_one_complete_run(project: Project) -> None:
    (run,) = project.runs()
    assert run.info.status == "FINISHED"
    params, metrics, tags = run.data.params, run.data.metrics, run.data.tags
    assert params["training.model.kind"] == "race_ranking"
    assert params["backtest.ev_threshold"] == "0.0"
    for name in (
        "log_loss_model",
        "log_loss_baseline",
        "log_loss_uniform",
        "log_loss_oracle",
        "auc_win",
        "auc_top3",
        "roi_win_model",
        "roi_win_favourite",
        "roi_win_oracle",
    ):
        assert f"metrics.{name}" in metrics, name  # fmt: skip
    assert metrics["metrics.log_loss_model"] < metrics["metrics.log_loss_uniform"]
    assert "training" in tags["kedro_command"]
    assert len(tags["git.commit"]) == 40
    artifacts = {a.path for a in project.client.list_artifacts(run.info.run_id, "plots")}
    assert artifacts == {
        f"plots/{name}.png" for name in ("calibration", "roi_vs_threshold", "cumulative_return")
    }
    report = mlflow.artifacts.load_text(f"{run.info.artifact_uri}/model_report.txt")
    assert "oracle" in report and "favourite" in report
    card = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/model_card.json")
    assert card["device"] == "cpu"  # the device the model was fitted on


def test_lineage_fingerprints_the_data_it_read(project: Project) -> None:
    (run,) = project.runs()
    inputs = {i.dataset.name: i.dataset for i in run.inputs.dataset_inputs}
    assert {"races", "entries", "payouts", "ground_truth"} <= set(inputs)
    races = project.data / "02_intermediate" / "races.parquet"
    assert inputs["races"].digest == hashlib.sha256(races.read_bytes()).hexdigest()[:32]


def test_the_model_is_logged_with_signature_and_example_and_registered(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    (run,) = project.runs()
    (output,) = run.outputs.model_outputs
    uri = f"models:/{output.model_id}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", project.store)
    info = mlflow.models.get_model_info(uri)
    assert "race_id" in info.signature.inputs.input_names()
    assert info.saved_input_example_info is not None
    model = mlflow.sklearn.load_model(uri)
    example = mlflow.models.Model.load(uri).load_input_example(
        mlflow.artifacts.download_artifacts(uri)
    )
    assert len(model.predict(example)) == len(example)
    version = project.client.get_model_version_by_alias("keiba-win-replica", "champion")
    assert version.run_id == run.info.run_id


def test_secrets_never_reach_the_store(project: Project) -> None:
    (run,) = project.runs()
    params = run.data.params
    assert params["training.fitting.vendor_api.api_token"] == "[redacted]"  # read by a node
    assert params["training.fitting.vendor_api.mirror"] == "https://[redacted]@x.invalid/db"
    assert params["training.fitting.session_key"] == "[redacted]"  # given with --params
    logged = [*run.data.params.values(), *run.data.tags.values()]
    files = [p for p in (project.data / "mlflow").rglob("*") if p.is_file()]
    assert any(p.name == "mlflow.db" for p in files) and len(files) > 10
    for secret in SECRETS:
        assert not any(secret in value for value in logged)
        for file in files:  # the database, every artifact, the model and its code
            assert secret.encode() not in file.read_bytes(), f"{secret} in {file}"


def test_a_worse_model_is_registered_but_the_champion_stays(project: Project) -> None:
    champion = project.client.get_model_version_by_alias("keiba-win-replica", "champion")
    weak = "training.model.max_iter=2,training.model.with_market_odds=false"
    project.kedro("--pipeline", "training", "--params", weak)
    latest = project.runs()[-1]
    assert latest.data.tags["registry.champion"] == "false"
    versions = project.client.search_model_versions("name='keiba-win-replica'")
    assert len(versions) == 2
    now = project.client.get_model_version_by_alias("keiba-win-replica", "champion")
    assert now.version == champion.version
    assert latest.data.metrics["metrics.log_loss_model"] > float(champion.tags["score"])


def test_processes_sharing_a_run_id_log_into_that_one_run(tmp_path: Path) -> None:
    """What an orchestrator does: it opens the run and every process it starts
    (here two `kedro run`s, one per half of the pipeline) logs into it."""
    project = prepare_project(tmp_path)
    artifacts = (tmp_path / "data" / "mlflow" / "artifacts").as_uri()
    experiment = project.client.create_experiment("forecast_keiba", artifact_location=artifacts)
    run_id = project.client.create_run(experiment).info.run_id
    shared = {"MLFLOW_RUN_ID": run_id, "MLFLOW_TRACKING_URI": project.store}  # no experiment id
    project.kedro("--pipeline", "training", "--nodes", FIRST_NODES, env=shared)
    project.kedro(
        "--pipeline", "training", "--from-nodes", "describe_win_model,predict_test_set", env=shared
    )
    (run,) = project.runs()
    assert run.info.run_id == run_id
    # kedro-mlflow resumes a run named by $MLFLOW_RUN_ID and ends it with the pipeline
    # (the Prefect plugin's node tasks never run a pipeline, so they never end it)
    assert run.info.status == "FINISHED"
    assert run.data.params["backtest.ev_threshold"] == "0.0"  # second process
    assert "metrics.log_loss_model" in run.data.metrics
    inputs = {i.dataset.name for i in run.inputs.dataset_inputs}
    assert {"races", "train_set"} <= inputs  # read by the first process
    assert len(run.outputs.model_outputs) == 1
