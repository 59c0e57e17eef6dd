"""forecast_keiba: horse-race forecasting from netkeiba.com."""

from forecast_keiba import privacy as _privacy  # noqa: F401  (telemetry opt-outs first)

__version__ = "0.1.0"
