"""The offline netkeiba replica: a synthetic racing world served as netkeiba pages.

``World`` simulates the races, :mod:`.render` turns page-model objects into
netkeiba's HTML, ``ReplicaServer`` serves them on loopback under the URL scheme
of :class:`forecast_keiba.netkeiba.urls.SiteUrls`. Nothing here imports Kedro
or Prefect.
"""

from netkeiba_replica.faults import FaultConfig
from netkeiba_replica.server import ReplicaServer
from netkeiba_replica.simulate import Rates
from netkeiba_replica.world import World, WorldConfig

__all__ = ["FaultConfig", "Rates", "ReplicaServer", "World", "WorldConfig"]
