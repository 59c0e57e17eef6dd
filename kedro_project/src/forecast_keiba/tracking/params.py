"""Kedro parameters as MLflow params: flattened, with secrets redacted.

Parameters are configuration, and configuration may hold secrets (an API
token passed with ``--params``, a URL with a password). Keys whose name
contains a redaction pattern, and user:password parts of URLs, never leave
this module unredacted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[redacted]"
DEFAULT_PATTERNS = ("password", "passwd", "secret", "token", "api_key", "apikey", "credential",
                    "private_key", "access_key")  # fmt: skip
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
MAX_VALUE = 6000  # MLflow's limit for a param value


def flatten(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` → ``{"a.b": 1}``; lists and scalars are leaves."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def redacted_params(
    values: Mapping[str, Any], patterns: Iterable[str] = DEFAULT_PATTERNS, prefix: str = ""
) -> dict[str, str]:
    """Flattened string params, secrets replaced by ``[redacted]``."""
    lowered = [p.lower() for p in patterns]
    params: dict[str, str] = {}
    for key, value in flatten(values, prefix).items():
        if any(p in key.lower() for p in lowered):
            params[key] = REDACTED
            continue
        text = _URL_USERINFO.sub(f"{REDACTED}@", str(value))
        params[key] = text[:MAX_VALUE]
    return params
