"""The replica's Kedro hook serves the world of ``source.embedded_replica`` with the
faults its ``faults`` block asks for (conf/faults), stops it after the run, and exports
the world's ground truth; without a world (conf/live) it does nothing."""

from __future__ import annotations

import socket

import httpx
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Pipeline, node

from netkeiba_replica.kedro_hook import EmbeddedReplica


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_embedded_replica_serves_the_configured_faults_until_the_run_ends() -> None:
    port = free_port()
    source = {
        "db_base_url": f"http://127.0.0.1:{port}/db",
        "race_base_url": f"http://127.0.0.1:{port}/race",
        "embedded_replica": {"seed": 1, "start_date": "2023-01-07", "n_days": 2,
                             "races_per_day": 2, "faults": {"rate_429": 1.0, "retry_after_s": 7}},
    }  # fmt: skip
    pipeline = Pipeline([node(lambda s: s, "params:source", "out", name="reads_source")])
    catalog = DataCatalog({"params:source": MemoryDataset(source)})
    hook = EmbeddedReplica()
    hook.before_pipeline_run(run_params={}, pipeline=pipeline, catalog=catalog)
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/db/race/list/20230107/")
        assert response.status_code == 429
        assert response.headers["retry-after"] == "7"
    finally:
        hook.after_pipeline_run()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0  # stopped with the run


def test_embedded_replica_exports_the_ground_truth_of_the_configured_world(tmp_path) -> None:
    from forecast_keiba.data.ground_truth import GroundTruthDataset
    from netkeiba_replica.world import World, WorldConfig

    world = {"seed": 3, "start_date": "2023-01-07", "n_days": 2, "races_per_day": 2}
    source = {"db_base_url": "https://db.netkeiba.com", "embedded_replica": world}  # not served
    truth = GroundTruthDataset(filepath=str(tmp_path / "ground_truth.parquet"))
    catalog = DataCatalog({"params:source": MemoryDataset(source), "ground_truth": truth})
    pipeline = Pipeline([node(lambda s: s, "params:source", "out", name="reads_source")])
    EmbeddedReplica().before_pipeline_run(run_params={}, pipeline=pipeline, catalog=catalog)
    exported = truth.load()
    expected = World(WorldConfig.from_params(world)).ground_truth()
    expected = expected[~expected["upcoming"]]
    assert list(exported["race_id"]) == list(expected["race_id"])
    assert exported["true_win_prob"].to_numpy() == pytest.approx(expected["true_win_prob"])


def test_embedded_replica_does_nothing_without_a_configured_world(tmp_path) -> None:
    from forecast_keiba.data.ground_truth import GroundTruthDataset

    source = {"db_base_url": "https://db.netkeiba.com", "embedded_replica": None}  # conf/live
    truth = GroundTruthDataset(filepath=str(tmp_path / "ground_truth.parquet"))
    catalog = DataCatalog({"params:source": MemoryDataset(source), "ground_truth": truth})
    pipeline = Pipeline([node(lambda s: s, "params:source", "out", name="reads_source")])
    EmbeddedReplica().before_pipeline_run(run_params={}, pipeline=pipeline, catalog=catalog)
    assert not (tmp_path / "ground_truth.parquet").exists()
    assert truth.load().empty  # real data: no truth


def test_the_exported_truth_has_the_schema_of_the_apps_ground_truth_table() -> None:
    """The replica may not import the app's data stage, so it keeps its own copy of the
    table's columns: the two must agree."""
    from forecast_keiba.data.ground_truth import COLUMNS
    from netkeiba_replica.kedro_hook import TRUTH_COLUMNS

    assert TRUTH_COLUMNS == COLUMNS


def test_the_same_truth_is_not_written_again(tmp_path) -> None:
    """A night that changes nothing rewrites no file of the raw store."""
    from forecast_keiba.data.ground_truth import GroundTruthDataset

    world = {"seed": 3, "start_date": "2023-01-07", "n_days": 2, "races_per_day": 2}
    source = {"db_base_url": "https://db.netkeiba.com", "embedded_replica": world}
    path = tmp_path / "ground_truth.parquet"
    catalog = DataCatalog(
        {
            "params:source": MemoryDataset(source),
            "ground_truth": GroundTruthDataset(filepath=str(path)),
        }
    )
    pipeline = Pipeline([node(lambda s: s, "params:source", "out", name="reads_source")])
    EmbeddedReplica().before_pipeline_run(run_params={}, pipeline=pipeline, catalog=catalog)
    first = path.stat()
    EmbeddedReplica().before_pipeline_run(run_params={}, pipeline=pipeline, catalog=catalog)
    assert (path.stat().st_ino, path.stat().st_mtime_ns) == (first.st_ino, first.st_mtime_ns)
