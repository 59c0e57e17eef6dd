"""forecast_keiba: horse-race forecasting from netkeiba.com.

Laid out by lifecycle stage: ``netkeiba`` (the source), ``data`` (scraping, ledger,
ingestion, typed tables), ``features``, ``models``, ``evaluation``, ``reporting``;
``pipelines`` only wires them into Kedro; ``console`` is the ``keiba`` command.
"""

__version__ = "0.1.0"
