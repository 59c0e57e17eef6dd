"""Project hooks.

:class:`ParameterChecks` validates the parameters a run will read (dates,
race ids) before its first node, so a typo fails in seconds, naming the
parameter, instead of after an hour of scraping.

:class:`EmbeddedReplica` makes the embedded default work out of the box: when
the configured source is a loopback address where nothing answers, it serves
the offline replica there (in-process, for the length of the run), with the
world described by ``source.embedded_replica`` (and the faults its ``faults``
block injects: ``--env faults`` is a bad night on demand). ``kedro run`` then
works right after set-up, and so does every orchestrated run, in whatever
process it lands.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from kedro.framework.hooks import hook_impl

from forecast_keiba.incremental import resolve_date_range
from forecast_keiba.prediction_target import prediction_target
from forecast_keiba.replica.faults import FaultConfig
from forecast_keiba.replica.server import ReplicaServer
from forecast_keiba.replica.world import World, WorldConfig

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _answers(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


class ParameterChecks:
    """Fail before any node runs when a parameter group the pipeline reads is invalid."""

    CHECKS: dict[str, Callable[[Any], object]] = {  # noqa: RUF012  (a constant table)
        "params:scraping": resolve_date_range,
        "params:prediction": prediction_target,
    }

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        inputs = pipeline.inputs()
        for name, check in self.CHECKS.items():
            if name in inputs:
                check(catalog.load(name))


class EmbeddedReplica:
    def __init__(self) -> None:
        self._server: ReplicaServer | None = None

    @hook_impl
    def before_pipeline_run(self, run_params: dict[str, Any], pipeline: Any, catalog: Any) -> None:
        if "params:source" not in pipeline.inputs():
            return  # e.g. training: nothing in this run reads the source, no world to build
        try:
            source = catalog.load("params:source")
        except Exception:
            return  # a pipeline run without the source parameters
        embedded = source.get("embedded_replica")
        url = urlsplit(source.get("db_base_url", ""))
        if not embedded or url.hostname not in LOOPBACK or url.port is None:
            return
        if _answers(url.hostname, url.port):
            return  # a replica (or something else) already serves there
        config = WorldConfig.from_params(embedded)
        faults = FaultConfig(**(embedded.get("faults") or {}))
        self._server = ReplicaServer(
            World(config), host=url.hostname, port=url.port, faults=faults
        ).start()
        log.info(
            "serving the embedded netkeiba replica on %s for this run%s",
            self._server.urls.db_base,
            f", with faults {faults}" if faults.enabled else "",
        )

    @hook_impl
    def after_pipeline_run(self) -> None:
        self._stop()

    @hook_impl
    def on_pipeline_error(self) -> None:
        self._stop()

    def _stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
