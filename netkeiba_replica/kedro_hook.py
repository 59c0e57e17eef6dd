"""The replica inside a Kedro run whose conf describes a replica world.

A Kedro plugin hook (the root project's ``kedro.hooks`` entry point), so that the
project's settings, like the rest of its production code, never import the replica. It
acts only in a run that reads ``params:source`` (scraping, prediction) and whose
``source.embedded_replica`` describes a world; conf/live sets that to null and the hook
does nothing there.

* It serves the world (with the faults of its ``faults`` block: ``--env faults`` is a bad
  night on demand) on the loopback address of ``source.db_base_url`` when nothing answers
  there, in-process for the length of the run. ``kedro run`` then works right after
  set-up, and so does every orchestrated run, in whatever process it lands.
* It exports the world's ground truth (the true win probabilities its results were drawn
  from) to the ``ground_truth`` dataset, for the backtest's oracle. Real sources have no
  truth; forecast_keiba's ``GroundTruthDataset`` then reads as the empty table.

It runs after the project's own hooks (``trylast``): the parameters are checked and the
data folder's lock is held before a world is built or served; and it stops its server
first (``tryfirst``), before the lock is released to the next run.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
from kedro.framework.hooks import hook_impl

from netkeiba_replica.faults import FaultConfig
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.world import World, WorldConfig

log = logging.getLogger(__name__)
# Kedro logs the project package at INFO, not its plugins; which world a run serves is
# worth a line all the same (a logging configuration that names this logger decides).
if log.level == logging.NOTSET:
    log.setLevel(logging.INFO)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
TRUTH_DATASET = "ground_truth"
# The columns and types of forecast_keiba's ground truth table (its data contract; a copy,
# since the replica imports only the app's page model: a test holds the two equal).
TRUTH_COLUMNS = {"race_id": "string", "horse_id": "string", "horse_number": "int16",
                 "true_win_prob": "float64", "date": "datetime64[ns]"}  # fmt: skip


def _answers(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def replica_ground_truth(world: World) -> pd.DataFrame:
    """The true win probabilities of the races ``world`` has run (upcoming ones left out)."""
    truth = world.ground_truth()
    return (
        truth[~truth["upcoming"]][list(TRUTH_COLUMNS)].astype(TRUTH_COLUMNS).reset_index(drop=True)
    )


def export_ground_truth(catalog: Any, world: World) -> None:
    """Save the truth of ``world`` to the catalog's ``ground_truth``, unless it holds that
    truth already: a night that changes nothing rewrites no file of the raw store."""
    truth = replica_ground_truth(world)
    if catalog.exists(TRUTH_DATASET):
        stored = catalog.load(TRUTH_DATASET)
        if set(stored.columns) >= set(TRUTH_COLUMNS):
            stored = stored[list(TRUTH_COLUMNS)].astype(TRUTH_COLUMNS).reset_index(drop=True)
            if stored.equals(truth):
                return
    catalog.save(TRUTH_DATASET, truth)


def configured_world(pipeline: Any, catalog: Any) -> tuple[Mapping[str, Any], dict] | None:
    """``source`` and its ``embedded_replica`` block, when this run reads a source that
    describes a replica world; ``None`` otherwise."""
    if "params:source" not in pipeline.inputs():
        return None  # e.g. training: nothing in this run reads the source
    try:
        source = catalog.load("params:source")
    except Exception:
        return None  # a pipeline run without the source parameters
    embedded = source.get("embedded_replica")
    return (source, embedded) if embedded else None


class EmbeddedReplica:
    """Serve the configured world for the run and export its ground truth."""

    def __init__(self) -> None:
        self._server: ReplicaServer | None = None

    @hook_impl(trylast=True)
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        configured = configured_world(pipeline, catalog)
        if configured is None:
            return
        source, embedded = configured
        world = World(WorldConfig.from_params(embedded))
        if TRUTH_DATASET in catalog:
            export_ground_truth(catalog, world)
        url = urlsplit(source.get("db_base_url", ""))
        if url.hostname not in LOOPBACK or url.port is None:
            return
        if _answers(url.hostname, url.port):
            return  # a replica (or something else) already serves there
        faults = FaultConfig(**(embedded.get("faults") or {}))
        self._server = ReplicaServer(world, host=url.hostname, port=url.port, faults=faults).start()
        log.info(
            "serving the embedded netkeiba replica on %s for this run%s",
            self._server.urls.db_base,
            f", with faults {faults}" if faults.enabled else "",
        )

    @hook_impl(tryfirst=True)
    def after_pipeline_run(self) -> None:
        self._stop()

    @hook_impl(tryfirst=True)
    def on_pipeline_error(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None


# What the ``kedro.hooks`` entry point registers: one instance per process.
hooks = EmbeddedReplica()
