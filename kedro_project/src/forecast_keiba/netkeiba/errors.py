"""Typed errors of the netkeiba domain.

Every error names the input it is about (a URL, a file, a race id) so that a
failed scrape or parse in a batch of thousands points straight at the culprit.
"""

from __future__ import annotations


class NetkeibaError(Exception):
    """Base class of everything this package raises on purpose."""


class ParseError(NetkeibaError):
    """A page could not be parsed: unknown layout, missing table, garbage cell.

    ``source`` is the file path or URL of the page; ``reason`` says what was wrong.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"cannot parse {source}: {reason}")


class FetchError(NetkeibaError):
    """A URL could not be fetched after all retries (or a non-retryable status)."""

    def __init__(self, url: str, reason: str, status_code: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.status_code = status_code
        super().__init__(f"cannot fetch {url}: {reason}")


class InvalidRaceIdError(NetkeibaError, ValueError):
    """A race id that is not 12 digits of a JRA or NAR race."""

    def __init__(self, race_id: object, reason: str) -> None:
        self.race_id = race_id
        super().__init__(f"invalid race id {race_id!r}: {reason}")
