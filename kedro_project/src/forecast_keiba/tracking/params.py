"""Secret-looking parameters, redacted: what never leaves the project for MLflow.

Parameters are configuration, and configuration may hold secrets (an API token
passed with ``--params``, a URL with a password). A parameter whose name contains
one of :data:`PATTERNS` is logged as ``[redacted]``; user:password parts of URLs
in any value are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"
PATTERNS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential",
            "private_key", "access_key", "cookie", "session_key")  # fmt: skip
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def redacted_value(name: str, value: Any) -> Any:
    """``value`` as it may be logged under ``name``: redacted whole when the name
    looks secret, URL credentials removed from strings, nested mappings walked."""
    if any(pattern in name.lower() for pattern in PATTERNS):
        return REDACTED
    if isinstance(value, Mapping):
        return redacted_params(value)
    if isinstance(value, str):
        return _URL_USERINFO.sub(f"{REDACTED}@", value)
    if isinstance(value, list | tuple):
        return [redacted_value(name, item) for item in value]
    return value


def redacted_params(values: Mapping[str, Any]) -> dict[str, Any]:
    """A (nested) mapping with every secret-looking key or URL credential redacted."""
    return {str(key): redacted_value(str(key), value) for key, value in values.items()}
