"""The offline netkeiba replica: a synthetic racing world served as netkeiba pages.

A development and test tool, installed with the project but never imported by its
production code (``forecast_keiba``): ``World`` simulates the races (:mod:`.simulate`,
:mod:`.views`), :mod:`.render` turns page-model objects into netkeiba's HTML,
``ReplicaServer`` serves them on loopback under the URL scheme of
:class:`forecast_keiba.netkeiba.urls.SiteUrls`, the page model it shares with the
scraper. ``keiba-replica`` serves a world by hand; :mod:`.kedro_hook`, the only module
that knows Kedro, serves the world a run's conf describes and exports its ground truth.
"""

from netkeiba_replica.faults import FaultConfig
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.simulate import Rates
from netkeiba_replica.world import World, WorldConfig

__all__ = ["FaultConfig", "Rates", "ReplicaServer", "World", "WorldConfig"]
