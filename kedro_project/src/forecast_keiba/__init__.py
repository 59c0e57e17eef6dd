"""forecast_keiba: horse-race forecasting from netkeiba.com."""

__version__ = "0.1.0"
