"""The EmbeddedReplica hook serves the world of ``source.embedded_replica`` with
the faults its ``faults`` block asks for (conf/faults), and stops it after the run."""

from __future__ import annotations

import socket

import httpx
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
