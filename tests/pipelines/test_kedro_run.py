"""`kedro run`, natively, against the offline replica on loopback: the whole
pipeline from day lists to a forecast, and the scraped tables equal the
replica's own truth (replica → HTTP → parse → tables round trip)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from forecast_keiba.console.demo import format_params
from forecast_keiba.data.tables import tables_from_pages
from forecast_keiba.pipeline_registry import register_pipelines
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World
from tests.support import KEDRO_PROJECT, make_conf


def kedro(*args: str, cwd: Path = KEDRO_PROJECT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


class Run:
    def __init__(self, root: Path, conf: Path, server: ReplicaServer, world: World) -> None:
        self.root, self.conf, self.server, self.world = root, conf, server, world
        self.data = root / "data"
        self.console = ""  # stdout of the first run

    def kedro_run(self, *extra: str) -> subprocess.CompletedProcess[str]:
        days = self.world.racing_days()
        params = {
            "source.db_base_url": self.server.urls.db_base,
            "source.race_base_url": self.server.urls.race_base,
            "scraping.start_date": days[0].isoformat(),
            "scraping.end_date": days[-1].isoformat(),
        }
        return kedro("run", "--conf-source", str(self.conf), "--params", format_params(params),
                     *extra)  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, pipeline_world: World):
    root = tmp_path_factory.mktemp("kedro_run")
    conf = make_conf(root, pipeline_world.config)
    with ReplicaServer(pipeline_world) as server:
        run = Run(root, conf, server, pipeline_world)
        result = run.kedro_run()
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        run.console = result.stdout
        yield run


def test_registry_lists_the_pipelines() -> None:
    result = kedro("registry", "list")
    assert result.returncode == 0, result.stderr
    for name in ("__default__", "scraping", "preprocessing", "training", "prediction",
                 "ingestion", "real_results"):  # fmt: skip
        assert f"- {name}" in result.stdout


def test_scraped_tables_equal_the_replica_truth(run: Run) -> None:
    world = run.world
    race_ids = [rid for day in world.racing_days() for rid in world.race_ids_on(day)]
    expected = tables_from_pages((rid, lambda rid=rid: world.result_page(rid)) for rid in race_ids)
    races = pd.read_parquet(run.data / "02_intermediate" / "races.parquet")
    entries = pd.read_parquet(run.data / "02_intermediate" / "entries.parquet")
    payouts = pd.read_parquet(run.data / "02_intermediate" / "payouts.parquet")
    assert len(races) == len(race_ids) == len(world.run_race_ids())
    pd.testing.assert_frame_equal(races, expected.races, check_dtype=False)
    keys = ["race_id", "horse_number", "horse_id"]
    pd.testing.assert_frame_equal(
        entries.sort_values(keys, ignore_index=True),
        expected.entries.sort_values(keys, ignore_index=True),
        check_dtype=False,
    )
    assert len(payouts) == len(expected.payouts) > len(races)
    failures = pd.read_parquet(run.data / "02_intermediate" / "parse_failures.parquet")
    assert failures.empty


def test_forecast_covers_the_next_race_day(run: Run) -> None:
    forecast = pd.read_parquet(run.data / "07_model_output" / "forecast.parquet")
    next_day = run.world.upcoming_days()[0]
    assert set(forecast["race_id"]) == set(run.world.race_ids_on(next_day))
    sums = forecast.groupby("race_id")["win_prob"].sum()
    assert ((sums - 1.0).abs() < 1e-9).all()
    assert forecast.groupby("race_id")["rank"].min().eq(1).all()
    report = (run.data / "08_reporting" / "forecast.txt").read_text(encoding="utf-8")
    assert all(rid in report for rid in forecast["race_id"].unique())


def test_the_report_and_forecast_print_as_tables_not_log_columns(run: Run) -> None:
    """conf/logging.yml prints them through a plain handler: each line of the table is
    a line of the console, not wrapped into the rich handler's message column."""
    lines = run.console.splitlines()
    assert "Model report" in lines
    header = next(line for line in lines if line.lstrip().startswith("predictor"))
    assert header.startswith("  predictor") and header.rstrip().endswith("AUC top3")
    forecast = (run.data / "08_reporting" / "forecast.txt").read_text(encoding="utf-8")
    table = forecast.splitlines()
    assert all(line in lines for line in table), "the forecast is not printed as a table"
    assert max(len(line) for line in [*table, header]) <= 80


def test_model_beats_uniform_on_held_out_races(run: Run) -> None:
    metrics = json.loads((run.data / "08_reporting" / "evaluation_metrics.json").read_text())
    assert metrics["races"] > 20
    assert metrics["log_loss_model"] < metrics["log_loss_uniform"]
    assert 0.5 < metrics["auc_win"] <= 1.0


def test_the_configured_ranking_model_trained_and_names_its_device(run: Run) -> None:
    """conf/base trains the per-race ranking model (JAX); the card and the report say
    where: the CPU here, a CUDA device on a GPU worker."""
    card = json.loads((run.data / "06_models" / "model_card.json").read_text())
    assert card["kind"] == "race_ranking" and card["objective"] == "plackett_luce"
    assert card["device"] == "cpu" or card["device"].startswith("cuda:")
    assert card["fit_converged"] and card["with_market_odds"]
    report = (run.data / "08_reporting" / "model_report.txt").read_text(encoding="utf-8")
    assert f"race_ranking + market odds on {card['device']}" in report


def test_second_run_fetches_no_result_page_twice(run: Run) -> None:
    run.server.clear_log()
    result = run.kedro_run("--pipeline", "scraping")
    assert result.returncode == 0, result.stderr[-3000:]
    fetched = [path for path, _ in run.server.request_log if path.startswith("/db/race/2")]
    assert fetched == [], f"result pages fetched again: {fetched[:5]}"


def test_notebook_explores_the_catalog(run: Run) -> None:
    notebook = nbformat.read(KEDRO_PROJECT / "notebooks" / "explore_catalog.ipynb", as_version=4)
    os.environ["KEDRO_CONF_SOURCE"] = str(run.conf)
    try:
        NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(KEDRO_PROJECT / "notebooks")}},
        ).execute()
    finally:
        del os.environ["KEDRO_CONF_SOURCE"]
    outputs = "".join(
        out.get("text", "") + json.dumps(out.get("data", {}))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert f"{len(run.world.run_race_ids())} races" in outputs
    assert "favourite wins" in outputs


def test_bridge_run_equals_kedro_run(
    run: Run, prefect_api: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The whole project through the Prefect bridge writes what `kedro run` wrote."""
    from kedro_prefect import kedro_flow
    from kedro_prefect.cli import parse_params

    root = tmp_path_factory.mktemp("bridge_run")
    conf = make_conf(root, run.world.config)
    days = run.world.racing_days()
    params = parse_params(format_params({
        "source.db_base_url": run.server.urls.db_base,
        "source.race_base_url": run.server.urls.race_base,
        "scraping.start_date": days[0].isoformat(),
        "scraping.end_date": days[-1].isoformat(),
    }))  # fmt: skip
    state = kedro_flow(
        project_path=str(KEDRO_PROJECT), conf_source=str(conf), params=params, return_state=True
    )
    assert state.is_completed(), state.message
    tables = [
        *("02_intermediate/races", "02_intermediate/entries", "02_intermediate/payouts"),
        *("04_feature/features", "05_model_input/test_set", "07_model_output/forecast"),
    ]
    for table in tables:
        pd.testing.assert_frame_equal(
            pd.read_parquet(root / "data" / f"{table}.parquet"),
            pd.read_parquet(run.data / f"{table}.parquet"),
        )
    assert json.loads((root / "data" / "08_reporting" / "evaluation_metrics.json").read_text()) == (
        json.loads((run.data / "08_reporting" / "evaluation_metrics.json").read_text())
    )


def test_kedro_viz_build_exports_the_pipelines(tmp_path: Path) -> None:
    project = tmp_path / "project"
    hidden = shutil.ignore_patterns(".*")

    def state(directory: str, names: list[str]) -> set[str]:  # not forecast_keiba/data/
        top = {"data", "build"} & set(names) if Path(directory) == KEDRO_PROJECT else set()
        return hidden(directory, names) | top

    shutil.copytree(KEDRO_PROJECT, project, ignore=state)
    result = kedro("viz", "build", cwd=project)
    assert result.returncode == 0, result.stderr[-2000:]
    main = json.loads((project / "build" / "api" / "main").read_text())
    node_names = {node["name"] for node in main["nodes"] if node["type"] == "task"}
    assert {"discover_race_ids", "parse_result_pages", "train_win_model", "forecast_races"} <= (
        node_names
    )
    assert node_names == {node.name for node in register_pipelines()["__default__"].nodes}
