"""Incremental scraping: which days still need scraping, given what is stored.

A scrape records, per day whose list was final when it was read, the races it
stored (the ``race_days`` ledger, written only after the pages themselves are
in the raw store). The next scrape skips those days, so night after night a
run with an open end reads only the days since the last stored one, up to
yesterday, and fetches only their races. A day that failed or was never read
is simply not in the ledger, so the next run picks it up again.

"Today" is injectable (``scraping.as_of``), so runs against the replica's
fixed calendar (or a re-run of a missed night) are deterministic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")  # netkeiba's calendar: "yesterday" is yesterday in Japan


def today_jst() -> dt.date:
    return dt.datetime.now(JST).date()


def as_date(value: object, name: str) -> dt.date:
    """An ISO date from parameters; the error names the parameter."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{name}: {value!r} is not an ISO date (YYYY-MM-DD)") from exc


def as_of(scraping: Mapping[str, Any]) -> dt.date:
    """The run's "today": ``scraping.as_of``, or today in Asia/Tokyo when null."""
    raw = scraping.get("as_of")
    return as_date(raw, "scraping.as_of") if raw else today_jst()


def resolve_date_range(scraping: Mapping[str, Any]) -> tuple[dt.date, dt.date]:
    """``start_date``..``end_date`` inclusive; a null end means the day before ``as_of``."""
    start = as_date(scraping.get("start_date"), "scraping.start_date")
    end_raw = scraping.get("end_date")
    end = as_date(end_raw, "scraping.end_date") if end_raw else as_of(scraping) - dt.timedelta(1)
    if end < start:
        raise ValueError(f"scraping.end_date {end} is before scraping.start_date {start}")
    return start, end


def stored_days(ledger: Mapping[str, object]) -> set[dt.date]:
    """The days of the ledger (partition ids are ISO dates)."""
    return {as_date(day, f"race_days/{day}") for day in ledger}


def days_to_scrape(start: dt.date, end: dt.date, stored: Iterable[dt.date]) -> list[dt.date]:
    """Every day of ``start..end`` whose races are not stored yet, in order."""
    done = set(stored)
    return [
        day
        for day in (start + dt.timedelta(days=n) for n in range((end - start).days + 1))
        if day not in done
    ]


def is_final(day: dt.date, today: dt.date) -> bool:
    """A day's list of results is final once the day is over (in Japan)."""
    return day < today
