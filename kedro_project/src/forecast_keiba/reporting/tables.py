"""Tables for a person at a terminal: the model report, the forecast.

They are logged through a logger of their own, ``forecast_keiba.tables``, which
``conf/logging.yml`` gives a plain handler that does not propagate: Kedro's rich
console handler lays every record out in columns (time, level, message, source)
and would wrap a 78-column table into one narrow column of an 80-column terminal.
Under Prefect the kedro-prefect plugin routes this logger like the package's
others, so the tables show under their task runs too.
"""

from __future__ import annotations

import logging

TABLES = logging.getLogger("forecast_keiba.tables")


def show(title: str, table: str) -> None:
    """Print ``table`` under ``title``, as it is (no wrapping, no columns added)."""
    TABLES.info("%s\n%s", title, table)
