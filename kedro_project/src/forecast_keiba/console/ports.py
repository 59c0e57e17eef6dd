"""Which port the local Prefect server listens on: one rule for ``make up``,
``make deploy``, ``make status`` and ``keiba demo``.

An operator who moved the server exports ``PREFECT_API_URL`` for Prefect's own CLI
(``prefect deployment run …``) anyway; when that URL names this machine, its port
is the stack's too, so one variable moves everything. ``KEIBA_PREFECT_PORT``
still wins where set (scripts and tests that pin a port).
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

DEFAULT_PREFECT_PORT = 4200
LOOPBACK = ("127.0.0.1", "localhost")


def prefect_port() -> int:
    """``$KEIBA_PREFECT_PORT``; else the port of a loopback ``$PREFECT_API_URL``;
    else 4200. A malformed value is an error naming the variable."""
    explicit = os.environ.get("KEIBA_PREFECT_PORT")
    if explicit:
        try:
            return int(explicit)
        except ValueError:
            raise ValueError(f"KEIBA_PREFECT_PORT={explicit!r} is not a port number") from None
    api_url = os.environ.get("PREFECT_API_URL")
    if api_url:
        parts = urlsplit(api_url)
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"PREFECT_API_URL={api_url!r} has no valid port") from None
        if parts.hostname in LOOPBACK and port:
            return port
    return DEFAULT_PREFECT_PORT
