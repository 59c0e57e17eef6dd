"""MLflow under the plugin, on a project nobody here wrote: Kedro's
``spaceflights-pandas`` starter with kedro-mlflow added and initialised
(``kedro mlflow init``), in a fresh virtual environment without forecast-keiba,
run by ``kedro prefect run`` on Prefect's thread pool, in a process pool and on
Ray. Each flow run must be exactly one MLflow run (a real SQLite store) holding
the parameters kedro-mlflow logs, a metric logged through kedro-mlflow's
``MlflowMetricsHistoryDataset``, a metric logged by a plain ``mlflow.log_metric``
in a node and a plot logged through ``MlflowArtifactDataset``, tagged with its
flow run; a Prefect link artifact points back to it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml
from mlflow import MlflowClient

from kedro_prefect.local_server import api
from tests.kedro_prefect.test_spaceflights_starter import STARTER, SUPPORT, flow_run_id, kedro
from tests.support import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not STARTER.is_dir(), reason="../shared/kedro-starters/spaceflights-pandas is absent"
    ),
    pytest.mark.skipif(shutil.which("uv") is None, reason="uv is not on PATH (make setup)"),
]

# What the test adds to the starter's catalog: the datasets crossing processes
# persisted (the plan refuses in-memory ones under processes and Ray), the metrics
# and a plot through kedro-mlflow's datasets.
CATALOG = {
    **{
        name: {"type": "pickle.PickleDataset", "filepath": f"data/05_model_input/{name}.pkl"}
        for name in ("X_train", "X_test", "y_train", "y_test")
    },
    "metrics": {"type": "kedro_mlflow.io.metrics.MlflowMetricsHistoryDataset"},
    "dummy_confusion_matrix": {
        "type": "kedro_mlflow.io.artifacts.MlflowArtifactDataset",
        "dataset": {
            "type": "matplotlib.MatplotlibDataset",
            "filepath": "data/08_reporting/dummy_confusion_matrix.png",
        },
    },
}
# evaluate_model's metrics in kedro-mlflow's format, and one plain MLflow call.
EVALUATE = """
    import mlflow

    mlflow.log_metric("plain_max_error", float(me))
    return {name: {"value": float(value), "step": 0}
            for name, value in {"r2_score": score, "mae": mae, "max_error": me}.items()}
"""


@pytest.fixture(scope="module")
def mlflow_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv: Kedro, the starter's requirements, kedro-mlflow, ./flows[ray]."""
    venv = tmp_path_factory.mktemp("mlflow-starter") / "venv"
    major, minor = sys.version_info[:2]
    subprocess.run(["uv", "venv", "-q", str(venv), "--python", f"{major}.{minor}"], check=True)
    pins = [f"{name}=={version(name)}" for name in ("kedro", "prefect", "mlflow", "kedro-mlflow",
                                                    "ray", "prefect-ray")]  # fmt: skip
    subprocess.run(
        ["uv", "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
         *pins, *SUPPORT.STARTER_REQUIREMENTS, f"{REPO / 'flows'}[ray]"],
        check=True,
    )  # fmt: skip
    return venv


@pytest.fixture
def tracked_starter(mlflow_venv: Path, tmp_path: Path, prefect_api: str) -> Path:
    """The starter with kedro-mlflow initialised (``kedro mlflow init``), its store
    moved to a SQLite file and its metrics and a plot declared as MLflow datasets."""
    project = tmp_path / "spaceflights"
    shutil.copytree(STARTER, project)
    init = kedro(mlflow_venv, project, prefect_api, "mlflow", "init")
    assert init.returncode == 0, (init.stdout + init.stderr)[-3000:]
    config_file = project / "conf" / "local" / "mlflow.yml"
    config = yaml.safe_load(config_file.read_text())
    config["server"]["mlflow_tracking_uri"] = f"sqlite:///{project / 'mlflow.db'}"
    config["tracking"]["experiment"]["name"] = "spaceflights"
    config_file.write_text(yaml.safe_dump(config))
    catalog_file = project / "conf" / "base" / "catalog.yml"
    catalog_file.write_text(yaml.safe_dump(yaml.safe_load(catalog_file.read_text()) | CATALOG))
    nodes = next(project.glob("src/*/pipelines/data_science/nodes.py"))
    source = nodes.read_text()
    returned = '    return {"r2_score": score, "mae": mae, "max_error": me}\n'
    assert returned in source
    nodes.write_text(source.replace(returned, EVALUATE))
    return project


@pytest.mark.parametrize(
    "how",
    [
        ["--task-runner", "threads"],
        ["--task-runner", "processes"],
        ["--execution", "ray"],  # a local Ray started for the run
    ],
    ids=["threads", "processes", "ray"],
)
def test_one_mlflow_run_per_flow_run_wherever_nodes_run(
    mlflow_venv: Path, tracked_starter: Path, prefect_api: str, how: list[str]
) -> None:
    result = kedro(mlflow_venv, tracked_starter, prefect_api, "prefect", "run", *how)
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    flow_run = flow_run_id(result.stdout)
    # kedro-mlflow adopting the flow run's MLflow run is the design, not a warning
    assert "already active" not in result.stdout + result.stderr

    client = MlflowClient(f"sqlite:///{tracked_starter / 'mlflow.db'}")
    experiment = client.get_experiment_by_name("spaceflights")
    (run,) = client.search_runs([experiment.experiment_id])  # one run, every node in it
    assert run.info.status == "FINISHED"
    assert run.data.tags["prefect.flow_run_id"] == flow_run
    assert flow_run in run.data.tags["prefect.flow_run_url"]
    assert "model_options" in run.data.params  # kedro-mlflow's hook, in the node's task
    metrics = run.data.metrics
    assert {"metrics.r2_score", "metrics.mae", "plain_max_error"} <= set(metrics), metrics
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert "dummy_confusion_matrix.png" in artifacts, artifacts

    links = api(prefect_api, "artifacts/filter", {"artifacts": {
        "flow_run_id": {"any_": [flow_run]},
    }})  # fmt: skip
    linked = [str(a["data"]) for a in links if str(a.get("key", "")).startswith("mlflow-run")]
    assert any(f"/runs/{run.info.run_id}" in text for text in linked), links


def test_a_project_without_mlflow_gets_no_run(
    mlflow_venv: Path, tmp_path: Path, prefect_api: str
) -> None:
    """kedro-mlflow installed but switched off for the project (Kedro's
    ``DISABLE_HOOKS_FOR_PLUGINS``) and no mlflow.yml: no MLflow store appears."""
    project = tmp_path / "plain"
    shutil.copytree(STARTER, project)
    settings = next(project.glob("src/*/settings.py"))
    # Kedro compares the distribution's metadata name, which kedro-mlflow spells with "_"
    disabled = 'DISABLE_HOOKS_FOR_PLUGINS = ("kedro-mlflow", "kedro_mlflow")'
    settings.write_text(f"{settings.read_text()}\n{disabled}\n")
    result = kedro(mlflow_venv, project, prefect_api, "prefect", "run", "--pipeline",
                   "data_processing")  # fmt: skip
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    assert not (project / "mlruns").exists() and not (project / "mlflow.db").exists()
    assert "MLflow run" not in result.stdout + result.stderr
    assert os.environ.get("MLFLOW_RUN_ID") is None
