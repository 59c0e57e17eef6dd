"""Deterministic fault injection for the replica server.

Whether a request fails, and how, is a pure function of the fault seed, the
request path and how many times that path has been requested before. So a
reliability test sees the same faults on every run, and a retry of a failed
path draws afresh (a client with retries gets through, as on the real site).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

FaultKind = Literal["error", "rate_limit", "slow", "truncate"]
TruncateMode = Literal["mixed", "short_body", "silent"]


@dataclass(frozen=True)
class FaultConfig:
    """Per-request fault rates (each in [0, 1], summing to at most 1).

    ``error_rate``: a 500 or 503. ``rate_429``: 429 with ``Retry-After:
    retry_after_s``. ``timeout_rate``: the response is held ``slow_s`` seconds
    before it is sent (longer than a client timeout). ``truncate_rate``: only
    part of the body is sent; ``short_body`` keeps the full Content-Length and
    closes the connection early (a protocol error for the client), ``silent``
    sends a shorter, self-consistent Content-Length (a valid response with a
    cut-off page), ``mixed`` alternates between the two.
    """

    error_rate: float = 0.0
    rate_429: float = 0.0
    retry_after_s: float = 1.0
    timeout_rate: float = 0.0
    slow_s: float = 5.0
    truncate_rate: float = 0.0
    truncate_mode: TruncateMode = "mixed"
    seed: int = 0

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.rate_429, self.timeout_rate, self.truncate_rate)
        if any(r < 0 for r in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be >= 0 and sum to at most 1")

    @property
    def enabled(self) -> bool:
        return self.error_rate + self.rate_429 + self.timeout_rate + self.truncate_rate > 0

    def draw(self, path: str, attempt: int) -> tuple[FaultKind | None, float]:
        """(fault or None, a second uniform in [0, 1) for the fault's details)."""
        if not self.enabled:
            return None, 0.0
        digest = hashlib.blake2b(f"{self.seed}|{path}|{attempt}".encode(), digest_size=16).digest()
        u = int.from_bytes(digest[:8], "big") / 2**64
        v = int.from_bytes(digest[8:], "big") / 2**64
        edge = 0.0
        for kind, rate in (
            ("error", self.error_rate),
            ("rate_limit", self.rate_429),
            ("slow", self.timeout_rate),
            ("truncate", self.truncate_rate),
        ):
            edge += rate
            if u < edge:
                return kind, v  # type: ignore[return-value]
        return None, v
