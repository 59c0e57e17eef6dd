"""The offline netkeiba replica: a synthetic racing world served as netkeiba pages.

``World`` simulates the races, :mod:`.render` turns page-model objects into
netkeiba's HTML, ``ReplicaServer`` serves them on loopback under the URL scheme
of :class:`forecast_keiba.netkeiba.urls.SiteUrls`. Nothing here imports Kedro
or Prefect.
"""

from forecast_keiba.replica.faults import FaultConfig
from forecast_keiba.replica.server import ReplicaServer
from forecast_keiba.replica.simulate import Rates
from forecast_keiba.replica.world import World, WorldConfig

__all__ = ["FaultConfig", "Rates", "ReplicaServer", "World", "WorldConfig"]
